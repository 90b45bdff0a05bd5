"""Input checking and the site-side constraints shared by every location model.

Every model sees the same picture: the columns of the cost/coverage matrix are *sites*.
Some are ``fixed`` (existing rooms: open, not counted as new), some ``forced`` (must be
among the new sites), some ``excluded`` (never opened); the rest are free candidates.
Optional per-site ``cost`` with a ``budget``, an optional number ``p`` of new sites and
optional per-group minimums (the planner's township quotas) constrain the new sites.

:class:`SiteRules` holds these rules once validated and turns them into MILP bounds and
rows, and into plain-language reasons when they cannot all be met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp

from coverage.optimize.results import InfeasibilityReason, reason
from coverage.problems import InputError, Problem

if TYPE_CHECKING:
    from coverage.optimize.problem import LocationProblem

__all__ = [
    "IndexLike",
    "SiteRules",
    "as_cost",
    "as_coverage",
    "as_weights",
    "index_mask",
    "rules_for",
    "site_rules",
]

IndexLike = Sequence[int] | Sequence[bool] | np.ndarray
"""Site indices, or a boolean mask over the sites."""

_TOL = 1e-9


def _problem(argument: str, message: str, fix: str, value: object = None) -> Problem:
    return Problem(None, None, argument, value, message, fix, "error")


def as_coverage(coverage: object, *, name: str = "coverage") -> sp.csr_matrix:
    """Return a coverage matrix as a boolean CSR matrix (demand x sites).

    Parameters
    ----------
    coverage
        Dense array-like or scipy.sparse matrix; non-zero means "site covers demand".
    name
        Argument name used in error messages.
    """
    if sp.issparse(coverage):
        mat = sp.csr_matrix(coverage)
        if mat.dtype != np.bool_:
            data = np.asarray(mat.data, dtype=float)
            if np.isnan(data).any():
                raise InputError.single(
                    f"{name} contains NaN", fix="use 1/True for covered pairs, 0 otherwise"
                )
        mat = sp.csr_matrix(mat.astype(bool))
        mat.eliminate_zeros()
    else:
        arr = np.asarray(coverage)
        if arr.ndim != 2:
            raise InputError.single(
                f"{name} must be a 2-D matrix (demand x sites), got {arr.ndim} dimension(s)",
                fix="pass an array of shape (n_demand, n_sites)",
            )
        if arr.dtype != np.bool_:
            arr_f = arr.astype(float)
            if np.isnan(arr_f).any():
                raise InputError.single(
                    f"{name} contains NaN", fix="use 1/True for covered pairs, 0 otherwise"
                )
            arr = arr_f != 0
        mat = sp.csr_matrix(arr)
    if mat.shape[0] == 0 or mat.shape[1] == 0:
        raise InputError.single(
            f"{name} is empty (shape {mat.shape})",
            fix="give at least one demand point and one site",
        )
    mat.sort_indices()
    return mat


def as_cost(cost: object, *, name: str = "cost") -> np.ndarray:
    """Return a travel cost matrix as a dense float array with ``inf`` for forbidden pairs.

    A scipy.sparse matrix stores the *allowed* pairs only (explicit zeros are kept as zero
    cost); absent entries become ``inf``.  In a dense array ``inf`` marks a forbidden pair.
    """
    if sp.issparse(cost):
        coo = sp.coo_matrix(cost)
        out = np.full(coo.shape, np.inf)
        data = np.asarray(coo.data, dtype=float)
        # keep the minimum of duplicate entries
        np.minimum.at(out, (coo.row, coo.col), data)
        arr = out
    else:
        arr = np.array(cost, dtype=float)
    if arr.ndim != 2:
        raise InputError.single(
            f"{name} must be a 2-D matrix (demand x sites), got {arr.ndim} dimension(s)",
            fix="pass an array of shape (n_demand, n_sites)",
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError.single(
            f"{name} is empty (shape {arr.shape})",
            fix="give at least one demand point and one site",
        )
    problems = []
    if np.isnan(arr).any():
        rows = np.unique(np.nonzero(np.isnan(arr))[0])[:5].tolist()
        problems.append(
            _problem(
                name,
                f"{name} contains NaN (first demand rows: {rows})",
                "use inf (dense) or leave the entry out (sparse) for unreachable pairs",
            )
        )
    if (arr < 0).any():
        problems.append(
            _problem(name, f"{name} contains negative travel costs", "costs must be >= 0")
        )
    if problems:
        raise InputError(problems)
    return arr


def as_weights(weights: object, n: int, *, name: str = "weights") -> np.ndarray:
    """Return demand weights as a float vector of length ``n`` (``None`` means all ones)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float).ravel()
    problems = []
    if w.shape[0] != n:
        problems.append(
            _problem(
                name,
                f"{name} has {w.shape[0]} values but the matrix has {n} demand rows",
                "give one weight (e.g. population) per demand point",
            )
        )
    else:
        if np.isnan(w).any() or np.isinf(w).any():
            bad = np.nonzero(~np.isfinite(w))[0][:5].tolist()
            problems.append(
                _problem(name, f"{name} has missing/infinite values at rows {bad}",
                         "fill in the population (0 if nobody lives there)")
            )
        if (w < 0).any():
            bad = np.nonzero(w < 0)[0][:5].tolist()
            problems.append(
                _problem(name, f"{name} has negative values at rows {bad}", "weights must be >= 0")
            )
    if problems:
        raise InputError(problems)
    return w


def index_mask(
    value: IndexLike | None, n: int, name: str, problems: list[Problem]
) -> np.ndarray:
    """Boolean mask over ``n`` sites from indices or a mask (problems are collected)."""
    mask = np.zeros(n, dtype=bool)
    if value is None:
        return mask
    arr = np.asarray(value)
    if arr.size == 0:
        return mask
    if arr.dtype == np.bool_:
        if arr.shape != (n,):
            problems.append(
                _problem(name, f"{name} mask has {arr.size} entries but there are {n} sites",
                         "give one True/False per site (matrix column) or a list of indices")
            )
            return mask
        return arr.copy()
    if not np.issubdtype(arr.dtype, np.integer):
        problems.append(
            _problem(name, f"{name} must hold integer site indices or booleans",
                     "give column indices of the cost/coverage matrix", arr.dtype)
        )
        return mask
    arr = arr.ravel()
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        problems.append(
            _problem(name, f"{name} has site indices outside 0..{n - 1}",
                     "use column indices of the cost/coverage matrix", bad[:5].tolist())
        )
        return mask
    mask[arr] = True
    return mask


@dataclass(frozen=True)
class SiteRules:
    """Validated rules on which sites may, must or must not open.

    Attributes
    ----------
    n_sites
        Number of matrix columns.
    fixed, forced, excluded
        Boolean masks over the sites (disjoint).
    cost
        Cost per site (ones when no cost was given).
    budget
        Upper bound on the summed cost of *new* sites, or ``None``.
    p
        Number of new sites, or ``None`` (no count constraint).
    p_sense
        ``"eq"`` (exactly ``p``) or ``"le"`` (at most ``p``).
    group
        Group (township) index per site, ``-1`` for none; ``None`` without quotas.
    min_new
        Minimum number of new sites per group index; ``None`` without quotas.
    """

    n_sites: int
    fixed: np.ndarray
    forced: np.ndarray
    excluded: np.ndarray
    cost: np.ndarray
    budget: float | None
    p: int | None
    p_sense: Literal["eq", "le"]
    group: np.ndarray | None = None
    min_new: np.ndarray | None = None

    @property
    def free(self) -> np.ndarray:
        """Mask of sites that may become new sites (not fixed, not excluded)."""
        return ~self.fixed & ~self.excluded

    def subset(self, cols: np.ndarray) -> SiteRules:
        """The rules restricted to the site columns ``cols`` (others taken as closed)."""
        return replace(
            self,
            n_sites=int(cols.size),
            fixed=self.fixed[cols],
            forced=self.forced[cols],
            excluded=self.excluded[cols],
            cost=self.cost[cols],
            group=None if self.group is None else self.group[cols],
        )

    def with_p(self, p: int | None, sense: Literal["eq", "le"]) -> SiteRules:
        """The same rules with another count constraint."""
        return replace(self, p=p, p_sense=sense)

    def lower(self) -> np.ndarray:
        """Lower bounds of the site variables (1 for fixed and forced)."""
        return (self.fixed | self.forced).astype(float)

    def upper(self) -> np.ndarray:
        """Upper bounds of the site variables (0 for excluded)."""
        return (~self.excluded).astype(float)

    def rows(self, cols: np.ndarray | None = None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Side constraints over the site variables ``cols`` (default: all sites).

        Returns ``(A, lower, upper)`` for rows on the new-site variables: the count ``p``,
        the budget and one row per group with a positive minimum.  Sites not in ``cols``
        are taken as closed (they must have been dropped as dominated or useless).
        """
        if cols is None:
            cols = np.arange(self.n_sites)
        new = (~self.fixed[cols]).astype(float)
        mats: list[np.ndarray] = []
        lo: list[float] = []
        hi: list[float] = []
        if self.p is not None:
            mats.append(new)
            lo.append(float(self.p) if self.p_sense == "eq" else -np.inf)
            hi.append(float(self.p))
        if self.budget is not None:
            mats.append(new * self.cost[cols])
            lo.append(-np.inf)
            hi.append(self.budget + _TOL * max(1.0, abs(self.budget)))
        if self.group is not None and self.min_new is not None:
            g = self.group[cols]
            for k in np.nonzero(self.min_new > 0)[0]:
                mats.append(new * (g == k))
                lo.append(float(self.min_new[k]))
                hi.append(np.inf)
        if not mats:
            return sp.csr_matrix((0, cols.size)), np.zeros(0), np.zeros(0)
        return sp.csr_matrix(np.vstack(mats)), np.array(lo), np.array(hi)

    def violations(self, open_mask: np.ndarray) -> list[str]:
        """Every rule an open-site mask (over all sites) breaks, in words (empty if none)."""
        out: list[str] = []
        if not open_mask[self.fixed].all():
            out.append("an existing site is closed")
        if not open_mask[self.forced].all():
            out.append("a forced site is not open")
        if open_mask[self.excluded].any():
            out.append("an excluded site is open")
        new = open_mask & ~self.fixed
        count = int(new.sum())
        if self.p is not None and (count > self.p or (self.p_sense == "eq" and count != self.p)):
            out.append(f"{count} new sites for p={self.p} ({self.p_sense})")
        if self.budget is not None:
            spent = float(self.cost[new].sum())
            if spent > self.budget * (1 + _TOL) + _TOL:
                out.append(f"new sites cost {spent:g} over the budget {self.budget:g}")
        if self.group is not None and self.min_new is not None:
            have = np.bincount(self.group[new & (self.group >= 0)], minlength=self.min_new.size)
            short = np.nonzero(have < self.min_new)[0]
            if short.size:
                out.append(f"groups {short[:5].tolist()} are below their minimum")
        return out

    def is_feasible(self, open_mask: np.ndarray) -> bool:
        """Whether an open-site mask (over all sites) satisfies every rule."""
        return not self.violations(open_mask)

    def infeasibility(self) -> list[InfeasibilityReason]:
        """Why no set of new sites can meet the rules, as data (empty when none is found).

        Checks the counts and costs that need no solving: forced sites against ``p`` and
        the budget, each group's minimum against its allowed candidates, and the group
        minimums together against ``p`` and the budget (cheapest candidates first).
        """
        reasons: list[InfeasibilityReason] = []
        free = self.free
        n_forced = int(self.forced.sum())
        n_free = int(free.sum())
        if self.p is not None and self.p_sense == "eq" and n_free < self.p:
            reasons.append(reason(
                "candidates_short",
                f"exactly p={self.p} new sites are asked for but only {n_free} candidate "
                "sites are allowed", p=self.p, have=n_free))
        if self.p is not None and n_forced > self.p:
            reasons.append(reason(
                "forced_exceed_p",
                f"{n_forced} sites are forced but only p={self.p} new sites are allowed",
                forced=n_forced, p=self.p))
        if self.budget is not None:
            forced_cost = float(self.cost[self.forced].sum())
            if forced_cost > self.budget * (1 + _TOL) + _TOL:
                reasons.append(reason(
                    "forced_over_budget",
                    f"the forced sites cost {forced_cost:g} but the budget is {self.budget:g}",
                    cost=forced_cost, budget=self.budget))
        if self.group is not None and self.min_new is not None:
            need_total = 0
            need_cost = 0.0
            for k in np.nonzero(self.min_new > 0)[0]:
                in_group = free & (self.group == k)
                have = int(in_group.sum())
                need = int(self.min_new[k])
                if have < need:
                    reasons.append(reason(
                        "group_short_of_candidates",
                        f"group {k} needs {need} new site(s) but has only {have} candidate(s)",
                        group=int(k), need=need, have=have))
                forced_k = int((self.forced & (self.group == k)).sum())
                need_total += max(need, forced_k)
                costs = np.sort(self.cost[in_group & ~self.forced])
                need_cost += float(self.cost[self.forced & (self.group == k)].sum())
                need_cost += float(costs[: max(0, need - forced_k)].sum())
            other_forced = self.forced & ~np.isin(self.group, np.nonzero(self.min_new > 0)[0])
            need_total += int(other_forced.sum())
            need_cost += float(self.cost[other_forced].sum())
            if self.p is not None and need_total > self.p and need_total > n_forced:
                reasons.append(reason(
                    "groups_exceed_p",
                    f"the group minimums (and forced sites) need {need_total} new sites "
                    f"but p={self.p}", need=need_total, p=self.p))
            if (
                self.budget is not None and need_cost > self.budget * (1 + _TOL) + _TOL
                and not any(r.code == "forced_over_budget" for r in reasons)
            ):
                reasons.append(reason(
                    "groups_over_budget",
                    f"meeting the group minimums costs at least {need_cost:g} "
                    f"but the budget is {self.budget:g}", cost=need_cost, budget=self.budget))
        return reasons


def site_rules(
    n_sites: int,
    *,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    cost: Sequence[float] | np.ndarray | None = None,
    budget: float | None = None,
    p: int | None = None,
    p_sense: Literal["eq", "le"] = "eq",
    group: Sequence[int] | np.ndarray | None = None,
    min_new: Sequence[int] | np.ndarray | None = None,
) -> SiteRules:
    """Validate the site rules and collect every problem into one :class:`InputError`."""
    problems: list[Problem] = []
    fixed_m = index_mask(fixed, n_sites, "fixed", problems)
    forced_m = index_mask(forced, n_sites, "forced", problems)
    excluded_m = index_mask(excluded, n_sites, "excluded", problems)
    for a, b, na, nb in (
        (fixed_m, forced_m, "fixed", "forced"),
        (fixed_m, excluded_m, "fixed", "excluded"),
        (forced_m, excluded_m, "forced", "excluded"),
    ):
        both = np.nonzero(a & b)[0]
        if both.size:
            problems.append(
                _problem(na, f"sites {both[:5].tolist()} are both {na} and {nb}",
                         f"a site can be only one of fixed/forced/excluded; remove it from {nb}")
            )
    if cost is None:
        cost_v = np.ones(n_sites)
    else:
        cost_v = np.asarray(cost, dtype=float).ravel()
        if cost_v.shape[0] != n_sites:
            problems.append(
                _problem("cost", f"cost has {cost_v.shape[0]} values for {n_sites} sites",
                         "give one cost per site (matrix column)")
            )
            cost_v = np.ones(n_sites)
        elif not np.isfinite(cost_v).all() or (cost_v < 0).any():
            problems.append(
                _problem("cost", "site costs must be finite and >= 0",
                         "fill in every site's cost (万元)")
            )
    if budget is not None and (not np.isfinite(budget) or budget < 0):
        problems.append(_problem("budget", "budget must be a finite number >= 0",
                                 "give the total budget for new sites", budget))
    if p is not None and (int(p) != p or p < 0):
        problems.append(_problem("p", "p must be a whole number >= 0",
                                 "give the number of new sites to build", p))
    group_v: np.ndarray | None = None
    min_v: np.ndarray | None = None
    if (group is None) != (min_new is None):
        problems.append(_problem("group", "group and min_new must be given together",
                                 "give a group index per site and a minimum per group"))
    elif group is not None and min_new is not None:
        group_v = np.asarray(group).ravel()
        min_v = np.asarray(min_new).ravel()
        if group_v.shape[0] != n_sites or not np.issubdtype(group_v.dtype, np.integer):
            problems.append(
                _problem("group", f"group must hold one integer per site ({n_sites} sites)",
                         "use 0..k-1 for the township of each site, -1 for none")
            )
            group_v = None
        elif (group_v < -1).any():
            problems.append(_problem("group", "group indices must be >= -1",
                                     "use 0..k-1 for townships, -1 for none"))
            group_v = None
        if not np.issubdtype(min_v.dtype, np.integer) or (min_v < 0).any():
            problems.append(_problem("min_new", "min_new must hold whole numbers >= 0",
                                     "give the minimum number of new sites per group"))
            min_v = None
        elif group_v is not None and group_v.size and group_v.max() >= min_v.size:
            problems.append(
                _problem("min_new", f"min_new has {min_v.size} entries but group uses index "
                         f"{int(group_v.max())}", "give one minimum per group index")
            )
            min_v = None
    if problems:
        raise InputError(problems)
    return SiteRules(
        n_sites=n_sites,
        fixed=fixed_m,
        forced=forced_m,
        excluded=excluded_m,
        cost=cost_v,
        budget=None if budget is None else float(budget),
        p=None if p is None else int(p),
        p_sense=p_sense,
        group=None if group_v is None else group_v.astype(np.int64),
        min_new=None if min_v is None else min_v.astype(np.int64),
    )


def rules_for(
    problem: LocationProblem, p: int | None, p_sense: Literal["eq", "le"]
) -> SiteRules:
    """The site rules of a validated :class:`~coverage.optimize.problem.LocationProblem`.

    ``p`` is the number of new sites (``None``: no count rule) and ``p_sense`` whether it
    is exact (``"eq"``) or a maximum (``"le"``, with a budget).  Sites without a build
    cost cost 1 (only read when there is neither budget nor cost objective).
    """
    m = problem.n_sites
    return SiteRules(
        n_sites=m,
        fixed=problem.existing.copy(),
        forced=problem.forced.copy(),
        excluded=problem.excluded.copy(),
        cost=np.ones(m) if problem.site_cost is None else problem.site_cost.copy(),
        budget=problem.budget,
        p=p,
        p_sense=p_sense,
        group=None if problem.group is None else problem.group.copy(),
        min_new=None if problem.min_new is None else problem.min_new.copy(),
    )
