"""The city's 一张图 in a real browser: opens offline on the room indicator, a click inside a
county opens its popup with the figures and the drill-down link, names stay text.

Debian's Chromium through Playwright; every request that is not a local file is aborted and
asserted absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from coverage.maps.city import write_city_map
from coverage.present import city as p_city

CHROMIUM = Path("/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>县"


@pytest.fixture(scope="module")
def city_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city")
    counties = gpd.GeoDataFrame(
        {"county_code": ["649901", "649902"], "county_name": ["甲县", XSS],
         "link": ["counties/649901/maps/resource_map.html", ""]},
        geometry=[box(106.0, 37.0, 106.4, 37.4), box(106.4, 37.0, 106.8, 37.4)], crs=4326)
    rows = []
    for code, room, school in (("649901", 0.62, 1.0), ("649902", 0.85, 0.9)):
        rows.append({"indicator_id": "school_room_rate", "indicator_name": "中小学心理辅导室设立率",
                     "county_code": code, "rate": school, "target": 1.0, "kind": "rate",
                     "rank": 1, "status": "met" if school >= 1 else "unmet"})
        rows.append({"indicator_id": "village_room_rate",
                     "indicator_name": "村(社区)心理咨询室或社会工作室建成率",
                     "county_code": code, "rate": room, "target": 0.8, "kind": "rate",
                     "rank": 1 if room > 0.8 else 2, "status": "met" if room >= 0.8 else "unmet"})
    indicators = pd.DataFrame(rows)
    indicators = indicators.assign(status_label=p_city.status_labels(indicators))
    access = pd.DataFrame({"service_name": ["村(社区)心理咨询室"], "county_code": ["649901"],
                           "covered_share": [0.71], "cross_border_points": [3]})
    townships = pd.DataFrame({"county_code": ["649901"], "unit_name": ["东岭镇"],
                              "indicator_name": ["村(社区)心理咨询室或社会工作室建成率"],
                              "shortfall": [4]})
    return write_city_map(out / "city_map.html", title="示例市社会心理服务资源一张图",
                          counties=counties, indicators=indicators, access=access,
                          townships=townships, words=p_city.map_words(),
                          default_indicator="village_room_rate",
                          outline=box(106.0, 37.0, 106.8, 37.4))


@pytest.fixture(scope="module")
def page(city_map: Path) -> Iterator[tuple[Any, list[str]]]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        ctx = b.new_context(viewport={"width": 1000, "height": 700})
        blocked: list[str] = []

        def route(r: Any) -> None:
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
        pg.goto(city_map.as_uri())
        pg.wait_for_selector(".leaflet-tooltip")
        yield pg, blocked + errors
        b.close()


def test_opens_offline_on_the_room_indicator(page: tuple[Any, list[str]]) -> None:
    pg, problems = page
    assert pg.eval_on_selector("#indicator", "s => s.value") == "village_room_rate"
    assert pg.evaluate("document.documentElement.lang") == "zh-CN"
    assert problems == []


def test_a_click_inside_a_county_opens_its_popup_with_the_drill_down_link(
        page: tuple[Any, list[str]]) -> None:
    pg, problems = page
    # inside 甲县, away from its centred name label
    box_ = pg.locator("#map").bounding_box()
    pg.mouse.click(box_["x"] + box_["width"] * 0.3, box_["y"] + box_["height"] * 0.7)
    pop = pg.wait_for_selector(".leaflet-popup-content")
    text = pop.inner_text()
    assert "甲县（649901）" in text and "62.0%" in text and "东岭镇" in text
    assert pg.eval_on_selector(".leaflet-popup-content a", "a => a.getAttribute('href')") \
        == "counties/649901/maps/resource_map.html"
    assert problems == []


def test_names_are_text_not_markup(page: tuple[Any, list[str]]) -> None:
    pg, problems = page
    assert pg.locator("img[src='x']").count() == 0
    assert XSS in pg.inner_text("#map")
    assert problems == []
