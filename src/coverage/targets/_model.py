"""Policy target presets: the indicator and preset dataclasses (parsing is in _presets.py).

A preset is one TOML file per policy document (``presets/*.toml``)::

    [preset]
    id = "national_2018"
    name = "全国社会心理服务体系建设试点工作方案"
    document = "国卫疾控发〔2018〕44号"
    issued = 2018-11-16
    source = "004_4d7cfc87014f5108.txt"     # default citation file
    deadline = 2021-12-31                   # default deadline of every indicator

    [[indicator]]
    id = "village_room_rate"
    name = "村(社区)心理咨询室或社会工作室建成率"
    kind = "rate"                # rate | count | per_population | staff_ratio
    scope = "county"             # county | township | village (every unit)
    target = 0.8
    denominator = { layers = ["village", "community"] }
    numerator = { statuses = ["built"] }
    citation = { quote = "心理咨询室或社会工作室建成率达 80%以上" }

Numerators and denominators are *selectors*: ``layers`` (layer kinds), ``units = "township"``
(the townships themselves: "covering 30% of townships"), ``statuses`` (which room statuses
count), ``where`` (conditions on canonical columns: a scalar means equal, a list means one of,
a table ``{ ge = 2 }`` uses an operator from :data:`OPERATORS`; the pseudo-column ``urban``
is :func:`coverage.region.is_urban`) and ``column`` (sum this staff/population column instead
of counting units).

Targets are kept as exact :class:`fractions.Fraction` built from the number's decimal text, so
``0.8 * 25`` is exactly 20 and shortfalls never suffer float rounding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from coverage.problems import InputError
from coverage.vocabulary import CANONICAL_FIELDS, INDICATOR_KIND, SCOPE

__all__ = [
    "INDICATOR_KINDS",
    "OPERATORS",
    "SCOPES",
    "Citation",
    "Condition",
    "Indicator",
    "Selector",
    "TargetPreset",
    "is_room_rate",
]

IndicatorKind = Literal["rate", "count", "per_population", "staff_ratio"]
Scope = Literal["county", "township", "village"]

#: Indicator kinds and scopes (their words are in coverage.vocabulary).
INDICATOR_KINDS: tuple[str, ...] = INDICATOR_KIND.codes
SCOPES: tuple[str, ...] = SCOPE.codes
#: ``where`` operators: name -> description.
OPERATORS: dict[str, str] = {
    "eq": "等于",
    "ne": "不等于",
    "in": "属于",
    "not_in": "不属于",
    "ge": "≥",
    "gt": ">",
    "le": "≤",
    "lt": "<",
}
#: columns a ``where`` condition may test: the canonical layer columns plus ``urban``.
WHERE_COLUMNS: tuple[str, ...] = (
    "id", "name", "kind", "status", "township_code", "township_name", "village_code",
    *(c for c in CANONICAL_FIELDS if c not in ("lon", "lat", "wkt", "township", "status",
                                             "id", "name")),
    "urban",
)
#: numeric columns that ``column`` may sum.
SUM_COLUMNS: tuple[str, ...] = tuple(c for c, (t, _) in CANONICAL_FIELDS.items() if t == "float")




@dataclass(frozen=True)
class Condition:
    """One ``where`` test on a canonical column, e.g. ``grade ge 2``."""

    column: str
    op: str
    value: Any

    def describe(self) -> str:
        """Return the condition as short text, e.g. ``grade ≥ 2``."""
        value = "/".join(map(str, self.value)) if isinstance(self.value, tuple) else self.value
        return f"{self.column} {OPERATORS[self.op]} {value}"


@dataclass(frozen=True)
class Selector:
    """Which units (or which sum of a column over units) a numerator/denominator counts."""

    layers: tuple[str, ...] = ()
    units: str | None = None
    statuses: tuple[str, ...] = ()
    where: tuple[Condition, ...] = ()
    column: str | None = None


@dataclass(frozen=True)
class Citation:
    """Where a target comes from: the document file and a verbatim quote of the clause."""

    file: str
    quote: str
    clause: str = ""


@dataclass(frozen=True)
class Indicator:
    """One policy indicator with its target.

    ``target`` is a fraction for ``rate`` (0.8 = 80%), a number of sites for ``count`` and
    a number of staff (or sites) per ``per`` denominator units for ``per_population`` and
    ``staff_ratio`` (15 per 100000 residents; 1 per 4000 students).
    """

    id: str
    name: str
    kind: IndicatorKind
    scope: Scope
    target: Fraction
    numerator: Selector
    denominator: Selector | None
    citation: Citation
    per: int | None = None
    deadline: dt.date | None = None
    enabled: bool = True
    note: str = ""
    source: str = "preset"

    @property
    def target_text(self) -> str:
        """The target as a planner writes it: ``≥80%``, ``≥40个``, ``≥15人/10万人``, ``1:4000``."""
        t = self.target
        if self.kind == "rate":
            pct = t * 100
            return f"≥{_num_text(pct)}%"
        if self.kind == "count":
            return f"≥{_num_text(t)}个"
        if self.kind == "staff_ratio":
            return f"≥{_num_text(t)}:{self.per}"
        per = self.per or 100_000
        per_text = f"{per // 10_000}万" if per % 10_000 == 0 else str(per)
        unit = "人" if self.numerator.column else "个"
        return f"≥{_num_text(t)}{unit}/{per_text}人"


@dataclass(frozen=True)
class TargetPreset:
    """A set of indicators from one policy document (or a user file)."""

    id: str
    name: str
    indicators: tuple[Indicator, ...]
    document: str = ""
    issued: dt.date | None = None
    source: str = ""
    deadline: dt.date | None = None
    note: str = ""
    path: Path | None = None

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator with this id (:class:`InputError` naming the known ids)."""
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise InputError.single(
            f"preset {self.id!r} has no indicator {indicator_id!r}",
            column="indicator", value=indicator_id,
            fix="one of: " + ", ".join(i.id for i in self.indicators))

    @property
    def enabled(self) -> tuple[Indicator, ...]:
        """The indicators that are computed."""
        return tuple(i for i in self.indicators if i.enabled)

    def room_indicator(self) -> Indicator | None:
        """The indicator of building rooms in villages and communities, or None.

        The headline of maps and reports and the default indicator of the suggest stage:
        the first enabled ``rate`` indicator counted over units of the ``village`` and/or
        ``community`` layers (no other layer, no ``where`` filter) whose numerator counts
        built rooms by status (``statuses`` set, no staff or column condition) — the
        "村(社区)心理咨询室或社会工作室建成率" of the work plans.  Among several, one whose
        denominator holds both villages and communities is preferred.
        """
        found = [i for i in self.enabled if is_room_rate(i)]
        both = [i for i in found if i.denominator is not None
                and set(i.denominator.layers) == {"village", "community"}]
        chosen = both or found
        return chosen[0] if chosen else None


def is_room_rate(ind: Indicator) -> bool:
    """Whether ``ind`` counts units of villages/communities with a built room (a rate)."""
    den, num = ind.denominator, ind.numerator
    return (ind.kind == "rate" and den is not None and bool(den.layers) and not den.units
            and set(den.layers) <= {"village", "community"} and not den.where
            and bool(num.statuses) and not num.where and not num.column
            and (not num.layers or set(num.layers) <= set(den.layers)))


def _num_text(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return f"{float(x):g}"
