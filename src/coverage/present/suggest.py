"""Presentation of the suggest stage (:class:`~coverage.suggest.SuggestResult`).

Terminal :func:`text`, workbook :func:`sheets`, CSV files (:func:`write_tables`), the report
:func:`section`, plus the sentences both the report and the terminal use: the summary, the
solver's status in words (with the proven gap), and the reconciliation of the county
shortfall, the townships' shortfalls and the number of suggested sites.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    SOLVER_STOP,
    STATUS,
    SUGGEST_NOTE,
    SUGGEST_REASON,
    YES_NO,
    Note,
)

__all__ = [
    "explanations",
    "headline",
    "method_sentence",
    "notes_text",
    "reconciliation_paragraphs",
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
    label = SOLVER_STATUS.label(s.status)
    if s.status in ("infeasible", "no_solution"):
        return label
    if s.status == "optimal":
        return f"{label}（用时 {s.solve_seconds:.2f} 秒）"
    gap = s.gap * 100 if math.isfinite(s.gap) else float("nan")
    bound = (f"与最优解的差距不超过 {gap:.2f}%" if math.isfinite(gap)
             else "与最优解的差距未知")
    why = f"，{SOLVER_STOP.label(s.stop)}" if s.stop != "completed" else ""
    return f"{label}{why}，{bound}（用时 {s.solve_seconds:.2f} 秒）"


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


def _split(result: SuggestResult) -> dict[str, int]:
    """The suggestions by purpose: for quotas (with/without coverage), coverage only, count."""
    r = result.reconciliation
    return {"n": int(r["suggested"]), "quota": int(r["for_quota"] + r["for_both"]),
            "both": int(r["for_both"]), "quota_only": int(r["for_quota"]),
            "coverage": int(r["for_coverage"]), "count": int(r["for_count"]),
            "newly": round(float(r["newly_covered"]))}


def _shortfalls(result: SuggestResult) -> tuple[int, int] | None:
    r = result.reconciliation
    if "county_shortfall" not in r or pd.isna(r["county_shortfall"]) or not result.indicator:
        return None
    return int(r["county_shortfall"]), int(r["township_shortfall_sum"])


def reconciliation_sentence(result: SuggestResult) -> str:
    """One sentence reconciling the county shortfall, the township sum and the suggestions.

    "按“…建成率”，全县还差84个；因各乡镇（街道）需分别达标，逐乡镇合计99个；建议新建105处，
    其中99处用于乡镇达标（含3处同时新增覆盖），2处仅扩大服务覆盖，4处为凑足设定的新建数量、
    不新增覆盖；共新增覆盖16,390人。"
    """
    k = _split(result)
    parts = []
    short = _shortfalls(result)
    if short is not None and result.indicator:
        county, towns = short
        parts.append(f"按“{result.indicator[1]}”，全县还差{county}个")
        if towns != county:
            parts.append(f"因各乡镇（街道）需分别达标，逐乡镇合计{towns}个")
    head = "；".join(parts) + "；" if parts else ""
    detail = []
    if k["quota"]:
        detail.append(f"{k['quota']}处用于乡镇达标"
                      + (f"（含{k['both']}处同时新增覆盖）" if k["both"] else ""))
    if k["coverage"]:
        detail.append(f"{k['coverage']}处仅扩大服务覆盖")
    if k["count"]:
        detail.append(f"{k['count']}处为凑足设定的新建数量、不新增覆盖")
    text_ = f"{head}建议新建{k['n']}处"
    if detail and k["quota"] == k["n"] and not k["both"]:
        text_ += "，全部用于乡镇达标"
    elif detail:
        text_ += "，其中" + "，".join(detail)
    if k["coverage"] or k["both"]:
        text_ += f"；共新增覆盖{k['newly']:,}人"
    return text_ + "。"


def reconciliation_paragraphs(result: SuggestResult) -> tuple[str, ...]:
    """The report's note on the numbers: why the county shortfall, the sum of the
    townships' shortfalls and the number of suggested sites differ, and what each
    suggested site is for (meeting a township's quota or covering more people)."""
    k = _split(result)
    out = []
    short = _shortfalls(result)
    target = _target_words(result)
    if short is not None and result.indicator:
        county, towns = short
        first = (f"按“{result.indicator[1]}”{target}的要求，以全县合计计算还差{county}个。")
        if towns > county:
            first += ("由于每个乡镇（街道）都须分别达标，已达标乡镇（街道）多建的站点不能抵补"
                      f"其他乡镇（街道）的缺口，逐乡镇（街道）计算的缺口合计为{towns}个。")
        elif towns == county:
            first += f"逐乡镇（街道）计算的缺口合计同为{towns}个。"
        else:
            first += f"逐乡镇（街道）计算的缺口合计为{towns}个。"
        out.append(first)
    if not result.feasible:
        return tuple(out)
    parts = []
    if k["quota"]:
        parts.append(f"{k['quota']}处用于各乡镇（街道）达标"
                     + (f"（其中{k['both']}处同时新增覆盖人口）" if k["both"] else ""))
    if k["coverage"]:
        parts.append(f"{k['coverage']}处用于扩大服务覆盖")
    if k["count"]:
        parts.append(f"{k['count']}处既不影响达标也不新增覆盖人口，是为达到设定的新建总数"
                     f"{result.p}处而增补的")
    second = f"本方案建议新建{k['n']}处" + ("：" + "；".join(parts) if parts else "") + "。"
    if k["quota_only"]:
        second += (f"用于达标的站点中有{k['quota_only']}处所在村（社区）已在现有站点的服务范围内，"
                   "建成后提高建成率，但不新增覆盖人口。")
    if k["coverage"] or k["both"]:
        second += (f"新增覆盖人口的站点共{k['coverage'] + k['both']}处，"
                   f"合计新增覆盖{k['newly']:,}人。")
    out.append(second)
    return tuple(out)


def _target_words(result: SuggestResult) -> str:
    t = result.townships
    if not len(t) or "target" not in t or t["target"].dropna().empty:
        return ""
    return f"达到{float(t['target'].dropna().iloc[0]) * 100:g}%"


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
            integer=["rank", "phase", "gain_population", "gain_units"],
            decimal1=["minutes_saved"],
            percent=["rate_before", "rate_after"], coordinate=["lon", "lat"],
            wrap=["explanation"],
            description="建议新建的站点，按建设顺序排列：建设年度、建设理由、新增覆盖人口、"
            "所在乡镇（街道）建成率的变化和经纬度"),
        "乡镇建成前后": SheetSpec(
            _towns_frame(result), labels={"township_name": "乡镇/街道"},
            percent=["rate_before", "rate_after", "target", "share_before", "share_after"],
            integer=["units", "built_before", "quota", "candidates", "unlocated", "new_sites",
                     "covered_before", "covered_after"],
            highlight=("met_after", YES_NO.label("no")),
            description="各乡镇（街道）新建前后的建成率、覆盖人口，达标最少需新建数和建议新建数"),
        "选址数量核对": SheetSpec(
            reconciliation_table(result).rename(columns={"项目": "item", "数量": "count"}),
            integer=["count"],
            description="全县缺口、各乡镇（街道）缺口之和与建议新建数的核对，按建设理由分列"),
    }


def write_tables(result: SuggestResult, out: str | Path) -> list[Path]:
    """Write ``suggested_sites.csv`` and ``suggest_townships.csv`` (UTF-8 with BOM)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(_sites_frame(result), out / "suggested_sites.csv"),
            write_csv(_towns_frame(result), out / "suggest_townships.csv"),
            write_csv(reconciliation_table(result), out / "suggest_reconciliation.csv")]


_REPORT_COLUMNS = ["顺序", "建设年度", "乡镇（街道）", "名称", "现状", "建设理由",
                   "新增覆盖人口", "人均缩短（分钟）", "助力达标"]


def report_table(result: SuggestResult) -> pd.DataFrame:
    """The suggested sites with Chinese headers, for reports and the terminal."""
    df = pd.DataFrame(result.sites.drop(columns="geometry")).copy()
    if not len(df):
        return pd.DataFrame(columns=_REPORT_COLUMNS)
    return pd.DataFrame({
        "顺序": df["rank"], "建设年度": df["phase"].map(lambda v: f"第{int(v)}年"),
        "乡镇（街道）": df["township_name"],
        "名称": df["name"], "现状": df["status"].map(STATUS.label),
        "建设理由": df["reason"].map(SUGGEST_REASON.label),
        "新增覆盖人口": df["gain_population"].map(lambda v: f"{v:,.0f}"),
        "人均缩短（分钟）": df["minutes_saved"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}"),
        "助力达标": [_effect(r) for _, r in result.sites.iterrows()],
    }, columns=_REPORT_COLUMNS)


def text(result: SuggestResult) -> str:
    """The summary, the reconciliation and the sites, for the terminal."""
    head = summary_text(result)
    if not len(result.sites):
        return head
    return (head + "\n\n" + frame_text(reconciliation_table(result)) + "\n\n"
            + frame_text(report_table(result)))


def _sites_for_report(result: SuggestResult) -> pd.DataFrame:
    """The suggested sites as the report lists them (the workbook has every column)."""
    sites = pd.DataFrame(result.sites.drop(columns="geometry"))
    if not len(sites):
        return pd.DataFrame(columns=["顺序", "建设年度", "乡镇（街道）", "村（社区）", "现状",
                                     "建设理由", "新增覆盖人口", "所在乡镇（街道）建成率"])

    def rate(r: pd.Series) -> str:
        if pd.isna(r["rate_before"]):
            return ""
        reach = "（达标）" if bool(r["reaches_target"]) else ""
        return f"{_pct(r['rate_before'])}→{_pct(r['rate_after'])}{reach}"

    return pd.DataFrame({
        "顺序": sites["rank"].astype(int),
        "建设年度": sites["phase"].map(lambda v: f"第{int(v)}年"),
        "乡镇（街道）": sites["township_name"], "村（社区）": sites["name"],
        "现状": sites["status"].map(STATUS.label),
        "建设理由": sites["reason"].map(SUGGEST_REASON.label),
        "新增覆盖人口": sites["gain_population"].map(lambda v: f"{v:,.0f}"),
        "所在乡镇（街道）建成率": [rate(r) for _, r in sites.iterrows()],
    })


#: The models in plain words, for readers who do not know their names.
_MODEL_WORDS = {
    "quota": "先保证每个乡镇（街道）的建成率达到目标，在此基础上使新增覆盖的人口最多",
    "mclp": "在新建数量一定的条件下，使服务标准时间内覆盖的人口最多",
    "lscp": "用最少的新建站点，使全部村（社区）都在服务标准时间内",
    "lscpb": "用最少的新建站点使全部村（社区）都在服务标准时间内，并使尽量多的人口有两处站点可达",
    "pmedian": "在新建数量一定的条件下，使群众到最近站点的人均通行时间最短",
    "pcenter": "在新建数量一定的条件下，使离站点最远的村（社区）的通行时间最短",
}


def method_sentence(result: SuggestResult) -> str:
    """How the sites were chosen and how good the plan is, in plain words (report)."""
    rule = _MODEL_WORDS.get(result.model, MODEL.label(result.model))
    text_ = (f"新建站点从候选点位中按以下原则经优化计算确定：{rule}；"
             "建设顺序按每处站点带来的新增效益（新增覆盖人口或缩短的通行时间）从大到小排定，"
             "再分年度安排。")
    s = result.solver
    if not result.feasible:
        return text_
    if s.status == "optimal":
        return text_ + "计算结果是满足上述条件的最优方案。"
    if math.isfinite(s.gap):
        return text_ + (f"计算在规定时间内结束，所得方案与理论最优的差距不超过"
                        f"{s.gap * 100:.1f}%。")
    return text_ + "计算在规定时间内结束，所得方案可行，但未证明最优。"


def _why_infeasible(result: SuggestResult) -> str:
    """Why there is no plan, in the planner's terms (never the solver's message)."""
    notes = [n for n in result.infeasible if n.code != "solver_infeasible"]
    if notes:
        return notes_text(tuple(notes))
    return "在给定的新建数量、预算和候选点条件下，无法同时满足各乡镇（街道）的达标要求。"


def _report_summary(result: SuggestResult) -> tuple[str, ...]:
    sites = result.sites
    if not len(sites):
        return (f"按当前设置，不需要新建{result.service_name}。",)
    years = sites["phase"].astype(int).value_counts().sort_index()
    by_year = "、".join(f"第{y}年{n}处" for y, n in years.items())
    out = [f"建议分{len(years)}年新建{len(sites)}处{result.service_name}（{by_year}）。"]
    if result.indicator and len(result.townships):
        t = result.townships
        met = int(t["met_after"].fillna(False).astype(bool).sum())
        known = int(t["met_after"].notna().sum())
        goal = f"“{result.indicator[1]}”"
        if met == known:
            out[0] += f"建成后，全部{known}个乡镇（街道）的{goal}均达到目标。"
        else:
            out[0] += (f"建成后，{known}个乡镇（街道）中有{met}个的{goal}达到目标，"
                       f"{known - met}个仍未达到。")
    extra = notes_text(result.notes)
    if extra:
        out.append(extra)
    return tuple(out)


def section(result: SuggestResult, *,
            pictures: Sequence[tuple[str, Path]] = ()) -> ReportSection:
    """The report's section on suggested sites: the list, the note on the numbers, and
    无可行方案 with the reasons when no plan meets every rule.

    Parameters
    ----------
    result
        The suggest stage's result.
    pictures
        ``(caption, PNG)`` figures shown with the list of sites (the suggestions map).
    """
    title = "建议新建站点与分年度建设顺序"
    recon = reconciliation_table(result)
    recon["数量"] = recon["数量"].map(lambda v: "" if v is None or pd.isna(v) else f"{int(v):,}")
    numbers = ReportSection("关于新建数量的说明", paragraphs=reconciliation_paragraphs(result),
                            table=recon if result.feasible else None,
                            table_title="新建数量核对")
    if not result.feasible:
        towns = result.townships
        table = None
        if len(towns):
            table = pd.DataFrame({
                "乡镇（街道）": towns["township_name"],
                "达标最少新建": towns["quota"].map(_int_or_blank),
                "有坐标的候选点": towns["candidates"].map(_int_or_blank),
                "无坐标的村（社区）": towns["unlocated"].map(_int_or_blank)})
        ways = ["提高预算或新建数量", "调整目标或完成期限"]
        if len(towns) and towns["unlocated"].fillna(0).sum() > 0:
            ways.insert(0, "为无坐标的村（社区）补充坐标以增加候选点")
        return ReportSection(title, paragraphs=(
            f"在现有条件下{SOLVER_STATUS.label('infeasible')}。{_why_infeasible(result)}",
            f"可从以下方面调整后重新测算：{'，'.join(ways)}。"),
            subsections=(
                ReportSection("各乡镇（街道）达标所需与候选点", table=table,
                              table_title="各乡镇（街道）达标所需新建数与候选点",
                              max_rows=200, pictures=tuple(pictures)),
                numbers) if table is not None else (numbers,))
    return ReportSection(
        title, paragraphs=_report_summary(result),
        subsections=(
            ReportSection("建设清单", table=_sites_for_report(result),
                          table_title="建议新建站点及建设年度", max_rows=200,
                          empty_text="无。", pictures=tuple(pictures)),
            numbers))


def _int_or_blank(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{int(v):,}"  # type: ignore[call-overload]


def headline(result: SuggestResult) -> dict[str, Any]:
    """Figures for scenario comparison."""
    s = result.solver
    return {
        "模型": result.model,
        "建议新建数": len(result.sites),
        "新增覆盖人口": round(float(result.sites["gain_population"].sum()))
        if len(result.sites) else 0,
        "求解状态": SOLVER_STATUS.label(s.status),
        "求解用时(秒)": round(s.solve_seconds, 2),
    }
