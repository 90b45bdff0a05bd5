"""Loading the admin boundaries: county, townships, villages; parents and tiling checks."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity

from coverage import crs as crs_mod
from coverage import readers
from coverage.config import AdminConfig, RegionConfig
from coverage.problems import InputError, Problems
from coverage.region import spatial_join_codes
from coverage.vocabulary import ADMIN_LEVEL, ADMIN_LEVELS

__all__ = ["check_tiling", "clean_code", "link_parents", "load_admin", "missing_columns"]

#: Relative tolerance for gaps/overlaps between township polygons (share of county area).
_TILING_TOL = 1e-4


def clean_code(values: pd.Series) -> pd.Series:
    """Codes as text: 370831001.0 → "370831001", strip spaces; NA stays NA."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v).strip()
        return text if text else pd.NA

    return values.map(one).astype("string")


def missing_columns(
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


def load_admin(a: AdminConfig, problems: Problems) -> gpd.GeoDataFrame | None:
    fname = str(a.file)
    try:
        raw = readers.read_vector(a.file, layer=a.layer or None, encoding=a.encoding or None)
        raw = crs_mod.to_wgs84(raw, source=a.crs or None, file=fname)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    want = {"code_column": a.code_column, "name_column": a.name_column}
    if a.parent_column:
        want["parent_column"] = a.parent_column
    if missing_columns(list(raw.columns), want, fname, f"admin.{a.level}", problems):
        return None
    gdf = gpd.GeoDataFrame(
        {
            "code": clean_code(raw[a.code_column]),
            "name": raw[a.name_column].astype("string").str.strip(),
            "parent_code": (clean_code(raw[a.parent_column]) if a.parent_column
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


def link_parents(cfg: RegionConfig, admin: dict[str, gpd.GeoDataFrame],
                  problems: Problems) -> None:
    levels = [lv for lv in ADMIN_LEVELS if lv in admin]
    for upper, lower in itertools.pairwise(levels):
        child = admin[lower]
        a = cfg.admin_level(lower)
        assert a is not None
        if child["parent_code"].isna().all():
            pts = gpd.GeoDataFrame(geometry=child.geometry.representative_point(),
                                   crs="EPSG:4326")
            child["parent_code"] = spatial_join_codes(pts, admin[upper])[0].to_numpy()
        known = set(admin[upper]["code"].dropna())
        for i, (code, parent) in enumerate(zip(child["code"], child["parent_code"],
                                               strict=True)):
            if pd.isna(parent) or parent not in known:
                problems.add(
                    f"{ADMIN_LEVEL.label(lower)} unit is not inside any "
                    f"{ADMIN_LEVEL.label(upper)} unit",
                    file=str(a.file), row=i + 1, column=a.parent_column or "geometry",
                    value=code if pd.isna(parent) else f"{code} → {parent}",
                    fix="check the parent code or the polygon's position/CRS",
                )


def check_tiling(admin: dict[str, gpd.GeoDataFrame], cfg: RegionConfig,
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
