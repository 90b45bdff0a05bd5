"""The draft region TOML: every key the plan decided, each guess commented with why.

A value the planner must check carries a ``？`` in its comment; the questions are listed at
the top.  Columns that were not placed are listed under their layer, so nothing is dropped
without a word.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from coverage.scaffold._crs import ANSWER_FIX
from coverage.scaffold._model import ColumnGuess, CRSGuess, Reason, SourceSurvey
from coverage.scaffold._plan import Plan, PlannedLedger, fits
from coverage.scaffold._words import reason_text, use_text
from coverage.vocabulary import ADMIN_LEVEL, KIND

__all__ = ["render_toml"]

_WIDTH = 40


def _q(value: object) -> str:
    """A TOML value: strings as basic strings (JSON escapes are TOML escapes), ints as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_q(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def _line(key: str, value: object, comment: str = "") -> str:
    text = f"{key} = {_q(value)}"
    if comment:
        comment = " ".join(comment.split())
        text = f"{text.ljust(_WIDTH)}  # {comment}"
    return text


def _rel(path: Path, folder: Path, toml_dir: Path) -> str:
    target = folder / path
    try:
        return Path(os.path.relpath(target, toml_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return target.as_posix()


def _crs_lines(g: CRSGuess, *, vector: bool) -> list[str]:
    why = reason_text(g.reason)
    if g.units == "none":
        return [] if vector else [_line("crs", "EPSG:4326", why)]
    if g.needs_answer:
        if g.units == "metres":
            return [f'# crs = "EPSG:…"   # ？待回答 {why}: {ANSWER_FIX}']
        value = g.crs or "EPSG:4326"
        return [_line("crs", value, f"？待确认 {why}；数据来自高德/腾讯 → \"gcj02\"，百度 → "
                      "\"bd09\"，GPS → \"EPSG:4326\"，天地图 → \"EPSG:4490\"")]
    if not g.crs:
        return [f"# crs: {why} {g.evidence}".rstrip()]
    return [_line("crs", g.crs, why)]


def _columns(title: str, columns: Sequence[tuple[str, str]], src: SourceSurvey) -> list[str]:
    out = [f"[{title}]"]
    guesses = {c.header: c for c in src.columns}
    for field_, header in columns:
        g = guesses.get(header)
        mark = "？" if g is not None and g.confidence < 0.6 else ""
        why = f"{mark}{g.confidence:.0%} {reason_text(g.reason)}" if g is not None else ""
        out.append(_line(field_, header, why))
    return out


def _unplaced(src: SourceSurvey, used: set[str], kind: str = "") -> list[str]:
    rest = [c for c in src.columns if c.header not in used]
    if not rest:
        return []

    def why(c: ColumnGuess) -> Reason:
        if c.role is None or c.role in ("lon", "lat", "wkt", "id"):
            return c.reason
        return Reason.of("in_layer") if not kind or fits(kind, c.role) else Reason.of(
            "unused_role")

    items = [f"{c.header}（{reason_text(why(c))}）" for c in rest]
    lines, line = [], "# 未读取的列 (columns not read):"
    for item in items:
        if len(line) + len(item) > 96:
            lines.append(line)
            line = "#  "
        line += " " + item
    return [*lines, line]


def _vocab(title: str, items: Sequence[tuple[str, tuple[str, ...]]]) -> list[str]:
    if not items:
        return []
    return [f"[{title}]", *(_line(k, list(v)) for k, v in items)]


def _ledger(kind: str, led: PlannedLedger, plan: Plan, toml_dir: Path) -> list[str]:
    src = plan.survey.source(led.source)
    share = f"{led.share:.0%}"
    head = f"# 台账按代码关联 (the 台账 is joined by code): {share} of the layer's codes are in it"
    if led.shared_with:
        head += f"; the same sheet also feeds {', '.join(led.shared_with)}"
    out = ["", head, f"[layers.{kind}.ledger]", _line("file", _rel(led.file, plan.survey.folder,
                                                                  toml_dir))]
    if led.sheet:
        out.append(_line("sheet", led.sheet))
    out.append(_line("header_row", led.header_row, reason_text(src.header_reason)))
    if src.format == "csv":
        out.append(_line("encoding", "auto", f"检测为 {src.encoding}"))
    out.append(_line("key", led.key, "台账中与图层代码对应的列"))
    out += _columns(f"layers.{kind}.ledger.columns", led.columns, src)
    out += _unplaced(src, {h for _, h in led.columns} | {led.key}, kind)
    return out


def render_toml(plan: Plan, *, toml_dir: Path, made_on: str | None = None) -> str:
    """The draft region TOML of ``plan``, paths relative to ``toml_dir``."""
    folder = plan.survey.folder
    made = made_on or dt.date.today().isoformat()
    out = [
        "# 区域配置草稿 — 由 coverage init 生成 (draft region config written by coverage init)",
        f"# 文件夹 (folder): {folder}",
        f"# 生成日期 (written): {made}",
        "# 每个猜测后注明把握和理由；带“？”的请核对 (every guess says how sure and why; check "
        "the ones marked ？).",
        "# 核对后运行 (then run): coverage validate THIS.toml",
    ]
    questions = plan.questions
    if questions:
        out.append("#")
        out.append(f"# 待回答/待核对 (questions: {len(questions)}):")
        for i, p in enumerate(questions, 1):
            where = p.file or ""
            if p.sheet:
                where += f" [{p.sheet}]"
            out.append(f"#  {i}. {where}: {' '.join(p.message.split())}")
            out.append(f"#     → {' '.join(p.fix.split())}")
    out += ["", "[region]",
            _line("name", plan.region_name, reason_text(plan.name_reason)),
            _line("code", plan.region_code, reason_text(plan.code_reason)),
            _line("data_date", "", "数据日期，如 \"2025-12-31\"（印在地图和报告上）"),
            _line("source", "", "数据来源，如 \"某县卫健委台账\""),
            _line("organisation", "", "制图/编制单位")]
    if plan.division_codes is not None:
        out.append(_line("division_codes", _rel(plan.division_codes, folder, toml_dir),
                         "统计用区划代码表：按代码给乡镇命名"))
    for a in plan.admin:
        src = plan.survey.source(a.source)
        out += ["", f"# {ADMIN_LEVEL.label(a.level)} — {use_text(src)}", "[[admin]]",
                _line("level", a.level), _line("file", _rel(a.file, folder, toml_dir))]
        if a.layer:
            out.append(_line("layer", a.layer))
        out += _crs_lines(a.crs, vector=True)
        out.append(_line("code_column", a.code_column, _col_why(src, a.code_column)))
        out.append(_line("name_column", a.name_column, _col_why(src, a.name_column)))
        if a.parent_column:
            out.append(_line("parent_column", a.parent_column, _col_why(src, a.parent_column)))
        out += _unplaced(src, {a.code_column, a.name_column, a.parent_column})
    if not any(a.level == "township" for a in plan.admin):
        out += ["", "# 没有乡镇边界：乡镇由村（社区）12位代码推算，地图上为示意范围 (no township "
                "polygons: townships come from the 12-digit codes; approximate areas on maps)"]
    for lay in plan.layers:
        src = plan.survey.source(lay.source)
        out += ["", f"# ---- {KIND.label(lay.kind)} — {use_text(src)}",
                f"[layers.{lay.kind}]", _line("file", _rel(lay.file, folder, toml_dir))]
        if lay.sheet:
            out.append(_line("sheet", lay.sheet, "可见工作表" if src.visible else "？隐藏工作表"))
        if lay.header_row is not None and not lay.vector:
            mark = "？" if src.header_confidence < 0.6 else ""
            out.append(_line("header_row", lay.header_row,
                             mark + reason_text(src.header_reason)))
        if src.format == "csv":
            out.append(_line("encoding", "auto", f"检测为 {src.encoding}"))
        if lay.layer:
            out.append(_line("layer", lay.layer))
        out += _crs_lines(lay.crs, vector=lay.vector)
        out += _columns(f"layers.{lay.kind}.columns", lay.columns, src)
        out += _unplaced(src, {h for _, h in lay.columns}
                         | ({h for _, h in lay.ledger.columns} if lay.ledger else set())
                         | {h for f, h in src.roles.items() if lay.vector
                            and f in ("lon", "lat", "wkt")}, lay.kind)
        out += _vocab(f"layers.{lay.kind}.status_values", lay.status_values)
        out += _vocab(f"layers.{lay.kind}.subtype_values", lay.subtype_values)
        if lay.ledger is not None:
            out += _ledger(lay.kind, lay.ledger, plan, toml_dir)
    out += ["", "[targets]",
            _line("preset", "national_2018", "目标预设；coverage targets list 列出全部（如 "
                  "sishui_2023、wuzhong_2023）")]
    if plan.network is not None:
        out += ["", "[access]", _line("network", _rel(plan.network, folder, toml_dir),
                                      "OSM 路网（.osm/.osm.bz2/.pbf）")]
    else:
        out += ["", "# [access] network = \"roads.osm.pbf\"   # 路网：没有则按直线距离计算"]
    return "\n".join(out) + "\n"


def _col_why(src: SourceSurvey, header: str) -> str:
    g = next((c for c in src.columns if c.header == header), None)
    if g is None:
        return "？未找到，请填写 (not found: fill in the attribute name)"
    return f"{'？' if g.confidence < 0.6 else ''}{g.confidence:.0%} {reason_text(g.reason)}"
