"""Result objects of the location models (frozen dataclasses) and their codes.

Every outcome is described by codes, never by display words; the English ``message`` is a
convenience for logs.  Downstream layers branch on the codes and read the numbers from
``values``.

Status codes (:data:`Status`)
    ``optimal``
        Proven optimal.  Only claimed when the selection meets every rule of the user's
        (unreduced) problem, its objective was recomputed on that input, and that objective
        equals a proven bound (HiGHS's ``mip_dual_bound`` after its solution was checked
        row by row, an LP or Lagrangian bound, or a completed exact search).
    ``feasible``
        A selection meeting every rule, not proven optimal; ``gap`` is the proven relative
        gap to ``bound`` and ``stop`` says why the search ended.
    ``infeasible``
        The rules cannot all be met; ``reasons`` says why, as data.
    ``no_solution``
        The search ended (``stop``) before any selection meeting the rules was found; the
        problem may or may not be feasible.

Stop codes (:data:`StopReason`), why the run ended
    ``completed``
        The search finished: optimality or infeasibility is proven.
    ``gap_limit``
        The proven gap fell below the requested ``mip_gap``.
    ``time_limit``
        The time limit was reached.
    ``solver_mismatch``
        The MILP solver's answer failed the check (a returned solution breaking a row, an
        objective different from the one claimed, infeasibility claimed against a checked
        start) and could not be repaired in the time left, or the solver stopped for
        another reason (an error); the best checked selection is returned with its true
        gap.

``limited_by`` (:data:`LimitedBy`), why fewer than ``p`` new sites were chosen
    ``budget``
        No further allowed candidate fits in the budget left.
    ``no_gain``
        With a budget ``p`` is a maximum: more sites would fit but none improves the
        objective (the unused budget is in ``values``).
    ``candidates``
        ``p`` is at least the number of allowed candidates: all of them are built.

Infeasibility reason codes (:class:`InfeasibilityReason`; the numbers are in ``values``)
    ``forced_exceed_p``
        ``forced`` sites are forced but only ``p`` new sites are allowed.
    ``forced_over_budget``
        The forced sites cost ``cost`` but the budget is ``budget``.
    ``group_short_of_candidates``
        Group ``group`` needs ``need`` new sites but has only ``have`` allowed candidates.
    ``groups_exceed_p``
        The group minimums (with forced sites outside them) need ``need`` new sites but
        ``p`` allows fewer.
    ``groups_over_budget``
        Meeting the group minimums costs at least ``cost`` but the budget is ``budget``.
    ``unreachable_demand``
        ``count`` demand rows (``rows``, weight ``weight``) reach no allowed site (p-median,
        p-center, capacitated p-median).
    ``share_unreachable``
        Covering share ``share`` needs weight ``target`` but only ``reachable`` is within
        reach of an allowed site (LSCP).
    ``cover_over_budget``
        Covering the demand needs new sites costing ``cost`` (the cheapest cover, ``nan``
        when it could not be computed in time) but the budget is ``budget`` (LSCP, LSCP-B).
    ``capacity_short``
        Total demand ``demand`` exceeds the capacity ``capacity`` of the allowed sites.
    ``rules_conflict``
        The MILP solver proved that no selection meets the rules together, with no simpler
        explanation (e.g. the budget and the group minimums interact).
    ``candidates_short``
        Exactly ``p`` new sites are asked for but only ``have`` candidates are allowed
        (internal use: :func:`~coverage.optimize.solve` builds all candidates instead).

Note codes (:class:`Note`): facts about a feasible result
    ``all_candidates``
        ``p`` (``p``) is at least the number of allowed candidates (``candidates``):
        all are built.
    ``padded``
        Without a budget ``p`` is exact; the optimum is reached with ``useful`` new sites,
        the other ``n_new - useful`` were added to reach ``p`` and change nothing.
    ``limited``
        Fewer than ``p`` new sites were chosen; ``values`` holds ``p``, ``n_new``,
        ``budget``, ``spent`` and ``cheapest_left`` (see :data:`LimitedBy`).
    ``uncoverable_demand``
        ``count`` demand rows (``rows``, weight ``weight``) are beyond the service standard
        of every allowed site; they can never be covered (coverage models).
    ``weights_unused``
        The model does not use demand weights (p-center is unweighted).
    ``stage_one_not_optimal``
        LSCP-B: the minimum number of sites was not proven within the time limit, so the
        backup stage used ``n_sites`` sites (bound ``bound``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np

__all__ = [
    "InfeasibilityReason",
    "LimitedBy",
    "LocationResult",
    "Note",
    "Status",
    "StopReason",
    "infeasible_result",
]

Status = Literal["optimal", "feasible", "infeasible", "no_solution"]
"""Outcome of a run; see the module docstring."""

StopReason = Literal["completed", "gap_limit", "time_limit", "solver_mismatch"]
"""Why a run ended; see the module docstring."""

LimitedBy = Literal["budget", "no_gain", "candidates"]
"""Why fewer than ``p`` new sites were chosen; see the module docstring."""


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _frozen(values: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class InfeasibilityReason:
    """One reason why the rules cannot all be met.

    Attributes
    ----------
    code
        What is wrong; see the module docstring for the codes and their ``values``.
    message
        The same in English (for logs; never parse it).
    values
        The numbers behind the reason (e.g. ``need``, ``have``, ``budget``, ``cost``).
    group
        The group (township index) concerned, if any.
    rows
        Demand rows concerned (e.g. unreachable demand), if any.
    """

    code: str
    message: str
    values: Mapping[str, float] = field(default_factory=lambda: _frozen(None))
    group: int | None = None
    rows: np.ndarray = field(default_factory=_empty)


@dataclass(frozen=True)
class Note:
    """A fact about a result that a reader must know (not an error).

    Attributes
    ----------
    code
        See the module docstring for the codes and their ``values``.
    message
        The same in English (for logs; never parse it).
    values
        The numbers behind the note.
    rows
        Demand rows concerned, if any.
    """

    code: str
    message: str
    values: Mapping[str, float] = field(default_factory=lambda: _frozen(None))
    rows: np.ndarray = field(default_factory=_empty)


def reason(
    code: str, message: str, *, group: int | None = None, rows: np.ndarray | None = None,
    **values: float,
) -> InfeasibilityReason:
    """Build an :class:`InfeasibilityReason` (numbers as keyword arguments)."""
    return InfeasibilityReason(code, message, _frozen(values), group,
                               _empty() if rows is None else np.asarray(rows, dtype=np.int64))


def note(code: str, message: str, *, rows: np.ndarray | None = None, **values: float) -> Note:
    """Build a :class:`Note` (numbers as keyword arguments)."""
    return Note(code, message, _frozen(values),
                _empty() if rows is None else np.asarray(rows, dtype=np.int64))


@dataclass(frozen=True)
class LocationResult:
    """Outcome of one location model.

    Attributes
    ----------
    model
        ``"mclp"``, ``"lscp"``, ``"lscpb"``, ``"pmedian"``, ``"pcenter"`` or ``"quota"``.
    selected
        Column indices of the *new* sites, sorted.
    open_sites
        Column indices of every open site (new and existing), sorted.
    objective
        Objective of the selection evaluated on the full (unreduced) input: covered weight
        (MCLP, quota/coverage), number or build cost of new sites (LSCP), backup-covered
        weight (LSCP-B; ``details["n_sites"]`` is the minimum number of sites), weighted
        travel (p-median, quota/travel), worst travel (p-center).  ``nan`` without a
        selection.
    bound
        Proven bound on the optimum (upper bound when maximizing, lower when minimizing).
    gap
        Proven relative gap ``|objective - bound| / max(|objective|, tiny)``.
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``no_solution`` (:data:`Status`).
    solve_seconds
        Wall-clock seconds for the whole call (checks, reductions, heuristic, MILP).
    message
        English summary for logs (codes and numbers are in the other fields).
    stop
        Why the run ended (:data:`StopReason`).
    p
        The number of new sites asked for (``None`` when the model has no ``p``).  Without
        a budget ``p`` is exact; with a budget it is a maximum.
    n_new
        Number of new sites chosen (``len(selected)``).
    limited_by
        Why fewer than ``p`` new sites were chosen (:data:`LimitedBy`), else ``None``.
    reasons
        Why the rules cannot be met (status ``infeasible``), as data.
    notes
        Facts about the result a reader must know (all candidates built, padding, ...).
    assignment
        Demand row -> open site column (nearest open site, or the capacitated assignment);
        ``-1`` where a row reaches no open site.  ``None`` for pure coverage models.
    covered
        Demand rows covered by an open site (coverage models); ``None`` otherwise.
    coverage_weight
        Weight of covered demand (coverage models); ``None`` otherwise.
    uncoverable
        Demand rows that no allowed site (existing or candidate) can cover or reach.
    n_reduced_demand, n_reduced_candidates
        Demand rows and candidate columns of the model actually solved after reductions.
    details
        Model-specific figures, e.g. ``mean_distance``, ``max_distance``, ``backup_share``,
        ``rounds`` (p-median truncation rounds), ``heuristic_objective``, ``milp_resolves``
        (MILPs re-solved without their warm start after a failed check).
    """

    model: str
    selected: np.ndarray
    open_sites: np.ndarray
    objective: float
    bound: float
    gap: float
    status: Status
    solve_seconds: float
    message: str
    stop: StopReason = "completed"
    p: int | None = None
    n_new: int = 0
    limited_by: LimitedBy | None = None
    reasons: tuple[InfeasibilityReason, ...] = ()
    notes: tuple[Note, ...] = ()
    assignment: np.ndarray | None = None
    covered: np.ndarray | None = None
    coverage_weight: float | None = None
    uncoverable: np.ndarray = field(default_factory=_empty)
    n_reduced_demand: int = 0
    n_reduced_candidates: int = 0
    details: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_optimal(self) -> bool:
        """Whether the result is proven optimal."""
        return self.status == "optimal"

    @property
    def is_feasible(self) -> bool:
        """Whether a selection meeting every rule was found."""
        return self.status in ("optimal", "feasible")

    def note(self, code: str) -> Note | None:
        """The note with ``code``, or ``None``."""
        return next((n for n in self.notes if n.code == code), None)


def infeasible_result(
    model: str,
    reasons: list[InfeasibilityReason],
    *,
    seconds: float,
    p: int | None = None,
    uncoverable: np.ndarray | None = None,
    notes: tuple[Note, ...] = (),
) -> LocationResult:
    """A result saying, as data and in words, why no selection meets every rule."""
    text = "; ".join(r.message for r in reasons) if reasons else "the rules cannot all be met"
    return LocationResult(
        model=model,
        selected=_empty(),
        open_sites=_empty(),
        objective=float("nan"),
        bound=float("nan"),
        gap=float("inf"),
        status="infeasible",
        solve_seconds=seconds,
        message=f"No feasible selection: {text}.",
        stop="completed",
        p=p,
        reasons=tuple(reasons),
        notes=notes,
        uncoverable=_empty() if uncoverable is None else uncoverable,
    )


def no_solution_result(
    model: str,
    *,
    seconds: float,
    stop: StopReason,
    bound: float = float("nan"),
    p: int | None = None,
    uncoverable: np.ndarray | None = None,
) -> LocationResult:
    """A result for a run that ended before any selection meeting the rules was found."""
    return LocationResult(
        model=model,
        selected=_empty(),
        open_sites=_empty(),
        objective=float("nan"),
        bound=bound,
        gap=float("inf"),
        status="no_solution",
        solve_seconds=seconds,
        message=f"No selection meeting the rules was found before the run ended ({stop}).",
        stop=stop,
        p=p,
        uncoverable=_empty() if uncoverable is None else uncoverable,
    )
