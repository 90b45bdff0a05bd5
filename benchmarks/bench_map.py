"""Benchmark: the interactive map's size, load and redraw time in a real browser.

Usage::

    python benchmarks/bench_map.py [--sizes 10000 50000] [--repeat 5] [--demo]

Pages (each opened ``--repeat`` times in one headless Debian Chromium, median reported):

* ``empty``: an empty Leaflet page (the same inlined Leaflet, one ``L.map`` with a view) —
  the floor every page pays;
* ``N villages``: a synthetic county of ``N`` villages with every layer of
  :class:`coverage.maps.MapLayers`: villages with a room status, a demand point per village
  (travel time, covered, access status), two stacked township indicators, county rates,
  isochrone areas, 1 % of the villages as suggested sites over three years, a road network
  (a perturbed grid of every class), rivers, a lake and place names;
* ``demo`` (with ``--demo``): the embedded demo county through ``make_layers``-like inputs.

Figures: file size; *ready* = milliseconds from navigation start until the first frame after
the page's script has drawn the map (``coverageApp.paintedAt``, taken in a timeout after the
next animation frame; the same for the empty page) and the difference to the empty page;
*pan* and *zoom* = the synchronous redraw after ``panBy`` / ``setZoom`` (our canvases and
Leaflet's), at the opening view (points aggregated) and at zoom 15 (points
drawn one by one); *busy* = the renderer's main-thread task time up to then (Chrome's
``TaskDuration`` metric: the work done, less sensitive than wall time to other processes on
a shared machine); JS heap after load.  Budgets (issue 15): 10,000 villages ≤ 1.5 MB and
≤ 0.5 s after the empty page, 50,000 ≤ 6 MB and ≤ 1.5 s, redraw ≤ 100 ms at 50,000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import coverage
from coverage.maps import MapLayers, write_interactive_map
from coverage.maps._assets import leaflet_inline

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EMPTY = ("<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>" + "{leaflet}" +
         "<style>html,body,#m{{margin:0;height:100%}}</style></head><body><div id='m'></div>"
         "<script>var m = L.map('m').setView([35, 117], 10); var a = window.coverageApp = "
         "{{ready: true, readyAt: performance.now(), map: m, repaint: function () {{}}}};"
         "requestAnimationFrame(function () {{ setTimeout(function () {{ "
         "a.paintedAt = performance.now(); }}, 0); }});</script></body></html>")


def synthetic_layers(n: int, *, seed: int = 1) -> MapLayers:
    """A county of ``n`` villages with every map layer (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = 0.004 * np.sqrt(n)  # ~ 2.2 km² per village
    x0, y0 = 117.0, 35.0
    county = shapely.box(x0, y0, x0 + side, y0 + side)
    k = max(int(np.sqrt(n / 250)), 2)  # ~250 villages per township
    towns, codes = [], []
    for i in range(k):
        for j in range(k):
            towns.append(shapely.box(x0 + side * i / k, y0 + side * j / k,
                                     x0 + side * (i + 1) / k, y0 + side * (j + 1) / k))
            codes.append(f"3799{(i * k + j + 1):05d}")
    admin = {
        "county": gpd.GeoDataFrame({"code": ["379900"], "name": ["基准县"]},
                                   geometry=[county], crs="EPSG:4326"),
        "township": gpd.GeoDataFrame({"code": codes, "name": [f"第{i + 1}镇" for i in
                                                              range(len(codes))],
                                      "parent_code": "379900"}, geometry=towns,
                                     crs="EPSG:4326"),
    }
    xs, ys = rng.uniform(x0, x0 + side, n), rng.uniform(y0, y0 + side, n)
    status = rng.choice(["built", "none", "planned", "under_construction"], n,
                        p=[0.6, 0.25, 0.1, 0.05])
    syll = list("东西南北前后大小新老王李张刘陈杨赵黄周吴")
    names = ["".join(rng.choice(syll, 2)) + ("村" if i % 7 else "社区") for i in range(n)]
    villages = gpd.GeoDataFrame({
        "id": [f"{codes[0][:6]}{i:06d}" for i in range(n)], "name": names, "status": status,
        "population": rng.integers(200, 4000, n).astype(float),
        "counsellors": rng.integers(0, 3, n).astype(float),
    }, geometry=gpd.points_from_xy(xs, ys), crs="EPSG:4326")
    region = coverage.region_from_frames(name="基准县", code="379900", admin=admin,
                                         layers={"village": villages})
    vil = region.layers["village"]
    minutes = rng.gamma(3.0, 6.0, n)
    minutes[rng.random(n) < 0.02] = np.nan
    covered = np.nan_to_num(minutes, nan=99) <= 15
    demand = gpd.GeoDataFrame({
        "id": vil["id"], "name": vil["name"], "kind": "village",
        "township_code": vil["township_code"], "township_name": vil["township_name"],
        "population": vil["population"], "time_min": minutes, "dist_m": minutes * 250,
        "covered": covered, "access_status": np.where(
            np.isnan(minutes), "unreachable", np.where(covered, "covered", "beyond_threshold")),
        "service_name": "村（社区）心理咨询室",
    }, geometry=vil.geometry.to_numpy(), crs="EPSG:4326")
    rows = []
    for ind, name in (("village_room_rate", "村（社区）心理咨询室建成率"),
                      ("school_room_rate", "中小学心理辅导室设立率")):
        for code in codes:
            sel = vil[vil["township_code"] == code]
            num, den = int((sel["status"] == "built").sum()), max(len(sel), 1)
            rows.append({"township_code": code, "indicator_id": ind, "indicator_name": name,
                         "rate": num / den * (1 if ind == "village_room_rate" else 1.2),
                         "target": 0.8, "numerator": num, "denominator": den,
                         "shortfall": max(int(np.ceil(0.8 * den)) - num, 0), "status": "unmet",
                         "citation": "国卫疾控发〔2018〕44号", "unlocated": 0})
    rates = pd.DataFrame(rows)
    metric = region.to_metric(vil[vil["status"] == "built"])
    cmetric = region.to_metric(admin["county"]).union_all()
    iso = []
    for mins, r in ((15, 1200.0), (30, 2600.0)):
        geom = shapely.intersection(shapely.union_all(metric.geometry.buffer(r, 8)), cmetric)
        iso.append({"service_name": "村（社区）心理咨询室", "minutes": mins, "mode": "walk",
                    "geometry": shapely.simplify(geom, 30)})
    isochrones = gpd.GeoDataFrame(iso, crs=region.metric_crs).to_crs("EPSG:4326")
    unc = demand[~demand["covered"]].sort_values("population", ascending=False)
    unc = unc.head(max(n // 100, 10))
    suggestions = gpd.GeoDataFrame({
        "rank": np.arange(1, len(unc) + 1), "id": unc["id"].to_numpy(), "kind": "village",
        "name": unc["name"].to_numpy(), "township_code": unc["township_code"].to_numpy(),
        "phase": np.arange(len(unc)) * 3 // len(unc) + 1, "reason": "coverage",
        "gain_population": unc["population"].to_numpy(),
        "explanation": [f"新增覆盖 {p:,.0f} 人" for p in unc["population"]],
    }, geometry=unc.geometry.to_numpy(), crs="EPSG:4326")
    return MapLayers(region=region, township_rates=rates, headline_indicator="village_room_rate",
                     demand=demand, isochrones=isochrones, suggestions=suggestions,
                     roads=_roads(rng, x0, y0, side, n), water=_water(x0, y0, side),
                     places=_places(rng, x0, y0, side, n // 20))


def _roads(rng: np.random.Generator, x0: float, y0: float, side: float, n: int
           ) -> gpd.GeoDataFrame:
    """A perturbed road grid: every class, curvy lines of 12 vertices, ~1 road per 2 villages."""
    m = max(int(np.sqrt(n / 2) / 2), 4)
    lines, classes = [], []
    order = ["trunk", "primary", "secondary", "tertiary", "minor", "minor", "track"]
    for axis in (0, 1):
        for i in range(m):
            for j in range(m):
                t = np.linspace(0, 1, 12)
                a = (i + 0.5 + 0.15 * np.sin(t * 6 + j)) / m
                b = (j + t) / m
                xy = np.column_stack([a, b] if axis else [b, a]) * side + [x0, y0]
                xy += rng.normal(0, side / m / 40, xy.shape)
                lines.append(shapely.LineString(xy))
                classes.append(order[(i * 7 + j * 3) % len(order)] if i % 5 else "primary")
    return gpd.GeoDataFrame({"road_class": classes}, geometry=lines, crs="EPSG:4326")


def _water(x0: float, y0: float, side: float) -> gpd.GeoDataFrame:
    t = np.linspace(0, 1, 200)
    river = shapely.LineString(np.column_stack([x0 + t * side,
                                                y0 + side * (0.4 + 0.1 * np.sin(t * 9))]))
    lake = shapely.Point(x0 + side * 0.7, y0 + side * 0.75).buffer(side * 0.03)
    return gpd.GeoDataFrame({"water_kind": ["river", "lake"], "name": ["大河", "湖"]},
                            geometry=[river, lake], crs="EPSG:4326")


def _places(rng: np.random.Generator, x0: float, y0: float, side: float, n: int
            ) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "place_kind": rng.choice(["hamlet", "village", "town"], n, p=[0.6, 0.38, 0.02]),
        "name": [f"屯{i}" for i in range(n)],
    }, geometry=gpd.points_from_xy(rng.uniform(x0, x0 + side, n),
                                   rng.uniform(y0, y0 + side, n)), crs="EPSG:4326")


_REDRAW = """async (zoom) => {
  const a = window.coverageApp, m = a.map, out = {pan: [], zoom: []};
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  if (zoom !== null) { m.setView(m.getCenter(), zoom, {animate: false}); await frame(); }
  const z0 = m.getZoom();
  for (let k = 0; k < 5; k++) {
    let t = performance.now();
    m.panBy([k % 2 ? -240 : 240, 120], {animate: false}); a.repaint();
    out.pan.push(performance.now() - t);
    await frame();
    t = performance.now();
    m.setZoom(k % 2 ? z0 : z0 + 1, {animate: false}); a.repaint();
    out.zoom.push(performance.now() - t);
    await frame();
  }
  return out; }"""


def measure(browser: object, path: Path, repeat: int) -> dict[str, float]:
    """Median ready time, redraws and heap of ``repeat`` fresh pages on ``path``."""
    ready, busy, pan, zoom, pan15, zoom15, heap = [], [], [], [], [], [], []
    for _ in range(repeat):
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            ("file:", "data:", "about:", "blob:")) else r.abort())
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(path.as_uri())
        page.wait_for_function("window.coverageApp && window.coverageApp.paintedAt",
                               timeout=60_000)
        ready.append(page.evaluate("window.coverageApp.paintedAt"))
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        busy.append(metrics["TaskDuration"] * 1000)
        heap.append(page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0"))
        r = page.evaluate(_REDRAW, None)
        pan.append(statistics.median(r["pan"]))
        zoom.append(statistics.median(r["zoom"]))
        r = page.evaluate(_REDRAW, 15)
        pan15.append(statistics.median(r["pan"]))
        zoom15.append(statistics.median(r["zoom"]))
        ctx.close()
    return {"ready": statistics.median(ready), "busy": statistics.median(busy),
            "pan": statistics.median(pan),
            "zoom": statistics.median(zoom), "pan15": statistics.median(pan15),
            "zoom15": statistics.median(zoom15), "heap": statistics.median(heap) / 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--demo", action="store_true", help="also the embedded demo county")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: the benchmark needs Debian chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_map_"))
    pages: list[tuple[str, Path, float]] = []
    empty = tmp / "empty.html"
    empty.write_text(EMPTY.format(leaflet=leaflet_inline()), encoding="utf-8")
    pages.append(("empty Leaflet page", empty, 0.0))
    if args.demo:
        demo = Path(__file__).resolve().parents[1] / "data" / "demo" / "region.toml"
        sys.path.insert(0, str(demo.parents[2] / "tests"))
        from test_maps_data import make_layers

        t0 = time.perf_counter()
        path = write_interactive_map(make_layers(coverage.load_region(demo)), tmp / "demo.html")
        pages.append(("demo county (454 villages)", path, time.perf_counter() - t0))
    for n in args.sizes:
        layers = synthetic_layers(n)
        t0 = time.perf_counter()
        path = write_interactive_map(layers, tmp / f"map_{n}.html")
        pages.append((f"{n:,} villages, every layer", path, time.perf_counter() - t0))
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for label, path, build_s in pages:
                rows.append((label, path.stat().st_size, build_s,
                             measure(browser, path, args.repeat)))
        finally:
            browser.close()
    base = rows[0][3]["ready"]
    print(f"\nInteractive map in headless Chromium (1366x768), median of {args.repeat} page "
          "loads; redraw = pan / zoom, at the opening view and at zoom 15\n")
    busy0 = rows[0][3]["busy"]
    head = ("| page | file | build | ready | vs empty | busy | vs empty | pan | zoom | pan z15 "
            "| zoom z15 | JS heap |")
    print(head)
    print("|" + "---|" * 12)
    for label, size, build_s, m in rows:
        first = label.startswith("empty")
        extra = "" if first else f"+{(m['ready'] - base) / 1000:.2f} s"
        extra_busy = "" if first else f"+{(m['busy'] - busy0) / 1000:.2f} s"
        print(f"| {label} | {size / 1e6:.2f} MB | {build_s:.1f} s | {m['ready'] / 1000:.2f} s "
              f"| {extra} | {m['busy'] / 1000:.2f} s | {extra_busy} | {m['pan']:.0f} ms "
              f"| {m['zoom']:.0f} ms | {m['pan15']:.0f} ms "
              f"| {m['zoom15']:.0f} ms | {m['heap']:.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
