"""Exact site-placement optimization on matrices (the numeric core of ``coverage optimize``).

Matrices in, frozen dataclasses out.  Columns of every matrix are *sites*: existing rooms
(``fixed``: open, not counted), candidates, and sites that are ``forced`` or ``excluded``.
Every model honours those, an optional per-site cost with a ``budget``, and reports the
objective, a proven bound and gap, the status, the time and a plain-language message.

Models and formulations (all MILPs solved by HiGHS through highspy, warm-started):

* :func:`solve_mclp` — maximal covering (Church & ReVelle 1974), ``y_r <= sum x_j`` with
  continuous ``y``; merged identical demand rows, dominated candidates dropped; greedy +
  swap incumbent, LP bound, LP-support MILP and reduced-cost fixing before the full MILP.
* :func:`solve_lscp` — location set covering (Toregas et al. 1971), optional share of
  demand; demand no site can reach is listed and named in words.
* :func:`solve_lscpb` — backup covering as spopt's ``LSCPB`` (minimum sites, then most
  demand covered twice).
* :func:`solve_pmedian` — p-median in the radius formulation on sorted distinct distances
  (Elloumi 2010) with certified sparse truncation; capacitated variant with single
  assignment (classical formulation); greedy + Whitaker fast interchange warm start,
  Lagrangian and root-LP reduced-cost fixing of sites (interior point on large models).
* :func:`solve_pcenter` — vertex p-center by binary search over distinct distances with
  set-covering feasibility MILPs.
* :func:`solve_quota` — the planner's problem: per-township minimums of new sites with the
  MCLP or p-median objective, optional total ``p`` and budget.
* :func:`phase_sites` — order chosen sites into yearly batches (greedy marginal gain or
  nested exact optimization).

Readers for the published benchmark sets and a county-like instance generator live in
:mod:`coverage.optimize.instances`.
"""

from coverage.optimize.lscp import solve_lscp, solve_lscpb
from coverage.optimize.mclp import solve_mclp
from coverage.optimize.pcenter import solve_pcenter
from coverage.optimize.phasing import PhasingResult, phase_sites
from coverage.optimize.pmedian import solve_pmedian
from coverage.optimize.quota import solve_quota
from coverage.optimize.results import LocationResult, Status

__all__ = [
    "LocationResult",
    "PhasingResult",
    "Status",
    "phase_sites",
    "solve_lscp",
    "solve_lscpb",
    "solve_mclp",
    "solve_pcenter",
    "solve_pmedian",
    "solve_quota",
]
