"""Benchmark the site-placement core against PySAL spopt (PuLP + CBC) and OR-Library.

Prints, in one run:

1. MCLP and p-median on reproducible county-like random instances (500 x 100 up to
   20,000 x 2,000, p = min(50, m // 4)): our time vs spopt's (median of ``--repeat`` runs;
   a solver is not repeated after a run longer than 30 s), both objectives and the ratio.
   spopt's p-median model has n x m assignment variables: ``--skip-spopt-pmedian-above N``
   skips it above N demand points (default 2,000; at 5,000 x 500 it runs for hours).
   Then the same MCLP at a dense "stress" radius, with our time limit and proven gap.
2. The 40 OR-Library pmed instances: p-median and vertex p-center time, objective,
   published optimum and proven gap.

Instances (``random_county(n, m, seed=n + m)``, see :mod:`coverage.optimize.instances`):
``max(5, n // 400)`` townships as Gaussian clusters (spread 2-5 km) in a 60 km square, 10 %
of demand points scattered uniformly, log-normal populations (median 800), candidates a
random subset of the demand points, Euclidean distances.  Both solvers receive the same
dense distance matrix, weights and p; both times are end to end (ours: coverage matrix
from the distances + reductions + heuristics + LP + MILP + every check; spopt:
``from_cost_matrix`` model building + CBC via PuLP).  ``check_s`` is the part of our time
spent verifying: HiGHS's solutions rechecked row by row in numpy and the final selection
re-evaluated on the full input (``details["check_seconds"]``); the status column shows
``optimal`` or the status with the reason the run stopped (``feasible/time_limit``).

Radius: the MCLP rows use 1,000 m, the walking distance of the 15-minute life circle
(GB 50180-2018: 800-1,000 m), the standard a village/community counselling room is planned
to.  At 20,000 x 2,000 spopt took 224 s on it here, in line with the ~190 s the issue quotes.
The stress rows use 3 km (a township-level service) on the same points: the family is
denser than a real county at the large sizes (townships grow with n inside a fixed 60 km
square, so a 3 km disc holds ~27 candidates at 20,000 points), the LP relaxation is ~4 %
above the best known solution, and optimality is not proven within the time limit; the
gap printed is the proven one.

Usage::

    python benchmarks/bench_optimize.py [--repeat 3] [--pmed 1-40] [--radius 1000]
    python benchmarks/bench_optimize.py --stress-radius 0   # without the dense stress rows
    python benchmarks/bench_optimize.py --no-random --no-pcenter   # OR-Library p-median only
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from coverage.optimize import LocationProblem, LocationResult, phase_sites, solve
from coverage.optimize.instances import random_county, read_orlib_pmed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "orlib_pmed"
SIZES = [(500, 100), (2000, 200), (5000, 500), (10000, 1000), (20000, 2000)]
RADIUS_M = 1000.0
"""MCLP radius: the walking distance of the 15-minute life circle (GB 50180-2018, 800-1,000 m),
the standard a village/community counselling room is planned to; p = 50 new rooms a year is
what a county pushing its village indicator from 60 % to 80 % builds."""
STRESS_RADIUS_M = 3000.0
"""Stress rows: a township-level radius on the same points.  With 50 townships packed into a
60 km square at 20,000 points a 3 km disc holds ~27 candidates; the LP relaxation is ~4 %
above the best known solution and no solver here proves optimality within minutes."""
T = TypeVar("T")
PCENTER_OPT = (
    127, 98, 93, 74, 48, 84, 64, 55, 37, 20, 59, 51, 36, 26, 18, 47, 39, 28, 18, 13,
    40, 38, 22, 15, 11, 38, 32, 18, 13, 9, 30, 29, 15, 11, 30, 27, 15, 29, 23, 13,
)


def _p_for(n_cand: int) -> int:
    return min(50, n_cand // 4)


def _spopt_mclp(cost: np.ndarray, w: np.ndarray, p: int, radius: float) -> tuple[float, float]:
    import pulp
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    m = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p)
    m.solve(pulp.PULP_CBC_CMD(msg=False))
    obj = float(m.problem.objective.value())
    return obj, time.perf_counter() - t0


def _spopt_pmedian(cost: np.ndarray, w: np.ndarray, p: int) -> tuple[float, float]:
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    m = PMedian.from_cost_matrix(cost, w, p_facilities=p)
    m.solve(pulp.PULP_CBC_CMD(msg=False))
    obj = float(m.problem.objective.value())
    return obj, time.perf_counter() - t0


def _mclp(C: sp.csr_matrix, w: np.ndarray, p: int, limit: float) -> LocationResult:
    return solve(LocationProblem(coverage=C, weights=w), model="mclp", p=p, time_limit=limit)


def _pmedian(D: np.ndarray, w: np.ndarray | None, p: int, limit: float) -> LocationResult:
    return solve(LocationProblem(travel=D, weights=w), model="pmedian", p=p,
                 time_limit=limit)


def _pcenter(D: np.ndarray, p: int, limit: float) -> LocationResult:
    return solve(LocationProblem(travel=D), model="pcenter", p=p, time_limit=limit)


def _status(res: LocationResult) -> str:
    """``optimal``, or ``feasible``/``infeasible``/... with the stop reason."""
    return res.status if res.status == "optimal" else f"{res.status}/{res.stop}"


def _row(cells: Sequence[object], widths: Sequence[int]) -> str:
    return " ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))


def _median_time(fn: Callable[[], T], runs: int) -> tuple[T, float, int]:
    """Run ``fn`` up to ``runs`` times; stop repeating once one run exceeds 30 s."""
    times: list[float] = []
    out: T
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if times[-1] > 30.0:
            break
    return out, statistics.median(times), len(times)


def bench_random(args: argparse.Namespace) -> None:
    try:
        import spopt  # noqa: F401
        have_spopt = True
    except ImportError:
        have_spopt = False
    head = ["model", "radius", "n_demand", "n_cand", "p", "runs", "ours_s", "check_s", "status",
            "gap", "ours_obj", "spopt_s", "spopt_obj", "same_obj", "speedup"]
    widths = [8, 6, 8, 6, 3, 4, 8, 7, 20, 8, 16, 9, 16, 8, 8]
    print("\n== Random county instances (seeded; median of the runs) ==")
    print(_row(head, widths))
    ratios: dict[str, list[float]] = {}
    jobs: list[tuple[str, str, float, float, int]] = [
        (f"mclp {args.radius:.0f} m", "mclp", args.radius, args.time_limit,
         args.skip_spopt_above),
        ("pmedian", "pmedian", 0.0, args.time_limit, args.skip_spopt_pmedian_above),
    ]
    if args.stress_radius > 0:
        jobs.append((f"mclp {args.stress_radius:.0f} m (stress)", "mclp", args.stress_radius,
                     args.stress_time_limit, args.skip_spopt_stress_above))
    wanted = set(args.models.split(","))
    jobs = [j for j in jobs if ("stress" if "stress" in j[0] else j[1]) in wanted]
    sizes = [s for s in SIZES if args.max_demand is None or s[0] <= args.max_demand]
    sizes = [s for s in sizes if args.min_demand is None or s[0] >= args.min_demand]
    for key, model, radius, limit, spopt_max in jobs:
        for n_dem, n_cand in sizes:
            inst = random_county(n_dem, n_cand, seed=n_dem + n_cand)
            p = _p_for(n_cand)
            D = inst.distances()
            if model == "mclp":
                C = sp.csr_matrix(np.less_equal(D, radius))
                res, ours_s, runs = _median_time(
                    partial(_mclp, C, inst.weights, p, limit), args.repeat)
            else:
                res, ours_s, runs = _median_time(
                    partial(_pmedian, D, inst.weights, p, limit), args.repeat)
            s_obj: float | str = "skipped"
            s_time: float | str = "skipped"
            same = speed = "-"
            if have_spopt and n_dem <= spopt_max:
                if model == "mclp":
                    (so, _), st, _ = _median_time(
                        partial(_spopt_mclp, D, inst.weights, p, radius), args.repeat)
                else:
                    (so, _), st, _ = _median_time(
                        partial(_spopt_pmedian, D, inst.weights, p), args.repeat)
                s_obj, s_time = f"{so:.2f}", f"{st:.2f}"
                same = "yes" if abs(so - res.objective) <= 1e-6 * max(1.0, abs(so)) else "NO"
                speed = f"{st / ours_s:.1f}x"
                ratios.setdefault(key, []).append(st / ours_s)
            check = res.details.get("check_seconds", float("nan"))
            print(_row([model, f"{radius:.0f}" if radius else "-", n_dem, n_cand, p, runs,
                        f"{ours_s:.2f}", f"{check:.3f}", _status(res), f"{res.gap:.1e}",
                        f"{res.objective:.2f}", s_time, s_obj, same, speed], widths),
                  flush=True)
            if model == "mclp" and (n_dem, n_cand) == (20000, 2000):
                verdict = "met" if res.status == "optimal" and ours_s < 30 else "NOT met"
                print(f"   goal 20,000 x 2,000 MCLP proven optimal in < 30 s at {radius:.0f} m: "
                      f"{verdict} ({res.status}, {ours_s:.1f} s, gap {res.gap:.1e})")
    for key, r in ratios.items():
        print(f"median speedup vs spopt ({key}): {statistics.median(r):.1f}x over "
              f"{len(r)} size(s); smallest {min(r):.1f}x")
    print(f"(spopt skipped above {args.skip_spopt_above} demand points for MCLP, "
          f"{args.skip_spopt_pmedian_above} for p-median and {args.skip_spopt_stress_above} "
          "for the stress MCLP)")


def bench_phasing() -> None:
    """Greedy phasing of ~100 chosen sites on a 450 x 450 county (median of 3 runs)."""
    inst = random_county(450, 450, seed=450)
    cov = sp.csr_matrix(inst.distances() <= STRESS_RADIUS_M)
    sites = np.arange(0, 450, 4)[:100]
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        res = phase_sites(cov, inst.weights, sites=sites, years=5)
        times.append(time.perf_counter() - t0)
    print(f"\n== Greedy phasing: {sites.size} sites, 450 x 450, 5 years ==\n"
          f"median {statistics.median(times):.3f} s; coverage by year "
          f"{', '.join(f'{v:g}' for v in res.cumulative_objective)}")


def bench_pmed(args: argparse.Namespace) -> None:
    if not SHARED.is_dir():
        print(f"OR-Library instances not found at {SHARED}; skipped")
        return
    # "pmedN value" pairs, one per line or ";"-separated, after a free-text header
    tokens = (SHARED / "pmedopt.txt").read_text().replace(";", " ").split()
    opt = {
        name: float(value)
        for name, value in itertools.pairwise(tokens)
        if name.startswith("pmed") and name[4:].isdigit()
    }
    lo, hi = (int(x) for x in args.pmed.split("-"))
    head = ["inst", "n", "p", "pmed_s", "pmed_obj", "published", "gap", "ok",
            "pctr_s", "pctr_obj", "published", "ok"]
    widths = [7, 4, 4, 8, 9, 9, 8, 3, 7, 8, 9, 3]
    print("\n== OR-Library pmed1-40: p-median and vertex p-center ==")
    print(_row(head, widths))
    t_all = time.perf_counter()
    n_ok = n_ok_c = 0
    for k in range(lo, hi + 1):
        inst = read_orlib_pmed(SHARED / f"pmed{k}.txt")
        res = _pmedian(inst.cost, None, inst.p, args.pmed_time_limit)
        ok = res.objective == opt[f"pmed{k}"] and res.status == "optimal"
        n_ok += ok
        if args.no_pcenter:
            pc_cells: list[object] = ["-", "-", PCENTER_OPT[k - 1], "-"]
        else:
            pc = _pcenter(inst.cost, inst.p, args.pmed_time_limit)
            ok_c = pc.objective == PCENTER_OPT[k - 1] and pc.status == "optimal"
            n_ok_c += ok_c
            pc_cells = [f"{pc.solve_seconds:.2f}", f"{pc.objective:g}", PCENTER_OPT[k - 1],
                        "yes" if ok_c else "NO"]
        print(_row([f"pmed{k}", inst.n, inst.p, f"{res.solve_seconds:.2f}",
                    f"{res.objective:g}", f"{opt[f'pmed{k}']:g}", f"{res.gap:.1e}",
                    "yes" if ok else "NO", *pc_cells], widths), flush=True)
    total = hi - lo + 1
    print(f"p-median at published optimum (proven): {n_ok}/{total}; "
          f"p-center: {n_ok_c}/{total}; total time {time.perf_counter() - t_all:.1f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-spopt-above", type=int, default=20000,
                    help="skip spopt MCLP above this many demand points")
    ap.add_argument("--skip-spopt-pmedian-above", type=int, default=2000,
                    help="skip spopt p-median above this many demand points")
    ap.add_argument("--time-limit", type=float, default=300.0,
                    help="our time limit per random instance (s)")
    ap.add_argument("--radius", type=float, default=RADIUS_M,
                    help="MCLP service radius in metres (same for spopt and ours)")
    ap.add_argument("--stress-radius", type=float, default=STRESS_RADIUS_M,
                    help="radius of the dense stress MCLP rows (0 = skip them)")
    ap.add_argument("--stress-time-limit", type=float, default=60.0,
                    help="our time limit per stress instance (s)")
    ap.add_argument("--skip-spopt-stress-above", type=int, default=2000,
                    help="skip spopt on stress instances above this many demand points")
    ap.add_argument("--models", default="mclp,pmedian,stress",
                    help="random-instance rows to run: any of mclp, pmedian, stress")
    ap.add_argument("--min-demand", type=int, default=None,
                    help="only random instances with at least this many demand points")
    ap.add_argument("--max-demand", type=int, default=None,
                    help="only random instances with at most this many demand points")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per instance and solver (median; no repeat after a run > 30 s)")
    ap.add_argument("--pmed", default="1-40", help="range of pmed instances, e.g. 1-10")
    ap.add_argument("--pmed-time-limit", type=float, default=600.0)
    ap.add_argument("--no-random", action="store_true")
    ap.add_argument("--no-pmed", action="store_true")
    ap.add_argument("--no-pcenter", action="store_true")
    args = ap.parse_args(argv)
    if not args.no_random:
        bench_random(args)
    if not args.no_random:
        bench_phasing()
    if not args.no_pmed:
        bench_pmed(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
