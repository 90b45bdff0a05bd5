"""Which coordinate system a source is in — and the one question the numbers cannot answer.

Metres are recognised from the numbers: Gauss-Krüger eastings with the zone number in front
(39 512 345 m → zone 39, EPSG:4527) name their zone; without it the zone comes from the other
files' longitudes (:func:`coverage.coordinates.guess_gauss_kruger`).  Degrees are another
matter: GCJ-02 (高德/腾讯) is WGS84 shifted by a few hundred metres, and nothing in the
numbers tells them apart.  A source in degrees takes the system its file declares (a .prj,
a title row "WGS84", a 坐标系 column "GCJ-02（高德地图拾取）") or the planner's answer;
without either it stays a question.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pyproj

from coverage import crs as crs_mod
from coverage.coordinates import guess_gauss_kruger, parse_coordinate
from coverage.problems import InputError
from coverage.scaffold._columns import norm_header
from coverage.scaffold._model import CRSGuess, Reason
from coverage.synonyms import COORD_SOURCE_CRS, COORD_SOURCE_SYNONYMS
from coverage.vocabulary import COORD_SOURCE

__all__ = [
    "ANSWER_FIX",
    "answer_crs",
    "apply_answer",
    "declared_source",
    "table_crs",
    "vector_crs",
]

ANSWER_FIX = (
    "数据来自 (where do the coordinates come from)：高德/腾讯地图 → --source amap (crs = "
    '"gcj02") · 百度地图 → --source baidu (crs = "bd09") · GPS/天地图 → --source gps / '
    'tianditu (crs = "EPSG:4326" / "EPSG:4490") · 投影坐标 (projected metres) → the zone, e.g. '
    '--source "EPSG:4527"'
)
_WORDS = sorted(((norm_header(w), code) for code, ws in COORD_SOURCE_SYNONYMS.items()
                 for w in ws), key=lambda t: -len(t[0]))


def answer_crs(answer: str) -> tuple[str, str]:
    """The ``(source code, crs)`` an answer means: ``"amap"`` → ``("amap", "gcj02")``.

    Accepts the source codes of :data:`~coverage.vocabulary.COORD_SOURCE`, their Chinese
    names (高德, 百度 …) and any CRS :func:`coverage.crs.parse_crs` knows (``"EPSG:4527"``).

    Raises
    ------
    InputError
        Not a source or CRS; the message lists the answers.
    """
    text = str(answer).strip()
    key = norm_header(text)
    if text in COORD_SOURCE_CRS:
        return text, COORD_SOURCE_CRS[text]
    for word, code in _WORDS:
        if key == word:
            return code, COORD_SOURCE_CRS[code]
    try:
        spec = crs_mod.parse_crs(text)
    except InputError:
        raise InputError.single(
            "无法识别的坐标来源 (unknown coordinate source)", value=text,
            column="--source", code="unknown_source",
            fix="answer one of: " + ", ".join(f"{c} ({COORD_SOURCE.label(c)})"
                                              for c in COORD_SOURCE) + ", or an EPSG code",
        ) from None
    return spec.label, spec.label


def declared_source(texts: Iterable[str]) -> tuple[str, str] | None:
    """``(source code, the text)`` when one of ``texts`` names exactly one source."""
    found: dict[str, str] = {}
    for text in texts:
        key = norm_header(text)
        if not key:
            continue
        for word, code in _WORDS:
            if len(word) >= 3 and word in key:
                found.setdefault(code, str(text).strip())
                break
    crss = {COORD_SOURCE_CRS[c] for c in found}
    if len(crss) != 1:
        return None
    code = next(iter(found))
    return code, found[code]


def _numbers(values: Sequence[str]) -> np.ndarray:
    out = []
    for v in values:
        if not v.strip():
            out.append(math.nan)
            continue
        try:
            out.append(parse_coordinate(v))
        except ValueError:
            try:
                out.append(float(v.replace(",", "")))
            except ValueError:
                out.append(math.nan)
    return np.asarray(out, dtype=float)


def _bounds(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None
    return (float(x[ok].min()), float(y[ok].min()), float(x[ok].max()), float(y[ok].max()))


def _degrees(evidence: Iterable[str]) -> CRSGuess:
    declared = declared_source(evidence)
    if declared is not None:
        code, text = declared
        return CRSGuess("degrees", COORD_SOURCE_CRS[code],
                        Reason.of("declared_text", evidence=text), 0.85, evidence=text)
    return CRSGuess("degrees", "EPSG:4326", Reason.of("degrees_ambiguous"), 0.3,
                    needs_answer=True)


def table_crs(lon: Sequence[str], lat: Sequence[str], *, evidence: Iterable[str],
              lon_hint: float | None) -> tuple[CRSGuess, bool]:
    """The system of a table's coordinate columns, and whether they are swapped.

    Returns
    -------
    (CRSGuess, bool)
        The guess, and True when the northings are in the "lon" column (Chinese surveys
        call the northing X): the caller swaps the roles.
    """
    x, y = _numbers(lon), _numbers(lat)
    bounds = _bounds(x, y)
    if bounds is None:
        return CRSGuess("none", "EPSG:4326", Reason.of("no_coordinates"), 0.0), False
    ok = np.isfinite(x) & np.isfinite(y)
    big = (np.abs(x[ok]) > 180) | (np.abs(y[ok]) > 180)
    if not big.mean() > 0.5:
        return _with_bounds(_degrees(evidence), bounds), False
    gk = guess_gauss_kruger(x[ok][big], y[ok][big], lon_hint=lon_hint)
    if gk is None:
        # no zone number and no other file to take the longitude from: ask for the zone;
        # in China a northing (2 000 000 m and more) is larger than an easting without zone
        swapped = bool(np.median(x[ok][big]) > np.median(y[ok][big])) and bool(
            (np.abs(y[ok][big]) < 1_000_000).all())
        guess = CRSGuess("metres", "", Reason.of("gk_unknown_zone"), 0.2, needs_answer=True,
                         bounds=bounds)
        return guess, swapped
    reason = (Reason.of("gk_prefix", zone=gk.zone) if gk.prefixed
              else Reason.of("gk_no_prefix", zone=gk.zone))
    guess = CRSGuess("metres", f"EPSG:{gk.epsg}", reason, 0.9 if gk.prefixed else 0.6,
                     bounds=bounds, epsg=gk.epsg)
    return guess, gk.swapped


def _with_bounds(g: CRSGuess, bounds: tuple[float, float, float, float] | None) -> CRSGuess:
    return CRSGuess(g.units, g.crs, g.reason, g.confidence, g.needs_answer, g.evidence, bounds,
                    g.epsg)


def vector_crs(crs: pyproj.CRS | None, *, explicit: bool,
               bounds: tuple[float, float, float, float] | None, evidence: Iterable[str],
               lon_hint: float | None) -> CRSGuess:
    """The system of a vector file: its declared CRS (``explicit``: a .prj, a GeoJSON
    ``crs`` member, a GeoPackage) or the numbers."""
    if bounds is None:
        return CRSGuess("none", "", Reason.of("no_coordinates"), 0.0)
    metres = max(abs(v) for v in bounds) > 180
    if crs is not None and explicit and crs.is_projected:
        return CRSGuess("metres", "", Reason.of("declared_prj"), 0.95, evidence=crs.name,
                        bounds=bounds, epsg=crs.to_epsg())
    if metres:
        x = np.array([bounds[0], bounds[2]])
        y = np.array([bounds[1], bounds[3]])
        gk = guess_gauss_kruger(x, y, lon_hint=lon_hint)
        if gk is None or gk.swapped:
            return CRSGuess("metres", "", Reason.of("gk_unknown_zone"), 0.2, needs_answer=True,
                            bounds=bounds)
        reason = (Reason.of("gk_prefix", zone=gk.zone) if gk.prefixed
                  else Reason.of("gk_no_prefix", zone=gk.zone))
        return CRSGuess("metres", f"EPSG:{gk.epsg}", reason, 0.9 if gk.prefixed else 0.6,
                        bounds=bounds, epsg=gk.epsg)
    guess = _degrees(evidence)
    if guess.reason.code == "degrees_ambiguous" and crs is not None and explicit:
        label = crs_mod.CRSSpec("epsg", crs).label
        guess = CRSGuess("degrees", "", Reason.of("declared_prj"), 0.6, needs_answer=True,
                         evidence=label, epsg=crs.to_epsg())
    elif guess.reason.code == "degrees_ambiguous":
        guess = CRSGuess("degrees", "", guess.reason, guess.confidence, needs_answer=True)
    return _with_bounds(guess, bounds)


def apply_answer(guess: CRSGuess, answer: str | None, *, explicit: bool) -> CRSGuess:
    """``guess`` with the planner's answer: it decides degrees, and metres of unknown zone.

    Parameters
    ----------
    guess
        The guess from the numbers and the file.
    answer
        ``amap``, ``gps`` …, or a CRS (``"EPSG:4527"``); None: no answer.
    explicit
        The answer was given for this source: one that does not fit its numbers (a
        projection for degrees, a source of degrees for metres) is an error.  A global answer
        applies only to the sources it fits.

    Raises
    ------
    InputError
        Unknown answer; an explicit answer that does not fit.
    """
    if answer is None or guess.units == "none":
        return guess
    code, crs_text = answer_crs(answer)
    spec = crs_mod.parse_crs(crs_text)
    projected = spec.crs is not None and spec.crs.is_projected
    epsg = spec.crs.to_epsg() if spec.crs is not None else None
    if projected != (guess.units == "metres"):
        if not explicit:
            return guess
        what = ("metres, not degrees" if guess.units == "metres" else "degrees, not metres")
        raise InputError.single(
            f"坐标与回答不符 (the coordinates are {what}, so the answer {answer!r} does not "
            "fit)", value=answer, column="--source", code="answer_does_not_fit",
            fix=ANSWER_FIX)
    if guess.units == "metres" and not explicit and not guess.needs_answer:
        return guess
    return CRSGuess(guess.units, crs_text, Reason.of("answer", answer=code), 1.0,
                    evidence=guess.evidence, bounds=guess.bounds, epsg=epsg)
