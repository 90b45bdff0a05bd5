"""The Chinese map offsets: GCJ-02 (高德/腾讯, "火星坐标") and BD-09 (百度) <-> WGS84.

GCJ-02 is a published forward obfuscation of WGS84; its inverse has no closed form, so
:func:`gcj02_to_wgs84` iterates the forward transform until it reproduces the input within
1e-9 degrees (about 0.1 mm).  BD-09 is a closed-form distortion of GCJ-02 whose textbook
inverse is approximate; it is refined the same way.  Arrays in, arrays out; the CRS policy
that uses them is :mod:`coverage.crs`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_arrays",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

_CHINA_LON = (73.0, 136.0)
_CHINA_LAT = (3.0, 54.0)

# the published algorithm's constants
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 20




def as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return x.copy(), y.copy()


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where the point lies outside the box in which GCJ-02 applies.

    This is the box every published GCJ-02 implementation uses (lon 72.004–137.8347,
    lat 0.8293–55.8271); outside it GCJ-02 coordinates equal WGS84.
    """
    x, y = as_arrays(lon, lat)
    return np.asarray((x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271))


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS84 (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat += common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon += common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (高德/腾讯).

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays of the same shape.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 (lon, lat); scalars come back as 0-d arrays (``float()`` them).
    """
    x, y = as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(x, y)
    outside = out_of_china(x, y)
    return np.where(outside, x, x + dlon), np.where(outside, y, y + dlat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (百度), closed form."""
    x, y = as_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(x_bd: FloatArray, y_bd: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = x_bd - 0.0065
    y = y_bd - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    x_target: FloatArray,
    y_target: FloatArray,
    x0: FloatArray,
    y0: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Invert a near-identity ``forward`` by fixed-point iteration from (x0, y0).

    Each step moves the estimate by the residual ``forward(estimate) - target``, which
    converges because the Jacobian of ``forward`` is within 1e-4 of the identity.
    """
    shape = x0.shape
    x, y = x0.ravel().copy(), y0.ravel().copy()
    x_target, y_target = x_target.ravel(), y_target.ravel()
    active = np.isfinite(x) & np.isfinite(y)
    for _ in range(_INVERSE_MAX_ITER):
        if not active.any():
            break
        fx, fy = forward(x[active], y[active])
        rx, ry = fx - x_target[active], fy - y_target[active]
        x[active] -= rx
        y[active] -= ry
        # Each point stops on its own residual, so results do not depend on the batch.
        still = (np.abs(rx) >= _INVERSE_TOL_DEG) | (np.abs(ry) >= _INVERSE_TOL_DEG)
        active[np.flatnonzero(active)[~still]] = False
    else:
        if active.any():
            logger.warning(
                "inverse coordinate transform: %d point(s) not converged after %d steps",
                int(active.sum()),
                _INVERSE_MAX_ITER,
            )
    return x.reshape(shape), y.reshape(shape)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 (高德/腾讯) longitude/latitude to WGS84.

    Iterates :func:`wgs84_to_gcj02` until it reproduces the input within 1e-9 degrees
    (at most 20 steps; typically 3–4), so the error is about a millimetre at most.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays of the same shape.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 (lon, lat).  Points outside China are returned unchanged.
    """
    x, y = as_arrays(lon, lat)
    if x.size == 0:
        return x, y
    dlon, dlat = _gcj_offset(x, y)
    wx, wy = _invert(wgs84_to_gcj02, x, y, x - dlon, y - dlat)
    outside = out_of_china(x, y)
    return np.where(outside, x, wx), np.where(outside, y, wy)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 (百度) longitude/latitude to GCJ-02 (iteratively refined inverse)."""
    x, y = as_arrays(lon, lat)
    if x.size == 0:
        return x, y
    gx, gy = _bd09_to_gcj02_approx(x, y)
    return _invert(gcj02_to_bd09, x, y, gx, gy)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 (百度) longitude/latitude to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude to BD-09 (百度)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


