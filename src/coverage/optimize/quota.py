"""The planner's problem: township quotas of new sites, then best coverage or travel.

Each candidate belongs to a group (township); group ``g`` must receive at least
``min_new[g]`` new sites.  Among the selections meeting the quotas (and an optional total
``p`` and budget) the model maximizes covered weight (MCLP objective) or minimizes
weighted travel (p-median objective).  It is the MCLP / p-median MILP with one extra row
per group; quotas that cannot be met are reported as data (``group_short_of_candidates``
with the group, its need and its candidate count, ...) before any solving.

``p`` defaults to ``max(sum(min_new), forced sites)`` without a budget (exact, so sites
beyond the quotas are added only when asked for); with a budget and no ``p`` the budget
decides how many sites are built.
"""

from __future__ import annotations

from typing import Literal

from coverage.optimize.mclp import coverage_model
from coverage.optimize.pmedian import median_model
from coverage.optimize.problem import LocationProblem
from coverage.optimize.results import LocationResult

__all__ = ["quota_model"]


def quota_model(
    problem: LocationProblem,
    p: int | None,
    *,
    objective: Literal["coverage", "travel"],
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
) -> LocationResult:
    """Meet per-township minimums of new sites, then maximize coverage or minimize travel.

    Parameters
    ----------
    problem
        The validated problem with ``group`` and ``min_new`` (and ``coverage`` or
        ``travel`` for the objective).
    p
        Total number of new sites (see the module docstring for the default).
    objective
        ``"coverage"`` (covered weight, MCLP) or ``"travel"`` (weighted travel, p-median).
    time_limit, mip_gap, warm_start
        Solver controls.

    Returns
    -------
    LocationResult
        ``model == "quota"``.
    """
    assert problem.min_new is not None
    if p is None and problem.budget is None:
        p = max(int(problem.min_new.sum()), int(problem.forced.sum()))
    if objective == "coverage":
        return coverage_model("quota", problem, p, time_limit=time_limit, mip_gap=mip_gap,
                              warm_start=warm_start)
    return median_model("quota", problem, p, time_limit=time_limit, mip_gap=mip_gap,
                        warm_start=warm_start)
