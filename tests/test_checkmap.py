"""The check map: the loader's diagnostics drawn (PNG) and listed (offline HTML), issue 12 §5.

The county is the box 117.0–117.2°E × 35.0–35.2°N of ``_region_builder``; 西山镇 is cut
back to 117.097 in its northern half (a gap) and pushed out to 117.102 in its southern half
(an overlap with 东河镇).  One village lies in the gap, one in the overlap, one just east of
the county, two have no coordinates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely
from PIL import Image
from shapely.geometry import box

from _region_builder import EAST, ROWS, write_region
from coverage import load_region
from coverage.cli import main
from coverage.present.checkmap import (
    check_map_html,
    check_tables,
    region_for_check_map,
    write_check_map,
)
from coverage.region import Region

WEST = ("370999101", "西山镇", shapely.union(box(117.0, 35.0, 117.102, 35.1),
                                          box(117.0, 35.1, 117.097, 35.2)))
EXTRA = [
    ["370999101205", "缝隙村", "117.098", "35.15", "西山镇", "500", "否"],
    ["370999102205", "重叠村", "117.101", "35.05", "东河镇", "500", "是"],
    ["370999102206", "界外村", "117.203", "35.1", "东河镇", "500", "否"],
    ["370999102207", "无坐标村", "", "", "东河镇", "300", "否"],
    ["370999101207", "无坐标村二", "", "", "西山镇", "300", "是"],
]


def _toml(folder: Path, **region: object) -> Path:
    return write_region(folder, rows=[*ROWS, *EXTRA], townships=[WEST, EAST],
                        region=region or None)


@pytest.fixture
def region(tmp_path: Path) -> Region:
    return load_region(_toml(tmp_path / "region"))


def test_tables_list_every_finding(region: Region) -> None:
    d = region.diagnostics
    assert len(d.gaps) == len(d.overlaps) == 1
    t = check_tables(region)
    gap = t["gaps"].iloc[0]
    assert gap["编号"] == "G1"
    assert gap["面积（km²）"] == f"{d.gaps['area_km2'].iloc[0]:.3f}"
    assert gap["占全县面积"] == "0.75%"
    assert t["overlaps"].iloc[0]["重叠的乡镇"] == "西山镇（370999101） / 东河镇（370999102）"
    assert t["points_outside"]["名称"].tolist() == ["界外村"]
    assigned = t["assigned"].set_index("名称")
    assert assigned.loc["缝隙村", "归入乡镇"] == "西山镇（370999101）"
    assert assigned.loc["重叠村", "规则"] == "重叠区按代码归属"
    unloc = t["unlocated"].set_index("乡镇（街道）")
    assert unloc.loc["东河镇", "合计"] == 1 and unloc.loc["全县", "合计"] == 2
    summary = t["summary"].set_index("检查项")
    assert summary.loc["未定位（无坐标）的行", "数量"] == 2


def test_check_map_writes_html_and_png(region: Region, tmp_path: Path) -> None:
    files = write_check_map(region, tmp_path / "out")
    with Image.open(files.png) as img:
        assert img.format == "PNG" and img.size[0] > img.size[1] > 1000
    page = files.html.read_text(encoding="utf-8")
    area = region.diagnostics.gaps["area_km2"].iloc[0]
    assert f"边界缝隙（无乡镇覆盖）：1，合计 {area:.3f} km²（占全县 0.75%）" in page
    assert "乡镇边界重叠" in page and "县界外的点" in page and "未定位" in page
    assert "data:image/png;base64," in page
    # offline: nothing is fetched (Leaflet inlined, no tiles, no external script or style)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", page)
    assert "L.tileLayer" not in page
    # user text cannot break out of the JSON block
    assert page.count("</script>") == page.count("<script")


def test_gap_above_tolerance_still_gets_its_map(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    toml = _toml(tmp_path / "region", tiling_tolerance=0.005)
    region, tolerance = region_for_check_map(toml)
    assert tolerance == 0.005 and len(region.diagnostics.gaps) == 1
    assert "超出容差 0.5%" in check_map_html(region, tolerance=tolerance)
    out = tmp_path / "check"
    assert main(["validate", str(toml), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "tiling_tolerance" in captured.err and "检查图" in captured.out
    assert (out / "check_map.html").exists() and (out / "check_map.png").exists()


def test_check_map_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = _toml(tmp_path / "region")
    out = tmp_path / "check"
    assert main(["check-map", str(toml), "--out", str(out)]) == 0
    assert (out / "check_map.png").stat().st_size > 50_000
    assert main(["validate", str(toml), "--out", str(tmp_path / "v")]) == 0
    assert "数据检查通过" in capsys.readouterr().out


def test_names_from_the_files_stay_text_in_a_browser(tmp_path: Path) -> None:
    """A township named like markup is shown as text (tooltips and popups), nothing runs."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    xss = "<img src=x onerror=alert(1)>镇"
    rows = [[xss if cell == "西山镇" else cell for cell in row] for row in [*ROWS, *EXTRA]]
    toml = write_region(tmp_path / "region", rows=rows, townships=[(WEST[0], xss, WEST[2]), EAST])
    files = write_check_map(load_region(toml), tmp_path / "out")
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        pg = b.new_page()
        ran: list[str] = []
        pg.on("dialog", lambda d: (ran.append(d.message), d.dismiss()))
        pg.on("pageerror", lambda e: ran.append(str(e)))
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                 else (ran.append(r.request.url), r.abort()))
        pg.goto(files.html.as_uri())
        pg.wait_for_selector(".leaflet-container")
        # every tooltip and popup opened, as a planner hovering and clicking would
        opened = pg.evaluate("""() => { let n = 0; window.checkMap.eachLayer(l => {
            if (l.getTooltip && l.getTooltip()) { l.openTooltip(); n++; }
            if (l.getPopup && l.getPopup()) { l.openPopup(); } }); return n; }""")
        pg.wait_for_timeout(300)
        assert opened > 0
        assert xss in pg.inner_text(".leaflet-container")
        assert pg.locator("img[src='x']").count() == 0
        b.close()
    assert ran == []
