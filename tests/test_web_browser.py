"""The 规划工作台 driven in Debian's Chromium as a planner would use it.

A server is started by the test on a free loopback port (uvicorn in a thread) over an empty
workspace.  One journey through the pages: a new project, the demo county's own input files
uploaded through the page (one of them dropped on the drop zone), the column roles the
wizard guessed accepted with the coordinate question answered, validation, a run with live
progress (a second run of the same project meanwhile is refused), the 一张图 in the page, a
suggested site locked and another excluded (该村无场地), a candidate added by clicking the
map (locked), a re-run that keeps the lock and
avoids the excluded village, the two plans side by side, the Word report downloaded and
opened.  Then the broken fixture: its problems in the table with their rows, one located on
the map.  Every request that does not go to the test's server is aborted and recorded (and
asserted absent).

The A4 report sheets (static maps: PNG/SVG/PDF at 300 dpi, a minute of a run on two cores)
are not drawn here — they are the same files ``coverage run`` writes and are tested with the
maps; the run's interactive map, tables and Word report are.

``COVERAGE_WEB_SCREENSHOTS=DIR`` saves a screenshot of each step there
(``docs/web_*.png`` are made so).
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DEMO_FILES = [REPO / "data" / "demo" / n for n in (
    "villages.geojson", "communities.csv", "schools_gbk.csv", "facilities.xlsx",
    "ledger.xlsx", "roads.osm.bz2")] + [REPO / "data" / "boundaries" / n for n in (
        "demo_townships.geojson", "demo_villages.geojson")]
DROPPED = REPO / "data" / "boundaries" / "demo_county.geojson"
RUN_TIMEOUT_MS = 300_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    uvicorn = pytest.importorskip("uvicorn")
    import coverage.maps
    from coverage.web import create_app

    app = create_app(tmp_path_factory.mktemp("workspace"))
    patch = pytest.MonkeyPatch()
    patch.setattr(coverage.maps, "write_static_maps", lambda layers, out, **kw: {})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(10)
    patch.undo()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Session:
    """A browser context that may only talk to the test's server."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 800},
                                           accept_downloads=True, locale="zh-CN")

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith((base, "data:", "blob:", "about:")):
                r.continue_()
            else:
                self.outside.append(url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.shots = os.environ.get("COVERAGE_WEB_SCREENSHOTS")

    def shot(self, name: str, *, full: bool = False) -> None:
        if self.shots:
            Path(self.shots).mkdir(parents=True, exist_ok=True)
            from PIL import Image

            path = Path(self.shots) / f"web_{name}.png"
            self.page.screenshot(path=str(path), full_page=full)
            with Image.open(path) as im:  # small files for the repository: 256 colours
                small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(path, optimize=True)

    def close(self) -> None:
        assert self.outside == [], self.outside
        assert self.errors == [], self.errors
        self.context.close()


def _drop(page: Any, path: Path) -> None:
    """Drop a file on the drop zone the way a file manager does (a DataTransfer)."""
    data = list(path.read_bytes())
    page.evaluate("""([name, bytes]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], name));
      const zone = document.getElementById('drop');
      for (const type of ['dragenter', 'dragover', 'drop'])
        zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true,
                                                cancelable: true}));
    }""", [path.name, data])


def _sites(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "out" / "tables" / "suggested_sites.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _wait_results(page: Any) -> None:
    page.wait_for_selector("iframe#map, h1.error", timeout=RUN_TIMEOUT_MS)
    assert page.locator("h1.error").count() == 0, page.locator("main").inner_text()


def test_planner_journey(browser: Any, server: tuple[str, Any], tmp_path: Path) -> None:
    import docx

    base, app = server
    s = Session(browser, base)
    page = s.page
    page.goto(base + "/")
    assert "我的规划项目" in page.content()
    s.shot("1_start")
    page.fill("input[name=name]", "澄河县 2026年规划")
    page.click("#create")
    page.wait_for_url(re.compile(r"/upload$"))

    # -- upload: the demo's input files; the county outline dropped on the drop zone
    _drop(page, DROPPED)
    page.wait_for_selector("table >> text=demo_county.geojson")
    with page.expect_navigation():
        page.set_input_files("#pick", [str(p) for p in DEMO_FILES])
    page.wait_for_selector("#next")
    names = page.locator("main table td:first-child").all_inner_texts()
    assert sorted(names) == sorted(p.name for p in [*DEMO_FILES, DROPPED])
    s.shot("2_upload")

    # -- wizard: coverage init's guesses, accepted; the coordinate question answered
    page.click("#next")
    page.wait_for_selector("#wizard")
    comm = page.locator(".src[data-id='communities.csv']")
    assert comm.locator("select.use").input_value() == "layer:community"
    assert comm.locator("select[data-header='经度']").input_value() == "lon"
    assert comm.locator("select[data-header='社区代码']").input_value() == "id"
    page.check("input[name=coord][value=gps]")
    s.shot("3_wizard")
    page.click("#save")
    page.wait_for_url(re.compile(r"/validate$"), timeout=120_000)

    # -- validate
    assert "数据检查通过" in page.inner_text("main")
    project = app.state.settings.workspace.projects()[0]
    toml = project.toml.read_text(encoding="utf-8")
    assert "[layers.community]" in toml and 'file = "uploads/communities.csv"' in toml
    s.shot("4_validate")

    # -- run: defaults from the config; live progress; a second run is refused meanwhile
    page.click("#next")
    page.wait_for_selector("#runform")
    assert page.input_value("input[name=urban_minutes]") == "15"
    s.shot("5_run")
    page.click("#start")
    page.wait_for_selector("#stages li.start, #stages li.done, iframe#map", timeout=60_000)
    other = s.context.new_page()
    other.goto(page.url.rsplit("/runs/", 1)[0] + "/run")
    other.click("#start")
    other.wait_for_load_state()
    assert "已有一次运行正在进行" in other.inner_text("main")
    other.close()
    if page.locator("#stages").count():
        page.wait_for_selector("#stage-validate.done", timeout=60_000)
        s.shot("6_progress")
    _wait_results(page)
    first = page.url.rsplit("/", 1)[1]
    assert project.runs() == [first]  # the refused run left nothing
    frame = page.frame_locator("iframe#map")
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    assert "社会心理服务资源一张图" in frame.locator("body").inner_text()
    s.shot("7_results")

    # -- lock the first suggested site, exclude the second (该村无场地), re-run
    plan1 = _sites(project.run_dir(first))
    assert len(plan1) >= 2
    locked, excluded = plan1[0]["id"], plan1[1]["id"]
    page.check(f"#sites tr[data-id='{locked}'] input.lock")
    page.check(f"#sites tr[data-id='{excluded}'] input.exclude")
    page.locator("#sites").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('sites').scrollIntoView(); window.scrollBy(0, -60)")
    s.shot("7b_lock")
    # -- and add a candidate by clicking the map (a room a township offers), locked
    page.click("#add-toggle")
    box = page.locator("iframe#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.42, box["y"] + box["height"] * 0.55)
    page.wait_for_selector("#added tbody tr")
    page.fill("#added tbody tr input[type=text]", "镇政府活动室")
    page.check("#added tbody tr input[type=checkbox]")
    page.click("#add-toggle")
    page.click("#rerun-btn")
    _wait_results(page)
    second = page.url.rsplit("/", 1)[1]
    assert second != first
    plan2 = {r["id"]: r for r in _sites(project.run_dir(second))}
    assert locked in plan2
    assert excluded not in plan2
    params = json.loads((project.run_dir(second) / "params.json").read_text(encoding="utf-8"))
    [(added_id, added_name, lon, lat)] = params["extra"]
    assert added_name == "镇政府活动室" and added_id in params["force"]
    assert float(plan2[added_id]["lon"]) == pytest.approx(lon, abs=1e-5)
    assert float(plan2[added_id]["lat"]) == pytest.approx(lat, abs=1e-5)
    assert plan2[added_id]["name"] == "镇政府活动室" and plan2[added_id]["kind"] == "service_site"
    assert page.locator(f"#sites tr[data-id='{locked}'] .badge").inner_text() == "已锁定"
    assert page.locator(f"#sites tr[data-id='{excluded}']").count() == 0
    assert {r["id"] for r in _sites(project.run_dir(first))} == {r["id"] for r in plan1}

    # -- the Word report downloads and opens
    with page.expect_download() as dl:
        page.click("a.download[data-name='report.docx']")
    path = tmp_path / "report.docx"
    dl.value.save_as(path)
    doc = docx.Document(str(path))
    assert any("澄河县" in p.text for p in doc.paragraphs)

    # -- the two plans side by side
    page.goto(f"{base}/p/{project.slug}/compare?runs={first}&runs={second}")
    head = page.locator("#compare thead").inner_text()
    assert "方案1" in head and "方案2" in head
    s.shot("8_compare")
    s.close()


def test_broken_upload_problems_are_located(browser: Any, server: tuple[str, Any]) -> None:
    base, _ = server
    s = Session(browser, base)
    page = s.page
    page.goto(base + "/")
    page.fill("input[name=name]", "错误示例")
    page.click("#create")
    page.wait_for_url(re.compile(r"/upload$"))
    files = [p for p in (REPO / "tests" / "fixtures" / "broken").iterdir() if p.suffix != ".toml"]
    with page.expect_navigation():
        page.set_input_files("#pick", [str(p) for p in files])
    page.click("#next")
    page.check("input[name=coord][value=gps]")
    page.click("#save")
    page.wait_for_url(re.compile(r"/validate$"), timeout=120_000)
    assert re.search(r"发现 \d+ 个错误", page.inner_text("main"))
    row = page.locator("#problems tr", has_text="duplicate code on rows [2, 7]")
    assert row.locator("td").nth(3).inner_text() == "7"
    outside = page.locator("#problems tr", has_text="outside the region boundary")
    outside.locator("a.locate").click()
    assert s.errors == []
    assert "hl" in (outside.get_attribute("class") or "")
    page.wait_for_selector(".leaflet-popup-content")
    assert "villages.csv 第6行" in page.inner_text(".leaflet-popup-content")
    page.locator("#problems th", has_text="行").click()  # sortable
    page.evaluate("window.scrollTo(0, 0)")
    s.shot("9_problems")
    s.close()
