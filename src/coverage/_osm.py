"""Read OpenStreetMap road ways into a flat segment table.

Three sources end in the same :class:`OsmSegments` table, so the graph builder in
:mod:`coverage.network` never sees a file format:

* OSM XML (``.osm``, ``.xml``, ``.osm.bz2``) through :func:`osmnx.graph_from_xml`;
* OSM PBF (``.osm.pbf``, ``.pbf``) through pyosmium;
* an explicit download for a boundary polygon through :func:`osmnx.graph_from_polygon`,
  cached on disk as GraphML.

A segment is the straight piece between two consecutive nodes of a way, oriented in the
direction of travel for one-way ways (``oneway=-1`` / ``reverse`` already flipped). The
one-way rules are osmnx's, so the XML and PBF paths agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby, pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coverage._errors import InputError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["TAG_KEYS", "OsmSegments", "download_segments", "read_osm"]

logger = logging.getLogger(__name__)

#: Way tags kept for profile filtering and speeds (osmnx keeps these in its default
#: ``useful_tags_way``; ``foot``/``motor_vehicle``/``motorcar`` only come through PBF).
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

_XML_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".xml.bz2")
_PBF_SUFFIXES = (".osm.pbf", ".pbf")


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
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    oneway: np.ndarray
    way: np.ndarray
    tags: pd.DataFrame

    def tag(self, key: str) -> np.ndarray:
        """Return tag ``key`` for every segment (object array, ``None`` where absent)."""
        return np.asarray(self.tags[key].to_numpy(dtype=object)[self.way], dtype=object)


def _oneway(tags: dict[str, Any]) -> tuple[bool, bool]:
    """Return ``(is_oneway, is_reversed)`` with osmnx's rules (oneway tag, roundabouts)."""
    value = tags.get("oneway")
    is_oneway = (value in _ONEWAY_VALUES) or tags.get("junction") == "roundabout"
    return is_oneway, bool(is_oneway and value in _REVERSED_VALUES)


class _Collector:
    """Accumulate ways as (node ids, tags, oneway) and the node coordinates they use."""

    def __init__(self) -> None:
        self.coords: dict[int, tuple[float, float]] = {}
        self.u: list[int] = []
        self.v: list[int] = []
        self.oneway: list[bool] = []
        self.way: list[int] = []
        self.tags: list[dict[str, Any]] = []

    def add_way(self, nodes: list[int], tags: dict[str, Any], oneway: bool) -> None:
        nodes = [key for key, _ in groupby(nodes)]  # drop consecutive repeats, as osmnx does
        if len(nodes) < 2:
            return
        index = len(self.tags)
        self.tags.append({key: tags.get(key) for key in TAG_KEYS})
        for a, b in pairwise(nodes):
            self.u.append(a)
            self.v.append(b)
            self.oneway.append(oneway)
            self.way.append(index)

    def finish(self, source: Path) -> OsmSegments:
        if not self.u:
            raise InputError.single(
                "the OSM file holds no highway ways",
                file=str(source),
                fix="export the road network (ways tagged highway=*) for the county area",
            )
        u_osm = np.asarray(self.u, dtype=np.int64)
        v_osm = np.asarray(self.v, dtype=np.int64)
        node_id, inverse = np.unique(np.concatenate([u_osm, v_osm]), return_inverse=True)
        coords = np.array([self.coords[int(n)] for n in node_id], dtype=float).reshape(-1, 2)
        m = len(u_osm)
        return OsmSegments(
            node_id=node_id,
            lon=coords[:, 0],
            lat=coords[:, 1],
            u=inverse[:m].astype(np.int64),
            v=inverse[m:].astype(np.int64),
            oneway=np.asarray(self.oneway, dtype=bool),
            way=np.asarray(self.way, dtype=np.int64),
            tags=pd.DataFrame(self.tags, columns=list(TAG_KEYS)),
        )


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
        collector.u.append(int(a))
        collector.v.append(int(b))
        collector.oneway.append(bool(data.get("oneway", False)))
        collector.way.append(way_rows[key])
        for node in (a, b):
            if int(node) not in collector.coords:
                attrs = graph.nodes[node]
                collector.coords[int(node)] = (float(attrs["x"]), float(attrs["y"]))
    return collector.finish(source)


def _scalar(value: Any) -> Any:
    """One tag value or None: osmnx leaves NaN for absent tags, lists after simplification."""
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _read_xml(path: Path) -> OsmSegments:
    import osmnx as ox

    graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    return _segments_from_osmnx(graph, path)


def _read_pbf(path: Path) -> OsmSegments:
    import osmium

    collector = _Collector()

    class _Handler(osmium.SimpleHandler):
        def way(self, w: Any) -> None:
            if "highway" not in w.tags:
                return
            tags = {tag.k: tag.v for tag in w.tags}
            nodes: list[int] = []
            for node in w.nodes:
                if not node.location.valid():
                    continue
                ref = int(node.ref)
                nodes.append(ref)
                collector.coords[ref] = (float(node.lon), float(node.lat))
            is_oneway, is_reversed = _oneway(tags)
            if is_reversed:
                nodes.reverse()
            collector.add_way(nodes, tags, is_oneway)

    _Handler().apply_file(str(path), locations=True)
    return collector.finish(path)


def read_osm(path: str | Path) -> OsmSegments:
    """Read the road ways of a local OSM file.

    Parameters
    ----------
    path
        ``.osm``/``.xml`` (optionally ``.bz2``-compressed) read with
        :func:`osmnx.graph_from_xml`, or ``.osm.pbf`` read with pyosmium.

    Returns
    -------
    OsmSegments
        Every way tagged ``highway=*`` cut into straight segments.

    Raises
    ------
    InputError
        If the file is missing, has an unknown suffix, or holds no highway ways.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError.single(
            "road network file not found",
            file=str(path),
            fix="check [access] network in the region TOML (paths are relative to the TOML)",
        )
    name = path.name.lower()
    if name.endswith(_PBF_SUFFIXES):
        segments = _read_pbf(path)
    elif name.endswith(_XML_SUFFIXES):
        segments = _read_xml(path)
    else:
        raise InputError.single(
            "unknown road network format",
            file=str(path),
            value=path.suffix,
            fix="give an OSM XML (.osm, .osm.bz2, .xml) or PBF (.osm.pbf) file",
        )
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
