"""Extents in WGS84 degrees, for messages about where a road file lies."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["format_extent", "lonlat_bounds"]


def lonlat_bounds(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the finite coordinates (NaN when none)."""
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

