"""The planner's workflow end to end: validate → gaps → access → suggest → maps → report.

:func:`run` writes one tidy output folder::

    OUT/
      maps/      resource_map.html (the 资源一张图), static sheets as PNG/SVG/PDF
      tables/    tables.xlsx (one sheet per table, Chinese headers) and the same as CSV
      report.html, report.docx
      run.json   inputs with checksums, config, versions, timings, outputs with checksums

Everything is written into a staging folder beside ``OUT`` and moved into place at the end,
so a failed run leaves no half-written folder and a previous run is never destroyed silently
(see :mod:`coverage._outdir`).  Each stage is also a function of its own (``analyse_gaps``,
``analyse_access``, ``suggest`` …) for the CLI stages and the notebook.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from coverage._outdir import prepare_output_dir, replace_dir
from coverage._text import frame_text
from coverage._xlsx import SheetSpec, write_workbook
from coverage.access import AccessResult, compute_access, load_graphs, write_access_tables
from coverage.config import RegionConfig, load_config
from coverage.io import sha256_file, write_csv, write_json
from coverage.region import Region, load_region
from coverage.report import (
    ReportContent,
    ReportSection,
    frame_for_report,
    write_docx_report,
    write_html_report,
)
from coverage.suggest import SuggestResult, suggest_sites
from coverage.targets import (
    GapResult,
    format_gaps_text,
    gaps_for_region,
    write_gaps,
)

__all__ = [
    "CompareResult",
    "RunResult",
    "access_stage",
    "analyse_access",
    "analyse_gaps",
    "compare",
    "gaps_stage",
    "map_layers",
    "map_stage",
    "run",
    "suggest_stage",
]

log = logging.getLogger(__name__)
Echo = Callable[[str], None]

_PACKAGES = ("coverage-planner", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj",
             "pyogrio", "osmnx", "networkx", "highspy", "folium", "matplotlib", "openpyxl",
             "python-docx")


# ------------------------------------------------------------------------------ stages


def _config(config: RegionConfig | str | Path, scenario: str | None = None) -> RegionConfig:
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    return cfg.with_scenario(scenario) if scenario else cfg


def analyse_gaps(region: Region, *, preset: str | None = None) -> GapResult:
    """Completion rates against the region's target preset (or ``preset``)."""
    return gaps_for_region(region, preset=preset)


def analyse_access(region: Region, *, graphs: Mapping[str, Any] | None = None) -> AccessResult:
    """Travel times and coverage for every configured service."""
    assert region.config is not None, "analyse_access needs a region loaded from a config"
    return compute_access(region, region.config.access, graphs=graphs)


def gaps_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
               preset: str | None = None, out: Path | None = None,
               echo: Echo | None = None) -> GapResult:
    """``coverage gaps``: print the planner's table; write the tables when ``out`` is set."""
    region = load_region(_config(config), strict=strict)
    result = analyse_gaps(region, preset=preset)
    if echo:
        echo(format_gaps_text(result))
    if out is not None:
        files = write_gaps(result, out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(p) for p in files.values())}")
    return result


def access_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
                 out: Path | None = None, echo: Echo | None = None) -> AccessResult:
    """``coverage access``: coverage per service and township; tables when ``out`` is set."""
    region = load_region(_config(config), strict=strict)
    result = analyse_access(region)
    if echo:
        echo(_access_text(result))
    if out is not None:
        files = write_access_tables(result, out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(p) for p in files)}")
    return result


def suggest_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
                  model: str | None = None, p: int | None = None, service: str | None = None,
                  time_limit: float | None = None, budget: float | None = None,
                  out: Path | None = None, echo: Echo | None = None) -> SuggestResult:
    """``coverage suggest``: where to build next; tables when ``out`` is set."""
    region = load_region(_config(config), strict=strict)
    gaps = analyse_gaps(region)
    result = suggest_sites(region, gaps=gaps, model=model, p=p, service=service,
                           time_limit=time_limit, budget=budget)
    if echo:
        echo(result.text())
    if out is not None:
        files = result.write_tables(out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(f) for f in files)}")
    return result


def map_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
              out: Path, echo: Echo | None = None) -> dict[str, list[Path]]:
    """``coverage map``: the 资源一张图 and the static sheets, with every stage's results."""
    cfg = _config(config)
    region = load_region(cfg, strict=strict)
    graphs = load_graphs(region, cfg.access)
    gaps = analyse_gaps(region)
    access = analyse_access(region, graphs=graphs)
    sug = suggest_sites(region, gaps=gaps, graphs=graphs)
    files = _write_maps(region, gaps, access, sug, Path(out))
    if echo:
        for kind, paths in files.items():
            echo(f"✓ {kind}: {', '.join(str(p) for p in paths)}")
    return files


# ------------------------------------------------------------------------------ map wiring


def map_layers(region: Region, gaps: GapResult | None, access: AccessResult | None,
               suggestion: SuggestResult | None) -> Any:
    """Assemble the :class:`coverage.maps.MapLayers` from the stage results."""
    from coverage.maps import MapInfo, MapLayers

    rates = county = None
    headline = None
    if gaps is not None:
        rates, county = _rate_frames(gaps)
        headline = _headline_indicator(gaps)
    demand = isochrones = None
    if access is not None and access.services:
        svc = access.services[0]
        pts = svc.points.copy()
        pts["service_name"] = svc.service_name
        pts["dist_m"] = pts["walk_m"].where(pts["mode"] == "walk", pts["drive_m"])
        pts["access_status"] = pts["status"]
        demand = gpd.GeoDataFrame(pts, geometry="geometry", crs="EPSG:4326")
        isochrones = access.isochrones
    suggestions = suggestion.sites if suggestion is not None and len(suggestion.sites) else None
    title = region.config.map.title if region.config is not None else ""
    return MapLayers(region=region, info=MapInfo.for_region(region, title=title or None),
                     township_rates=rates, headline_indicator=headline, county_rates=county,
                     demand=demand, isochrones=isochrones, suggestions=suggestions)


def _headline_indicator(gaps: GapResult) -> str | None:
    """The indicator the maps colour townships by: the first rate indicator with data."""
    t = gaps.table
    rows = t[(t["unit_level"] == "township") & (t["kind"] == "rate") & (t["status"] != "无数据")]
    return None if rows.empty else str(rows["indicator_id"].iloc[0])


def _rate_frames(gaps: GapResult) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Township rows of every rate indicator, and the county row of every indicator."""
    t = gaps.table
    towns = t[(t["unit_level"] == "township") & (t["kind"] == "rate")]
    cols = ["indicator_id", "indicator_name", "rate", "target", "numerator", "denominator",
            "shortfall", "status", "citation"]
    town = None
    if len(towns):
        town = pd.DataFrame({
            "township_code": towns["unit_code"].astype(str).to_numpy(),
            **{c: towns[c].to_numpy() for c in cols},
        })
        for c in ("rate", "target"):
            town[c] = pd.to_numeric(town[c], errors="coerce")
    county_rows = t[t["unit_level"] == "county"]
    county = pd.DataFrame({c: county_rows[c].to_numpy() for c in ["kind", *cols]})
    for c in ("rate", "target"):
        county[c] = pd.to_numeric(county[c], errors="coerce")
    return town, county


def _write_maps(region: Region, gaps: GapResult | None, access: AccessResult | None,
                suggestion: SuggestResult | None, out: Path) -> dict[str, list[Path]]:
    from coverage.maps import write_interactive_map, write_static_maps

    out.mkdir(parents=True, exist_ok=True)
    layers = map_layers(region, gaps, access, suggestion)
    cfg = region.config
    html = write_interactive_map(
        layers, out / "resource_map.html",
        basemap=cfg.map.basemap if cfg else "none",
        tianditu_key=cfg.map.tianditu_key if cfg else "",
    )
    static = write_static_maps(layers, out)
    return {"interactive": [html], **{k: list(v) for k, v in static.items()}}


# ------------------------------------------------------------------------------ run


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` produced."""

    out_dir: Path
    region: Region
    gaps: GapResult
    access: AccessResult
    suggestion: SuggestResult
    files: Mapping[str, Path]
    timings: Mapping[str, float] = field(default_factory=dict)


class _Progress:
    """Stage progress on a terminal (rich); silent when not a TTY, in CI or when quiet."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.timings: dict[str, float] = {}
        self._bar: Any = None
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TimeElapsedColumn(), transient=False)
            self._task = self._bar.add_task("coverage", total=total)
            self._bar.start()

    @contextmanager
    def stage(self, name: str, label: str) -> Iterator[None]:
        if self._bar is not None:
            self._bar.update(self._task, description=label)
        log.info("stage %s: start", name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)
        log.info("stage %s: %.2f s", name, self.timings[name])
        if self._bar is not None:
            self._bar.advance(self._task)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def run(config: RegionConfig | str | Path, *, out: Path | str | None = None,
        overwrite: bool = False, strict: bool | None = None, scenario: str | None = None,
        progress: bool = False) -> RunResult:
    """Run every stage and write the output folder (see the module docstring).

    Parameters
    ----------
    config
        Region config or TOML path.
    out
        Output folder (default ``coverage-output``).  An existing non-empty folder is kept and
        a timestamped sibling is used, unless ``overwrite``.
    overwrite
        Replace ``out`` (only once the new run has finished).
    strict
        Treat warnings as errors.
    scenario
        Apply ``[scenarios.NAME]`` of the config.
    progress
        Show a progress bar on a terminal.
    """
    started = datetime.now().astimezone()
    cfg = _config(config, scenario)
    bar = _Progress(progress, total=7)
    try:
        with bar.stage("validate", "数据检查 validate"):
            region = load_region(cfg, strict=strict)
    except BaseException:
        bar.close()
        raise
    # only a valid region gets an output folder
    target = prepare_output_dir(Path(out or "coverage-output"), overwrite=overwrite)
    staging = target.with_name(f".{target.name}.staging-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "tables").mkdir(parents=True)
    (staging / "maps").mkdir()
    try:
        with bar.stage("network", "读取路网 road network"):
            graphs = load_graphs(region, cfg.access)
        with bar.stage("gaps", "指标缺口 gaps"):
            gaps = analyse_gaps(region)
        with bar.stage("access", "可达性 access"):
            access = analyse_access(region, graphs=graphs)
        with bar.stage("suggest", "选址优化 suggest"):
            sug = suggest_sites(region, gaps=gaps, graphs=graphs)
        with bar.stage("maps", "地图 maps"):
            maps = _write_maps(region, gaps, access, sug, staging / "maps")
        with bar.stage("report", "报告 report"):
            tables = _write_tables(region, gaps, access, sug, staging / "tables")
            content = _report_content(region, gaps, access, sug, maps, scenario)
            write_html_report(content, staging / "report.html")
            write_docx_report(content, staging / "report.docx")
        _write_run_json(cfg, staging, started, bar.timings, scenario, tables)
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        bar.close()
    files = {str(p.relative_to(target)): p for p in sorted(target.rglob("*")) if p.is_file()}
    return RunResult(out_dir=target, region=region, gaps=gaps, access=access, suggestion=sug,
                     files=files, timings=dict(bar.timings))


# ------------------------------------------------------------------------------ tables

_GAP_LABELS = {
    "indicator_name": "指标", "scope": "考核层级", "unit_name": "单位", "numerator": "已建成",
    "denominator": "应建数", "rate": "完成率", "target": "目标", "shortfall": "缺口",
    "in_pipeline": "在建/规划", "status": "是否达标", "citation": "依据",
}
_ACCESS_LABELS = {
    "kind": "类别", "id": "代码", "name": "名称", "township_name": "乡镇/街道",
    "population": "人口", "mode": "出行方式", "threshold_min": "标准(分钟)",
    "time_min": "用时(分钟)", "walk_min": "步行(分钟)", "drive_min": "驾车(分钟)",
    "line_m": "直线距离(米)", "covered": "是否覆盖", "status": "状态",
    "access_per_100k": "每10万人服务人员(2SFCA)",
}
_ACCESS_STATUS = {"covered": "已覆盖", "beyond_threshold": "超出标准时间",
                  "unreachable": "路网不可达", "off_network": "距路网过远", "no_site": "无服务站点"}
_MODES = {"walk": "步行", "drive": "驾车"}


def _access_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Access tables with Chinese status and mode values (for workbook and report)."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).copy()
    if "status" in out:
        out["status"] = out["status"].map(lambda v: _ACCESS_STATUS.get(v, v))
    if "mode" in out:
        out["mode"] = out["mode"].map(lambda v: _MODES.get(v, v))
    return out


_TOWN_ACCESS_LABELS = {
    "township_name": "乡镇/街道", "points": "村居数", "covered_points": "覆盖村居数",
    "population": "人口", "covered_population": "覆盖人口", "covered_share": "覆盖率",
    "access_per_100k": "每10万人服务人员(2SFCA)",
}


def _write_tables(region: Region, gaps: GapResult, access: AccessResult,
                  sug: SuggestResult, out: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    files.update({f"gaps_{k}": v for k, v in write_gaps(gaps, out).items()})
    for p in write_access_tables(access, out):
        files[p.stem] = p
    for p in sug.write_tables(out):
        files[p.stem] = p
    sheets: dict[str, SheetSpec] = {
        "指标达标情况": SheetSpec(gaps.table, labels=_GAP_LABELS, percent=["rate", "target"],
                            highlight=("status", "未达标")),
        "乡镇排名": SheetSpec(gaps.ranking),
        "村居明细": SheetSpec(gaps.flags),
    }
    for svc in access.services:
        name = svc.service_name[:12]
        sheets[f"可达性-{name}"] = SheetSpec(_access_display(svc.points), labels=_ACCESS_LABELS)
        sheets[f"乡镇覆盖-{name}"] = SheetSpec(svc.townships, labels=_TOWN_ACCESS_LABELS,
                                           percent=["covered_share"])
        sheets[f"未覆盖-{name}"] = SheetSpec(_access_display(svc.uncovered),
                                          labels=_ACCESS_LABELS)
    for title, spec in sug.sheets().items():
        sheets[title] = spec
    files["tables"] = write_workbook(sheets, out / "tables.xlsx")
    return files


# ------------------------------------------------------------------------------ report


def _report_content(region: Region, gaps: GapResult, access: AccessResult, sug: SuggestResult,
                    maps: Mapping[str, list[Path]], scenario: str | None) -> ReportContent:
    cfg = region.config
    county = gaps.county()
    headline = frame_for_report(county, {
        "indicator_name": "指标", "numerator": "现状", "denominator": "总数", "rate": "完成率",
        "target": "目标", "status": "是否达标", "shortfall": "缺口", "citation": "依据"},
        percent=["rate", "target"], decimals=0)
    names = {i.id: i.name for i in gaps.preset.indicators}
    ranking = gaps.ranking.copy()
    ranking["unmet_indicators"] = ranking["unmet_indicators"].map(
        lambda v: "；".join(names.get(i, i) for i in str(v).split("、") if i) if isinstance(v, str)
        else "")
    ranking = frame_for_report(ranking, {
        "rank": "排名", "township_name": "乡镇/街道", "site_shortfall": "站点缺口合计",
        "staff_shortfall": "人员缺口合计", "unmet_binding": "未达标考核指标数",
        "unmet_indicators": "未达标指标"}, decimals=0)
    uncovered = pd.concat([_access_display(svc.uncovered).assign(service=svc.service_name)
                           for svc in access.services], ignore_index=True)
    unc = frame_for_report(uncovered, {
        "service": "服务", "name": "村（社区）", "township_name": "乡镇/街道",
        "population": "人口", "time_min": "用时(分钟)", "threshold_min": "标准(分钟)",
        "status": "状态"}, decimals=0)
    pngs = {p.stem: p for paths in maps.values() for p in paths if p.suffix == ".png"}
    pictures = tuple((_sheet_caption(stem), p) for stem, p in sorted(pngs.items()))
    unc_text = "；".join(
        f"“{s.service_name}”{len(s.uncovered)} 个（{s.uncovered['population'].sum():,.0f} 人）"
        for s in access.services)
    met = int((county["status"] == "达标").sum())
    preset_title = f"《{gaps.preset.name}》" + (f"（{gaps.preset.document}）"
                                               if gaps.preset.document else "")
    paragraphs = (
        f"按{preset_title}评估的 {len(county)} 项指标中，全县达标 {met} 项，"
        f"未达标 {int((county['status'] == '未达标').sum())} 项，"
        f"无数据 {int((county['status'] == '无数据').sum())} 项。",
        f"可达性分析（{'路网通行时间' if access.road_network else '直线距离估算'}）："
        f"在服务标准时间内到不了最近站点的村（社区）—— {unc_text}。",
        sug.summary_text(),
    )
    meta = (
        ("地区", f"{region.name}（{region.code}）"),
        ("数据日期", (cfg.region.data_date if cfg else "") or "未注明"),
        ("数据来源", (cfg.region.source if cfg else "") or "未注明"),
        ("指标依据", preset_title),
        ("情景", scenario or "基准方案"),
        ("生成时间", datetime.now().strftime("%Y-%m-%d %H:%M")),
    )
    sections = (
        ReportSection("总体情况", paragraphs=paragraphs),
        ReportSection("指标完成情况与缺口", table=headline,
                      table_note="缺口 = 达到目标还需新增的最少数量（按向上取整计算）。"),
        ReportSection("乡镇（街道）排名", table=ranking,
                      paragraphs=("按各项指标缺口合计从大到小排列。",)),
        ReportSection("服务可达性：未覆盖的村（社区）", table=unc, max_rows=40),
        ReportSection("建议新建站点与分年度建设顺序", paragraphs=(sug.summary_text(),),
                      table=sug.report_table(), max_rows=80),
        ReportSection("专题图", pictures=pictures),
    )
    return ReportContent(
        title=f"{region.name}社会心理服务体系建设评估报告",
        subtitle="建成率、可达性与新建站点建议（coverage 自动生成）",
        meta=meta, sections=sections,
        footer="本报告由 coverage 生成；所有数字可由 run.json 中记录的输入文件和配置复现。",
        links=(("打开社会心理服务资源一张图（交互式地图）", "maps/resource_map.html"),),
    )


_CAPTIONS = {
    "facilities": "服务站点现状分布",
    "completion": "各乡镇（街道）建成率与目标对比",
    "access": "服务可达性与未覆盖村（社区）",
    "suggest": "建议新建站点与建设顺序",
}


def _sheet_caption(stem: str) -> str:
    for key, cap in _CAPTIONS.items():
        if key in stem:
            return cap
    return stem


# ------------------------------------------------------------------------------ run.json


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


def _write_run_json(cfg: RegionConfig, folder: Path, started: datetime,
                    timings: Mapping[str, float], scenario: str | None,
                    tables: Mapping[str, Path]) -> Path:
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
        "outputs": outputs,
    }
    return write_json(record, folder / "run.json")


def _jsonable(obj: object) -> object:
    return json.loads(json.dumps(obj, ensure_ascii=False, default=str))


# ------------------------------------------------------------------------------ text


def _access_text(result: AccessResult) -> str:
    lines = []
    method = ("路网通行时间 (road network)" if result.road_network
              else "直线距离估算 (straight line)")
    for svc in result.services:
        c = svc.county.iloc[0]
        lines.append(f"== {svc.service_name}（{method}）")
        lines.append(f"   覆盖人口 covered population: {c['covered_population']:,.0f} / "
                     f"{c['population']:,.0f} ({c['covered_share'] * 100:.1f}%)")
        lines.append(f"   未覆盖村（社区） uncovered: {len(svc.uncovered)}")
        worst = svc.uncovered.head(10)
        for _, r in worst.iterrows():
            t = "不可达" if pd.isna(r["time_min"]) else f"{r['time_min']:.0f} 分钟"
            lines.append(f"     - {r['township_name']} {r['name']}: "
                         f"人口 {r['population']:,.0f}, {t}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ compare


@dataclass(frozen=True)
class CompareResult:
    """Side-by-side figures of the base run and every scenario."""

    table: pd.DataFrame
    text: str
    out_dir: Path


def compare(config: RegionConfig | str | Path, *, out: Path | str | None = None,
            overwrite: bool = False, strict: bool | None = None,
            progress: bool = False) -> CompareResult:
    """Run the base configuration and each ``[scenarios.NAME]``; compare the headline figures.

    Each run gets its own subfolder (``base/``, ``NAME/``); ``comparison.xlsx`` and
    ``comparison.csv`` hold the side-by-side table.
    """
    cfg = _config(config)
    target = prepare_output_dir(Path(out or "coverage-compare"), overwrite=overwrite)
    names: list[str | None] = [None, *cfg.scenarios]
    rows = []
    for name in names:
        sub = target / (name or "base")
        res = run(cfg, out=sub, overwrite=True, strict=strict, scenario=name, progress=progress)
        rows.append(_headline_row(name or "基准方案", res))
    table = pd.DataFrame(rows)
    write_csv(table, target / "comparison.csv")
    write_workbook({"方案对比": SheetSpec(table)}, target / "comparison.xlsx")
    text = frame_text(table)
    return CompareResult(table=table, text=text, out_dir=target)


def _headline_row(name: str, res: RunResult) -> dict[str, Any]:
    county = res.gaps.county()
    row: dict[str, Any] = {"方案": name}
    row["达标指标数"] = int((county["status"] == "达标").sum())
    row["未达标指标数"] = int((county["status"] == "未达标").sum())
    row["指标缺口合计"] = int(pd.to_numeric(county["shortfall"], errors="coerce").fillna(0).sum())
    for svc in res.access.services:
        c = svc.county.iloc[0]
        row[f"{svc.service_name}覆盖率"] = f"{c['covered_share'] * 100:.1f}%"
    row.update(res.suggestion.headline())
    return row
