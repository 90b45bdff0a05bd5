"""The interactive map's file: offline, escaped, whitelisted, compact columnar data, size.

The browser side (clicks, tooltips, drill-down, export, print …) is tested in
``test_maps_browser.py``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import coverage
from coverage import InputError, Region
from coverage.maps import MapInfo, MapLayers, build_interactive_map, write_interactive_map
from coverage.maps._webdata import SCALE, encode_polygons, front_code, pack_small
from coverage.maps.interactive import InteractiveMap, render_interactive_html, script_json
from test_maps_data import DEMO_TOML, XSS, make_layers, with_hostile_names

#: Size budget of the demo county's map (~450 villages, ~120 schools, all layers).
DEMO_BUDGET_BYTES = 600_000


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


def _payload(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="cov-data">(.*?)</script>', text,
                      re.DOTALL)
    assert match is not None
    return json.loads(match.group(1))


def _unfront(codes: list[str]) -> list[str]:
    out, prev = [], ""
    for c in codes:
        prev = prev[:int(c[0], 36)] + c[1:]
        out.append(prev)
    return out


def _undelta(values: list[int]) -> np.ndarray:
    return np.cumsum(np.asarray(values, dtype=np.int64)) / SCALE


def test_no_network_url_and_chinese_page(tiny_region: Region) -> None:
    text = render_interactive_html(make_layers(tiny_region))
    assert _fetched_urls(text) == []
    code = text.split('<script type="application/json"')[1]  # our data and scripts
    assert "https://" not in code and "http://" not in code
    assert "sourceMappingURL" not in text
    assert "Leaflet 1.9" in text and '<html lang="zh-CN">' in text
    assert '<meta name="viewport"' in text


def test_online_basemaps_only_on_request(tiny_region: Region) -> None:
    plain = _payload(render_interactive_html(MapLayers(region=tiny_region)))
    assert plain["tiles"] == []
    osm = render_interactive_html(MapLayers(region=tiny_region), basemap="osm")
    assert "tile.openstreetmap.org" in osm and _fetched_urls(osm) == []
    tdt = _payload(render_interactive_html(MapLayers(region=tiny_region), basemap="tianditu",
                                           tianditu_key="abc&x=<1>"))
    urls = [t["url"] for t in tdt["tiles"]]
    assert any("vec_w/wmts" in u for u in urls) and any("cva_w/wmts" in u for u in urls)
    assert all(u.endswith("tk=abc%26x%3D%3C1%3E") for u in urls)
    with pytest.raises(InputError, match="key"):
        build_interactive_map(MapLayers(region=tiny_region), basemap="tianditu")
    with pytest.raises(InputError, match="basemap"):
        build_interactive_map(MapLayers(region=tiny_region), basemap="google")


def test_amap_shifts_overlays_to_gcj02(tiny_region: Region) -> None:
    plain = _payload(render_interactive_html(MapLayers(region=tiny_region)))["places"]
    shifted = _payload(render_interactive_html(MapLayers(region=tiny_region),
                                               basemap="amap"))["places"]
    lon0, lat0 = _undelta(plain["x"])[0], _undelta(plain["y"])[0]
    lon1, lat1 = _undelta(shifted["x"])[0], _undelta(shifted["y"])[0]
    glon, glat = coverage.crs.wgs84_to_gcj02(np.array([lon0]), np.array([lat0]))
    assert lon1 == pytest.approx(glon[0], abs=2e-5) and lat1 == pytest.approx(glat[0], abs=2e-5)
    assert abs(lon1 - lon0) > 1e-3  # the GCJ-02 offset is hundreds of metres


def test_script_json_cannot_break_out() -> None:
    text = script_json({"name": "</script><!--<script>alert(1)</script>", "x": "a&b\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><!--<script>alert(1)</script>"


def test_user_text_escaped_and_personal_fields_never_written(tiny_region: Region) -> None:
    text = render_interactive_html(make_layers(with_hostile_names(tiny_region)))
    assert XSS not in text and "<img" not in text.lower()
    for secret in ("张三丰", "13912345678", "370999199001011234", "13800000000", "负责人",
                   "电话", "身份证"):
        assert secret not in text
    places = _payload(text)["places"]
    assert XSS in places["name"]  # kept as data; the page writes it with textContent
    assert {e[0] for e in places["extra"]} <= {
        "subtype", "grade", "enrolment", "counsellors", "social_workers", "psychiatrists",
        "psych_teachers", "professionals", "demonstration"}


def test_each_place_is_stored_once(tiny_region: Region) -> None:
    layers = make_layers(tiny_region)
    data = _payload(render_interactive_html(layers))
    places = data["places"]
    n_fac = sum(len(f) for f in tiny_region.layers.values())
    # demand points and suggestions are the same villages: no new rows
    assert places["n"] == n_fac == len(places["name"]) == len(places["x"])
    assert len(places["demand"]["t"]) == places["n"]
    assert len(data["sugg"]["p"]) == len(layers.suggestions)
    kinds = [k[0] for k in places["kinds"]]
    village = tiny_region.layers["village"]
    first = village.iloc[0]
    i = _unfront(places["code"]).index(first["id"])
    assert kinds[int(places["kind"][i], 36)] == "village"
    assert _undelta(places["x"])[i] == pytest.approx(first.geometry.x, abs=1e-5)
    assert _undelta(places["y"])[i] == pytest.approx(first.geometry.y, abs=1e-5)
    assert all(isinstance(v, int) for v in places["x"])
    # travel time in tenths of a minute, from the demand frame
    d = layers.demand.set_index("id")
    t = d.loc[first["id"], "time_min"]
    got = places["demand"]["t"][i]
    assert (got is None and pd.isna(t)) or got == round(t * 10)
    # pinyin initials for search
    assert places["py"][places["name"].index("甲村")] == "jc"
    assert data["towns"]["py"][data["towns"]["name"].index("西山镇")] == "xsz"


def test_rates_are_preformatted_and_stacked(tiny_region: Region) -> None:
    layers = make_layers(tiny_region)
    one = layers.township_rates.assign(indicator_id="a")
    two = one.assign(indicator_id="b", indicator_name="第二指标", rate=0.5, target=0.6)
    layers = dataclasses.replace(layers, township_rates=pd.concat([two, one]),
                                 headline_indicator="a")
    data = _payload(render_interactive_html(layers))
    assert [i["id"] for i in data["ind"]] == ["a", "b"]  # headline first
    assert data["ind"][0]["target"] == "80.0%" and "国卫疾控发" in data["ind"][0]["cite"]
    rates = data["rates"]
    k = next(j for j in range(len(rates["t"])) if rates["i"][j] == 1)
    assert rates["rate"][k] == "50.0%" and rates["target"][k] == "60.0%"


def test_unknown_township_code_is_reported(tiny_region: Region,
                                           caplog: pytest.LogCaptureFixture) -> None:
    layers = make_layers(tiny_region)
    bad = layers.township_rates.assign(township_code="999")
    with caplog.at_level(logging.WARNING):
        render_interactive_html(dataclasses.replace(layers, township_rates=bad))
    assert "999" in caplog.text and "not mapped" in caplog.text

    assert caplog.text.count("not mapped") == 1  # once per code, not once per row


def test_township_without_an_area_is_not_a_map_warning(tiny_region: Region,
                                                       caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    """A codes-only township whose villages have no coordinates has no area to colour; the
    loader reports it (township_without_area), the map does not warn again per row."""
    towns = tiny_region.townships
    first = towns["code"].astype(str).iloc[0]
    empty = towns.assign(geometry=[shapely.Polygon() if str(c) == first else g
                                   for c, g in zip(towns["code"], towns.geometry, strict=True)])
    region = dataclasses.replace(tiny_region,
                                 admin={**tiny_region.admin, "township": empty})
    layers = make_layers(region)
    assert first in set(layers.township_rates["township_code"].astype(str))
    with caplog.at_level(logging.WARNING):
        data = _payload(render_interactive_html(layers))
    assert "not mapped" not in caplog.text
    assert data["rates"]["t"]  # the other townships are still coloured


def test_isochrones_are_clipped_to_the_county(tiny_region: Region) -> None:
    layers = make_layers(tiny_region)
    data = _payload(render_interactive_html(layers))
    county = tiny_region.county.union_all()
    for row in data["iso"]:
        for poly in row["g"]:
            xy = np.column_stack([_undelta(poly[0][0::2]), _undelta(poly[0][1::2])])
            assert shapely.Polygon(xy).buffer(-1e-4).within(county.buffer(1e-4))


def test_front_coding_and_packing() -> None:
    codes = ["370999101201", "370999101202", "370999102001", "S1", "S10", ""]
    enc = front_code(codes)
    assert enc[1] == "b2" and _unfront(enc) == codes
    assert pack_small([0, 1, 35]) == "01z" and pack_small([0, 36]) == [0, 36]


def test_polygon_encoding_round_trip() -> None:
    poly = shapely.Polygon([(117.0, 35.0), (117.1, 35.0), (117.1, 35.1), (117.0, 35.1)],
                           [[(117.02, 35.02), (117.04, 35.02), (117.04, 35.04)]])
    enc = encode_polygons(shapely.MultiPolygon([poly]))
    outer = enc[0][0]
    assert outer[:2] == [11_700_000, 3_500_000] and outer[2:4] == [10_000, 0]
    assert len(enc[0]) == 2


def test_reference_layers_in_payload(tiny_region: Region) -> None:
    minx, miny, maxx, maxy = tiny_region.county.total_bounds
    roads = gpd.GeoDataFrame({"road_class": ["primary", "bogus"]},
                             geometry=[shapely.LineString([(minx, miny), (maxx, maxy)]),
                                       shapely.LineString([(minx, maxy), (maxx, miny)])],
                             crs="EPSG:4326")
    water = gpd.GeoDataFrame({"water_kind": ["lake"]},
                             geometry=[shapely.Point(minx + 0.05, miny + 0.05).buffer(0.01)],
                             crs="EPSG:4326")
    places = gpd.GeoDataFrame({"place_kind": ["town"], "name": ["西山集"]},
                              geometry=gpd.points_from_xy([minx + 0.1], [miny + 0.1]),
                              crs="EPSG:4326")
    data = _payload(render_interactive_html(MapLayers(region=tiny_region, roads=roads,
                                                      water=water, places=places)))
    classes = [c[0] for c in data["vocab"]["roads"]]
    assert [classes[c] for c in data["roads"]["cls"]] == ["primary", "minor"]
    assert len(data["water"]["areas"]) == 1 and data["labels"]["name"] == ["西山集"]
    assert data["labels"]["py"] == ["xsj"]


def test_title_source_and_fiction_flag(tiny_region: Region) -> None:
    text = render_interactive_html(MapLayers(
        region=tiny_region, info=MapInfo.for_region(tiny_region, title="<b>测试</b>一张图")))
    info = _payload(text)["info"]
    assert info["title"] == "<b>测试</b>一张图" and "<b>" not in text
    assert info["date"] == "2026-06-30" and info["source"] == "测试数据（虚构）"
    assert info["fictional"] is True
    assert "<title>&lt;b&gt;测试&lt;/b&gt;一张图</title>" in text


def test_write_is_atomic_and_returns_path(tiny_region: Region, tmp_path: Path) -> None:
    out = write_interactive_map(MapLayers(region=tiny_region), tmp_path / "一张图.html")
    assert out == tmp_path / "一张图.html"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["一张图.html"]
    built = build_interactive_map(MapLayers(region=tiny_region))
    assert isinstance(built, InteractiveMap) and "srcdoc=" in built._repr_html_()


@pytest.mark.skipif(not DEMO_TOML.exists(), reason="demo region not generated")
def test_demo_map_within_size_budget(tmp_path: Path) -> None:
    layers = make_layers(coverage.load_region(DEMO_TOML))
    path = write_interactive_map(layers, tmp_path / "demo.html")
    assert path.stat().st_size <= DEMO_BUDGET_BYTES
