"""Readers: tables, vector files, coordinates, encodings — what a county office really has.

The inputs are what a county office really has: an Excel 台账 with a title row above the
headers, CSVs saved by Excel as GBK, shapefiles whose ``.dbf`` is GBK without a ``.cpg``,
zipped shapefiles, coordinates typed as ``117°15′30″``.  Readers return strings exactly as
the user sees them (no dtype guessing; 12-digit codes stay codes) and every problem becomes
an :class:`~coverage.problems.InputError` that names the file, where, and the fix.

Readers never modify their inputs.  Writing is :mod:`coverage.outputs`' job.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from coverage.problems import InputError, Problem

__all__ = [
    "Table",
    "detect_encoding",
    "read_table",
    "read_vector",
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
