"""Benchmark the site-placement core against PySAL spopt (PuLP + CBC) and OR-Library.

Prints, in one run:

1. MCLP and p-median on reproducible county-like random instances (500 x 100 up to
   20,000 x 2,000): our time vs spopt's, both objectives and the speed ratio.  spopt builds a
   dense PuLP model and becomes very slow on large instances: ``--skip-spopt-above N``
   skips spopt for instances with more than N demand points (MCLP), and
   ``--skip-spopt-pmedian-above N`` for the p-median (its model has n x m variables).
2. The 40 OR-Library pmed instances: p-median and vertex p-center time, objective,
   published optimum and proven gap.

Instances (``random_county(n, m, seed=n + m)``, see :mod:`coverage.optimize.instances`):
``max(5, n // 400)`` townships as Gaussian clusters (spread 2-5 km) in a 60 km square, 10 %
of demand points scattered uniformly, log-normal populations (median 800), candidates a
random subset of the demand points, Euclidean distances; MCLP radius 3 km, p = min(50,
m // 4).  Both solvers receive the same dense distance matrix, weights and p; both times
are end to end (ours: coverage matrix from the distances + reductions + heuristics + LP +
MILP; spopt: ``from_cost_matrix`` model building + CBC via PuLP).

Radius: 3 km stands for a township-level service (health centre, elderly-care centre);
``--radius 1100`` is the 15-minute-walk standard of a community service.  The family is
denser than a real county at the large sizes (townships grow with n inside a fixed 60 km
square: at 20,000 points a 3 km disc holds about 27 candidates), which gives a weak LP
relaxation (about 4 % at 20,000 x 2,000); it is kept unchanged so that runs stay comparable.

Usage::

    python benchmarks/bench_optimize.py [--skip-spopt-above 5000] [--pmed 1-40] [--radius 3000]
    python benchmarks/bench_optimize.py --no-random --no-pcenter   # OR-Library p-median only
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from coverage.optimize import phase_sites, solve_mclp, solve_pcenter, solve_pmedian
from coverage.optimize.instances import random_county, read_orlib_pmed

SHARED = Path(__file__).resolve().parents[2] / "shared" / "bench" / "orlib_pmed"
SIZES = [(500, 100), (2000, 200), (5000, 500), (10000, 1000), (20000, 2000)]
RADIUS_M = 3000.0
"""Default MCLP radius: a township-level service (health centre, elderly-care centre) within
about 3 km; ``--radius 1100`` gives the 15-minute-walk standard of a community service."""
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


def _row(cells: Sequence[object], widths: Sequence[int]) -> str:
    return " ".join(str(c).rjust(w) for c, w in zip(cells, widths, strict=True))


def bench_random(args: argparse.Namespace) -> None:
    try:
        import spopt  # noqa: F401
        have_spopt = True
    except ImportError:
        have_spopt = False
    head = ["model", "n_demand", "n_cand", "p", "ours_s", "status", "gap", "ours_obj",
            "spopt_s", "spopt_obj", "same_obj", "speedup"]
    widths = [8, 8, 6, 3, 8, 10, 8, 16, 9, 16, 8, 8]
    print(f"\n== Random county instances (seeded; radius {args.radius:.0f} m for MCLP) ==")
    print(_row(head, widths))
    ratios: dict[str, list[float]] = {"mclp": [], "pmedian": []}
    for n_dem, n_cand in SIZES:
        inst = random_county(n_dem, n_cand, seed=n_dem + n_cand)
        p = _p_for(n_cand)
        D = inst.distances()
        for model in ("mclp", "pmedian"):
            t0 = time.perf_counter()
            if model == "mclp":
                radius = float(args.radius)
                res = solve_mclp(sp.csr_matrix(np.less_equal(D, radius)), inst.weights, p=p,
                                 time_limit=args.time_limit)
            else:
                res = solve_pmedian(D, inst.weights, p=p, time_limit=args.time_limit)
            ours_s = time.perf_counter() - t0
            limit = args.skip_spopt_above if model == "mclp" else args.skip_spopt_pmedian_above
            s_obj: float | str = "skipped"
            s_time: float | str = "skipped"
            same: str = "-"
            speed: str = "-"
            if have_spopt and n_dem <= limit:
                if model == "mclp":
                    so, st = _spopt_mclp(D, inst.weights, p, args.radius)
                else:
                    so, st = _spopt_pmedian(D, inst.weights, p)
                s_obj, s_time = f"{so:.2f}", f"{st:.2f}"
                same = "yes" if abs(so - res.objective) <= 1e-6 * max(1.0, abs(so)) else "NO"
                speed = f"{st / ours_s:.1f}x"
                ratios[model].append(st / ours_s)
            print(_row([model, n_dem, n_cand, p, f"{ours_s:.2f}", res.status,
                        f"{res.gap:.1e}", f"{res.objective:.2f}", s_time, s_obj, same, speed],
                       widths), flush=True)
    for model, r in ratios.items():
        if r:
            print(f"median speedup vs spopt ({model}): {statistics.median(r):.1f}x "
                  f"over {len(r)} instance(s)")
    print(f"(spopt skipped above {args.skip_spopt_above} demand points for MCLP and "
          f"{args.skip_spopt_pmedian_above} for p-median)")


def bench_phasing() -> None:
    """Greedy phasing of ~100 chosen sites on a 450 x 450 county (median of 3 runs)."""
    inst = random_county(450, 450, seed=450)
    cov = sp.csr_matrix(inst.distances() <= RADIUS_M)
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
        res = solve_pmedian(inst.cost, p=inst.p, time_limit=args.pmed_time_limit)
        ok = res.objective == opt[f"pmed{k}"] and res.status == "optimal"
        n_ok += ok
        if args.no_pcenter:
            pc_cells: list[object] = ["-", "-", PCENTER_OPT[k - 1], "-"]
        else:
            pc = solve_pcenter(inst.cost, p=inst.p, time_limit=args.pmed_time_limit)
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
    ap.add_argument("--skip-spopt-above", type=int, default=5000,
                    help="skip spopt MCLP above this many demand points")
    ap.add_argument("--skip-spopt-pmedian-above", type=int, default=2000,
                    help="skip spopt p-median above this many demand points")
    ap.add_argument("--time-limit", type=float, default=300.0,
                    help="our time limit per random instance (s)")
    ap.add_argument("--radius", type=float, default=RADIUS_M,
                    help="MCLP service radius in metres (same for spopt and ours)")
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
