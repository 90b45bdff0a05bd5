"""Road graphs as scipy sparse matrices: speeds, building, snapping, routing.

One concept per module, each public name re-exported here:

* :mod:`~coverage.network.profiles` — walk and drive profiles: which OSM ways, how fast;
* :mod:`~coverage.network.graph` — :class:`RoadGraph` and :func:`build_graph`;
* :mod:`~coverage.network.loading` — graphs from an OSM file (:func:`load_networks`) or a
  cached download;
* :mod:`~coverage.network.fit` — whether the network covers the region
  (:func:`check_network_fit`, :func:`raise_if_unfit`);
* :mod:`~coverage.network.attach` — points snapped onto the roads (:func:`attach_points`);
* :mod:`~coverage.network.routing` — :func:`nearest_site` and :func:`travel_matrix`, on the
  chain contraction of :mod:`~coverage.network._contract` searched by
  :mod:`~coverage.network._search`.

Direction convention: times are from a target (the person, e.g. a village) **to** a source
(the service room). With one-way streets that is Dijkstra from the sources on the
transposed graph, which :class:`RoadGraph` keeps ready.
"""

from coverage.network._extent import format_extent
from coverage.network.attach import NODE_SNAP_TOLERANCE_M, AttachedPoints, attach_points
from coverage.network.fit import (
    FIT_MAX_BEYOND_SHARE,
    FIT_MIN_AREA_SHARE,
    FIT_OK_AREA_SHARE,
    FIT_OK_BEYOND_SHARE,
    FitVerdict,
    NetworkFit,
    check_network_fit,
    raise_if_unfit,
)
from coverage.network.graph import RoadGraph, Segments, build_graph
from coverage.network.loading import (
    download_network,
    download_networks,
    graph_from_segments,
    graphs_from_segments,
    load_network,
    load_networks,
)
from coverage.network.profiles import (
    DEFAULT_SPEEDS_KMH,
    DEFAULT_WALK_SPEED_KMH,
    DRIVE_HIGHWAYS,
    WALK_EXCLUDED_HIGHWAYS,
    Profile,
    parse_maxspeed,
)
from coverage.network.routing import (
    NearestSites,
    TravelMatrix,
    nearest_site,
    path_lengths,
    travel_matrix,
)

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
