"""Coordinates as planners type them: decimal degrees, 度分秒, hemisphere words, WKT.

``117°15′30″``, ``117度15分30秒``, ``东经117.25``, ``N35.6``, ``117 15 30`` and plain numbers are
read into decimal degrees; everything else is reported with the reason, never guessed.
Projected coordinates (metres) are read as plain numbers, and :func:`guess_gauss_kruger`
recognises Gauss-Krüger metres typed into longitude/latitude columns and names the CRS.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "GaussKrugerGuess",
    "guess_gauss_kruger",
    "parse_coordinate",
    "parse_coordinates",
    "parse_wkt_column",
]

_MISSING = frozenset({"nan", "null", "none", "#n/a", "n/a", "na"})


_NUM = r"\d+(?:\.\d+)?"
_DEG_MARK = r"(?:°|度)"
_MIN_MARK = r"(?:′|'|’|‘|分)"
_SEC_MARK = r"(?:\"|”|“|''|′′|秒)"
_DMS_SYMBOLS = re.compile(
    rf"^(?P<d>{_NUM})\s*{_DEG_MARK}\s*"
    rf"(?:(?P<m>{_NUM})\s*(?:{_MIN_MARK})?\s*"
    rf"(?:(?P<s>{_NUM})\s*(?:{_SEC_MARK})?\s*)?)?$"
)
_DMS_SPACES = re.compile(rf"^(?P<d>\d+)\s+(?P<m>{_NUM})(?:\s+(?P<s>{_NUM}))?$")
_DECIMAL = re.compile(rf"^(?P<d>{_NUM}|\.\d+)\s*{_DEG_MARK}?$")
_HEMI_PREFIX = re.compile(r"^(东经|西经|北纬|南纬|[NSEWnsew])\s*")
_HEMI_SUFFIX = re.compile(r"\s*(东经|西经|北纬|南纬|[NSEWnsew])$")
_HEMI_SIGN = {"东经": 1, "北纬": 1, "西经": -1, "南纬": -1, "n": 1, "e": 1, "s": -1, "w": -1}
_HEMI_LAT = {"北纬", "南纬", "n", "s"}
#: A plain number with optional blanks around it.  Only the blanks float() strips too: ``\s``
#: would also match the ASCII separators U+001C-U+001F, which float() refuses.
_PLAIN_NUMBER = r"[ \t\r\n]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)[ \t\r\n]*"


def parse_coordinate(text: str) -> float:
    """Parse one longitude or latitude written by hand.

    Accepts decimal degrees (``"117.2583"``, ``"117.2583°"``, ``"-117.5"``), degrees-minutes-
    seconds (``"117°15′30″"``, ``"117°15'30\\""``, ``"117度15分30秒"``, ``"117 15 30"``),
    degrees and decimal minutes (``"35°39.5′"``), with a hemisphere letter before or after
    (``N/S/E/W``) or a Chinese prefix (``东经``/``北纬``/``西经``/``南纬``).  Full-width
    characters are accepted.

    Parameters
    ----------
    text
        The cell text.

    Returns
    -------
    float
        Signed decimal degrees (S and W negative).

    Raises
    ------
    ValueError
        With the reason: empty, decimal comma (ambiguous), minutes or seconds ≥ 60,
        fractional degrees followed by minutes, a sign together with a hemisphere, beyond
        ±180° (±90° for N/S), or an unrecognised form.

    Examples
    --------
    >>> parse_coordinate("117°15′30″E")
    117.25833333333334
    >>> parse_coordinate("S35°39.5′")
    -35.65833333333333
    """
    original = text
    s = str(text).replace("″", '"').replace("〃", '"').replace("º", "°").replace("˚", "°")
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        raise ValueError("空 (empty)")
    if s.lower() in _MISSING:
        raise ValueError(
            f"{original!r} 不是坐标 (not a coordinate: a missing value written as text by the "
            "program that exported the table)"
        )
    if "," in s:
        raise ValueError(
            f"含逗号 (contains a comma): {original!r} is ambiguous (decimal comma or two "
            "numbers?); write one number with a decimal point, e.g. 117.2583"
        )
    sign = 1.0
    hemisphere: str | None = None
    for pattern in (_HEMI_PREFIX, _HEMI_SUFFIX):
        match = pattern.search(s)
        if match:
            if hemisphere is not None:
                raise ValueError(f"两个方位 (two hemisphere markers) in {original!r}")
            hemisphere = match.group(1).lower()
            s = (s[: match.start()] + s[match.end() :]).strip()
    if s[:1] in "+-":
        if hemisphere is not None:
            raise ValueError(
                f"符号与方位同时出现 (both a sign and a hemisphere) in {original!r}; use one"
            )
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].strip()
    if hemisphere is not None:
        sign = float(_HEMI_SIGN[hemisphere])

    match = _DECIMAL.fullmatch(s) or _DMS_SYMBOLS.fullmatch(s) or _DMS_SPACES.fullmatch(s)
    if match is None:
        raise ValueError(
            f"无法识别的坐标 (unrecognised coordinate) {original!r}; use decimal degrees "
            "(117.2583) or degrees-minutes-seconds (117°15′30″)"
        )
    groups = match.groupdict()
    degrees = float(groups["d"])
    minutes = float(groups["m"]) if groups.get("m") else 0.0
    seconds = float(groups["s"]) if groups.get("s") else 0.0
    if groups.get("m") and not degrees.is_integer():
        raise ValueError(f"度带小数又有分 (fractional degrees followed by minutes) in {original!r}")
    if groups.get("s") and not minutes.is_integer():
        raise ValueError(f"分带小数又有秒 (fractional minutes followed by seconds) in {original!r}")
    if minutes >= 60:
        raise ValueError(f"分必须小于60 (minutes must be < 60) in {original!r}")
    if seconds >= 60:
        raise ValueError(f"秒必须小于60 (seconds must be < 60) in {original!r}")
    value = degrees + minutes / 60.0 + seconds / 3600.0
    limit = 90.0 if hemisphere in _HEMI_LAT else 180.0
    if value > limit:
        raise ValueError(f"超出范围 (beyond {limit:g}°) in {original!r}")
    return sign * value


def parse_coordinates(
    series: pd.Series | Sequence[object],
    *,
    degrees: bool = True,
) -> tuple[NDArray[np.float64], list[tuple[Any, str]]]:
    """Parse a column of coordinates with :func:`parse_coordinate`.

    Parameters
    ----------
    series
        Cell texts (numbers are accepted too).
    degrees
        True (default): longitude/latitude, plain numbers beyond ±180 are errors.  False:
        projected metres, every cell must be a plain number (full-width digits accepted).

    Returns
    -------
    values : numpy.ndarray
        Decimal degrees; NaN where parsing failed.
    errors : list of (index, message)
        One entry per failed cell, with the series' index label.
    """
    s = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    text = s.astype(str).where(s.notna(), "")
    # a control character (other than tab/CR/LF) is junk in a coordinate cell: report the row
    control = text.str.contains(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", regex=True).to_numpy(bool)
    values = np.full(len(s), np.nan, dtype=np.float64)
    if not degrees:
        text = text.map(lambda t: unicodedata.normalize("NFKC", t).strip())
    plain = text.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool)
    if plain.any():
        values[plain] = text[plain].astype(float).to_numpy()
        out_of_range = plain & (np.abs(values) > 180.0) if degrees else np.zeros(len(s), bool)
    else:
        out_of_range = np.zeros(len(s), dtype=bool)
    errors: list[tuple[Any, str]] = []
    if not degrees:
        for pos in np.flatnonzero(~plain):
            reason = ("空 (empty)" if not text.iloc[pos] else
                      f"不是米制坐标 (not a number of metres: {text.iloc[pos]!r})")
            errors.append((s.index[pos], reason))
        return values, errors
    blank = (text.str.strip() == "").to_numpy(dtype=bool)
    for pos in np.flatnonzero(~plain | out_of_range | control):
        label = s.index[pos]
        if control[pos]:
            values[pos] = np.nan
            errors.append((label, "含控制字符 (a control character in the cell: "
                                  f"{text.iloc[pos]!r}); retype the number"))
            continue
        if blank[pos]:
            errors.append((label, "空 (empty)"))
            continue
        if out_of_range[pos]:
            values[pos] = np.nan
            errors.append((label, f"超出范围 (beyond 180°) in {text.iloc[pos]!r}"))
            continue
        try:
            values[pos] = parse_coordinate(text.iloc[pos])
        except ValueError as exc:
            errors.append((label, str(exc)))
    return values, errors


def parse_wkt_column(
    series: pd.Series | Sequence[object],
) -> tuple[gpd.GeoSeries, list[tuple[Any, str]]]:
    """Parse a column of WKT geometries (``POINT (117.25 35.65)``).

    Returns
    -------
    geometries : geopandas.GeoSeries
        Same index as the input, no CRS; missing where parsing failed.
    errors : list of (index, message)
        One entry per empty or invalid cell.
    """
    s = series if isinstance(series, pd.Series) else pd.Series(list(series), dtype=object)
    text = s.astype(str).where(s.notna(), "").str.strip()
    geoms = np.full(len(s), None, dtype=object)
    errors: list[tuple[Any, str]] = []
    for pos, value in enumerate(text):
        label = s.index[pos]
        if not value:
            errors.append((label, "空 (empty WKT)"))
            continue
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # 1e400 overflows
                geom = shapely.from_wkt(value)
        except shapely.errors.GEOSException as exc:
            errors.append((label, f"WKT 无效 (invalid WKT): {exc}"))
            continue
        if geom is None or geom.is_empty:
            errors.append((label, "空几何 (an empty geometry: no location)"))
        elif not np.isfinite(shapely.get_coordinates(geom)).all():
            errors.append((label, "坐标不是有限数 (a coordinate is not a finite number)"))
        else:
            geoms[pos] = geom
    return gpd.GeoSeries(geoms, index=s.index), errors


@dataclass(frozen=True)
class GaussKrugerGuess:
    """Gauss-Krüger metres recognised in longitude/latitude columns.

    Attributes
    ----------
    epsg
        The CGCS2000 Gauss-Krüger CRS to set (``crs = "EPSG:…"``).
    zone
        The zone number (from the easting prefix, or from the region's longitude).
    width
        3 or 6 (degrees per zone).
    prefixed
        The eastings carry the zone number (``39512345.6``).
    swapped
        Northings are in the longitude column and eastings in the latitude column.
    """

    epsg: int
    zone: int
    width: int
    prefixed: bool
    swapped: bool = False

    def describe(self) -> str:
        """How the guess was made, for the message."""
        how = (f"eastings start with the zone number {self.zone}" if self.prefixed else
               f"eastings without a zone number; zone {self.zone} from the region's longitude")
        return f"CGCS2000 {self.width}-degree Gauss-Krüger zone {self.zone} ({how})"


def _gk_from(x: NDArray[np.float64], y: NDArray[np.float64], lon_hint: float | None,
             swapped: bool) -> GaussKrugerGuess | None:
    northing = (y > 300_000) & (y < 6_000_000)
    if not northing.all():
        return None
    prefix = np.floor(x / 1_000_000).astype(int)
    if (x >= 10_000_000).all() and (prefix == prefix[0]).all():
        zone = int(prefix[0])
        if 25 <= zone <= 45:
            return GaussKrugerGuess(4513 + zone - 25, zone, 3, True, swapped)
        if 13 <= zone <= 23:
            return GaussKrugerGuess(4491 + zone - 13, zone, 6, True, swapped)
        return None
    if ((x > 100_000) & (x < 900_000)).all() and lon_hint is not None:
        zone = round(lon_hint / 3)
        if 25 <= zone <= 45:
            return GaussKrugerGuess(4534 + zone - 25, zone, 3, False, swapped)
    return None


def guess_gauss_kruger(
    lon: ArrayLike, lat: ArrayLike, *, lon_hint: float | None = None
) -> GaussKrugerGuess | None:
    """Recognise Gauss-Krüger metres typed into longitude/latitude columns.

    Parameters
    ----------
    lon, lat
        The numbers read from the columns (NaN where a cell is not a number).
    lon_hint
        The region's longitude (centre of the county), which picks the zone when the
        eastings carry no zone number.

    Returns
    -------
    GaussKrugerGuess or None
        None unless every finite pair looks like a CGCS2000 Gauss-Krüger easting/northing
        in China (either way round).

    Examples
    --------
    >>> guess_gauss_kruger([39512345.6], [3945678.9]).epsg
    4527
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    return _gk_from(x, y, lon_hint, False) or _gk_from(y, x, lon_hint, True)
