"""Cell values of a layer: codes, names, statuses, numbers — checked, typed, reported.

Codes are folded (NFKC, no invisible characters, no spaces) and every column where that
changed something gets one warning; a code Excel turned into a float (``3.79901E+11``) is an
error that says the digits are lost.  Numbers refuse the ambiguous (a decimal comma) and the
impossible (``1e309`` people, a village of two million) and warn about the implausible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from coverage._clean import (
    NumberError,
    build_lookup,
    is_missing_token,
    normalize_cell,
    normalize_code,
    normalize_text,
    parse_bool,
    parse_grade,
    parse_number,
)
from coverage.config import LayerConfig
from coverage.load._frame import LayerFrame, Source
from coverage.problems import Problems
from coverage.synonyms import STATUS_SYNONYMS, SUBTYPE_SYNONYMS
from coverage.vocabulary import CANONICAL_FIELDS, KIND

__all__ = ["LIMITS", "check_codes", "check_names", "normalise_codes", "typed_columns"]

_EXCEL_FLOAT = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")
_FLOAT_SUFFIX = re.compile(r"(\d+)\.0+")
_STAFF = ("counsellors", "social_workers", "psychiatrists", "psych_teachers", "professionals")

#: (warn above, error above) per numeric field; ``(field, kind)`` entries win.  A value above
#: the first is unusual (a warning asking to check it), above the second impossible.
LIMITS: dict[str | tuple[str, str], tuple[float, float]] = {
    "population": (5_000_000, 50_000_000),
    ("population", "village"): (50_000, 1_000_000),
    ("population", "community"): (100_000, 1_000_000),
    "enrolment": (20_000, 200_000),
    **{f: (500, 100_000) for f in _STAFF},
    "cost": (100_000, 10_000_000),      # 万元: 10 亿 unusual, 1000 亿 impossible
    "capacity": (1_000_000, 1_000_000_000),
}


def normalise_codes(raw: pd.Series, src: Source, excel_rows: np.ndarray,
                    problems: Problems) -> pd.Series:
    """Fold codes as typed into codes; report the column once when that changed cells.

    ``"３７０８３１…"`` (full-width), ``"370831…\\u00a0"`` (no-break space), ``" 370831…"``,
    ``"370831001001.0"`` become ``"370831001001"``.  ``"3.79901E+11"`` is an error: Excel
    turned the code into a number and its last digits are lost.
    """
    texts = ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
             for v in raw]
    out: list[str] = []
    changed: list[int] = []
    for i, text in enumerate(texts):
        code = normalize_code(text)
        m = _FLOAT_SUFFIX.fullmatch(code)
        if m:
            code = m.group(1)
        if code != text:
            changed.append(i)
        if _EXCEL_FLOAT.fullmatch(code):
            problems.add(
                "代码被 Excel 变成了科学计数法，末几位已丢失 (Excel turned the code into a number "
                "in scientific notation; its last digits are lost)",
                file=src.file, sheet=src.sheet, row=int(excel_rows[i]), column=src.header,
                cell=src.letter, value=text, code="excel_float_code",
                fix="re-enter the codes from the original list into a column formatted as 文本 "
                    "(Text) before pasting; or open the CSV with 数据→自文本 and set the "
                    "column to 文本 — the lost digits cannot be recovered from this file",
            )
        out.append(code)
    if changed:
        i = changed[0]
        rows = ", ".join(str(int(excel_rows[k])) for k in changed[:10])
        problems.add(
            f"{len(changed)} 个代码已规范化 ({len(changed)} codes had full-width digits, spaces "
            f"or invisible characters and were normalised (NFKC), rows {rows}"
            + (" …" if len(changed) > 10 else "") + ")",
            file=src.file, sheet=src.sheet, row=int(excel_rows[i]), column=src.header,
            cell=src.letter, value=f"{texts[i]!r} → {out[i]!r}", severity="warning",
            code="code_normalised",
            fix="nothing to do if the codes are right; to silence this, type the codes with "
                "half-width digits and no spaces",
        )
    return pd.Series(out, index=raw.index, dtype=object)


def check_codes(fr: LayerFrame, problems: Problems) -> pd.Series:
    """Empty and duplicate codes are errors; returns the codes (``""`` where empty)."""
    ids = fr.data["id"].astype(str) if "id" in fr.data else pd.Series([""] * len(fr))
    for i in map(int, np.flatnonzero((ids == "").to_numpy())):
        fr.report(problems, "id", i, "empty code", "every point needs a unique code",
                  code="empty_code")
    dup = ids.duplicated(keep=False) & (ids != "")
    for code in ids[dup].unique():
        idx = np.flatnonzero((ids == code).to_numpy())
        rows = [fr.where("id", int(i))["row"] for i in idx]
        fr.report(problems, "id", int(idx[1]), f"duplicate code on rows {rows}",
                  "each point needs a unique code; remove or renumber the duplicate",
                  value=code, code="duplicate_code")
    return ids.reset_index(drop=True)


def check_names(fr: LayerFrame, problems: Problems) -> None:
    """Empty, blank or null names: one warning per layer listing the rows."""
    if "name" not in fr.data:
        return
    names = fr.data["name"].astype(str)
    bad = np.flatnonzero([normalize_text(v) == "" or is_missing_token(v) for v in names])
    if len(bad):
        example = fr.typed("name", int(bad[0]))
        fr.report_column(
            problems, "name", bad,
            f"{len(bad)} 行名称为空 ({len(bad)} rows have an empty, blank or null name)",
            "fill in the name (maps, tables and reports list the units by name)",
            code="empty_name", example=example or None)


def _vocab_column(lc: LayerConfig, fr: LayerFrame, field_: str,
                  vocab: Mapping[str, tuple[str, ...]], problems: Problems) -> pd.Series:
    lookup = build_lookup(vocab)
    vals = []
    for i, raw in enumerate(fr.data[field_]):
        canon = lookup.get(normalize_cell(raw))
        if canon is None:
            allowed = "; ".join(f"{k}: {'/'.join(v for v in vs if v) or '(空)'}"
                                for k, vs in vocab.items())
            fr.report(problems, field_, i, f"unknown {field_} value",
                      f"use one of the known values ({allowed}) or add it to "
                      f"[layers.{lc.kind}.{field_}_values]", code=f"unknown_{field_}")
        vals.append(canon if canon is not None else pd.NA)
    return pd.Series(vals, dtype="string")


def _limits(field_: str, kind: str) -> tuple[float, float] | None:
    return LIMITS.get((field_, kind)) or LIMITS.get(field_)


def _number_column(lc: LayerConfig, fr: LayerFrame, field_: str, problems: Problems
                   ) -> pd.Series:
    col = fr.data[field_].astype(str)
    vals = np.full(len(col), np.nan)
    widened: list[int] = []
    label = CANONICAL_FIELDS[field_][1]
    for i, text in enumerate(col):
        if text == "":
            continue
        try:
            vals[i] = parse_number(text)
        except NumberError as exc:
            fix = {"decimal_comma": "write the number with a decimal point and no thousands "
                                    "dots (1234.5)",
                   "non_finite": "enter the real count (a finite number)",
                   "missing_token": "leave the cell empty when the value is unknown"}.get(
                exc.code, "enter a plain number (no units or text; 1.2万 → 12000)")
            fr.report(problems, field_, i, f"not a number: {exc}", fix,
                      code="not_a_number" if exc.code == "not_a_number" else exc.code)
            continue
        if normalize_text(text) != text:
            widened.append(i)
    if widened:
        fr.report_column(problems, field_, np.asarray(widened),
                         f"{len(widened)} 个数字含全角字符，已按半角读取 ({len(widened)} numbers "
                         "had full-width digits and were read as half-width)",
                         "nothing to do if the numbers are right", code="number_normalised",
                         example=fr.typed(field_, widened[0]))
    kind_label = KIND.label(lc.kind) if lc.kind in KIND else lc.kind
    for i in map(int, np.flatnonzero(vals < 0)):
        fr.report(problems, field_, i, f"negative value ({label})",
                  "counts and populations cannot be negative", code="negative_value")
    if field_ == "population":
        for i in map(int, np.flatnonzero(vals == 0)):
            fr.report(problems, field_, i, "population is 0",
                      "enter the 常住人口 of the unit (0 leaves it out of every per-person "
                      "figure)", severity="warning", code="non_positive_number")
    bounds = _limits(field_, lc.kind)
    if bounds is not None:
        warn, error = bounds
        for i in map(int, np.flatnonzero(vals > error)):
            fr.report(problems, field_, i,
                      f"impossible {label} for one {kind_label} (more than {error:,.0f})",
                      "check the number (a misplaced decimal point, a total typed into a "
                      "unit's row, or a number in the wrong unit)", code="implausible_number")
        for i in map(int, np.flatnonzero((vals > warn) & (vals <= error))):
            fr.report(problems, field_, i,
                      f"unusually large {label} for one {kind_label} (more than {warn:,.0f})",
                      "check the number; nothing to do if it is right", severity="warning",
                      code="implausible_number")
    return pd.Series(vals, dtype="Float64")


def typed_columns(lc: LayerConfig, fr: LayerFrame, problems: Problems) -> dict[str, pd.Series]:
    """Typed canonical columns (status and subtype codes, floats, grades, booleans)."""
    out: dict[str, pd.Series] = {}
    for field_ in fr.data.columns:
        if field_ in ("id", "name", "lon", "lat", "wkt", "township"):
            continue
        typ = CANONICAL_FIELDS[field_][0]
        col = fr.data[field_].astype(str)
        if typ == "status":
            out[field_] = _vocab_column(lc, fr, field_, lc.status_values or STATUS_SYNONYMS,
                                        problems)
        elif typ == "subtype":
            vocab = lc.subtype_values or SUBTYPE_SYNONYMS.get(lc.kind)
            out[field_] = (_vocab_column(lc, fr, field_, vocab, problems) if vocab
                           else col.replace("", pd.NA).astype("string"))
        elif typ == "float":
            out[field_] = _number_column(lc, fr, field_, problems)
        elif typ == "grade":
            parsed = [parse_grade(v) for v in col]
            for i, p in enumerate(parsed):
                if p is None:
                    fr.report(problems, field_, i, "unknown hospital grade",
                              "use 三级/二级/一级/未定级 (or 3/2/1/0)", code="unknown_grade")
            out[field_] = pd.Series([p if p is not None else pd.NA for p in parsed],
                                    dtype="Int64")
        elif typ == "bool":
            parsed_b = [parse_bool(v) for v in col]
            for i, b in enumerate(parsed_b):
                if b is None:
                    fr.report(problems, field_, i, "expected 是/否", "use 是 or 否 (or 1/0)",
                              code="not_yes_no")
            out[field_] = pd.Series([b if b is not None else pd.NA for b in parsed_b],
                                    dtype="boolean")
        else:
            out[field_] = col.replace("", pd.NA).astype("string")
    if "ur_code" in out:
        ur = out["ur_code"]
        bad = ur.notna() & ~ur.str.fullmatch(r"[12]\d\d").fillna(False)
        for i in map(int, np.flatnonzero(bad.to_numpy())):
            fr.report(problems, "ur_code", i, "not a 城乡分类代码",
                      "use the 3-digit code: 111/112/121/122/123 (urban), 210/220 (rural)",
                      code="bad_ur_code")
    return out
