"""The last word on a result: status from the re-evaluated objective and a proven bound.

Every model ends the same way.  The selection is mapped back to the user's (unreduced)
problem, checked against every rule there (:meth:`SiteRules.violations` plus the model's
own demand rules) and its objective recomputed on the original input.  Only then is the
status decided, here, from that objective and a bound the model proved:

* a rule broken on the original input -> ``no_solution`` / ``solver_mismatch`` (a bug
  somewhere; logged as an error, never labelled feasible);
* an objective beyond the bound -> the bound cannot be trusted: ``feasible`` without a
  proof (``bound = ±inf``), ``solver_mismatch``;
* objective equal to the bound -> ``optimal`` / ``completed``;
* otherwise ``feasible`` with the true gap and the stop reason of the search
  (``gap_limit`` when the search itself completed within the requested gap).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from coverage.optimize._highs import gap_of
from coverage.optimize.results import Status, StopReason

__all__ = ["Verdict", "verdict"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """Status, stop reason, bound and gap of a finished result."""

    status: Status
    stop: StopReason
    bound: float
    gap: float


def verdict(
    model: str,
    objective: float,
    bound: float,
    *,
    maximize: bool,
    stop: StopReason,
    violations: list[str],
) -> Verdict:
    """Decide the status of a selection whose ``objective`` was recomputed on the input.

    Parameters
    ----------
    model
        Model name (for the log).
    objective
        Objective of the selection on the original input.
    bound
        Proven bound on the optimum (upper when maximizing), ``±inf`` when none.
    maximize
        Objective sense.
    stop
        Why the search ended (``completed`` when it finished).
    violations
        Rules the selection breaks on the original input (must be empty).
    """
    if violations:
        logger.error("%s: the selection breaks rules of the problem: %s", model,
                     "; ".join(violations))
        return Verdict("no_solution", "solver_mismatch", bound, float("inf"))
    if not np.isfinite(objective):
        return Verdict("no_solution", stop if stop != "completed" else "solver_mismatch",
                       bound, float("inf"))
    tol = 1e-9 * max(1.0, abs(objective))
    beyond = objective > bound + tol if maximize else objective < bound - tol
    if beyond:
        logger.error("%s: objective %.12g is beyond the proven bound %.12g; the bound is "
                     "dropped", model, objective, bound)
        nobound = np.inf if maximize else -np.inf
        return Verdict("feasible", "solver_mismatch", nobound, float("inf"))
    if np.isfinite(bound):
        bound = min(bound, objective) if not maximize else max(bound, objective)
    gap = gap_of(objective, bound)
    if gap == 0.0:
        return Verdict("optimal", "completed", bound, 0.0)
    return Verdict("feasible", "gap_limit" if stop == "completed" else stop, bound, gap)
