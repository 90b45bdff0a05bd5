"""Reading a folder as ``coverage init`` sees it: every file, sheet and layer, headers found.

Tables are read twice: their first rows raw, to find the header row (a title above it,
merged cells, a two-row header) and the hidden sheets; then through
:func:`coverage.readers.read_table` with that header row — exactly as the loader will read
them, so what the survey sees is what ``coverage validate`` will see.  Vector files go
through :func:`coverage.readers.read_vector` (GBK ``.dbf``, zipped shapefiles).  Nothing is
modified; what cannot be read becomes a problem naming the file and the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
from openpyxl import load_workbook

from coverage import readers
from coverage.problems import InputError, Problem
from coverage.scaffold._columns import CRS_HEADERS, LAYER_ROLES, candidates, norm_header

__all__ = ["Loaded", "find_header", "iter_files", "load_sources"]

#: Rows read raw to find the headers; rows kept per column for the guesses.
_PEEK_ROWS = 30
_KEEP_ROWS = 5000
_TABLES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
_VECTORS = (".shp", ".geojson", ".json", ".gpkg", ".zip")
_OSM = (".osm", ".pbf", ".bz2")
_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qmd", ".xml", ".qix",
             ".fix", ".aih", ".ain", ".atx", ".lock")
_RESAVE = (".xls", ".et", ".ods", ".wps", ".dbf", ".mdb", ".accdb")
_OURS = re.compile(r".*\.(toml|report\.json|report\.txt)$", re.IGNORECASE)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


@dataclass
class Loaded:
    """A source as read, before any guess."""

    id: str
    path: Path
    format: str
    sheet: str | None = None
    layer: str | None = None
    visible: bool = True
    header_row: int | None = None
    header_reason: str = "first_row"
    header_confidence: float = 1.0
    title: str = ""
    encoding: str | None = None
    geometry: str | None = None
    headers: list[str] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    n_rows: int = 0
    crs: pyproj.CRS | None = None
    crs_explicit: bool = False
    bounds: tuple[float, float, float, float] | None = None
    problems: list[Problem] = field(default_factory=list)
    readable: bool = True


def iter_files(folder: Path) -> Iterator[Path]:
    """The files of ``folder`` and its subfolders, sorted; hidden files, Excel lock files and
    previous run folders (holding ``run.json``) left out."""
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (here / d / "run.json").exists())
        for name in sorted(files):
            if not name.startswith((".", "~$")):
                yield here / name


def _problem(path: str, message: str, fix: str, code: str, *, severity: str = "warning",
             sheet: str | None = None, row: int | None = None) -> Problem:
    return Problem(path, row, None, None, message, fix, severity,  # type: ignore[arg-type]
                   sheet=sheet, code=code)


def load_sources(folder: Path, *, max_bytes: int, header_rows: dict[str, int] | None = None
                 ) -> tuple[list[Loaded], list[Problem]]:
    """Every source of the folder, and the problems with files that are not sources.

    ``header_rows`` overrides the header row of sources by id.
    """
    header_rows = header_rows or {}
    sources: list[Loaded] = []
    problems: list[Problem] = []
    for path in iter_files(folder):
        rel = path.relative_to(folder)
        name = rel.as_posix()
        suffix = path.suffix.lower()
        lower = path.name.lower()
        if _OURS.match(lower) or suffix in _SIDECARS or lower.endswith(".shp.xml"):
            continue
        try:
            readers.check_file(path, max_bytes=max_bytes)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if lower.endswith((".osm", ".osm.bz2", ".osm.pbf", ".pbf")):
            sources.append(Loaded(name, rel, "osm"))
        elif suffix in (".xlsx", ".xlsm"):
            sources.extend(_xlsx(path, rel, max_bytes, header_rows))
        elif suffix in (".csv", ".txt", ".tsv"):
            sources.append(_csv(path, rel, max_bytes, header_rows))
        elif suffix in _VECTORS:
            sources.extend(_vectors(path, rel, max_bytes))
        elif suffix in _RESAVE:
            problems.append(_problem(name, f"不支持的格式 {suffix} (this format is not read)",
                                     "open it in Excel/WPS and 另存为 (save as) .xlsx or CSV "
                                     "UTF-8; for .dbf tables, keep them with their .shp",
                                     "unsupported_format"))
        elif suffix not in _OSM:
            problems.append(_problem(name, "不是数据文件，未读取 (not a data file; not read)",
                                     "nothing to do if it is not an input (documents, "
                                     "pictures)", "not_data"))
    return sources, problems


# ------------------------------------------------------------------------------ tables


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    return str(value)


def _header_hits(row: list[str]) -> int:
    return sum(1 for c in row if c.strip() and any(
        g.confidence >= 0.5 for g in candidates(c, (), LAYER_ROLES)))


def find_header(rows: list[list[str]], merged: list[tuple[int, int, int, int]]
                ) -> tuple[int, str, float, str]:
    """The header row of a table's first rows: ``(row, reason, confidence, title)``.

    The row naming the most known headers wins (the earliest on a tie); without any, the
    first row with two or more cells.  Rows above it are its title.  ``merged`` holds the
    merged ranges ``(row1, col1, row2, col2)`` (1-based): a header row whose merged cells
    span columns over a row of sub-headers is a two-row header.
    """
    best, best_hits, first = None, 0, None
    for i, cells in enumerate(rows[:_PEEK_ROWS]):
        filled = [c for c in cells if c.strip()]
        if len(filled) < 2:
            continue
        first = i if first is None else first
        hits = _header_hits(cells)
        if hits >= 2 and hits > best_hits:
            best, best_hits = i, hits
    if best is None:
        # no row names two known fields: the first row of two or more cells
        if first is None:
            return 1, "first_row", 0.2, ""
        best = first
    above = rows[:best]
    title = " ".join(c.strip() for r in above for c in r if c.strip())
    width = len([c for c in rows[best] if c.strip()])
    confidence = 0.4 + 0.6 * min(1.0, best_hits / max(2, min(width, 4)))
    row = best + 1
    if any(r1 == row and c2 > c1 and r2 == row for r1, c1, r2, c2 in merged) and best + 1 < \
            len(rows) and _header_hits(rows[best + 1]) >= 2:
        return row, "two_row_header", 0.3, title
    if best == 0:
        return row, "first_row", confidence, title
    if all(len([c for c in r if c.strip()]) <= 1 for r in above):
        return row, "below_title", confidence, title
    return row, "best_match", confidence * 0.8, title


def _merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Sheet title → merged ranges, read from the workbook's XML (read-only mode has none)."""
    from openpyxl.utils import column_index_from_string

    out: dict[str, list[tuple[int, int, int, int]]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
            rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
            targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"',
                                                        rels)})
            for name, rid in re.findall(r'<(?:\w+:)?sheet\b[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"',
                                        book):
                target = targets.get(rid, "").lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                if member not in archive.namelist():
                    continue
                data = archive.read(member)
                title = (name.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                         .replace("&quot;", '"').replace("&apos;", "'"))
                out[title] = [(int(r1), column_index_from_string(c1.decode()), int(r2),
                               column_index_from_string(c2.decode()))
                              for c1, r1, c2, r2 in _MERGE.findall(data)]
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return {}
    return out


def _xlsx(path: Path, rel: Path, max_bytes: int, header_rows: dict[str, int]) -> list[Loaded]:
    name = rel.as_posix()
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
        if unpacked > 4 * max_bytes:
            raise zipfile.BadZipFile("unpacks to more than four times the size limit")
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        bad = Loaded(name, rel, "xlsx", readable=False)
        bad.problems.append(_problem(name, f"无法打开 Excel 文件 (cannot open the workbook): "
                                     f"{exc}", "open it in Excel/WPS and save it again as .xlsx",
                                     "unreadable_workbook", severity="error"))
        return [bad]
    try:
        peeks = []
        for ws in book.worksheets:
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
            rows = [[_text(v) for v in r] for r in ws.iter_rows(max_row=_PEEK_ROWS,
                                                                 values_only=True)]
            peeks.append((ws.title, getattr(ws, "sheet_state", "visible") == "visible", rows))
    finally:
        book.close()
    merged = _merged_ranges(path)
    out = []
    for title, visible, rows in peeks:
        sid = f"{name}#{title}"
        src = Loaded(sid, rel, "xlsx", sheet=title, visible=visible)
        if not any(c.strip() for r in rows for c in r):
            src.readable = False
            src.problems.append(_problem(name, "空工作表，未使用 (an empty sheet; not used)",
                                         "nothing to do", "empty_sheet", sheet=title))
            out.append(src)
            continue
        _header_and_table(src, path, rows, merged.get(title, []), header_rows, max_bytes)
        out.append(src)
    return out


def _csv_rows(path: Path, max_bytes: int) -> tuple[list[list[str]], str]:
    encoding = readers.detect_encoding(path, max_bytes=max_bytes)
    with path.open("rb") as fh:
        head = fh.read(256 * 1024)
    text = head.decode(encoding, errors="ignore").removeprefix("\ufeff")
    lines = text.splitlines()[:_PEEK_ROWS]
    delimiter = max(",\t;", key=lambda d: sum(line.count(d) for line in lines))
    return [list(r) for r in csv.reader(lines, delimiter=delimiter)], encoding


def _csv(path: Path, rel: Path, max_bytes: int, header_rows: dict[str, int]) -> Loaded:
    name = rel.as_posix()
    src = Loaded(name, rel, "csv")
    try:
        rows, src.encoding = _csv_rows(path, max_bytes)
    except InputError as exc:
        src.readable = False
        src.problems.extend(exc.problems)
        return src
    _header_and_table(src, path, rows, [], header_rows, max_bytes)
    return src


def _header_and_table(src: Loaded, path: Path, rows: list[list[str]],
                      merged: list[tuple[int, int, int, int]], header_rows: dict[str, int],
                      max_bytes: int) -> None:
    row, reason, confidence, title = find_header(rows, merged)
    if src.id in header_rows:
        row, reason, confidence = header_rows[src.id], "choice", 1.0
        title = " ".join(c.strip() for r in rows[: row - 1] for c in r if c.strip())
    src.header_row, src.header_reason, src.header_confidence, src.title = (
        row, reason, confidence, title)
    if reason == "two_row_header":
        src.problems.append(_problem(
            src.path.as_posix(), f"第{row}行和第{row + 1}行是两行表头（合并单元格） (rows {row} "
            f"and {row + 1} are a two-row header with merged cells)",
            f"the loader reads one header row: unmerge the cells of row {row} and give every "
            f"column its own header in row {row + 1}, then run coverage init again",
            "two_row_header", sheet=src.sheet, row=row))
    try:
        table = readers.read_table(path, sheet=src.sheet, header_row=row,
                                   encoding=src.encoding or "auto", max_bytes=max_bytes)
    except InputError as exc:
        src.readable = False
        src.problems.extend(exc.problems)
        return
    src.problems.extend(p for p in table.notes if p.code != "hidden_sheet_same_headers")
    frame = table.frame
    src.headers = [str(c) for c in frame.columns]
    src.letters = dict(table.letters)
    src.n_rows = len(frame)
    src.values = {h: tuple(frame[h].astype(str).to_numpy()[:_KEEP_ROWS]) for h in src.headers}
    src.encoding = table.encoding


# ------------------------------------------------------------------------------ vectors


def _vector_members(path: Path) -> list[str | None]:
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return [str(r[0]) for r in pyogrio.list_layers(path)]
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if "__MACOSX" not in n]
        shps = [n for n in names if n.lower().endswith(".shp")]
        members = shps or [n for n in names if n.lower().endswith((".geojson", ".gpkg"))]
        return [Path(n).stem if n.lower().endswith(".shp") else n for n in members] or [None]
    return [None]


def _explicit_crs(path: Path, layer: str | None) -> bool:
    """The file says its CRS (a .prj, a GeoJSON ``crs`` member, a GeoPackage)."""
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return True
    if suffix == ".shp":
        return any(path.with_suffix(s).exists() for s in (".prj", ".PRJ"))
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
        stem = (layer or "").lower()
        return any(n.endswith(".prj") and (not stem or Path(n).stem == stem) for n in names) \
            or any(n.endswith(".gpkg") for n in names)
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    return b'"crs"' in head


def _geometry_kind(types: pd.Series) -> str | None:
    counts = types.dropna().map(lambda t: "point" if "Point" in t else "polygon"
                                if "Polygon" in t else "line").value_counts()
    return str(counts.index[0]) if len(counts) else None


def _vectors(path: Path, rel: Path, max_bytes: int) -> list[Loaded]:
    name = rel.as_posix()
    try:
        members = _vector_members(path)
    except (zipfile.BadZipFile, pyogrio.errors.DataSourceError, OSError) as exc:
        bad = Loaded(name, rel, "vector", readable=False)
        bad.problems.append(_problem(name, f"无法读取 (cannot read the file): {exc}",
                                     "check that it opens in QGIS", "unreadable_vector",
                                     severity="error"))
        return [bad]
    out = []
    for member in members:
        sid = name if member is None or len(members) == 1 else f"{name}#{member}"
        src = Loaded(sid, rel, "vector", layer=member if path.suffix.lower() in (".gpkg", ".zip")
                     and member is not None else None)
        notes: list[Problem] = []
        try:
            gdf = readers.read_vector(path, layer=src.layer, max_bytes=max_bytes, notes=notes)
        except InputError as exc:
            src.readable = False
            src.problems.extend(exc.problems)
            out.append(src)
            continue
        src.problems.extend(notes)
        src.crs = pyproj.CRS.from_user_input(gdf.crs) if gdf.crs is not None else None
        src.crs_explicit = _explicit_crs(path, src.layer)
        src.geometry = _geometry_kind(gdf.geom_type)
        src.n_rows = len(gdf)
        if len(gdf) and np.all(np.isfinite(gdf.total_bounds)):
            b = gdf.total_bounds
            src.bounds = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        src.headers = [str(c) for c in attrs.columns]
        src.values = {str(c): tuple(_attribute_text(attrs[c])[:_KEEP_ROWS])
                      for c in attrs.columns}
        out.append(src)
    return out


def _attribute_text(s: pd.Series) -> list[str]:
    """Attributes as the loader reads them: whole floats without ``.0``, NA as ""."""
    out = []
    for v in s.to_numpy(dtype=object):
        if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
            out.append("")
        elif isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
            out.append(str(int(v)))
        else:
            out.append(str(v))
    return out


def crs_evidence(src: Loaded) -> list[str]:
    """Texts that may name the coordinate system: names, title, a 坐标系 column's values."""
    texts = [src.path.stem, src.sheet or "", src.layer or "", src.title]
    crs_keys = {norm_header(h) for h in CRS_HEADERS}
    for h in src.headers:
        if norm_header(h) in crs_keys:
            texts.extend(dict.fromkeys(v for v in src.values.get(h, ()) if v.strip()))
    return texts
