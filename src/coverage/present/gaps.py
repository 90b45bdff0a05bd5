"""Presentation of the gaps stage (:class:`~coverage.targets.GapResult`) and of the presets.

The same four things as every stage's presentation module: terminal :func:`text`, workbook
:func:`sheets`, CSV/XLSX/JSON files (:func:`write_tables`) and the report :func:`section`.
Codes (``met``, ``site``, :class:`~coverage.targets.GapNote`) become words here, through
:mod:`coverage.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.outputs import write_csv, write_json
from coverage.present._text import display_width, text_table
from coverage.present.report import ReportSection, date_zh, frame_for_report
from coverage.present.workbook import SheetSpec, write_workbook
from coverage.problems import InputError
from coverage.targets import (
    GapNote,
    GapResult,
    Indicator,
    Selector,
    TargetPreset,
    list_presets,
)
from coverage.vocabulary import (
    ADMIN_LEVEL,
    COLUMNS,
    GAP_NOTE,
    GAP_STATUS,
    INDICATOR_KIND,
    KIND,
    SCOPE,
    SHORTFALL_UNIT,
    STATUS,
    Lang,
)

__all__ = [
    "citation_table",
    "format_indicator",
    "format_preset_list",
    "format_target",
    "note_text",
    "notes_text",
    "overview_sentence",
    "report_overview",
    "section",
    "selector_text",
    "sheets",
    "status_counts_text",
    "table_frame",
    "text",
    "write_tables",
]

_NA = "—"


def _is_na(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


# --------------------------------------------------------------------------- words


def note_text(note: GapNote, lang: Lang = "zh") -> str:
    """One note in words."""
    params: dict[str, object] = {}
    sep = "、" if lang == "zh" else ", "
    for key, value in note.params:
        if isinstance(value, tuple):
            joiner = " 或 " if key == "layers" and note.code == "no_layer" else sep
            if key == "columns" and note.code == "num_filter_unknown":
                joiner = "/"
            params[key] = joiner.join(str(v) for v in value)
        else:
            params[key] = value
    return GAP_NOTE[note.code](lang).format(**params)


def notes_text(notes: object, lang: Lang = "zh") -> str:
    """A row's notes (a tuple of :class:`GapNote`) as one line."""
    if not isinstance(notes, tuple | list):
        return ""
    return ("；" if lang == "zh" else "; ").join(note_text(n, lang) for n in notes)


def _status(code: object) -> str:
    return GAP_STATUS.label(code) if not _is_na(code) else ""


def table_frame(result: GapResult, lang: Lang = "zh") -> pd.DataFrame:
    """The result table as written to ``gaps.csv``: codes in words, notes as one text."""
    t = result.table.copy()
    t["shortfall_unit"] = t["shortfall_unit"].map(
        lambda v: SHORTFALL_UNIT.label(v, lang) if not _is_na(v) else v)
    t["status"] = t["status"].map(lambda v: GAP_STATUS.label(v, lang) if not _is_na(v) else v)
    t.insert(t.columns.get_loc("notes"), "note", t["notes"].map(lambda n: notes_text(n, lang)))
    return t.drop(columns="notes")


def status_counts_text(result: GapResult) -> str:
    """"达标 2 项，未达标 4 项，…" for the county rows."""
    counts = result.county()["status"].value_counts()
    return "，".join(f"{GAP_STATUS.label(code)} {int(counts[code])} 项"
                    for code in GAP_STATUS if counts.get(code, 0))


def _rate_text(kind: str, rate: object, per: object) -> str:
    if _is_na(rate):
        return _NA
    r = float(rate)  # type: ignore[arg-type]
    if kind == "rate":
        return f"{r * 100:.1f}%"
    if kind == "staff_ratio":
        return f"{r:.2f}:{per}"
    return f"{r:.1f}"


def _int_text(v: object) -> str:
    return _NA if _is_na(v) else str(int(v))  # type: ignore[call-overload]


def _num(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else f"{f:.1f}"


def _truncate(text_: str, width: int) -> str:
    """Cut ``text_`` to ``width`` display columns, marking the cut with …."""
    if display_width(text_) <= width:
        return text_
    out = ""
    for ch in text_:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _indicator_names(result: GapResult, ids: object) -> str:
    if not isinstance(ids, tuple | list) or not ids:
        return ""
    names = {i.id: i.name for i in result.preset.indicators}
    return "；".join(str(names.get(str(i), i)) for i in ids)


# --------------------------------------------------------------------------- presets


def selector_text(sel: Selector) -> str:
    """A numerator/denominator selector as short text."""
    parts: list[str] = []
    if sel.units:
        parts.append(ADMIN_LEVEL.label("township"))
    if sel.layers:
        parts.append("+".join(f"{KIND.label(k)}({k})" for k in sel.layers))
    if sel.statuses:
        parts.append("状态∈" + "/".join(STATUS.label(s) for s in sel.statuses))
    parts += [c.describe() for c in sel.where]
    if sel.column:
        parts.append(f"合计 {sel.column}")
    return "; ".join(parts)


def format_indicator(indicator: Indicator, *, preset: TargetPreset | None = None) -> str:
    """Describe one indicator for ``coverage targets show``, ending with its citation."""
    ind = indicator
    lines = [f"{ind.id}  {ind.name}"]
    if preset is not None:
        lines.append(f"预设 preset: {preset.id}  {preset.name}")
    lines += [
        f"类型 kind: {ind.kind} ({INDICATOR_KIND.label(ind.kind)})    "
        f"考核层级 scope: {ind.scope} ({SCOPE.label(ind.scope)})",
        f"目标 target: {ind.target_text}    完成期限 deadline: "
        f"{ind.deadline.isoformat() if ind.deadline else '未规定'}"
        + ("" if ind.enabled else "    (已停用 disabled)"),
        f"分子 numerator: {selector_text(ind.numerator) or _NA}",
    ]
    if ind.denominator is not None:
        lines.append(f"分母 denominator: {selector_text(ind.denominator)}")
    if ind.note:
        lines.append(f"说明 note: {ind.note}")
    if ind.source != "preset":
        lines.append(f"来源 source: {ind.source}")
    clause = f" {ind.citation.clause}" if ind.citation.clause else ""
    lines.append(f"依据 citation: {ind.citation.file}{clause}")
    lines.append(f"  “{ind.citation.quote}”")
    return "\n".join(lines)


def _preset_block(p: TargetPreset) -> str:
    deadline = p.deadline.isoformat() if p.deadline else "未规定"
    head = f"{p.id}  {p.name}"
    meta = f"  {p.document}；{len(p.indicators)} 项指标；期限 {deadline}；依据 {p.source}"
    rows = [[i.id, i.name, i.target_text, SCOPE.label(i.scope)] for i in p.indicators]
    table = text_table(["指标代码", "指标名称", "目标", "考核层级"], rows,
                       [False, False, True, False])
    return "\n".join([head, meta, *("  " + t for t in table)])


def format_preset_list(presets: Sequence[TargetPreset] | None = None) -> str:
    """List presets and their indicators (``coverage targets list``)."""
    presets = list_presets() if presets is None else list(presets)
    return "\n\n".join(_preset_block(p) for p in presets)


def format_target(name: str, *, presets: Sequence[TargetPreset] | None = None) -> str:
    """``coverage targets show NAME``: a preset (by id) or an indicator in every preset.

    ``name`` may be a preset id (``wuzhong_2023``), an indicator id
    (``village_room_rate``) or ``PRESET.ID`` (``wuzhong_2023.village_room_rate``).

    Raises
    ------
    InputError
        Neither a preset nor an indicator of that name exists (the known ones are listed).
    """
    presets = list_presets() if presets is None else list(presets)
    for p in presets:
        if p.id == name:
            return _preset_block(p) + "\n\n" + "\n\n".join(
                format_indicator(ind, preset=p) for ind in p.indicators)
    want_preset, _, want_id = name.rpartition(".")
    found = [format_indicator(ind, preset=p) for p in presets for ind in p.indicators
             if ind.id == want_id and (not want_preset or p.id == want_preset)]
    if not found:
        known = sorted({i.id for p in presets for i in p.indicators})
        raise InputError.single(
            f"no target preset or indicator {name!r}", value=name, column="NAME",
            fix="a preset (" + ", ".join(p.id for p in presets) + ") or an indicator: "
            + ", ".join(known))
    return "\n\n".join(found)


# --------------------------------------------------------------------------- terminal


def text(result: GapResult, *, top: int = 10) -> str:
    """Plain-text report for the CLI: county result per indicator, then township ranking."""
    preset = result.preset
    lines = [f"{result.county_name} ({result.county_code})  目标预设: {preset.name} "
             f"({preset.id})"]
    lines.append("县级结果: " + status_counts_text(result))
    lines.append("")
    county = result.county()
    rows: list[list[str]] = []
    for _, r in county.iterrows():
        ind = preset.indicator(str(r["indicator_id"]))
        if ind.kind == "count":
            current = _int_text(r["numerator"])
        elif _is_na(r["numerator"]) or _is_na(r["denominator"]):
            current = _NA
        else:
            current = f"{_num(r['numerator'])}/{_num(r['denominator'])}"
        short = _int_text(r["shortfall"])
        if short != _NA:
            short += SHORTFALL_UNIT.label(r["shortfall_unit"])
        pipe = _NA if _is_na(r["in_pipeline"]) else (
            f"{_int_text(r['under_construction'])}/{_int_text(r['planned'])}")
        if not _is_na(r["met_if_pipeline"]) and r["status"] == "unmet" and r["met_if_pipeline"]:
            pipe += " (建成后达标)"
        rows.append([str(r["indicator_name"]), SCOPE.label(ind.scope), current,
                     _rate_text(ind.kind, r["rate"], r["per"]), ind.target_text,
                     _status(r["status"]), short, pipe])
    lines += text_table(
        ["指标", "考核层级", "现有/应有", "现状", "目标", "状态", "缺口", "在建/规划"], rows,
        [False, False, True, True, True, False, True, False])
    missing = county[county["status"] == "no_data"]
    if len(missing):
        lines.append("")
        lines.append(f"{GAP_STATUS.label('no_data')}的指标（请补充数据）:")
        for _, r in missing.iterrows():
            lines.append(f"  - {r['indicator_name']} ({r['indicator_id']}): "
                         f"{notes_text(r['notes'])}")
    ranking = result.ranking
    if len(ranking):
        lines.append("")
        lines.append(f"乡镇(街道)缺口排名 (前{min(top, len(ranking))}名):")
        rrows = [[str(r["rank"]), str(r["township_name"]), str(r["site_shortfall"]),
                  str(r["staff_shortfall"]), str(r["unmet_binding"]),
                  _truncate("、".join(r["unmet_indicators"]) or _NA, 48)]
                 for _, r in ranking.head(top).iterrows()]
        lines += text_table(["排名", "乡镇(街道)", "站点缺口", "人员缺口",
                             COLUMNS.label("unmet_binding"), COLUMNS.label("unmet_indicators")],
                            rrows, [True, False, True, True, True, False])
    if len(result.flags):
        lines.append("")
        lines.append(f"逐个单位{GAP_STATUS.label('unmet')} {len(result.flags)} 处，"
                     "见 gaps.xlsx「村居明细」。")
    return "\n".join(lines)


# --------------------------------------------------------------------------- workbook


def _table_spec(result: GapResult) -> SheetSpec:
    t = result.table.copy()
    t.insert(t.columns.get_loc("notes"), "note", t["notes"].map(notes_text))
    t = t.drop(columns="notes")
    # rates of rate indicators are shares (0.0%); other kinds are ratios or counts
    share = ["0.0%" if k == "rate" else "#,##0.00" for k in t["kind"].astype(str)]
    return SheetSpec(
        t,
        labels={"status": COLUMNS.label("gap_status")},
        translate={"kind": INDICATOR_KIND.label, "scope": SCOPE.label,
                   "unit_level": ADMIN_LEVEL.label, "status": _status,
                   "shortfall_unit": SHORTFALL_UNIT.label,
                   "binding": lambda v: "考核" if v is True else "参考" if v is False else v},
        integer=["numerator", "denominator", "shortfall", "in_pipeline", "under_construction",
                 "planned", "per"],
        row_formats={"rate": share, "target": share},
        highlight=("status", GAP_STATUS.label("unmet")),
    )


def sheets(result: GapResult) -> dict[str, SheetSpec]:
    """Workbook sheets: the indicators, the township ranking and the per-unit flags."""
    return {
        "指标达标情况": replace(
            _table_spec(result),
            description="每项指标在全县和各乡镇（街道）的现有数、应有数、完成率、目标、"
            "是否达标、缺口和政策依据"),
        "乡镇排名": SheetSpec(
            result.ranking,
            translate={"unmet_indicators": lambda v: _indicator_names(result, v)},
            integer=["site_shortfall", "staff_shortfall", "binding_site_shortfall",
                     "unmet_binding", "unmet_all", "no_data"],
            description="各乡镇（街道）按站点缺口合计从大到小排名，及未达标的指标"),
        "村居明细": SheetSpec(
            result.flags, labels={"status": COLUMNS.label("status_label")},
            translate={"layer": KIND.label, "status": STATUS.label},
            integer=["need"],
            description="须逐个单位达标的指标中，尚未达标的村（社区）、学校和医疗机构"),
    }


def write_tables(result: GapResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``gaps.csv``, ``gaps.xlsx`` and ``gaps.json`` into ``out_dir`` (atomically).

    Returns
    -------
    dict
        ``{"csv": path, "xlsx": path, "json": path}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "gaps.csv", "xlsx": out / "gaps.xlsx", "json": out / "gaps.json"}
    write_csv(table_frame(result), paths["csv"])
    write_workbook(sheets(result), paths["xlsx"])
    write_json({
        "summary": _summary_json(result),
        "table": _records(table_frame(result).assign(status_code=result.table["status"])),
        "ranking": _records(result.ranking.assign(
            unmet_indicators=result.ranking["unmet_indicators"].map(list))),
        "flags": _records(result.flags),
    }, paths["json"])
    return paths


def _summary_json(result: GapResult) -> dict[str, Any]:
    """The summary with statuses in words (``status``) and as codes (``status_code``)."""
    s = dict(result.summary)
    county = result.county().set_index("indicator_id")
    indicators = {}
    for ind_id, entry in s["indicators"].items():
        e = dict(entry)
        e["status_code"] = e["status"]
        e["status"] = GAP_STATUS.label(e["status"])
        e["shortfall_unit"] = SHORTFALL_UNIT.label(e["shortfall_unit"])
        e["note"] = notes_text(county.loc[ind_id, "notes"]) if ind_id in county.index else ""
        indicators[ind_id] = e
    s["indicators"] = indicators
    s["status_counts"] = {GAP_STATUS.label(k): v for k, v in s["status_counts"].items()}
    return s


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    obj = df.astype(object)
    return obj.where(obj.notna(), None).to_dict("records")


# --------------------------------------------------------------------------- report


def overview_sentence(result: GapResult) -> str:
    """The report's first sentence on the indicators."""
    county = result.county()
    counts = county["status"].value_counts()
    preset = result.preset
    title = f"《{preset.name}》" + (f"（{preset.document}）" if preset.document else "")
    return (f"按{title}评估的 {len(county)} 项指标中，全县"
            f"{GAP_STATUS.label('met')} {int(counts.get('met', 0))} 项，"
            f"{GAP_STATUS.label('unmet')} {int(counts.get('unmet', 0))} 项，"
            f"{GAP_STATUS.label('no_data')} {int(counts.get('no_data', 0))} 项。")


def _county_frame(result: GapResult) -> pd.DataFrame:
    """The county rows as the report shows them: 现有/应有, 完成情况, 目标 as planners write."""
    rows = []
    for _, r in result.county().iterrows():
        ind = result.preset.indicator(str(r["indicator_id"]))
        if ind.kind == "count":
            have = _int_text(r["numerator"])
        elif _is_na(r["numerator"]) or _is_na(r["denominator"]):
            have = _NA
        else:
            have = f"{_num(r['numerator'])}/{_num(r['denominator'])}"
        short = _int_text(r["shortfall"])
        if short != _NA:
            short += SHORTFALL_UNIT.label(r["shortfall_unit"])
        rows.append({"指标": str(r["indicator_name"]), "考核层级": SCOPE.label(ind.scope),
                     "现有/应有": have, "完成情况": _rate_text(ind.kind, r["rate"], r["per"]),
                     "目标": ind.target_text, "状态": _status(r["status"]), "缺口": short})
    return pd.DataFrame(rows, columns=["指标", "考核层级", "现有/应有", "完成情况", "目标",
                                       "状态", "缺口"])


def _county_note(result: GapResult) -> str:
    """The table's note: what 缺口 means, then each indicator's remarks, numbered."""
    items = ["缺口为达到目标还需新增的最少数量（按向上取整计算）"]
    for _, r in result.county().iterrows():
        remark = notes_text(r["notes"])
        if remark:
            items.append(f"{r['indicator_name']}：{remark}")
    if len(items) == 1:
        return f"注：{items[0]}。"
    return "注：" + "；".join(f"{i}.{t}" for i, t in enumerate(items, 1)) + "。"


def report_overview(result: GapResult) -> tuple[str, ...]:
    """The report's paragraphs on the indicators: the count by status, the room indicator."""
    county = result.county()
    counts = county["status"].value_counts()
    preset = result.preset
    title = f"《{preset.name}》" + (f"（{preset.document}）" if preset.document else "")
    tally = "，".join(f"{GAP_STATUS.label(code)}{int(counts[code])}项"
                     for code in GAP_STATUS if counts.get(code, 0))
    out = [f"对照{title}，本次评估{len(county)}项指标，全县{tally}。"]
    room = preset.room_indicator()
    rows = county[county["indicator_id"] == room.id] if room is not None else county.iloc[:0]
    if room is not None and len(rows):
        r = rows.iloc[0]
        if not _is_na(r["rate"]) and not _is_na(r["denominator"]):
            text_ = (f"{room.name}为{float(r['rate']) * 100:.1f}%（已建{_num(r['numerator'])}个，"
                     f"应建{_num(r['denominator'])}个），目标为{room.target_text.lstrip('≥')}以上")
            if r["status"] == "met":
                text_ += "，已达到目标。"
            elif not _is_na(r["shortfall"]):
                text_ += f"，全县还差{int(r['shortfall'])}个。"
                if not _is_na(r["in_pipeline"]) and int(r["in_pipeline"]):
                    text_ = (text_[:-1] + f"；另有在建{_int_text(r['under_construction'])}个、"
                             f"规划{_int_text(r['planned'])}个，")
                    text_ += ("全部建成后可达标。" if r["met_if_pipeline"] is True
                              else "全部建成后仍未达标。")
            else:
                text_ += "。"
            out.append(text_)
    return tuple(out)


def _top_townships(result: GapResult, n: int = 3) -> str:
    r = result.ranking
    r = r[r["site_shortfall"].fillna(0) > 0].head(n)
    if not len(r):
        return "各乡镇（街道）均无站点缺口。"
    names = "、".join(f"{t}（{int(s)}个）" for t, s in zip(r["township_name"],
                                                          r["site_shortfall"], strict=True))
    return f"按各项指标站点缺口合计从大到小排列，缺口最大的是{names}。"


def section(result: GapResult, *,
            pictures: Sequence[tuple[str, Path]] = ()) -> ReportSection:
    """The report's section on the indicators: the county table and the township ranking.

    Parameters
    ----------
    result
        The gaps stage's result.
    pictures
        ``(caption, PNG)`` figures shown with the township ranking (the completion map).
    """
    ranking = result.ranking.copy()
    ranking["unmet_indicators"] = ranking["unmet_indicators"].map(
        lambda v: _indicator_names(result, v).replace("；", "、"))
    ranking = frame_for_report(ranking, {
        "rank": "排名", "township_name": "乡镇（街道）", "site_shortfall": "站点缺口",
        "staff_shortfall": "人员缺口", "unmet_binding": COLUMNS.label("unmet_binding"),
        "unmet_indicators": COLUMNS.label("unmet_indicators")}, decimals=0)
    return ReportSection(
        "指标完成情况与缺口",
        subsections=(
            ReportSection("全县指标完成情况", table=_county_frame(result),
                          table_title="全县各项指标完成情况", table_note=_county_note(result),
                          max_rows=200),
            ReportSection("乡镇（街道）排名", paragraphs=(_top_townships(result),),
                          table=ranking, table_title="各乡镇（街道）指标缺口排名",
                          pictures=tuple(pictures), max_rows=200),
        ))


def citation_table(result: GapResult) -> pd.DataFrame:
    """Each assessed indicator with its target, deadline and the policy text it comes from."""
    rows = []
    for _, r in result.county().iterrows():
        ind = result.preset.indicator(str(r["indicator_id"]))
        deadline = r["deadline"]
        rows.append({"指标": str(r["indicator_name"]), "目标": ind.target_text,
                     "完成期限": _NA if _is_na(deadline) else date_zh(str(deadline)),
                     "政策依据": "" if _is_na(r["citation"]) else str(r["citation"])})
    return pd.DataFrame(rows, columns=["指标", "目标", "完成期限", "政策依据"])
