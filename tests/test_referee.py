"""Referee: every location model, with every option, against an independent formulation.

Random instances come from a seed that changes on every run; it is printed at the start of
the module (``referee seed: ...``) and in every failure, and ``COVERAGE_REFEREE_SEED=<seed>``
replays a run exactly.  Each instance family (uniform, clustered, grid points; duplicate
site columns; zero-weight demand rows; some forbidden travel pairs) is solved by
:func:`coverage.optimize.solve` and by

* an independent MILP written here with ``scipy.optimize.milp`` (assignment formulation for
  p-median / p-center, plain covering rows for MCLP / LSCP / LSCP-B; no reductions), and
* brute force over every subset of the free candidates when there are at most 12.

Whenever our status is ``optimal`` the objective must equal the referee's optimum; every
selection we return must meet every rule of the problem as posed (checked here, not by the
project's code) and have the objective we report; a proven bound must not cut off the
referee's optimum; ``infeasible`` must agree.  ``benchmarks/bench_referee.py`` runs the same
checks on hundreds of instances.

Semantics refereed (the documented ones): ``p`` is the number of new sites, exact without a
budget and a maximum with one, capped at the number of allowed candidates; LSCP covers every
demand row some allowed site reaches (a ``share`` of the total weight when given); p-median
serves the rows with positive weight, p-center every row; quota's ``p`` defaults to
``max(sum(min_new), forced)`` without a budget.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from coverage.optimize import LocationProblem, LocationResult, solve

SEED_ENV = "COVERAGE_REFEREE_SEED"
CASES = ("mclp", "lscp", "lscp_cost", "lscp_share", "lscpb", "pmedian", "pmedian_cap",
         "pcenter", "quota_cov", "quota_travel")
"""Model variants refereed (``_cost``: LSCP's build-cost objective, ``_share``: a share
of demand, ``_cap``: capacitated p-median)."""
OPTIONS = ("existing", "forced", "excluded", "budget", "groups", "p_all")
"""Options combined on every case (``p_all``: ``p`` at least the number of candidates)."""
MODEL = {"mclp": "mclp", "lscp": "lscp", "lscp_cost": "lscp", "lscp_share": "lscp",
         "lscpb": "lscpb", "pmedian": "pmedian", "pmedian_cap": "pmedian",
         "pcenter": "pcenter", "quota_cov": "quota", "quota_travel": "quota"}
HAS_P = {"mclp", "pmedian", "pmedian_cap", "pcenter", "quota_cov", "quota_travel"}
TRAVEL = {"pmedian", "pmedian_cap", "pcenter", "quota_travel"}
MAXIMIZE = {"mclp", "quota_cov", "lscpb"}
BRUTE_MAX = 12
TOL = 1e-6
"""Relative tolerance of every comparison: the data are integers, so a real difference is
at least 1, while the referee MILP's continuous assignment variables may sit within
HiGHS's feasibility tolerance (p-center: 25.9999957 for 26)."""


# ------------------------------------------------------------------------------ instances


@dataclass(frozen=True)
class Instance:
    """One refereed instance (everything needed to replay it is in ``seed``/``index``)."""

    case: str
    family: str
    options: frozenset[str]
    D: np.ndarray
    C: np.ndarray
    w: np.ndarray
    existing: np.ndarray
    forced: np.ndarray
    excluded: np.ndarray
    cost: np.ndarray | None
    budget: float | None
    group: np.ndarray | None
    min_new: np.ndarray | None
    capacity: np.ndarray | None
    p: int | None
    share: float | None

    @property
    def n_cand(self) -> int:
        return int((~self.existing & ~self.excluded).sum())

    @property
    def p_rule(self) -> tuple[int | None, str]:
        """(count, "eq" | "le") as documented: exact without a budget, a maximum with one."""
        p = self.p
        if self.case.startswith("quota") and p is None and self.budget is None:
            assert self.min_new is not None
            p = max(int(self.min_new.sum()), int(self.forced.sum()))
        if p is None:
            return None, "le"
        return min(p, self.n_cand), "le" if self.budget is not None else "eq"

    def problem(self) -> LocationProblem:
        travel = self.case in TRAVEL
        return LocationProblem(
            coverage=None if travel else self.C, travel=self.D if travel else None,
            weights=self.w, existing=self.existing, forced=self.forced,
            excluded=self.excluded, site_cost=self.cost, budget=self.budget,
            group=self.group, min_new=self.min_new, capacity=self.capacity)

    def run(self, **kw: object) -> LocationResult:
        extra: dict[str, object] = {}
        if self.case in HAS_P:
            extra["p"] = self.p
        if self.case == "lscp_cost":
            extra["objective"] = "cost"
        if self.case == "lscp_share":
            extra["share"] = self.share
        if self.case == "quota_travel":
            extra["objective"] = "travel"
        return solve(self.problem(), model=MODEL[self.case], **extra, **kw)  # type: ignore[arg-type]


def _points(rng: np.random.Generator, family: str, n: int) -> np.ndarray:
    if family == "uniform":
        return rng.uniform(0, 100, size=(n, 2))
    if family == "clustered":
        k = int(rng.integers(2, 5))
        centres = rng.uniform(15, 85, size=(k, 2))
        return centres[rng.integers(0, k, n)] + rng.normal(0, 9, size=(n, 2))
    side = int(np.ceil(np.sqrt(n)))
    g = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1).reshape(-1, 2)[:n]
    return g * (100.0 / side)  # exact lattice: many equal distances (ties)


def make_instance(
    rng: np.random.Generator, case: str, options: frozenset[str], *, medium: bool = False
) -> Instance:
    """A random instance of ``case`` using exactly the ``options`` given."""
    family = str(rng.choice(["uniform", "clustered", "grid"]))
    hard = case in ("pmedian_cap", "pcenter")  # weak referee formulations: keep them small
    n = int(rng.integers(30, 61 if hard else 121) if medium else rng.integers(12, 46))
    m = int(rng.integers(13, 19 if hard else 31) if medium else rng.integers(6, 13))
    demand = _points(rng, family, n)
    n_dup = int(rng.integers(0, 3))
    sites = demand[rng.choice(n, size=m - n_dup, replace=m - n_dup > n)]
    if family != "grid":
        sites = sites + rng.normal(0, 2, size=sites.shape)
    sites = np.vstack([sites, sites[rng.integers(0, m - n_dup, n_dup)]])  # duplicate columns
    D = np.round(np.sqrt(((demand[:, None] - sites[None]) ** 2).sum(-1)))
    if rng.random() < 0.3:
        D[rng.random(D.shape) < 0.08] = np.inf  # forbidden pairs
    finite = D[np.isfinite(D)]
    C = np.quantile(finite, rng.uniform(0.08, 0.35)) >= D
    w = rng.integers(1, 21, n).astype(float)
    w[rng.random(n) < 0.15] = 0.0  # zero-weight rows
    roles = rng.permutation(m)
    k_ex = int(rng.integers(1, 3)) if "existing" in options else 0
    k_fo = int(rng.integers(1, 3)) if "forced" in options else 0
    k_xx = int(rng.integers(1, 4)) if "excluded" in options else 0
    existing = np.isin(np.arange(m), roles[:k_ex])
    forced = np.isin(np.arange(m), roles[k_ex:k_ex + k_fo])
    excluded = np.isin(np.arange(m), roles[k_ex + k_fo:k_ex + k_fo + k_xx])
    n_cand = int((~existing & ~excluded).sum())
    group = min_new = None
    if "groups" in options or case.startswith("quota"):
        k = int(rng.integers(2, 5))
        group = rng.integers(-1, k, m)
        have = np.bincount(group[(group >= 0) & ~existing & ~excluded], minlength=k)
        # mostly within each group's candidates; now and then one more than it has
        min_new = np.minimum(rng.integers(0, 3, k), have) + (rng.random(k) < 0.06)
    p: int | None = None
    if case in HAS_P:
        if "p_all" in options:
            p = n_cand + int(rng.integers(0, 3))
        else:
            p = int(np.clip(k_fo + rng.integers(0, 4), 1, max(1, n_cand - 1)))
            if min_new is not None and rng.random() < 0.8:
                p = max(p, int(min_new.sum()))
            if case.startswith("quota") and rng.random() < 0.5 and "budget" not in options:
                p = None
    cost = budget = None
    if "budget" in options or case == "lscp_cost":
        cost = rng.integers(1, 10, m).astype(float)
    if "budget" in options:
        assert cost is not None
        free_cost = np.sort(cost[~existing & ~excluded & ~forced])
        if case in HAS_P:  # about the cost of p sites: binding or not, rarely infeasible
            k_b = (p or 3) - k_fo
            base = float(cost[forced].sum() + free_cost[: max(k_b, 1)].sum())
            budget = float(np.round(base * rng.uniform(0.7, 1.6), 1))
        else:  # covering models need many sites: a share of all candidates' cost
            base = float(cost[forced].sum() + free_cost.sum())
            budget = float(np.round(base * rng.uniform(0.35, 1.0), 1))
        if case in HAS_P and rng.random() < 0.25 and "p_all" not in options:
            p = None  # with a budget p may be left out: the budget decides
    capacity = None
    if case == "pmedian_cap":
        # sized for about three open sites: tight for small p, loose for large p (a
        # generalized assignment with all sites open and tight capacities is slow to prove)
        k_open = max(1, min(p or 3, 3) + k_ex)
        capacity = np.ceil(w.sum() / k_open * rng.uniform(0.7, 1.8, m))
    share = float(np.round(rng.uniform(0.3, 0.9), 2)) if case == "lscp_share" else None
    return Instance(case, family, options, D, C, w, existing, forced, excluded, cost, budget,
                    group, min_new, capacity, p, share)


def option_sets(case: str) -> Iterator[frozenset[str]]:
    """Every combination of the options that apply to ``case``."""
    opts = [o for o in OPTIONS if o != "p_all" or case in HAS_P]
    for r in range(len(opts) + 1):
        for combo in itertools.combinations(opts, r):
            yield frozenset(combo)


# ------------------------------------------------------------------------ the referees


@dataclass(frozen=True)
class Ref:
    """A referee's answer: ``optimal`` with its objective, or ``infeasible``."""

    status: str
    objective: float = float("nan")
    n_sites: int = -1  # LSCP-B's minimum number of sites


def _site_rows(inst: Instance, n_extra: int) -> list[LinearConstraint]:
    """Count, budget and group rows on the site variables (first m of m + n_extra)."""
    m = inst.D.shape[1]
    new = (~inst.existing).astype(float)
    pad = np.zeros(n_extra)
    rows: list[LinearConstraint] = []
    count, sense = inst.p_rule
    if count is not None:
        rows.append(LinearConstraint(np.concatenate([new, pad])[None, :],
                                     count if sense == "eq" else -np.inf, count))
    if inst.budget is not None:
        assert inst.cost is not None
        rows.append(LinearConstraint(np.concatenate([new * inst.cost, pad])[None, :],
                                     -np.inf, inst.budget))
    if inst.group is not None and inst.min_new is not None:
        for g, need in enumerate(inst.min_new):
            if need > 0:
                a = np.concatenate([new * (inst.group == g), pad])
                rows.append(LinearConstraint(a[None, :], float(need), np.inf))
    assert all(r.A.shape[1] == m + n_extra for r in rows)
    return rows


def _site_bounds(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    lo = (inst.existing | inst.forced).astype(float)
    hi = (~inst.excluded).astype(float)
    return lo, hi


def _milp(c: np.ndarray, cons: list[LinearConstraint], lo: np.ndarray, hi: np.ndarray,
          integrality: np.ndarray) -> tuple[str, float, np.ndarray | None]:
    res = milp(c, constraints=cons, bounds=Bounds(lo, hi), integrality=integrality,
               options={"mip_rel_gap": 0.0, "presolve": True})
    if res.status == 0:
        return "optimal", float(res.fun), res.x
    if res.status == 2:
        return "infeasible", float("nan"), None
    raise AssertionError(f"scipy.milp did not finish: {res.message}")


def referee_milp(inst: Instance) -> Ref:
    """The independent MILP (no reductions, one variable per site / pair)."""
    n, m = inst.D.shape
    s_lo, s_hi = _site_bounds(inst)
    case = inst.case
    if case in ("mclp", "quota_cov"):
        C = inst.C.astype(float)
        c = np.concatenate([np.zeros(m), -inst.w])
        cons = [LinearConstraint(np.hstack([-C, np.eye(n)]), -np.inf, 0.0),
                *_site_rows(inst, n)]
        st, obj, _ = _milp(c, cons, np.concatenate([s_lo, np.zeros(n)]),
                           np.concatenate([s_hi, np.ones(n)]), np.ones(m + n))
        return Ref(st, -obj)
    if case in ("lscp", "lscp_cost", "lscp_share", "lscpb"):
        coverable = inst.C[:, ~inst.excluded].any(axis=1)
        new = (~inst.existing).astype(float)
        cost = new * (inst.cost if case == "lscp_cost" and inst.cost is not None else 1.0)
        if case == "lscp_share":
            assert inst.share is not None
            C = inst.C.astype(float)
            cons = [LinearConstraint(np.hstack([-C, np.eye(n)]), -np.inf, 0.0),
                    LinearConstraint(np.concatenate([np.zeros(m), inst.w])[None, :],
                                     inst.share * inst.w.sum(), np.inf),
                    *_site_rows(inst, n)]
            st, obj, _ = _milp(np.concatenate([cost, np.zeros(n)]), cons,
                               np.concatenate([s_lo, np.zeros(n)]),
                               np.concatenate([s_hi, np.ones(n)]), np.ones(m + n))
            return Ref(st, obj)
        cons = [*_site_rows(inst, 0)]
        if coverable.any():
            cons.append(LinearConstraint(inst.C[coverable].astype(float), 1.0, np.inf))
        st, obj, _ = _milp(cost, cons, s_lo, s_hi, np.ones(m))
        if case != "lscpb" or st != "optimal":
            return Ref(st, obj)
        p_star = round(obj)
        # stage 2: exactly p_star new sites, every coverable row covered, most weight twice
        rows = np.nonzero(coverable)[0]
        k = rows.size
        A = np.hstack([inst.C[rows].astype(float), -np.eye(k)])
        cons2 = [LinearConstraint(A, 1.0, np.inf),
                 LinearConstraint(np.concatenate([new, np.zeros(k)])[None, :], p_star, p_star)]
        cons2 += _site_rows(inst, k)  # lscpb has no p: budget and group rows only
        st2, obj2, _ = _milp(np.concatenate([np.zeros(m), -inst.w[rows]]), cons2,
                             np.concatenate([s_lo, np.zeros(k)]),
                             np.concatenate([s_hi, np.ones(k)]), np.ones(m + k))
        assert st2 == "optimal", "stage 2 must be feasible after stage 1"
        return Ref("optimal", -obj2, p_star)
    # travel models: assignment formulation over the allowed pairs
    rows_all = np.arange(n) if case == "pcenter" else np.nonzero(inst.w > 0)[0]
    pairs = [(i, j) for i in rows_all for j in range(m) if np.isfinite(inst.D[i, j])]
    if any(not np.isfinite(inst.D[i, ~inst.excluded]).any() for i in rows_all):
        return Ref("infeasible")
    P = len(pairs)
    ii = np.array([i for i, _ in pairs])
    jj = np.array([j for _, j in pairs])
    dist = inst.D[ii, jj]
    row_of = {r: k for k, r in enumerate(rows_all)}
    assign = sp.csr_matrix((np.ones(P), ([row_of[i] for i in ii], np.arange(P))),
                           shape=(rows_all.size, P)).toarray()
    link = np.zeros((P, m))
    link[np.arange(P), jj] = -1.0
    extra = 1 if case == "pcenter" else 0
    A_assign = np.hstack([np.zeros((rows_all.size, m)), assign, np.zeros((rows_all.size,
                                                                           extra))])
    A_link = np.hstack([link, np.eye(P), np.zeros((P, extra))])
    cons = [LinearConstraint(A_assign, 1.0, 1.0), LinearConstraint(A_link, -np.inf, 0.0),
            *_site_rows(inst, P + extra)]
    lo = np.concatenate([s_lo, np.zeros(P + extra)])
    hi = np.concatenate([s_hi, np.ones(P), np.full(extra, np.inf)])
    integ = np.concatenate([np.ones(m), np.zeros(P + extra)])
    if case == "pcenter":
        # t >= sum_j d_ij z_ij for every row
        A_t = np.zeros((rows_all.size, m + P + 1))
        A_t[[row_of[i] for i in ii], m + np.arange(P)] = -dist
        A_t[:, -1] = 1.0
        cons.append(LinearConstraint(A_t, 0.0, np.inf))
        c = np.zeros(m + P + 1)
        c[-1] = 1.0
        st, obj, _ = _milp(c, cons, lo, hi, integ)
        return Ref(st, obj)
    c = np.concatenate([np.zeros(m), inst.w[ii] * dist])
    if case == "pmedian_cap":
        assert inst.capacity is not None
        A_cap = np.zeros((m, m + P))
        A_cap[jj, m + np.arange(P)] = inst.w[ii]
        A_cap[np.arange(m), np.arange(m)] = -inst.capacity
        cons.append(LinearConstraint(A_cap, -np.inf, 0.0))
        integ = np.ones(m + P)
    st, obj, _ = _milp(c, cons, lo, hi, integ)
    return Ref(st, obj)


def brute_force(inst: Instance) -> Ref | None:
    """Enumerate every subset of the free candidates (``None`` above ``BRUTE_MAX``)."""
    if inst.case == "pmedian_cap":
        return None
    free = np.nonzero(~inst.existing & ~inst.excluded & ~inst.forced)[0]
    if free.size > BRUTE_MAX:
        return None
    m = inst.D.shape[1]
    k = free.size
    subsets = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    is_open = np.zeros((subsets.shape[0], m), dtype=bool)
    is_open[:, free] = subsets
    is_open |= inst.existing | inst.forced
    is_open = is_open[rules_ok(inst, is_open)]
    if not is_open.size:
        return Ref("infeasible")
    case = inst.case
    new = is_open & ~inst.existing
    if case in ("mclp", "quota_cov"):
        cov = (is_open.astype(int) @ inst.C.T.astype(int)) > 0
        return Ref("optimal", float((cov * inst.w).sum(axis=1).max()))
    if case in ("lscp", "lscp_cost", "lscp_share", "lscpb"):
        times = is_open.astype(int) @ inst.C.T.astype(int)
        coverable = inst.C[:, ~inst.excluded].any(axis=1)
        if case == "lscp_share":
            assert inst.share is not None
            good = ((times > 0) * inst.w).sum(axis=1) >= inst.share * inst.w.sum() - 1e-9
        else:
            good = (times[:, coverable] > 0).all(axis=1)
        if not good.any():
            return Ref("infeasible")
        weights = inst.cost if case == "lscp_cost" and inst.cost is not None else np.ones(m)
        value = (new * weights).sum(axis=1)
        best = value[good].min()
        if case != "lscpb":
            return Ref("optimal", float(best))
        tie = good & (value == best)
        backup = ((times[tie] >= 2) * inst.w).sum(axis=1)
        return Ref("optimal", float(backup.max()), int(best))
    d = np.where(is_open[:, None, :], inst.D[None], np.inf).min(axis=2)
    if case == "pcenter":
        worst = d.max(axis=1)
        return Ref("optimal", float(worst.min())) if np.isfinite(worst).any() else Ref(
            "infeasible")
    pos = inst.w > 0
    total = np.where(np.isfinite(d[:, pos]).all(axis=1), (d[:, pos] * inst.w[pos]).sum(1)
                     if pos.any() else 0.0, np.inf)
    return Ref("optimal", float(total.min())) if np.isfinite(total).any() else Ref(
        "infeasible")


def rules_ok(inst: Instance, is_open: np.ndarray) -> np.ndarray:
    """Vectorized :func:`rule_breaks` over many open-site masks (rows of ``is_open``)."""
    ok = is_open[:, inst.existing].all(axis=1) & is_open[:, inst.forced].all(axis=1)
    ok &= ~is_open[:, inst.excluded].any(axis=1)
    new = is_open & ~inst.existing
    count, sense = inst.p_rule
    n_new = new.sum(axis=1)
    if count is not None:
        ok &= (n_new == count) if sense == "eq" else (n_new <= count)
    if inst.budget is not None:
        assert inst.cost is not None
        ok &= (new * inst.cost).sum(axis=1) <= inst.budget + 1e-9
    if inst.group is not None and inst.min_new is not None:
        for g, need in enumerate(inst.min_new):
            ok &= (new & (inst.group == g)).sum(axis=1) >= need
    return ok


def rule_breaks(inst: Instance, is_open: np.ndarray) -> list[str]:
    """Every documented site rule an open-site mask breaks (written here, not imported)."""
    out = []
    if not is_open[inst.existing].all():
        out.append("existing site closed")
    if not is_open[inst.forced].all():
        out.append("forced site closed")
    if is_open[inst.excluded].any():
        out.append("excluded site open")
    new = is_open & ~inst.existing
    count, sense = inst.p_rule
    if count is not None and (new.sum() > count or (sense == "eq" and new.sum() != count)):
        out.append(f"{int(new.sum())} new sites for p={count} ({sense})")
    if inst.budget is not None:
        assert inst.cost is not None
        if inst.cost[new].sum() > inst.budget + 1e-9:
            out.append("over budget")
    if inst.group is not None and inst.min_new is not None:
        for g, need in enumerate(inst.min_new):
            if int((new & (inst.group == g)).sum()) < need:
                out.append(f"group {g} below its minimum")
    return out


# -------------------------------------------------------------------------- the check


@dataclass
class Verdict:
    """How one instance went (one of ``optimal_ok``, ``feasible``, ``infeasible_ok``,
    ``no_solution`` or ``mismatch``), with the reasons for a mismatch."""

    kind: str
    problems: list[str] = field(default_factory=list)
    gap: float = 0.0


def our_objective(inst: Instance, res: LocationResult) -> float:
    """Our selection's objective, recomputed here from ``open_sites`` (and assignment)."""
    is_open = np.zeros(inst.D.shape[1], dtype=bool)
    is_open[res.open_sites] = True
    case = inst.case
    new = is_open & ~inst.existing
    if case in ("mclp", "quota_cov"):
        return float(inst.w[inst.C[:, is_open].any(axis=1)].sum())
    if case in ("lscp", "lscp_share"):
        return float(new.sum())
    if case == "lscp_cost":
        assert inst.cost is not None
        return float(inst.cost[new].sum())
    if case == "lscpb":
        return float(inst.w[inst.C[:, is_open].sum(axis=1) >= 2].sum())
    if case == "pmedian_cap":
        assert res.assignment is not None
        pos = inst.w > 0
        return float((inst.w[pos] * inst.D[np.nonzero(pos)[0], res.assignment[pos]]).sum())
    d = inst.D[:, is_open].min(axis=1) if is_open.any() else np.full(inst.D.shape[0], np.inf)
    if case == "pcenter":
        return float(d.max())
    pos = inst.w > 0
    return float((inst.w[pos] * d[pos]).sum())


def model_breaks(inst: Instance, res: LocationResult, ref: Ref) -> list[str]:
    """Demand-side rules of the model broken by our selection (checked here)."""
    is_open = np.zeros(inst.D.shape[1], dtype=bool)
    is_open[res.open_sites] = True
    out = rule_breaks(inst, is_open)
    case = inst.case
    if case in ("lscp", "lscp_cost", "lscpb"):
        coverable = inst.C[:, ~inst.excluded].any(axis=1)
        if (coverable & ~inst.C[:, is_open].any(axis=1)).any():
            out.append("a coverable row is not covered")
    if case == "lscp_share":
        assert inst.share is not None
        if inst.w[inst.C[:, is_open].any(axis=1)].sum() < inst.share * inst.w.sum() - 1e-9:
            out.append("share not met")
    if case == "lscpb" and ref.n_sites >= 0 and int((is_open & ~inst.existing).sum()) != (
        ref.n_sites
    ):
        out.append(f"{int((is_open & ~inst.existing).sum())} sites, minimum is {ref.n_sites}")
    if case == "pmedian_cap":
        assert res.assignment is not None and inst.capacity is not None
        pos = np.nonzero(inst.w > 0)[0]
        a = res.assignment[pos]
        if (a < 0).any() or not is_open[a].all() or not np.isfinite(inst.D[pos, a]).all():
            out.append("a demand row is not assigned to an open, allowed site")
        else:
            load = np.bincount(a, weights=inst.w[pos], minlength=inst.D.shape[1])
            if (load > inst.capacity + 1e-9).any():
                out.append("capacity exceeded")
    return out


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def referee(inst: Instance, res: LocationResult) -> Verdict:
    """Judge one result against the MILP referee and (small instances) brute force."""
    ref = referee_milp(inst)
    brute = brute_force(inst)
    problems: list[str] = []
    if brute is not None and (brute.status != ref.status or (
        ref.status == "optimal" and not _close(brute.objective, ref.objective)
    )):
        problems.append(f"REFEREES DISAGREE: milp {ref}, brute force {brute}")
    maximize = inst.case in MAXIMIZE
    if res.status == "infeasible":
        if ref.status != "infeasible":
            problems.append(f"ours infeasible ({[r.code for r in res.reasons]}), referee "
                            f"optimum {ref.objective}")
        if not res.reasons:
            problems.append("infeasible without a reason")
        for r in res.reasons:
            if r.code == "group_short_of_candidates":
                assert inst.group is not None
                have = int((~inst.existing & ~inst.excluded & (inst.group == r.group)).sum())
                if not (r.values["have"] == have < r.values["need"]):
                    problems.append(f"wrong numbers in {r}")
        return Verdict("mismatch" if problems else "infeasible_ok", problems)
    if res.status == "no_solution":
        return Verdict("mismatch" if problems else "no_solution", problems)
    # a selection was returned: it must meet every rule and have the objective reported
    problems += model_breaks(inst, res, ref)
    mine = our_objective(inst, res)
    if not _close(mine, res.objective):
        problems.append(f"reported objective {res.objective} but the selection has {mine}")
    if ref.status == "infeasible":
        problems.append("ours returns a selection, the referee proves infeasibility")
        return Verdict("mismatch", problems)
    opt = ref.objective
    if res.status == "optimal":
        if not _close(res.objective, opt):
            problems.append(f"labelled optimal with {res.objective}, optimum is {opt}")
        if res.gap != 0.0:
            problems.append(f"labelled optimal with gap {res.gap}")
    # the bound must not cut off the optimum, the objective must not beat it
    slack = TOL * max(1.0, abs(opt))
    if maximize:
        if res.bound < opt - slack or res.objective > opt + slack:
            problems.append(f"bound {res.bound} / objective {res.objective} vs optimum {opt}")
    elif res.bound > opt + slack or res.objective < opt - slack:
        problems.append(f"bound {res.bound} / objective {res.objective} vs optimum {opt}")
    problems += _limited_breaks(inst, res)
    if problems:
        return Verdict("mismatch", problems)
    return Verdict("optimal_ok" if res.status == "optimal" else "feasible", [], res.gap)


def _limited_breaks(inst: Instance, res: LocationResult) -> list[str]:
    """``limited_by`` must be given, and true, when fewer than ``p`` sites are new."""
    if inst.case not in HAS_P or inst.p is None:
        return []
    n_new = int(res.selected.size)
    if n_new >= inst.p:
        return [] if res.limited_by is None else [f"limited_by {res.limited_by} at p"]
    if res.limited_by is None:
        return [f"{n_new} of p={inst.p} new sites without limited_by"]
    is_open = np.zeros(inst.D.shape[1], dtype=bool)
    is_open[res.open_sites] = True
    left = ~is_open & ~inst.existing & ~inst.excluded
    if res.limited_by == "candidates" and left.any():
        return ["limited_by candidates but candidates are left"]
    if res.limited_by == "budget":
        assert inst.cost is not None and inst.budget is not None
        spent = inst.cost[is_open & ~inst.existing].sum()
        if (inst.cost[left] <= inst.budget - spent + 1e-9).any():
            return ["limited_by budget but a candidate still fits"]
    if res.limited_by == "no_gain" and inst.budget is None:
        return ["limited_by no_gain without a budget (p is exact)"]
    return []


# ------------------------------------------------------------------------------ pytest


def referee_seed() -> int:
    """The run's seed: ``$COVERAGE_REFEREE_SEED`` or a fresh random one."""
    raw = os.environ.get(SEED_ENV)
    return int(raw) if raw else secrets.randbelow(2**31)


@pytest.fixture(scope="module")
def seed(pytestconfig: pytest.Config) -> int:
    value = referee_seed()
    capman = pytestconfig.pluginmanager.getplugin("capturemanager")
    line = f"\nreferee seed: {value} (replay with {SEED_ENV}={value})\n"
    if capman is not None:
        with capman.global_and_fixture_disabled():
            print(line, flush=True)
    else:  # pragma: no cover - capture disabled
        print(line, flush=True)
    return value


def case_instances(seed: int, case: str, *, medium: int = 2) -> Iterator[Instance]:
    """One small instance per option combination, then ``medium`` larger ones."""
    rng = np.random.default_rng([seed, CASES.index(case)])
    for opts in option_sets(case):
        yield make_instance(rng, case, opts)
    for _ in range(medium):
        opts = frozenset(o for o in OPTIONS if rng.random() < 0.4 and (
            o != "p_all" or case in HAS_P))
        yield make_instance(rng, case, opts, medium=True)


@pytest.mark.parametrize("case", CASES)
def test_referee(case: str, seed: int) -> None:
    tally: dict[str, int] = defaultdict(int)
    failures = []
    for k, inst in enumerate(case_instances(seed, case)):
        res = inst.run()
        v = referee(inst, res)
        tally[v.kind] += 1
        if v.kind == "mismatch":
            failures.append(f"instance {k} ({inst.family}, options "
                            f"{sorted(inst.options)}): {'; '.join(v.problems)}")
    assert not failures, (
        f"{case}: {len(failures)} mismatch(es) (replay with {SEED_ENV}={seed}):\n"
        + "\n".join(failures))
    # the instances must exercise both answers, not only one of them
    assert tally["optimal_ok"] > 0, dict(tally)


@pytest.mark.parametrize("case", ["mclp", "lscp", "pmedian", "quota_cov", "lscpb"])
def test_referee_with_a_gap_limit(case: str, seed: int) -> None:
    """Stopped early (``mip_gap=0.2``): a ``feasible`` answer's bound must still hold."""
    rng = np.random.default_rng([seed, 99, CASES.index(case)])
    failures = []
    for k in range(6):
        opts = frozenset(o for o in OPTIONS if rng.random() < 0.4 and (
            o != "p_all" or case in HAS_P))
        inst = make_instance(rng, case, opts, medium=True)
        v = referee(inst, inst.run(mip_gap=0.2))
        if v.kind == "mismatch":
            failures.append(f"instance {k} ({sorted(inst.options)}): {'; '.join(v.problems)}")
    assert not failures, (f"{case} with mip_gap=0.2 (replay with {SEED_ENV}={seed}):\n"
                          + "\n".join(failures))


def test_referee_catches_a_wrong_optimum(seed: int) -> None:
    """The referee fails a result labelled optimal with a worse selection."""
    rng = np.random.default_rng(seed)
    for _ in range(50):
        inst = make_instance(rng, "mclp", frozenset())
        res = inst.run()
        if res.status != "optimal" or res.selected.size == 0:
            continue
        is_open = np.zeros(inst.D.shape[1], dtype=bool)
        is_open[res.open_sites] = True
        worse = [j for j in np.nonzero(~is_open & ~inst.excluded)[0]
                 if our_objective(inst, _swap(res, int(res.selected[0]), j)) < res.objective]
        if not worse:
            continue
        bad = _swap(res, int(res.selected[0]), worse[0])
        bad = _with(bad, objective=our_objective(inst, bad))
        v = referee(inst, bad)
        assert v.kind == "mismatch" and any("labelled optimal" in p for p in v.problems)
        return
    pytest.skip("no instance with a strictly worse swap was drawn")


def _swap(res: LocationResult, out: int, into: int) -> LocationResult:
    sel = np.sort(np.append(res.selected[res.selected != out], into))
    opened = np.sort(np.append(res.open_sites[res.open_sites != out], into))
    return _with(res, selected=sel, open_sites=opened)


def _with(res: LocationResult, **kw: object) -> LocationResult:
    import dataclasses

    return dataclasses.replace(res, **kw)  # type: ignore[arg-type]
