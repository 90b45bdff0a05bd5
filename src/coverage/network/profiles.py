"""Travel profiles: which OSM ways walkers and drivers use, and how fast.

:data:`DEFAULT_SPEEDS_KMH` holds the class speeds for Chinese roads, a posted ``maxspeed``
(:func:`parse_maxspeed`) replaces them; :func:`profile_mask` and :func:`drive_speeds` apply
both to the segments read from an OSM file (:mod:`coverage._osm`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from coverage._osm import OsmSegments

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "DEFAULT_WALK_SPEED_KMH",
    "DRIVE_HIGHWAYS",
    "WALK_EXCLUDED_HIGHWAYS",
    "Profile",
    "drive_speeds",
    "parse_maxspeed",
    "profile_mask",
]

Profile = Literal["walk", "drive"]
FloatArray = NDArray[np.float64]

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


def profile_mask(segments: OsmSegments, profile: Profile) -> NDArray[np.bool_]:
    """Mask of the segments the ``profile`` may use (highway class, access tags)."""
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


def drive_speeds(segments: OsmSegments, speeds: Mapping[str, float]) -> FloatArray:
    """Driving speed of each segment: its way's posted ``maxspeed``, else its class's
    speed in ``speeds`` (NaN for classes without one)."""
    highway = segments.tag("highway")
    by_way = np.array([parse_maxspeed(value) for value in segments.tags["maxspeed"]], dtype=float)
    posted = by_way[segments.way] if len(by_way) else np.zeros(0)
    default = np.array([speeds.get(str(h), math.nan) for h in highway], dtype=float)
    return np.where(np.isfinite(posted), posted, default)
