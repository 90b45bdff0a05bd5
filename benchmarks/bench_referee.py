"""Nightly-sized referee: hundreds of random instances per model, judged independently.

Runs the checks of ``tests/test_referee.py`` (an independent ``scipy.optimize.milp``
formulation written there, brute force for at most 12 free candidates) on ``--n``
instances per model variant, each with a random combination of the options (existing,
forced and excluded sites, budget with build costs, township minimums, ``p`` at least the
number of candidates) and about a third of them larger (up to 120 x 30), and prints one
table per model x option:

``instances``
    Instances using the option (an instance counts under every option it uses; ``plain``
    is no option, ``all`` every instance of the model).
``optimal_ok``
    Labelled optimal, and the objective equals the referee's optimum.
``feasible``
    Labelled feasible (not proven optimal); ``max_gap`` the largest proven gap reported.
``infeas_ok``
    Both say infeasible.
``no_sol``
    Ended without a selection (no time limit is set here, so this should stay 0).
``MISMATCH``
    Anything else: a wrong optimum, a selection breaking a rule, an objective or bound
    that disagrees, a disagreement on infeasibility, an unexplained ``limited_by``.

Usage::

    python benchmarks/bench_referee.py --n 60            # 600 instances, random seed
    python benchmarks/bench_referee.py --n 60 --seed 42  # replay a run
    python benchmarks/bench_referee.py --case pcenter --seed 42 --index 17 -v  # one
    python benchmarks/bench_referee.py --n 30 --mip-gap 0.2  # early stops: bounds hold?
    python benchmarks/bench_referee.py --ci --seed 42     # the table of a CI run

Exit status 1 when any mismatch was found.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_referee as ref

COLUMNS = ("instances", "optimal_ok", "feasible", "max_gap", "infeas_ok", "no_sol",
           "MISMATCH")


def instances(seed: int, case: str, n: int, medium_share: float) -> list[ref.Instance]:
    """``n`` instances of ``case`` with random option combinations (reproducible)."""
    rng = np.random.default_rng([seed, 1000 + ref.CASES.index(case)])
    out = []
    for _ in range(n):
        opts = frozenset(o for o in ref.OPTIONS if rng.random() < 0.45 and (
            o != "p_all" or case in ref.HAS_P))
        out.append(ref.make_instance(rng, case, opts, medium=rng.random() < medium_share))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="instances per model variant")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: random)")
    ap.add_argument("--cases", default=",".join(ref.CASES),
                    help="model variants: " + ", ".join(ref.CASES))
    ap.add_argument("--medium-share", type=float, default=0.35,
                    help="share of larger instances (up to 120 x 30)")
    ap.add_argument("--ci", action="store_true",
                    help="the CI-sized set of tests/test_referee.py instead (every option "
                    "combination once per model, plus two larger instances; --n ignored)")
    ap.add_argument("--case", default=None, help="with --index: replay one instance")
    ap.add_argument("--index", type=int, default=None)
    ap.add_argument("--mip-gap", type=float, default=0.0,
                    help="relative gap at which our solver may stop (checks the bounds of "
                    "'feasible' answers)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    seed = ref.referee_seed() if args.seed is None else args.seed
    print(f"referee seed: {seed} (replay with --seed {seed})")
    cases = [args.case] if args.case else args.cases.split(",")
    t_all = time.perf_counter()
    table: dict[tuple[str, str], dict[str, float]] = defaultdict(
        lambda: {c: 0.0 for c in COLUMNS})
    mismatches: list[str] = []
    for case in cases:
        t0 = time.perf_counter()
        insts = (list(ref.case_instances(seed, case)) if args.ci
                 else instances(seed, case, args.n, args.medium_share))
        for k, inst in enumerate(insts):
            if args.index is not None and k != args.index:
                continue
            res = inst.run(mip_gap=args.mip_gap) if args.mip_gap and case != "pcenter" else (
                inst.run())
            v = ref.referee(inst, res)
            if args.verbose:
                print(f"{case} #{k} {inst.family} {inst.D.shape} {sorted(inst.options)}: "
                      f"{res.status}/{res.stop} obj {res.objective:g} -> {v.kind} "
                      f"{'; '.join(v.problems)}")
            if v.kind == "mismatch":
                mismatches.append(f"{case} #{k} ({inst.family}, {inst.D.shape}, "
                                  f"{sorted(inst.options)}): {'; '.join(v.problems)}")
            for opt in ["all", *(sorted(inst.options) or ["plain"])]:
                row = table[(case, opt)]
                row["instances"] += 1
                key = {"optimal_ok": "optimal_ok", "feasible": "feasible",
                       "infeasible_ok": "infeas_ok", "no_solution": "no_sol",
                       "mismatch": "MISMATCH"}[v.kind]
                row[key] += 1
                if v.kind == "feasible":
                    row["max_gap"] = max(row["max_gap"], v.gap)
        print(f"  {case}: {len(insts)} instances in {time.perf_counter() - t0:.1f} s",
              flush=True)
    widths = (13, 9, *(10 for _ in COLUMNS))
    head = ("model", "option", *COLUMNS)
    print("\n" + " ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    total = {c: 0.0 for c in COLUMNS}
    for case in cases:
        for opt in ("all", "plain", *ref.OPTIONS):
            row = table.get((case, opt))
            if row is None:
                continue
            cells = [case if opt == "all" else "", opt]
            cells += [f"{row[c]:.1e}" if c == "max_gap" else f"{row[c]:.0f}" for c in COLUMNS]
            print(" ".join(str(x).rjust(w) for x, w in zip(cells, widths, strict=True)))
            if opt == "all":
                for c in COLUMNS:
                    total[c] = max(total[c], row[c]) if c == "max_gap" else total[c] + row[c]
    cells = ["TOTAL", ""] + [f"{total[c]:.1e}" if c == "max_gap" else f"{total[c]:.0f}"
                             for c in COLUMNS]
    print(" ".join(str(x).rjust(w) for x, w in zip(cells, widths, strict=True)))
    print(f"\n{total['instances']:.0f} instances in {time.perf_counter() - t_all:.0f} s; "
          f"mismatches: {len(mismatches)} (seed {seed})")
    for line in mismatches:
        print("MISMATCH", line)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
