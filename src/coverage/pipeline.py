"""The planner's workflow end to end: validate → gaps → access → suggest → maps → report.

This module only composes: each stage is a function of the region, its own config section
and the upstream results (:func:`analyse_gaps`, :func:`build_access` + :func:`analyse_access`,
:func:`suggest`), and the presentation layer (:mod:`coverage.present`, :mod:`coverage.maps`)
turns the results into files and text.  Scenario overrides are applied once, to the config,
before any stage runs.

:func:`run` writes one tidy output folder::

    OUT/
      maps/      resource_map.html (the 资源一张图), static sheets as PNG/SVG/PDF
      tables/    tables.xlsx (one sheet per table, Chinese headers) and the same as CSV
      report.html, report.docx
      run.json   inputs with checksums, config, versions, timings, outputs with checksums

Everything is written into a staging folder beside ``OUT`` and moved into place at the end,
so a failed run leaves no half-written folder and a previous run is never destroyed silently;
an OS lock lets one run at a time write a folder, and what killed runs left is cleaned up by
the next one (see :mod:`coverage._outdir`).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from coverage._outdir import OutputLock, locked_target
from coverage.access import AccessContext, AccessResult, compute_access
from coverage.config import RegionConfig, apply_scenario, load_config
from coverage.load import load_region
from coverage.outputs import write_csv
from coverage.present import access as p_access
from coverage.present import gaps as p_gaps
from coverage.present import run as p_run
from coverage.present import suggest as p_suggest
from coverage.present._text import frame_text
from coverage.present.maps import map_layers
from coverage.present.report import write_docx_report, write_html_report
from coverage.present.workbook import SheetSpec, write_workbook
from coverage.problems import Problem
from coverage.reference import ReferenceLayers, reference_layers_from_osm
from coverage.region import Region
from coverage.suggest import SuggestResult, suggest_sites
from coverage.targets import GapResult, gaps_for_region

__all__ = [
    "CompareResult",
    "RunResult",
    "StageEvent",
    "access_stage",
    "analyse_access",
    "analyse_gaps",
    "build_access",
    "compare",
    "gaps_stage",
    "map_stage",
    "run",
    "suggest",
    "suggest_stage",
]

log = logging.getLogger(__name__)
Echo = Callable[[str], None]
#: receives the warnings found while loading the region (the CLI prints them grouped)
Warn = Callable[[Sequence[Problem]], None]


# ------------------------------------------------------------------------------ stages


def _config(config: RegionConfig | str | Path, scenario: str | None = None) -> RegionConfig:
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    return apply_scenario(cfg, scenario) if scenario else cfg


def analyse_gaps(region: Region, config: RegionConfig, *, preset: str | None = None
                 ) -> GapResult:
    """The gaps stage: completion rates against ``config.targets`` (or ``preset``)."""
    return gaps_for_region(region, config.targets, preset=preset)


def build_access(region: Region, config: RegionConfig, *,
                 neighbour_sites: gpd.GeoDataFrame | None = None) -> AccessContext:
    """The run's access context: points stacked, roads read and attached once; in a batch
    run with the other counties' sites near the border (:mod:`coverage.access.neighbours`)."""
    return AccessContext.build(region, config.access, neighbour_sites=neighbour_sites)


def analyse_access(region: Region, config: RegionConfig, *,
                   context: AccessContext | None = None) -> AccessResult:
    """The access stage: travel times and coverage for every ``[[access.services]]``."""
    return compute_access(region, config.access, context=context)


def suggest(region: Region, config: RegionConfig, *, context: AccessContext, gaps: GapResult,
            **options: Any) -> SuggestResult:
    """The suggest stage on ``config.optimize``; ``options`` override its values."""
    return suggest_sites(region, config.optimize, context=context, gaps=gaps, **options)


def gaps_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
               preset: str | None = None, out: Path | None = None,
               echo: Echo | None = None, warn: Warn | None = None) -> GapResult:
    """``coverage gaps``: print the planner's table; write the tables when ``out`` is set."""
    cfg = _config(config)
    region = load_region(cfg, strict=strict)
    if warn is not None and region.problems:
        warn(region.problems)
    result = analyse_gaps(region, cfg, preset=preset)
    if echo:
        echo(p_gaps.text(result))
    if out is not None:
        files = p_gaps.write_tables(result, out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(p) for p in files.values())}")
    return result


def access_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
                 out: Path | None = None, echo: Echo | None = None,
                 warn: Warn | None = None) -> AccessResult:
    """``coverage access``: coverage per service and township; tables when ``out`` is set."""
    cfg = _config(config)
    region = load_region(cfg, strict=strict)
    if warn is not None and region.problems:
        warn(region.problems)
    result = analyse_access(region, cfg)
    if echo:
        echo(p_access.text(result))
    if out is not None:
        files = p_access.write_tables(result, out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(p) for p in files)}")
    return result


def suggest_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
                  model: str | None = None, p: int | None = None, service: str | None = None,
                  time_limit: float | None = None, budget: float | None = None,
                  force: Sequence[str] | None = None, exclude: Sequence[str] | None = None,
                  out: Path | None = None, echo: Echo | None = None,
                  warn: Warn | None = None) -> SuggestResult:
    """``coverage suggest``: where to build next; tables when ``out`` is set."""
    cfg = _config(config)
    region = load_region(cfg, strict=strict)
    if warn is not None and region.problems:
        warn(region.problems)
    gaps = analyse_gaps(region, cfg)
    result = suggest(region, cfg, context=build_access(region, cfg), gaps=gaps, model=model,
                     p=p, service=service, time_limit=time_limit, budget=budget, force=force,
                     exclude=exclude)
    if echo:
        echo(p_suggest.text(result))
    if out is not None:
        files = p_suggest.write_tables(result, out)
        if echo:
            echo(f"\n✓ 已写出 written: {', '.join(str(f) for f in files)}")
    return result


def map_stage(config: RegionConfig | str | Path, *, strict: bool | None = None,
              out: Path, per_township: bool = False, echo: Echo | None = None,
              warn: Warn | None = None) -> dict[str, list[Path]]:
    """``coverage map``: the 资源一张图 and the static sheets, with every stage's results.

    ``per_township`` adds one A4 sheet per township (``township_CODE.*``).
    """
    cfg = _config(config)
    region = load_region(cfg, strict=strict)
    if warn is not None and region.problems:
        warn(region.problems)
    ctx = build_access(region, cfg)
    gaps = analyse_gaps(region, cfg)
    access = analyse_access(region, cfg, context=ctx)
    sug = suggest(region, cfg, context=ctx, gaps=gaps)
    files = _write_maps(region, cfg, gaps, access, sug, Path(out), per_township=per_township)
    if echo:
        for kind, paths in files.items():
            echo(f"✓ {kind}: {', '.join(str(p) for p in paths)}")
    return files


def _write_maps(region: Region, cfg: RegionConfig, gaps: GapResult | None,
                access: AccessResult | None, suggestion: SuggestResult | None,
                out: Path, *, per_township: bool = False, static: bool = True
                ) -> dict[str, list[Path]]:
    from coverage.maps import write_interactive_map, write_static_maps, write_township_sheets

    out.mkdir(parents=True, exist_ok=True)
    layers = map_layers(region, gaps, access, suggestion, config=cfg.map,
                        reference=_reference(region, cfg))
    html = write_interactive_map(layers, out / "resource_map.html", basemap=cfg.map.basemap,
                                 tianditu_key=cfg.map.tianditu_key)
    if not static:
        return {"interactive": [html]}
    sheets = write_static_maps(layers, out, locator=cfg.map.locator_file)
    if per_township:
        sheets = {**sheets, **write_township_sheets(layers, out)}
    return {"interactive": [html], **{k: list(v) for k, v in sheets.items()}}


def _reference(region: Region, cfg: RegionConfig) -> ReferenceLayers | None:
    """Roads, water and place names from the run's own OSM file (None without one)."""
    if cfg.access.network is None:
        return None
    clip = shapely.union_all(region.county.geometry.to_numpy())
    return reference_layers_from_osm(cfg.access.network, clip=clip,
                                     metric_crs=region.metric_crs)


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


@dataclass(frozen=True)
class StageEvent:
    """A stage of :func:`run` starting or finishing (for a progress display elsewhere).

    ``stage`` is a code (``validate``, ``network``, ``gaps``, ``access``, ``suggest``,
    ``maps``, ``report``); ``state`` is ``start`` or ``done``; ``done``/``total`` count the
    finished stages; ``seconds`` is the stage's time when it is done.
    """

    stage: str
    state: str
    done: int
    total: int
    seconds: float


StageCallback = Callable[[StageEvent], None]


class _Progress:
    """Stage progress on a terminal (rich); silent when not a TTY, in CI or when quiet."""

    def __init__(self, enabled: bool, total: int,
                 on_stage: StageCallback | None = None) -> None:
        self.enabled = enabled and sys.stderr.isatty() and not os.environ.get("CI")
        self.on_stage = on_stage
        self.total = total
        self.done = 0
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
        if self.on_stage is not None:
            self.on_stage(StageEvent(name, "start", self.done, self.total, 0.0))
        log.info("stage %s: start", name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)
        self.done += 1
        log.info("stage %s: %.2f s", name, self.timings[name])
        if self._bar is not None:
            self._bar.advance(self._task)
        if self.on_stage is not None:
            self.on_stage(StageEvent(name, "done", self.done, self.total, self.timings[name]))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def run(config: RegionConfig | str | Path, *, out: Path | str | None = None,
        overwrite: bool = False, strict: bool | None = None, scenario: str | None = None,
        progress: bool = False, on_stage: StageCallback | None = None,
        light: bool = False, neighbour_sites: gpd.GeoDataFrame | None = None) -> RunResult:
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
    on_stage
        Called with a :class:`StageEvent` as each stage starts and finishes (e.g. a web
        page's live progress).
    light
        Leave out the static map sheets and the report (the slow part): the folder holds
        the tables, the interactive map and ``run.json`` (a batch's ``county_outputs =
        "light"``).
    neighbour_sites
        A batch run's sites of the other counties near the border (see
        :meth:`coverage.access.AccessContext.build`); None: the county alone.
    """
    started = datetime.now().astimezone()
    cfg = _config(config, scenario)
    bar = _Progress(progress, total=7, on_stage=on_stage)
    # one writer per output folder: a second run on the same folder fails here, at once
    with closing(bar), OutputLock(Path(out or "coverage-output")) as lock:
        with bar.stage("validate", "数据检查 validate"):
            region = load_region(cfg, strict=strict)
        # only a valid region gets an output folder; it is written into a staging folder
        # beside it and moved into place at the end
        with lock.staged(overwrite=overwrite) as (target, staging):
            (staging / "tables").mkdir()
            (staging / "maps").mkdir()
            with bar.stage("network", "读取路网 road network"):
                ctx = build_access(region, cfg, neighbour_sites=neighbour_sites)
            with bar.stage("gaps", "指标缺口 gaps"):
                gaps = analyse_gaps(region, cfg)
            with bar.stage("access", "可达性 access"):
                access = analyse_access(region, cfg, context=ctx)
            with bar.stage("suggest", "选址优化 suggest"):
                sug = suggest(region, cfg, context=ctx, gaps=gaps)
            with bar.stage("maps", "地图 maps"):
                maps = _write_maps(region, cfg, gaps, access, sug, staging / "maps",
                                   static=not light)
            with bar.stage("report", "表格 tables" if light else "报告 report"):
                p_run.write_tables(gaps, access, sug, staging / "tables", region=region)
                if not light:
                    content = p_run.report_content(region, gaps, access, sug, maps, scenario)
                    write_html_report(content, staging / "report.html")
                    write_docx_report(content, staging / "report.docx")
            p_run.write_run_record(cfg, staging, started, bar.timings, scenario,
                                   outcome={"suggest_feasible": sug.feasible,
                                            "solver_status": sug.solver.status},
                                   problems=region.problems)
    files = {str(p.relative_to(target)): p for p in sorted(target.rglob("*")) if p.is_file()}
    return RunResult(out_dir=target, region=region, gaps=gaps, access=access, suggestion=sug,
                     files=files, timings=dict(bar.timings))


# ------------------------------------------------------------------------------ compare


@dataclass(frozen=True)
class CompareResult:
    """Side-by-side figures of the base run and every scenario."""

    table: pd.DataFrame
    text: str
    out_dir: Path
    #: scenarios (``None`` = the base run) whose suggest stage found no feasible plan
    infeasible: tuple[str | None, ...] = ()


def compare(config: RegionConfig | str | Path, *, out: Path | str | None = None,
            overwrite: bool = False, strict: bool | None = None,
            progress: bool = False) -> CompareResult:
    """Run the base configuration and each ``[scenarios.NAME]``; compare the headline figures.

    Each run gets its own subfolder (``base/``, ``NAME/``); ``comparison.xlsx`` and
    ``comparison.csv`` hold the side-by-side table.
    """
    cfg = _config(config)
    with OutputLock(Path(out or "coverage-compare")) as lock, \
            locked_target(lock, overwrite=overwrite) as target:
        names: list[str | None] = [None, *cfg.scenarios]
        rows = []
        infeasible: list[str | None] = []
        for name in names:
            sub = target / (name or "base")
            res = run(cfg, out=sub, overwrite=True, strict=strict, scenario=name,
                      progress=progress)
            rows.append(p_run.comparison_row(name or "基准方案", res.gaps, res.access,
                                             res.suggestion))
            if not res.suggestion.feasible:
                infeasible.append(name)
        table = pd.DataFrame(rows)
        write_csv(table, target / "comparison.csv")
        write_workbook({"方案对比": SheetSpec(table)}, target / "comparison.xlsx")
    return CompareResult(table=table, text=frame_text(table), out_dir=target,
                         infeasible=tuple(infeasible))
