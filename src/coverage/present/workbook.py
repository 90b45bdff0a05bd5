"""Excel workbooks a planner can read and print: the one writer for every XLSX the tool makes.

Chinese headers (from :data:`coverage.vocabulary.COLUMNS`, optionally with an English header
row below them), codes translated into words, number formats instead of rounded text
(``0.0%``, ``#,##0``, ``0.0`` minutes), 是/否 for yes/no, frozen header row, autofilter,
column widths by content, print setup (A4 landscape, fit to width, header row repeated on
every page), and every text cell passed through :func:`coverage.outputs.safe_text` so that a
name typed as ``=HYPERLINK(…)`` stays text.  Written atomically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coverage.outputs import atomic_path, safe_text
from coverage.present._text import display_width
from coverage.vocabulary import COLUMNS, YES_NO, Lang

__all__ = ["SheetSpec", "sheet_titles", "write_workbook"]

_HEADER_FILL = "12355B"
_SUBHEADER_FILL = "DCE6F0"
_BAD_FILL = "FDE2E1"
_BAD_FONT = "9B1C1C"
_MAX_TITLE = 31

#: Number formats by kind.
FORMATS = {
    "percent": "0.0%",
    "integer": "#,##0",
    "decimal1": "#,##0.0",
    "decimal2": "#,##0.00",
    "coordinate": "0.000000",
}


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: a frame of codes and numbers, and how to show it.

    Parameters
    ----------
    frame
        The data.  Column names are codes; their headers come from ``labels`` or else from
        :data:`coverage.vocabulary.COLUMNS`.
    labels
        Column -> header, for columns whose header differs from the glossary's (e.g. a
        ``status`` column that holds gap statuses).
    translate
        Column -> function turning a code into its words (applied to every cell).
    percent, integer, decimal1, decimal2, coordinate
        Columns shown with these number formats (values stay numbers).
    row_formats
        Column -> one number format per row, for columns whose format depends on the row
        (a rate column holding shares for rate indicators and ratios for others).
    highlight
        ``(column, value)``: rows whose cell in ``column`` shows ``value`` (after
        translation) are filled red by conditional formatting (it survives sorting).
    note
        A line written above the table (e.g. the data source); the header row moves down.
    wrap
        Columns of long text: wrapped in their cells, with a wider column.
    description
        What the sheet holds, in a sentence (listed on the workbook's 说明 sheet).

    Numeric columns given no format are shown as ``#,##0`` when every value is whole and
    ``#,##0.00`` otherwise, so that no cell shows a raw float.
    """

    frame: pd.DataFrame
    labels: Mapping[str, str] = field(default_factory=dict)
    translate: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    percent: Sequence[str] = ()
    integer: Sequence[str] = ()
    decimal1: Sequence[str] = ()
    decimal2: Sequence[str] = ()
    coordinate: Sequence[str] = ()
    row_formats: Mapping[str, Sequence[str | None]] = field(default_factory=dict)
    highlight: tuple[str, str] | None = None
    note: str = ""
    wrap: Sequence[str] = ()
    description: str = ""

    def header(self, column: str, lang: Lang = "zh") -> str:
        """The header of ``column`` in ``lang``."""
        if lang == "zh" and column in self.labels:
            return self.labels[column]
        return COLUMNS.label(column, lang) if column in COLUMNS else column

    def number_format(self, column: str) -> str | None:
        """The Excel number format of ``column`` (None: general)."""
        for kind in ("percent", "integer", "decimal1", "decimal2", "coordinate"):
            if column in getattr(self, kind):
                return FORMATS[kind]
        return None


def _cell(value: object, translate: Callable[[Any], Any] | None) -> object:
    """A Python value openpyxl writes as a number, a date or a string — never a formula."""
    if translate is not None:
        value = translate(value)
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return YES_NO.label("yes" if value else "no")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, tuple | list):
        value = "、".join(str(v) for v in value)
    return safe_text(str(value))


def _unique_titles(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        title = name
        n = 2
        while title in out:
            suffix = f"({n})"
            title = name[: _MAX_TITLE - len(suffix)] + suffix
            n += 1
        out.append(title)
    return out


def sheet_titles(names: Sequence[str]) -> list[str]:
    """Excel-safe, unique sheet titles (at most 31 characters, no ``[]:*?/\\``).

    A long name is shortened at a natural break (、，（ or a space) rather than mid-phrase,
    so "可达性-村(社区)心理咨询室、社会工作室" becomes "可达性-村(社区)心理咨询室".
    """
    cleaned = []
    for name in names:
        for ch in "[]:*?\\":
            name = name.replace(ch, "-")
        name = name.replace("/", "、").strip() or "Sheet"
        if len(name) > _MAX_TITLE:
            cut = max((name.rfind(ch, 0, _MAX_TITLE + 1) for ch in "、，,（( "), default=-1)
            name = name[:cut] if cut >= 8 else name[:_MAX_TITLE]
        cleaned.append(name)
    return _unique_titles(cleaned)


def write_workbook(sheets: Mapping[str, SheetSpec], path: Path, *,
                   english_headers: bool = False) -> Path:
    """Write ``sheets`` (sheet name -> spec) to one XLSX file, atomically.

    Parameters
    ----------
    sheets
        Sheet name -> what it holds (names are made Excel-safe with :func:`sheet_titles`).
    path
        The ``.xlsx`` file.
    english_headers
        Add a second header row in English under the Chinese one.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    wb.remove(wb.active)
    for title, (_, spec) in zip(sheet_titles(list(sheets)), sheets.items(), strict=True):
        ws = wb.create_sheet(title=title)
        df = spec.frame.reset_index(drop=True)
        if "geometry" in df.columns:
            df = df.drop(columns="geometry")
        columns = list(df.columns)
        top = 1
        if spec.note:
            ws.cell(row=1, column=1, value=safe_text(spec.note)).font = Font(italic=True)
            top = 2
        headers = [spec.header(c) for c in columns]
        for j, h in enumerate(headers, 1):
            cell = ws.cell(row=top, column=j, value=safe_text(h))
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        if english_headers:
            top += 1
            for j, c in enumerate(columns, 1):
                cell = ws.cell(row=top, column=j, value=safe_text(spec.header(c, "en")))
                cell.font = Font(italic=True)
                cell.fill = PatternFill("solid", fgColor=_SUBHEADER_FILL)
        first = top + 1
        values = {c: [_cell(v, spec.translate.get(c)) for v in df[c].tolist()] for c in columns}
        formats = {c: spec.number_format(c) or _default_format(values[c]) for c in columns}
        for i in range(len(df)):
            for j, c in enumerate(columns, 1):
                v = values[c][i]
                if v is not None:
                    ws.cell(row=first + i, column=j, value=v)
        last = first + len(df) - 1
        for j, c in enumerate(columns, 1):
            fmt = formats[c]
            per_row = spec.row_formats.get(c)
            if (fmt or per_row) and len(df):
                for i, r in enumerate(range(first, last + 1)):
                    f = per_row[i] if per_row is not None else fmt
                    if f:
                        ws.cell(row=r, column=j).number_format = f
            sample = [headers[j - 1], *(_shown(v, fmt) for v in values[c][:300])]
            raw = max(display_width(s) for s in sample) + 2
            width = min(60 if c in spec.wrap else 50, raw)
            if c in spec.wrap:
                for r in range(first, last + 1):
                    ws.cell(row=r, column=j).alignment = Alignment(wrap_text=True,
                                                                   vertical="top")
            ws.column_dimensions[get_column_letter(j)].width = max(8, width)
        ws.freeze_panes = ws.cell(row=first, column=1).coordinate
        if len(df) and columns:
            ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{last}"
        if spec.highlight and spec.highlight[0] in columns and len(df):
            letter = get_column_letter(columns.index(spec.highlight[0]) + 1)
            value = spec.highlight[1].replace('"', '""')
            ws.conditional_formatting.add(
                f"A{first}:{get_column_letter(len(columns))}{last}",
                FormulaRule(formula=[f'${letter}{first}="{value}"'],
                            fill=PatternFill("solid", fgColor=_BAD_FILL),
                            font=Font(color=_BAD_FONT)))
        # print setup: A4 landscape, one page wide, header row(s) on every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_title_rows = f"1:{top}"
        ws.print_options.gridLines = False
        ws.oddHeader.center.text = "&A"
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.page_margins.left = ws.page_margins.right = 0.5
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _default_format(values: Sequence[object]) -> str | None:
    """``#,##0`` for a column of whole numbers, ``#,##0.00`` for other numbers, else None."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) < sum(v is not None for v in values):
        return None
    whole = all(float(v).is_integer() for v in numbers)
    return FORMATS["integer"] if whole else FORMATS["decimal2"]


def _shown(value: object, fmt: str | None) -> str:
    """Roughly what Excel displays, for column widths."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        decimals = {FORMATS["decimal1"]: 1, FORMATS["decimal2"]: 2,
                    FORMATS["coordinate"]: 6}.get(fmt or "")
        if fmt == FORMATS["percent"]:
            return f"{value * 100:.1f}%"
        if fmt == FORMATS["coordinate"]:
            return f"{value:.6f}"
        if decimals is not None:
            return f"{value:,.{decimals}f}"
        if float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)
