"""Townships from 12-digit codes, when no township polygons are given.

A village or community's 统计用区划代码 says where it belongs: the first 6 digits are the
county (checked against ``[region] code``), the first 9 the township.  Township names come
from an optional code list (``[region] division_codes``: the official 统计用区划代码 list as
CSV/XLSX with code and name), else from the layers' 所属乡镇 column.

Township *areas* are then approximate (示意范围, not legal boundaries): the Voronoi cells of
the located village/community points, dissolved per township and clipped to the county
outline.  A township without any located point has no area (its rows still count in the
completion rates).  With village polygons but no township polygons, the townships are the
village polygons dissolved by code — as exact as the village polygons.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage import readers
from coverage._clean import normalize_code, township_key
from coverage.load._frame import LoadContext
from coverage.load._tiling import township_code_key
from coverage.load.layers import ParsedLayer
from coverage.problems import InputError, Problems, Severity

__all__ = ["CODED_KINDS", "check_county_prefix", "code_prefixes", "read_division_codes",
           "townships_from_codes"]

#: Layer kinds whose ids are 12-digit 统计用区划代码 (village and community level).
CODED_KINDS = ("village", "community")
_CODE12 = re.compile(r"\d{12}")
_CODE_HEADERS = ("code", "代码", "统计用区划代码", "区划代码", "行政区划代码", "编码", "adcode")
_NAME_HEADERS = ("name", "名称", "区划名称", "单位名称", "乡镇名称", "名字")


def code_prefixes(layer: ParsedLayer) -> np.ndarray:
    """The first 9 digits of each 12-digit code of a village/community layer, else ""."""
    if layer.kind not in CODED_KINDS:
        return np.full(len(layer.gdf), "", dtype=object)
    ids = layer.gdf["id"].fillna("").astype(str)
    return np.array([c[:9] if _CODE12.fullmatch(c) else "" for c in ids], dtype=object)


def read_division_codes(path: Path, *, region_code: str, max_bytes: int,
                        problems: Problems) -> dict[str, str]:
    """Township code (9 digits) → name from an official code list, for this county.

    The list may hold every level (provinces to villages, or the whole country): rows whose
    code is 9 digits, or 12 digits ending in 000, starts with the region code and is not the
    county itself (``370831000``) are kept.
    """
    file = str(path)
    try:
        table = readers.read_table(path, max_bytes=max_bytes)
    except InputError as exc:
        problems.extend(exc.problems)
        return {}
    problems.extend(table.notes)
    cols = list(table.frame.columns)
    code_col = next((c for c in cols if c.strip().lower() in _CODE_HEADERS), None)
    name_col = next((c for c in cols if c.strip().lower() in _NAME_HEADERS), None)
    if code_col is None or name_col is None:
        problems.add(
            "the division code list needs a code column and a name column",
            file=file, row=table.header_row, column="region.division_codes",
            value=", ".join(cols), code="division_codes_columns",
            fix="name the headers code (or 代码/统计用区划代码) and name (or 名称)",
        )
        return {}
    out: dict[str, str] = {}
    for code, name in zip(table.frame[code_col], table.frame[name_col], strict=True):
        key = township_code_key(normalize_code(code))
        if len(key) == 9 and key.isdigit() and key.startswith(region_code) \
                and key[6:] != "000" and str(name).strip():
            out[key] = str(name).strip()
    if not out:
        problems.add(
            f"the division code list has no township of the county {region_code}",
            file=file, column=code_col, code="division_codes_empty", severity="warning",
            fix="use the 统计用区划代码 list of this county (9-digit township codes starting "
                f"with {region_code})",
        )
    return out


def _names(codes: list[str], layers: Mapping[str, ParsedLayer], prefixes: Mapping[str,
           np.ndarray], listed: Mapping[str, str], problems: Problems) -> dict[str, str]:
    """Township names: the code list first, else the most common 所属乡镇 of its rows."""
    seen: dict[str, Counter[str]] = {}
    for kind, layer in layers.items():
        for pre, text in zip(prefixes[kind], layer.township_text, strict=True):
            if pre and text:
                seen.setdefault(pre, Counter())[text] += 1
    names: dict[str, str] = {}
    missing = []
    for code in codes:
        if code in listed:
            names[code] = listed[code]
            continue
        votes = seen.get(code)
        if not votes:
            names[code] = code
            missing.append(code)
            continue
        (best, _), *rest = votes.most_common()
        names[code] = best
        if rest and township_key(rest[0][0]) != township_key(best):
            problems.add(
                f"the 所属乡镇 of the villages/communities coded {code} disagree: "
                + ", ".join(f"{t} ({k})" for t, k in votes.most_common()),
                column="所属乡镇", value=code, severity="warning",
                code="township_name_conflict",
                fix=f"'{best}' is used; correct the others, or give the official names in a "
                    "code list ([region] division_codes)",
            )
    if missing:
        problems.add(
            f"{len(missing)} townships have no name (no 所属乡镇 column and no code list): "
            + ", ".join(missing), column="region.division_codes", severity="warning",
            code="township_name_missing",
            fix="map township = \"所属乡镇\" in the layer's columns, or set [region] "
                "division_codes to the 统计用区划代码 list (code, name)",
        )
    return names


def _voronoi_areas(seeds: np.ndarray, owners: np.ndarray, bounds: shapely.Geometry
                   ) -> dict[str, shapely.Geometry]:
    """Owner → union of the Voronoi cells of its seed points (metric), within ``bounds``."""
    xy, first = np.unique(np.round(seeds, 2), axis=0, return_index=True)
    owner = owners[first]
    if len(xy) == 1:
        return {str(owner[0]): bounds}
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(xy), extend_to=bounds, ordered=True))
    # Voronoi cells share their edges exactly: a coverage union is exact and much faster
    return {str(code): shapely.coverage_union_all(cells[owner == code])
            for code in dict.fromkeys(owner)}


def townships_from_codes(layers: Mapping[str, ParsedLayer], ctx: LoadContext, *,
                         county_code: str, listed: Mapping[str, str],
                         villages: gpd.GeoDataFrame | None, problems: Problems
                         ) -> gpd.GeoDataFrame:
    """The townships named by the village/community codes, with approximate areas.

    Parameters
    ----------
    layers
        Every parsed layer (village and community ids give the townships).
    ctx
        Region code, county outline and metric CRS.
    county_code
        The county's code (the townships' ``parent_code``).
    listed
        Township names from the code list (:func:`read_division_codes`).
    villages
        Village polygons, when given: the townships are then their union by code.
    problems
        Receives the code checks (county prefix, non-codes) and the naming warnings.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (9 digits), ``name``, ``parent_code``, geometry (EPSG:4326; empty for a
        township without located points).
    """
    prefixes = {kind: code_prefixes(layer) for kind, layer in layers.items()}
    _check_codes(layers, problems)
    check_county_prefix(layers, ctx, problems, severity="error")
    codes = sorted({p for kind, pre in prefixes.items() for p in pre
                    if p and p.startswith(ctx.region_code)})
    if not codes:
        problems.add(
            "no township polygons and no 12-digit village/community codes of this county to "
            "derive the townships from", column="admin", code="no_townships",
            fix="add [[admin]] level = \"township\" with the township polygons, or map the "
                "villages'/communities' 12-digit 统计用区划代码 as their id",
        )
        return _frame([], {}, county_code, [])
    names = _names(codes, layers, prefixes, listed, problems)
    unused = sorted(set(listed) - set(codes))
    if unused:
        problems.add(
            f"{len(unused)} townships of the code list have no village or community in the "
            "layers and are left out of the tables: "
            + ", ".join(f"{listed[c]} ({c})" for c in unused),
            column="region.division_codes", severity="warning", code="division_codes_unused",
            fix="nothing to do if they have no villages/communities (e.g. a 开发区 pseudo-unit); "
                "otherwise add their villages/communities to the layers",
        )
    areas: dict[str, shapely.Geometry] = {}
    if villages is not None:
        vcodes = villages["code"].fillna("").astype(str)
        for code in codes:
            mine = villages.geometry.to_numpy()[vcodes.str.slice(0, 9).eq(code).to_numpy()]
            if len(mine):
                areas[code] = shapely.union_all(mine)
    else:
        areas = _approximate_areas(layers, prefixes, set(names), ctx)
    without = [c for c in codes if c not in areas or areas[c].is_empty]
    if without:
        what = "village polygon" if villages is not None else "located village or community"
        problems.add(
            f"{len(without)} townships have no {what}, so no area on the map (their rows still "
            "count in the rates): " + ", ".join(c if names[c] == c else f"{names[c]} ({c})"
                                                for c in without),
            column="admin", severity="warning", code="township_without_area",
            fix="add coordinates for some of their villages/communities, or township polygons "
                "([[admin]] level = \"township\")",
        )
    return _frame(codes, names, county_code, [areas.get(c, shapely.Polygon()) for c in codes])


def _approximate_areas(layers: Mapping[str, ParsedLayer], prefixes: Mapping[str, np.ndarray],
                       known: set[str], ctx: LoadContext) -> dict[str, shapely.Geometry]:
    """Township → its points' Voronoi cells (drawn in metres), clipped to the county outline.

    The cells are computed in the metric CRS and brought back to lon/lat before they are
    cut by the outline, so the areas end exactly on the county's own vertices.
    """
    seeds, owners = [], []
    for kind, layer in layers.items():
        pts = layer.gdf.geometry.to_numpy()
        for pre, pt, ok in zip(prefixes[kind], pts, layer.located, strict=True):
            if ok and pre in known:
                seeds.append(shapely.get_coordinates(pt)[0])
                owners.append(pre)
    if not seeds:
        return {}
    to_m = pyproj.Transformer.from_crs("EPSG:4326", ctx.metric, always_xy=True)
    to_wgs = pyproj.Transformer.from_crs(ctx.metric, "EPSG:4326", always_xy=True)

    def project(t: pyproj.Transformer) -> Callable[[np.ndarray], np.ndarray]:
        return lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))

    xy = np.asarray(seeds, dtype=float)
    mx, my = to_m.transform(xy[:, 0], xy[:, 1])
    frame = shapely.transform(ctx.county, project(to_m)).envelope.buffer(5000.0)
    cells = _voronoi_areas(np.column_stack([mx, my]), np.asarray(owners, dtype=object), frame)
    return {code: shapely.intersection(shapely.transform(cell, project(to_wgs)), ctx.county)
            for code, cell in cells.items()}


def _frame(codes: list[str], names: Mapping[str, str], parent: str,
           geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": pd.array(codes, dtype="string"),
         "name": pd.array([names.get(c, c) for c in codes], dtype="string"),
         "parent_code": pd.array([parent] * len(codes), dtype="string")},
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _check_codes(layers: Mapping[str, ParsedLayer], problems: Problems) -> None:
    """Without township polygons, village/community ids must be 12-digit codes."""
    for kind, layer in layers.items():
        if kind not in CODED_KINDS:
            continue
        ids = layer.gdf["id"].fillna("").astype(str).to_numpy()
        for i, c in enumerate(ids):
            if c and not _CODE12.fullmatch(c):
                layer.frame.report(
                    problems, "id", i,
                    "not a 12-digit 统计用区划代码: without township polygons the township comes "
                    "from the code's first 9 digits",
                    "use the unit's 12-digit code, or add township polygons ([[admin]] level = "
                    "\"township\")", value=c, code="not_a_division_code")


def check_county_prefix(layers: Mapping[str, ParsedLayer], ctx: LoadContext, problems: Problems,
                        *, severity: Severity) -> None:
    """The first 6 digits of every village/community code must be the region code.

    When most codes disagree, one problem says so (the region code is probably wrong);
    otherwise each disagreeing row is reported (``severity``: an error when the township
    comes from the code, a warning when a polygon places the point).
    """
    for kind, layer in layers.items():
        if kind not in CODED_KINDS:
            continue
        fr = layer.frame
        ids = layer.gdf["id"].fillna("").astype(str).to_numpy()
        coded = np.array([bool(_CODE12.fullmatch(c)) for c in ids], dtype=bool)
        foreign = coded & np.array([c[:6] != ctx.region_code for c in ids], dtype=bool)
        if coded.any() and foreign.sum() * 2 > coded.sum():
            counties = Counter(c[:6] for c in ids[foreign])
            problems.add(
                f"{int(foreign.sum())} of {int(coded.sum())} codes belong to another county "
                f"({', '.join(f'{c}: {k}' for c, k in counties.most_common(3))}), not to the "
                f"region code {ctx.region_code}",
                file=fr.file, sheet=fr.sheet, column=fr.sources["id"].header,
                value=ctx.region_code, code="county_code_mismatch",
                fix=f"check [region] code (set it to {counties.most_common(1)[0][0]} if that is "
                    "the county) or the layer's file",
            )
            continue
        for i in np.flatnonzero(foreign):
            fr.report(problems, "id", int(i),
                      f"the code belongs to county {ids[i][:6]}, not to the region "
                      f"{ctx.region_code}", "check the code, or remove the row if the unit is "
                      "in another county", value=ids[i], severity=severity,
                      code="county_code_mismatch")
