"""The interactive map: offline HTML, escaping, whitelisted popups, size; and a real browser.

The browser test opens the file in Debian's Chromium (``/usr/bin/chromium``) through
Playwright with every non-``file:`` request aborted and recorded.
"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import coverage
from coverage import InputError, Region
from coverage.maps import MapInfo, MapLayers, build_interactive_map, write_interactive_map
from coverage.maps.interactive import render_interactive_html, script_json
from test_maps_data import DEMO_TOML, XSS, make_layers, with_hostile_names

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Size budget of the demo county's map (~450 villages, ~120 schools, all layers).
DEMO_BUDGET_BYTES = 5_000_000


@pytest.fixture
def tiny_region(tiny_toml: Path) -> Region:
    return coverage.load_region(tiny_toml)


class _Fetches(HTMLParser):
    """Every URL the HTML itself would fetch: script src, link href, img/iframe/source src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href", "data", "poster", "srcset"):
            if a.get(key) and tag in ("script", "link", "img", "iframe", "source", "embed",
                                      "object", "video", "audio", "input"):
                self.urls.append(str(a[key]))


def _fetched_urls(text: str) -> list[str]:
    parser = _Fetches()
    parser.feed(text)
    css_urls = re.findall(r"url\(\s*['\"]?(https?:[^'\")]+)", text)
    imports = re.findall(r"@import\s+['\"]?(https?:[^'\";]+)", text)
    return [u for u in parser.urls if not u.startswith("data:")] + css_urls + imports


def test_no_network_url_when_basemap_none(tiny_region: Region) -> None:
    text = render_interactive_html(make_layers(tiny_region))
    assert _fetched_urls(text) == []
    assert "https://cdn" not in text and "//code.jquery.com" not in text
    assert "sourceMappingURL" not in text
    # Leaflet really is inlined
    assert "Leaflet 1.9" in text and "L.map(" in text


def test_online_basemaps_only_on_request(tiny_region: Region) -> None:
    osm = render_interactive_html(MapLayers(region=tiny_region), basemap="osm")
    assert "tile.openstreetmap.org" in osm
    assert _fetched_urls(osm) == []  # tiles come from Leaflet at run time, not from tags
    tdt = render_interactive_html(MapLayers(region=tiny_region), basemap="tianditu",
                                  tianditu_key="abc&x=<1>")
    assert "vec_w/wmts" in tdt and "cva_w/wmts" in tdt
    assert "tk=abc%26x%3D%3C1%3E" in tdt
    with pytest.raises(InputError, match="key"):
        build_interactive_map(MapLayers(region=tiny_region), basemap="tianditu")
    with pytest.raises(InputError, match="basemap"):
        build_interactive_map(MapLayers(region=tiny_region), basemap="google")


def _payload(text: str) -> dict:
    match = re.search(r"var D = (\{.*?\});\n", text)
    assert match is not None
    return json.loads(match.group(1))


def test_amap_shifts_overlays_to_gcj02(tiny_region: Region) -> None:
    plain = _payload(render_interactive_html(MapLayers(region=tiny_region)))
    shifted = _payload(render_interactive_html(MapLayers(region=tiny_region), basemap="amap"))
    a = next(x for x in plain["layers"] if x["id"] == "kind_village")["items"][0]
    b = next(x for x in shifted["layers"] if x["id"] == "kind_village")["items"][0]
    lon, lat = coverage.crs.wgs84_to_gcj02(np.array([a[1]]), np.array([a[0]]))
    assert b[0] == pytest.approx(lat[0], abs=2e-5) and b[1] == pytest.approx(lon[0], abs=2e-5)
    assert abs(b[1] - a[1]) > 1e-3  # the GCJ-02 offset is hundreds of metres


def test_script_json_cannot_break_out() -> None:
    text = script_json({"name": "</script><!--<script>alert(1)</script>", "x": "a&b\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><!--<script>alert(1)</script>"


def test_user_text_escaped_and_personal_fields_never_shown(tiny_region: Region) -> None:
    region = with_hostile_names(tiny_region)
    layers = make_layers(region)
    text = render_interactive_html(layers)
    # the raw payload never appears as markup anywhere in the file
    assert XSS not in text
    assert "<img" not in text.lower()
    for secret in ("张三丰", "13912345678", "370999199001011234", "13800000000", "负责人",
                   "电话", "身份证"):
        assert secret not in text
    payload = _payload(text)
    village = next(x for x in payload["layers"] if x["id"] == "kind_village")
    assert XSS in [item[5] for item in village["items"]]  # kept as data, escaped in JS
    assert set(village["fields"]) <= {"类别", "类型", "建设状态", "所属乡镇（街道）", "代码",
                                      "常住人口", "医院等级", "在校学生数", "心理咨询员",
                                      "社会工作者", "精神科医师", "心理健康教育教师",
                                      "心理服务专业人员", "示范点"}


def test_title_source_and_fiction_badge(tiny_region: Region) -> None:
    text = render_interactive_html(MapLayers(
        region=tiny_region, info=MapInfo.for_region(tiny_region, title="<b>测试</b>一张图")))
    payload = _payload(text)
    assert "&lt;b&gt;测试&lt;/b&gt;一张图" in payload["titleHtml"]
    assert "2026-06-30" in payload["titleHtml"] and "测试数据（虚构）" in payload["titleHtml"]
    assert "虚构示例数据" in payload["titleHtml"]
    assert "<title>&lt;b&gt;测试&lt;/b&gt;一张图</title>" in text


def test_layers_present_for_every_input(tiny_region: Region) -> None:
    payload = _payload(render_interactive_html(make_layers(tiny_region)))
    ids = [x["id"] for x in payload["layers"]]
    assert {"county", "townships", "kind_village", "kind_school", "rates0", "iso0", "demand",
            "suggestions"} <= set(ids)
    assert "国卫疾控发〔2018〕44号" in payload["legendHtml"]
    assert "目标：80.0%" in payload["legendHtml"]
    names = {e[0] for e in payload["search"]}
    assert {"甲村", "西山小学", "西山镇"} <= names


def test_write_is_atomic_and_returns_path(tiny_region: Region, tmp_path: Path) -> None:
    out = write_interactive_map(MapLayers(region=tiny_region), tmp_path / "一张图.html")
    assert out == tmp_path / "一张图.html" and out.read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["一张图.html"]


def _many_points(region: Region, n: int) -> Region:
    """``region`` with ``n`` random village points inside the county."""
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = region.county.total_bounds
    pts = gpd.GeoDataFrame({
        "id": [f"V{i:06d}" for i in range(n)], "name": [f"村{i}" for i in range(n)],
        "status": rng.choice(["built", "none", "planned", "under_construction"], n),
        "population": rng.integers(100, 3000, n).astype(float),
    }, geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
        crs="EPSG:4326")
    return coverage.region_from_frames(name=region.name, code=region.code,
                                       admin=dict(region.admin), layers={"village": pts})


@pytest.mark.slow
def test_ten_thousand_points_stay_small(tiny_region: Region, tmp_path: Path) -> None:
    region = _many_points(tiny_region, 12_000)
    layers = make_layers(region)
    path = write_interactive_map(layers, tmp_path / "big.html")
    size = path.stat().st_size
    # 12k facility points + 12k demand points with popups: well under 10 MB
    assert size < 10_000_000, size


@pytest.mark.skipif(not DEMO_TOML.exists(), reason="demo region not generated")
def test_demo_map_within_size_budget(tmp_path: Path) -> None:
    layers = make_layers(coverage.load_region(DEMO_TOML))
    path = write_interactive_map(layers, tmp_path / "demo.html")
    assert path.stat().st_size <= DEMO_BUDGET_BYTES


# --------------------------------------------------------------------------------------------
# real browser


def _open(path: Path, *, width: int = 1400, height: int = 900) -> tuple[object, dict]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    return playwright, {"viewport": {"width": width, "height": height}}


@pytest.mark.browser
def test_map_in_real_browser_offline(tiny_region: Region, tmp_path: Path) -> None:
    pw_mod, ctx = _open(tmp_path)
    region = with_hostile_names(tiny_region)
    path = write_interactive_map(make_layers(region), tmp_path / "map.html")
    outside: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    with pw_mod.sync_playwright() as pw:  # type: ignore[attr-defined]
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(**ctx)
            page = context.new_page()

            def route(r: object) -> None:
                url = r.request.url  # type: ignore[attr-defined]
                if url.startswith(("file:", "data:", "about:")):
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    outside.append(url)
                    r.abort()  # type: ignore[attr-defined]

            context.route("**/*", route)
            page.on("requestfailed", lambda rq: failed.append(rq.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            t0 = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_function("window.coverageMap !== undefined")
            load_s = time.perf_counter() - t0
            info = page.evaluate("""() => {
                const m = window.coverageMap;
                return {
                  leaflet: typeof L !== 'undefined' && m instanceof L.Map,
                  overlays: document.querySelectorAll(
                      '.leaflet-control-layers-overlays input').length,
                  onMap: Object.values(window.coverageOverlays).filter(l => m.hasLayer(l)).length,
                  labels: Array.from(document.querySelectorAll('.cov-label'))
                      .map(e => e.textContent),
                  scale: document.querySelector('.leaflet-control-scale-line')?.textContent,
                  legend: document.querySelector('.cov-legend')?.textContent,
                  zoom: m.getZoom(),
                }; }""")
            assert info["leaflet"] is True
            n_overlays = len(page.evaluate("Object.keys(window.coverageOverlays)"))
            assert info["overlays"] == n_overlays >= 9
            assert info["onMap"] >= 5
            assert sorted(info["labels"]) == sorted(tiny_region.townships["name"])
            assert re.fullmatch(r"\d+ k?m", info["scale"] or "")  # metric only
            assert "国卫疾控发" in info["legend"]

            # the XSS village: hover tooltip shows the text, nothing runs
            page.evaluate("""() => {
                const g = window.coverageOverlays['kind_village'];
                g.eachLayer(l => { if (l._cov && l._cov[5].includes('onerror')) {
                    const ll = l.getLatLng();
                    l.fire('mouseover', {latlng: ll}, true);
                    l.fire('click', {latlng: ll}, true); } }); }""")
            tooltip = page.locator(".leaflet-tooltip", has_text="onerror").inner_text()
            assert tooltip.startswith('<img src=x onerror="window.__xss=1">')
            popup = page.locator(".leaflet-popup-content").inner_text()
            assert "onerror" in popup and "负责人" not in popup and "1391234" not in popup
            page.fill(".cov-search input", "onerror")
            result = page.locator(".cov-search li").first.inner_text()
            assert "<img src=x" in result
            page.locator(".cov-search li").first.click()
            assert "<img" in page.locator(".leaflet-tooltip").last.inner_text()
            page.fill(".cov-search input", "")
            assert page.evaluate("window.__xss") is None
            assert page.locator(".leaflet-container img[src='x']").count() == 0

            # toggling a layer in the control removes it from the map
            page.locator(".leaflet-control-layers-overlays label",
                         has_text="学校心理辅导室").locator("input").click()
            assert not page.evaluate(
                "window.coverageMap.hasLayer(window.coverageOverlays['kind_school'])")

            shot = page.screenshot()
        finally:
            browser.close()
    assert outside == [] and failed == []
    assert errors == []
    from io import BytesIO

    from PIL import Image
    pixels = np.asarray(Image.open(BytesIO(shot)).convert("L"), dtype=float)
    assert pixels.std() > 10  # not a blank page
    assert load_s < 30


@pytest.mark.browser
@pytest.mark.slow
def test_ten_thousand_points_render_in_browser(tiny_region: Region, tmp_path: Path) -> None:
    pw_mod, ctx = _open(tmp_path)
    layers = make_layers(_many_points(tiny_region, 12_000))
    path = write_interactive_map(layers, tmp_path / "big.html")
    errors: list[str] = []
    with pw_mod.sync_playwright() as pw:  # type: ignore[attr-defined]
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(**ctx)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_function("window.coverageMap !== undefined", timeout=60_000)
            n = page.evaluate("window.coverageOverlays['kind_village'].getLayers().length")
            # panning redraws the canvas without error
            page.evaluate("window.coverageMap.panBy([200, 100], {animate: false})")
            page.evaluate("window.coverageMap.setZoom(window.coverageMap.getZoom() + 1)")
        finally:
            browser.close()
    assert n == 12_000
    assert errors == []
