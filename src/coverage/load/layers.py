"""Loading the point layers: tables or vector files, 台账 joins, coordinates, typed columns."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage import coordinates, readers
from coverage import crs as crs_mod
from coverage._clean import (
    build_lookup,
    normalize_cell,
    parse_bool,
    parse_grade,
    township_key,
)
from coverage.config import LayerConfig
from coverage.load.admin import clean_code, missing_columns
from coverage.problems import InputError, Problem, Problems
from coverage.region import order_columns, spatial_join_codes
from coverage.vocabulary import CANONICAL_FIELDS, STATUS_SYNONYMS, SUBTYPE_SYNONYMS

__all__ = ["load_layer"]

_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


@dataclass
class _Frame:
    """A layer's table with canonical columns (str cells) and Excel row numbers."""

    data: pd.DataFrame          # canonical field -> str cell
    rows: np.ndarray            # Excel row number per data row
    file: str
    headers: dict[str, str]     # canonical field -> header in its source file
    sources: dict[str, str]     # canonical field -> file it came from
    geometry: gpd.GeoSeries | None = None
    ledger_keys: tuple[str, str, str, pd.Series, np.ndarray] | None = None


def _read_layer_table(lc: LayerConfig, problems: Problems) -> _Frame | None:
    fname = str(lc.file)
    try:
        if lc.file.suffix.lower() in _TABLE_SUFFIXES:
            table = readers.read_table(lc.file, sheet=lc.sheet or None,
                                      header_row=lc.header_row, encoding=lc.encoding)
            frame = table.frame
            rows = np.array([table.excel_row(i) for i in range(len(frame))], dtype=int)
            geometry = None
        else:
            gdf = readers.read_vector(lc.file, layer=lc.layer or None)
            gdf = crs_mod.to_wgs84(gdf, source=None if lc.crs == "EPSG:4326" and gdf.crs
                                   else lc.crs, file=fname)
            frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype("string").fillna("")
            rows = np.arange(1, len(frame) + 1)
            geometry = gdf.geometry.reset_index(drop=True)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    cols = dict(lc.columns)
    if geometry is not None:
        for k in ("lon", "lat", "wkt"):
            cols.pop(k, None)
    if missing_columns(list(frame.columns), cols, fname, f"layers.{lc.kind}.columns", problems):
        return None
    data = pd.DataFrame({k: frame[h].astype("string").fillna("").str.strip().to_numpy()
                         for k, h in cols.items()})
    return _Frame(data=data, rows=rows, file=fname, headers=cols,
                  sources=dict.fromkeys(cols, fname), geometry=geometry)


def _join_ledger(lc: LayerConfig, fr: _Frame, problems: Problems) -> None:
    led = lc.ledger
    if led is None:
        return
    lname = str(led.file)
    try:
        table = readers.read_table(led.file, sheet=led.sheet or None, header_row=led.header_row,
                                  encoding=led.encoding)
    except InputError as exc:
        problems.extend(exc.problems)
        return
    frame = table.frame
    want = {"key": led.key, **led.columns}
    if missing_columns(list(frame.columns), want, lname, f"layers.{lc.kind}.ledger", problems):
        return
    keys = clean_code(frame[led.key]).fillna("")
    excel_rows = np.array([table.excel_row(i) for i in range(len(frame))])
    dup = keys.duplicated(keep=False) & (keys != "")
    for k in keys[dup].unique():
        rows = excel_rows[(keys == k).to_numpy()].tolist()
        problems.add(f"the 台账 lists this code on rows {rows}", file=lname, row=rows[0],
                     column=led.key, value=k, fix="keep one row per unit in the 台账")
    ids = fr.data["id"] if "id" in fr.data else pd.Series([], dtype="string")
    pos = {k: i for i, k in enumerate(keys) if k}
    for i in map(int, np.flatnonzero((keys == "").to_numpy())):
        problems.add("empty code in the 台账", file=lname, row=int(excel_rows[i]),
                     column=led.key, fix="fill in the unit's code")
    # Codes matching no point are checked once all layers are loaded (several layers may
    # share one 台账 sheet, e.g. villages and communities on 村居).
    fr.ledger_keys = (lname, led.sheet, led.key, keys, excel_rows)
    missing = [j for j, k in enumerate(ids) if k not in pos]
    for j in missing:
        problems.add(
            "this point has no row in the 台账; its ledger fields are empty",
            file=fr.file, row=int(fr.rows[j]), column=fr.headers.get("id"), value=ids.iloc[j],
            fix=f"add the unit to {lname}", severity="warning",
        )
    take = np.array([pos.get(k, -1) for k in ids], dtype=int)
    for field_, header in led.columns.items():
        col = frame[header].astype("string").fillna("").str.strip().to_numpy()
        vals = np.where(take >= 0, col[np.maximum(take, 0)] if len(col) else "", "")
        fr.data[field_] = vals
        fr.headers[field_] = header
        fr.sources[field_] = lname
    # Problems in ledger-sourced cells should point at ledger rows.
    fr.data["__ledger_row"] = np.where(take >= 0, excel_rows[np.maximum(take, 0)]
                                       if len(excel_rows) else 0, 0)


def _row_of(fr: _Frame, field_: str, i: int) -> int:
    if fr.sources.get(field_) != fr.file and "__ledger_row" in fr.data:
        r = int(fr.data["__ledger_row"].iloc[i])
        return r if r > 0 else int(fr.rows[i])
    return int(fr.rows[i])


def _add(problems: Problems, fr: _Frame, field_: str, i: int, message: str, value: object,
         fix: str, severity: str = "error") -> None:
    problems.add(message, file=fr.sources.get(field_, fr.file), row=_row_of(fr, field_, i),
                 column=fr.headers.get(field_, field_), value=value, fix=fix,
                 severity="error" if severity == "error" else "warning")


def _parse_points(lc: LayerConfig, fr: _Frame, county: shapely.Geometry, problems: Problems
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS84 point geometries (None where bad) and a validity mask."""
    n = len(fr.data)
    geoms = np.full(n, None, dtype=object)
    if fr.geometry is not None:
        geoms[:] = fr.geometry.to_numpy()
        for i, g in enumerate(geoms):
            if g is None or g.is_empty:
                _add(problems, fr, "geometry", i, "empty geometry", None,
                     "give the point a location")
                geoms[i] = None
            elif g.geom_type != "Point":
                geoms[i] = g.representative_point()
        n_areas = int(sum(g is not None and g.geom_type != "Point"
                          for g in fr.geometry.to_numpy()))
        if n_areas:
            problems.add(
                f"{n_areas} features are polygons or lines, not points; a point inside each "
                "is used for distances and maps",
                file=fr.file, column="geometry",
                fix="give the layer point locations (e.g. the village committee) if you have them",
                severity="warning",
            )
        ok = np.array([g is not None for g in geoms])
        return geoms, ok
    try:
        spec = crs_mod.parse_crs(lc.crs)
    except InputError as exc:
        problems.extend([Problem(fr.file, None, f"layers.{lc.kind}.crs", p.value, p.message,
                                 p.fix) for p in exc.problems])
        return geoms, np.zeros(n, dtype=bool)
    if "wkt" in fr.data:
        series, errs = coordinates.parse_wkt_column(fr.data["wkt"])
        for i, msg in errs:
            _add(problems, fr, "wkt", int(i), f"cannot read the geometry: {msg}",
                 fr.data["wkt"].iloc[int(i)], "use WKT such as POINT (117.25 35.65)")
        xs = np.array([g.x if g is not None and not g.is_empty else np.nan for g in series])
        ys = np.array([g.y if g is not None and not g.is_empty else np.nan for g in series])
    elif "lon" in fr.data and "lat" in fr.data:
        xs, ys = _parse_lonlat(fr, problems)
    else:
        problems.add("no coordinates: map lon and lat (经度, 纬度) or wkt", file=fr.file,
                     column=f"layers.{lc.kind}.columns",
                     fix='add lon = "经度" and lat = "纬度" to the columns table')
        return geoms, np.zeros(n, dtype=bool)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return geoms, ok
    geographic = spec.kind != "epsg" or bool(spec.crs and spec.crs.is_geographic)
    if geographic:
        swapped = np.zeros(n, dtype=bool)
        swapped[ok] = crs_mod.looks_swapped(xs[ok], ys[ok], county.bounds)
        for i in map(int, np.flatnonzero(swapped)):
            _add(problems, fr, "lon", int(i),
                 "longitude and latitude look swapped (the swapped pair falls inside the region)",
                 f"{fr.data['lon'].iloc[i]}, {fr.data['lat'].iloc[i]}",
                 f"swap the values of '{fr.headers['lon']}' and '{fr.headers['lat']}'")
        ok &= ~swapped
        for field_, vals, lim in (("lon", xs, 180.0), ("lat", ys, 90.0)):
            bad = ok & (np.abs(vals) > lim)
            for i in map(int, np.flatnonzero(bad)):
                _add(problems, fr, field_, int(i), f"out of range [-{lim:g}, {lim:g}]",
                     fr.data[field_].iloc[i], "check the number (degrees, not metres?)")
            ok &= ~bad
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(np.where(ok, xs, 0.0),
                                                       np.where(ok, ys, 0.0)),
                           crs=spec.crs if spec.kind == "epsg" else None)
    try:
        wgs = crs_mod.to_wgs84(pts, source=spec, file=fr.file)
    except InputError as exc:
        problems.extend(exc.problems)
        return geoms, np.zeros(n, dtype=bool)
    geoms[ok] = wgs.geometry.to_numpy()[ok]
    return geoms, ok


def _parse_lonlat(fr: _Frame, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for field_ in ("lon", "lat"):
        vals, errs = coordinates.parse_coordinates(fr.data[field_])
        vals = np.asarray(vals, dtype=float)
        for i, msg in errs:
            raw = fr.data[field_].iloc[int(i)]
            if raw == "":
                _add(problems, fr, field_, int(i), "empty coordinate", raw,
                     f"fill in {fr.headers[field_]} (decimal degrees such as 117.2583 or "
                     "117°15′30″)")
            else:
                _add(problems, fr, field_, int(i), f"not a coordinate: {msg}", raw,
                     "use decimal degrees (117.2583) or degrees-minutes-seconds (117°15′30″)")
            vals[int(i)] = np.nan
        out.append(vals)
    return out[0], out[1]


def _vocab_column(lc: LayerConfig, fr: _Frame, field_: str, vocab: Mapping[str, tuple[str, ...]],
                  problems: Problems) -> pd.Series:
    lookup = build_lookup(vocab)
    vals = []
    for i, raw in enumerate(fr.data[field_]):
        canon = lookup.get(normalize_cell(raw))
        if canon is None:
            allowed = "; ".join(f"{k}: {'/'.join(v for v in vs if v) or '(空)'}"
                                for k, vs in vocab.items())
            _add(problems, fr, field_, i, f"unknown {field_} value", raw,
                 f"use one of the known values ({allowed}) or add it to "
                 f"[layers.{lc.kind}.{field_}_values]")
        vals.append(canon if canon is not None else pd.NA)
    return pd.Series(vals, dtype="string")


def _typed_columns(lc: LayerConfig, fr: _Frame, problems: Problems) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for field_ in fr.data.columns:
        if field_ in ("id", "name", "lon", "lat", "wkt", "township", "__ledger_row"):
            continue
        typ = CANONICAL_FIELDS[field_][0]
        col = fr.data[field_]
        if typ == "status":
            out[field_] = _vocab_column(lc, fr, field_, lc.status_values or STATUS_SYNONYMS,
                                        problems)
        elif typ == "subtype":
            vocab = lc.subtype_values or SUBTYPE_SYNONYMS.get(lc.kind)
            out[field_] = (_vocab_column(lc, fr, field_, vocab, problems) if vocab
                           else col.replace("", pd.NA).astype("string"))
        elif typ == "float":
            nums = pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce")
            for i in map(int, np.flatnonzero((nums.isna() & (col != "")).to_numpy())):
                _add(problems, fr, field_, int(i), "not a number", col.iloc[i],
                     "enter a plain number (no units or text)")
            for i in map(int, np.flatnonzero((nums < 0).fillna(False).to_numpy())):
                _add(problems, fr, field_, int(i), "negative value", col.iloc[i],
                     "counts and populations cannot be negative")
            out[field_] = nums.astype("Float64")
        elif typ == "grade":
            parsed = [parse_grade(v) for v in col]
            for i, p in enumerate(parsed):
                if p is None:
                    _add(problems, fr, field_, i, "unknown hospital grade", col.iloc[i],
                         "use 三级/二级/一级/未定级 (or 3/2/1/0)")
            out[field_] = pd.Series([p if p is not None else pd.NA for p in parsed],
                                    dtype="Int64")
        elif typ == "bool":
            parsed_b = [parse_bool(v) for v in col]
            for i, b in enumerate(parsed_b):
                if b is None:
                    _add(problems, fr, field_, i, "expected 是/否", col.iloc[i],
                         "use 是 or 否 (or 1/0)")
            out[field_] = pd.Series([b if b is not None else pd.NA for b in parsed_b],
                                    dtype="boolean")
        else:
            out[field_] = col.replace("", pd.NA).astype("string")
    if "ur_code" in out:
        ur = out["ur_code"]
        bad = ur.notna() & ~ur.str.fullmatch(r"[12]\d\d").fillna(False)
        for i in map(int, np.flatnonzero(bad.to_numpy())):
            _add(problems, fr, "ur_code", int(i), "not a 城乡分类代码", ur.iloc[i],
                 "use the 3-digit code: 111/112/121/122/123 (urban), 210/220 (rural)")
    return out


def _match_townships(fr: _Frame, towns: gpd.GeoDataFrame, joined_code: pd.Series,
                     problems: Problems) -> None:
    """Cross-check the table's 所属乡镇 against the township found by the spatial join."""
    if "township" not in fr.data:
        return
    by_code = dict(zip(towns["code"], towns["name"], strict=True))
    by_key: dict[str, str] = {}
    for code, name in zip(towns["code"], towns["name"], strict=True):
        by_key[township_key(name)] = code
        by_key[normalize_cell(name)] = code
    names = list(towns["name"])
    for i, raw in enumerate(fr.data["township"]):
        if raw == "":
            continue
        code = raw if raw in by_code else by_key.get(township_key(raw))
        if code is None:
            close = difflib.get_close_matches(raw, names, n=1, cutoff=0.3)
            hint = f"did you mean '{close[0]}'? " if close else ""
            _add(problems, fr, "township", i, "township name matches no township", raw,
                 f"{hint}known townships: {', '.join(names)}")
            continue
        actual = joined_code.iloc[i]
        if pd.notna(actual) and actual != code:
            _add(problems, fr, "township", i,
                 f"the table says {by_code[code]} but the point lies in {by_code[actual]}",
                 raw, "check the coordinates or the 所属乡镇 value", severity="warning")


def load_layer(lc: LayerConfig, admin: Mapping[str, gpd.GeoDataFrame],
                county: shapely.Geometry, metric: pyproj.CRS, problems: Problems,
                ledgers: dict[tuple[str, str, str], tuple[pd.Series, np.ndarray, set[str]]],
                ) -> gpd.GeoDataFrame | None:
    fr = _read_layer_table(lc, problems)
    if fr is None:
        return None
    _join_ledger(lc, fr, problems)
    if fr.ledger_keys is not None:
        lname, sheet, key, keys, rows = fr.ledger_keys
        entry = ledgers.setdefault((lname, sheet, key), (keys, rows, set()))
        entry[2].update(fr.data["id"])
    n = len(fr.data)
    ids = clean_code(fr.data["id"]).fillna("")
    for i in map(int, np.flatnonzero((ids == "").to_numpy())):
        _add(problems, fr, "id", int(i), "empty code", "", "every point needs a unique code")
    dup = ids.duplicated(keep=False) & (ids != "")
    for code in ids[dup].unique():
        rows = fr.rows[(ids == code).to_numpy()].tolist()
        problems.add(f"duplicate code on rows {rows}", file=fr.file, row=int(rows[1]),
                     column=fr.headers["id"], value=code,
                     fix="each point needs a unique code; remove or renumber the duplicate")
    geoms, ok = _parse_points(lc, fr, county, problems)
    typed = _typed_columns(lc, fr, problems)

    gdf = gpd.GeoDataFrame(
        {"id": ids.to_numpy(), "name": fr.data["name"].to_numpy(), "kind": lc.kind},
        geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"), crs="EPSG:4326",
    )
    gdf["status"] = typed.pop("status") if "status" in typed else pd.Series(pd.NA, index=range(n),
                                                                            dtype="string")
    for k, v in typed.items():
        gdf[k] = v.to_numpy()
    gdf = gdf.astype({"id": "string", "name": "string", "status": "string"})

    inside = np.zeros(n, dtype=bool)
    valid_pts = np.flatnonzero(ok)
    if len(valid_pts):
        inside[valid_pts] = shapely.contains_xy(county, *shapely.get_coordinates(
            geoms[valid_pts]).T)
    county_m = gpd.GeoSeries([county], crs="EPSG:4326").to_crs(metric).iloc[0]
    for i in map(int, np.flatnonzero(ok & ~inside)):
        pt = gpd.GeoSeries([geoms[i]], crs="EPSG:4326").to_crs(metric).iloc[0]
        dist = county_m.distance(pt)
        _add(problems, fr, "lon" if "lon" in fr.data else "geometry", int(i),
             f"point lies outside the region boundary ({dist / 1000:.1f} km outside)",
             f"{geoms[i].x:.6f}, {geoms[i].y:.6f}",
             "check the coordinates and their CRS (GCJ-02 from Amap needs crs = \"gcj02\")")
    code, name = spatial_join_codes(gdf, admin["township"])
    gdf["township_code"], gdf["township_name"] = code.to_numpy(), name.to_numpy()
    _match_townships(fr, admin["township"], code, problems)
    if "village" in admin:
        gdf["village_code"] = spatial_join_codes(gdf, admin["village"])[0].to_numpy()
    else:
        gdf["village_code"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
    # keep only located points; row problems were reported above
    keep = ok & inside
    gdf["source_row"] = fr.rows
    return order_columns(gdf[keep].reset_index(drop=True))
