"""Excel workbooks a planner can read: Chinese headers, frozen header row, formats, widths.

One writer for every workbook the package produces (gap tables, the run's tables workbook),
so they all look the same.  Written atomically through :func:`coverage.io.atomic_path`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverage._text import display_width
from coverage.io import atomic_path

__all__ = ["SheetSpec", "sheet_title", "write_workbook"]

_HEADER_FILL = "12355B"
_BAD_FILL = "FDE2E1"
_BAD_FONT = "9B1C1C"


@dataclass(frozen=True)
class SheetSpec:
    """One sheet: a frame, optional Chinese header labels and cell formats.

    Parameters
    ----------
    frame
        The data (column names are replaced by ``labels`` where given).
    labels
        Column name → Chinese header.
    percent
        Columns holding shares in 0..1, shown as ``0.0%``.
    integer
        Columns shown without decimals.
    highlight
        ``(column, value)``: rows whose ``column`` equals ``value`` are filled red
        (conditional formatting, so it survives sorting in Excel).
    """

    frame: pd.DataFrame
    labels: Mapping[str, str] = field(default_factory=dict)
    percent: Sequence[str] = ()
    integer: Sequence[str] = ()
    highlight: tuple[str, str] | None = None


def write_workbook(sheets: Mapping[str, SheetSpec], path: Path) -> Path:
    """Write ``sheets`` (sheet name → spec) to one XLSX file, atomically.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, spec in sheets.items():
        ws = wb.create_sheet(title=sheet_title(name))
        df = spec.frame
        headers = [spec.labels.get(c, c) for c in df.columns]
        ws.append(headers)
        for row in df.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, col in enumerate(df.columns, 1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            fmt = "0.0%" if col in spec.percent else "0" if col in spec.integer else None
            if fmt:
                for r in range(2, len(df) + 2):
                    ws.cell(row=r, column=j).number_format = fmt
            sample = [headers[j - 1], *df[col].astype(str).head(200)]
            width = min(60, max(display_width(s) for s in sample) + 2)
            ws.column_dimensions[get_column_letter(j)].width = max(8, width)
        ws.freeze_panes = "A2"
        if len(df):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
        if spec.highlight and spec.highlight[0] in df.columns and len(df):
            col_letter = get_column_letter(list(df.columns).index(spec.highlight[0]) + 1)
            last = get_column_letter(len(df.columns))
            value = spec.highlight[1].replace('"', '""')
            ws.conditional_formatting.add(
                f"A2:{last}{len(df) + 1}",
                FormulaRule(formula=[f'${col_letter}2="{value}"'],
                            fill=PatternFill("solid", fgColor=_BAD_FILL),
                            font=Font(color=_BAD_FONT)),
            )
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def sheet_title(name: str) -> str:
    """An Excel-safe sheet title: no ``[]:*?/\\``, at most 31 characters."""
    for ch in "[]:*?/\\":
        name = name.replace(ch, "、" if ch == "/" else "-")
    return name[:31] or "Sheet"


def _cell(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        try:
            return v.item()  # numpy scalar -> python
        except (AttributeError, ValueError):
            return str(v)
    if isinstance(v, str | int | float | bool):
        return v
    return str(v)
