"""Reference layers for the maps — roads, water and place names — from the run's OSM file.

The thematic layers of the 资源一张图 and the static sheets need a base to be read against:
the main roads, the rivers and lakes, the names of the towns. Offline, the only such data a
run has is its road file, and an OSM extract carries all three. :func:`reference_layers_from_osm`
reads the file once (the XML/PBF readers of :mod:`coverage._osm`, so a clipped extract is cut
at its missing nodes here too) and returns three small WGS84 GeoDataFrames with codes, not
display words:

* ``roads`` — every ``highway=*`` way in one of :data:`ROAD_CLASSES`; whole ways merged
  end to end into one feature per class and name (a LineString where they form one line,
  else a MultiLineString), not one feature per segment or per way;
* ``water`` — ``waterway=*`` lines in :data:`WATER_KINDS` and the water polygons
  (``natural=water``, ``landuse=reservoir``, ``waterway=riverbank``; closed ways and
  multipolygon relations, assembled by libosmium);
* ``places`` — ``place=*`` nodes in :data:`PLACE_KINDS`.

Lines and polygons are clipped to the given polygon and simplified in a metric CRS with
topology-preserving Douglas–Peucker (:func:`shapely.simplify`, ``preserve_topology=True``,
line by line). The default tolerance, :data:`DEFAULT_SIMPLIFY_M`, is set by what a county
map can show and by size: see there.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from coverage._osm import open_osm, osmium_errors, way_runs
from coverage.crs import assert_metric
from coverage.problems import InputError

__all__ = [
    "DEFAULT_SIMPLIFY_M",
    "PLACE_KINDS",
    "ROAD_CLASSES",
    "WATER_KINDS",
    "ReferenceLayers",
    "reference_layers_from_osm",
]

logger = logging.getLogger(__name__)

DEFAULT_SIMPLIFY_M: Final = 15.0
"""Default Douglas–Peucker tolerance (metres). 15 m is 0.1 mm on an A4 county sheet at
1:150 000 and at most 4 screen pixels at web zoom 15, the closest a county map is read at;
it keeps the demo county's 1,600 km of roads (28,234 vertices raw) at 6,524 vertices, about
146 KB of minified GeoJSON at 1e-5° (10 m: 8,334 vertices, 183 KB)."""

ROAD_CLASSES: Final = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "minor",
    "track",
    "path",
)
"""Road class codes, most important first (``min_class`` keeps a prefix of them)."""

_ROAD_CLASS: Final = {
    **{h: h for h in ("motorway", "trunk", "primary", "secondary", "tertiary")},
    **{f"{h}_link": h for h in ("motorway", "trunk", "primary", "secondary", "tertiary")},
    **dict.fromkeys(
        ("unclassified", "residential", "living_street", "service", "road", "busway"), "minor"
    ),
    "track": "track",
    **dict.fromkeys(
        ("path", "footway", "cycleway", "pedestrian", "steps", "bridleway"), "path"
    ),
}
"""OSM ``highway`` value -> road class; other values (construction, proposed, platform …)
are not drawn."""

WATER_KINDS: Final = ("river", "stream", "canal", "drain", "lake", "reservoir", "water")
"""Water kind codes: lines (``river`` … ``drain``) and polygons (``river`` for river areas,
``lake``, ``reservoir``, ``canal``, and ``water`` for other or untyped water)."""

_WATERWAY_LINE: Final = {
    "river": "river",
    "stream": "stream",
    "canal": "canal",
    "drain": "drain",
    "ditch": "drain",
}
_WATER_POLYGON: Final = {  # natural=water + water=*
    "river": "river",
    "oxbow": "lake",
    "lake": "lake",
    "pond": "lake",
    "lagoon": "lake",
    "reservoir": "reservoir",
    "basin": "reservoir",
    "canal": "canal",
}

PLACE_KINDS: Final = (
    "city",
    "town",
    "village",
    "suburb",
    "quarter",
    "neighbourhood",
    "hamlet",
    "isolated_dwelling",
)
"""``place=*`` values kept as place kind codes (settlements; not regions like
``county`` or ``state``)."""


@dataclass(frozen=True)
class ReferenceLayers:
    """Base layers for maps, all in EPSG:4326.

    Attributes
    ----------
    roads
        One (Multi)LineString per road class and name; columns ``road_class`` (a
        :data:`ROAD_CLASSES` code) and ``name`` (string, NA for the unnamed ways of a
        class).
    water
        (Multi)LineStrings per kind and name, then one (Multi)Polygon per water area;
        columns ``water_kind`` (a :data:`WATER_KINDS` code) and ``name``.
    places
        Points; columns ``place_kind`` (a :data:`PLACE_KINDS` code) and ``name``.
    """

    roads: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    places: gpd.GeoDataFrame


class _Lines:
    """Runs of lon/lat coordinates with a (kind, name) per run, in flat arrays."""

    def __init__(self) -> None:
        self.lon = array("d")
        self.lat = array("d")
        self.run = array("q")
        self.kind: list[str] = []
        self.name: list[str | None] = []

    def add(self, runs: Sequence[Sequence[tuple[int, float, float]]], kind: str,
            name: str | None) -> None:
        for run in runs:
            index = len(self.kind)
            self.lon.extend(lon for _, lon, _ in run)
            self.lat.extend(lat for _, _, lat in run)
            self.run.extend([index] * len(run))
            self.kind.append(kind)
            self.name.append(name)


def _frame(
    geometry: NDArray[np.object_], column: str, kind: Sequence[str], name: Sequence[str | None]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            column: pd.array(list(kind), dtype="string"),
            "name": pd.array(list(name), dtype="string"),
        },
        geometry=gpd.GeoSeries(list(geometry), crs="EPSG:4326"),
        crs="EPSG:4326",
    )


_LINE, _POLYGON = 1, 3  # shapely type ids of the single parts kept


def _parts(
    geoms: NDArray[np.object_], part_type: int
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """The single parts of ``part_type`` of each geometry and the row each belongs to (a
    clip can leave points or collections beside the lines and polygons)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    owner = np.asarray(owner, dtype=np.int64)
    nested = shapely.get_type_id(parts) == 7  # GeometryCollection
    if nested.any():
        inner, sub = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[np.flatnonzero(nested)[sub]]])
    keep = (shapely.get_type_id(parts) == part_type) & ~shapely.is_empty(parts)
    return parts[keep], owner[keep]


def _group(
    parts: NDArray[np.object_], owner: NDArray[np.int64], n: int, part_type: int
) -> NDArray[np.object_]:
    """Parts regrouped per row: the part itself where a row has one, a multi-part geometry
    where it has several, None where it has none."""
    out = np.full(n, None, dtype=object)
    if not len(parts):
        return out
    order = np.argsort(owner, kind="stable")
    parts, owner = parts[order], owner[order]
    # shapely wants the indices 0..k without gaps: rows with no part are skipped here
    rows, dense = np.unique(owner, return_inverse=True)
    if part_type == _LINE:
        multi = shapely.multilinestrings(parts, indices=dense)
    else:
        multi = shapely.multipolygons(parts, indices=dense)
    count = np.bincount(dense)
    grouped = np.asarray(multi, dtype=object)
    grouped[count == 1] = shapely.get_geometry(grouped[count == 1], 0)
    out[rows] = grouped
    return out


class _Shaper:
    """Project, clip, simplify and return to WGS84 (vectorised over arrays of geometries)."""

    def __init__(self, crs: pyproj.CRS, clip: Any, simplify_m: float) -> None:
        self.transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        self.clip = None if clip is None else self.to_metric(np.array([clip]))[0]
        if self.clip is not None:
            shapely.prepare(self.clip)
        self.simplify_m = simplify_m

    @staticmethod
    def _apply(
        transformer: pyproj.Transformer,
    ) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
        def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = transformer.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return project

    def to_metric(self, geoms: NDArray[np.object_]) -> NDArray[np.object_]:
        return np.asarray(shapely.transform(geoms, self._apply(self.transformer)), dtype=object)

    def shape(self, geoms: NDArray[np.object_], part_type: int) -> NDArray[np.object_]:
        """Metric geometries -> clipped, simplified WGS84 geometries (None where nothing is
        left), one per input row."""
        out = np.full(len(geoms), None, dtype=object)
        if not len(geoms):
            return out
        if self.clip is not None:
            hit = shapely.intersects(self.clip, geoms)
            inside = np.zeros(len(geoms), dtype=bool)
            inside[hit] = shapely.contains(self.clip, geoms[hit])
            cut = np.full(len(geoms), None, dtype=object)
            cut[inside] = geoms[inside]
            partly = hit & ~inside
            cut[partly] = shapely.intersection(geoms[partly], self.clip)
            geoms = cut
        parts, owner = _parts(geoms, part_type)
        if self.simplify_m > 0:
            # part by part: a multi-part geometry simplified whole keeps extra vertices
            # wherever two of its parts come close
            parts = shapely.simplify(parts, self.simplify_m, preserve_topology=True)
            parts, sub = _parts(parts, part_type)
            owner = owner[sub]
        parts = np.asarray(shapely.transform(parts, self._apply(self._back)), dtype=object)
        return _group(parts, owner, len(geoms), part_type)


def _merged_lines(
    lines: _Lines, shaper: _Shaper
) -> tuple[NDArray[np.object_], list[str], list[str | None]]:
    """One geometry per (kind, name): the runs merged where they meet end to end
    (:func:`shapely.line_merge`), clipped and simplified; a LineString where they form one
    line, else a MultiLineString."""
    if not lines.kind:
        return np.zeros(0, dtype=object), [], []
    run = np.frombuffer(lines.run, dtype=np.int64)
    lon = np.frombuffer(lines.lon, dtype=np.float64)
    lat = np.frombuffer(lines.lat, dtype=np.float64)
    x, y = shaper.transformer.transform(lon, lat)
    single = shapely.linestrings(np.column_stack([x, y]), indices=run)
    keys = pd.MultiIndex.from_arrays(
        [pd.array(lines.kind, dtype="string"), pd.array(lines.name, dtype="string")]
    )
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    groups = shapely.multilinestrings(single[order], indices=codes[order])
    merged = np.asarray(shapely.line_merge(groups), dtype=object)
    shaped = shaper.shape(merged, _LINE)
    rows = [i for i, g in enumerate(shaped) if g is not None]
    kinds = [str(uniques[i][0]) for i in rows]
    names = [None if pd.isna(uniques[i][1]) else str(uniques[i][1]) for i in rows]
    return shaped[rows], kinds, names


def _checked_min_class(min_class: str | None) -> tuple[str, ...]:
    if min_class is None:
        return ROAD_CLASSES
    if min_class not in ROAD_CLASSES:
        raise InputError.single(
            "unknown road class",
            column="min_class",
            value=min_class,
            fix=f"use one of {', '.join(ROAD_CLASSES)}",
        )
    return ROAD_CLASSES[: ROAD_CLASSES.index(min_class) + 1]


def _water_polygon_kind(tags: Any) -> str | None:
    if tags.get("natural") == "water":
        return _WATER_POLYGON.get(tags.get("water") or "", "water")
    if tags.get("landuse") == "reservoir":
        return "reservoir"
    if tags.get("waterway") == "riverbank":
        return "river"
    return None


def reference_layers_from_osm(
    path: str | Path,
    *,
    clip: Any = None,
    metric_crs: pyproj.CRS | str | int,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    min_class: str | None = None,
) -> ReferenceLayers:
    """Read roads, water and place names from an OSM file for use as map reference layers.

    Parameters
    ----------
    path
        The OSM file (XML, optionally bz2/gz-compressed, or PBF), typically the run's
        ``[access] network``.
    clip
        Shapely (multi)polygon in WGS84, e.g. the county outline; None keeps everything.
    metric_crs
        Metric CRS in which clipping and simplification happen (the region's).
    simplify_m
        Douglas–Peucker tolerance in metres (topology-preserving, see
        :data:`DEFAULT_SIMPLIFY_M`); 0 keeps every vertex.
    min_class
        Keep roads of this class and the more important ones (e.g. ``"tertiary"``: no
        minor roads, tracks or paths); None keeps all of :data:`ROAD_CLASSES`.

    Returns
    -------
    ReferenceLayers

    Raises
    ------
    InputError
        As :func:`coverage._osm.read_osm` for a missing, misnamed or unreadable file, or
        on an unknown ``min_class``.

    Notes
    -----
    Polygons are assembled by libosmium's area assembler, which reads the relations of the
    file in a first pass before the one pass over everything. Water polygons whose nodes
    are partly missing (a clipped extract) cannot be closed and are left out, counted in
    the log.
    """
    import osmium

    metric = assert_metric(metric_crs)
    classes = set(_checked_min_class(min_class))
    if not (np.isfinite(simplify_m) and simplify_m >= 0):
        raise InputError.single(
            "simplify tolerance must be a number of metres >= 0",
            column="simplify_m",
            value=simplify_m,
        )
    source = open_osm(path)
    shaper = _Shaper(metric, clip, float(simplify_m))
    roads, water_lines = _Lines(), _Lines()
    polygons: list[bytes] = []
    polygon_kind: list[str] = []
    polygon_name: list[str | None] = []
    place_xy: list[tuple[float, float]] = []
    place_kind: list[str] = []
    place_name: list[str | None] = []
    split = open_water = 0
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(source)
        .with_locations()
        .with_areas(osmium.filter.KeyFilter("natural", "landuse", "waterway"))
        .with_filter(osmium.filter.KeyFilter("highway", "waterway", "natural", "landuse", "place"))
    )
    with osmium_errors(path):
        for obj in processor:
            tags = obj.tags
            if isinstance(obj, osmium.osm.Node):
                kind = tags.get("place")
                if kind in PLACE_KINDS and obj.location.valid():
                    place_xy.append((obj.location.lon, obj.location.lat))
                    place_kind.append(kind)
                    place_name.append(tags.get("name"))
            elif isinstance(obj, osmium.osm.Way):
                road = _ROAD_CLASS.get(tags.get("highway") or "")
                line = _WATERWAY_LINE.get(tags.get("waterway") or "")
                if road in classes and tags.get("area") != "yes":
                    pieces = way_runs(obj.nodes)
                    split += bool(pieces.missing)
                    roads.add(pieces.runs, road, tags.get("name"))
                elif line is not None:
                    pieces = way_runs(obj.nodes)
                    split += bool(pieces.missing)
                    water_lines.add(pieces.runs, line, tags.get("name"))
                elif _water_polygon_kind(tags) is not None and obj.is_closed():
                    # a closed water way the area assembler cannot close: nodes missing
                    open_water += any(not node.location.valid() for node in obj.nodes)
            elif isinstance(obj, osmium.osm.Area):
                kind = _water_polygon_kind(tags)
                if kind is not None:
                    try:
                        polygons.append(bytes.fromhex(wkb.create_multipolygon(obj)))
                    except RuntimeError:  # an invalid ring libosmium could not assemble
                        open_water += 1
                        continue
                    polygon_kind.append(kind)
                    polygon_name.append(tags.get("name"))
    if split:
        logger.warning(
            "%s: %d ways of the reference layers have nodes missing from the file (a clipped "
            "extract); they are cut at the gaps",
            path,
            split,
        )
    if open_water:
        logger.warning(
            "%s: %d water areas could not be closed (nodes missing or broken rings) and are "
            "not drawn",
            path,
            open_water,
        )

    road_geoms, road_kind, road_name = _merged_lines(roads, shaper)
    line_geoms, line_kind, line_name = _merged_lines(water_lines, shaper)
    poly = shaper.to_metric(np.asarray(shapely.from_wkb(polygons), dtype=object))
    shaped = shaper.shape(poly, _POLYGON)
    poly_row = [i for i, g in enumerate(shaped) if g is not None]
    water = _frame(
        np.concatenate([line_geoms, shaped[poly_row]]),
        "water_kind",
        [*line_kind, *(polygon_kind[i] for i in poly_row)],
        [*line_name, *(polygon_name[i] for i in poly_row)],
    )

    points = np.asarray(shapely.points(np.asarray(place_xy, dtype=float).reshape(-1, 2)))
    inside = np.ones(len(points), dtype=bool)
    if clip is not None and len(points):
        inside = shapely.covers(shaper.clip, shaper.to_metric(points))
    places = _frame(
        points[inside],
        "place_kind",
        [k for k, keep in zip(place_kind, inside, strict=True) if keep],
        [n for n, keep in zip(place_name, inside, strict=True) if keep],
    )
    layers = ReferenceLayers(
        roads=_frame(road_geoms, "road_class", road_kind, road_name),
        water=water,
        places=places,
    )
    logger.info(
        "reference layers from %s: %d road lines, %d water features, %d places",
        path,
        len(layers.roads),
        len(layers.water),
        len(layers.places),
    )
    return layers
