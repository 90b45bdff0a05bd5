"""Road graphs as scipy sparse matrices: speeds, building, snapping, routing.

The numeric core works on arrays and :class:`scipy.sparse.csr_array` only:

* :func:`build_graph` turns edge arrays (``u, v, length_m, speed_kmh, oneway``) into a
  :class:`RoadGraph` — parallel edges keep the *fastest* one (a plain
  ``csr_array((w, (u, v)))`` would add them up);
* :func:`attach_points` snaps points (villages, sites …) onto the nearest edge and
  splits it with a virtual node, so travel from the snap point to each edge end is the
  proportional part of the edge; the off-network leg is walked;
* :func:`nearest_site` runs **one** multi-source Dijkstra for all sources;
* :func:`travel_matrix` gives sparse source × target matrices within a cut-off.

Direction convention: times are from a target (the person, e.g. a village) **to** a source
(the service room). With one-way streets that is Dijkstra from the sources on the
transposed graph, which :class:`RoadGraph` keeps ready.

Distances reported next to times are the length of the *fastest* route (what the traveller
drives or walks), not the separately shortest distance.

:func:`load_network` reads a local OSM file (XML via osmnx, PBF via pyosmium) into a graph
for a ``walk`` or ``drive`` profile; :func:`load_networks` reads the file once for both.
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

from coverage._errors import InputError
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

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "DEFAULT_WALK_SPEED_KMH",
    "DRIVE_HIGHWAYS",
    "WALK_EXCLUDED_HIGHWAYS",
    "AttachedPoints",
    "NearestSites",
    "Profile",
    "RoadGraph",
    "TravelMatrix",
    "attach_points",
    "build_graph",
    "download_network",
    "download_networks",
    "graph_from_segments",
    "graphs_from_segments",
    "load_network",
    "load_networks",
    "nearest_site",
    "parse_maxspeed",
    "path_lengths",
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
    """

    x: FloatArray
    y: FloatArray
    time: sp.csr_array
    length: sp.csr_array
    time_rev: sp.csr_array
    length_rev: sp.csr_array
    profile: Profile
    crs: pyproj.CRS | None = None

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
    if not (len(u_arr) == len(v_arr) == len(length)) or len(y_arr) != n:
        raise ValueError("u, v, length_m must have one value per edge and x, y one per node")
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
    speed, oneway = speed[mask], oneway[mask]
    if not retain_all:
        keep_node = _largest_component(u, v, len(nodes))
        keep = keep_node[u]
        new = np.full(len(nodes), -1, dtype=np.int64)
        new[keep_node] = np.arange(int(keep_node.sum()))
        u, v, speed, oneway = new[u[keep]], new[v[keep]], speed[keep], oneway[keep]
        x, y = x[keep_node], y[keep_node]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    graph = build_graph(u, v, length, speed, oneway, x=x, y=y, profile=profile, crs=metric)
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

    ``.osm``/``.osm.bz2``/``.xml`` go through :func:`osmnx.graph_from_xml`, ``.osm.pbf``
    through pyosmium. See :func:`graph_from_segments` for the parameters. For several
    profiles use :func:`load_networks`, which reads the file once.
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

    The file is parsed as by :func:`load_network` (XML through
    :func:`osmnx.graph_from_xml`, PBF through pyosmium). Parsing costs far more than
    building a graph (on the demo county: about 1.2 s against 0.1 s, plus about 1.5 s to
    import osmnx for XML), so each profile beyond the first comes almost for free.

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


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True)
class AttachedPoints:
    """A road graph with points attached, and how each point was attached.

    Point ``i`` is node ``node[i]`` of ``graph`` (its true location, linked to its snap
    point on the road by a walked leg), or ``-1`` when it is farther than the snap limit.

    Attributes
    ----------
    graph
        The base graph plus, per attached point, a snap node on the edge and the point node.
    node
        Node of each point in ``graph``, ``-1`` where ``snap_ok`` is False.
    snap_dist_m
        Distance from the point to the nearest edge (NaN if the network is empty).
    snap_ok
        ``snap_dist_m <= snap_limit_m``.
    snap_x, snap_y
        The snap point on the road.
    """

    graph: RoadGraph
    node: IntArray
    snap_dist_m: FloatArray
    snap_ok: NDArray[np.bool_]
    snap_x: FloatArray
    snap_y: FloatArray


def attach_points(
    graph: RoadGraph,
    x: ArrayLike,
    y: ArrayLike,
    *,
    snap_limit_m: float = 1000.0,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> AttachedPoints:
    """Snap points to the nearest edge and add them to the graph as nodes.

    Each point is projected onto the nearest edge segment (STRtree on the edge lines in
    the metric CRS). The edge is split at the snap point ``p`` at fraction ``t`` from
    ``a``: ``a -> p`` costs ``t`` of the edge and ``p -> b`` the rest, per direction the
    edge allows (several points on one edge are chained in order along it, so travel
    between them is exact). The point itself is a node ``q`` linked to ``p`` both ways by
    the off-network leg, walked at ``walk_speed_kmh`` over ``snap_dist_m``.

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
    # undirected segments: each {a, b} once, with its directed costs (NaN when not allowed)
    a = np.minimum(u, v)
    b = np.maximum(u, v)
    seg_key, seg_index = np.unique(a * graph.n_nodes + b, return_inverse=True)
    n_seg = len(seg_key)
    sa, sb = seg_key // max(graph.n_nodes, 1), seg_key % max(graph.n_nodes, 1)
    fwd = u < v
    t_ab = np.full(n_seg, np.nan)
    l_ab = np.full(n_seg, np.nan)
    t_ba = np.full(n_seg, np.nan)
    l_ba = np.full(n_seg, np.nan)
    t_ab[seg_index[fwd]], l_ab[seg_index[fwd]] = t_uv[fwd], l_uv[fwd]
    t_ba[seg_index[~fwd]], l_ba[seg_index[~fwd]] = t_uv[~fwd], l_uv[~fwd]

    snap_dist = np.full(k, np.nan)
    seg = np.full(k, -1, dtype=np.int64)
    if n_seg and k:
        lines = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([graph.x[sa], graph.y[sa]]),
                    np.column_stack([graph.x[sb], graph.y[sb]]),
                ],
                axis=1,
            )
        )
        tree = shapely.STRtree(lines)
        hit, dist = tree.query_nearest(shapely.points(px, py), return_distance=True)
        # equidistant segments: keep the first one per point
        _, first = np.unique(hit[0], return_index=True)
        seg[hit[0, first]] = hit[1, first]
        snap_dist[hit[0, first]] = dist[first]
    ok = (seg >= 0) & (snap_dist <= snap_limit_m)

    ax, ay = graph.x[sa[seg[ok]]], graph.y[sa[seg[ok]]]
    dx, dy = graph.x[sb[seg[ok]]] - ax, graph.y[sb[seg[ok]]] - ay
    norm = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(norm > 0, ((px[ok] - ax) * dx + (py[ok] - ay) * dy) / norm, 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    snap_x = np.full(k, np.nan)
    snap_y = np.full(k, np.nan)
    snap_x[ok] = ax + frac * dx
    snap_y[ok] = ay + frac * dy

    n0 = graph.n_nodes
    m = int(ok.sum())
    points = np.flatnonzero(ok)
    p_node = n0 + np.arange(m)  # snap node on the road
    q_node = n0 + m + np.arange(m)  # the point itself
    node = np.full(k, -1, dtype=np.int64)
    node[points] = q_node

    # chain the snap nodes along each segment: a -> p1 -> p2 ... -> b (and back)
    s = seg[ok]
    order = np.lexsort((frac, s))
    s_sorted, f_sorted, p_sorted = s[order], frac[order], p_node[order]
    start = np.ones(m, dtype=bool)
    start[1:] = s_sorted[1:] != s_sorted[:-1]
    end = np.ones(m, dtype=bool)
    end[:-1] = s_sorted[1:] != s_sorted[:-1]
    prev_node = np.where(start, sa[s_sorted], np.roll(p_sorted, 1))
    prev_frac = np.where(start, 0.0, np.roll(f_sorted, 1))
    pieces_from = [prev_node, p_sorted[end]]
    pieces_to = [p_sorted, sb[s_sorted[end]]]
    pieces_seg = [s_sorted, s_sorted[end]]
    pieces_share = [f_sorted - prev_frac, 1.0 - f_sorted[end]]
    pu = np.concatenate(pieces_from)
    pv = np.concatenate(pieces_to)
    ps = np.concatenate(pieces_seg)
    share = np.concatenate(pieces_share)

    walk_ms = walk_speed_kmh / 3.6
    leg = snap_dist[points]
    new_u = [pu[np.isfinite(t_ab[ps])], pv[np.isfinite(t_ba[ps])], q_node, p_node]
    new_v = [pv[np.isfinite(t_ab[ps])], pu[np.isfinite(t_ba[ps])], p_node, q_node]
    fa, fb = np.isfinite(t_ab[ps]), np.isfinite(t_ba[ps])
    new_t = [(share * t_ab[ps])[fa], (share * t_ba[ps])[fb], leg / walk_ms, leg / walk_ms]
    new_l = [(share * l_ab[ps])[fa], (share * l_ba[ps])[fb], leg, leg]
    all_u = np.concatenate([u, *new_u])
    all_v = np.concatenate([v, *new_v])
    all_t = np.concatenate([t_uv, *new_t])
    all_l = np.concatenate([l_uv, *new_l])
    n = n0 + 2 * m
    uu, vv, tt, ll = _dedupe_min(all_u, all_v, all_t, all_l)
    ru, rv, rt, rl = _dedupe_min(vv, uu, tt, ll)
    xs = np.concatenate([graph.x, snap_x[points], px[points]])
    ys = np.concatenate([graph.y, snap_y[points], py[points]])
    augmented = RoadGraph(
        x=xs,
        y=ys,
        time=_csr(uu, vv, tt, n),
        length=_csr(uu, vv, ll, n),
        time_rev=_csr(ru, rv, rt, n),
        length_rev=_csr(ru, rv, rl, n),
        profile=graph.profile,
        crs=graph.crs,
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
