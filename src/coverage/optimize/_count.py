"""What ``p`` means, and why fewer than ``p`` new sites may be chosen.

``p`` is the number of new sites (existing sites are not counted):

* without a budget it is exact; a model whose objective cannot get worse with more sites
  pads its optimum to ``p`` and says how many of the new sites are useful (note
  ``padded``);
* with a budget it is a maximum: the result says how many were chosen and why not more
  (``limited_by``: ``budget`` when no further candidate fits, ``no_gain`` when one fits but
  none improves the objective), with the numbers in the ``limited`` note;
* when ``p`` is at least the number of allowed candidates, all of them are built (note
  ``all_candidates``, ``limited_by="candidates"`` when fewer than ``p``) instead of the
  problem being declared infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from coverage.optimize._problem import SiteRules
from coverage.optimize.problem import LocationProblem
from coverage.optimize.results import LimitedBy, Note, note

__all__ = ["CountPlan", "limited", "plan_count"]

_TOL = 1e-9


@dataclass(frozen=True)
class CountPlan:
    """How a requested ``p`` becomes a count rule.

    Attributes
    ----------
    requested
        ``p`` as asked (``None``: no count rule).
    p
        The count used by the rules (``None``: none).
    sense
        ``"eq"`` (exact, no budget) or ``"le"`` (maximum, with a budget).
    build_all
        ``p`` (without a budget) is at least the number of allowed candidates: open them
        all, nothing to optimize.
    notes
        ``all_candidates`` when ``build_all``.
    """

    requested: int | None
    p: int | None
    sense: Literal["eq", "le"]
    build_all: bool
    notes: tuple[Note, ...]


def plan_count(problem: LocationProblem, p: int | None) -> CountPlan:
    """The count rule for ``p`` on ``problem`` (see the module docstring)."""
    n_cand = int(problem.candidates.sum())
    if p is None:
        return CountPlan(None, None, "le", False, ())
    if problem.budget is not None:
        return CountPlan(p, min(p, n_cand), "le", False, ())
    if p >= n_cand:
        msg = (f"p={p} is at least the {n_cand} allowed candidate site(s): all of them are "
               "built")
        return CountPlan(p, n_cand, "eq", True,
                         (note("all_candidates", msg, p=p, candidates=n_cand),))
    return CountPlan(p, p, "eq", False, ())


def limited(
    rules: SiteRules, open_mask: np.ndarray, requested: int | None
) -> tuple[LimitedBy | None, tuple[Note, ...]]:
    """Why fewer than ``requested`` new sites are open (``None`` when not fewer).

    With a budget and no ``p`` the reason for stopping is reported as well (the budget
    left, or that no further site improves the objective).
    """
    new = open_mask & ~rules.fixed
    n_new = int(new.sum())
    left = rules.free & ~open_mask
    if requested is not None and n_new >= requested:
        return None, ()
    if requested is None and rules.budget is None:
        return None, ()
    spent = float(rules.cost[new].sum())
    budget = rules.budget
    cheapest = float(rules.cost[left].min()) if left.any() else float("nan")
    values = {"p": float("nan") if requested is None else float(requested),
              "n_new": float(n_new), "spent": spent,
              "budget": float("nan") if budget is None else budget, "cheapest_left": cheapest}
    by: LimitedBy
    if not left.any():
        by = "candidates"
        text = f"all {n_new} allowed candidate site(s) are new sites"
    elif budget is not None and cheapest > budget - spent + _TOL * max(1.0, budget):
        by = "budget"
        text = (f"the budget binds: {spent:g} of {budget:g} spent, the cheapest remaining "
                f"candidate costs {cheapest:g}")
    else:
        by = "no_gain"
        text = ("no further site improves the objective"
                + ("" if budget is None else f" ({budget - spent:g} of the budget unused)"))
    head = (f"{n_new} new site(s)" if requested is None
            else f"{n_new} of p={requested} new site(s) chosen")
    return by, (Note("limited", f"{head}: {text}", MappingProxyType(values)),)
