"""Loading the admin boundaries: county outline, township and village polygons, parents.

How well the polygons tile is :mod:`coverage.load._tiling`'s job; townships derived from
codes when no polygons are given are :mod:`coverage.load._hierarchy`'s.
"""

from __future__ import annotations

import dataclasses
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
from coverage._clean import normalize_code
from coverage.config import AdminConfig, RegionConfig
from coverage.problems import InputError, Problem, Problems
from coverage.region import spatial_join_codes
from coverage.vocabulary import ADMIN_LEVEL, ADMIN_LEVELS

__all__ = ["clean_code", "county_from_townships", "link_parents", "load_admin",
           "missing_columns"]


def clean_code(values: pd.Series) -> pd.Series:
    """Codes as text: 370831001.0 → "370831001", NFKC, no spaces; NA stays NA."""
    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return pd.NA
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = normalize_code(v)
        return text if text else pd.NA

    return values.map(one).astype("string")


def missing_columns(
    have: list[str], want: Mapping[str, str], file: str, key: str, problems: Problems,
    row: int | None = None, sheet: str | None = None,
) -> bool:
    """Report mapped headers the file does not have (with the closest header); True if any."""
    bad = False
    for field_, header in want.items():
        if header and header not in have:
            close = difflib.get_close_matches(header, have, n=1, cutoff=0.4)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.add(
                f"column '{header}' (for {field_}) not found in the file",
                file=file, row=row, column=header, sheet=sheet, code="missing_column",
                fix=f"{hint}set {key}.{field_} to one of the file's headers: {', '.join(have)}",
            )
            bad = True
    return bad


def load_admin(a: AdminConfig, problems: Problems, *, max_bytes: int = readers.DEFAULT_MAX_BYTES,
               region_code: str = "", region_name: str = "") -> gpd.GeoDataFrame | None:
    """Read one ``[[admin]]`` level into ``code``, ``name``, ``parent_code``, ``geometry``.

    A county outline given without ``code_column``/``name_column`` (a bare geometry, as
    many published outlines are) takes the region's code and name; its features are merged
    into one.
    """
    fname = str(a.file)
    notes: list[Problem] = []
    try:
        raw = readers.read_vector(a.file, layer=a.layer or None, encoding=a.encoding or None,
                                  max_bytes=max_bytes, notes=notes)
        raw = crs_mod.to_wgs84(raw, source=a.crs or None, file=fname)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(notes)
    if a.level == "county" and not (a.code_column and a.name_column):
        geom = shapely.union_all(raw.geometry.to_numpy())
        raw = gpd.GeoDataFrame(
            {a.code_column or "_code": [region_code], a.name_column or "_name": [region_name]},
            geometry=[geom], crs=raw.crs)
        a = dataclasses.replace(a, code_column=a.code_column or "_code",
                                name_column=a.name_column or "_name")
    want = {"code_column": a.code_column, "name_column": a.name_column}
    if a.parent_column:
        want["parent_column"] = a.parent_column
    if missing_columns(list(raw.columns), want, fname, f"admin.{a.level}", problems):
        return None
    gdf = gpd.GeoDataFrame(
        {
            "code": clean_code(raw[a.code_column]),
            "name": raw[a.name_column].astype("string").str.strip().replace("", pd.NA),
            "parent_code": (clean_code(raw[a.parent_column]) if a.parent_column
                            else pd.Series(pd.NA, index=raw.index, dtype="string")),
        },
        geometry=raw.geometry.to_numpy(), crs="EPSG:4326",
    ).reset_index(drop=True)
    for i, (code, geom) in enumerate(zip(gdf["code"], gdf.geometry, strict=True)):
        if pd.isna(code):
            problems.add("empty code", file=fname, row=i + 1, column=a.code_column,
                         fix="every boundary needs its 统计用区划代码", code="empty_code")
        if geom is None or geom.is_empty:
            problems.add("empty geometry", file=fname, row=i + 1, column="geometry",
                         value=code, fix="remove the feature or redraw it",
                         code="empty_geometry")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.add(f"expected a polygon, got {geom.geom_type}", file=fname, row=i + 1,
                         column="geometry", value=code, fix="boundary files hold polygons",
                         code="not_a_polygon")
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
                severity="warning", code="invalid_polygon_repaired",
            )
    dup = gdf["code"].duplicated(keep=False) & gdf["code"].notna()
    for code in gdf.loc[dup, "code"].unique():
        rows = [i + 1 for i in np.flatnonzero((gdf["code"] == code).to_numpy())]
        problems.add(f"duplicate code in features {rows}", file=fname, column=a.code_column,
                     value=code, fix="each unit needs a unique code", code="duplicate_code")
    return gdf


def link_parents(cfg: RegionConfig, admin: dict[str, gpd.GeoDataFrame],
                 problems: Problems) -> None:
    """Fill ``parent_code`` by spatial join where no parent column is given; check parents.

    Levels derived by the loader (a county from its townships, townships from codes) come
    with their parents and are not checked against a file.
    """
    levels = [lv for lv in ADMIN_LEVELS if lv in admin]
    for upper, lower in itertools.pairwise(levels):
        child = admin[lower]
        a = cfg.admin_level(lower)
        if a is None:
            continue
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
                    code="parent_not_found",
                )


def county_from_townships(towns: gpd.GeoDataFrame, *, code: str, name: str
                          ) -> gpd.GeoDataFrame:
    """The county as the union of its township polygons (when no outline is given)."""
    geom = shapely.union_all(towns.geometry.to_numpy())
    return gpd.GeoDataFrame({"code": pd.array([code], dtype="string"),
                             "name": pd.array([name], dtype="string"),
                             "parent_code": pd.array([pd.NA], dtype="string")},
                            geometry=[geom], crs="EPSG:4326")
