"""The planning region: admin hierarchy plus point layers, loaded and validated.

:func:`load_region` reads every file a :class:`~coverage.config.RegionConfig` names, converts
every coordinate to WGS84 (EPSG:4326) through :mod:`coverage.crs`, joins each point to its
township and village, and checks everything a planner gets wrong — collecting every problem
into one :class:`~coverage._errors.InputError` with file, Excel row, column, value and fix.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.validation import explain_validity

from coverage import crs as crs_mod
from coverage import io as io_mod
from coverage._errors import InputError
from coverage._validate import Problem, Problems
from coverage._vocab import (
    DEFAULT_STATUS_VALUES,
    DEFAULT_SUBTYPE_VALUES,
    build_lookup,
    normalize_cell,
    parse_bool,
    parse_grade,
    township_key,
)
from coverage.config import (
    ADMIN_LEVELS,
    CANONICAL_FIELDS,
    KIND_LABELS,
    STATUS_LABELS,
    STATUSES,
    AdminConfig,
    LayerConfig,
    RegionConfig,
    load_config,
)

__all__ = ["BASE_COLUMNS", "Provenance", "Region", "is_urban", "load_region", "region_from_frames"]

#: Columns every layer GeoDataFrame has, in this order.
BASE_COLUMNS = ("id", "name", "kind", "status", "township_code", "township_name",
                "village_code", "geometry")
_TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
#: Relative tolerance for gaps/overlaps between township polygons (share of county area).
_TILING_TOL = 1e-4


@dataclass(frozen=True)
class Provenance:
    """Where a region's data came from, printed on maps, tables and reports.

    Attributes
    ----------
    data_date
        Date of the data (``[region] data_date``), free text such as ``2026-06-30``.
    source
        Source of the data (``[region] source``), e.g. 某县卫健委台账.
    organisation
        制图/编制单位 (``[region] organisation``): the author of maps and reports.
    config_file
        The region TOML the data were loaded from (None for in-memory regions).
    """

    data_date: str = ""
    source: str = ""
    organisation: str = ""
    config_file: str | None = None


@dataclass(frozen=True)
class Region:
    """A loaded planning region.

    Attributes
    ----------
    name, code
        Region name and 6-digit county code.
    admin
        Level (``county``, ``township``, optionally ``village``) → GeoDataFrame in EPSG:4326
        with columns ``code``, ``name``, ``parent_code``, ``geometry``.
    layers
        Kind → GeoDataFrame of points in EPSG:4326 with :data:`BASE_COLUMNS` plus the optional
        canonical columns the config mapped (see ``docs/design.md``).
    metric_crs
        The metric CRS used for every distance and area (CGCS2000 GK zone or UTM).
    provenance
        Data date, source, organisation and the config file (for maps and reports).
    approximate_townships
        True when the township areas were derived from village codes and points (no township
        polygons were given): maps and reports label them 示意范围（非法定界线）.
    config
        The configuration the region was loaded from (``None`` for in-memory regions).
    problems
        Warnings found while loading (errors would have raised).
    """

    name: str
    code: str
    admin: Mapping[str, gpd.GeoDataFrame]
    layers: Mapping[str, gpd.GeoDataFrame]
    metric_crs: pyproj.CRS
    provenance: Provenance = field(default_factory=Provenance)
    approximate_townships: bool = False
    config: RegionConfig | None = None
    problems: tuple[Problem, ...] = field(default=(), repr=False)

    @property
    def county(self) -> gpd.GeoDataFrame:
        """The county (top level) polygons."""
        return self.admin["county"]

    @property
    def townships(self) -> gpd.GeoDataFrame:
        """The township/街道 polygons (``code``, ``name``, ``parent_code``, ``geometry``)."""
        return self.admin["township"]

    @property
    def villages(self) -> gpd.GeoDataFrame | None:
        """Village/community polygons when configured, else ``None``."""
        return self.admin.get("village")

    def layer(self, kind: str) -> gpd.GeoDataFrame:
        """Return the layer of ``kind``; an :class:`InputError` names the kinds present."""
        if kind not in self.layers:
            raise InputError.single(
                f"the region has no '{kind}' layer ({KIND_LABELS.get(kind, kind)})",
                column=f"layers.{kind}",
                fix=f"add a [layers.{kind}] table to the region TOML; present: "
                + (", ".join(self.layers) or "none"),
            )
        return self.layers[kind]

    def to_metric(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Project ``gdf`` to the region's metric CRS."""
        return gdf.to_crs(self.metric_crs)

    def summary(self) -> pd.DataFrame:
        """Counts per admin level and per layer kind and status."""
        rows: list[dict[str, Any]] = []
        for level, gdf in self.admin.items():
            rows.append({"类别": "行政区划", "名称": _LEVEL_LABELS[level], "数量": len(gdf)})
        for kind, gdf in self.layers.items():
            row: dict[str, Any] = {"类别": "点位图层", "名称": KIND_LABELS.get(kind, kind),
                                   "数量": len(gdf)}
            if gdf["status"].notna().any():
                counts = gdf["status"].value_counts()
                for s in STATUSES:
                    row[STATUS_LABELS[s]] = int(counts.get(s, 0))
            if "population" in gdf:
                row["人口"] = round(float(gdf["population"].sum()))
            rows.append(row)
        frame = pd.DataFrame(rows)
        for col in frame.columns[2:]:
            frame[col] = frame[col].astype("Int64")
        return frame.astype("string").fillna("")


_LEVEL_LABELS = {"county": "区县", "township": "乡镇/街道", "village": "村/社区"}


def is_urban(gdf: pd.DataFrame) -> np.ndarray:
    """Urban flag per row: 城乡分类代码 starting with "1"; without a code, communities are urban."""
    kind_urban = (gdf["kind"] == "community").to_numpy()
    if "ur_code" not in gdf:
        return kind_urban
    code = gdf["ur_code"].astype("string")
    known = code.notna() & (code.str.len() > 0)
    return np.where(known.to_numpy(), code.str.startswith("1").fillna(False).to_numpy(),
                    kind_urban).astype(bool)


def region_from_frames(
    *,
    name: str,
    code: str,
    admin: Mapping[str, gpd.GeoDataFrame],
    layers: Mapping[str, gpd.GeoDataFrame],
    metric_crs: pyproj.CRS | None = None,
) -> Region:
    """Build a :class:`Region` from in-memory GeoDataFrames (tests, notebooks).

    Layers are completed with the base columns and spatially joined to townships and
    villages when those columns are missing.
    """
    adm = {lv: crs_mod.to_wgs84(g) for lv, g in admin.items()}
    out_layers = {}
    for kind, g in layers.items():
        g = crs_mod.to_wgs84(g.copy())
        g["kind"] = kind
        for col in BASE_COLUMNS:
            if col not in g:
                g[col] = pd.NA
        if g["township_code"].isna().all() and "township" in adm:
            code_, name_ = _spatial_join_codes(g, adm["township"])
            g["township_code"], g["township_name"] = code_, name_
        if g["village_code"].isna().all() and "village" in adm:
            g["village_code"] = _spatial_join_codes(g, adm["village"])[0]
        out_layers[kind] = _order_columns(g)
    mcrs = metric_crs or crs_mod.metric_crs_for(adm["county"])
    return Region(name=name, code=code, admin=adm, layers=out_layers, metric_crs=mcrs)


def load_region(config: RegionConfig | str | Path, *, strict: bool | None = None) -> Region:
    """Load and validate every file of a region.

    Parameters
    ----------
    config
        A :class:`RegionConfig` or the path of a region TOML file.
    strict
        Treat warnings as errors (default: the config's ``region.strict``).

    Returns
    -------
    Region
        The validated region, all geometries in EPSG:4326.

    Raises
    ------
    InputError
        Listing every problem found in every file.
    """
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    strict = cfg.region.strict if strict is None else strict
    problems = Problems()

    admin: dict[str, gpd.GeoDataFrame] = {}
    for a in cfg.admin:
        gdf = _load_admin(a, problems)
        if gdf is not None:
            admin[a.level] = gdf
    if "county" not in admin or "township" not in admin:
        problems.raise_if_errors(strict=strict, title=_title(cfg))
        raise InputError(problems.items, title=_title(cfg))  # pragma: no cover - defensive
    _link_parents(cfg, admin, problems)
    _check_tiling(admin, cfg, problems)

    county_geom = shapely.union_all(admin["county"].geometry.to_numpy())
    metric = (crs_mod.metric_crs_for(admin["county"]) if cfg.region.metric_crs == "auto"
              else crs_mod.parse_crs(cfg.region.metric_crs).crs)
    assert metric is not None
    layers: dict[str, gpd.GeoDataFrame] = {}
    ledgers: dict[tuple[str, str, str], tuple[pd.Series, np.ndarray, set[str]]] = {}
    for kind, lc in cfg.layers.items():
        gdf = _load_layer(lc, admin, county_geom, metric, problems, ledgers)
        if gdf is not None:
            layers[kind] = gdf
    for (lname, _sheet, key), (keys, rows, used) in ledgers.items():
        for i, k in enumerate(keys):
            if k and k not in used:
                problems.add(
                    "code in the 台账 matches no point of any layer; its data are not used",
                    file=lname, row=int(rows[i]), column=key, value=k,
                    fix="check the code against the point files", severity="warning",
                )

    problems.raise_if_errors(strict=strict, title=_title(cfg))
    return Region(
        name=cfg.region.name, code=cfg.region.code, admin=admin, layers=layers,
        metric_crs=metric, config=cfg, problems=tuple(problems.warnings),
        provenance=Provenance(data_date=cfg.region.data_date, source=cfg.region.source,
                              organisation=cfg.region.organisation,
                              config_file=str(cfg.path) if cfg.path else None),
    )


def _title(cfg: RegionConfig) -> str:
    return f"区域数据有问题 (region data problems) — {cfg.region.name} ({cfg.path})"


# --------------------------------------------------------------------------------------------
# admin boundaries


def _clean_code(values: pd.Series) -> pd.Series:
    """Codes as text: 370831001.0 → "370831001", strip spaces; NA stays NA."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v).strip()
        return text if text else pd.NA

    return values.map(one).astype("string")


def _missing_columns(
    have: list[str], want: Mapping[str, str], file: str, key: str, problems: Problems,
    row: int | None = None,
) -> bool:
    bad = False
    for field_, header in want.items():
        if header and header not in have:
            close = difflib.get_close_matches(header, have, n=1, cutoff=0.4)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.add(
                f"column '{header}' (for {field_}) not found in the file",
                file=file, row=row, column=header,
                fix=f"{hint}set {key}.{field_} to one of the file's headers: {', '.join(have)}",
            )
            bad = True
    return bad


def _load_admin(a: AdminConfig, problems: Problems) -> gpd.GeoDataFrame | None:
    fname = str(a.file)
    try:
        raw = io_mod.read_vector(a.file, layer=a.layer or None, encoding=a.encoding or None)
        raw = crs_mod.to_wgs84(raw, source=a.crs or None, file=fname)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    want = {"code_column": a.code_column, "name_column": a.name_column}
    if a.parent_column:
        want["parent_column"] = a.parent_column
    if _missing_columns(list(raw.columns), want, fname, f"admin.{a.level}", problems):
        return None
    gdf = gpd.GeoDataFrame(
        {
            "code": _clean_code(raw[a.code_column]),
            "name": raw[a.name_column].astype("string").str.strip(),
            "parent_code": (_clean_code(raw[a.parent_column]) if a.parent_column
                            else pd.Series(pd.NA, index=raw.index, dtype="string")),
        },
        geometry=raw.geometry.to_numpy(), crs="EPSG:4326",
    ).reset_index(drop=True)
    for i, (code, geom) in enumerate(zip(gdf["code"], gdf.geometry, strict=True)):
        if pd.isna(code):
            problems.add("empty code", file=fname, row=i + 1, column=a.code_column,
                         fix="every boundary needs its 统计用区划代码")
        if geom is None or geom.is_empty:
            problems.add("empty geometry", file=fname, row=i + 1, column="geometry",
                         value=code, fix="remove the feature or redraw it")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.add(f"expected a polygon, got {geom.geom_type}", file=fname, row=i + 1,
                         column="geometry", value=code, fix="boundary files hold polygons")
        elif not geom.is_valid:
            reason = explain_validity(geom)
            fixed = shapely.make_valid(geom)
            polys = shapely.get_parts(fixed)
            polys = [p for p in polys if p.geom_type in ("Polygon", "MultiPolygon")]
            gdf.loc[i, "geometry"] = shapely.union_all(polys) if polys else fixed
            problems.add(
                f"invalid polygon ({reason}); repaired with make_valid",
                file=fname, row=i + 1, column="geometry", value=code,
                fix="check the repaired outline; fix the self-intersection in GIS to be sure",
                severity="warning",
            )
    dup = gdf["code"].duplicated(keep=False) & gdf["code"].notna()
    for code in gdf.loc[dup, "code"].unique():
        rows = [i + 1 for i in np.flatnonzero((gdf["code"] == code).to_numpy())]
        problems.add(f"duplicate code in features {rows}", file=fname, column=a.code_column,
                     value=code, fix="each unit needs a unique code")
    return gdf


def _spatial_join_codes(points: gpd.GeoDataFrame, polys: gpd.GeoDataFrame
                        ) -> tuple[pd.Series, pd.Series]:
    """Code and name of the polygon containing each point (first match), NA outside."""
    idx_pt, idx_poly = polys.sindex.query(points.geometry.to_numpy(), predicate="within")
    first = pd.Series(idx_poly, index=idx_pt)
    first = first[~first.index.duplicated()]
    code = pd.Series(pd.NA, index=range(len(points)), dtype="string")
    name = pd.Series(pd.NA, index=range(len(points)), dtype="string")
    code.iloc[first.index.to_numpy()] = polys["code"].to_numpy()[first.to_numpy()]
    name.iloc[first.index.to_numpy()] = polys["name"].to_numpy()[first.to_numpy()]
    code.index = points.index
    name.index = points.index
    return code, name


def _link_parents(cfg: RegionConfig, admin: dict[str, gpd.GeoDataFrame],
                  problems: Problems) -> None:
    levels = [lv for lv in ADMIN_LEVELS if lv in admin]
    for upper, lower in itertools.pairwise(levels):
        child = admin[lower]
        a = cfg.admin_level(lower)
        assert a is not None
        if child["parent_code"].isna().all():
            pts = gpd.GeoDataFrame(geometry=child.geometry.representative_point(),
                                   crs="EPSG:4326")
            child["parent_code"] = _spatial_join_codes(pts, admin[upper])[0].to_numpy()
        known = set(admin[upper]["code"].dropna())
        for i, (code, parent) in enumerate(zip(child["code"], child["parent_code"],
                                               strict=True)):
            if pd.isna(parent) or parent not in known:
                problems.add(
                    f"{_LEVEL_LABELS[lower]} unit is not inside any {_LEVEL_LABELS[upper]} unit",
                    file=str(a.file), row=i + 1, column=a.parent_column or "geometry",
                    value=code if pd.isna(parent) else f"{code} → {parent}",
                    fix="check the parent code or the polygon's position/CRS",
                )


def _check_tiling(admin: dict[str, gpd.GeoDataFrame], cfg: RegionConfig,
                  problems: Problems) -> None:
    """Township polygons must tile the county: report overlaps and gaps.

    The topology (intersections, differences) is computed in the polygons' own lon/lat
    coordinates, where the boundaries were drawn to coincide; only the resulting areas are
    measured in the metric CRS.  (Projecting first would bend a two-vertex county edge away
    from the same edge drawn with three vertices and report a sliver that is not there.)
    """
    metric = crs_mod.metric_crs_for(admin["county"])
    towns = admin["township"]

    def area(geom: shapely.Geometry) -> float:
        return float(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(metric).area.iloc[0])

    county_geom = shapely.union_all(admin["county"].geometry.to_numpy())
    tol = _TILING_TOL * area(county_geom)
    a = cfg.admin_level("township")
    fname = str(a.file) if a else None
    geoms = towns.geometry.to_numpy()
    left, right = towns.sindex.query(geoms, predicate="intersects")
    keep = left < right
    for i, j in zip(left[keep], right[keep], strict=True):
        inter = shapely.intersection(geoms[i], geoms[j])
        if shapely.area(inter) == 0:
            continue
        overlap = area(inter)
        if overlap > tol:
            problems.add(
                f"townships '{towns['name'].iloc[i]}' and '{towns['name'].iloc[j]}' overlap by "
                f"{overlap / 1e6:.3f} km²",
                file=fname, row=int(i) + 1, column="geometry",
                value=f"{towns['code'].iloc[i]} / {towns['code'].iloc[j]}",
                fix="fix the shared boundary so each place lies in exactly one township",
            )
    gaps = shapely.difference(county_geom, shapely.union_all(geoms))
    if shapely.area(gaps) > 0 and (gap_area := area(gaps)) > tol:
        c = shapely.centroid(gaps)
        problems.add(
            f"townships leave {gap_area / 1e6:.3f} km² of the county uncovered (near "
            f"{c.x:.4f}, {c.y:.4f})",
            file=fname, column="geometry",
            fix="the township polygons must tile the county boundary without gaps",
        )
    outside = shapely.difference(shapely.union_all(geoms), county_geom)
    if shapely.area(outside) > 0 and (out_area := area(outside)) > tol:
        c = shapely.centroid(outside)
        problems.add(
            f"townships extend {out_area / 1e6:.3f} km² beyond the county boundary (near "
            f"{c.x:.4f}, {c.y:.4f})",
            file=fname, column="geometry",
            fix="clip the township polygons to the county boundary", severity="warning",
        )


# --------------------------------------------------------------------------------------------
# point layers


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
            table = io_mod.read_table(lc.file, sheet=lc.sheet or None,
                                      header_row=lc.header_row, encoding=lc.encoding)
            frame = table.frame
            rows = np.array([table.excel_row(i) for i in range(len(frame))], dtype=int)
            geometry = None
        else:
            gdf = io_mod.read_vector(lc.file, layer=lc.layer or None)
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
    if _missing_columns(list(frame.columns), cols, fname, f"layers.{lc.kind}.columns", problems):
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
        table = io_mod.read_table(led.file, sheet=led.sheet or None, header_row=led.header_row,
                                  encoding=led.encoding)
    except InputError as exc:
        problems.extend(exc.problems)
        return
    frame = table.frame
    want = {"key": led.key, **led.columns}
    if _missing_columns(list(frame.columns), want, lname, f"layers.{lc.kind}.ledger", problems):
        return
    keys = _clean_code(frame[led.key]).fillna("")
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
        series, errs = io_mod.parse_wkt_column(fr.data["wkt"])
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
        vals, errs = io_mod.parse_coordinates(fr.data[field_])
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
            out[field_] = _vocab_column(lc, fr, field_, lc.status_values or DEFAULT_STATUS_VALUES,
                                        problems)
        elif typ == "subtype":
            vocab = lc.subtype_values or DEFAULT_SUBTYPE_VALUES.get(lc.kind)
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


def _load_layer(lc: LayerConfig, admin: Mapping[str, gpd.GeoDataFrame],
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
    ids = _clean_code(fr.data["id"]).fillna("")
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
    code, name = _spatial_join_codes(gdf, admin["township"])
    gdf["township_code"], gdf["township_name"] = code.to_numpy(), name.to_numpy()
    _match_townships(fr, admin["township"], code, problems)
    if "village" in admin:
        gdf["village_code"] = _spatial_join_codes(gdf, admin["village"])[0].to_numpy()
    else:
        gdf["village_code"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
    # keep only located points; row problems were reported above
    keep = ok & inside
    gdf["source_row"] = fr.rows
    return _order_columns(gdf[keep].reset_index(drop=True))


def _order_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    extra = [c for c in gdf.columns if c not in BASE_COLUMNS]
    return gdf[[*BASE_COLUMNS[:-1], *extra, "geometry"]]
