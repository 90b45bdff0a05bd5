"""Read OpenStreetMap road ways into a flat segment table.

Three sources end in the same :class:`OsmSegments` table, so the graph builder in
:mod:`coverage.network` never sees a file format:

* OSM XML (``.osm``, ``.xml``, optionally ``.bz2``/``.gz``-compressed) and OSM PBF
  (``.osm.pbf``, ``.pbf``), both streamed by pyosmium (libosmium's readers, the node
  locations kept in its compact index, never the whole file in memory);
* an explicit download for a boundary polygon through :func:`osmnx.graph_from_polygon`,
  cached on disk as GraphML.

A segment is the straight piece between two consecutive nodes of a way, oriented in the
direction of travel for one-way ways (``oneway=-1`` / ``reverse`` already flipped). The
one-way rules are osmnx 2.x's (``graph._is_path_one_way`` / ``_is_path_reversed``), so a
file and a download of the same area agree.

**Clipped extracts.** A way whose nodes are partly missing from the file (an extract cut
by a bounding box or a polygon with the default ``complete_ways`` strategy off) is split
at the missing nodes: each maximal run of at least two consecutive present nodes becomes
its own piece, and nothing joins the nodes on either side of a gap (that straight line
would be a road that does not exist). :class:`OsmSegments` counts the ways cut and the
nodes missing, and the reader logs a warning with the fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage.problems import InputError

if TYPE_CHECKING:
    import networkx as nx
    import osmium

__all__ = [
    "TAG_KEYS",
    "OsmSegments",
    "WayRuns",
    "download_segments",
    "open_osm",
    "osmium_errors",
    "read_osm",
    "way_runs",
]

logger = logging.getLogger(__name__)

#: Way tags kept for profile filtering and speeds (osmnx's default ``useful_tags_way``
#: plus ``foot``/``motor_vehicle``/``motorcar``, which decide walk and drive access).
TAG_KEYS: tuple[str, ...] = (
    "highway",
    "maxspeed",
    "access",
    "service",
    "area",
    "foot",
    "motor_vehicle",
    "motorcar",
)

# osmnx 2.x graph._add_paths: values of `oneway` meaning one-way, and those meaning reversed.
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})

#: file name endings and the libosmium format each is read as
_FORMATS: tuple[tuple[str, str], ...] = (
    (".osm.pbf", "pbf"),
    (".pbf", "pbf"),
    (".osm.bz2", "osm.bz2"),
    (".xml.bz2", "osm.bz2"),
    (".osm.gz", "osm.gz"),
    (".xml.gz", "osm.gz"),
    (".osm", "osm"),
    (".xml", "osm"),
)
_FORMAT_WORDS = {
    "pbf": "an OSM PBF file",
    "osm.bz2": "bzip2-compressed OSM XML",
    "osm.gz": "gzip-compressed OSM XML",
    "osm": "OSM XML",
}
_EXPORT_FIX = (
    "export the roads again as OSM XML (.osm, .osm.bz2) or PBF (.osm.pbf), e.g. a Geofabrik "
    "extract cut to the county with `osmium extract -p county.geojson --strategy smart`; if "
    "the file was cut off while downloading or copying, fetch it again"
)


@dataclass(frozen=True)
class OsmSegments:
    """Straight road segments read from OSM, before any profile filtering.

    Attributes
    ----------
    node_id
        OSM node ids, shape ``(n,)``.
    lon, lat
        WGS84 coordinates of the nodes, shape ``(n,)``.
    u, v
        Segment end points as positions in ``node_id``, shape ``(m,)``; travel direction
        ``u -> v`` when the segment is one-way.
    oneway
        True where only ``u -> v`` is allowed for vehicles, shape ``(m,)``.
    way
        Row of ``tags`` each segment belongs to, shape ``(m,)``.
    tags
        One row per way, columns :data:`TAG_KEYS` (``None`` where the tag is absent).
    ways_split
        Highway ways with nodes missing from the file that were cut at the gaps (at least
        one piece of two consecutive present nodes kept).
    ways_dropped
        Highway ways with nodes missing and no two consecutive nodes left (dropped).
    nodes_missing
        Distinct node ids referenced by highway ways but absent from the file.
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    oneway: np.ndarray
    way: np.ndarray
    tags: pd.DataFrame
    ways_split: int = 0
    ways_dropped: int = 0
    nodes_missing: int = 0

    def tag(self, key: str) -> np.ndarray:
        """Return tag ``key`` for every segment (object array, ``None`` where absent)."""
        return np.asarray(self.tags[key].to_numpy(dtype=object)[self.way], dtype=object)


def _oneway(tags: Any) -> tuple[bool, bool]:
    """Return ``(is_oneway, is_reversed)`` with osmnx's rules (oneway tag, roundabouts)."""
    value = tags.get("oneway")
    is_oneway = (value in _ONEWAY_VALUES) or tags.get("junction") == "roundabout"
    return is_oneway, bool(is_oneway and value in _REVERSED_VALUES)


# --------------------------------------------------------------------------- reading files


def open_osm(path: str | Path) -> osmium.io.File:
    """Check that ``path`` is a readable OSM file and return it as a pyosmium file.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` (optionally ``.bz2``/``.gz``) or ``.osm.pbf``/``.pbf``.

    Returns
    -------
    osmium.io.File
        With the format set from the name, so ``.xml`` is read as OSM XML too.

    Raises
    ------
    InputError
        If the file is missing or its name has no known OSM ending.
    """
    import osmium

    path = Path(path)
    if not path.is_file():
        raise InputError.single(
            "road network file not found",
            file=str(path),
            fix="check [access] network in the region TOML (paths are relative to the TOML)",
        )
    name = path.name.lower()
    for ending, fmt in _FORMATS:
        if name.endswith(ending):
            return osmium.io.File(str(path), fmt)
    raise InputError.single(
        "unknown road network format",
        file=str(path),
        value=path.suffix,
        fix="give an OSM XML (.osm, .osm.bz2, .xml) or PBF (.osm.pbf) file",
    )


@contextlib.contextmanager
def osmium_errors(path: str | Path) -> Iterator[None]:
    """Turn libosmium's read errors (``RuntimeError``) into an :class:`InputError`.

    The problem names the file, what it should have been (from its name) and libosmium's
    own message as the value: not XML, XML that is not OSM (``<html>`` from a failed
    download), a truncated bz2/gzip stream, a file that is not PBF.
    """
    try:
        yield
    except RuntimeError as exc:
        name = Path(path).name.lower()
        fmt = next((f for ending, f in _FORMATS if name.endswith(ending)), "osm")
        raise InputError.single(
            f"the road network file is not readable as {_FORMAT_WORDS[fmt]} "
            "(damaged, cut off, or another kind of file)",
            file=str(path),
            value=str(exc),
            fix=_EXPORT_FIX,
        ) from None


@dataclass(frozen=True)
class WayRuns:
    """A way's node list split at the nodes missing from the file.

    Attributes
    ----------
    runs
        Maximal runs of at least two consecutive present nodes, each a list of
        ``(node id, lon, lat)``; consecutive repeats of a node are dropped first (as osmnx
        does).
    missing
        Node ids of the way absent from the file (empty for a complete way).
    """

    runs: list[list[tuple[int, float, float]]]
    missing: list[int]


def way_runs(nodes: Iterable[Any]) -> WayRuns:
    """Split a pyosmium way's node list at the nodes without a location.

    Parameters
    ----------
    nodes
        ``way.nodes`` of a pyosmium way read with locations.

    Returns
    -------
    WayRuns
    """
    runs: list[list[tuple[int, float, float]]] = []
    missing: list[int] = []
    current: list[tuple[int, float, float]] = []
    last: int | None = None
    for node in nodes:
        ref = int(node.ref)
        if ref == last:
            continue
        last = ref
        location = node.location
        if location.valid():
            current.append((ref, location.lon, location.lat))
        else:
            missing.append(ref)
            if len(current) >= 2:
                runs.append(current)
            current = []
    if len(current) >= 2:
        runs.append(current)
    return WayRuns(runs=runs, missing=missing)


class _Collector:
    """Accumulate road segments and the coordinates of their nodes in compact arrays."""

    def __init__(self) -> None:
        self.node = array("q")  # one entry per node occurrence (ids repeat across ways)
        self.lon = array("d")
        self.lat = array("d")
        self.u = array("q")
        self.v = array("q")
        self.oneway = array("b")
        self.way = array("q")
        self.tags: list[dict[str, Any]] = []
        self.ways_split = 0
        self.ways_dropped = 0
        self.missing: set[int] = set()

    def add_way(self, pieces: WayRuns, tags: Any, *, reverse: bool, oneway: bool) -> None:
        """Add the segments of each run of a way (all rows share one ``tags`` row)."""
        if pieces.missing:
            self.missing.update(pieces.missing)
            if pieces.runs:
                self.ways_split += 1
            else:
                self.ways_dropped += 1
        if not pieces.runs:
            return
        index = len(self.tags)
        self.tags.append({key: tags.get(key) for key in TAG_KEYS})
        for run in pieces.runs:
            if reverse:
                run = run[::-1]
            ids = [node for node, _, _ in run]
            self.node.extend(ids)
            self.lon.extend(lon for _, lon, _ in run)
            self.lat.extend(lat for _, _, lat in run)
            self.u.extend(ids[:-1])
            self.v.extend(ids[1:])
            self.oneway.extend([oneway] * (len(ids) - 1))
            self.way.extend([index] * (len(ids) - 1))

    def finish(self, source: Path | str) -> OsmSegments:
        if not self.u:
            if self.ways_dropped:
                raise InputError.single(
                    f"none of the {self.ways_dropped:,} highway ways has two of its nodes in "
                    f"the file ({len(self.missing):,} nodes missing)",
                    file=str(source),
                    fix="export the nodes with the ways (Overpass: `(way[highway](...);>;); "
                    "out;`); if the file lists ways before nodes, sort it with `osmium sort`",
                )
            raise InputError.single(
                "the OSM file holds no highway ways",
                file=str(source),
                fix="export the road network (ways tagged highway=*) for the county area",
            )
        occurrence = np.frombuffer(self.node, dtype=np.int64)
        node_id, first = np.unique(occurrence, return_index=True)
        u = np.searchsorted(node_id, np.frombuffer(self.u, dtype=np.int64))
        v = np.searchsorted(node_id, np.frombuffer(self.v, dtype=np.int64))
        if self.missing:
            logger.warning(
                "%s: %d highway ways reference %d nodes missing from the file (a clipped "
                "extract): %d ways cut at the gaps (no segment joins across one), %d ways "
                "with fewer than two consecutive nodes left dropped. Roads end at the edge "
                "of the extract; if the region reaches it, cut a larger extract (`osmium "
                "extract --strategy smart` keeps whole ways)",
                source,
                self.ways_split + self.ways_dropped,
                len(self.missing),
                self.ways_split,
                self.ways_dropped,
            )
        return OsmSegments(
            node_id=node_id,
            lon=np.frombuffer(self.lon, dtype=np.float64)[first].copy(),
            lat=np.frombuffer(self.lat, dtype=np.float64)[first].copy(),
            u=u.astype(np.int64),
            v=v.astype(np.int64),
            oneway=np.frombuffer(self.oneway, dtype=np.int8).astype(bool),
            way=np.frombuffer(self.way, dtype=np.int64).copy(),
            tags=pd.DataFrame(self.tags, columns=list(TAG_KEYS)),
            ways_split=self.ways_split,
            ways_dropped=self.ways_dropped,
            nodes_missing=len(self.missing),
        )


def _read_file(path: Path) -> OsmSegments:
    """Stream the highway ways of an XML or PBF file with their node locations."""
    import osmium

    source = open_osm(path)
    collector = _Collector()
    processor = (
        osmium.FileProcessor(source, osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    with osmium_errors(path):
        for way in processor:
            if not isinstance(way, osmium.osm.Way):  # the filters pass ways only
                continue
            tags = way.tags
            is_oneway, is_reversed = _oneway(tags)
            collector.add_way(way_runs(way.nodes), tags, reverse=is_reversed, oneway=is_oneway)
    return collector.finish(path)


def _segments_from_osmnx(graph: nx.MultiDiGraph, source: Path) -> OsmSegments:
    """Convert an unsimplified osmnx graph (``bidirectional=False``) to segments.

    osmnx stores every two-way segment twice (``reversed`` False and True) and every
    one-way segment once, already in travel direction; the forward copies are kept.
    Edges without a ``highway`` tag (buildings, land use …) are dropped.
    """
    collector = _Collector()
    way_rows: dict[tuple[Any, ...], int] = {}
    for a, b, data in graph.edges(data=True):
        if data.get("reversed", False) or data.get("highway") is None:
            continue
        tags = {key: _scalar(data.get(key)) for key in TAG_KEYS}
        key = (data.get("osmid"), *tags.values())
        if key not in way_rows:
            way_rows[key] = len(collector.tags)
            collector.tags.append(tags)
        for node in (a, b):
            attrs = graph.nodes[node]
            collector.node.append(int(node))
            collector.lon.append(float(attrs["x"]))
            collector.lat.append(float(attrs["y"]))
        collector.u.append(int(a))
        collector.v.append(int(b))
        collector.oneway.append(bool(data.get("oneway", False)))
        collector.way.append(way_rows[key])
    return collector.finish(source)


def _scalar(value: Any) -> Any:
    """One tag value or None: osmnx leaves NaN for absent tags, lists after simplification."""
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def read_osm(path: str | Path) -> OsmSegments:
    """Read the road ways of a local OSM file.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` (optionally ``.bz2``/``.gz``-compressed) or ``.osm.pbf``, read
        with pyosmium in one streaming pass.

    Returns
    -------
    OsmSegments
        Every way tagged ``highway=*`` cut into straight segments; ways with nodes
        missing from the file are split at the gaps (counted in
        :attr:`OsmSegments.ways_split`, :attr:`~OsmSegments.nodes_missing`, and logged).

    Raises
    ------
    InputError
        If the file is missing, has an unknown suffix, is not readable in the format its
        name says (not XML, truncated compression, not PBF), or holds no highway ways.
    """
    path = Path(path)
    segments = _read_file(path)
    logger.info(
        "read %d road segments on %d nodes from %s", len(segments.u), len(segments.node_id), path
    )
    return segments


@contextlib.contextmanager
def _osmnx_cache(folder: Path) -> Iterator[None]:
    """Point osmnx's HTTP cache at ``folder`` for the duration, then restore the setting."""
    import osmnx as ox

    previous = ox.settings.cache_folder
    ox.settings.cache_folder = folder
    try:
        yield
    finally:
        ox.settings.cache_folder = previous


def download_segments(polygon: Any, *, cache_dir: str | Path) -> OsmSegments:
    """Download the road network inside a WGS84 polygon with osmnx (cached on disk).

    The graph is saved as GraphML in ``cache_dir`` under a hash of the polygon, and read
    from there on later calls; osmnx's own HTTP cache is kept in ``cache_dir/http``.
    Needs internet access on the first call; never used by the test suite.

    Parameters
    ----------
    polygon
        Shapely (multi)polygon in EPSG:4326, e.g. the county boundary.
    cache_dir
        Folder for the cached graph.

    Returns
    -------
    OsmSegments
    """
    import osmnx as ox

    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(polygon.wkb).hexdigest()[:16]
    target = cache / f"osm_all_{digest}.graphml"
    if target.is_file():
        logger.info("using cached road network %s", target)
        graph = ox.load_graphml(target)
    else:
        logger.info("downloading the road network with osmnx (cached as %s)", target)
        with _osmnx_cache(cache / "http"):
            graph = ox.graph_from_polygon(
                polygon, network_type="all", simplify=False, retain_all=True
            )
        ox.save_graphml(graph, target)
    return _segments_from_osmnx(graph, target)
