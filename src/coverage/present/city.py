"""The city's (or province's) outputs in words: workbook sheets, report and map words.

The roll-up (:mod:`coverage.batch.rollup`) holds codes; this module turns them into the
Chinese sheets of ``summary.xlsx`` (via :func:`coverage.present.workbook.write_workbook`),
the report's content (written by :func:`~coverage.present.report.write_html_report` and
:func:`~coverage.present.report.write_docx_report`) and the words of the city map.  It takes
the roll-up structurally (:class:`CityTables`), so it does not depend on the batch package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from coverage.present.report import ReportContent, ReportSection, date_zh, frame_for_report
from coverage.present.workbook import SheetSpec
from coverage.problems import Problem
from coverage.vocabulary import GAP_STATUS, KIND, SHORTFALL_UNIT, STATUS, SUGGEST_REASON, Terms

__all__ = ["BATCH_STATUS", "CityTables", "folder_line", "map_title", "map_words",
           "outcome_frame", "plan_line", "progress_line", "report_content", "sheets",
           "status_labels", "survey_line", "workers_line"]

#: A county's outcome in a batch.
BATCH_STATUS = Terms("batch_status", {
    "done": ("已完成", "done"),
    "skipped": ("无变化（沿用上次结果）", "up to date (skipped)"),
    "failed": ("失败", "failed"),
})

_LABELS = {
    "county_code": "区县代码", "county_name": "区县", "counties_met": "达标区县数",
    "counties_with_data": "有数据区县数", "counties": "区县数",
    "cross_border_points": "跨县服务村居数", "outcome": "运行结果", "seconds": "用时（秒）",
    "peak_memory_mb": "内存峰值（MB）", "problems": "问题数", "first_problem": "主要问题",
    "suggest_feasible": "选址有可行方案", "folder": "输出目录",
}


class CityTables(Protocol):
    """What the roll-up provides (see :class:`coverage.batch.rollup.CityRollup`)."""

    @property
    def counties(self) -> pd.DataFrame: ...

    @property
    def city(self) -> pd.DataFrame: ...

    @property
    def townships(self) -> pd.DataFrame: ...

    @property
    def access(self) -> pd.DataFrame: ...

    @property
    def sites(self) -> pd.DataFrame: ...

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


def _rate_formats(frame: pd.DataFrame) -> list[str | None]:
    return ["0.0%" if k == "rate" else "#,##0.0" for k in frame["kind"]]


def outcome_frame(outcomes: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The counties' outcomes (``batch.json`` records) as a table of codes."""
    rows = []
    for o in outcomes:
        probs: list[Problem | Mapping[str, Any]] = list(o.get("problems") or [])
        first = ""
        if probs:
            p = probs[0]
            first = p.format() if isinstance(p, Problem) else str(p.get("message", ""))
        rows.append({"county_code": o["code"], "county_name": o["name"],
                     "outcome": o["status"], "seconds": o.get("seconds"),
                     "peak_memory_mb": o.get("peak_memory_mb"), "problems": len(probs),
                     "first_problem": first or o.get("error") or "",
                     "folder": o.get("folder") or ""})
    return pd.DataFrame(rows, columns=["county_code", "county_name", "outcome", "seconds",
                                       "peak_memory_mb", "problems", "first_problem",
                                       "folder"])


def sheets(tables: CityTables, outcomes: pd.DataFrame) -> dict[str, SheetSpec]:
    """The sheets of the city's ``summary.xlsx``."""
    labels = {**_LABELS, "status": "是否达标"}
    gap = {"status": GAP_STATUS.label, "shortfall_unit": SHORTFALL_UNIT.label}
    city = tables.city
    counties = tables.counties
    return {
        "全市指标": SheetSpec(
            city.drop(columns=["kind", "per"]), labels=labels, translate=gap,
            row_formats={"rate": _rate_formats(city), "target": _rate_formats(city)},
            integer=["counties_met", "counties_with_data", "counties"],
            highlight=("status", GAP_STATUS.label("unmet")),
            description="每项指标全市汇总：各区县合计的现有数、应有数和完成率（每个村居只计一次），"
                        "达标区县数和缺口合计；各区县均达标时全市为达标"),
        "区县排名": SheetSpec(
            counties.drop(columns=["kind", "per"]), labels=labels, translate=gap,
            row_formats={"rate": _rate_formats(counties),
                         "target": _rate_formats(counties)},
            integer=["rank"], highlight=("status", GAP_STATUS.label("unmet")),
            description="每项指标各区县的完成率、是否达标、缺口和在全市的排名（完成率从高到低）"),
        "乡镇缺口": SheetSpec(
            tables.townships, labels=labels, translate=gap, percent=["rate", "target"],
            description="有缺口的乡镇（街道）及其指标和缺口"),
        "服务覆盖": SheetSpec(
            tables.access, labels=labels, percent=["covered_share"],
            integer=["points", "covered_points", "population", "covered_population",
                     "cross_border_points"],
            description="各区县和全市的服务覆盖（每个村居只计一次；跨县服务：由相邻区县站点覆盖）"),
        "建议新建站点": SheetSpec(
            tables.sites, labels={**_LABELS, "status": "建设状态"},
            translate={"kind": KIND.label, "status": STATUS.label,
                       "reason": SUGGEST_REASON.label},
            coordinate=["lon", "lat"], integer=["rank", "phase", "gain_population"],
            description="各区县建议新建的站点（按区县内建议顺序）"),
        "运行情况": SheetSpec(
            outcomes, labels=labels, translate={"outcome": BATCH_STATUS.label},
            decimal1=["seconds", "peak_memory_mb"], integer=["problems"],
            wrap=["first_problem"], highlight=("outcome", BATCH_STATUS.label("failed")),
            description="各区县的运行结果；失败的区县见其问题清单（batch.json）"),
    }


# ------------------------------------------------------------------ terminal lines


def workers_line(n: int, dashboard: str | None) -> str:
    """The cluster's size and the dashboard's address."""
    return (f"Dask: {n} 个工作进程 (workers)"
            + (f"，监控面板 dashboard: {dashboard}" if dashboard else ""))


def survey_line(n: int) -> str:
    """Counties loaded for their outlines and sites."""
    return f"读取区县边界与站点 survey: {n} 个区县 counties"


def plan_line(run: int, skipped: int) -> str:
    """How many counties run and how many are up to date."""
    return (f"区县 counties: {run} 个待计算 to run, {skipped} 个无变化跳过 skipped "
            "(up to date)")


def progress_line(code: str, name: str, status: str, *, done: int, failed: int, running: int,
                  waiting: int, seconds: float, suggest_feasible: bool | None = None) -> str:
    """One finished county, with the counts of the batch so far; a county whose suggest
    stage found no feasible plan is marked ``!`` and says so (the exit code is 3)."""
    mark = "✗" if status != "done" else ("!" if suggest_feasible is False else "✓")
    note = ("  ·  选址：无可行方案 no feasible plan (见该区县报告 see its report)"
            if status == "done" and suggest_feasible is False else "")
    return (f"{mark} {code} {name}  ·  完成 done {done}  ·  失败 failed {failed}  ·  "
            f"进行中 running {running}  ·  排队 waiting {waiting}  ({seconds:.0f} s){note}")


def folder_line(folder: object, seconds: float, *, ok: bool) -> str:
    """The batch's output folder, last."""
    return f"{'✓' if ok else '!'} 输出目录 output folder: {folder}  ({seconds:.0f} s)"


def map_title(name: str) -> str:
    """The city map's title."""
    return f"{name}社会心理服务资源一张图"


def map_words() -> dict[str, Any]:
    """The words of the city map's popups and legend."""
    from coverage.maps._style import RATE_CLASSES

    return {"open": "打开本区县的资源一张图",
            "ind_head": ["指标", "完成率", "目标", "状态", "全市排名"],
            "acc_head": ["服务", "覆盖率", "跨县服务村居"],
            "town_head": ["乡镇（街道）", "指标", "缺口"],
            "legend": {k: v[1] for k, v in RATE_CLASSES.items()}}


def status_labels(frame: pd.DataFrame) -> pd.Series:
    """A gap status column in words."""
    return frame["status"].map(GAP_STATUS.label)


def report_content(tables: CityTables, outcomes: pd.DataFrame, *, preset_name: str,
                   county_reports: Mapping[str, str]) -> ReportContent:
    """The city report: overview, indicators, ranking, coverage, suggestions, run notes."""
    city, counties = tables.city, tables.counties
    n_done = int((outcomes["outcome"] != "failed").sum())
    n_failed = int((outcomes["outcome"] == "failed").sum())
    unmet = city[city["status"] == "unmet"]
    overview = [f"本报告汇总{tables.name}{len(outcomes)}个区县的评估结果"
                + (f"（依据《{preset_name}》）" if preset_name else "") + "。"
                f"其中{n_done}个区县已完成测算" + (f"，{n_failed}个区县因数据问题未能完成，"
                                           "问题清单见“运行情况”" if n_failed else "") + "。"]
    if len(unmet):
        overview.append("全市尚未全部达标的指标有：" + "、".join(unmet["indicator_name"])
                        + "。")
    city_tbl = frame_for_report(
        city.assign(rate_text=[_rate_text(r, k) for r, k in zip(city["rate"], city["kind"],
                                                                strict=True)],
                    status_text=city["status"].map(GAP_STATUS.label),
                    met_text=[f"{m}/{n}" for m, n in zip(city["counties_met"],
                                                       city["counties_with_data"],
                                                       strict=True)]),
        {"indicator_name": "指标", "rate_text": "全市完成率", "met_text": "达标区县",
         "shortfall": "缺口合计", "status_text": "状态"}, decimals=0)
    rank = counties.pivot_table(index=["county_code", "county_name"], columns="indicator_name",
                                values="rank", aggfunc="first").reset_index()
    rank = rank.rename(columns={"county_code": "区县代码", "county_name": "区县"})
    access = tables.access
    acc_tbl = frame_for_report(access, {"service_name": "服务", "county_name": "区县",
                                        "covered_share": "覆盖率",
                                        "cross_border_points": "跨县服务村居"},
                               percent=["covered_share"], decimals=0)
    per_county = (tables.sites.groupby(["county_code", "county_name"]).size()
                  .rename("建议新建站点数").reset_index()
                  .rename(columns={"county_code": "区县代码", "county_name": "区县"})
                  if len(tables.sites) else pd.DataFrame(columns=["区县代码", "区县",
                                                                  "建议新建站点数"]))
    town_tbl = frame_for_report(tables.townships, {
        "county_name": "区县", "unit_name": "乡镇（街道）", "indicator_name": "指标",
        "shortfall": "缺口"}, decimals=0)
    run_tbl = outcomes.assign(outcome=outcomes["outcome"].map(BATCH_STATUS.label))[
        ["county_code", "county_name", "outcome", "first_problem"]].rename(
        columns={k: _LABELS[k] for k in ("county_code", "county_name", "outcome",
                                         "first_problem")})
    sections = (
        ReportSection("总体情况", paragraphs=tuple(overview)),
        ReportSection("全市指标完成情况", table=city_tbl, table_title="全市各项指标完成情况",
                      table_note="全市完成率按各区县合计计算，每个村（社区）只计一次；"
                                 "各区县均达标时全市为达标。"),
        ReportSection("区县排名", table=rank, table_title="各区县分指标排名（完成率从高到低）",
                      max_rows=200),
        ReportSection("服务覆盖", table=acc_tbl, table_title="各区县和全市服务覆盖",
                      max_rows=200),
        ReportSection("乡镇（街道）缺口", table=town_tbl, table_title="有缺口的乡镇（街道）",
                      max_rows=120),
        ReportSection("建议新建站点", table=per_county, table_title="各区县建议新建站点数",
                      table_note="各站点的位置、顺序和理由见汇总表“建议新建站点”和各区县报告。"),
        ReportSection("运行情况", table=run_tbl, table_title="各区县运行结果", max_rows=200),
    )
    links = (("打开全市一张图（交互式地图）", "city_map.html"),
             *((f"{name}评估报告", href) for name, href in county_reports.items()))
    return ReportContent(
        title=f"{tables.name}\n社会心理服务体系建设评估汇总报告",
        subtitle="各区县建成率、可达性与新建站点建议汇总",
        meta=(("编制日期", date_zh(datetime.now().date().isoformat())),
              ("区县数", str(len(outcomes)))),
        sections=sections, links=links)


def _rate_text(rate: object, kind: object) -> str:
    if rate is None or pd.isna(rate):
        return "—"
    return f"{float(rate) * 100:.1f}%" if kind == "rate" else f"{float(rate):,.1f}"  # type: ignore[arg-type]
