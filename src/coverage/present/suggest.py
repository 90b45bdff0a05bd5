"""Presentation of the suggest stage (:class:`~coverage.suggest.SuggestResult`).

Terminal :func:`text`, workbook :func:`sheets`, CSV files (:func:`write_tables`), the report
:func:`section`, plus the sentences both the report and the terminal use: the summary, the
solver's status in words (with the proven gap), and the reconciliation of the county
shortfall, the townships' shortfalls and the number of suggested sites.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.outputs import write_csv
from coverage.present._text import frame_text
from coverage.present.report import ReportSection
from coverage.present.workbook import SheetSpec
from coverage.suggest import SuggestResult
from coverage.vocabulary import (
    KIND,
    MODEL,
    SOLVER_STATUS,
    STATUS,
    SUGGEST_NOTE,
    SUGGEST_REASON,
    YES_NO,
    Note,
)

__all__ = [
    "explanations",
    "headline",
    "notes_text",
    "reconciliation_sentence",
    "reconciliation_table",
    "section",
    "sheets",
    "solver_text",
    "summary_text",
    "text",
    "write_tables",
]


def note_text(note: Note) -> str:
    """One note in words."""
    params = {k: ("、".join(map(str, v)) if isinstance(v, tuple) else v) for k, v in note.params}
    return SUGGEST_NOTE[note.code].zh.format(**params)


def notes_text(notes: tuple[Note, ...]) -> str:
    """Notes as consecutive sentences."""
    return "".join(note_text(n) for n in notes)


def _pct(v: object) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.0%}"  # type: ignore[arg-type]


def solver_text(result: SuggestResult) -> str:
    """The solver's status in words, with the proven gap when not optimal."""
    s = result.solver
    label = SOLVER_STATUS.label(_status_code(s.status))
    if s.status == "infeasible":
        return label
    if s.status == "optimal":
        return f"{label}（用时 {s.solve_seconds:.2f} 秒）"
    gap = s.gap * 100 if math.isfinite(s.gap) else float("nan")
    bound = (f"与最优解的差距不超过 {gap:.2f}%" if math.isfinite(gap)
             else "与最优解的差距未知")
    return f"{label}，{bound}（用时 {s.solve_seconds:.2f} 秒）"


def _status_code(status: str) -> str:
    """The vocabulary code of a solver status (older cores say gap_limit / time_limit)."""
    return status if status in SOLVER_STATUS else "feasible"


def reconciliation_table(result: SuggestResult) -> pd.DataFrame:
    """The reconciliation as a two-column table (item, number)."""
    r = result.reconciliation
    items = []
    if "county_shortfall" in r:
        items += [("全县缺口（按全县合计计算）", r["county_shortfall"]),
                  ("各乡镇（街道）缺口之和（各乡镇分别达标）", r["township_shortfall_sum"])]
    items += [("建议新建站点", r["suggested"]),
              (f"其中：{SUGGEST_REASON.label('quota')}", r["for_quota"]),
              (f"其中：{SUGGEST_REASON.label('both')}", r["for_both"]),
              (f"其中：{SUGGEST_REASON.label('coverage')}", r["for_coverage"]),
              (f"其中：{SUGGEST_REASON.label('count')}", r["for_count"]),
              ("新增覆盖人口", r["newly_covered"])]
    return pd.DataFrame({"项目": [i for i, _ in items],
                         "数量": [None if pd.isna(v) else round(v) for _, v in items]})


def reconciliation_sentence(result: SuggestResult) -> str:
    """One sentence reconciling the county shortfall, the township sum and the suggestions."""
    r = result.reconciliation
    n = int(r["suggested"])
    quota = int(r["for_quota"] + r["for_both"])
    cover = int(r["for_coverage"] + r["for_both"])
    parts = []
    if "county_shortfall" in r and not pd.isna(r["county_shortfall"]) and result.indicator:
        county, towns = int(r["county_shortfall"]), int(r["township_shortfall_sum"])
        parts.append(f"按“{result.indicator[1]}”，全县还差 {county} 个")
        if towns != county:
            parts.append(f"因各乡镇（街道）需分别达标，逐乡镇合计 {towns} 个")
    text_ = "；".join(parts)
    head = f"{text_}；" if text_ else ""
    detail = [f"其中 {quota} 处用于乡镇达标"] if quota else []
    if cover:
        detail.append(f"{cover} 处新增覆盖人口（合计 {r['newly_covered']:,.0f} 人）")
    if r["for_both"]:
        detail.append(f"{int(r['for_both'])} 处两者兼顾")
    if r["for_count"]:
        detail.append(f"{int(r['for_count'])} 处为凑足新建数量、不新增覆盖")
    return f"{head}建议新建 {n} 处" + (f"，{'，'.join(detail)}" if detail else "") + "。"


def summary_text(result: SuggestResult) -> str:
    """Sentences for the report and the terminal."""
    if not result.feasible:
        why = notes_text(result.infeasible) or result.solver.message
        return f"选址优化{SOLVER_STATUS.label('infeasible')}：{why}" + notes_text(result.notes)
    sites = result.sites
    gain = float(sites["gain_population"].sum()) if len(sites) else 0.0
    years = int(sites["phase"].max()) if len(sites) else 0
    method = "路网通行时间" if result.method == "road" else "直线距离估算"
    parts = [
        f"采用{MODEL.label(result.model)}，按{method}，建议新建 {len(sites)} 处"
        f"{result.service_name}，分 {years} 年建设，新增覆盖人口 {gain:,.0f} 人。",
        f"求解结果：{solver_text(result)}。",
    ]
    if len(sites):
        parts.append(reconciliation_sentence(result))
    if result.indicator and len(result.townships):
        t = result.townships
        met = int(t["met_after"].fillna(False).astype(bool).sum())
        known = int(t["met_after"].notna().sum())
        parts.append(f"建成后 {met}/{known} 个乡镇（街道）达到“{result.indicator[1]}”目标。")
    parts.append(notes_text(result.notes))
    return "".join(p for p in parts if p)


def _effect(row: pd.Series) -> str:
    if pd.isna(row["rate_before"]):
        return ""
    reach = "，达到目标" if bool(row["reaches_target"]) else ""
    return (f"{row['township_name']}建成率 {_pct(row['rate_before'])}→"
            f"{_pct(row['rate_after'])}{reach}")


def explanations(result: SuggestResult) -> pd.Series:
    """One sentence per suggested site: where, why, what it adds."""
    out = []
    for _, r in result.sites.iterrows():
        saved = r["minutes_saved"]
        effect = _effect(r)
        out.append(
            f"第{r['rank']}位（第{int(r['phase'])}年）：{r['township_name']}{r['name']}"
            f"（{SUGGEST_REASON.label(r['reason'])}）。"
            f"新增覆盖 {r['gain_population']:,.0f} 人（{int(r['gain_units'])} 个村居）"
            + (f"，受益人群平均通行时间缩短 {saved:.1f} 分钟" if pd.notna(saved) else "")
            + (f"；{effect}" if effect else "") + "。")
    return pd.Series(out, index=result.sites.index, dtype=object)


def _sites_frame(result: SuggestResult) -> pd.DataFrame:
    """The sites as the CSV/workbook show them (codes kept, words added)."""
    sites = pd.DataFrame(result.sites.drop(columns="geometry"))
    sites["target_effect"] = [_effect(r) for _, r in result.sites.iterrows()]
    sites["explanation"] = explanations(result)
    sites["lon"] = result.sites.geometry.x.round(6) if len(result.sites) else []
    sites["lat"] = result.sites.geometry.y.round(6) if len(result.sites) else []
    return sites


def _towns_frame(result: SuggestResult) -> pd.DataFrame:
    t = result.townships.copy()
    t["met_after"] = t["met_after"].map(
        lambda v: "" if pd.isna(v) else YES_NO.label("yes" if v else "no"))
    return t


_SITE_LABELS = {"rank": "顺序", "township_name": "乡镇/街道", "status": "现状",
                "counts": "计入建成率"}


def sheets(result: SuggestResult) -> dict[str, SheetSpec]:
    """Workbook sheets: suggested sites, townships before/after, the reconciliation."""
    return {
        "建议选址": SheetSpec(
            _sites_frame(result), labels=_SITE_LABELS,
            translate={"kind": KIND.label, "status": STATUS.label,
                       "reason": SUGGEST_REASON.label},
            integer=["gain_population", "gain_units"], decimal1=["minutes_saved"],
            percent=["rate_before", "rate_after"], coordinate=["lon", "lat"]),
        "乡镇建成前后": SheetSpec(
            _towns_frame(result), labels={"township_name": "乡镇/街道"},
            percent=["rate_before", "rate_after", "target", "share_before", "share_after"],
            integer=["units", "built_before", "quota", "candidates", "unlocated", "new_sites",
                     "covered_before", "covered_after"],
            highlight=("met_after", YES_NO.label("no"))),
        "选址数量核对": SheetSpec(reconciliation_table(result), integer=["数量"]),
    }


def write_tables(result: SuggestResult, out: str | Path) -> list[Path]:
    """Write ``suggested_sites.csv`` and ``suggest_townships.csv`` (UTF-8 with BOM)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(_sites_frame(result), out / "suggested_sites.csv"),
            write_csv(_towns_frame(result), out / "suggest_townships.csv"),
            write_csv(reconciliation_table(result), out / "suggest_reconciliation.csv")]


def report_table(result: SuggestResult) -> pd.DataFrame:
    """The suggested sites with Chinese headers, for reports and the terminal."""
    df = pd.DataFrame(result.sites.drop(columns="geometry")).copy()
    if not len(df):
        return pd.DataFrame(columns=["顺序", "建设年度", "乡镇/街道", "名称", "现状",
                                     "建设理由", "新增覆盖人口", "人均缩短(分钟)", "助力达标"])
    return pd.DataFrame({
        "顺序": df["rank"], "建设年度": df["phase"], "乡镇/街道": df["township_name"],
        "名称": df["name"], "现状": df["status"].map(STATUS.label),
        "建设理由": df["reason"].map(SUGGEST_REASON.label),
        "新增覆盖人口": df["gain_population"].map(lambda v: f"{v:,.0f}"),
        "人均缩短(分钟)": df["minutes_saved"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
        "助力达标": [_effect(r) for _, r in result.sites.iterrows()],
    })


def text(result: SuggestResult) -> str:
    """The summary, the reconciliation and the sites, for the terminal."""
    head = summary_text(result)
    if not len(result.sites):
        return head
    return (head + "\n\n" + frame_text(reconciliation_table(result)) + "\n\n"
            + frame_text(report_table(result)))


def section(result: SuggestResult) -> tuple[ReportSection, ...]:
    """The report's section on suggested sites (无可行方案 and why, when infeasible)."""
    title = "建议新建站点与分年度建设顺序"
    if not result.feasible:
        why = notes_text(result.infeasible) or result.solver.message
        return (ReportSection(title, paragraphs=(
            f"{SOLVER_STATUS.label('infeasible')}。{why}",
            "可调整：增加候选点（为未定位的村居补充坐标）、提高预算、降低目标或改用其他模型。",
        )),)
    return (ReportSection(title, paragraphs=(summary_text(result),),
                          table=report_table(result), max_rows=200),
            ReportSection("选址数量核对", table=reconciliation_table(result),
                          paragraphs=(reconciliation_sentence(result),)))


def headline(result: SuggestResult) -> dict[str, Any]:
    """Figures for scenario comparison."""
    s = result.solver
    return {
        "模型": result.model,
        "建议新建数": len(result.sites),
        "新增覆盖人口": round(float(result.sites["gain_population"].sum()))
        if len(result.sites) else 0,
        "求解状态": SOLVER_STATUS.label(_status_code(s.status)),
        "求解用时(秒)": round(s.solve_seconds, 2),
    }
