"""Time `coverage run` on the demo county, stage by stage.

Usage: python benchmarks/bench_pipeline.py [--repeat N] [REGION.toml]

Prints the median time of each stage over N runs (each into a fresh temporary folder), its
share of the whole run, and the wall-clock time of the whole run including the first-use
imports, so the README's figures can be checked on the machine at hand.  ``network`` reads the
road file and attaches every point to it once (the run's access context); ``access`` and
``suggest`` reuse it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("region", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from coverage.datasets import demo_config_path
    from coverage.pipeline import run

    imports = time.perf_counter() - t0
    region = args.region or demo_config_path()
    walls: list[float] = []
    stages: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            res = run(region, out=Path(tmp) / "out")
            walls.append(time.perf_counter() - t)
            for name, secs in res.timings.items():
                stages.setdefault(name, []).append(secs)
            n_files = len(res.files)
    print(f"region: {region}")
    print(f"imports (first use): {imports:6.2f} s")
    run_s = statistics.median(walls)
    print(f"{'stage':<10} {'median s':>9} {'share':>7}")
    for name, secs in stages.items():
        med = statistics.median(secs)
        print(f"{name:<10} {med:9.2f} {med / run_s:7.1%}")
    net_access = sum(statistics.median(stages.get(k, [0.0])) for k in ("network", "access"))
    print(f"{'net+acc':<10} {net_access:9.2f} {net_access / run_s:7.1%}")
    print(f"{'run':<10} {run_s:9.2f}   ({args.repeat} runs, {n_files} files)")
    print(f"{'total':<10} {imports + walls[0]:9.2f}   (imports + first run)")


if __name__ == "__main__":
    main()
