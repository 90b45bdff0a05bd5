"""The interactive map driven in a real browser as a planner would use it.

Debian's Chromium (``/usr/bin/chromium``) through Playwright, one browser for the module,
every request that is not ``file:``/``data:``/``blob:``/``about:`` aborted and recorded (and
asserted absent).  The map is built once from the tiny fixture county with every layer:
two stacked indicators, demand, isochrone areas, suggestions over two years, village
boundaries, roads, water and place names, plus hostile names (XSS, spreadsheet formulas) and
personal columns that must never reach the page.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import coverage
from coverage import Region
from coverage.maps import MapLayers, write_interactive_map
from coverage.maps._style import RATE_CLASSES, fmt_value, rate_class
from test_maps_data import XSS, make_layers, with_hostile_names

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FORMULA = "=HYPERLINK(\"http://x\",\"y\")"
LOCAL = ("file:", "data:", "blob:", "about:")


# ---------------------------------------------------------------------------------- inputs


def _villages(region: Region) -> gpd.GeoDataFrame:
    """Voronoi village polygons around the village points, clipped to their township."""
    pts = region.layers["village"]
    metric = region.to_metric(pts)
    towns = region.to_metric(region.townships).set_index("code")
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(metric.geometry)),
                                     extend_to=towns.union_all().envelope)
    rows = []
    for cell in shapely.get_parts(cells):
        hit = metric[metric.geometry.within(cell)]
        if not len(hit):
            continue
        row = hit.iloc[0]
        geom = cell.intersection(towns.loc[row["township_code"], "geometry"])
        rows.append({"code": row["id"], "name": row["name"],
                     "parent_code": row["township_code"], "geometry": geom})
    return gpd.GeoDataFrame(rows, crs=region.metric_crs).to_crs("EPSG:4326")


def _layers(tiny_toml: Path) -> tuple[MapLayers, pd.DataFrame]:
    base = coverage.load_region(tiny_toml)
    region = with_hostile_names(base)
    village = region.layers["village"].copy()
    village.loc[village.index[1], "name"] = FORMULA
    admin = dict(region.admin)
    admin["village"] = _villages(base)
    region = Region(name=region.name, code=region.code, admin=admin,
                    layers={**region.layers, "village": village},
                    metric_crs=region.metric_crs, provenance=base.provenance)
    layers = make_layers(region)
    first = layers.township_rates.assign(indicator_id="village_room_rate", status=[
        "met" if r >= t else "unmet" for r, t in zip(layers.township_rates["rate"],
                                                     layers.township_rates["target"],
                                                     strict=True)], unlocated=[2, 0])
    second = first.assign(indicator_id="school_room_rate", indicator_name="中小学心理辅导室设立率",
                          rate=[1.0, 0.5], target=1.0, numerator=[1, 1], denominator=[1, 2],
                          shortfall=[0, 1], status=["met", "unmet"], unlocated=[0, 1],
                          citation="国卫疾控发〔2018〕44号 三、(二)")
    rates = pd.concat([first, second], ignore_index=True)
    minx, miny, maxx, maxy = region.county.total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    roads = gpd.GeoDataFrame(
        {"road_class": ["primary", "minor", "track"], "name": ["省道1线", "", ""]},
        geometry=[shapely.LineString([(minx, cy), (maxx, cy + 0.01)]),
                  shapely.LineString([(cx, miny), (cx + 0.01, maxy)]),
                  shapely.LineString([(minx + 0.02, miny + 0.02), (cx, cy)])], crs="EPSG:4326")
    water = gpd.GeoDataFrame({"water_kind": ["river", "lake"], "name": ["西河", "东湖"]},
                             geometry=[shapely.LineString([(minx, miny + 0.03),
                                                           (maxx, maxy - 0.05)]),
                                       shapely.Point(maxx - 0.03, miny + 0.03).buffer(0.01)],
                             crs="EPSG:4326")
    places = gpd.GeoDataFrame({"place_kind": ["town", "hamlet"], "name": ["西山集", "柳树屯"]},
                              geometry=gpd.points_from_xy([cx - 0.03, cx + 0.02],
                                                          [cy + 0.02, cy - 0.03]), crs="EPSG:4326")
    layers = dataclasses.replace(layers, township_rates=rates,
                                 headline_indicator="village_room_rate",
                                 roads=roads, water=water, places=places)
    return layers, rates


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MapLayers, pd.DataFrame]:
    tiny = Path(__file__).resolve().parent / "fixtures" / "tiny" / "region.toml"
    layers, rates = _layers(tiny)
    path = write_interactive_map(layers, tmp_path_factory.mktemp("map") / "一张图.html")
    return path, layers, rates


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A page on the map with request blocking and error capture."""

    def __init__(self, browser: Any, path: Path, *, width: int = 1366, height: int = 768,
                 media: str | None = None) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           accept_downloads=True)
        self.outside: list[str] = []
        self.errors: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda rq: self.outside.append(rq.url))
        if media:
            self.page.emulate_media(media=media)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.coverageApp && window.coverageApp.ready")

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def close(self) -> None:
        assert self.outside == [], self.outside
        assert self.errors == [], self.errors
        self.context.close()


@pytest.fixture
def page(browser: Any, built: tuple[Path, MapLayers, pd.DataFrame]) -> Iterator[Page]:
    p = Page(browser, built[0])
    yield p
    p.close()


# JS: a page position inside `test(lng, lat)` and at least 18 px from every drawn mark
_FREE_SPOT = """(kind) => {
  const a = window.coverageApp, m = a.map, box = m.getContainer().getBoundingClientRect();
  const size = m.getSize();
  for (let y = 40; y < size.y - 40; y += 7) for (let x = 40; x < size.x - 40; x += 7) {
    const ll = m.containerPointToLatLng([x, y]), lp = m.containerPointToLayerPoint([x, y]);
    let ok = false, t = a.townAt(ll.lng, ll.lat);
    if (kind === 'town') ok = t >= 0;
    else { const lines = a.areaLines(ll);
      ok = lines.some(s => s.startsWith('村（社区）：'))
        && lines.some(s => s.includes('可达范围')); }
    if (!ok) continue;
    let near = false;
    for (let dy = -18; dy <= 18 && !near; dy += 6) for (let dx = -18; dx <= 18; dx += 6)
      if (a.hitAt({x: lp.x + dx, y: lp.y + dy})) { near = true; break; }
    const el = document.elementFromPoint(box.left + x, box.top + y);
    if (!near && el && m.getContainer().contains(el))
      return {x: box.left + x, y: box.top + y, t: t};
  }
  return null; }"""


# ---------------------------------------------------------------------------------- tests


def test_default_view_is_sparse_offline_and_chinese(page: Page) -> None:
    info = page.js("""() => {
      const a = window.coverageApp, leg = document.getElementById('cov-legend-body');
      return {lang: document.documentElement.lang, on: a.state.on,
              scale: document.querySelector('.cov-scale').textContent,
              legendScroll: leg.scrollHeight > leg.clientHeight + 1,
              legendFits: document.getElementById('cov-legend').getBoundingClientRect().top >= 0,
              legend: leg.textContent, kinds: a.D.places.kinds.map(k => k[0])}; }""")
    assert info["lang"] == "zh-CN"
    on = info["on"]
    assert on["choro"] and on["sugg"] and on["towns"] and on["county"]
    kinds = info["kinds"]
    assert on[f"kind:{kinds.index('village')}"] and not on[f"kind:{kinds.index('school')}"]
    assert not on["time"] and not on["uncovered"] and not on["iso:0"] and not on["villages"]
    assert info["scale"].endswith(("公里", "米")) and "km" not in info["scale"]
    assert not info["legendScroll"] and info["legendFits"]
    assert "目标：80.0%" in info["legend"]


def test_township_click_opens_popup_away_from_points(page: Page,
                                                     built: tuple[Path, MapLayers, Any]) -> None:
    spot = page.js(_FREE_SPOT, "town")
    assert spot is not None
    page.page.mouse.click(spot["x"], spot["y"])
    popup = page.page.locator(".leaflet-popup-content").inner_text()
    name = page.js("(t) => window.coverageApp.towns.name[t]", spot["t"])
    assert name in popup and "完成率" in popup and "缺口" in popup and "国卫疾控发" in popup
    # the popup's button drills down
    page.page.locator(".leaflet-popup-content button").click()
    assert page.js("window.coverageApp.state.town") == spot["t"]


def test_village_and_isochrone_tooltips_show(page: Page) -> None:
    page.js("() => { const a = window.coverageApp; a.setLayer('villages', true); "
            "a.setLayer('iso:0', true); a.repaint(); }")
    spot = page.js(_FREE_SPOT, "area")
    assert spot is not None
    page.page.mouse.move(spot["x"] - 3, spot["y"])
    page.page.mouse.move(spot["x"], spot["y"])
    tip = page.page.locator(".cov-tip").last
    tip.wait_for()
    text = tip.inner_text()
    assert "村（社区）：" in text and "可达范围" in text


def test_points_escape_names_and_show_whitelisted_fields(page: Page) -> None:
    at = page.js("""() => { const a = window.coverageApp, P = a.D.places;
      const i = P.name.findIndex(n => n.includes('onerror'));
      a.map.setView([a.lat[i], a.lon[i]], 16, {animate: false}); a.repaint();
      const p = a.map.latLngToContainerPoint([a.lat[i], a.lon[i]]);
      const box = a.map.getContainer().getBoundingClientRect();
      return {x: box.left + p.x, y: box.top + p.y}; }""")
    page.page.mouse.move(at["x"], at["y"])
    page.page.mouse.click(at["x"], at["y"])
    popup = page.page.locator(".leaflet-popup-content").inner_text()
    assert popup.startswith(XSS)
    for secret in ("负责人", "张三丰", "1391234", "身份证", "13800000000"):
        assert secret not in popup
    assert page.js("window.__xss") is None
    assert page.page.locator("img[src='x']").count() == 0


def test_drilldown_panel_equals_the_rates_table(
        page: Page, built: tuple[Path, MapLayers, pd.DataFrame]) -> None:
    _, layers, rates = built
    code = str(layers.region.townships["code"].iloc[1])
    name = str(layers.region.townships["name"].iloc[1])
    idx = page.js("(c) => window.coverageApp.towns.code.indexOf(c)", code)
    page.page.select_option("#cov-town", str(idx))
    view = page.js("""(t) => { const a = window.coverageApp, b = a.towns.geo[t].bbox,
      v = a.map.getBounds(), c = a.map.getCenter();
      return {fits: v.contains([[b[1], b[0]], [b[3], b[2]]]),
              centred: c.lng > b[0] && c.lng < b[2] && c.lat > b[1] && c.lat < b[3]}; }""", idx)
    assert view == {"fits": True, "centred": True}
    assert page.page.locator("#cov-stats-title").inner_text() == name
    for _, row in rates[rates["township_code"] == code].iterrows():
        block = page.page.locator(f".cov-ind[data-ind='{row['indicator_id']}']")
        got = {c: block.locator(f"[data-col='{c}']").inner_text()
               for c in ("rate", "target", "shortfall", "unlocated", "numden")}
        assert got["rate"] == f"现状 {fmt_value('rate', row['rate'])}"
        assert got["target"] == f"目标 {fmt_value('target', row['target'])}"
        assert got["shortfall"] == f"缺口 {fmt_value('shortfall', row['shortfall'])}"
        assert got["unlocated"] == f"未定位 {row['unlocated']}"
        assert got["numden"] == f"现有/应有 {row['numerator']}/{row['denominator']}"
    demand, sug = layers.demand, layers.suggestions
    n_unc = int((~demand["covered"] & (demand["township_name"] == name)).sum())
    assert page.page.locator("#cov-unc-title").inner_text().startswith(
        f"未覆盖村（社区）：{n_unc} 个")
    n_sug = int((sug["township_name"] == name).sum())
    assert page.page.locator("#cov-sugg-title").inner_text() == f"建议新建点位：{n_sug} 处"


def test_indicator_switch_recolours_townships(page: Page,
                                              built: tuple[Path, MapLayers, pd.DataFrame]) -> None:
    rates = built[2]
    page.page.select_option("#cov-ind", "1")
    fills = page.js("() => { const a = window.coverageApp, o = {}; a.vlayers.choro.eachLayer("
                    "p => { o[a.towns.code[p._covIndex]] = p.options.fillColor; }); return o; }")
    second = rates[rates["indicator_id"] == "school_room_rate"]
    for _, row in second.iterrows():
        assert fills[str(row["township_code"])] == \
            RATE_CLASSES[rate_class(row["rate"], row["target"])][0]
    assert "中小学心理辅导室设立率" in page.page.locator("#cov-legend-body").inner_text()
    assert "三、(二)" in page.page.locator("#cov-cite").inner_text()


def test_year_slider_filters_suggestions(page: Page, built: tuple[Path, MapLayers, Any]) -> None:
    _, layers, _ = built
    phases = layers.suggestions["phase"]
    first = int((phases == phases.min()).sum())
    page.js("() => { window.coverageApp.setPhase(1); window.coverageApp.repaint(); }")
    assert page.js("window.coverageApp.drawn.sugg") == first
    assert page.page.locator("#cov-sugg-title").inner_text() == f"建议新建点位：{first} 处"
    page.js("(n) => { window.coverageApp.setPhase(n); window.coverageApp.repaint(); }",
            int(phases.nunique()))
    assert page.js("window.coverageApp.drawn.sugg") == len(phases)


def test_export_csv_of_what_is_shown(page: Page, built: tuple[Path, MapLayers, Any]) -> None:
    _, layers, _ = built
    with page.page.expect_download() as dl:
        page.page.click("#cov-export")
    raw = Path(dl.value.path()).read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["图层", "名称", "代码"]
    names = [r[1] for r in body]
    village = layers.region.layers["village"]
    # default view: village and community rooms and the suggestions
    assert set(village["name"].map(str)) - {FORMULA} <= set(names)
    assert "'" + FORMULA in names and FORMULA not in names
    assert "西山小学" not in names  # schools are off
    assert all("张三丰" not in ",".join(r) and "13912345678" not in ",".join(r) for r in rows)
    assert len(body) == len(set(zip(names, [r[2] for r in body], strict=True)))


def test_png_of_the_current_view(page: Page) -> None:
    with page.page.expect_download() as dl:
        page.page.click("#cov-png")
    from PIL import Image
    img = np.asarray(Image.open(dl.value.path()).convert("L"), dtype=float)
    assert img.shape[0] > 500 and img.std() > 10


def test_search_by_code_and_pinyin_initials(page: Page) -> None:
    page.page.fill("#cov-q", "370999101003")
    assert page.page.locator("#cov-results li").first.inner_text().startswith("西山社区")
    page.page.fill("#cov-q", "xsz")
    first = page.page.locator("#cov-results li").first
    assert first.inner_text().startswith("西山镇")
    first.click()
    assert page.js("window.coverageApp.state.town") == page.js(
        "window.coverageApp.towns.name.indexOf('西山镇')")
    page.page.fill("#cov-q", "onerror")
    assert "<img src=x" in page.page.locator("#cov-results li").first.inner_text()


def test_measure_distance_in_chinese_units(page: Page) -> None:
    page.page.click("#cov-measure")
    box = page.js("() => { const r = window.coverageApp.map.getContainer()"
                  ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; }")
    x0, y0 = box[0] + box[2] * 0.4, box[1] + box[3] * 0.5
    page.page.mouse.click(x0, y0)
    page.page.mouse.click(x0 + 200, y0)
    label = page.page.locator(".cov-measure-label").inner_text()
    metres = page.js("window.coverageApp.measured()")
    assert label.startswith("总长") and label.endswith(("公里", "米"))
    expect = f"{metres / 1000:.1f} 公里" if metres >= 1000 else f"{round(metres)} 米"
    assert label == f"总长 {expect}"
    page.page.keyboard.press("Escape")
    assert not page.js("window.coverageApp.state.measuring")


def test_print_layout_a4_landscape(browser: Any, built: tuple[Path, MapLayers, Any]) -> None:
    p = Page(browser, built[0], width=1123, height=794, media="print")
    try:
        info = p.js("""() => ({
          side: getComputedStyle(document.getElementById('cov-side')).display,
          foot: document.getElementById('cov-print-foot').innerText,
          legend: document.getElementById('cov-legend').getBoundingClientRect().height,
          north: document.querySelector('.cov-north') !== null,
          scale: document.querySelector('.cov-scale').textContent,
          title: document.getElementById('cov-title').textContent})""")
        shot = p.page.screenshot()
    finally:
        p.close()
    assert info["side"] == "none" and info["north"] and info["legend"] > 100
    assert "数据来源" in info["foot"] and "制图日期" in info["foot"]
    assert info["scale"].endswith(("公里", "米"))
    from PIL import Image
    img = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
    assert img.std() > 10


def test_mobile_layout_keeps_the_map_visible(browser: Any,
                                             built: tuple[Path, MapLayers, Any]) -> None:
    p = Page(browser, built[0], width=390, height=844)
    try:
        r = p.js("""() => { const g = id => document.getElementById(id).getBoundingClientRect();
          return {map: g('cov-map'), side: g('cov-side'), head: g('cov-head'),
                  legendCollapsed: document.getElementById('cov-legend')
                                           .classList.contains('collapsed')}; }""")
        p.page.click("#cov-side-toggle")
        opened = p.js("document.getElementById('cov-side').getBoundingClientRect().height")
    finally:
        p.close()
    assert r["map"]["width"] == 390 and r["map"]["height"] > 700
    assert r["side"]["height"] <= 50 and r["legendCollapsed"]
    assert r["head"]["bottom"] < 200
    assert opened > 400


def test_many_points_are_clustered(browser: Any, tmp_path: Path) -> None:
    tiny = Path(__file__).resolve().parent / "fixtures" / "tiny" / "region.toml"
    region = coverage.load_region(tiny)
    rng = np.random.default_rng(3)
    n = 6000
    minx, miny, maxx, maxy = region.county.total_bounds
    pts = gpd.GeoDataFrame({
        "id": [f"V{i:05d}" for i in range(n)], "name": [f"村{i}" for i in range(n)],
        "status": rng.choice(["built", "none", "planned"], n),
    }, geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
        crs="EPSG:4326")
    big = coverage.region_from_frames(name=region.name, code=region.code,
                                      admin=dict(region.admin), layers={"village": pts})
    path = write_interactive_map(MapLayers(region=big), tmp_path / "big.html")
    p = Page(browser, path)
    try:
        counts = p.js("""() => { const a = window.coverageApp; a.repaint();
          const d = Object.assign({}, a.drawn); a.map.setZoom(16, {animate: false}); a.repaint();
          return [d, Object.assign({}, a.drawn)]; }""")
    finally:
        p.close()
    low, high = counts
    assert low["clusters"] > 0 and low["points"] < n / 4
    assert high["clusters"] == 0 and 0 < high["points"] < n
    assert math.isfinite(low["points"])
