"""Split mode: one set of city-wide files cut into county regions by the first 6 digits.

A city often keeps one 台账, one boundary file per level and one road file for all its
counties.  :func:`split_city` reads the city-wide region TOML (the usual format) with the
usual readers and, for every county, writes filtered copies of each table and vector file it
references into ``OUT/_split/CODE/`` plus a county region TOML pointing at them; the batch then
runs those TOMLs exactly as it runs a list of counties.  The inputs are never modified.

Which county a row belongs to:

- boundaries: the first 6 digits of the level's code column;
- 村/社区 layers: the first 6 digits of their ``id`` (a 12-digit village code);
- other point layers (schools, hospitals … with their own ids): the county whose outline
  contains the point; the outlines are the county boundary layer's polygons, else the union of
  the township (or village) polygons by code prefix; without any polygons, the county of the
  nearest coded village (reported, row by row, as a guess);
- 台账 rows: the county of the layer row with the same key; a key used in several counties
  (``YY001`` in each county's list) is matched occurrence by occurrence, in file order
  (reported); a key that is in no layer falls back to its own code prefix.

Every row left out (no usable code, outside every county) or guessed is a warning
:class:`~coverage.problems.Problem` naming file, sheet and row.  Copies are written as UTF-8
CSV (tables, header in row 1) and GeoJSON (vector files, their own CRS), atomically.  The split
is cached under a fingerprint of the city TOML, the input files' contents and the
``[split]`` table: a rerun with unchanged inputs rewrites nothing.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import tomli_w

from coverage.batch._manifest import FileHashes, fingerprint, input_hashes
from coverage.batch.config import BatchConfig, CountyEntry, SplitConfig
from coverage.config import LayerConfig, RegionConfig, load_config
from coverage.config._checks import config_text, read_toml
from coverage.coordinates import parse_coordinates, parse_wkt_column
from coverage.crs import to_wgs84
from coverage.outputs import atomic_path, atomic_write, write_json
from coverage.problems import ConfigError, Problem
from coverage.readers import read_table, read_vector

__all__ = ["SPLIT_FOLDER", "split_city"]

#: the split copies' folder inside the batch's output folder
SPLIT_FOLDER = "_split"
_VERSION = 1
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
_CODE_KINDS = ("village", "community")  # layers whose id is the area's code


@dataclass(frozen=True)
class _Source:
    """One table (a file, or one sheet of a workbook) or vector file of the city TOML."""

    file: Path
    sheet: str = ""
    header_row: int = 1
    encoding: str = ""
    layer: str = ""

    @property
    def vector(self) -> bool:
        return self.file.suffix.lower() not in _TABLE_SUFFIXES

    def copy_name(self, index: int) -> str:
        stem = re.sub(r"[^\w\-]+", "_", self.file.stem + (f"_{self.sheet}" if self.sheet else ""))
        return f"{index:02d}_{stem}" + (".geojson" if self.vector else ".csv")


@dataclass
class _Rows:
    """A source's rows and the county each goes to (``""``: left out)."""

    source: _Source
    frame: pd.DataFrame
    rows: list[int]
    county: np.ndarray

    def problem(self, i: int, column: str | None, value: object, message: str, fix: str,
                code: str) -> Problem:
        return Problem(str(self.source.file), self.rows[i], column,
                       None if value is None else str(value), message, fix=fix,
                       severity="warning", sheet=self.source.sheet or None, code=code)


def split_city(cfg: BatchConfig, *, out: Path) -> tuple[BatchConfig, tuple[Problem, ...]]:
    """Write the county regions of a split-mode batch; return the batch with its counties.

    Parameters
    ----------
    cfg
        A batch config with a ``[split]`` table.
    out
        The batch's output folder; the copies go to ``out/_split/CODE/``.

    Returns
    -------
    BatchConfig
        ``cfg`` with one :class:`CountyEntry` per county (its generated region TOML).
    tuple of Problem
        Every row left out or guessed (warnings), and counties without any village.

    Raises
    ------
    ConfigError, InputError
        The city-wide TOML or one of its files cannot be read.
    """
    split = cfg.split
    if split is None:
        raise ValueError("split_city needs a batch config with a [split] table")
    city = load_config(split.config)
    folder = out / SPLIT_FOLDER
    fp = fingerprint({"version": _VERSION, "toml": config_text(split.config),
                      "inputs": input_hashes(_files(city), FileHashes()),
                      "counties": list(split.counties), "names": dict(split.names)})
    cached = _cached(folder, fp)
    if cached is None:
        cached = _split(city, split, folder, batch_code=cfg.code)
        write_json({"fingerprint": fp, "counties": cached[0],
                    "problems": [dataclasses.asdict(p) for p in cached[1]]},
                   folder / "split.json")
    heads, problems = cached
    counties = tuple(CountyEntry(config=folder / c["code"] / "region.toml", code=c["code"],
                                 name=c["name"], key=f"split.{c['code']}") for c in heads)
    return dataclasses.replace(cfg, counties=counties), problems


def _cached(folder: Path, fp: str) -> tuple[list[dict[str, str]], tuple[Problem, ...]] | None:
    try:
        data = json.loads((folder / "split.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fp or not all(
            (folder / c["code"] / "region.toml").is_file() for c in data["counties"]):
        return None
    return data["counties"], tuple(Problem(**p) for p in data.get("problems") or ())


def _files(city: RegionConfig) -> list[Path]:
    paths = [Path(a.file) for a in city.admin]
    for lc in city.layers.values():
        paths.append(Path(lc.file))
        if lc.ledger is not None:
            paths.append(Path(lc.ledger.file))
    return list(dict.fromkeys(p.resolve() for p in paths))


def _split(city: RegionConfig, split: SplitConfig, folder: Path, *, batch_code: str
           ) -> tuple[list[dict[str, str]], tuple[Problem, ...]]:
    problems: list[Problem] = []
    max_bytes = int(city.region.max_file_mb * 1024 * 1024)
    admin = [(a, _read(_Source(Path(a.file), layer=a.layer, encoding=a.encoding), max_bytes))
             for a in city.admin]
    layers = {kind: _read(_layer_source(lc), max_bytes) for kind, lc in city.layers.items()}
    counties = list(split.counties) or _found_counties(city, batch_code, split.config)
    known = set(counties)
    for a, rows in admin:
        _by_code(rows, a.code_column, known, problems)
    outlines = _outlines(admin, known)
    coded: list[tuple[np.ndarray, np.ndarray]] = []  # (points, counties) of coded villages
    for kind, lc in city.layers.items():
        if kind in _CODE_KINDS:
            rows = layers[kind]
            _by_code(rows, lc.columns["id"], known, problems, point_fallback=True)
            pts = _points(lc, rows)
            coded.append((pts, rows.county))
    for kind, lc in city.layers.items():
        rows = layers[kind]
        if kind in _CODE_KINDS:
            todo = np.flatnonzero(rows.county == "")
            if len(todo):
                _by_location(lc, rows, todo, outlines, coded, problems)
        else:
            _by_location(lc, rows, np.arange(len(rows.frame)), outlines, coded, problems)
    ledgers = _ledgers(city, layers, max_bytes, known, problems)
    names = _names(split, city, admin, counties)
    sources: dict[_Source, _Rows] = {}
    for _, rows in admin:
        sources.setdefault(rows.source, rows)
    for rows in [*layers.values(), *ledgers.values()]:
        sources.setdefault(rows.source, rows)
    copies = {s: s.copy_name(i) for i, s in enumerate(sources)}
    raw = read_toml(Path(city.path)) if city.path else dict(city.raw)
    heads = []
    for code in counties:
        sub = folder / code
        sub.mkdir(parents=True, exist_ok=True)
        for source, rows in sources.items():
            _write_copy(rows, code, sub / copies[source])
        if not any((layers[k].county == code).any() for k in _CODE_KINDS if k in layers):
            problems.append(Problem(str(split.config), None, "split.counties", code,
                                    f"county {code} has no village or community in the "
                                    "city-wide files", fix="check the county code",
                                    severity="warning", code="split_empty"))
        text = tomli_w.dumps(_county_raw(raw, city, code, names[code], copies))
        with atomic_write(sub / "region.toml") as handle:
            handle.write(text)
        heads.append({"code": code, "name": names[code]})
    return heads, tuple(problems)


def _layer_source(lc: LayerConfig) -> _Source:
    return _Source(Path(lc.file), sheet=lc.sheet, header_row=lc.header_row,
                   encoding=lc.encoding, layer=lc.layer)


def _read(source: _Source, max_bytes: int) -> _Rows:
    frame: pd.DataFrame
    if source.vector:
        enc = source.encoding if source.encoding not in ("", "auto") else None
        frame = read_vector(source.file, layer=source.layer or None, encoding=enc,
                            max_bytes=max_bytes)
        rows = list(range(1, len(frame) + 1))  # the feature's number in the file
    else:
        table = read_table(source.file, sheet=source.sheet or None,
                           header_row=source.header_row, encoding=source.encoding or "auto",
                           max_bytes=max_bytes)
        frame = table.frame
        rows = list(table.rows) or list(range(source.header_row + 1,
                                              source.header_row + 1 + len(frame)))
    return _Rows(source, frame.reset_index(drop=True), rows,
                 np.full(len(frame), "", dtype=object))


def _prefixes(values: pd.Series) -> np.ndarray:
    """The 6-digit county prefix of each code (6, 9 or 12 digits), else ``""``."""
    text = values.astype("string").fillna("").str.strip()
    ok = text.str.fullmatch(r"\d{6}|\d{9}|\d{12}").fillna(False).to_numpy(bool)
    return np.where(ok, text.str[:6].to_numpy(object), "")


def _found_counties(city: RegionConfig, batch_code: str, toml: Path) -> list[str]:
    """Every county prefix in the boundary codes and the 村/社区 codes, within the batch's
    city or province (its own code and other ``…00`` codes are not counties)."""
    from coverage.batch.config import _city_prefix

    max_bytes = int(city.region.max_file_mb * 1024 * 1024)
    found: set[str] = set()
    for a in city.admin:
        frame = _read(_Source(Path(a.file), layer=a.layer, encoding=a.encoding), max_bytes).frame
        if a.code_column in frame:
            found.update(_prefixes(frame[a.code_column]))
    for kind in _CODE_KINDS:
        lc = city.layers.get(kind)
        if lc is not None:
            frame = _read(_layer_source(lc), max_bytes).frame
            if lc.columns["id"] in frame:
                found.update(_prefixes(frame[lc.columns["id"]]))
    prefix = _city_prefix(batch_code)
    out = sorted(c for c in found if c and c.startswith(prefix) and not c.endswith("00"))
    if not out:
        raise ConfigError.single(
            "no county code found in the city-wide files", file=str(toml),
            column="split.counties", fix="list the counties: counties = [\"640302\", …], or "
            "check the code columns of the boundaries and of the 村/社区 layers")
    return out


def _by_code(rows: _Rows, column: str, known: set[str], problems: list[Problem], *,
             point_fallback: bool = False) -> None:
    """Assign rows by their code's prefix; report the rows without a usable code."""
    if column not in rows.frame:
        return
    values = rows.frame[column]
    pre = _prefixes(values)
    inside = np.isin(pre, list(known))
    rows.county[inside] = pre[inside]
    other = (pre != "") & ~inside
    if other.any():
        problems.append(Problem(str(rows.source.file), None, column, None,
                                f"{int(other.sum())} rows belong to counties outside the "
                                f"batch ({', '.join(sorted(set(pre[other])))}) and are left out",
                                fix="add those counties to split.counties to include them",
                                severity="warning", sheet=rows.source.sheet or None,
                                code="split_other_county"))
    if point_fallback:
        return  # the layer's rows without a code are placed by their location
    for i in np.flatnonzero(pre == ""):
        problems.append(rows.problem(
            int(i), column, values.iloc[i], "no usable 6/9/12-digit code: the row is left out "
            "of every county", "write the area's statistical code (统计用区划代码)",
            "split_bad_code"))


def _outlines(admin: Sequence[tuple[Any, _Rows]], known: set[str]) -> gpd.GeoSeries | None:
    """County outlines (WGS84) by code: the county level, else the finest level's union."""
    order = {"county": 0, "township": 1, "village": 2}
    for a, rows in sorted(admin, key=lambda t: order.get(t[0].level, 9)):
        frame = rows.frame
        if not isinstance(frame, gpd.GeoDataFrame) or a.code_column not in frame:
            continue
        gdf = to_wgs84(frame[[frame.geometry.name]].assign(_c=rows.county),
                       source=a.crs or None, file=a.file)
        gdf = gdf[gdf["_c"].isin(known) & gdf.geometry.notna()]
        if len(gdf):
            return gdf.geometry.groupby(gdf["_c"]).agg(shapely.union_all)
    return None


def _points(lc: LayerConfig, rows: _Rows) -> np.ndarray:
    """Each row's point in WGS84 (None where it has none)."""
    frame, n = rows.frame, len(rows.frame)
    src: str | None = lc.crs or None
    if isinstance(frame, gpd.GeoDataFrame):
        geom = gpd.GeoSeries(frame.geometry.representative_point(), crs=frame.crs)
        if frame.crs is not None and (lc.crs or "").lower() not in ("gcj02", "bd09"):
            src = None
    elif "wkt" in lc.columns and lc.columns["wkt"] in frame:
        geom = parse_wkt_column(frame[lc.columns["wkt"]])[0].representative_point()
    elif all(lc.columns.get(k, "") in frame for k in ("lon", "lat")):
        geographic = (src or "").lower() in ("gcj02", "bd09") or pyproj.CRS(
            src or "EPSG:4326").is_geographic
        x = parse_coordinates(frame[lc.columns["lon"]], degrees=geographic)[0]
        y = parse_coordinates(frame[lc.columns["lat"]], degrees=geographic)[0]
        geom = gpd.GeoSeries(shapely.points(x, y))
    else:
        return np.full(n, None, dtype=object)
    good = geom.notna() & ~geom.is_empty
    out = np.full(n, None, dtype=object)
    if good.any():
        gdf = gpd.GeoDataFrame(geometry=geom[good].reset_index(drop=True),
                               crs=geom.crs or "EPSG:4326")  # `source` overrides it
        out[np.flatnonzero(good.to_numpy())] = to_wgs84(
            gdf, source=src, file=lc.file).geometry.to_numpy()
    return out


def _by_location(lc: LayerConfig, rows: _Rows, todo: np.ndarray,
                 outlines: gpd.GeoSeries | None, coded: Sequence[tuple[np.ndarray, np.ndarray]],
                 problems: list[Problem]) -> None:
    """Place rows without a code by their point: containing outline, else nearest village."""
    pts = _points(lc, rows)
    col = lc.columns.get("id")
    label = lambda i: rows.frame[col].iloc[i] if col in rows.frame else None  # noqa: E731
    has = np.array([pts[i] is not None for i in todo], dtype=bool)
    for i in todo[~has]:
        problems.append(rows.problem(int(i), col, label(int(i)),
                                     "no usable code and no location: left out of every "
                                     "county", "add its coordinates or its area code",
                                     "split_no_location"))
    located = todo[has]
    if not len(located):
        return
    geoms = np.array(list(pts[located]), dtype=object)
    if outlines is not None:
        tree = shapely.STRtree(outlines.to_numpy())
        hit = np.full(len(located), -1)
        qi, ti = tree.query(geoms, predicate="intersects")
        for q, t in zip(qi[::-1], ti[::-1], strict=True):
            hit[q] = t  # the first outline holding the point wins
        codes = outlines.index.to_numpy(object)
        for j, i in enumerate(located):
            if hit[j] >= 0:
                rows.county[i] = codes[hit[j]]
                if lc.kind in _CODE_KINDS:
                    problems.append(rows.problem(
                        int(i), col, label(int(i)), f"no usable village code: placed in "
                        f"county {codes[hit[j]]} by its location", "write its 12-digit code",
                        "split_by_location"))
            else:
                problems.append(rows.problem(
                    int(i), col, label(int(i)), "outside every county's outline: left out",
                    "check its coordinates (and crs) or the boundary files", "split_outside"))
        return
    from scipy.spatial import cKDTree

    ref = [(p, c) for pts_, cs in coded for p, c in zip(pts_, cs, strict=True)
           if p is not None and c]
    if not ref:
        for i in located:
            problems.append(rows.problem(int(i), col, label(int(i)), "no county outline and "
                                         "no coded village to place it by: left out",
                                         "add a boundary file to the city TOML",
                                         "split_outside"))
        return
    xy = shapely.get_coordinates(np.array([p for p, _ in ref], dtype=object))
    scale = np.cos(np.radians(xy[:, 1].mean()))
    tree_kd = cKDTree(xy * [scale, 1.0])
    _, nearest = tree_kd.query(shapely.get_coordinates(geoms) * [scale, 1.0])
    for j, i in enumerate(located):
        code = ref[int(nearest[j])][1]
        rows.county[i] = code
        problems.append(rows.problem(int(i), col, label(int(i)),
                                     f"no county outline: placed in county {code}, the "
                                     "county of the nearest coded village (a guess)",
                                     "add a county or township boundary file to the city TOML",
                                     "split_nearest"))


def _ledgers(city: RegionConfig, layers: Mapping[str, _Rows], max_bytes: int,
             known: set[str], problems: list[Problem]) -> dict[_Source, _Rows]:
    """Read each 台账 sheet once; a row goes where the layer row with its key went."""
    out: dict[_Source, _Rows] = {}
    owners: dict[_Source, list[tuple[str, str]]] = {}  # source -> (layer, id column)
    for kind, lc in city.layers.items():
        if lc.ledger is None:
            continue
        led = lc.ledger
        src = _Source(Path(led.file), sheet=led.sheet, header_row=led.header_row,
                      encoding=led.encoding)
        if src == _layer_source(lc):
            continue  # the layer's own file: already split
        owners.setdefault(src, []).append((kind, lc.columns.get("id", led.key)))
        if src not in out:
            out[src] = _read(src, max_bytes)
    for src, rows in out.items():
        key = next(lc.ledger.key for lc in city.layers.values()
                   if lc.ledger is not None and Path(lc.ledger.file) == src.file
                   and lc.ledger.sheet == src.sheet)
        where: dict[str, list[str]] = {}
        for kind, col in owners[src]:
            lay = layers[kind]
            if col in lay.frame:
                for k, c in zip(lay.frame[col].astype(str).str.strip(), lay.county,
                                strict=True):
                    where.setdefault(k, []).append(c)
        if key not in rows.frame:
            continue
        keys = rows.frame[key].astype(str).str.strip()
        pre = _prefixes(keys)
        seen: dict[str, int] = {}
        shared: list[tuple[int, str]] = []  # (row index, key) of keys in several counties
        for i, k in enumerate(keys):
            places = where.get(k)
            if places:
                n = seen.get(k, 0)
                seen[k] = n + 1
                rows.county[i] = places[min(n, len(places) - 1)]
                if len(set(places)) > 1 and n == 0:
                    shared.append((i, k))
            elif pre[i] in known:
                rows.county[i] = pre[i]
            else:
                problems.append(rows.problem(
                    i, key, k, "the key is in no layer row of the city-wide files and is no "
                    "area code: left out of every county", "check the key", "split_no_match"))
        if shared:  # one warning per file, not one per key
            first = ", ".join(k for _, k in shared[:5]) + ("…" if len(shared) > 5 else "")
            problems.append(rows.problem(
                shared[0][0], key, first,
                f"{len(shared)} keys of this 台账 are used by rows of several counties in the "
                f"layer files (e.g. {first}); the 台账 rows were matched to them in file order",
                "give every site a key unique in the city (e.g. prefix it with the county "
                "code)", "split_shared_key"))
    return out


def _names(split: SplitConfig, city: RegionConfig, admin: Sequence[tuple[Any, _Rows]],
           counties: Sequence[str]) -> dict[str, str]:
    names = {c: c for c in counties}
    for a, rows in admin:
        if a.level == "county" and a.name_column in rows.frame:
            for c, n in zip(rows.county, rows.frame[a.name_column].astype(str), strict=True):
                if c in names and n.strip():
                    names[c] = n.strip()
    names.update({c: n for c, n in split.names.items() if c in names})
    return names


def _write_copy(rows: _Rows, code: str, path: Path) -> None:
    keep = rows.frame[rows.county == code]
    if isinstance(keep, gpd.GeoDataFrame):
        with atomic_path(path) as tmp:
            keep.to_file(tmp, driver="GeoJSON")
        return
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        keep.to_csv(handle, index=False, lineterminator="\n")


def _county_raw(raw: Mapping[str, Any], city: RegionConfig, code: str, name: str,
                copies: Mapping[_Source, str]) -> dict[str, Any]:
    """The city TOML with the county's code, name and split copies (road file shared)."""
    base = city.base_dir
    data: dict[str, Any] = json.loads(json.dumps(raw))
    region = data.setdefault("region", {})
    city_name = str(region.get("name", ""))
    region.update(code=code, name=name)
    if "division_codes" in region:
        region["division_codes"] = str((base / region["division_codes"]).resolve())
    for a_raw, a in zip(data.get("admin", []), city.admin, strict=False):
        src = _Source(Path(a.file), layer=a.layer, encoding=a.encoding)
        a_raw["file"] = copies[src]
        for k in ("layer", "encoding"):
            a_raw.pop(k, None)
    for kind, lc in city.layers.items():
        l_raw = data["layers"][kind]
        _point_at(l_raw, _layer_source(lc), copies)
        if lc.ledger is not None:
            led = lc.ledger
            src = _Source(Path(led.file), sheet=led.sheet, header_row=led.header_row,
                          encoding=led.encoding)
            _point_at(l_raw["ledger"], src, copies)
    access = data.get("access", {})
    for k in ("network", "cache_dir"):
        if k in access:
            access[k] = str((base / access[k]).resolve())
    m = data.get("map", {})
    if "locator_file" in m:
        m["locator_file"] = str((base / m["locator_file"]).resolve())
    if city_name and isinstance(m.get("title"), str):
        m["title"] = m["title"].replace(city_name, name)
    return data


def _point_at(table: dict[str, Any], source: _Source, copies: Mapping[_Source, str]) -> None:
    table["file"] = copies[source]
    for k in ("sheet", "layer"):
        table.pop(k, None)
    if source.vector:
        table.pop("encoding", None)
        table.pop("header_row", None)
    else:
        table.update(header_row=1, encoding="utf-8")
