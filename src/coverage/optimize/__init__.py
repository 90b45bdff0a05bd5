"""Exact site-placement optimization on matrices (the numeric core of ``coverage optimize``).

One problem, many models::

    problem = LocationProblem(coverage=C, travel=D, weights=population,
                              existing=rooms, excluded=unusable,
                              site_cost=cost, budget=300.0,
                              group=township_of_site, min_new=quota)
    result = solve(problem, model="mclp", p=50, time_limit=60)

:class:`LocationProblem` holds the data and site rules, validated once (frozen);
:func:`solve` picks the model from :data:`MODELS` and rejects, with an input error naming
the option and the model, every option that model does not take.  Results
(:class:`LocationResult`) carry codes: ``status`` (``optimal``/``feasible``/``infeasible``/
``no_solution``), ``stop`` (why the run ended), ``limited_by`` (why fewer than ``p``
sites), ``reasons`` (:class:`InfeasibilityReason`, infeasibility as data) and ``notes``
(:class:`Note`); see :mod:`coverage.optimize.results`.

Trust but verify: every MILP solution HiGHS returns is rechecked row by row in numpy and
its objective recomputed; every final selection is re-evaluated on the user's unreduced
input and checked against every rule before ``optimal`` is claimed.

Models and formulations (all MILPs solved by HiGHS through highspy):

* ``mclp`` — maximal covering (Church & ReVelle 1974), ``y_r <= sum x_j`` with
  continuous ``y``; merged identical demand rows, dominated candidates dropped; greedy +
  swap incumbent, LP bound, LP-support MILP and reduced-cost fixing before the full MILP.
* ``lscp`` — location set covering (Toregas et al. 1971), optional share of demand, sites
  or build cost minimized; demand no site can reach is listed.
* ``lscpb`` — backup covering as spopt's ``LSCPB`` (minimum sites, then most demand
  covered twice).
* ``pmedian`` — p-median in the radius formulation on sorted distinct distances
  (Elloumi 2010) with certified sparse truncation; capacitated variant with single
  assignment (classical formulation); greedy + Whitaker fast interchange warm start,
  Lagrangian and root-LP reduced-cost fixing of sites (interior point on large models).
* ``pcenter`` — vertex p-center by binary search over distinct distances with
  set-covering feasibility MILPs.
* ``quota`` — the planner's problem: per-township minimums of new sites with the MCLP or
  p-median objective, optional total ``p`` and budget.
* :func:`phase_sites` — order chosen sites into yearly batches (greedy marginal gain or
  nested exact optimization).

The first API's per-model functions (:func:`solve_mclp`, :func:`solve_lscp`,
:func:`solve_lscpb`, :func:`solve_pmedian`, :func:`solve_pcenter`, :func:`solve_quota`)
remain as thin wrappers over :func:`solve` (:mod:`coverage.optimize.compat`).

Readers for the published benchmark sets and a county-like instance generator live in
:mod:`coverage.optimize.instances`.
"""

from coverage.optimize.compat import (
    solve_lscp,
    solve_lscpb,
    solve_mclp,
    solve_pcenter,
    solve_pmedian,
    solve_quota,
)
from coverage.optimize.phasing import PhasingResult, phase_sites
from coverage.optimize.problem import LocationProblem
from coverage.optimize.results import (
    InfeasibilityReason,
    LimitedBy,
    LocationResult,
    Note,
    Status,
    StopReason,
)
from coverage.optimize.solve import MODELS, ModelSpec, solve

__all__ = [
    "MODELS",
    "InfeasibilityReason",
    "LimitedBy",
    "LocationProblem",
    "LocationResult",
    "ModelSpec",
    "Note",
    "PhasingResult",
    "Status",
    "StopReason",
    "phase_sites",
    "solve",
    "solve_lscp",
    "solve_lscpb",
    "solve_mclp",
    "solve_pcenter",
    "solve_pmedian",
    "solve_quota",
]
