"""Time `coverage run` on the demo county, stage by stage.

Usage: python benchmarks/bench_pipeline.py [--repeat N] [REGION.toml]

Prints the median time of each stage over N runs (each into a fresh temporary folder) and the
wall-clock time of the whole run including the first-use imports, so the README's "well under
a minute" can be checked on the machine at hand.
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
    print(f"{'stage':<10} {'median s':>9}")
    for name, secs in stages.items():
        print(f"{name:<10} {statistics.median(secs):9.2f}")
    print(f"{'run':<10} {statistics.median(walls):9.2f}   ({args.repeat} runs, {n_files} files)")
    print(f"{'total':<10} {imports + walls[0]:9.2f}   (imports + first run)")


if __name__ == "__main__":
    main()
