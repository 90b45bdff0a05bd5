"""Result objects of the location models (frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np

__all__ = ["LocationResult", "Status", "infeasible_result"]

Status = Literal["optimal", "gap_limit", "time_limit", "infeasible"]
"""``optimal``: proven optimal; ``gap_limit``: within the requested ``mip_gap``;
``time_limit``: stopped by the time limit with a feasible solution (see ``gap``);
``infeasible``: the rules cannot all be met (``message`` says why)."""


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


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
        Column indices of every open site (new and fixed), sorted.
    objective
        Objective of ``selected`` evaluated on the full input: covered weight (MCLP,
        quota/coverage), number or cost of new sites (LSCP), sites then backup-covered weight
        (LSCP-B: ``objective`` is the backup-covered weight), weighted travel (p-median,
        quota/travel), worst travel (p-center).
    bound
        Proven bound on the optimum (upper bound when maximizing, lower when minimizing).
    gap
        Proven relative gap ``|objective - bound| / max(|objective|, tiny)``.
    status
        See :data:`Status`.
    solve_seconds
        Wall-clock seconds for the whole call (reductions, heuristic, MILP).
    message
        Plain-language summary; explains infeasibility and uncoverable demand.
    assignment
        Demand row -> open site column (nearest open site, or the capacitated assignment);
        ``-1`` where a row reaches no open site.  ``None`` for pure coverage models.
    covered
        Demand rows covered by an open site (coverage models); ``None`` otherwise.
    coverage_weight
        Weight of covered demand (coverage models); ``None`` otherwise.
    uncoverable
        Demand rows that no allowed site (existing or candidate) can cover.
    n_reduced_demand, n_reduced_candidates
        Demand rows and candidate columns of the model actually solved after reductions.
    details
        Model-specific figures, e.g. ``mean_distance``, ``max_distance``, ``backup_share``,
        ``n_rounds`` (p-median column-generation rounds), ``heuristic_objective``.
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
        """Whether a solution meeting every rule was found."""
        return self.status != "infeasible"


def infeasible_result(
    model: str,
    reasons: list[str],
    *,
    seconds: float,
    uncoverable: np.ndarray | None = None,
) -> LocationResult:
    """A result saying, in words, why no solution meets every rule."""
    text = "; ".join(reasons) if reasons else "the rules cannot all be met"
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
        uncoverable=_empty() if uncoverable is None else uncoverable,
    )
