"""Road graphs as scipy sparse matrices: speeds, building, snapping, routing.

The numeric core works on arrays and :class:`scipy.sparse.csr_array` only:

* :func:`build_graph` turns edge arrays (``u, v, length_m, speed_kmh, oneway``) into a
  :class:`RoadGraph` — parallel edges keep the *fastest* one (a plain
  ``csr_array((w, (u, v)))`` would add them up);
* :func:`attach_points` snaps points (villages, sites …) onto the nearest edge and
  splits it with a virtual node, so travel from the snap point to each edge end is the
  proportional part of the edge; a point whose nearest road point is a node (a junction,
  a road's end) is linked to that node, so every road meeting there is open to it; the
  off-network leg is walked;
* :func:`nearest_site` runs **one** multi-source Dijkstra for all sources;
* :func:`travel_matrix` gives sparse source × target matrices within a cut-off.

Direction convention: times are from a target (the person, e.g. a village) **to** a source
(the service room). With one-way streets that is Dijkstra from the sources on the
transposed graph, which :class:`RoadGraph` keeps ready.

Distances reported next to times are the length of the *fastest* route (what the traveller
drives or walks), not the separately shortest distance.

:func:`load_network` reads a local OSM file (XML or PBF, both streamed by pyosmium; ways of a
clipped extract cut at their missing nodes, see :mod:`coverage._osm`) into a graph for a
``walk`` or ``drive`` profile; :func:`load_networks` reads the file once for both.
:func:`check_network_fit` then tells, before any routing, whether the network covers the
region at all (:func:`raise_if_unfit` stops on one that does not).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

from coverage._osm import OsmSegments, download_segments, read_osm
from coverage._routing import (
    Contraction,
    contract,
    edge_values,
    nearest_source,
    nearest_source_full,
    pair_times,
)
from coverage.crs import assert_metric, project_points
from coverage.problems import InputError

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "DEFAULT_WALK_SPEED_KMH",
    "DRIVE_HIGHWAYS",
    "FIT_MAX_BEYOND_SHARE",
    "FIT_MIN_AREA_SHARE",
    "FIT_OK_AREA_SHARE",
    "FIT_OK_BEYOND_SHARE",
    "NODE_SNAP_TOLERANCE_M",
    "WALK_EXCLUDED_HIGHWAYS",
    "AttachedPoints",
    "FitVerdict",
    "NearestSites",
    "NetworkFit",
    "Profile",
    "RoadGraph",
    "Segments",
    "TravelMatrix",
    "attach_points",
    "build_graph",
    "check_network_fit",
    "download_network",
    "download_networks",
    "format_extent",
    "graph_from_segments",
    "graphs_from_segments",
    "load_network",
    "load_networks",
    "nearest_site",
    "parse_maxspeed",
    "path_lengths",
    "raise_if_unfit",
    "travel_matrix",
]

logger = logging.getLogger(__name__)

Profile = Literal["walk", "drive"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_WALK_SPEED_KMH: Final = 4.5
"""Walking speed (km/h): 1.25 m/s, the usual planning value for adults incl. crossings."""

DEFAULT_SPEEDS_KMH: Final[Mapping[str, float]] = MappingProxyType(
    {
        # Basis: design speeds of 公路工程技术标准 JTG B01-2014 (高速 80–120, 一级 60–100,
        # 二级 60–80, 三级 30–40, 四级 20–30 km/h) and of 城市道路工程设计规范 CJJ 37-2012
        # (快速路 60–100, 主干路 40–60, 次干路 30–50, 支路 20–40 km/h), discounted to typical
        # door-to-door travel speeds (junctions, mixed traffic, villages along the road).
        # OSM classes follow the OSM China tagging guideline (trunk ≈ 国道/一级,
        # primary ≈ 省道/主干路, secondary ≈ 县道/次干路, tertiary ≈ 乡道/支路,
        # unclassified ≈ 村道/四级, track ≈ 机耕路).
        "motorway": 90.0,
        "motorway_link": 40.0,
        "trunk": 60.0,
        "trunk_link": 35.0,
        "primary": 45.0,
        "primary_link": 30.0,
        "secondary": 40.0,
        "secondary_link": 25.0,
        "tertiary": 30.0,
        "tertiary_link": 20.0,
        "unclassified": 25.0,
        "road": 20.0,
        "residential": 20.0,
        "living_street": 10.0,
        "service": 15.0,
        "track": 12.0,
        "busway": 30.0,
    }
)
"""Default driving speeds (km/h) per OSM ``highway`` class, for Chinese roads.

A posted ``maxspeed`` tag replaces the class default. Override per class with
``[access.speeds_kmh]``.
"""

DRIVE_HIGHWAYS: Final = frozenset(DEFAULT_SPEEDS_KMH)
"""``highway`` classes in the drive profile (the keys of :data:`DEFAULT_SPEEDS_KMH`)."""

WALK_EXCLUDED_HIGHWAYS: Final = frozenset(
    {
        "motorway",
        "motorway_link",
        "bus_guideway",
        "busway",
        "construction",
        "proposed",
        "planned",
        "abandoned",
        "disused",
        "razed",
        "platform",
        "raceway",
        "no",
    }
)
"""``highway`` classes *not* walkable (osmnx's walk filter, except cycleways: in Chinese
towns the 非机动车道 is usually walkable)."""

_NO_ACCESS: Final = frozenset({"no", "private"})
_DRIVE_EXCLUDED_SERVICE: Final = frozenset({"parking_aisle", "emergency_access", "private"})
_MPH: Final = 1.609344
_KNOTS: Final = 1.852
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float:
    """Parse an OSM ``maxspeed`` value to km/h.

    Parameters
    ----------
    value
        ``"60"``, ``"60 km/h"``, ``"30 mph"``, ``"10 knots"``, a ``;``-separated list
        (``"60;80"``: the lowest value, conservative for coverage), a Python list of such
        values, or a number.

    Returns
    -------
    float
        Speed in km/h; NaN for missing or non-numeric values (``"CN:urban"``, ``"none"``,
        ``"signals"``, ``"walk"``) and for values ≤ 0.

    Examples
    --------
    >>> parse_maxspeed("30 mph")
    48.28032
    >>> parse_maxspeed("60;80")
    60.0
    """
    if value is None:
        return math.nan
    if isinstance(value, int | float | np.integer | np.floating):
        speed = float(value)
        return speed if speed > 0 else math.nan
    if isinstance(value, list | tuple):
        parts = [parse_maxspeed(item) for item in value]
    else:
        text = str(value)
        if ";" in text or "|" in text:
            parts = [parse_maxspeed(item) for item in re.split(r"[;|]", text)]
        else:
            match = _NUMBER.match(text)
            if match is None:
                return math.nan
            speed = float(match.group(1))
            unit = (match.group(2) or "km/h").lower()
            if unit == "mph":
                speed *= _MPH
            elif unit == "knots":
                speed *= _KNOTS
            return speed if speed > 0 else math.nan
    finite = [p for p in parts if math.isfinite(p)]
    return min(finite) if finite else math.nan


@dataclass(frozen=True)
class RoadGraph:
    """A directed road graph on scipy sparse matrices.

    Attributes
    ----------
    x, y
        Node coordinates in ``crs`` (metres), shape ``(n,)``.
    time
        ``time[a, b]`` = travel time in seconds on edge ``a -> b`` (CSR, sorted indices,
        explicit zeros are zero-time edges).
    length
        Edge lengths in metres, same sparsity structure as ``time``.
    time_rev, length_rev
        The transposes (CSR) for "from everywhere to the sources" searches.
    profile
        ``"walk"`` or ``"drive"``.
    crs
        Metric CRS of ``x, y``; None for abstract graphs.
    node_id
        OSM node id of each node (``-1`` for the nodes :func:`attach_points` adds); None
        for graphs not read from OSM.
    """

    x: FloatArray
    y: FloatArray
    time: sp.csr_array
    length: sp.csr_array
    time_rev: sp.csr_array
    length_rev: sp.csr_array
    profile: Profile
    crs: pyproj.CRS | None = None
    node_id: IntArray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.time.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallel edges already merged)."""
        return int(self.time.nnz)

    @cached_property
    def contraction(self) -> Contraction | None:
        """The graph with its chains of two-neighbour nodes contracted (built once, exact).

        None when too few nodes lie inside chains for it to pay off (a plain grid). Used by
        :func:`nearest_site`; see :mod:`coverage._routing`.
        """
        return contract(self.time, self.length, self.time_rev, self.length_rev)

    @cached_property
    def segments(self) -> Segments:
        """The undirected straight segments with their directed costs and an STRtree
        (built once, shared by :func:`attach_points` and :func:`check_network_fit`)."""
        return _segments(self)

    def edges(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """Return ``(u, v, time_s, length_m)`` of every directed edge, in CSR order."""
        coo = self.time.tocoo()
        u = np.asarray(coo.row, dtype=np.int64)
        v = np.asarray(coo.col, dtype=np.int64)
        return (
            u,
            v,
            np.asarray(self.time.data, dtype=float),
            np.asarray(self.length.data, dtype=float),
        )


def _csr(u: IntArray, v: IntArray, data: FloatArray, n: int) -> sp.csr_array:
    """CSR from edges already unique per (u, v) and sorted by (u, v); keeps explicit zeros."""
    indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))])
    index_dtype = np.int32 if max(n, len(u)) < np.iinfo(np.int32).max else np.int64
    return sp.csr_array(
        (np.asarray(data, dtype=np.float64), v.astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n, n),
    )


def _dedupe_min(
    u: IntArray, v: IntArray, time: FloatArray, length: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Keep, for each (u, v), the fastest parallel edge (ties: the shorter); sort by (u, v)."""
    order = np.lexsort((length, time, v, u))
    u, v, time, length = u[order], v[order], time[order], length[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first], time[first], length[first]


def build_graph(
    u: ArrayLike,
    v: ArrayLike,
    length_m: ArrayLike,
    speed_kmh: ArrayLike,
    oneway: ArrayLike,
    *,
    x: ArrayLike,
    y: ArrayLike,
    profile: Profile = "drive",
    crs: pyproj.CRS | None = None,
    node_id: ArrayLike | None = None,
) -> RoadGraph:
    """Build a :class:`RoadGraph` from edge arrays.

    Parameters
    ----------
    u, v
        Edge end nodes (0-based positions in ``x``/``y``).
    length_m
        Edge lengths in metres (≥ 0).
    speed_kmh
        Travel speed on each edge (> 0).
    oneway
        True: only ``u -> v``; False: both directions.
    x, y
        Node coordinates (metres), used for snapping and isochrones.
    profile
        Recorded on the graph.
    crs
        Metric CRS of the coordinates.
    node_id
        OSM id of each node, kept on the graph (:attr:`RoadGraph.node_id`).

    Returns
    -------
    RoadGraph
        Parallel edges collapsed to the fastest; self-loops dropped.

    Raises
    ------
    ValueError
        On negative lengths, non-positive speeds or node indices out of range.
    """
    u_arr = np.asarray(u, dtype=np.int64)
    v_arr = np.asarray(v, dtype=np.int64)
    length = np.asarray(length_m, dtype=np.float64)
    speed = np.broadcast_to(np.asarray(speed_kmh, dtype=np.float64), length.shape)
    one = np.broadcast_to(np.asarray(oneway, dtype=bool), length.shape)
    x_arr = np.asarray(x, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    n = len(x_arr)
    ids = None if node_id is None else np.asarray(node_id, dtype=np.int64)
    if not (len(u_arr) == len(v_arr) == len(length)) or len(y_arr) != n:
        raise ValueError("u, v, length_m must have one value per edge and x, y one per node")
    if ids is not None and len(ids) != n:
        raise ValueError("node_id must have one value per node")
    if len(u_arr) and (min(u_arr.min(), v_arr.min()) < 0 or max(u_arr.max(), v_arr.max()) >= n):
        raise ValueError("edge end nodes must be positions in x/y")
    if np.any(~np.isfinite(length) | (length < 0)):
        raise ValueError("edge lengths must be finite and >= 0")
    if np.any(~np.isfinite(speed) | (speed <= 0)):
        raise ValueError("edge speeds must be finite and > 0")
    time = length / (speed / 3.6)
    two = ~one
    uu = np.concatenate([u_arr, v_arr[two]])
    vv = np.concatenate([v_arr, u_arr[two]])
    tt = np.concatenate([time, time[two]])
    ll = np.concatenate([length, length[two]])
    keep = uu != vv
    uu, vv, tt, ll = _dedupe_min(uu[keep], vv[keep], tt[keep], ll[keep])
    ru, rv, rt, rl = _dedupe_min(vv, uu, tt, ll)  # already unique: just re-sorted
    return RoadGraph(
        x=x_arr,
        y=y_arr,
        time=_csr(uu, vv, tt, n),
        length=_csr(uu, vv, ll, n),
        time_rev=_csr(ru, rv, rt, n),
        length_rev=_csr(ru, rv, rl, n),
        profile=profile,
        crs=crs,
        node_id=ids,
    )


def _largest_component(u: IntArray, v: IntArray, n: int) -> NDArray[np.bool_]:
    """Mask of nodes in the largest weakly connected component."""
    adjacency = sp.csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    counts = np.bincount(labels)
    return np.asarray(labels == np.argmax(counts))


def _profile_mask(segments: OsmSegments, profile: Profile) -> NDArray[np.bool_]:
    highway = segments.tag("highway")
    access = segments.tag("access")
    area = segments.tag("area")
    no_access = np.isin(access, list(_NO_ACCESS)) | (area == "yes")
    if profile == "drive":
        mask = np.isin(highway, list(DRIVE_HIGHWAYS)) & ~no_access
        mask &= ~np.isin(segments.tag("service"), list(_DRIVE_EXCLUDED_SERVICE))
        mask &= ~np.isin(segments.tag("motor_vehicle"), list(_NO_ACCESS))
        mask &= ~np.isin(segments.tag("motorcar"), list(_NO_ACCESS))
        return np.asarray(mask)
    foot = segments.tag("foot")
    walkable = np.array([h is not None for h in highway]) & ~np.isin(
        highway, list(WALK_EXCLUDED_HIGHWAYS)
    )
    foot_ok = np.isin(foot, ["yes", "designated", "permissive"])
    return np.asarray(walkable & (~no_access | foot_ok) & ~np.isin(foot, ["no"]))


def _drive_speeds(segments: OsmSegments, speeds: Mapping[str, float]) -> FloatArray:
    highway = segments.tag("highway")
    by_way = np.array([parse_maxspeed(value) for value in segments.tags["maxspeed"]], dtype=float)
    posted = by_way[segments.way] if len(by_way) else np.zeros(0)
    default = np.array([speeds.get(str(h), math.nan) for h in highway], dtype=float)
    return np.where(np.isfinite(posted), posted, default)


def graph_from_segments(
    segments: OsmSegments,
    *,
    profile: Profile,
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
    retain_all: bool = False,
) -> RoadGraph:
    """Build the walk or drive graph from OSM segments.

    Parameters
    ----------
    segments
        From :func:`coverage._osm.read_osm` (or :func:`load_network` does both steps).
    profile
        ``"walk"``: every walkable way, both directions, at ``walk_speed_kmh``.
        ``"drive"``: drivable classes (:data:`DRIVE_HIGHWAYS`, without ``access=no|private``,
        parking aisles and emergency access), one-way respected, speed = posted ``maxspeed``
        else the class speed.
    crs
        Metric CRS for node coordinates and lengths.
    speeds_kmh
        Per-class overrides merged over :data:`DEFAULT_SPEEDS_KMH`.
    walk_speed_kmh
        Walking speed.
    retain_all
        False (default): keep only the largest weakly connected part, so that a village
        never snaps onto an isolated private road and appears unreachable.

    Returns
    -------
    RoadGraph
        With the OSM id of each node in :attr:`RoadGraph.node_id`.

    Raises
    ------
    InputError
        On bad speeds, a profile without roads, or nodes the CRS cannot project (a file
        of a place far from the region).
    """
    metric = assert_metric(crs)
    if walk_speed_kmh <= 0:
        raise InputError.single(
            "walking speed must be > 0", column="access.walk_speed_kmh", value=walk_speed_kmh
        )
    mask = _profile_mask(segments, profile)
    if profile == "drive":
        speeds = {**DEFAULT_SPEEDS_KMH, **(speeds_kmh or {})}
        bad = {k: s for k, s in speeds.items() if not (math.isfinite(s) and s > 0)}
        if bad:
            raise InputError.single(
                "road speeds must be positive numbers (km/h)",
                column="access.speeds_kmh",
                value=bad,
            )
        speed = _drive_speeds(segments, speeds)
        oneway = segments.oneway
    else:
        speed = np.full(len(segments.u), float(walk_speed_kmh))
        oneway = np.zeros(len(segments.u), dtype=bool)
    mask &= np.isfinite(speed)
    if not mask.any():
        raise InputError.single(
            f"the road network has no {profile} roads",
            fix="check that the OSM file covers the region and holds highway=* ways",
        )
    u, v = segments.u[mask], segments.v[mask]
    nodes = np.unique(np.concatenate([u, v]))
    relabel = np.full(len(segments.node_id), -1, dtype=np.int64)
    relabel[nodes] = np.arange(len(nodes))
    u, v = relabel[u], relabel[v]
    x, y = project_points(segments.lon[nodes], segments.lat[nodes], metric)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        lon, lat = segments.lon[nodes], segments.lat[nodes]
        raise InputError.single(
            f"the road network cannot be drawn in the region's map projection ({metric.name}): "
            f"the file covers {format_extent(_bounds(lon, lat))}, far from the region",
            fix="use an OSM extract that contains the county, e.g. cut with `osmium extract "
            "-p county.geojson --strategy smart`",
        )
    osm_id = np.asarray(segments.node_id, dtype=np.int64)[nodes]
    speed, oneway = speed[mask], oneway[mask]
    if not retain_all:
        keep_node = _largest_component(u, v, len(nodes))
        keep = keep_node[u]
        new = np.full(len(nodes), -1, dtype=np.int64)
        new[keep_node] = np.arange(int(keep_node.sum()))
        u, v, speed, oneway = new[u[keep]], new[v[keep]], speed[keep], oneway[keep]
        x, y, osm_id = x[keep_node], y[keep_node], osm_id[keep_node]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    graph = build_graph(
        u, v, length, speed, oneway, x=x, y=y, profile=profile, crs=metric, node_id=osm_id
    )
    logger.info("%s graph: %d nodes, %d directed edges", profile, graph.n_nodes, graph.n_edges)
    return graph


def load_network(
    path: str | Path,
    *,
    profile: Profile,
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
    retain_all: bool = False,
) -> RoadGraph:
    """Read a local OSM file and build the graph of one profile.

    ``.osm``/``.osm.bz2``/``.xml`` and ``.osm.pbf`` are read by
    :func:`coverage._osm.read_osm`. See :func:`graph_from_segments` for the parameters.
    For several profiles use :func:`load_networks`, which reads the file once.
    """
    return load_networks(path, profiles=[profile], crs=crs, speeds_kmh=speeds_kmh,
                         walk_speed_kmh=walk_speed_kmh, retain_all=retain_all)[profile]


def _checked_profiles(profiles: Iterable[str]) -> list[Profile]:
    """The distinct profiles asked for (drive first); InputError naming any unknown one."""
    wanted = sorted(set(profiles))
    bad = [p for p in wanted if p not in ("walk", "drive")]
    if bad:
        raise InputError.single(
            "unknown travel profile", value=bad, fix='use profile "walk" or "drive"'
        )
    return [p for p in ("drive", "walk") if p in wanted]


def graphs_from_segments(
    segments: OsmSegments,
    *,
    profiles: Iterable[str],
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
    retain_all: bool = False,
) -> dict[str, RoadGraph]:
    """Build the graph of each profile from the same segments.

    Parameters
    ----------
    segments
        From :func:`coverage._osm.read_osm` or :func:`coverage._osm.download_segments`.
    profiles
        ``"walk"`` and/or ``"drive"`` (repeats ignored).
    crs, speeds_kmh, walk_speed_kmh, retain_all
        As for :func:`graph_from_segments`.

    Returns
    -------
    dict of str to RoadGraph
        One graph per profile, keyed by profile name.

    Raises
    ------
    InputError
        On an unknown profile name, and as :func:`graph_from_segments`.
    """
    return {
        profile: graph_from_segments(
            segments,
            profile=profile,
            crs=crs,
            speeds_kmh=speeds_kmh,
            walk_speed_kmh=walk_speed_kmh,
            retain_all=retain_all,
        )
        for profile in _checked_profiles(profiles)
    }


def load_networks(
    path: str | Path,
    *,
    profiles: Iterable[str],
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
    retain_all: bool = False,
) -> dict[str, RoadGraph]:
    """Read a local OSM file **once** and build the graph of each profile.

    The file is parsed as by :func:`load_network` (:func:`coverage._osm.read_osm`, one
    streaming pyosmium pass for XML and PBF alike); each profile's graph is then built
    from the same segments. Call :func:`check_network_fit` on the result before routing.

    Parameters
    ----------
    path
        The OSM file.
    profiles
        ``"walk"`` and/or ``"drive"`` (repeats ignored).
    crs, speeds_kmh, walk_speed_kmh, retain_all
        As for :func:`graph_from_segments`.

    Returns
    -------
    dict of str to RoadGraph
        One graph per profile, keyed by profile name; empty (and the file not read)
        when ``profiles`` is empty.

    Raises
    ------
    InputError
        On an unknown profile (checked before the file is read), a missing or unreadable
        file, and as :func:`graph_from_segments`.

    Examples
    --------
    From the repository root:

    >>> graphs = load_networks(
    ...     "tests/fixtures/net_small.osm", profiles=["walk", "drive"], crs="EPSG:4527"
    ... )
    >>> sorted(graphs)
    ['drive', 'walk']
    """
    wanted = _checked_profiles(profiles)
    if not wanted:
        return {}
    return graphs_from_segments(
        read_osm(path),
        profiles=wanted,
        crs=crs,
        speeds_kmh=speeds_kmh,
        walk_speed_kmh=walk_speed_kmh,
        retain_all=retain_all,
    )


def download_network(
    polygon: Any,
    *,
    cache_dir: str | Path,
    profile: Profile,
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> RoadGraph:
    """Download the network inside a WGS84 polygon with osmnx (cached) and build a graph.

    Explicit opt-in (``[access] download = true``); needs internet on the first call.
    """
    return download_networks(polygon, cache_dir=cache_dir, profiles=[profile], crs=crs,
                             speeds_kmh=speeds_kmh, walk_speed_kmh=walk_speed_kmh)[profile]


def download_networks(
    polygon: Any,
    *,
    cache_dir: str | Path,
    profiles: Iterable[str],
    crs: pyproj.CRS | str | int,
    speeds_kmh: Mapping[str, float] | None = None,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> dict[str, RoadGraph]:
    """:func:`download_network` for several profiles, downloading (or reading the cache) once.

    Returns one graph per profile, keyed by profile name; see :func:`graphs_from_segments`.
    """
    wanted = _checked_profiles(profiles)
    if not wanted:
        return {}
    return graphs_from_segments(
        download_segments(polygon, cache_dir=cache_dir),
        profiles=wanted,
        crs=crs,
        speeds_kmh=speeds_kmh,
        walk_speed_kmh=walk_speed_kmh,
    )


# --------------------------------------------------------------------------- fit check

FitVerdict = Literal["ok", "partial", "disjoint"]

FIT_MIN_AREA_SHARE: Final = 0.5
"""Below this share of the county's area inside the network's extent the network does not
cover the county (verdict ``disjoint``) when more than :data:`FIT_MAX_BEYOND_SHARE` of the
points are also off it: more than half of the county would be routed on roads that are not
there. A network cut to the county (or a larger extract) covers close to
all of it: 97 % on the demo county, whose roads stop short of the outline in places."""

FIT_OK_AREA_SHARE: Final = 0.9
"""Below this share (and at or above :data:`FIT_MIN_AREA_SHARE`) a part of the county lies
outside the network (verdict ``partial``): a tenth of the area is more than the margin
between the outermost roads and the outline of any county we have seen."""

FIT_OK_BEYOND_SHARE: Final = 0.01
"""Above this share of the points farther than the snap limit from every road, the verdict
is at best ``partial``: one point in a hundred off the network is the odd remote hamlet or
a mislocated row; more suggests roads missing from the file."""

FIT_MAX_BEYOND_SHARE: Final = 0.25
"""A small network hull (below :data:`FIT_MIN_AREA_SHARE`) refuses the network only when
more than this share of the points is also off it: a network along one valley road has a
thin hull yet routes the villages on that road, whereas a file cut off by a bounding box
leaves a quarter or more of the county's points far from any road."""


@dataclass(frozen=True)
class NetworkFit:
    """How well a road network covers the region it is meant to route.

    Snap figures are those of the profile that fits worst (the largest share of points
    beyond the snap limit, then the largest median); the extent is that of all the graphs'
    nodes together.

    Attributes
    ----------
    verdict
        ``"ok"``; ``"partial"`` (route, but warn: part of the county or some points lie
        off the network); ``"disjoint"`` (refuse: the network is elsewhere or covers too
        little of the county). See :data:`FIT_MIN_AREA_SHARE`, :data:`FIT_OK_AREA_SHARE`,
        :data:`FIT_OK_BEYOND_SHARE`.
    reasons
        Codes of what set the verdict: ``"area_outside"`` (area share below
        :data:`FIT_MIN_AREA_SHARE`), ``"median_beyond_limit"`` (more than half the points
        beyond the snap limit), ``"area_partly_outside"`` (below
        :data:`FIT_OK_AREA_SHARE`), ``"points_beyond_limit"`` (share beyond above
        :data:`FIT_OK_BEYOND_SHARE`). Empty when ``verdict == "ok"``.
    source
        The road file (or download) the graphs came from, for messages.
    profile
        Profile of the snap figures.
    area_share
        Share of the county's area inside the convex hull of the network's nodes.
    snap_median_m, snap_p95_m
        Median and 95th percentile of the distance from each point to the nearest road
        (NaN without points).
    n_points
        Points checked (those with finite coordinates).
    n_beyond
        Points farther than ``snap_limit_m`` from every road of ``profile``.
    share_beyond
        ``n_beyond / n_points`` (NaN without points).
    snap_limit_m
        The snap limit used.
    network_bounds, county_bounds
        ``(west, south, east, north)`` in WGS84 degrees of the network's nodes and of the
        county (NaN when the graphs carry no CRS).
    """

    verdict: FitVerdict
    reasons: tuple[str, ...]
    source: str
    profile: str
    area_share: float
    snap_median_m: float
    snap_p95_m: float
    n_points: int
    n_beyond: int
    share_beyond: float
    snap_limit_m: float
    network_bounds: tuple[float, float, float, float]
    county_bounds: tuple[float, float, float, float]


def _bounds(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float, float, float]:
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lo) & np.isfinite(la)
    if not ok.any():
        return (math.nan, math.nan, math.nan, math.nan)
    lo, la = lo[ok], la[ok]
    return (float(lo.min()), float(la.min()), float(lo.max()), float(la.max()))


def _degrees(value: float, positive: str, negative: str) -> str:
    return f"{abs(value):.2f}°{positive if value >= 0 else negative}"


def format_extent(bounds: tuple[float, float, float, float]) -> str:
    """``(west, south, east, north)`` as ``"118.10–118.40°E, 31.20–31.50°N"``.

    Examples
    --------
    >>> format_extent((118.1, 31.2, 118.4, 31.5))
    '118.10–118.40°E, 31.20–31.50°N'
    """
    west, south, east, north = bounds
    if not all(math.isfinite(b) for b in bounds):
        return "an unknown extent"
    lon = f"{_degrees(west, 'E', 'W')}–{_degrees(east, 'E', 'W')}"
    lat = f"{_degrees(south, 'N', 'S')}–{_degrees(north, 'N', 'S')}"
    if west >= 0 and east >= 0:
        lon = f"{west:.2f}–{east:.2f}°E"
    if south >= 0 and north >= 0:
        lat = f"{south:.2f}–{north:.2f}°N"
    return f"{lon}, {lat}"


def _distance(metres: float) -> str:
    if not math.isfinite(metres):
        return "n/a"
    if metres >= 10_000:
        return f"{metres / 1000:,.0f} km"
    return f"{metres:,.0f} m"


def _hull_share(x: FloatArray, y: FloatArray, area: Any) -> float:
    """Share of ``area`` inside the convex hull of the points (0 for a degenerate hull)."""
    from scipy.spatial import ConvexHull, QhullError

    total = float(shapely.area(area))
    ok = np.isfinite(x) & np.isfinite(y)
    if total <= 0 or ok.sum() < 3:
        return 0.0
    xy = np.unique(np.column_stack([x[ok], y[ok]]), axis=0)
    try:
        hull = ConvexHull(xy)
    except (QhullError, ValueError):  # all nodes on a line: no area
        return 0.0
    polygon = shapely.polygons(xy[hull.vertices])
    return float(shapely.area(shapely.intersection(polygon, area))) / total


def check_network_fit(
    graphs: Mapping[str, RoadGraph],
    *,
    area: Any,
    x: ArrayLike,
    y: ArrayLike,
    source: str,
    snap_limit_m: float,
) -> NetworkFit:
    """Check, before routing, that a road network covers the region.

    Two independent measures: the share of the county's area inside the network's extent
    (the convex hull of its nodes), which catches a network of the wrong place or one
    cut off by a bounding box; and the distance from each point to be routed to its
    nearest road, which catches what a hull cannot see — a network with holes, or a
    county whose villages lie beyond the roads of the file. The hull is convex on purpose:
    it needs no tuning parameter, costs one ``qhull`` call, and the places it would
    wrongly count as covered (bays of a concave network) are exactly where the snap
    distances of the points there grow.

    Parameters
    ----------
    graphs
        Road graph per profile, as from :func:`load_networks` (at least one), in the metric
        CRS of ``area``, ``x`` and ``y``.
    area
        The county polygon (shapely) in the graphs' metric CRS.
    x, y
        Metric coordinates of every point to be routed (sites and demand points); rows
        with NaN coordinates are skipped.
    source
        The road file (or ``"OSM download"``), named in the messages.
    snap_limit_m
        The snap limit the routing will use (``[access] snap_limit_m``).

    Returns
    -------
    NetworkFit
        Pass it to :func:`raise_if_unfit`.

    Raises
    ------
    ValueError
        If ``graphs`` is empty.
    """
    if not graphs:
        raise ValueError("check_network_fit needs at least one road graph")
    px = np.asarray(x, dtype=np.float64).reshape(-1)
    py = np.asarray(y, dtype=np.float64).reshape(-1)
    finite = np.isfinite(px) & np.isfinite(py)
    px, py = px[finite], py[finite]
    n_points = len(px)

    worst: tuple[float, float, str, FloatArray] | None = None
    for profile, graph in graphs.items():
        _, dist = graph.segments.nearest(px, py)
        dist = np.where(np.isnan(dist), np.inf, dist)
        beyond = float(np.mean(dist > snap_limit_m)) if n_points else math.nan
        median = float(np.median(dist)) if n_points else math.nan
        key = (beyond if n_points else 0.0, median if n_points else 0.0)
        if worst is None or key > worst[:2]:
            worst = (*key, profile, dist)
    assert worst is not None
    _, _, profile, dist = worst
    n_beyond = int(np.sum(dist > snap_limit_m))
    share_beyond = n_beyond / n_points if n_points else math.nan
    median = float(np.median(dist)) if n_points else math.nan
    p95 = float(np.percentile(dist, 95)) if n_points else math.nan

    node_x = np.concatenate([g.x for g in graphs.values()])
    node_y = np.concatenate([g.y for g in graphs.values()])
    area_share = _hull_share(node_x, node_y, area)

    crs = next((g.crs for g in graphs.values() if g.crs is not None), None)
    nan4 = (math.nan, math.nan, math.nan, math.nan)
    network_bounds = county_bounds = nan4
    if crs is not None:
        back = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        network_bounds = _bounds(*back.transform(node_x, node_y))
        outline = shapely.get_coordinates(area)
        county_bounds = _bounds(*back.transform(outline[:, 0], outline[:, 1]))

    reasons: list[str] = []
    if area_share < FIT_MIN_AREA_SHARE and (not n_points or share_beyond > FIT_MAX_BEYOND_SHARE):
        reasons.append("area_outside")
    if n_points and median > snap_limit_m:
        reasons.append("median_beyond_limit")
    verdict: FitVerdict = "disjoint" if reasons else "ok"
    if not reasons:
        if area_share < FIT_OK_AREA_SHARE:
            reasons.append("area_partly_outside")  # includes a thin hull whose points snap
        if n_points and share_beyond > FIT_OK_BEYOND_SHARE:
            reasons.append("points_beyond_limit")
        verdict = "partial" if reasons else "ok"
    fit = NetworkFit(
        verdict=verdict,
        reasons=tuple(reasons),
        source=str(source),
        profile=profile,
        area_share=area_share,
        snap_median_m=median,
        snap_p95_m=p95,
        n_points=n_points,
        n_beyond=n_beyond,
        share_beyond=share_beyond,
        snap_limit_m=float(snap_limit_m),
        network_bounds=network_bounds,
        county_bounds=county_bounds,
    )
    logger.info(
        "road network fit %s (%s): %.0f %% of the county inside, snap median %.0f m, "
        "95 %% %.0f m, %d of %d points beyond %.0f m",
        verdict,
        source,
        100 * area_share,
        median,
        p95,
        n_beyond,
        n_points,
        snap_limit_m,
    )
    return fit


def _fit_figures(fit: NetworkFit) -> str:
    figures = f"{fit.area_share:.0%} of the county's area lies inside the network's extent"
    if fit.n_points:
        figures += (
            f"; the points to route are {_distance(fit.snap_median_m)} from the nearest "
            f"{fit.profile} road (median; 95 %: {_distance(fit.snap_p95_m)}), "
            f"{fit.n_beyond:,} of {fit.n_points:,} ({fit.share_beyond:.1%}) farther than the "
            f"snap limit of {fit.snap_limit_m:,.0f} m"
        )
    return figures


_FIT_FIX: Final = (
    "use an OSM extract that contains the whole county, e.g. cut from a Geofabrik download "
    "with `osmium extract -p county.geojson --strategy smart roads.osm.pbf -o county.osm.pbf`"
)


def raise_if_unfit(fit: NetworkFit) -> None:
    """Stop on a network that does not cover the region; warn on one that covers it in part.

    Parameters
    ----------
    fit
        From :func:`check_network_fit`.

    Raises
    ------
    InputError
        When ``fit.verdict == "disjoint"``: names the road file, shows both extents and the
        snap figures, and says how to get a fitting extract. A ``"partial"`` fit is logged
        as a warning with the same figures (points beyond the snap limit then come out as
        ``off_network``); ``"ok"`` passes silently.
    """
    extents = (
        f"the road file covers {format_extent(fit.network_bounds)}; the county lies at "
        f"{format_extent(fit.county_bounds)}"
    )
    if fit.verdict == "disjoint":
        raise InputError.single(
            f"the road network does not cover the county: {_fit_figures(fit)}; {extents}",
            file=fit.source,
            fix=_FIT_FIX,
        )
    if fit.verdict == "partial":
        logger.warning(
            "%s: the road network covers the county only in part: %s (%s). Points beyond the "
            "snap limit are left off the network; to route them, %s",
            fit.source,
            _fit_figures(fit),
            extents,
            _FIT_FIX,
        )


# --------------------------------------------------------------------------- snapping

NODE_SNAP_TOLERANCE_M: Final = 1e-3
"""A snap point this close to a segment end (metres) *is* that node: the point is linked
to the node, so every road meeting there is open to it. OSM stores coordinates to 1e-7°
(about 1 cm), so nothing closer than 1 mm is a different place on the road."""


@dataclass(frozen=True)
class Segments:
    """The undirected straight segments of a :class:`RoadGraph`, for snapping.

    Attributes
    ----------
    a, b
        End nodes of each segment, ``a < b``.
    t_ab, l_ab, t_ba, l_ba
        Time and length of ``a -> b`` and of ``b -> a`` (NaN where that direction is not
        allowed, e.g. against a one-way street).
    tree
        STRtree over the segment lines (positions match ``a``, ``b``).
    """

    a: IntArray
    b: IntArray
    t_ab: FloatArray
    l_ab: FloatArray
    t_ba: FloatArray
    l_ba: FloatArray
    tree: shapely.STRtree

    def nearest(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, FloatArray]:
        """Nearest segment of each point and its distance (-1 and NaN without segments).

        Equidistant segments: the first one; :func:`attach_points` then links a point
        whose nearest road point is a segment end to the node itself.
        """
        seg = np.full(len(x), -1, dtype=np.int64)
        dist = np.full(len(x), np.nan)
        if len(self.a) and len(x):
            hit, d = self.tree.query_nearest(shapely.points(x, y), return_distance=True)
            _, first = np.unique(hit[0], return_index=True)
            seg[hit[0, first]] = hit[1, first]
            dist[hit[0, first]] = d[first]
        return seg, dist


def _segments(graph: RoadGraph) -> Segments:
    u, v, t_uv, l_uv = graph.edges()
    n = max(graph.n_nodes, 1)
    key, index = np.unique(np.minimum(u, v) * n + np.maximum(u, v), return_inverse=True)
    a, b = key // n, key % n
    fwd = u < v
    costs = np.full((4, len(key)), np.nan)
    costs[0, index[fwd]], costs[1, index[fwd]] = t_uv[fwd], l_uv[fwd]
    costs[2, index[~fwd]], costs[3, index[~fwd]] = t_uv[~fwd], l_uv[~fwd]
    ends = np.stack(
        [np.column_stack([graph.x[a], graph.y[a]]), np.column_stack([graph.x[b], graph.y[b]])],
        axis=1,
    )
    lines = shapely.linestrings(ends) if len(key) else np.zeros(0, dtype=object)
    return Segments(
        a=a,
        b=b,
        t_ab=costs[0],
        l_ab=costs[1],
        t_ba=costs[2],
        l_ba=costs[3],
        tree=shapely.STRtree(lines),
    )


@dataclass(frozen=True)
class AttachedPoints:
    """A road graph with points attached, and how each point was attached.

    Point ``i`` is node ``node[i]`` of ``graph`` (its true location, linked to its snap
    point on the road by a walked leg), or ``-1`` when it is farther than the snap limit.

    Attributes
    ----------
    graph
        The base graph plus, per attached point, a snap node on the road and the point
        node.
    node
        Node of each point in ``graph``, ``-1`` where ``snap_ok`` is False.
    snap_dist_m
        Distance from the point to the nearest edge (NaN if the network is empty).
    snap_ok
        ``snap_dist_m <= snap_limit_m``.
    snap_x, snap_y
        The snap point on the road.
    snap_node
        Where the snap point is a node of the base graph (a junction or the end of a
        segment): that node, else ``-1``.
    """

    graph: RoadGraph
    node: IntArray
    snap_dist_m: FloatArray
    snap_ok: NDArray[np.bool_]
    snap_x: FloatArray
    snap_y: FloatArray
    snap_node: IntArray | None = None


def attach_points(
    graph: RoadGraph,
    x: ArrayLike,
    y: ArrayLike,
    *,
    snap_limit_m: float = 1000.0,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> AttachedPoints:
    """Snap points to the nearest road and add them to the graph as nodes.

    Each point is projected onto the nearest edge segment (STRtree on the edge lines in
    the metric CRS, :attr:`RoadGraph.segments`). Two cases:

    * the snap point ``p`` lies inside the segment ``a–b``, at fraction ``t`` from ``a``:
      the segment is split there, ``a -> p`` costs ``t`` of the edge and ``p -> b`` the
      rest, per direction the edge allows (several points on one segment are chained in
      order along it, so travel between them is exact);
    * the snap point is a segment end (within :data:`NODE_SNAP_TOLERANCE_M`), i.e. a
      junction or the end of a road: ``p`` is linked to that node both ways at no cost, so
      the point can use every road that meets there. (Splitting one of those segments
      instead, the first equidistant one, would leave a point on a one-way street only the
      way along it.)

    The point itself is a node ``q`` linked to ``p`` both ways by the off-network leg,
    walked at ``walk_speed_kmh`` over ``snap_dist_m``.

    Parameters
    ----------
    graph
        Road graph whose edges are straight segments between node coordinates.
    x, y
        Point coordinates in the graph's CRS.
    snap_limit_m
        Points farther from every edge are not attached (``snap_ok`` False, node -1).
    walk_speed_kmh
        Speed of the off-network leg.

    Returns
    -------
    AttachedPoints
    """
    px = np.asarray(x, dtype=np.float64)
    py = np.asarray(y, dtype=np.float64)
    k = len(px)
    u, v, t_uv, l_uv = graph.edges()
    segs = graph.segments
    sa, sb = segs.a, segs.b
    seg, snap_dist = segs.nearest(px, py)
    ok = (seg >= 0) & (snap_dist <= snap_limit_m)

    ax, ay = graph.x[sa[seg[ok]]], graph.y[sa[seg[ok]]]
    dx, dy = graph.x[sb[seg[ok]]] - ax, graph.y[sb[seg[ok]]] - ay
    norm = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(norm > 0, ((px[ok] - ax) * dx + (py[ok] - ay) * dy) / norm, 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    seg_len = np.sqrt(norm)
    at_a = frac * seg_len <= NODE_SNAP_TOLERANCE_M
    at_b = ~at_a & ((1.0 - frac) * seg_len <= NODE_SNAP_TOLERANCE_M)
    end_node = np.where(at_a, sa[seg[ok]], np.where(at_b, sb[seg[ok]], -1))
    frac = np.where(at_a, 0.0, np.where(at_b, 1.0, frac))
    snap_x = np.full(k, np.nan)
    snap_y = np.full(k, np.nan)
    snap_x[ok] = ax + frac * dx
    snap_y[ok] = ay + frac * dy
    snap_node = np.full(k, -1, dtype=np.int64)
    snap_node[ok] = end_node

    n0 = graph.n_nodes
    m = int(ok.sum())
    points = np.flatnonzero(ok)
    p_node = n0 + np.arange(m)  # snap node on the road
    q_node = n0 + m + np.arange(m)  # the point itself
    node = np.full(k, -1, dtype=np.int64)
    node[points] = q_node

    # points inside a segment: chain their snap nodes along it, a -> p1 -> p2 ... -> b
    inside = end_node < 0
    s, f, pn = seg[ok][inside], frac[inside], p_node[inside]
    order = np.lexsort((f, s))
    s_sorted, f_sorted, p_sorted = s[order], f[order], pn[order]
    start = np.ones(len(s_sorted), dtype=bool)
    start[1:] = s_sorted[1:] != s_sorted[:-1]
    end = np.ones(len(s_sorted), dtype=bool)
    end[:-1] = s_sorted[1:] != s_sorted[:-1]
    prev_node = np.where(start, sa[s_sorted], np.roll(p_sorted, 1))
    prev_frac = np.where(start, 0.0, np.roll(f_sorted, 1))
    pu = np.concatenate([prev_node, p_sorted[end]])
    pv = np.concatenate([p_sorted, sb[s_sorted[end]]])
    ps = np.concatenate([s_sorted, s_sorted[end]])
    share = np.concatenate([f_sorted - prev_frac, 1.0 - f_sorted[end]])
    fa, fb = np.isfinite(segs.t_ab[ps]), np.isfinite(segs.t_ba[ps])

    # points at a node: their snap node is the node, linked both ways at no cost
    jn, jp = end_node[~inside], p_node[~inside]
    zero = np.zeros(len(jn))

    walk_ms = walk_speed_kmh / 3.6
    leg = snap_dist[points]
    new_u = [pu[fa], pv[fb], jn, jp, q_node, p_node]
    new_v = [pv[fa], pu[fb], jp, jn, p_node, q_node]
    new_t = [
        (share * segs.t_ab[ps])[fa],
        (share * segs.t_ba[ps])[fb],
        zero,
        zero,
        leg / walk_ms,
        leg / walk_ms,
    ]
    new_l = [(share * segs.l_ab[ps])[fa], (share * segs.l_ba[ps])[fb], zero, zero, leg, leg]
    all_u = np.concatenate([u, *new_u])
    all_v = np.concatenate([v, *new_v])
    all_t = np.concatenate([t_uv, *new_t])
    all_l = np.concatenate([l_uv, *new_l])
    n = n0 + 2 * m
    uu, vv, tt, ll = _dedupe_min(all_u, all_v, all_t, all_l)
    ru, rv, rt, rl = _dedupe_min(vv, uu, tt, ll)
    xs = np.concatenate([graph.x, snap_x[points], px[points]])
    ys = np.concatenate([graph.y, snap_y[points], py[points]])
    node_id = None
    if graph.node_id is not None:
        node_id = np.concatenate([graph.node_id, np.full(2 * m, -1, dtype=np.int64)])
    augmented = RoadGraph(
        x=xs,
        y=ys,
        time=_csr(uu, vv, tt, n),
        length=_csr(uu, vv, ll, n),
        time_rev=_csr(ru, rv, rt, n),
        length_rev=_csr(ru, rv, rl, n),
        profile=graph.profile,
        crs=graph.crs,
        node_id=node_id,
    )
    if k - m:
        logger.info(
            "%d of %d points farther than %.0f m from the %s network",
            k - m,
            k,
            snap_limit_m,
            graph.profile,
        )
    return AttachedPoints(
        graph=augmented,
        node=node,
        snap_dist_m=snap_dist,
        snap_ok=ok,
        snap_x=snap_x,
        snap_y=snap_y,
        snap_node=snap_node,
    )


# --------------------------------------------------------------------------- routing


def path_lengths(predecessors: NDArray[np.integer[Any]], step: FloatArray) -> FloatArray:
    """Sum ``step`` along predecessor chains (pointer jumping, O(n log depth)).

    Parameters
    ----------
    predecessors
        Predecessor of each node in a shortest-path forest (negative for roots and
        unreached nodes), shape ``(n,)`` or ``(r, n)`` with per-row forests.
    step
        Value of the edge ``predecessor -> node`` for each node (ignored for roots).

    Returns
    -------
    numpy.ndarray
        For each node, the sum of ``step`` over its path from its root.
    """
    pred = np.asarray(predecessors)
    shape = pred.shape
    n = shape[-1]
    flat_pred = pred.reshape(-1).astype(np.int64)
    offset = np.repeat(np.arange(flat_pred.size // max(n, 1), dtype=np.int64) * n, n)
    has = flat_pred >= 0
    anc = np.where(has, flat_pred + offset, -1)
    acc = np.where(has, np.asarray(step, dtype=np.float64).reshape(-1), 0.0)
    active = np.flatnonzero(anc >= 0)
    while active.size:
        up = anc[active]
        acc[active] += acc[up]
        anc[active] = anc[up]
        active = active[anc[active] >= 0]
    return acc.reshape(shape)


@dataclass(frozen=True)
class NearestSites:
    """Nearest source for every target.

    Attributes
    ----------
    time_s
        Travel time target -> nearest source (seconds); ``inf`` when unreachable, NaN
        when the target is not on the network (node -1).
    dist_m
        Length of that fastest route (metres), same conventions.
    source
        Position in the ``sources`` argument of the nearest source; -1 if none.
    """

    time_s: FloatArray
    dist_m: FloatArray
    source: IntArray


def _checked_nodes(graph: RoadGraph, nodes: ArrayLike, name: str) -> IntArray:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if arr.size and arr.max() >= graph.n_nodes:
        raise ValueError(f"{name} must be node positions < {graph.n_nodes}")
    return arr


def nearest_site(
    graph: RoadGraph,
    *,
    sources: ArrayLike,
    targets: ArrayLike,
    limit_s: float = math.inf,
) -> NearestSites:
    """Time and route length from every target to its nearest source, in one Dijkstra.

    Works on :attr:`RoadGraph.contraction` (chains of two-neighbour nodes contracted,
    built on the first call and kept with the graph): one
    :func:`scipy.sparse.csgraph.dijkstra` from a virtual node linked to every source on
    the transposed core graph, route lengths summed along the shortest-path tree, and
    nodes inside chains resolved from their chain ends. Graphs with few such nodes are
    searched whole (one ``min_only`` Dijkstra from all sources). Results equal a Dijkstra
    on the full graph either way.

    Parameters
    ----------
    graph
        The graph (typically ``AttachedPoints.graph``).
    sources, targets
        Node positions; negative entries (unattached points) are skipped / give NaN.
    limit_s
        Stop searching beyond this time (results beyond are ``inf``).

    Returns
    -------
    NearestSites
    """
    src = _checked_nodes(graph, sources, "sources")
    tgt = _checked_nodes(graph, targets, "targets")
    valid_src = np.flatnonzero(src >= 0)
    time_s = np.full(len(tgt), np.nan)
    dist_m = np.full(len(tgt), np.nan)
    source = np.full(len(tgt), -1, dtype=np.int64)
    on = tgt >= 0
    if not valid_src.size:
        time_s[on] = np.inf
        dist_m[on] = np.inf
        return NearestSites(time_s=time_s, dist_m=dist_m, source=source)
    t_on = np.flatnonzero(on)
    con = graph.contraction
    if con is None:
        found = nearest_source_full(
            graph.time_rev, graph.length_rev, src[valid_src], tgt[t_on], limit_s
        )
    else:
        found = nearest_source(con, src[valid_src], tgt[t_on], limit_s)
    time_s[t_on], dist_m[t_on], pos = found
    source[t_on] = np.where(pos >= 0, valid_src[np.maximum(pos, 0)], -1)
    return NearestSites(time_s=time_s, dist_m=dist_m, source=source)


@dataclass(frozen=True)
class TravelMatrix:
    """Sparse source × target travel times and route lengths within a cut-off.

    ``time_s[i, j]`` is the time from target ``j`` to source ``i`` (seconds) and
    ``dist_m[i, j]`` the length of that fastest route, stored only where target ``j`` reaches
    source ``i`` within ``limit_s`` (never for unreachable pairs, also when ``limit_s`` is
    ``inf``). Entries are explicit (a stored 0.0 means "at the same place"), so test
    membership with the sparsity pattern, not with ``!= 0``. ``dist_m`` is None when the
    matrix was computed with ``with_distance=False``; otherwise it has the sparsity pattern
    of ``time_s``.
    """

    time_s: sp.csr_array
    dist_m: sp.csr_array | None
    limit_s: float


def _full_graph_pairs(
    graph: RoadGraph,
    sources: IntArray,
    targets: IntArray,
    limit_s: float,
    *,
    with_distance: bool,
    max_bytes: int,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray | None]:
    """Pairs within ``limit_s`` by chunked limited Dijkstra on the whole transposed graph.

    For graphs without a :attr:`RoadGraph.contraction`; same return as
    :func:`coverage._routing.pair_times`.
    """
    n = graph.n_nodes
    chunk = max(1, int(max_bytes // max(1, n * (24 if with_distance else 8))))
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    times: list[FloatArray] = []
    dists: list[FloatArray] = []
    for lo in range(0, len(sources), chunk):
        pos = np.arange(lo, min(lo + chunk, len(sources)), dtype=np.int64)
        if with_distance:
            dist, pred = dijkstra(
                graph.time_rev,
                directed=True,
                indices=sources[pos],
                return_predecessors=True,
                limit=limit_s,
            )
        else:
            dist = dijkstra(graph.time_rev, directed=True, indices=sources[pos], limit=limit_s)
        sub_t = dist[:, targets]
        rr, cc = np.nonzero(np.isfinite(sub_t) & (sub_t <= limit_s))
        rows.append(pos[rr])
        cols.append(cc)
        times.append(sub_t[rr, cc])
        if with_distance:
            reached = pred >= 0
            step = np.zeros(dist.shape)
            r, c = np.nonzero(reached)
            step[r, c] = edge_values(graph.length_rev, pred[r, c].astype(np.int64), c)
            length = path_lengths(pred, step)
            dists.append(length[:, targets][rr, cc])
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    time = np.concatenate(times) if times else np.zeros(0)
    length_out = (np.concatenate(dists) if dists else np.zeros(0)) if with_distance else None
    return row, col, time, length_out


def travel_matrix(
    graph: RoadGraph,
    *,
    sources: ArrayLike,
    targets: ArrayLike,
    limit_s: float,
    with_distance: bool = True,
    max_bytes: int = 256 * 2**20,
) -> TravelMatrix:
    """Source × target times within ``limit_s`` as CSR matrices (for the optimizer).

    Works on :attr:`RoadGraph.contraction` when the graph has one: every source becomes a
    virtual node on the transposed core graph (linked to its chain ends when it lies
    inside a chain), :func:`scipy.sparse.csgraph.dijkstra` with ``limit=limit_s`` runs
    from chunks of them, and targets inside chains are resolved from their chain ends
    (see :func:`coverage._routing.pair_times`). Other graphs are searched whole, in
    chunks of sources. Chunks are sized so their dense rows stay below ``max_bytes``.
    Results equal a Dijkstra on the full graph either way.

    Parameters
    ----------
    graph
        The graph.
    sources, targets
        Node positions; rows/columns of unattached points (-1) stay empty.
    limit_s
        Cut-off in seconds (``inf``: every reachable pair).
    with_distance
        Also compute the route lengths (``dist_m``); False leaves ``dist_m`` None and
        skips the shortest-path trees (faster, e.g. for the optimizer, which only needs
        times).
    max_bytes
        Memory budget for one chunk of dense rows.

    Returns
    -------
    TravelMatrix
    """
    src = _checked_nodes(graph, sources, "sources")
    tgt = _checked_nodes(graph, targets, "targets")
    valid = np.flatnonzero(src >= 0)
    tgt_cols = np.flatnonzero(tgt >= 0)
    shape = (len(src), len(tgt))
    if valid.size and tgt_cols.size:
        con = graph.contraction
        if con is None:
            r, c, t, d = _full_graph_pairs(
                graph,
                src[valid],
                tgt[tgt_cols],
                limit_s,
                with_distance=with_distance,
                max_bytes=max_bytes,
            )
        else:
            r, c, t, d = pair_times(
                con,
                src[valid],
                tgt[tgt_cols],
                limit_s,
                with_length=with_distance,
                max_bytes=max_bytes,
            )
        row, col = valid[r], tgt_cols[c]
    else:
        row = col = np.zeros(0, dtype=np.int64)
        t = np.zeros(0)
        d = np.zeros(0) if with_distance else None
    # rows ascending, columns ascending within a row: CSR straight from the pairs
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=shape[0]))])

    def _matrix(data: FloatArray) -> sp.csr_array:
        return sp.csr_array((data, col, indptr), shape=shape)

    return TravelMatrix(
        time_s=_matrix(t),
        dist_m=None if d is None else _matrix(d),
        limit_s=float(limit_s),
    )
