"""Benchmark: clipping one large OSM file to a county and a buffer (coverage.roads_clip).

Usage::

    python benchmarks/bench_clip.py [--side 1500] [--spacing-m 100] [--county-km 35]
                                    [--buffer-km 10] [--engines pyosmium,osmium]

Files:

1. ``Helsinki.osm.pbf`` from ``../shared/data/osm`` (24,260 nodes; skipped when absent),
   clipped to a disc of ~330 m radius with a 100 m buffer;
2. ``grid``: a synthetic province-sized PBF written here once — a road grid of
   ``side × side`` nodes about ``spacing-m`` apart (default 2.25 million nodes over
   150 × 150 km, ways of 50 nodes along every row and column), clipped to a square county of
   ``county-km`` per side in its middle with a ``buffer-km`` buffer.

3. the synthetic city's ``roads.osm.pbf`` (:mod:`coverage.datasets.city`, generated into a
   temporary folder unless ``--city DIR`` names one), each of its five counties clipped with
   the buffer (``clip_many``: pyosmium reads the nodes once for all five).

Figures per file and engine (wall clock, one run each): clip time, output size, nodes and
ways kept, and the time of a second call (a cache hit: hashing the source, nothing clipped).
On the grid, ``clip_many`` of four counties is timed against four ``clip_roads`` calls.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import osmium
import shapely
import shapely.affinity
from osmium.osm.mutable import Node, Way

from coverage import roads_clip
from coverage.roads_clip import clip_many, clip_roads

HERE = Path(__file__).resolve().parent
HELSINKI = HERE.parents[1] / "shared" / "data" / "osm" / "Helsinki.osm.pbf"
LON0, LAT0 = 117.0, 35.0
KM_LON, KM_LAT = 91.0, 110.95  # km per degree near 35°N


def write_grid(path: Path, *, side: int, spacing_m: float) -> None:
    """A ``side × side`` road grid as PBF (nodes then ways, ids ascending)."""
    step_lon = spacing_m / 1000 / KM_LON
    step_lat = spacing_m / 1000 / KM_LAT
    # ±20 % of the spacing of jitter, so the file is not a perfectly regular (and perfectly
    # compressible) grid
    rng = np.random.default_rng(0)
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for j in range(side):
            jx = rng.uniform(-0.2, 0.2, side) * step_lon
            jy = rng.uniform(-0.2, 0.2, side) * step_lat
            for i in range(side):
                w.add_node(Node(id=j * side + i + 1,
                                location=(round(LON0 + i * step_lon + jx[i], 7),
                                          round(LAT0 + j * step_lat + jy[i], 7))))
        wid = 1
        run = 50
        for j in range(side):  # rows
            for i0 in range(0, side - 1, run):
                refs = [j * side + i + 1 for i in range(i0, min(i0 + run + 1, side))]
                w.add_way(Way(id=wid, nodes=refs, tags={"highway": "unclassified"}))
                wid += 1
        for i in range(side):  # columns
            for j0 in range(0, side - 1, run):
                refs = [j * side + i + 1 for j in range(j0, min(j0 + run + 1, side))]
                w.add_way(Way(id=wid, nodes=refs, tags={"highway": "tertiary"}))
                wid += 1


def count(path: Path) -> tuple[int, int]:
    n = w = 0
    for o in osmium.FileProcessor(str(path)):
        if o.is_node():
            n += 1
        elif o.is_way():
            w += 1
    return n, w


def bench(name: str, source: Path, polygon: shapely.Geometry, buffer_m: float,
          engines: list[str], rows: list[list[str]]) -> None:
    for engine in engines:
        if engine == "osmium" and shutil.which("osmium") is None:
            rows.append([name, engine, "not installed", "", "", "", ""])
            continue
        with tempfile.TemporaryDirectory() as cache:
            roads_clip._digests.clear()
            t0 = time.perf_counter()
            out = clip_roads(source, polygon, buffer_m=buffer_m, cache_dir=Path(cache),
                             engine=engine)
            t_clip = time.perf_counter() - t0
            roads_clip._digests.clear()
            t0 = time.perf_counter()
            clip_roads(source, polygon, buffer_m=buffer_m, cache_dir=Path(cache), engine=engine)
            t_hit = time.perf_counter() - t0
            n, w = count(out)
            rows.append([name, engine, f"{source.stat().st_size / 1e6:.1f}",
                         f"{t_clip:.2f}", f"{out.stat().st_size / 1e6:.2f}", f"{n:,} / {w:,}",
                         f"{t_hit:.2f}"])


def many_rows(name: str, source: Path, polygons: dict[str, shapely.Geometry],
              buffer_m: float, engines: list[str], rows: list[list[str]]) -> None:
    """clip_many of all ``polygons`` against one clip_roads call per polygon."""
    for engine in engines:
        if engine == "osmium" and shutil.which("osmium") is None:
            continue
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            t0 = time.perf_counter()
            outs = clip_many(source, polygons, buffer_m=buffer_m, cache_dir=Path(a),
                             engine=engine)
            t_many = time.perf_counter() - t0
            t0 = time.perf_counter()
            for p in polygons.values():
                clip_roads(source, p, buffer_m=buffer_m, cache_dir=Path(b), engine=engine)
            t_each = time.perf_counter() - t0
            mb = sum(o.stat().st_size for o in outs.values()) / 1e6
            rows.append([name, engine, f"{source.stat().st_size / 1e6:.1f}",
                         f"{t_many:.2f} (one by one {t_each:.2f})", f"{mb:.2f} in all",
                         "", ""])


def city_rows(folder: Path, args: argparse.Namespace, engines: list[str],
              rows: list[list[str]]) -> None:
    import geopandas as gpd

    counties = {p.parent.parent.name: gpd.read_file(p).geometry.iloc[0]
                for p in sorted(folder.glob("counties/*/boundaries/county.geojson"))}
    many_rows(f"city, {len(counties)} counties", folder / "roads.osm.pbf", counties,
              args.buffer_km * 1000, engines, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side", type=int, default=1500)
    ap.add_argument("--spacing-m", type=float, default=100.0)
    ap.add_argument("--county-km", type=float, default=35.0)
    ap.add_argument("--buffer-km", type=float, default=10.0)
    ap.add_argument("--engines", default="pyosmium,osmium")
    ap.add_argument("--city", type=Path, default=None,
                    help="folder of a synthetic city already written (default: generate one)")
    args = ap.parse_args()
    engines = args.engines.split(",")
    rows: list[list[str]] = []
    if HELSINKI.is_file():
        bench("Helsinki", HELSINKI, shapely.Point(24.944, 60.171).buffer(0.003), 100.0,
              engines, rows)
    with tempfile.TemporaryDirectory() as tmp:
        grid = Path(tmp) / "grid.osm.pbf"
        t0 = time.perf_counter()
        write_grid(grid, side=args.side, spacing_m=args.spacing_m)
        t_write = time.perf_counter() - t0
        extent_km = (args.side - 1) * args.spacing_m / 1000
        half = args.county_km / 2
        cx, cy = LON0 + extent_km / 2 / KM_LON, LAT0 + extent_km / 2 / KM_LAT
        county = shapely.box(cx - half / KM_LON, cy - half / KM_LAT, cx + half / KM_LON,
                             cy + half / KM_LAT)
        print(f"grid: {args.side}² = {args.side ** 2:,} nodes over {extent_km:.0f} km, "
              f"written in {t_write:.1f} s ({grid.stat().st_size / 1e6:.1f} MB)")
        bench(f"grid {args.side}²", grid, county, args.buffer_km * 1000, engines, rows)
        four = {f"q{k}": shapely.affinity.translate(county, dx * 2 * half / KM_LON,
                                                    dy * 2 * half / KM_LAT)
                for k, (dx, dy) in enumerate(((-1, -1), (-1, 1), (1, -1), (1, 1)))}
        many_rows(f"grid {args.side}², 4 counties", grid, four, args.buffer_km * 1000,
                  engines, rows)
    if args.city is None:
        from coverage.datasets.city import write_city

        with tempfile.TemporaryDirectory() as tmp:
            city_rows(write_city(Path(tmp) / "city").parent, args, engines, rows)
    else:
        city_rows(args.city, args, engines, rows)
    head = ["file", "engine", "source MB", "clip s", "clip MB", "nodes / ways", "cache hit s"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
