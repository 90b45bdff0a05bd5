"""Does the road network cover the region?  Checked before any routing.

:func:`check_network_fit` measures how much of the county lies inside the network's extent
and how far the points to route lie from its roads; :func:`raise_if_unfit` stops on a
network that does not cover the region and warns on one that covers it in part.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage.network._extent import format_extent, lonlat_bounds
from coverage.network.graph import RoadGraph
from coverage.problems import InputError

__all__ = [
    "FIT_MAX_BEYOND_SHARE",
    "FIT_MIN_AREA_SHARE",
    "FIT_OK_AREA_SHARE",
    "FIT_OK_BEYOND_SHARE",
    "FitVerdict",
    "NetworkFit",
    "check_network_fit",
    "raise_if_unfit",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

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
        Road graph per profile, as from :func:`~coverage.network.loading.load_networks` (at least
        one), in the metric CRS of ``area``, ``x`` and ``y``.
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
        network_bounds = lonlat_bounds(*back.transform(node_x, node_y))
        outline = shapely.get_coordinates(area)
        county_bounds = lonlat_bounds(*back.transform(outline[:, 0], outline[:, 1]))

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
