"""Tables: CSV/TXT and Excel workbooks, every cell the text the user sees.

A county's 台账 has a title row above the headers, blank rows between blocks, a hidden
sheet left over from last year, formulas saved by a script that never computed them.  The
reader returns the data rows with their Excel row numbers and column letters, and says what
it skipped (:attr:`Table.notes`); what it cannot read is an :class:`InputError` that names
the file, the sheet, the row and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from coverage.problems import InputError, Problem
from coverage.readers._files import (
    DEFAULT_MAX_BYTES,
    ENCODING_FIX,
    check_file,
    decode_error_text,
    detect_bytes_encoding,
    read_bytes,
)

__all__ = ["Table", "read_table"]

#: A workbook may unpack to at most this many times the file size limit (zip bombs).
_UNPACK_FACTOR = 4
#: Rows searched for the headers when the configured header row does not hold them.
_HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True, eq=False)
class Table:
    """A table read from CSV or Excel, every cell a string.

    Parameters
    ----------
    frame
        Data rows (the non-blank rows below the header row); every cell is ``str`` and empty
        cells are ``""``; columns are the header cells with surrounding spaces stripped.
    path
        The file read.
    encoding
        The text encoding used (CSV), or ``None`` for Excel.
    sheet
        The worksheet read (Excel), or ``None`` for CSV.
    header_row
        1-based row of the headers, as Excel shows it.
    rows
        The Excel row number of each data row (blank rows in between are skipped).
    letters
        Header → its column letter as Excel shows it (``"C"``).
    uncached
        Header → ``(excel row, formula)`` of the cells holding a formula without a saved
        value (a workbook written by a script and never opened in Excel/WPS).
    notes
        Warnings found while reading (blank rows skipped, a hidden sheet with the same
        headers); the caller adds them to its problems.
    hidden
        The sheet read is hidden in Excel.
    """

    frame: pd.DataFrame
    path: Path
    encoding: str | None
    sheet: str | None
    header_row: int
    rows: tuple[int, ...] = ()
    letters: Mapping[str, str] = field(default_factory=dict)
    uncached: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    notes: tuple[Problem, ...] = ()
    hidden: bool = False

    def excel_row(self, i: int) -> int:
        """Return the row number the user sees for positional data row ``i`` (0-based)."""
        if self.rows:
            return self.rows[int(i)]
        return self.header_row + 1 + int(i)


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    encoding: str = "auto",
    expect: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Table:
    """Read a CSV/TXT or Excel (.xlsx/.xlsm) table as strings.

    Parameters
    ----------
    path
        The file; the suffix selects the reader.
    sheet
        Excel worksheet name; ``None`` or ``""`` for the first *visible* sheet (a hidden
        sheet is read only when named).
    header_row
        1-based row holding the headers (rows above it, e.g. a title, are skipped).
    encoding
        CSV encoding: ``"auto"`` (see :func:`~coverage.readers.detect_encoding`) or a codec.
    expect
        Headers the caller needs.  When ``header_row`` lacks them and another of the first
        30 rows holds more of them, the error says which row holds the headers.
    max_bytes
        Size limit of the file (a workbook may unpack to four times as much).

    Returns
    -------
    Table

    Raises
    ------
    InputError
        Not a regular file or too large; unknown format or encoding; missing sheet (the
        message lists the sheets); headers on another row (naming it); empty/duplicate
        headers (naming the column letters); values to the right of the last header.

    Notes
    -----
    Excel numbers that are whole are written without ``.0`` (a 12-digit code read as
    ``370831001001.0`` becomes ``"370831001001"``); dates become ISO ``YYYY-MM-DD`` (with
    ``THH:MM:SS`` when there is a time); booleans ``TRUE``/``FALSE``.  Blank rows at the end
    are dropped; blank rows in between are skipped and reported in :attr:`Table.notes`.
    """
    path = Path(path)
    if header_row < 1:
        raise InputError.single(
            "header_row 必须 ≥ 1 (header_row must be at least 1)", file=str(path),
            value=header_row,
            fix="give the row number of the headers as Excel shows it (1 = first row)",
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        book = _read_xlsx(path, sheet=sheet or None, header_row=header_row, max_bytes=max_bytes)
        return _rows_to_table(book.rows, path, encoding=None, sheet=book.sheet,
                              header_row=header_row, expect=expect, formulas=book.formulas,
                              notes=book.notes, hidden=book.hidden)
    if suffix in (".csv", ".txt", ".tsv"):
        rows, used = _read_csv_rows(path, encoding=encoding, header_row=header_row,
                                    max_bytes=max_bytes)
        return _rows_to_table(rows, path, encoding=used, sheet=None, header_row=header_row,
                              expect=expect)
    if suffix in (".xls", ".et", ".ods"):
        fix = "open it in Excel/WPS and 另存为 (save as) .xlsx or CSV UTF-8"
    else:
        fix = "use .csv, .txt, .xlsx or .xlsm"
    raise InputError.single(
        f"不支持的表格格式 (unsupported table format {suffix or 'without suffix'})",
        file=str(path), fix=fix, code="unsupported_format",
    )


def _read_csv_rows(path: Path, *, encoding: str, header_row: int, max_bytes: int
                   ) -> tuple[list[list[str]], str]:
    """Every row of the file from row 1 (the header row picks the delimiter)."""
    data = read_bytes(path, max_bytes=max_bytes)
    if encoding in ("", "auto"):
        detected, reasons = detect_bytes_encoding(data)
        if detected is None:
            raise InputError.single(
                "无法识别文件编码 (unknown text encoding): " + "; ".join(reasons),
                file=str(path), fix=ENCODING_FIX, code="unknown_encoding",
            )
        encoding = detected
    try:
        text = data.decode(encoding)
    except LookupError:
        raise InputError.single(
            f"未知编码 (unknown encoding) {encoding!r}", file=str(path),
            fix='use encoding = "auto", "utf-8", "utf-8-sig", "gbk" or "gb18030"',
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(
            "文件编码不符 (" + decode_error_text(data, exc, encoding) + ")", file=str(path),
            fix='set encoding = "auto" in the region TOML, or ' + ENCODING_FIX,
            code="wrong_encoding",
        ) from None
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    header_line = lines[header_row - 1] if len(lines) >= header_row else ""
    delimiter = max(",\t;", key=header_line.count) if header_line.strip() else ","
    if header_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        return [list(row) for row in reader], encoding
    except csv.Error as exc:
        # a stray double quote makes the rest of the file one field (csv's 128 KB limit)
        line = reader.line_num
        start = max(0, line - 1)
        while start > 0 and lines[start].count('"') % 2 == 0:
            start -= 1
        raise InputError.single(
            f"CSV 格式错误 (malformed CSV): {exc}; an opening double quote (\") on line "
            f"{start + 1} is never closed, so the rest of the file reads as one cell",
            file=str(path), row=start + 1, value=lines[start].strip()[:80],
            fix="remove the stray \" or close it (in Excel: re-save the file as CSV)",
            code="unclosed_quote",
        ) from None


@dataclass
class _Book:
    rows: list[list[str]]
    sheet: str
    formulas: dict[tuple[int, int], str]
    notes: list[Problem]
    hidden: bool


def _open_workbook(path: Path, *, data_only: bool, max_bytes: int) -> Any:
    check_file(path, max_bytes=max_bytes)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        if unpacked > _UNPACK_FACTOR * max_bytes:
            raise InputError.single(
                f"工作簿解压后过大 (the workbook unpacks to {unpacked / 2**20:,.0f} MB, more "
                f"than {_UNPACK_FACTOR} × the limit of {max_bytes / 2**20:,.0f} MB)",
                file=str(path), code="file_too_large",
                fix="check that this is the right workbook; if it is, raise [region] "
                    "max_file_mb",
            )
        return load_workbook(path, read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError.single(
            f"无法打开 Excel 文件 (cannot open the workbook): {exc}", file=str(path),
            fix="open it in Excel/WPS and save it again as .xlsx", code="unreadable_workbook",
        ) from None


def _sheet_rows(worksheet: Any, *, min_row: int = 1, max_row: int | None = None
                ) -> list[list[Any]]:
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # some writers store wrong sheet dimensions
    return [list(r) for r in worksheet.iter_rows(min_row=min_row, max_row=max_row,
                                                 values_only=True)]


def _header_set(cells: Sequence[Any]) -> frozenset[str]:
    return frozenset(t for t in (_cell_text(c).strip() for c in cells) if t)


def _read_xlsx(path: Path, *, sheet: str | None, header_row: int, max_bytes: int) -> _Book:
    workbook = _open_workbook(path, data_only=True, max_bytes=max_bytes)
    file = str(path)
    try:
        states = {ws.title: getattr(ws, "sheet_state", "visible") for ws in workbook.worksheets}
        if sheet is None:
            visible = [t for t, s in states.items() if s == "visible"]
            title = visible[0] if visible else workbook.sheetnames[0]
        elif sheet in workbook.sheetnames:
            title = sheet
        else:
            listing = ", ".join(repr(s) + (" (hidden)" if states[s] != "visible" else "")
                                for s in workbook.sheetnames)
            raise InputError.single(
                f"找不到工作表 (no sheet named {sheet!r}); 现有工作表 (sheets available): "
                + listing, file=file, value=sheet, code="missing_sheet",
                fix="set sheet = one of the names above in the region TOML",
            )
        values = _sheet_rows(workbook[title])
        rows = [[_cell_text(v) for v in row] for row in values]
        hidden = states[title] != "visible"
        notes = _hidden_twins(workbook, states, title, rows, header_row, file)
    finally:
        workbook.close()
    formulas: dict[tuple[int, int], str] = {}
    if any(c == "" for row in rows[header_row:] for c in row) and _has_formulas(path):
        formulas = _uncached_formulas(path, title, rows, header_row, max_bytes)
    return _Book(rows, title, formulas, notes, hidden)


def _hidden_twins(workbook: Any, states: Mapping[str, str], title: str, rows: list[list[str]],
                  header_row: int, file: str) -> list[Problem]:
    """Warnings for sheets of the other visibility holding the same headers."""
    if len(rows) < header_row:
        return []
    mine = _header_set(rows[header_row - 1])
    notes: list[Problem] = []
    for other, state in states.items():
        if other == title or (state == "visible") == (states[title] == "visible") or not mine:
            continue
        head = _sheet_rows(workbook[other], min_row=header_row, max_row=header_row)
        if not head or _header_set(head[0]) != mine:
            continue
        if states[title] == "visible":
            message = (f"隐藏工作表 '{other}' 与 '{title}' 表头相同，未读取 (the hidden sheet "
                       f"'{other}' has the same headers as '{title}'; it is not read)")
            fix = (f"delete the hidden sheet if it is stale, or set sheet = \"{other}\" if it "
                   "is the one to read")
        else:
            message = (f"读取的是隐藏工作表 '{title}'，可见工作表 '{other}' 表头相同 (reading "
                       f"the hidden sheet '{title}'; the visible sheet '{other}' has the same "
                       "headers)")
            fix = f"check that '{title}' holds the current data, or set sheet = \"{other}\""
        notes.append(Problem(file, header_row, None, other, message, fix, "warning",
                             sheet=title, code="hidden_sheet_same_headers"))
    return notes


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (an ``<f>`` element)."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                data = archive.read(name)
                if b"<f>" in data or b"<f " in data or b":f>" in data or b":f " in data:
                    return True
    return False


def _uncached_formulas(path: Path, title: str, rows: list[list[str]], header_row: int,
                       max_bytes: int) -> dict[tuple[int, int], str]:
    """(row index, column index) → formula, for empty cells that hold a formula."""
    workbook = _open_workbook(path, data_only=False, max_bytes=max_bytes)
    try:
        raw = _sheet_rows(workbook[title])
    finally:
        workbook.close()
    found: dict[tuple[int, int], str] = {}
    for i in range(header_row, min(len(raw), len(rows))):
        for j, v in enumerate(raw[i]):
            text = getattr(v, "text", v)  # ArrayFormula keeps its text in .text
            if isinstance(text, str) and text.startswith("=") and j < len(rows[i]) \
                    and rows[i][j] == "":
                found[(i, j)] = text
    return found


def _cell_text(value: object) -> str:
    """Render an Excel cell value as the text the user sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _blank(row: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _header_elsewhere(rows: list[list[str]], header_row: int, expect: Sequence[str],
                      where: str, path: Path, sheet: str | None) -> None:
    """Raise when another row holds more of the expected headers than ``header_row``."""
    want = [h for h in dict.fromkeys(expect) if h]
    if not want:
        return

    def hits(i: int) -> list[str]:
        cells = {c.strip() for c in rows[i]} if i < len(rows) else set()
        return [h for h in want if h in cells]

    here = len(hits(header_row - 1))
    if here == len(want):
        return
    counts = [len(hits(i)) for i in range(min(len(rows), _HEADER_SEARCH_ROWS))]
    best = max(range(len(counts)), key=lambda i: (counts[i], -i), default=None)
    if best is None or counts[best] <= here or counts[best] * 2 < len(want):
        return
    row = best + 1
    raise InputError.single(
        f"表头在第{row}行，不在第{header_row}行 (the headers are on row {row}, not on row "
        f"{header_row}{where}: row {row} holds {', '.join(hits(best))})",
        file=str(path), row=row, sheet=sheet, code="header_row_elsewhere",
        fix=f"set header_row = {row} for this file"
            + (f" (sheet '{sheet}')" if sheet else "") + " in the region TOML",
    )


def _rows_to_table(
    rows: list[list[str]],
    path: Path,
    *,
    encoding: str | None,
    sheet: str | None,
    header_row: int,
    expect: Sequence[str] = (),
    formulas: Mapping[tuple[int, int], str] | None = None,
    notes: Sequence[Problem] = (),
    hidden: bool = False,
) -> Table:
    file = str(path)
    where = f" in sheet {sheet!r}" if sheet else ""
    _header_elsewhere(rows, header_row, expect, where, path, sheet)
    if len(rows) < header_row or _blank(rows[header_row - 1]):
        raise InputError.single(
            f"第{header_row}行没有表头 (no headers in row {header_row}{where})",
            file=file, row=header_row, sheet=sheet, code="no_headers",
            fix="set header_row to the row holding the column names (as Excel numbers it)",
        )
    header = [cell.strip() for cell in rows[header_row - 1]]
    body = rows[header_row:]
    while body and _blank(body[-1]):
        body.pop()
    width = len(header)
    # Trailing header cells that are empty in every row are formatting, not columns.
    while (
        width
        and not header[width - 1]
        and not any(len(r) >= width and r[width - 1].strip() for r in body)
    ):
        width -= 1
    header = header[:width]

    problems: list[Problem] = []
    empty = [get_column_letter(i + 1) for i, name in enumerate(header) if not name]
    if empty:
        problems.append(Problem(
            file, header_row, None, None,
            f"表头为空 (empty header in column {', '.join(empty)})",
            "give every column with data a name in the header row", sheet=sheet,
            cell=empty[0], code="empty_header"))
    seen: dict[str, list[str]] = {}
    for i, name in enumerate(header):
        if name:
            seen.setdefault(name, []).append(get_column_letter(i + 1))
    for name, cols in seen.items():
        if len(cols) > 1:
            problems.append(Problem(
                file, header_row, name, None,
                f"表头重复 (duplicate header {name!r} in columns {', '.join(cols)})",
                "rename the columns so every header is unique", sheet=sheet, cell=cols[1],
                code="duplicate_header"))
    data: list[list[str]] = []
    excel_rows: list[int] = []
    blank_rows: list[int] = []
    keep_index: list[int] = []
    for i, row in enumerate(body):
        excel = header_row + 1 + i
        if _blank(row):
            blank_rows.append(excel)
            continue
        extra = row[width:]
        if any(cell.strip() for cell in extra):
            first = width + next(k for k, c in enumerate(extra) if c.strip())
            letter = get_column_letter(first + 1)
            problems.append(Problem(
                file, excel, None, row[first],
                f"数据超出表头 (value in column {letter} which has no header)",
                "add a header for that column or delete the stray value", sheet=sheet,
                cell=letter, code="value_without_header"))
        cells = row[:width]
        data.append(cells + [""] * (width - len(cells)))
        excel_rows.append(excel)
        keep_index.append(header_row + i)
    if problems:
        raise InputError(problems)
    notes = list(notes)
    if blank_rows:
        shown = ", ".join(map(str, blank_rows[:20])) + (" …" if len(blank_rows) > 20 else "")
        notes.append(Problem(
            file, blank_rows[0], None, None,
            f"跳过 {len(blank_rows)} 个空行 (skipped {len(blank_rows)} blank rows between the "
            f"data: rows {shown})",
            "nothing to do if the rows are meant to be empty; otherwise fill them in",
            "warning", sheet=sheet, code="blank_rows"))
    frame = pd.DataFrame(data, columns=header, dtype=object)
    if frame.empty:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in header})
    letters = {name: get_column_letter(i + 1) for i, name in enumerate(header) if name}
    uncached: dict[str, list[tuple[int, str]]] = {}
    if formulas:
        position = {row_index: k for k, row_index in enumerate(keep_index)}
        for (ri, ci), formula in sorted(formulas.items()):
            if ri in position and ci < width and header[ci]:
                uncached.setdefault(header[ci], []).append((excel_rows[position[ri]], formula))
    return Table(frame=frame, path=path, encoding=encoding, sheet=sheet, header_row=header_row,
                 rows=tuple(excel_rows), letters=letters,
                 uncached={k: tuple(v) for k, v in uncached.items()}, notes=tuple(notes),
                 hidden=hidden)
