"""Indicator engine: where each admin unit stands against each target, and the shortfall.

Rounding rule (stated once, used everywhere).  Targets are exact fractions (see
:mod:`coverage.targets._model`) and counts are integers, so every comparison is exact:

* ``rate``:            shortfall = max(0, ceil(target × denominator) − numerator)
  (80% of 23 villages needs ceil(18.4) = 19 built; 80% of 25 needs exactly 20, not 21);
* ``count``:           shortfall = max(0, target − numerator);
* ``per_population``:  shortfall = max(0, ceil(target × population / per − numerator));
* ``staff_ratio``:     the same on staff sums (1:4000 with 9,000 students needs 3 teachers).
  With ``scope = "village"`` the rule is applied to each unit and the needs are added up.

Scopes: ``county`` — the county row is the binding result and township rows are informative
("if each township had to meet it"); ``township`` — every township must meet it and the
county is met only if all applicable townships are (its shortfall is their sum);
``village`` — every unit (village, school, hospital …) must meet it; the units that do not
are listed one by one in :attr:`GapResult.flags`.

Missing inputs are never counted as zero: an absent layer that the indicator needs (when no
listed layer is present), or a needed column that is absent or entirely empty in a present
layer, makes the indicator ``no_data`` with the layer/column named in a note.  Units with a
zero denominator get rate NA and status ``not_applicable``.  A layer that is present but
empty (a header-only file) counts as absent: it cannot tell that the county has none.

The engine emits codes only: statuses (:data:`STATUS_VALUES`), shortfall units
(``site``/``person``) and notes (:class:`GapNote`, a code with parameters); their words are
in :mod:`coverage.vocabulary` and only the presentation layer renders them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coverage.problems import InputError
from coverage.targets._evaluate import Evaluator, roll_up
from coverage.targets._model import TargetPreset
from coverage.targets._rules import (
    FLAG_COLUMNS,
    MET,
    NO_DATA,
    NOT_APPLICABLE,
    PIPELINE_STATUSES,
    RANKING_COLUMNS,
    STATUS_VALUES,
    TABLE_COLUMNS,
    UNIT_COLUMNS,
    UNMET,
    GapNote,
    shortfall_count,
    shortfall_rate,
    shortfall_ratio,
)
from coverage.targets._tables import make_ranking, make_summary, make_table
from coverage.targets._tables import rows as indicator_rows

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
    "GapResult",
    "compute_gaps",
    "shortfall_count",
    "shortfall_rate",
    "shortfall_ratio",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GapResult:
    """Completion rates, targets and shortfalls per indicator and admin unit.

    Attributes
    ----------
    table
        One row per indicator × unit (county and every township); columns
        :data:`TABLE_COLUMNS` (English snake_case; ``status`` is a code, ``met``/``unmet``/
        ``no_data``/``not_applicable``; ``shortfall_unit`` is ``site`` or ``person``;
        ``notes`` holds a tuple of :class:`GapNote` per row).
    flags
        One row per unit that fails a ``scope = "village"`` indicator; :data:`FLAG_COLUMNS`.
    ranking
        Townships ranked by total site shortfall; :data:`RANKING_COLUMNS`
        (``unmet_indicators`` is a tuple of indicator ids per township).
    summary
        JSON-able dict: county result per indicator (``summary["indicators"][id]``).
    preset
        The preset (with overrides) that was evaluated.
    county_code, county_name
        The county.
    units
        For every rate indicator counted over units (villages, schools …), one row per
        unit in its denominator: :data:`UNIT_COLUMNS` (``in_numerator`` says whether the
        unit counts as having the facility; ``located`` whether it has coordinates).  The
        suggest stage reads it to tell which candidates raise which rate.
    """

    table: pd.DataFrame
    flags: pd.DataFrame
    ranking: pd.DataFrame
    summary: dict[str, Any]
    preset: TargetPreset
    county_code: str
    county_name: str
    units: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(UNIT_COLUMNS)))

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()

    def county(self) -> pd.DataFrame:
        """The county rows of :attr:`table`, one per indicator."""
        return self.table[self.table["unit_level"] == "county"].reset_index(drop=True)


def _check_townships(townships: pd.DataFrame) -> None:
    missing = [c for c in ("code", "name") if c not in townships.columns]
    if missing:
        raise InputError.single(
            "township table needs columns code and name", column=", ".join(missing),
            fix="pass Region.townships (columns code, name)")
    dup = townships["code"].astype(str).duplicated()
    if dup.any():
        raise InputError.single(
            "duplicate township codes", column="code",
            value=", ".join(townships["code"].astype(str)[dup].unique()),
            fix="each 乡镇(街道) must have one unique code")


def compute_gaps(
    *,
    layers: Mapping[str, pd.DataFrame],
    townships: pd.DataFrame,
    preset: TargetPreset,
    county_code: str,
    county_name: str,
) -> GapResult:
    """Compute every enabled indicator of ``preset`` for the county and each township.

    Parameters
    ----------
    layers
        Canonical layers by kind (``Region.layers``); GeoDataFrames or plain DataFrames with
        the canonical columns (geometry is not used).
    townships
        The townships (``Region.townships``): columns ``code`` and ``name``.
    preset
        The targets, e.g. ``apply_overrides(load_preset("national_2018"), ...)``.
    county_code, county_name
        The county row's code and name.

    Returns
    -------
    GapResult
        Tidy table, village/unit flags, township ranking and a JSON-able summary.

    Raises
    ------
    InputError
        The township table lacks ``code``/``name`` or has duplicate codes.
    """
    _check_townships(townships)
    names = dict(zip(townships["code"].astype(str), townships["name"].astype(str),
                     strict=True))
    table_rows: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    units: list[pd.DataFrame] = []
    for ind in preset.enabled:
        ev = Evaluator(ind, layers, townships)
        county, towns = ev.run()
        county.notes = list(dict.fromkeys([*county.notes, *ev.county_notes]))
        if ind.scope != "county":
            county = roll_up(county, towns)
        table_rows += indicator_rows(ind, preset, county_code, county_name, county, towns,
                                     names)
        flags += ev.flags
        if ev.units is not None:
            units.append(ev.units)
        logger.debug("indicator %s: %s", ind.id, county.status)
    table = make_table(table_rows)
    flag_frame = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    flag_frame["need"] = pd.to_numeric(flag_frame["need"], errors="coerce").astype("Int64")
    ranking = make_ranking(table, townships)
    summary = make_summary(table, preset, county_code, county_name)
    unit_frame = (pd.concat(units, ignore_index=True) if units
                  else pd.DataFrame(columns=list(UNIT_COLUMNS)))
    return GapResult(table=table, flags=flag_frame, ranking=ranking, summary=summary,
                     preset=preset, county_code=county_code, county_name=county_name,
                     units=unit_frame)
