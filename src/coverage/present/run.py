"""The run's own outputs: the tables workbook, the report's content and ``run.json``.

Composes the per-stage presentation modules (:mod:`~coverage.present.gaps`,
:mod:`~coverage.present.access`, :mod:`~coverage.present.suggest`) into the files of one
output folder.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from coverage.access import AccessResult
from coverage.config import RegionConfig
from coverage.outputs import sha256_file, write_json
from coverage.present import access as p_access
from coverage.present import gaps as p_gaps
from coverage.present import suggest as p_suggest
from coverage.present.report import ReportContent, ReportSection
from coverage.present.workbook import SheetSpec, write_workbook
from coverage.region import Region
from coverage.suggest import SuggestResult
from coverage.targets import GapResult

__all__ = ["comparison_row", "report_content", "write_run_record", "write_tables"]

_PACKAGES = ("coverage-planner", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj",
             "pyogrio", "osmnx", "networkx", "highspy", "folium", "matplotlib", "openpyxl",
             "python-docx")

_CAPTIONS = {
    "facilities": "服务站点现状分布",
    "completion": "各乡镇（街道）建成率与目标对比",
    "access": "服务可达性与未覆盖村（社区）",
    "suggest": "建议新建站点与建设顺序",
}


def write_tables(gaps: GapResult, access: AccessResult, suggestion: SuggestResult,
                 out: Path) -> dict[str, Path]:
    """Every stage's CSV files and the one ``tables.xlsx`` workbook."""
    files: dict[str, Path] = {}
    files.update({f"gaps_{k}": v for k, v in p_gaps.write_tables(gaps, out).items()})
    for p in p_access.write_tables(access, out):
        files[p.stem] = p
    for p in p_suggest.write_tables(suggestion, out):
        files[p.stem] = p
    sheets: dict[str, SheetSpec] = {**p_gaps.sheets(gaps), **p_access.sheets(access),
                                    **p_suggest.sheets(suggestion)}
    files["tables"] = write_workbook(sheets, out / "tables.xlsx")
    return files


def _sheet_caption(stem: str) -> str:
    for key, cap in _CAPTIONS.items():
        if key in stem:
            return cap
    return stem


def report_content(region: Region, gaps: GapResult, access: AccessResult,
                   suggestion: SuggestResult, maps: Mapping[str, list[Path]],
                   scenario: str | None) -> ReportContent:
    """What the report says, from the stage results and the written map pictures."""
    pngs = {p.stem: p for paths in maps.values() for p in paths if p.suffix == ".png"}
    pictures = tuple((_sheet_caption(stem), p) for stem, p in sorted(pngs.items()))
    preset = gaps.preset
    preset_title = f"《{preset.name}》" + (f"（{preset.document}）" if preset.document else "")
    paragraphs: tuple[str, ...] = (
        p_gaps.overview_sentence(gaps),
        p_access.uncovered_sentence(access),
        p_suggest.summary_text(suggestion),
    )
    if region.approximate_townships:
        paragraphs += ("本地区未提供乡镇（街道）边界，各乡镇范围按村（社区）代码和点位推算，"
                       "地图上为示意范围（非法定界线）。",)
    prov = region.provenance
    meta = (
        ("地区", f"{region.name}（{region.code}）"),
        ("数据日期", prov.data_date or "未注明"),
        ("数据来源", prov.source or "未注明"),
        ("编制单位", prov.organisation or "未注明"),
        ("指标依据", preset_title),
        ("情景", scenario or "基准方案"),
        ("生成时间", datetime.now().strftime("%Y-%m-%d %H:%M")),
    )
    sections = (
        ReportSection("总体情况", paragraphs=paragraphs),
        *p_gaps.section(gaps),
        p_access.section(access),
        *p_suggest.section(suggestion),
        ReportSection("专题图", pictures=pictures),
    )
    return ReportContent(
        title=f"{region.name}社会心理服务体系建设评估报告",
        subtitle="建成率、可达性与新建站点建议",
        meta=meta, sections=sections,
        footer="所有数字可由 run.json 中记录的输入文件和配置复现。",
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
                     outcome: Mapping[str, Any] | None = None) -> Path:
    """``run.json``: inputs with checksums, config, versions, timings, outputs, outcome."""
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
