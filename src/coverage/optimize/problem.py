"""One location problem for every model: the data, the site rules, validated once.

A :class:`LocationProblem` holds everything that describes the planner's situation and no
solver control: demand weights, the coverage matrix and/or the travel matrix, which sites
exist already, must be built or must not be built, the build cost of each site and a
budget, township groups with a minimum of new sites each, and site capacities.  The model
(and ``p``, time limit, gap, ...) is chosen when solving it
(:func:`coverage.optimize.solve`).

Names mean one thing everywhere:

``coverage``
    Demand x site: the site covers the demand point within the service standard.
``travel``
    Demand x site travel cost (minutes or metres); ``inf`` (dense) or an absent entry
    (scipy.sparse) marks a pair that is not allowed.
``site_cost``
    A site's build cost (e.g. 万元); used with ``budget`` and by LSCP's cost objective.
``existing``
    Sites already open: they serve demand, cost nothing and are not counted in ``p``.
``forced`` / ``excluded``
    Sites that must / must not be among the new sites.
``group`` / ``min_new``
    Group (township) index per site (``-1`` for none) and the minimum number of *new*
    sites per group.
``capacity``
    Per-site capacity in weight units (capacitated p-median).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from coverage.optimize._problem import as_cost, as_coverage, as_weights, index_mask
from coverage.problems import InputError, Problem

__all__ = ["LocationProblem"]


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _problem(argument: str, message: str, fix: str, value: object = None) -> Problem:
    return Problem(None, None, argument, value, message, fix, "error")


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class LocationProblem:
    """The data and site rules of a location problem (frozen, validated on creation).

    Array-likes are accepted for every field and stored as read-only numpy arrays (the
    caller's inputs are copied, never modified).  Every problem found is reported together
    in one :class:`~coverage.problems.InputError` naming the field and the fix.

    Attributes
    ----------
    coverage
        Demand x site boolean matrix (dense or scipy.sparse), stored as CSR; ``None`` when
        only travel costs are given.
    travel
        Demand x site travel costs: dense (``inf`` = not allowed) or scipy.sparse (stored
        entries are the allowed pairs); stored dense.  ``None`` when only coverage is given.
    weights
        Demand weights (population), ``>= 0``; default all ones.  A zero-weight row adds
        nothing to a weighted objective; LSCP (``share = 1``) and p-center still serve it.
    existing
        Existing sites (indices or boolean mask): open, free, not counted in ``p``.
    forced
        Sites that must be among the new sites.
    excluded
        Sites that must not be opened.
    site_cost
        Build cost per site (``>= 0``); needed by ``budget`` and LSCP's cost objective.
    budget
        Upper bound on the summed ``site_cost`` of the new sites.
    group
        Group (township) index ``0..k-1`` per site, ``-1`` for none (with ``min_new``).
    min_new
        Minimum number of new sites per group (length ``k``).
    capacity
        Capacity per site in weight units (capacitated p-median; needs ``travel``).
    """

    coverage: sp.csr_matrix | None = None
    travel: np.ndarray | None = None
    weights: np.ndarray = field(default_factory=_empty)
    existing: np.ndarray = field(default_factory=_empty)
    forced: np.ndarray = field(default_factory=_empty)
    excluded: np.ndarray = field(default_factory=_empty)
    site_cost: np.ndarray | None = None
    budget: float | None = None
    group: np.ndarray | None = None
    min_new: np.ndarray | None = None
    capacity: np.ndarray | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        set_ = object.__setattr__
        cov = trav = None
        try:
            cov = None if self.coverage is None else as_coverage(self.coverage)
        except InputError as err:
            problems += err.problems
        try:
            trav = None if self.travel is None else as_cost(self.travel, name="travel")
        except InputError as err:
            problems += err.problems
        if problems:  # the matrices fix the shapes every other check needs
            raise InputError(problems)
        if cov is None and trav is None:
            raise InputError.single("a location problem needs coverage or travel",
                                    column="coverage",
                                    fix="give the coverage matrix and/or the travel matrix")
        shape = cov.shape if cov is not None else trav.shape  # type: ignore[union-attr]
        if cov is not None and trav is not None and cov.shape != trav.shape:
            raise InputError.single(
                f"coverage has shape {cov.shape} but travel has shape {trav.shape}",
                column="travel", fix="both are demand x sites over the same rows and columns")
        n, m = shape
        if cov is not None:
            cov.data.setflags(write=False)
            cov.indices.setflags(write=False)
            cov.indptr.setflags(write=False)
        set_(self, "coverage", cov)
        set_(self, "travel", None if trav is None else _readonly(trav))
        raw_w = self.weights
        try:
            weights = as_weights(None if raw_w is None or np.size(raw_w) == 0 else raw_w, n)
        except InputError as err:  # reported with every other problem below
            problems += err.problems
            weights = np.ones(n)
        set_(self, "weights", _readonly(np.array(weights, dtype=float)))
        masks = {}
        for name in ("existing", "forced", "excluded"):
            value = getattr(self, name)
            masks[name] = index_mask(value, m, name, problems)
            set_(self, name, _readonly(masks[name]))
        for a, b in (("existing", "forced"), ("existing", "excluded"), ("forced", "excluded")):
            both = np.nonzero(masks[a] & masks[b])[0]
            if both.size:
                problems.append(_problem(
                    a, f"sites {both[:5].tolist()} are both {a} and {b}",
                    f"a site can be only one of existing/forced/excluded; remove it from {b}"))
        if self.site_cost is not None:
            cost = np.array(self.site_cost, dtype=float).ravel()
            if cost.shape[0] != m:
                problems.append(_problem("site_cost", f"site_cost has {cost.shape[0]} values "
                                         f"for {m} sites", "give one build cost per site"))
            elif not np.isfinite(cost).all() or (cost < 0).any():
                bad = np.nonzero(~np.isfinite(cost) | (cost < 0))[0][:5].tolist()
                problems.append(_problem("site_cost", f"site costs must be finite and >= 0 "
                                         f"(sites {bad})", "fill in every site's build cost"))
            set_(self, "site_cost", _readonly(cost))
        if self.budget is not None:
            budget = float(self.budget)
            if not np.isfinite(budget) or budget < 0:
                problems.append(_problem("budget", "budget must be a finite number >= 0",
                                         "give the total budget for new sites", self.budget))
            if self.site_cost is None:
                problems.append(_problem("budget", "a budget needs site_cost",
                                         "give each site's build cost in site_cost"))
            set_(self, "budget", budget)
        self._check_groups(m, problems)
        if self.capacity is not None:
            cap = np.array(self.capacity, dtype=float).ravel()
            if cap.shape[0] != m or not np.isfinite(cap).all() or (cap < 0).any():
                problems.append(_problem("capacity", "capacity must hold one finite value "
                                         f">= 0 per site ({m} sites)",
                                         "give each site's capacity in weight units"))
            if trav is None:
                problems.append(_problem("capacity", "capacities need travel costs",
                                         "give the travel matrix (capacitated p-median)"))
            set_(self, "capacity", _readonly(cap))
        if problems:
            raise InputError(problems)

    def _check_groups(self, m: int, problems: list[Problem]) -> None:
        if (self.group is None) != (self.min_new is None):
            problems.append(_problem("group", "group and min_new must be given together",
                                     "give a group index per site and a minimum per group"))
            return
        if self.group is None or self.min_new is None:
            return
        g = np.asarray(self.group).ravel()
        k = np.asarray(self.min_new).ravel()
        ok = True
        if g.shape[0] != m or not np.issubdtype(g.dtype, np.integer):
            problems.append(_problem("group", f"group must hold one integer per site ({m} "
                                     "sites)", "use 0..k-1 for the township of each site, "
                                     "-1 for none"))
            ok = False
        elif (g < -1).any():
            problems.append(_problem("group", "group indices must be >= -1",
                                     "use 0..k-1 for townships, -1 for none"))
            ok = False
        if not np.issubdtype(k.dtype, np.integer) or (k < 0).any():
            problems.append(_problem("min_new", "min_new must hold whole numbers >= 0",
                                     "give the minimum number of new sites per group"))
            ok = False
        elif ok and g.size and g.max() >= k.size:
            problems.append(_problem("min_new", f"min_new has {k.size} entries but group "
                                     f"uses index {int(g.max())}",
                                     "give one minimum per group index"))
            ok = False
        if ok:
            object.__setattr__(self, "group", _readonly(g.astype(np.int64)))
            object.__setattr__(self, "min_new", _readonly(k.astype(np.int64)))

    @property
    def n_demand(self) -> int:
        """Number of demand rows."""
        mat = self.coverage if self.coverage is not None else self.travel
        assert mat is not None
        return int(mat.shape[0])

    @property
    def n_sites(self) -> int:
        """Number of sites (matrix columns)."""
        mat = self.coverage if self.coverage is not None else self.travel
        assert mat is not None
        return int(mat.shape[1])

    @property
    def candidates(self) -> np.ndarray:
        """Mask of the sites that may become new sites (not existing, not excluded)."""
        return ~self.existing & ~self.excluded

    @property
    def has_groups(self) -> bool:
        """Whether township groups with minimums are given."""
        return self.group is not None and self.min_new is not None
