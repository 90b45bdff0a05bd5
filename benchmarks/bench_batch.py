"""Benchmark of ``coverage batch``: a synthetic province on 1 and 2 workers, and road clipping.

Writes a synthetic province of N counties (:func:`coverage.datasets.city.write_province`,
not committed), runs it as one batch on a LocalCluster of 1 and then 2 worker processes
(light county folders unless ``--full``), and prints a table: wall time, counties per minute,
speed-up, the peak memory of each worker process (the largest ``ru_maxrss`` reported by its
counties).  Then it clips the province's road file to one county with
:func:`coverage.roads_clip.clip_roads` (cold, then cached) and prints the time and sizes.

Run::

    python benchmarks/bench_batch.py --counties 40 --workers 1 2 --work /tmp/bench-batch

The province is written once into ``--work`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import shapely


def _province(work: Path, counties: int, full: bool) -> Path:
    from coverage.datasets.city import write_province

    folder = work / f"province-{counties}"
    toml = folder / "batch.toml"
    if not toml.is_file():
        t0 = time.perf_counter()
        write_province(folder, counties=counties)
        print(f"province of {counties} counties written in {time.perf_counter() - t0:.0f} s")
    text = toml.read_text(encoding="utf-8")
    if "county_outputs" not in text:
        mode = "full" if full else "light"
        text = text.replace("[batch]\n", f'[batch]\ncounty_outputs = "{mode}"\n', 1)
        toml.write_text(text, encoding="utf-8")
    return toml


def _run(toml: Path, out: Path, workers: int) -> dict[str, float]:
    from coverage.batch import run_batch

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    result = run_batch(toml, out=out, workers=workers, echo=lambda _: None)
    wall = time.perf_counter() - t0
    peaks: dict[str, float] = {}
    for o in result.outcomes:
        peaks[o.worker] = max(peaks.get(o.worker, 0.0), o.peak_memory_mb)
    done = sum(o.status == "done" for o in result.outcomes)
    return {"workers": workers, "wall_s": wall, "done": done,
            "failed": len(result.failed), "per_min": done / wall * 60,
            "county_s": sum(o.seconds for o in result.outcomes) / max(done, 1),
            "peak_mb": max(peaks.values(), default=0.0)}


def _clip(toml: Path, work: Path) -> list[dict[str, object]]:
    """Clip the province's road file to its middle county: each engine cold, then cached."""
    import geopandas as gpd

    from coverage.batch import load_batch_config
    from coverage.roads_clip import clip_roads

    cfg = load_batch_config(toml)
    assert cfg.roads is not None
    county = cfg.counties[len(cfg.counties) // 2]
    outline = shapely.union_all(gpd.read_file(county.config.parent / "boundaries" /
                                              "county.geojson").to_crs(4326).geometry)
    rows: list[dict[str, object]] = []
    engines = ["pyosmium"] + (["osmium"] if shutil.which("osmium") else [])
    for engine in engines:
        cache = work / f"clip-cache-{engine}"
        shutil.rmtree(cache, ignore_errors=True)
        t0 = time.perf_counter()
        out = clip_roads(cfg.roads, outline, buffer_m=cfg.buffer_km * 1000, cache_dir=cache,
                         engine=engine)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        clip_roads(cfg.roads, outline, buffer_m=cfg.buffer_km * 1000, cache_dir=cache,
                   engine=engine)
        rows.append({"engine": engine, "source_mb": cfg.roads.stat().st_size / 1e6,
                     "clip_mb": out.stat().st_size / 1e6, "cold_s": cold,
                     "cached_s": time.perf_counter() - t0})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=40)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-batch"))
    ap.add_argument("--full", action="store_true", help="full county folders (sheets, report)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    ap.add_argument("--clip-only", action="store_true", help="only the road clipping")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    toml = _province(args.work, args.counties, args.full)
    rows = [] if args.clip_only else [_run(toml, args.work / f"out-{w}", w)
                                      for w in args.workers]
    base = rows[0]["wall_s"] * rows[0]["workers"] if rows else 0.0
    print(f"\n{args.counties} counties ({'full' if args.full else 'light'} folders)")
    print(f"{'workers':>7} {'wall s':>8} {'done':>5} {'failed':>6} {'cty/min':>8} "
          f"{'s/county':>9} {'speed-up':>9} {'peak MB/worker':>15}")
    for r in rows:
        speed = base / r["wall_s"] / rows[0]["workers"]
        r["speedup"] = speed
        print(f"{r['workers']:>7.0f} {r['wall_s']:>8.0f} {r['done']:>5.0f} {r['failed']:>6.0f} "
              f"{r['per_min']:>8.2f} {r['county_s']:>9.1f} {speed:>9.2f} {r['peak_mb']:>15.0f}")
    clip = _clip(toml, args.work)
    for c in clip:
        print(f"clip_roads ({c['engine']}): source {c['source_mb']:.1f} MB -> one county "
              f"{c['clip_mb']:.2f} MB in {c['cold_s']:.1f} s (cached: {c['cached_s']:.2f} s)")
    if args.json:
        args.json.write_text(json.dumps({"runs": rows, "clip": clip}, indent=2))


if __name__ == "__main__":
    main()
