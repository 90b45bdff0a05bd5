"""The run's own outputs: the tables workbook, the report's content and ``run.json``.

Composes the per-stage presentation modules (:mod:`~coverage.present.gaps`,
:mod:`~coverage.present.access`, :mod:`~coverage.present.suggest`) into the files of one
output folder.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.access import AccessResult
from coverage.config import RegionConfig
from coverage.outputs import sha256_file, write_json
from coverage.present import access as p_access
from coverage.present import gaps as p_gaps
from coverage.present import suggest as p_suggest
from coverage.present.report import ReportContent, ReportSection, date_zh
from coverage.present.workbook import SheetSpec, sheet_titles, write_workbook
from coverage.problems import Problem
from coverage.region import Region
from coverage.suggest import SuggestResult
from coverage.targets import GapResult
from coverage.vocabulary import ACCESS_STATUS, GAP_STATUS, STATUS, SUGGEST_REASON

__all__ = ["comparison_row", "report_content", "write_run_record", "write_tables"]

_PACKAGES = ("coverage-planner", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj",
             "pyogrio", "osmnx", "networkx", "highspy", "folium", "matplotlib", "openpyxl",
             "python-docx")

#: Static map sheet -> (its caption, the section it illustrates).
_FIGURES = {
    "facilities": ("服务站点现状分布", "overview"),
    "completion": ("各乡镇（街道）建成率与目标对比", "gaps"),
    "access": ("服务可达性与未覆盖的村（社区）", "access"),
    "suggestions": ("建议新建站点与建设顺序", "suggest"),
}


def write_tables(gaps: GapResult, access: AccessResult, suggestion: SuggestResult,
                 out: Path, *, region: Region | None = None,
                 english_headers: bool = False) -> dict[str, Path]:
    """Every stage's CSV files and the one ``tables.xlsx`` workbook.

    Parameters
    ----------
    gaps, access, suggestion
        The stage results.
    out
        The ``tables`` folder.
    region
        The region, for the 说明 sheet's data date, source and organisation (without it
        they read 未注明).
    english_headers
        Add an English header row under the Chinese one on every sheet.

    Returns
    -------
    dict
        File key -> path.
    """
    files: dict[str, Path] = {}
    files.update({f"gaps_{k}": v for k, v in p_gaps.write_tables(gaps, out).items()})
    for p in p_access.write_tables(access, out):
        files[p.stem] = p
    for p in p_suggest.write_tables(suggestion, out):
        files[p.stem] = p
    sheets: dict[str, SheetSpec] = {**p_gaps.sheets(gaps), **p_access.sheets(access),
                                    **p_suggest.sheets(suggestion)}
    if region is not None and region.problems:
        sheets["数据检查提示"] = problems_sheet(region.problems)
    sheets = {"说明": _readme_sheet(gaps, sheets, region, english_headers), **sheets}
    files["tables"] = write_workbook(sheets, out / "tables.xlsx",
                                     english_headers=english_headers)
    return files


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """The warnings found while loading, one row each, as a table."""
    return pd.DataFrame([{
        "文件": p.file or "", "工作表": p.sheet or "", "行": p.row, "列": p.column or "",
        "列号": p.cell or "", "原值": "" if p.value is None else str(p.value),
        "问题": p.message, "修改建议": p.fix, "类别代码": p.code,
    } for p in problems], columns=["文件", "工作表", "行", "列", "列号", "原值", "问题",
                                   "修改建议", "类别代码"])


def problems_sheet(problems: Sequence[Problem]) -> SheetSpec:
    """The workbook sheet of the warnings found while loading (each with where and the fix)."""
    return SheetSpec(problems_frame(problems), integer=["行"],
                     description="读入数据时发现的提示（警告）：文件、工作表、行、列、原值和修改建议")


def _readme_sheet(gaps: GapResult, sheets: Mapping[str, SheetSpec], region: Region | None,
                  english_headers: bool) -> SheetSpec:
    """The workbook's first sheet: where the data come from, what each sheet holds, and
    what the codes and colours mean."""
    prov = region.provenance if region is not None else None
    preset = gaps.preset
    rows: list[tuple[str, str, str]] = [
        ("基本信息", "地区", f"{gaps.county_name}（{gaps.county_code}）"),
        ("基本信息", "数据日期", date_zh(prov.data_date) if prov and prov.data_date
         else "未注明"),
        ("基本信息", "数据来源", (prov.source if prov else "") or "未注明"),
        ("基本信息", "编制单位", (prov.organisation if prov else "") or "未注明"),
        ("基本信息", "指标依据", f"《{preset.name}》"
         + (f"（{preset.document}）" if preset.document else "")
         + (f"，{date_zh(preset.issued.isoformat())}印发" if preset.issued else "")
         + f"；预设代码 {preset.id}；各项指标的原文见“指标达标情况”表的“政策依据”列"),
        ("基本信息", "生成日期", date_zh(datetime.now().date().isoformat())),
    ]
    if region is not None and region.approximate_townships:
        rows.append(("基本信息", "乡镇（街道）范围",
                     "未提供乡镇（街道）边界，按村（社区）代码和点位推算，为示意范围（非法定界线）"))
    titles = sheet_titles(["说明", *sheets])[1:]
    rows += [("工作表", title, spec.description or "—")
             for title, spec in zip(titles, sheets.values(), strict=True)]
    rows += [
        ("颜色", "浅红色底纹的行",
         f"“{GAP_STATUS.label('unmet')}”的指标，或建议新建后仍未达标的乡镇（街道）"),
        ("表头", "第一行", "中文列名" + ("；第二行为对应的英文列名" if english_headers else "")
         + "。表头已冻结并设置筛选，打印时每页重复表头"),
        ("数值", "百分比、人数、分钟", "单元格中为数值，按格式显示（百分比保留1位小数，"
         "人数为整数并带千位分隔，通行时间保留1位小数）"),
        ("数值", "是/否", "是否达标、是否覆盖等判断以“是”“否”表示"),
    ]
    rows += [("建设状态", STATUS.label(c), _STATUS_MEANING[c]) for c in STATUS]
    rows += [("指标状态", GAP_STATUS.label(c), _GAP_STATUS_MEANING[c]) for c in GAP_STATUS]
    rows += [("可达状态", ACCESS_STATUS.label(c), _ACCESS_MEANING[c]) for c in ACCESS_STATUS]
    rows += [("建设理由", SUGGEST_REASON.label(c), _REASON_MEANING[c]) for c in SUGGEST_REASON]
    rows += [("考核口径", "考核", "该单位层级的结果计入考核"),
             ("考核口径", "参考", "县级指标按本乡镇（街道）单独计算的结果，仅供参考")]
    frame = pd.DataFrame(rows, columns=["group", "item", "meaning"])
    return SheetSpec(frame, wrap=["meaning"], description="本说明")


_STATUS_MEANING = {
    "built": "已建成；预设指标的完成率只统计已建成的单位",
    "under_construction": "正在建设，列入“在建”，建成后计入完成率",
    "planned": "已列入规划，列入“规划”",
    "none": "尚未建设",
}
_GAP_STATUS_MEANING = {
    "met": "达到目标",
    "unmet": "未达到目标，“缺口”列为还需新增的最少数量",
    "no_data": "缺少计算所需的数据，“说明”列写明缺什么",
    "not_applicable": "本地区没有相关单位（分母为0）",
}
_ACCESS_MEANING = {
    "covered": "在服务标准时间内可到达最近站点",
    "beyond_threshold": "可到达，但超出服务标准时间",
    "unreachable": "沿道路无法到达任何站点",
    "off_network": "离最近的道路过远，无法按路网计算",
    "no_site": "该服务还没有已建站点",
}
_REASON_MEANING = {
    "quota": "所在乡镇（街道）达标需要，不新增覆盖人口",
    "coverage": "新增服务标准时间内覆盖的人口",
    "both": "既为乡镇（街道）达标所需，又新增覆盖人口",
    "count": "既不影响达标也不新增覆盖，为达到设定的新建总数而增补",
}


def _pictures(maps: Mapping[str, list[Path]]) -> dict[str, list[tuple[str, Path]]]:
    """The static map PNGs by the section they illustrate ("other" for unknown sheets)."""
    out: dict[str, list[tuple[str, Path]]] = {}
    pngs = {p.stem: p for paths in maps.values() for p in paths if p.suffix == ".png"}

    def sheet(stem: str) -> tuple[str, int]:
        """``("suggestions", 2)`` for the continuation page ``suggestions_2``."""
        base, _, page = stem.rpartition("_")
        return (base, int(page)) if page.isdigit() and base in _FIGURES else (stem, 1)

    order = list(_FIGURES)
    for stem in sorted(pngs, key=lambda s: (order.index(sheet(s)[0]) if sheet(s)[0] in order
                                            else len(order), sheet(s))):
        base, page = sheet(stem)
        caption, where = _FIGURES.get(base, (stem, "other"))
        if page > 1:
            caption = f"{caption}（续{page - 1}）"
        out.setdefault(where, []).append((caption, pngs[stem]))
    return out


def _overview(region: Region, gaps: GapResult, access: AccessResult,
              suggestion: SuggestResult) -> tuple[str, ...]:
    paras = list(p_gaps.report_overview(gaps))
    shares = [f"“{s.service_name}”覆盖全县{float(s.county.iloc[0]['covered_share']) * 100:.1f}%"
              "的人口" for s in access.services]
    if shares:
        paras.append("服务可达性方面，" + "，".join(shares) + "。")
    if suggestion.feasible:
        paras.append(p_suggest.reconciliation_sentence(suggestion))
    else:
        paras.append("新建站点测算在现有条件下无可行方案，原因和调整建议见建议新建站点部分。")
    if region.approximate_townships:
        paras.append("本地区未提供乡镇（街道）边界，各乡镇（街道）范围按村（社区）代码和点位推算，"
                     "图中为示意范围（非法定界线）。")
    return tuple(paras)


def _notes_section(region: Region, gaps: GapResult, access: AccessResult,
                   suggestion: SuggestResult, extra: list[tuple[str, Path]]) -> ReportSection:
    prov = region.provenance
    data = (f"本报告数据截至{date_zh(prov.data_date) if prov.data_date else '（未注明日期）'}，"
            f"来源为{prov.source or '（未注明）'}。各项完成率按台账逐个单位统计；"
            "没有坐标的单位计入完成率，不参与可达性和选址测算。")
    paras = [data]
    if region.approximate_townships:
        paras.append("本地区未提供乡镇（街道）边界，各乡镇（街道）范围按村（社区）代码和点位推算，"
                     "图中乡镇（街道）范围为示意范围（非法定界线），不作为界线依据。")
    paras += [p_access.method_sentence(access), p_suggest.method_sentence(suggestion)]
    warnings = [p for p in region.problems if p.severity == "warning"]
    if warnings:
        paras.append(f"读入数据时发现 {len(warnings)} 处需要核对的情况（如坐标缺失、边界缝隙、"
                     "代码与所在乡镇不一致等），均已按规则处理并逐条列在成果表格"
                     "“数据检查提示”表中，请核对原始台账。")
    subs = [ReportSection("数据来源与计算方法", paragraphs=tuple(paras)),
            ReportSection("评估指标及政策依据", table=p_gaps.citation_table(gaps),
                          table_title="评估指标、目标及政策依据", max_rows=200)]
    if extra:
        subs.append(ReportSection("其他图件", pictures=tuple(extra)))
    return ReportSection("有关说明", subsections=tuple(subs))


def report_content(region: Region, gaps: GapResult, access: AccessResult,
                   suggestion: SuggestResult, maps: Mapping[str, list[Path]],
                   scenario: str | None) -> ReportContent:
    """What the report says, from the stage results and the written map pictures."""
    pictures = _pictures(maps)
    prov = region.provenance
    author = prov.organisation or "未注明"
    meta: tuple[tuple[str, str], ...] = (
        ("编制单位", author),
        ("数据截至", date_zh(prov.data_date) if prov.data_date else "未注明"),
        ("编制日期", date_zh(datetime.now().date().isoformat())),
    )
    if scenario:
        meta += (("测算方案", scenario),)
    sections = (
        ReportSection("总体情况", paragraphs=_overview(region, gaps, access, suggestion),
                      pictures=tuple(pictures.get("overview", ()))),
        p_gaps.section(gaps, pictures=pictures.get("gaps", ())),
        p_access.section(access, pictures=pictures.get("access", ())),
        p_suggest.section(suggestion, pictures=pictures.get("suggest", ())),
        _notes_section(region, gaps, access, suggestion, pictures.get("other", [])),
    )
    return ReportContent(
        title=f"{region.name}\n社会心理服务体系建设评估报告",
        subtitle="建成率、可达性与新建站点建议",
        meta=meta, sections=sections, author=author,
        links=(("打开社会心理服务资源一张图（交互式地图）", "maps/resource_map.html"),),
    )


def _config_inputs(cfg: RegionConfig) -> list[Path]:
    paths: list[Path] = []
    if cfg.path is not None:
        paths.append(Path(cfg.path))
    paths += [a.file for a in cfg.admin]
    for lc in cfg.layers.values():
        paths.append(lc.file)
        if lc.ledger is not None:
            paths.append(lc.ledger.file)
    if cfg.access.network is not None:
        paths.append(cfg.access.network)
    return list(dict.fromkeys(Path(p) for p in paths))


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _jsonable(obj: object) -> object:
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))


def write_run_record(cfg: RegionConfig, folder: Path, started: datetime,
                     timings: Mapping[str, float], scenario: str | None,
                     outcome: Mapping[str, Any] | None = None,
                     problems: Sequence[Problem] = ()) -> Path:
    """``run.json``: inputs with checksums, config, versions, timings, the warnings found
    while loading, the outcome and the outputs with checksums."""
    inputs = [{"path": str(p), "bytes": p.stat().st_size, "sha256": sha256_file(p)}
              for p in _config_inputs(cfg) if p.is_file()]
    outputs = [{"path": str(p.relative_to(folder)), "bytes": p.stat().st_size,
                "sha256": sha256_file(p)} for p in sorted(folder.rglob("*")) if p.is_file()]
    record = {
        "tool": "coverage",
        "command": sys.argv,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "region": {"name": cfg.region.name, "code": cfg.region.code},
        "scenario": scenario,
        "config_file": str(cfg.path) if cfg.path else None,
        "config": _jsonable(cfg.raw),
        "inputs": inputs,
        "versions": _versions(),
        "platform": platform.platform(),
        "timings_s": dict(timings),
        "outcome": dict(outcome or {}),
        "warnings": [{"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
                      "cell": p.cell, "value": None if p.value is None else str(p.value),
                      "message": p.message, "fix": p.fix, "code": p.code}
                     for p in problems],
        "outputs": outputs,
    }
    return write_json(record, folder / "run.json")


def comparison_row(name: str, gaps: GapResult, access: AccessResult,
                   suggestion: SuggestResult) -> dict[str, Any]:
    """One scenario's headline figures for ``coverage compare``."""
    from coverage.vocabulary import GAP_STATUS

    county = gaps.county()
    counts = county["status"].value_counts()
    row: dict[str, Any] = {"方案": name}
    row[f"{GAP_STATUS.label('met')}指标数"] = int(counts.get("met", 0))
    row[f"{GAP_STATUS.label('unmet')}指标数"] = int(counts.get("unmet", 0))
    row["指标缺口合计"] = int(county["shortfall"].fillna(0).sum())
    for svc in access.services:
        c = svc.county.iloc[0]
        row[f"{svc.service_name}覆盖率"] = f"{c['covered_share'] * 100:.1f}%"
    row.update(p_suggest.headline(suggestion))
    return row
