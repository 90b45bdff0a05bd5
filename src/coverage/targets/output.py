"""Writers and text formatters for target presets and :class:`~coverage.targets.GapResult`.

``write_gaps`` writes ``gaps.csv`` (UTF-8 with BOM, tidy English columns), ``gaps.xlsx``
(Chinese headers, frozen header row, percentage formats, red fill on 未达标 rows; sheets
指标汇总/乡镇排名/村居明细) and ``gaps.json``; every file is written atomically through
:mod:`coverage.io`.  Text tables pad by display width (CJK characters are two columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from coverage import io
from coverage._errors import InputError
from coverage._text import display_width, text_table
from coverage.config import KIND_LABELS
from coverage.targets._model import (
    INDICATOR_KINDS,
    SCOPES,
    Indicator,
    TargetPreset,
    list_presets,
)
from coverage.targets.engine import NO_DATA, UNMET, GapResult

__all__ = [
    "FLAG_LABELS",
    "RANKING_LABELS",
    "TABLE_LABELS",
    "format_gaps_text",
    "format_indicator",
    "format_preset_list",
    "format_target",
    "write_gaps",
]

TABLE_LABELS: dict[str, str] = {
    "indicator_id": "指标代码",
    "indicator_name": "指标名称",
    "kind": "指标类型",
    "scope": "考核层级",
    "unit_level": "单位层级",
    "unit_code": "区划代码",
    "unit_name": "单位名称",
    "numerator": "现有(分子)",
    "denominator": "应有(分母)",
    "rate": "现状",
    "target": "目标",
    "per": "每",
    "met": "是否达标",
    "shortfall": "缺口",
    "shortfall_unit": "缺口单位",
    "in_pipeline": "在建+规划",
    "under_construction": "在建",
    "planned": "规划",
    "met_if_pipeline": "在建规划完成后达标",
    "binding": "考核口径",
    "status": "状态",
    "deadline": "完成期限",
    "note": "说明",
    "citation": "政策依据",
}
RANKING_LABELS: dict[str, str] = {
    "rank": "排名",
    "township_code": "乡镇代码",
    "township_name": "乡镇(街道)",
    "site_shortfall": "站点缺口合计",
    "staff_shortfall": "人员缺口合计",
    "binding_site_shortfall": "考核指标站点缺口",
    "unmet_binding": "未达标考核指标数",
    "unmet_all": "未达标指标数(含参考)",
    "no_data": "无数据指标数",
    "unmet_indicators": "未达标指标",
}
FLAG_LABELS: dict[str, str] = {
    "indicator_id": "指标代码",
    "indicator_name": "指标名称",
    "layer": "图层",
    "id": "代码",
    "name": "名称",
    "township_code": "乡镇代码",
    "township_name": "乡镇(街道)",
    "status": "状态代码",
    "status_label": "建设状态",
    "need": "缺口",
    "detail": "说明",
}
_LEVEL_LABELS = {"county": "县(市、区)", "township": "乡镇(街道)"}
_RED = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
_HEADER_FILL = PatternFill(start_color="DDEBF7", end_color="DDEBF7", fill_type="solid")
_PERCENT = "0.0%"
_MAX_WIDTH = 60


# --------------------------------------------------------------------------- text helpers


def _is_na(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


def _rate_text(kind: str, rate: object, per: object) -> str:
    if _is_na(rate):
        return "—"
    r = float(rate)  # type: ignore[arg-type]
    if kind == "rate":
        return f"{r * 100:.1f}%"
    if kind == "staff_ratio":
        return f"{r:.2f}:{per}"
    return f"{r:.1f}"


def _int_text(v: object) -> str:
    return "—" if _is_na(v) else str(int(v))  # type: ignore[call-overload]


# --------------------------------------------------------------------------- presets


def format_indicator(indicator: Indicator, *, preset: TargetPreset | None = None) -> str:
    """Describe one indicator for ``coverage targets show``, ending with its citation."""
    ind = indicator
    lines = [f"{ind.id}  {ind.name}"]
    if preset is not None:
        lines.append(f"预设 preset: {preset.id}  {preset.name}")
    lines += [
        f"类型 kind: {ind.kind} ({INDICATOR_KINDS[ind.kind]})    "
        f"考核层级 scope: {ind.scope} ({SCOPES[ind.scope]})",
        f"目标 target: {ind.target_text}    完成期限 deadline: "
        f"{ind.deadline.isoformat() if ind.deadline else '未规定'}"
        + ("" if ind.enabled else "    (已停用 disabled)"),
        f"分子 numerator: {ind.numerator.describe() or '—'}",
    ]
    if ind.denominator is not None:
        lines.append(f"分母 denominator: {ind.denominator.describe()}")
    if ind.note:
        lines.append(f"说明 note: {ind.note}")
    if ind.source != "preset":
        lines.append(f"来源 source: {ind.source}")
    clause = f" {ind.citation.clause}" if ind.citation.clause else ""
    lines.append(f"依据 citation: {ind.citation.file}{clause}")
    lines.append(f"  “{ind.citation.quote}”")
    return "\n".join(lines)


def format_preset_list(presets: Sequence[TargetPreset] | None = None) -> str:
    """List presets and their indicators (``coverage targets list``)."""
    presets = list_presets() if presets is None else list(presets)
    blocks: list[str] = []
    for p in presets:
        deadline = p.deadline.isoformat() if p.deadline else "未规定"
        head = f"{p.id}  {p.name}"
        meta = f"  {p.document}；{len(p.indicators)} 项指标；期限 {deadline}；依据 {p.source}"
        rows = [[i.id, i.name, i.target_text, SCOPES[i.scope]] for i in p.indicators]
        table = text_table(["指标代码", "指标名称", "目标", "考核层级"], rows,
                            [False, False, True, False])
        blocks.append("\n".join([head, meta, *("  " + t for t in table)]))
    return "\n\n".join(blocks)


def format_target(indicator_id: str, *, presets: Sequence[TargetPreset] | None = None) -> str:
    """Show an indicator by id (``coverage targets show ID``) in every preset that has it.

    ``indicator_id`` may be ``ID`` or ``PRESET.ID`` (e.g. ``wuzhong_2023.village_room_rate``).

    Raises
    ------
    InputError
        No preset has that indicator (the known ids are listed).
    """
    presets = list_presets() if presets is None else list(presets)
    want_preset, _, want_id = indicator_id.rpartition(".")
    found = [format_indicator(ind, preset=p) for p in presets for ind in p.indicators
             if ind.id == want_id and (not want_preset or p.id == want_preset)]
    if not found:
        known = sorted({i.id for p in presets for i in p.indicators})
        raise InputError.single(f"no target indicator {indicator_id!r}", value=indicator_id,
                                column="ID", fix="one of: " + ", ".join(known))
    return "\n\n".join(found)


# --------------------------------------------------------------------------- gaps text


def format_gaps_text(result: GapResult, *, top: int = 10) -> str:
    """Plain-text report for the CLI: county result per indicator, then township ranking."""
    s = result.summary
    preset = result.preset
    lines = [f"{result.county_name} ({result.county_code})  目标预设: {preset.name} "
             f"({preset.id})"]
    counts = s["status_counts"]
    lines.append("县级结果: " + "，".join(f"{k} {v} 项" for k, v in counts.items() if v))
    lines.append("")
    county = result.county()
    rows: list[list[str]] = []
    for _, r in county.iterrows():
        ind = preset.indicator(str(r["indicator_id"]))
        if ind.kind == "count":
            current = _int_text(r["numerator"])
        elif _is_na(r["numerator"]) or _is_na(r["denominator"]):
            current = "—"
        else:
            current = f"{_num(r['numerator'])}/{_num(r['denominator'])}"
        short = _int_text(r["shortfall"])
        if short != "—":
            short += str(r["shortfall_unit"])
        pipe = "—" if _is_na(r["in_pipeline"]) else (
            f"{_int_text(r['under_construction'])}/{_int_text(r['planned'])}")
        if not _is_na(r["met_if_pipeline"]) and r["status"] == UNMET and r["met_if_pipeline"]:
            pipe += " (建成后达标)"
        rows.append([str(r["indicator_name"]), SCOPES[ind.scope], current,
                     _rate_text(ind.kind, r["rate"], r["per"]), ind.target_text,
                     str(r["status"]), short, pipe])
    lines += text_table(
        ["指标", "考核层级", "现有/应有", "现状", "目标", "状态", "缺口", "在建/规划"], rows,
        [False, False, True, True, True, False, True, False])
    missing = county[county["status"] == NO_DATA]
    if len(missing):
        lines.append("")
        lines.append("无数据的指标（请补充数据）:")
        for _, r in missing.iterrows():
            lines.append(f"  - {r['indicator_name']} ({r['indicator_id']}): {r['note']}")
    ranking = result.ranking
    if len(ranking):
        lines.append("")
        lines.append(f"乡镇(街道)缺口排名 (前{min(top, len(ranking))}名):")
        rrows = [[str(r["rank"]), str(r["township_name"]), str(r["site_shortfall"]),
                  str(r["staff_shortfall"]), str(r["unmet_binding"]),
                  _truncate(str(r["unmet_indicators"]) or "—", 48)]
                 for _, r in ranking.head(top).iterrows()]
        lines += text_table(["排名", "乡镇(街道)", "站点缺口", "人员缺口", "未达标考核指标数",
                              "未达标指标"], rrows, [True, False, True, True, True, False])
    if len(result.flags):
        lines.append("")
        lines.append(f"逐个单位未达标 {len(result.flags)} 处，见 gaps.xlsx「村居明细」。")
    return "\n".join(lines)


def _truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` display columns, marking the cut with …."""
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _num(v: object) -> str:
    f = float(v)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else f"{f:.1f}"


# --------------------------------------------------------------------------- files


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    obj = df.astype(object)
    return obj.where(obj.notna(), None).to_dict("records")


def _xlsx_value(v: object) -> object:
    return None if _is_na(v) else v


def _fill_sheet(ws: Worksheet, df: pd.DataFrame, labels: dict[str, str],
                translate: dict[str, dict[Any, str]] | None = None) -> None:
    columns = list(df.columns)
    ws.append([labels.get(c, c) for c in columns])
    translate = translate or {}
    for record in _records(df):
        ws.append([_xlsx_value(translate.get(c, {}).get(record[c], record[c]))
                   for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    ws.freeze_panes = "A2"
    if len(df):
        ws.auto_filter.ref = ws.dimensions
    for i, col in enumerate(columns, 1):
        texts = [labels.get(col, col)] + [str(v) for v in df[col].astype(object)
                                          if not _is_na(v)]
        width = min(_MAX_WIDTH, max(display_width(t) for t in texts) + 2)
        ws.column_dimensions[get_column_letter(i)].width = max(6, width)


def _write_xlsx(result: GapResult, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "指标汇总"
    table = result.table
    yes_no = {True: "是", False: "否"}
    _fill_sheet(ws, table, TABLE_LABELS, {
        "kind": INDICATOR_KINDS, "scope": SCOPES, "unit_level": _LEVEL_LABELS,
        "met": yes_no, "met_if_pipeline": yes_no,
        "binding": {True: "考核", False: "参考"},
    })
    col = {c: get_column_letter(i) for i, c in enumerate(table.columns, 1)}
    for i, kind in enumerate(table["kind"].astype(str), 2):
        for c in ("rate", "target"):
            cell = ws[f"{col[c]}{i}"]
            cell.number_format = _PERCENT if kind == "rate" else "0.00"
    last = len(table) + 1
    if len(table):
        ref = f"A2:{get_column_letter(len(table.columns))}{last}"
        ws.conditional_formatting.add(
            ref, FormulaRule(formula=[f'${col["status"]}2="{UNMET}"'], fill=_RED))
    ws_rank = wb.create_sheet("乡镇排名")
    _fill_sheet(ws_rank, result.ranking, RANKING_LABELS)
    if len(result.ranking):
        sc = get_column_letter(list(result.ranking.columns).index("unmet_binding") + 1)
        ws_rank.conditional_formatting.add(
            f"A2:{get_column_letter(len(result.ranking.columns))}{len(result.ranking) + 1}",
            FormulaRule(formula=[f"${sc}2>0"], fill=_RED))
    ws_flags = wb.create_sheet("村居明细")
    _fill_sheet(ws_flags, result.flags, FLAG_LABELS, {"layer": dict(KIND_LABELS)})
    with io.atomic_path(path) as tmp:
        wb.save(tmp)


def write_gaps(result: GapResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``gaps.csv``, ``gaps.xlsx`` and ``gaps.json`` into ``out_dir`` (atomically).

    Returns
    -------
    dict
        ``{"csv": path, "xlsx": path, "json": path}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out / "gaps.csv", "xlsx": out / "gaps.xlsx", "json": out / "gaps.json"}
    io.write_csv(result.table, paths["csv"])
    _write_xlsx(result, paths["xlsx"])
    io.write_json({
        "summary": result.summary,
        "table": _records(result.table),
        "ranking": _records(result.ranking),
        "flags": _records(result.flags),
    }, paths["json"])
    return paths


