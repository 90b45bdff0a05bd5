"""Road graphs from OpenStreetMap: a local file or a (cached) download.

:func:`load_network` reads a local OSM file (XML or PBF, both streamed by pyosmium; ways of a
clipped extract cut at their missing nodes, see :mod:`coverage._osm`) into a graph for a
``walk`` or ``drive`` profile; :func:`load_networks` reads the file once for both.
:func:`~coverage.network.fit.check_network_fit` then tells, before any routing, whether the
network covers the region at all.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from coverage._osm import OsmSegments, download_segments, read_osm
from coverage.crs import assert_metric, project_points
from coverage.network._extent import format_extent, lonlat_bounds
from coverage.network.graph import RoadGraph, build_graph
from coverage.network.profiles import (
    DEFAULT_SPEEDS_KMH,
    DEFAULT_WALK_SPEED_KMH,
    Profile,
    drive_speeds,
    profile_mask,
)
from coverage.problems import InputError

__all__ = [
    "download_network",
    "download_networks",
    "graph_from_segments",
    "graphs_from_segments",
    "load_network",
    "load_networks",
]

logger = logging.getLogger(__name__)

IntArray = NDArray[np.int64]


def _largest_component(u: IntArray, v: IntArray, n: int) -> NDArray[np.bool_]:
    """Mask of nodes in the largest weakly connected component."""
    adjacency = sp.csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    counts = np.bincount(labels)
    return np.asarray(labels == np.argmax(counts))


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
        ``"drive"``: drivable classes (:data:`~coverage.network.profiles.DRIVE_HIGHWAYS`,
        without ``access=no|private``, parking aisles and emergency access), one-way
        respected, speed = posted ``maxspeed`` else the class speed.
    crs
        Metric CRS for node coordinates and lengths.
    speeds_kmh
        Per-class overrides merged over :data:`~coverage.network.profiles.DEFAULT_SPEEDS_KMH`.
    walk_speed_kmh
        Walking speed.
    retain_all
        False (default): keep only the largest weakly connected part, so that a village
        never snaps onto an isolated private road and appears unreachable.

    Returns
    -------
    RoadGraph
        With the OSM id of each node in :attr:`~coverage.network.graph.RoadGraph.node_id`.

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
    mask = profile_mask(segments, profile)
    if profile == "drive":
        speeds = {**DEFAULT_SPEEDS_KMH, **(speeds_kmh or {})}
        bad = {k: s for k, s in speeds.items() if not (math.isfinite(s) and s > 0)}
        if bad:
            raise InputError.single(
                "road speeds must be positive numbers (km/h)",
                column="access.speeds_kmh",
                value=bad,
            )
        speed = drive_speeds(segments, speeds)
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
            f"the file covers {format_extent(lonlat_bounds(lon, lat))}, far from the region",
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

    The file is parsed as by :func:`load_network` (:func:`coverage._osm.read_osm`, one streaming
    pyosmium pass for XML and PBF alike); each profile's graph is then built from the same segments.
    Call :func:`~coverage.network.fit.check_network_fit` on the result before routing.

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
