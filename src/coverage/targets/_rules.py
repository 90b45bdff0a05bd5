"""The gap engine's codes and exact shortfall rules (see :mod:`coverage.targets.engine`)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from coverage.vocabulary import Note

__all__ = [
    "FLAG_COLUMNS",
    "MET",
    "NOT_APPLICABLE",
    "NO_DATA",
    "PIPELINE_STATUSES",
    "RANKING_COLUMNS",
    "STATUS_VALUES",
    "TABLE_COLUMNS",
    "UNIT_COLUMNS",
    "UNMET",
    "GapNote",
    "exact",
    "note",
    "shortfall_count",
    "shortfall_rate",
    "shortfall_ratio",
]

MET = "met"
UNMET = "unmet"
NO_DATA = "no_data"
NOT_APPLICABLE = "not_applicable"
STATUS_VALUES: tuple[str, ...] = (MET, UNMET, NO_DATA, NOT_APPLICABLE)
PIPELINE_STATUSES: tuple[str, ...] = ("under_construction", "planned")

TABLE_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator_name", "kind", "scope", "unit_level", "unit_code",
    "unit_name", "numerator", "denominator", "rate", "target", "per", "met", "shortfall",
    "shortfall_unit", "in_pipeline", "under_construction", "planned", "met_if_pipeline",
    "binding", "status", "deadline", "notes", "citation", "unlocated",
)
#: Columns of :attr:`GapResult.units`.
UNIT_COLUMNS: tuple[str, ...] = (
    "indicator_id", "layer", "id", "name", "township_code", "status", "in_numerator",
    "located",
)
FLAG_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator_name", "layer", "id", "name", "township_code",
    "township_name", "status", "need", "detail",
)
RANKING_COLUMNS: tuple[str, ...] = (
    "rank", "township_code", "township_name", "site_shortfall", "staff_shortfall",
    "binding_site_shortfall", "unmet_binding", "unmet_all", "no_data", "unmet_indicators",
)


# --------------------------------------------------------------------------- notes


#: A note on one result: a code of :data:`coverage.vocabulary.GAP_NOTE` with parameters.
GapNote = Note


def note(code: str, **params: object) -> GapNote:
    return Note.of(code, **params)


# --------------------------------------------------------------------------- shortfall rules


def shortfall_rate(numerator: int, denominator: int, target: Fraction) -> int:
    """Smallest number of extra counted units so that numerator / denominator ≥ target.

    >>> shortfall_rate(15, 25, Fraction(4, 5))   # 0.8 × 25 = 20 exactly
    5
    >>> shortfall_rate(15, 23, Fraction(4, 5))   # 0.8 × 23 = 18.4 -> 19
    4
    """
    return max(0, math.ceil(target * denominator) - numerator)


def shortfall_count(numerator: int, target: Fraction) -> int:
    """Extra sites so that the count reaches the target (a whole number)."""
    return max(0, math.ceil(target - numerator))


def shortfall_ratio(numerator: Fraction, denominator: Fraction, target: Fraction,
                    per: int) -> int:
    """Extra staff (or sites) so that numerator / denominator × per ≥ target.

    >>> shortfall_ratio(Fraction(1), Fraction(9000), Fraction(1), 4000)  # 1:4000, 9000 students
    2
    """
    return max(0, math.ceil(target * denominator / per - numerator))


def exact(x: object) -> Fraction:
    """Exact fraction of a number via its decimal text (12.3 -> 123/10)."""
    if isinstance(x, float | np.floating):
        return Fraction(repr(float(x)))
    return Fraction(int(x))  # type: ignore[call-overload]
