"""Vector files: GeoJSON, GeoPackage, shapefiles (also zipped) with the .dbf they really have.

Chinese shapefiles come with a GBK ``.dbf`` and no ``.cpg``, or with a UTF-8 ``.dbf`` whose
field names were cut at the format's 10 bytes in the middle of a character (常住人口数 →
9 bytes of 常住人 plus one byte of 口).  Both are read; the cut names are reported with the
name they are read under.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from coverage.problems import InputError, Problem
from coverage.readers._files import DEFAULT_MAX_BYTES, check_file, detect_bytes_encoding

__all__ = ["read_vector"]

logger = logging.getLogger(__name__)

_VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")
_UTF8_CPG = {"utf-8", "utf8", "65001", "cp65001"}


def read_vector(
    path: str | Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    notes: list[Problem] | None = None,
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
    max_bytes
        Size limit of each file read (a zip may unpack to four times as much).
    notes
        When given, warnings about what was repaired while reading (field names cut in the
        middle of a character) are appended to it.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        Missing, irregular or too large file; several layers/shapefiles and none named;
        unknown layer; undecodable attributes.
    """
    path = Path(path)
    file = str(path)
    check_file(path, max_bytes=max_bytes)
    suffix = path.suffix.lower()
    dbf: bytes | None = None
    cpg: str | None = None
    if suffix == ".zip":
        source, layer_name, dbf, cpg = _zip_source(path, layer=layer, max_bytes=max_bytes)
    elif suffix == ".shp":
        source, layer_name = str(path), None
        dbf_path = _sidecar(path, ".dbf")
        if dbf_path is not None:
            check_file(dbf_path, max_bytes=max_bytes, what=".dbf")
            dbf = dbf_path.read_bytes()
        cpg_path = _sidecar(path, ".cpg")
        if cpg_path is not None:
            check_file(cpg_path, max_bytes=4096, what=".cpg")
            cpg = cpg_path.read_bytes().decode("ascii", "replace").strip()
    elif suffix in (".geojson", ".json", ".gpkg"):
        source = str(path)
        layer_name = _pick_layer(source, layer=layer, file=file) if suffix == ".gpkg" else None
    else:
        raise InputError.single(
            f"不支持的矢量格式 (unsupported vector format {suffix or 'without suffix'})",
            file=file, code="unsupported_format",
            fix="use GeoJSON, GeoPackage (.gpkg), Shapefile (.shp) or a zipped shapefile (.zip)",
        )
    cut: list[tuple[str, str]] = []
    if dbf is not None:
        declared = encoding
        encoding, cut = _dbf_plan(dbf, declared or cpg, file)
        if declared and not cut:
            encoding = declared
    read_as = "ISO-8859-1" if cut else encoding  # pyogrio decodes "latin-1" as UTF-8
    try:
        gdf = pyogrio.read_dataframe(source, layer=layer_name, encoding=read_as)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError.single(
            f"无法读取矢量文件 (cannot read the vector file): {exc}", file=file,
            fix="check that the file is complete (.shp with .shx/.dbf/.prj) and opens in QGIS",
            code="unreadable_vector",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError.single(
            f"属性表编码不符 (attributes are not {encoding or 'UTF-8'}): {exc.reason}",
            file=file, code="wrong_encoding",
            fix='set encoding = "gbk" or "utf-8" for this file in the region TOML',
        ) from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError.single(
            "文件没有几何 (the file has no geometry column)", file=file, code="no_geometry",
            fix="export the layer with its geometry (points or polygons)",
        )
    if cut:
        gdf = _redecode(gdf)
        for full, read in cut:
            problem = Problem(
                file, None, read, full,
                f"字段名被截断 (the .dbf field name was cut after 10 bytes in the middle of a "
                f"character; it is read as '{read}')",
                f"use '{read}' as the header in the region TOML, or rename the field in GIS to "
                "at most 3 Chinese characters (UTF-8 takes 3 bytes each), or save the layer "
                "as GeoPackage/GeoJSON, which keep long names",
                "warning", code="dbf_field_name_cut")
            if notes is not None:
                notes.append(problem)
            else:
                logger.warning("%s", problem.format())
    return gdf


def _redecode(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Text read as Latin-1 back into UTF-8 (a cut last character is dropped)."""
    def fix(text: str) -> str:
        return text.encode("latin-1").decode("utf-8", errors="ignore")

    geom = gdf.geometry.name
    out = gdf.rename(columns={c: fix(c) for c in gdf.columns if c != geom})
    for col in out.columns:
        # object columns, and pandas' string dtype (the default for text from pandas 3 on)
        if col != geom and (out[col].dtype == object
                            or pd.api.types.is_string_dtype(out[col].dtype)):
            out[col] = out[col].map(lambda v: fix(v) if isinstance(v, str) else v)
    return out


def _dbf_names(dbf: bytes) -> list[bytes]:
    """The raw field names of a .dbf header."""
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    names = []
    for start in range(32, min(header_len, len(dbf)) - 31, 32):
        if dbf[start] == 0x0D:
            break
        names.append(dbf[start:start + 11].split(b"\x00", 1)[0])
    return names


def _cut_utf8(name: bytes) -> bool:
    """The name is UTF-8 except for a character cut at its end."""
    try:
        name.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":
            return False
        try:
            name[:exc.start].decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return False


def _dbf_plan(dbf: bytes, cpg: str | None, file: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The encoding to read a .dbf with (None: GDAL reads the ``.cpg``), and its cut names.

    The records and the whole field names decide the encoding: a UTF-8 name cut after 10
    bytes is not valid UTF-8 and would otherwise make a UTF-8 file look like GBK.  The cut
    names come back as (name with a replacement character, name as it will be read).
    """
    names = _dbf_names(dbf)
    cut = [n for n in names if _cut_utf8(n)]
    described = [(n.decode("utf-8", errors="replace"), n.decode("utf-8", errors="ignore"))
                 for n in cut]
    if cpg is not None:
        utf8 = cpg.strip().lower() in _UTF8_CPG
        return ("utf-8", described) if utf8 and cut else (None, [])
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) >= 32 else len(dbf)
    whole = [n for n in names if n not in cut]
    encoding, reasons = detect_bytes_encoding(b"\n".join([*whole, dbf[header_len:]]))
    if encoding is None:
        raise InputError.single(
            "属性表编码无法识别 (.dbf attributes are neither UTF-8 nor GBK/GB18030): "
            + "; ".join(reasons), file=file, code="unknown_encoding",
            fix='set encoding = "…" for this file in the region TOML, or add a .cpg file',
        )
    if encoding != "utf-8":
        logger.info("%s: no .cpg; attribute table decoded as %s", file, encoding)
        return encoding, []
    return encoding, described


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _zip_source(path: Path, *, layer: str | None, max_bytes: int
                ) -> tuple[str, str | None, bytes | None, str | None]:
    file = str(path)
    dbf: bytes | None = None
    cpg: str | None = None
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.filename.endswith("/")]
            unpacked = sum(i.file_size for i in infos)
            if unpacked > 4 * max_bytes:
                raise InputError.single(
                    f"压缩包解压后过大 (the zip unpacks to {unpacked / 2**20:,.0f} MB)",
                    file=file, code="file_too_large",
                    fix="check that this is the right file; if it is, raise [region] "
                        "max_file_mb",
                )
            names = [i.filename for i in infos]
            vectors = [n for n in names
                       if n.lower().endswith(_VECTOR_SUFFIXES) and "__MACOSX" not in n]
            shapefiles = [n for n in vectors if n.lower().endswith(".shp")]
            candidates = shapefiles or vectors
            if layer:
                wanted = layer.lower().removesuffix(".shp")
                chosen = [n for n in candidates
                          if Path(n).stem.lower() == wanted
                          or n.lower().removesuffix(".shp") == wanted]
            else:
                chosen = candidates
            if not chosen or len(chosen) > 1:
                listing = ", ".join(candidates) or "(none)"
                reason = (f"no {layer!r} in the zip" if layer and not chosen
                          else "several shapefiles in the zip" if chosen
                          else "no shapefile/GeoJSON/GeoPackage in the zip")
                raise InputError.single(
                    f"压缩包内容不明确 ({reason}); 包含 (contains): {listing}",
                    file=file, value=layer, code="ambiguous_zip",
                    fix="set layer = the shapefile name to read in the region TOML",
                )
            member = chosen[0]
            if member.lower().endswith(".shp"):
                stem = member[:-4]
                lower = {n.lower(): n for n in names}
                cpg_name = lower.get((stem + ".cpg").lower())
                if cpg_name is not None:
                    cpg = archive.read(cpg_name)[:4096].decode("ascii", "replace").strip()
                dbf_name = lower.get((stem + ".dbf").lower())
                if dbf_name is not None:
                    dbf = archive.read(dbf_name)
    except zipfile.BadZipFile:
        raise InputError.single(
            "压缩包损坏 (not a valid zip file)", file=file, code="bad_zip",
            fix="zip the shapefile again (.shp, .shx, .dbf, .prj, .cpg together)",
        ) from None
    source = f"/vsizip/{path.resolve().as_posix()}/{member}"
    layer_name = None
    if member.lower().endswith(".gpkg"):
        layer_name = _pick_layer(source, layer=None, file=file)
    return source, layer_name, dbf, cpg


def _pick_layer(source: str, *, layer: str | None, file: str) -> str | None:
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(source)]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError.single(
            f"无法读取矢量文件 (cannot read the vector file): {exc}", file=file,
            fix="check that the file is complete and opens in QGIS", code="unreadable_vector",
        ) from None
    if layer:
        if layer not in layers:
            raise InputError.single(
                f"找不到图层 (no layer {layer!r}); 现有图层 (layers): {', '.join(layers)}",
                file=file, value=layer, code="missing_layer",
                fix="set layer = one of the names above in the region TOML",
            )
        return layer
    if len(layers) > 1:
        raise InputError.single(
            f"文件有多个图层 (several layers: {', '.join(layers)})", file=file,
            fix="set layer = the one to read in the region TOML", code="several_layers",
        )
    return layers[0] if layers else None
