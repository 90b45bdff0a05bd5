"""Readers and writers: tables, vector files, coordinates, encodings, atomic output.

The inputs are what a county office really has: an Excel 台账 with a title row above the
headers, CSVs saved by Excel as GBK, shapefiles whose ``.dbf`` is GBK without a ``.cpg``,
zipped shapefiles, coordinates typed as ``117°15′30″``.  Readers return strings exactly as
the user sees them (no dtype guessing; 12-digit codes stay codes) and every problem becomes
an :class:`~coverage._errors.InputError` that names the file, where, and the fix.

Every output goes through :func:`atomic_write` or :func:`atomic_path`, so an interrupted run
never leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from coverage._errors import InputError
from coverage._validate import Problem

__all__ = [
    "Table",
    "atomic_path",
    "atomic_write",
    "detect_encoding",
    "parse_coordinate",
    "parse_coordinates",
    "parse_wkt_column",
    "read_table",
    "read_vector",
    "sha256_file",
    "write_csv",
    "write_json",
]

logger = logging.getLogger(__name__)

_ENCODING_FIX = (
    'save it as UTF-8 (Excel: 另存为 "CSV UTF-8") or set encoding = "gbk" / "gb18030" '
    "in the region TOML"
)
_VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")

# --- encodings ------------------------------------------------------------------------


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_error_text(data: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    bad = data[exc.start : exc.start + 4]
    return (
        f"not valid {encoding}: byte offset {exc.start} (line {_line_of(data, exc.start)}), "
        f"bytes {bad.hex(' ')}"
    )


def _detect_bytes_encoding(data: bytes) -> tuple[str | None, list[str]]:
    """Return (encoding, reasons) for ``data``; encoding is None when nothing fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", []
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32", []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", []
    reasons: list[str] = []
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            reasons.append(_decode_error_text(data, exc, encoding))
        else:
            return encoding, reasons
    return None, reasons


def detect_encoding(path: str | Path) -> str:
    """Detect the text encoding of a file, never guessing blindly.

    Order: a byte-order mark (``utf-8-sig``, ``utf-16``, ``utf-32``); else the whole file
    decodes as strict UTF-8 (``utf-8``); else as strict GBK (``gbk``); else as strict
    GB18030, the superset with the rare characters (``gb18030``).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    InputError
        The file decodes as none of them (e.g. Latin-1 or a binary file); the message gives
        the byte offset and line where each decoding failed, and the fix.
    """
    path = Path(path)
    data = _read_bytes(path)
    encoding, reasons = _detect_bytes_encoding(data)
    if encoding is None:
        raise InputError.single(
            "无法识别文件编码 (unknown text encoding): " + "; ".join(reasons),
            file=str(path),
            fix=_ENCODING_FIX,
        )
    return encoding


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError.single(
            "文件不存在 (file not found)",
            file=str(path),
            fix="check the path in the region TOML (relative paths start at the TOML's folder)",
        ) from None
    except OSError as exc:
        raise InputError.single(
            f"无法读取文件 (cannot read the file): {exc.strerror or exc}",
            file=str(path),
            fix="close it in Excel/WPS and check the permissions",
        ) from None


# --- tables ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Table:
    """A table read from CSV or Excel, every cell a string.

    Parameters
    ----------
    frame
        Data rows (the rows below the header row); every cell is ``str`` and empty cells
        are ``""``; columns are the header cells with surrounding spaces stripped.
    path
        The file read.
    encoding
        The text encoding used (CSV), or ``None`` for Excel.
    sheet
        The worksheet read (Excel), or ``None`` for CSV.
    header_row
        1-based row of the headers, as Excel shows it.
    """

    frame: pd.DataFrame
    path: Path
    encoding: str | None
    sheet: str | None
    header_row: int

    def excel_row(self, i: int) -> int:
        """Return the row number the user sees for positional data row ``i`` (0-based)."""
        return self.header_row + 1 + int(i)


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    encoding: str = "auto",
) -> Table:
    """Read a CSV/TXT or Excel (.xlsx/.xlsm) table as strings.

    Parameters
    ----------
    path
        The file; the suffix selects the reader.
    sheet
        Excel worksheet name; ``None`` or ``""`` for the first sheet.
    header_row
        1-based row holding the headers (rows above it, e.g. a title, are skipped).
    encoding
        CSV encoding: ``"auto"`` (see :func:`detect_encoding`) or a codec name.

    Returns
    -------
    Table

    Raises
    ------
    InputError
        Missing file, unknown format or encoding, missing sheet (the message lists the
        sheets), empty/duplicate headers (naming the column letters), rows longer than
        the header.

    Notes
    -----
    Excel numbers that are whole are written without ``.0`` (a 12-digit code read as
    ``370831001001.0`` becomes ``"370831001001"``); dates become ISO ``YYYY-MM-DD`` (with
    ``THH:MM:SS`` when there is a time); booleans ``TRUE``/``FALSE``.  Blank rows at the end
    are dropped; blank rows in between are kept so positions map to Excel row numbers.
    """
    path = Path(path)
    if header_row < 1:
        raise InputError.single(
            "header_row 必须 ≥ 1 (header_row must be at least 1)",
            file=str(path),
            value=header_row,
            fix="give the row number of the headers as Excel shows it (1 = first row)",
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows, used_sheet = _read_xlsx_rows(path, sheet=sheet or None, header_row=header_row)
        return _rows_to_table(rows, path, encoding=None, sheet=used_sheet, header_row=header_row)
    if suffix in (".csv", ".txt", ".tsv"):
        rows, used_encoding = _read_csv_rows(path, encoding=encoding, header_row=header_row)
        return _rows_to_table(rows, path, encoding=used_encoding, sheet=None, header_row=header_row)
    if suffix in (".xls", ".et", ".ods"):
        fix = "open it in Excel/WPS and 另存为 (save as) .xlsx or CSV UTF-8"
    else:
        fix = "use .csv, .txt, .xlsx or .xlsm"
    raise InputError.single(
        f"不支持的表格格式 (unsupported table format {suffix or 'without suffix'})",
        file=str(path),
        fix=fix,
    )


def _read_csv_rows(path: Path, *, encoding: str, header_row: int) -> tuple[list[list[str]], str]:
    data = _read_bytes(path)
    if encoding in ("", "auto"):
        detected, reasons = _detect_bytes_encoding(data)
        if detected is None:
            raise InputError.single(
                "无法识别文件编码 (unknown text encoding): " + "; ".join(reasons),
                file=str(path),
                fix=_ENCODING_FIX,
            )
        encoding = detected
    try:
        text = data.decode(encoding)
    except LookupError:
        raise InputError.single(
            f"未知编码 (unknown encoding) {encoding!r}",
            file=str(path),
            fix='use encoding = "auto", "utf-8", "utf-8-sig", "gbk" or "gb18030"',
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(
            "文件编码不符 (" + _decode_error_text(data, exc, encoding) + ")",
            file=str(path),
            fix='set encoding = "auto" in the region TOML, or ' + _ENCODING_FIX,
        ) from None
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    header_line = lines[header_row - 1] if len(lines) >= header_row else ""
    delimiter = max(",\t;", key=header_line.count) if header_line.strip() else ","
    if header_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(lines[header_row - 1 :], delimiter=delimiter)
    return [list(row) for row in reader], encoding


def _read_xlsx_rows(
    path: Path, *, sheet: str | None, header_row: int
) -> tuple[list[list[str]], str]:
    if not path.exists():
        _read_bytes(path)  # raises the file-not-found InputError
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError.single(
            f"无法打开 Excel 文件 (cannot open the workbook): {exc}",
            file=str(path),
            fix="open it in Excel/WPS and save it again as .xlsx",
        ) from None
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise InputError.single(
                f"找不到工作表 (no sheet named {sheet!r}); 现有工作表 (sheets available): "
                + ", ".join(repr(s) for s in workbook.sheetnames),
                file=str(path),
                value=sheet,
                fix="set sheet = one of the names above in the region TOML",
            )
        if hasattr(worksheet, "reset_dimensions"):
            worksheet.reset_dimensions()  # some writers store wrong sheet dimensions
        rows = [
            [_cell_text(v) for v in row]
            for row in worksheet.iter_rows(min_row=header_row, values_only=True)
        ]
        return rows, worksheet.title
    finally:
        workbook.close()


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


def _rows_to_table(
    rows: list[list[str]],
    path: Path,
    *,
    encoding: str | None,
    sheet: str | None,
    header_row: int,
) -> Table:
    if not rows or not any(cell.strip() for cell in rows[0]):
        where = f" in sheet {sheet!r}" if sheet else ""
        raise InputError.single(
            f"第{header_row}行没有表头 (no headers in row {header_row}{where})",
            file=str(path),
            row=header_row,
            fix="set header_row to the row holding the column names (as Excel numbers it)",
        )
    header = [cell.strip() for cell in rows[0]]
    body = rows[1:]
    while body and not any(cell.strip() for cell in body[-1]):
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

    file = str(path)
    problems: list[Problem] = []
    empty = [get_column_letter(i + 1) for i, name in enumerate(header) if not name]
    if empty:
        problems.append(
            Problem(
                file,
                header_row,
                None,
                None,
                f"表头为空 (empty header in column {', '.join(empty)})",
                "give every column with data a name in the header row",
            )
        )
    seen: dict[str, list[str]] = {}
    for i, name in enumerate(header):
        if name:
            seen.setdefault(name, []).append(get_column_letter(i + 1))
    for name, letters in seen.items():
        if len(letters) > 1:
            problems.append(
                Problem(
                    file,
                    header_row,
                    name,
                    None,
                    f"表头重复 (duplicate header {name!r} in columns {', '.join(letters)})",
                    "rename the columns so every header is unique",
                )
            )
    data: list[list[str]] = []
    for i, row in enumerate(body):
        extra = row[width:]
        if any(cell.strip() for cell in extra):
            first = width + next(k for k, c in enumerate(extra) if c.strip())
            problems.append(
                Problem(
                    file,
                    header_row + 1 + i,
                    None,
                    row[first],
                    f"数据超出表头 (value in column {get_column_letter(first + 1)} which has "
                    "no header)",
                    "add a header for that column or delete the stray value",
                )
            )
        cells = row[:width]
        data.append(cells + [""] * (width - len(cells)))
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(data, columns=header, dtype=object)
    if frame.empty:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in header})
    return Table(frame=frame, path=path, encoding=encoding, sheet=sheet, header_row=header_row)


# --- vector files ---------------------------------------------------------------------


def read_vector(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector file as it is (its own CRS; convert with :func:`coverage.crs.to_wgs84`).

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile, or a ``.zip`` holding a shapefile.
    layer
        GeoPackage layer, or in a zip the shapefile to read (name with or without ``.shp``).
    encoding
        Shapefile ``.dbf`` encoding; default: the ``.cpg`` file, else UTF-8 when the
        attributes are valid UTF-8, else GBK/GB18030 (Chinese ``.dbf`` files usually are
        GBK without a ``.cpg``).

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        Missing or unreadable file, several layers/shapefiles and none named, unknown
        layer, undecodable attributes.
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise InputError.single(
            "文件不存在 (file not found)",
            file=file,
            fix="check the path in the region TOML (relative paths start at the TOML's folder)",
        )
    suffix = path.suffix.lower()
    if suffix == ".zip":
        source, layer_name, encoding = _zip_source(path, layer=layer, encoding=encoding)
    elif suffix == ".shp":
        source, layer_name = str(path), None
        if encoding is None and not path.with_suffix(".cpg").exists():
            dbf = _sidecar(path, ".dbf")
            if dbf is not None:
                encoding = _dbf_encoding(dbf.read_bytes(), file)
    elif suffix in (".geojson", ".json", ".gpkg"):
        source = str(path)
        layer_name = _pick_layer(source, layer=layer, file=file) if suffix == ".gpkg" else None
    else:
        raise InputError.single(
            f"不支持的矢量格式 (unsupported vector format {suffix or 'without suffix'})",
            file=file,
            fix="use GeoJSON, GeoPackage (.gpkg), Shapefile (.shp) or a zipped shapefile (.zip)",
        )
    try:
        gdf = pyogrio.read_dataframe(source, layer=layer_name, encoding=encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError.single(
            f"无法读取矢量文件 (cannot read the vector file): {exc}",
            file=file,
            fix="check that the file is complete (.shp with .shx/.dbf/.prj) and opens in QGIS",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"属性表编码不符 (attributes are not {encoding}): {exc.reason}",
            file=file,
            fix='set encoding = "gbk" or "utf-8" for this file in the region TOML',
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError.single(
            "文件没有几何 (the file has no geometry column)",
            file=file,
            fix="export the layer with its geometry (points or polygons)",
        )
    return gdf


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _dbf_encoding(dbf: bytes, file: str) -> str:
    """Detect the encoding of a ``.dbf``'s attribute bytes (records, not the header)."""
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    field_names = dbf[32:header_len]
    encoding, reasons = _detect_bytes_encoding(field_names + b"\n" + dbf[header_len:])
    if encoding is None:
        raise InputError.single(
            "属性表编码无法识别 (.dbf attributes are neither UTF-8 nor GBK/GB18030): "
            + "; ".join(reasons),
            file=file,
            fix='set encoding = "…" for this file in the region TOML, or add a .cpg file',
        )
    if encoding != "utf-8":
        logger.info("%s: no .cpg; attribute table decoded as %s", file, encoding)
    return encoding


def _zip_source(
    path: Path, *, layer: str | None, encoding: str | None
) -> tuple[str, str | None, str | None]:
    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            vectors = [
                n for n in names if n.lower().endswith(_VECTOR_SUFFIXES) and "__MACOSX" not in n
            ]
            shapefiles = [n for n in vectors if n.lower().endswith(".shp")]
            candidates = shapefiles or vectors
            if layer:
                wanted = layer.lower().removesuffix(".shp")
                chosen = [
                    n
                    for n in candidates
                    if Path(n).stem.lower() == wanted or n.lower().removesuffix(".shp") == wanted
                ]
            else:
                chosen = candidates
            if not chosen or len(chosen) > 1:
                listing = ", ".join(candidates) or "(none)"
                reason = (
                    f"no {layer!r} in the zip"
                    if layer and not chosen
                    else "several shapefiles in the zip"
                    if chosen
                    else "no shapefile/GeoJSON/GeoPackage in the zip"
                )
                raise InputError.single(
                    f"压缩包内容不明确 ({reason}); 包含 (contains): {listing}",
                    file=file,
                    value=layer,
                    fix="set layer = the shapefile name to read in the region TOML",
                )
            member = chosen[0]
            if member.lower().endswith(".shp") and encoding is None:
                stem = member[:-4]
                members_lower = {n.lower(): n for n in names}
                if (stem + ".cpg").lower() not in members_lower:
                    dbf_name = members_lower.get((stem + ".dbf").lower())
                    if dbf_name is not None:
                        encoding = _dbf_encoding(archive.read(dbf_name), file)
    except zipfile.BadZipFile:
        raise InputError.single(
            "压缩包损坏 (not a valid zip file)",
            file=file,
            fix="zip the shapefile again (.shp, .shx, .dbf, .prj, .cpg together)",
        ) from None
    source = f"/vsizip/{path.resolve().as_posix()}/{member}"
    layer_name = None
    if member.lower().endswith(".gpkg"):
        layer_name = _pick_layer(source, layer=None, file=file)
    return source, layer_name, encoding


def _pick_layer(source: str, *, layer: str | None, file: str) -> str | None:
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(source)]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError.single(
            f"无法读取矢量文件 (cannot read the vector file): {exc}",
            file=file,
            fix="check that the file is complete and opens in QGIS",
        ) from None
    if layer:
        if layer not in layers:
            raise InputError.single(
                f"找不到图层 (no layer {layer!r}); 现有图层 (layers): {', '.join(layers)}",
                file=file,
                value=layer,
                fix="set layer = one of the names above in the region TOML",
            )
        return layer
    if len(layers) > 1:
        raise InputError.single(
            f"文件有多个图层 (several layers: {', '.join(layers)})",
            file=file,
            fix="set layer = the one to read in the region TOML",
        )
    return layers[0] if layers else None


# --- coordinates ------------------------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_DEG_MARK = r"(?:°|度)"
_MIN_MARK = r"(?:′|'|’|‘|分)"
_SEC_MARK = r"(?:\"|”|“|''|′′|秒)"
_DMS_SYMBOLS = re.compile(
    rf"^(?P<d>{_NUM})\s*{_DEG_MARK}\s*"
    rf"(?:(?P<m>{_NUM})\s*(?:{_MIN_MARK})?\s*"
    rf"(?:(?P<s>{_NUM})\s*(?:{_SEC_MARK})?\s*)?)?$"
)
_DMS_SPACES = re.compile(rf"^(?P<d>\d+)\s+(?P<m>{_NUM})(?:\s+(?P<s>{_NUM}))?$")
_DECIMAL = re.compile(rf"^(?P<d>{_NUM}|\.\d+)\s*{_DEG_MARK}?$")
_HEMI_PREFIX = re.compile(r"^(东经|西经|北纬|南纬|[NSEWnsew])\s*")
_HEMI_SUFFIX = re.compile(r"\s*(东经|西经|北纬|南纬|[NSEWnsew])$")
_HEMI_SIGN = {"东经": 1, "北纬": 1, "西经": -1, "南纬": -1, "n": 1, "e": 1, "s": -1, "w": -1}
_HEMI_LAT = {"北纬", "南纬", "n", "s"}
_PLAIN_NUMBER = r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*"


def parse_coordinate(text: str) -> float:
    """Parse one longitude or latitude written by hand.

    Accepts decimal degrees (``"117.2583"``, ``"117.2583°"``, ``"-117.5"``), degrees-minutes-
    seconds (``"117°15′30″"``, ``"117°15'30\\""``, ``"117度15分30秒"``, ``"117 15 30"``),
    degrees and decimal minutes (``"35°39.5′"``), with a hemisphere letter before or after
    (``N/S/E/W``) or a Chinese prefix (``东经``/``北纬``/``西经``/``南纬``).  Full-width
    characters are accepted.

    Parameters
    ----------
    text
        The cell text.

    Returns
    -------
    float
        Signed decimal degrees (S and W negative).

    Raises
    ------
    ValueError
        With the reason: empty, decimal comma (ambiguous), minutes or seconds ≥ 60,
        fractional degrees followed by minutes, a sign together with a hemisphere, beyond
        ±180° (±90° for N/S), or an unrecognised form.

    Examples
    --------
    >>> parse_coordinate("117°15′30″E")
    117.25833333333334
    >>> parse_coordinate("S35°39.5′")
    -35.65833333333333
    """
    original = text
    s = str(text).replace("″", '"').replace("〃", '"').replace("º", "°").replace("˚", "°")
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        raise ValueError("空 (empty)")
    if "," in s:
        raise ValueError(
            f"含逗号 (contains a comma): {original!r} is ambiguous (decimal comma or two "
            "numbers?); write one number with a decimal point, e.g. 117.2583"
        )
    sign = 1.0
    hemisphere: str | None = None
    for pattern in (_HEMI_PREFIX, _HEMI_SUFFIX):
        match = pattern.search(s)
        if match:
            if hemisphere is not None:
                raise ValueError(f"两个方位 (two hemisphere markers) in {original!r}")
            hemisphere = match.group(1).lower()
            s = (s[: match.start()] + s[match.end() :]).strip()
    if s[:1] in "+-":
        if hemisphere is not None:
            raise ValueError(
                f"符号与方位同时出现 (both a sign and a hemisphere) in {original!r}; use one"
            )
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].strip()
    if hemisphere is not None:
        sign = float(_HEMI_SIGN[hemisphere])

    match = _DECIMAL.fullmatch(s) or _DMS_SYMBOLS.fullmatch(s) or _DMS_SPACES.fullmatch(s)
    if match is None:
        raise ValueError(
            f"无法识别的坐标 (unrecognised coordinate) {original!r}; use decimal degrees "
            "(117.2583) or degrees-minutes-seconds (117°15′30″)"
        )
    groups = match.groupdict()
    degrees = float(groups["d"])
    minutes = float(groups["m"]) if groups.get("m") else 0.0
    seconds = float(groups["s"]) if groups.get("s") else 0.0
    if groups.get("m") and not degrees.is_integer():
        raise ValueError(f"度带小数又有分 (fractional degrees followed by minutes) in {original!r}")
    if groups.get("s") and not minutes.is_integer():
        raise ValueError(f"分带小数又有秒 (fractional minutes followed by seconds) in {original!r}")
    if minutes >= 60:
        raise ValueError(f"分必须小于60 (minutes must be < 60) in {original!r}")
    if seconds >= 60:
        raise ValueError(f"秒必须小于60 (seconds must be < 60) in {original!r}")
    value = degrees + minutes / 60.0 + seconds / 3600.0
    limit = 90.0 if hemisphere in _HEMI_LAT else 180.0
    if value > limit:
        raise ValueError(f"超出范围 (beyond {limit:g}°) in {original!r}")
    return sign * value


def parse_coordinates(
    series: pd.Series | Sequence[object],
) -> tuple[NDArray[np.float64], list[tuple[Any, str]]]:
    """Parse a column of coordinates with :func:`parse_coordinate`.

    Parameters
    ----------
    series
        Cell texts (numbers are accepted too).

    Returns
    -------
    values : numpy.ndarray
        Decimal degrees; NaN where parsing failed.
    errors : list of (index, message)
        One entry per failed cell, with the series' index label.
    """
    s = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    text = s.astype(str).where(s.notna(), "")
    values = np.full(len(s), np.nan, dtype=np.float64)
    plain = text.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
    if plain.any():
        values[plain] = text[plain].astype(float).to_numpy()
        out_of_range = plain & (np.abs(values) > 180.0)
    else:
        out_of_range = np.zeros(len(s), dtype=bool)
    errors: list[tuple[Any, str]] = []
    for pos in np.flatnonzero(~plain | out_of_range):
        label = s.index[pos]
        if out_of_range[pos]:
            values[pos] = np.nan
            errors.append((label, f"超出范围 (beyond 180°) in {text.iloc[pos]!r}"))
            continue
        try:
            values[pos] = parse_coordinate(text.iloc[pos])
        except ValueError as exc:
            errors.append((label, str(exc)))
    return values, errors


def parse_wkt_column(
    series: pd.Series | Sequence[object],
) -> tuple[gpd.GeoSeries, list[tuple[Any, str]]]:
    """Parse a column of WKT geometries (``POINT (117.25 35.65)``).

    Returns
    -------
    geometries : geopandas.GeoSeries
        Same index as the input, no CRS; missing where parsing failed.
    errors : list of (index, message)
        One entry per empty or invalid cell.
    """
    s = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    text = s.astype(str).where(s.notna(), "").str.strip()
    geoms = np.full(len(s), None, dtype=object)
    errors: list[tuple[Any, str]] = []
    for pos, value in enumerate(text):
        label = s.index[pos]
        if not value:
            errors.append((label, "空 (empty WKT)"))
            continue
        try:
            geoms[pos] = shapely.from_wkt(value)
        except shapely.errors.GEOSException as exc:
            errors.append((label, f"WKT 无效 (invalid WKT): {exc}"))
    return gpd.GeoSeries(geoms, index=s.index), errors


# --- atomic output --------------------------------------------------------------------


def _final_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: str | Path,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a file for writing that replaces ``path`` only when the block succeeds.

    Writes to a temporary file in the same folder, then flushes, fsyncs and
    ``os.replace``\\ s it over ``path``.  If the block raises, the temporary file is removed
    and an existing ``path`` is left untouched.

    Parameters
    ----------
    path
        The final file.
    mode
        ``"w"`` (text) or ``"wb"`` (binary).
    encoding, newline
        For text mode, as in :func:`open`.

    Examples
    --------
    >>> with atomic_write(tmp / "out.txt") as f:  # doctest: +SKIP
    ...     f.write("完成")
    """
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    binary = "b" in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    handle: IO[Any]
    try:
        if binary:
            handle = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path (same folder and suffix) that replaces ``path`` on success.

    For libraries that want a file name (``gdf.to_file``, ``fig.savefig``,
    ``folium.Map.save``); the suffix is kept so they infer the format.  Only for formats
    that are a single file (not shapefiles).

    Raises
    ------
    FileNotFoundError
        The block finished without creating the temporary file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp} for {path}")
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``df`` as CSV in UTF-8 with a BOM (so Excel shows Chinese), atomically."""
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8-sig", newline="") as handle:
        df.to_csv(handle, index=index, lineterminator="\r\n")
    return path


def _json_default(obj: object) -> object:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dt.date | dt.datetime | dt.time):
        return obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_json(obj: object, path: str | Path) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable), atomically.

    numpy scalars/arrays, dates and paths are converted; NaN is written as ``null``.
    """
    path = Path(path)
    text = json.dumps(_nan_to_none(obj), ensure_ascii=False, indent=2, default=_json_default)
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text + "\n")
    return path


def _nan_to_none(obj: object) -> object:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def sha256_file(path: str | Path) -> str:
    """Return the hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
