"""Composing an A4 page: plan, map frame, north arrow and scale bar, inset, locator, legends,
tables, title and footer, and the continuation pages of a long table.

Every block is measured with the renderer first and placed by
:func:`coverage.maps._print_layout.plan_page`, so nothing overlaps whatever the region's shape.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle
from scipy.spatial import cKDTree

from coverage.maps._data import MapLayers, data_note, fictional_note, map_title
from coverage.maps._labels import LabelPlacer
from coverage.maps._locator import Locator, draw_locator
from coverage.maps._print_content import (
    CELL_PAD_MM,
    HALO,
    INK,
    LINESPACING,
    MUTED,
    PAPER,
    TABLE_FONT,
    MapView,
    SheetBase,
    SheetContent,
    SheetTable,
    line_height_mm,
)
from coverage.maps._print_layout import (
    A4_MM,
    GAP_MM,
    MARGIN_MM,
    PAD_MM,
    Block,
    Box,
    PagePlan,
    mm_per_px,
    new_figure,
    plan_page,
    scratch_figure,
    wrap_text,
)

logger = logging.getLogger(__name__)

_MM = 1 / 25.4

_TITLE_H = 19.0

_LEGEND_STYLE: dict[str, Any] = {
    "fontsize": 7.5, "title_fontsize": 8.5, "frameon": True, "framealpha": 1.0,
    "edgecolor": "#90a4ae", "fancybox": False, "borderpad": 0.7, "labelspacing": 0.45,
    "handlelength": 1.8, "handletextpad": 0.6, "alignment": "left", "columnspacing": 1.0,
    "borderaxespad": 0.0,
}

_LOCATOR_MM = (46.0, 50.0)

_INSET_MAX_MM = 86.0

_INSET_MIN_MM = 46.0

#: A point is crowded when its nearest neighbour is closer than this on paper.
_CROWD_MM = 1.6

#: How much larger the inset's scale is than the main map's.
_INSET_ZOOM = 3.0


def nice_length(target_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k m) not longer than ``target_m``.

    Examples
    --------
    >>> nice_length(7300.0)
    5000.0
    """
    if not target_m > 0 or not math.isfinite(target_m):
        return 1000.0
    exp = 10 ** math.floor(math.log10(target_m))
    for step in (5, 2, 1):
        if step * exp <= target_m:
            return float(step * exp)
    return float(exp)  # pragma: no cover


@dataclass
class _Measured:
    legends: dict[str, tuple[float, float]]
    footer: list[str]
    footer_h: float
    table: tuple[list[float], float, float] | None
    note: tuple[float, float] | None


def _make_legend(fig: Figure, title: str, handles: list[Artist], ncols: int) -> Legend:
    leg = fig.legend(handles=handles, title=title, loc="upper left", ncols=ncols,
                     bbox_to_anchor=(0, 1), **_LEGEND_STYLE)
    leg.get_frame().set_linewidth(0.6)
    leg.set_zorder(30)
    leg.set_gid("furniture:legend")
    return leg


def _footer_lines(layers: MapLayers, citations: list[str]) -> list[tuple[str, str]]:
    """(text, style) per footer paragraph before wrapping."""
    date, source = data_note(layers)
    info = layers.meta
    first = []
    if source:
        first.append(f"数据来源：{source}")
    if date:
        first.append(f"数据日期：{date}")
    first.append(f"坐标系：{_crs_label(layers.region.metric_crs)}")
    second = [f"制图单位：{info.organisation or '（未填写，见 [region] organisation）'}",
              f"制图日期：{info.made_on or '—'}"]
    out = [("　".join(first), "plain"), ("　".join(second), "plain")]
    if citations:
        out.append(("依据：" + "；".join(citations), "plain"))
    if fictional_note(source):
        out.append(("虚构示例数据，不代表真实情况", "warn"))
    return out


_FOOT_SIZE = 7.0

_FOOT_LINE_MM = _FOOT_SIZE * 1.5 * 25.4 / 72


def _measure(layers: MapLayers, content: SheetContent) -> _Measured:
    fig, renderer = scratch_figure()
    k = mm_per_px(fig.dpi)
    sizes = {}
    for key, title, handles, ncols in content.legends:
        bb = _make_legend(fig, title, handles, ncols).get_window_extent(renderer)
        sizes[key] = (bb.width * k + 0.5, bb.height * k + 0.5)
    width = A4_MM[0] - 2 * (MARGIN_MM + PAD_MM)
    prop = FontProperties(size=_FOOT_SIZE)
    lines: list[str] = []
    for text, kind in _footer_lines(layers, content.citations):
        for line in wrap_text(text, width - 1.0, prop, renderer, fig.dpi):
            lines.append(("!" if kind == "warn" else " ") + line)
    table = content.table.measure(renderer, fig.dpi) if content.table else None
    note = None
    if content.note:
        t = fig.text(0, 0, content.note, fontsize=7.5, linespacing=1.5)
        bb = t.get_window_extent(renderer)
        note = (bb.width * k + 4.0, bb.height * k + 4.0)
    return _Measured(sizes, lines, len(lines) * _FOOT_LINE_MM + 1.0, table, note)


def _extent_of(geom_bounds: np.ndarray, pad: float = 0.05) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in geom_bounds)
    p = pad * max(maxx - minx, maxy - miny, 1.0)
    return (minx - p, miny - p, maxx + p, maxy + p)


def compose_pages(layers: MapLayers, content: SheetContent, base: SheetBase, loc: Locator, *,
             focus: gpd.GeoDataFrame | None = None) -> list[Figure]:
    """The pages of one sheet: the map page, then continuation pages of its table."""
    measured = _measure(layers, content)
    area = base.region.to_metric(focus) if focus is not None else base.county
    extent = _extent_of(area.total_bounds)
    ew, eh = extent[2] - extent[0], extent[3] - extent[1]
    tbl = content.table
    blocks = [Block(f"legend:{k}", *measured.legends[k]) for k, _, _, _ in content.legends]
    blocks.insert(0, Block("locator", *_LOCATOR_MM))
    # a first guess of the map scale decides whether an inset is worth it
    guess_mm_per_m = 186.0 / ew if ew / eh > 186 / 175 else 175.0 / eh
    inset_extent = None
    if content.dense_xy is not None and focus is None:
        inset_extent = _find_inset(content.dense_xy, guess_mm_per_m, extent)
    if inset_extent is not None:
        blocks.insert(1, Block("inset", _INSET_MAX_MM, _INSET_MAX_MM + 6.0,
                               min_side=_INSET_MIN_MM, optional=True))
    table_rows_total = len(tbl.rows) if tbl else 0
    if tbl is not None and measured.table is not None:
        widths, row_h, head_h = measured.table
        tw = sum(widths)
        for j in range(1 if table_rows_total <= 24 else 4):  # column chunks on the map page
            blocks.append(Block(f"table:{j}", tw, head_h + row_h * table_rows_total,
                                min_side=-(head_h + row_h * (min(4, table_rows_total)
                                                             if table_rows_total > 24
                                                             else table_rows_total)),
                                optional=j > 0 or table_rows_total > 24))
    if measured.note:
        blocks.append(Block("note", *measured.note, optional=True))
    plan = plan_page(ew, eh, title_h=_TITLE_H, footer_h=measured.footer_h,
                     blocks=_flex(blocks, measured))
    fig = new_figure(plan.w_mm, plan.h_mm)
    _furniture(fig, plan, layers, content, measured)
    ax = fig.add_axes(plan.map.frac(plan.w_mm, plan.h_mm))
    mm_per_m = plan.map.w / ew
    if "inset" not in plan.placed:
        inset_extent = None
    elif inset_extent is not None and content.dense_xy is not None:
        # the inset box may have shrunk to fit: keep the zoom, centre the smaller square on
        # the densest spot again
        box = plan.placed["inset"]
        side = box.w / (_INSET_ZOOM * mm_per_m)
        cx, cy = _densest(content.dense_xy, side)
        inset_extent = _square((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2),
                               box.w / (box.h - 6.0))
    view = _map_axes(ax, extent, "main", mm_per_m, inset_extent)
    content.draw(ax, view)
    _reset_axes(ax, extent)
    obstacles = [_furniture_in_map(ax, extent, base, view)]
    if inset_extent is not None:
        obstacles.append(_inset_frame(ax, inset_extent))
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    _label(view, content, renderer, obstacles, base)
    # legends, locator, inset, note, table
    for key, title, handles, ncols in content.legends:
        box = plan.placed[f"legend:{key}"]
        leg = _make_legend(fig, title, handles, ncols)
        leg.set_bbox_to_anchor((box.x0 / plan.w_mm, box.y1 / plan.h_mm), transform=fig.transFigure)
    if "locator" in plan.placed:
        _locator_block(fig, plan, plan.placed["locator"], loc,
                       (focus if focus is not None else base.county).to_crs("EPSG:4326"))
    if inset_extent is not None:
        _inset_block(fig, plan, plan.placed["inset"], inset_extent, base, content, renderer)
    if "note" in plan.placed:
        b = plan.placed["note"]
        fig.text((b.x0 + 2.0) / plan.w_mm, (b.y1 - 2.0) / plan.h_mm, content.note,
                 ha="left", va="top", fontsize=7.5, color=INK, linespacing=1.5,
                 gid="furniture:note", bbox={"boxstyle": "square,pad=0.5", "facecolor": "#f5f7f8",
                                             "edgecolor": "#cfd8dc", "linewidth": 0.5})
    pages = [fig]
    if tbl is not None and measured.table is not None:
        done = 0
        for j in range(4):
            chunk = plan.placed.get(f"table:{j}")
            if chunk is None or done >= len(tbl.rows):
                continue
            done += _draw_table(fig, plan, chunk, tbl, measured.table, done)
        if done < len(tbl.rows):
            if done:
                fig.text(plan.map.x0 / plan.w_mm, (plan.footer.y1 + 0.6) / plan.h_mm,
                         f"表续见第2页（共{len(tbl.rows)}行）", fontsize=6.5, color=MUTED,
                         ha="left", va="bottom")
            pages += _table_pages(layers, content, measured, tbl, measured.table, done,
                                  len(pages) + 1)
    if content.list_table is not None and content.list_table.rows:
        fig, renderer = scratch_figure()
        metrics = content.list_table.measure(renderer, fig.dpi)
        pages += _table_pages(layers, content, measured, content.list_table, metrics, 0,
                              len(pages) + 1)
    return pages


def _flex(blocks: list[Block], measured: _Measured) -> list[Block]:
    """Blocks with table chunks shrinking by whole rows (min_side < 0 marks a table)."""
    out: list[Block] = []
    for b in blocks:
        if b.min_side < 0 and measured.table is not None:
            out.append(_TableBlock(b.key, b.w, b.h, optional=b.optional, min_h=-b.min_side,
                                   row_h=measured.table[1]))
        else:
            out.append(b)
    return out


@dataclass(frozen=True)
class _TableBlock(Block):
    """A table chunk: as tall as its rows, shrinking by whole rows down to ``min_h``."""

    min_h: float = 0.0
    row_h: float = 4.0

    def sizes(self) -> list[tuple[float, float]]:
        """Whole-row heights, tallest first."""
        out = []
        h = self.h
        while h >= self.min_h - 1e-6:
            out.append((self.w, h))
            h -= self.row_h
        return out


def _square(extent: tuple[float, float, float, float],
            aspect: float) -> tuple[float, float, float, float]:
    """``extent`` grown to the width/height ``aspect`` around its centre."""
    x0, y0, x1, y1 = extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _find_inset(xy: np.ndarray, mm_per_m: float,
                extent: tuple[float, float, float, float]) -> tuple[float, float, float,
                                                                    float] | None:
    """A square around the densest cluster of points (the county seat), or None.

    The square is what a ``_INSET_MAX_MM`` inset shows at ``_INSET_ZOOM`` times the main
    map's scale; it is centred on the point with the most neighbours inside it and used
    when it holds at least 12 points of which a quarter (and at least 10) are crowded
    (nearest neighbour closer than ``_CROWD_MM`` on paper at the main map's scale) and its
    density is twice the map's average (a map crowded everywhere gains nothing from it).
    """
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) < 12:
        return None
    side = _INSET_MAX_MM / (_INSET_ZOOM * mm_per_m)
    tree = cKDTree(xy)
    cx, cy = _densest(xy, side)
    inside = xy[(np.abs(xy[:, 0] - cx) <= side / 2) & (np.abs(xy[:, 1] - cy) <= side / 2)]
    d, _ = tree.query(inside, k=2)
    crowded = int((d[:, 1] < _CROWD_MM / mm_per_m).sum())
    area = (extent[2] - extent[0]) * (extent[3] - extent[1])
    density_ratio = (len(inside) / side**2) / (len(xy) / area)
    if len(inside) < 12 or crowded < max(10, len(inside) / 4) or density_ratio < 2.0:
        return None
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def _densest(xy: np.ndarray, side: float) -> tuple[float, float]:
    """Centre of the ``side``-wide square holding the most points: the median of the
    points in the square around the point with the most neighbours in it."""
    xy = xy[np.isfinite(xy).all(axis=1)]
    tree = cKDTree(xy)
    counts = np.array([len(n) for n in tree.query_ball_point(xy, side / 2, p=np.inf)])
    x, y = xy[int(np.argmax(counts))]
    near = xy[(np.abs(xy[:, 0] - x) <= side / 2) & (np.abs(xy[:, 1] - y) <= side / 2)]
    mx, my = np.median(near, axis=0)
    return float(mx), float(my)


def _map_axes(ax: Axes, extent: tuple[float, float, float, float], kind: str,
              mm_per_m: float, inset: tuple[float, float, float, float] | None) -> MapView:
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(PAPER)
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)
        spine.set_color(INK)
        spine.set_zorder(40)
    ax.set_autoscale_on(False)
    return MapView(ax, extent, kind, mm_per_m, inset)


def _reset_axes(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    """Undo what GeoDataFrame.plot sets on a map axes (CRS axis labels, limits)."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])


def _furniture(fig: Figure, plan: PagePlan, layers: MapLayers, content: SheetContent,
               measured: _Measured, *, subtitle: str | None = None) -> None:
    w, h = plan.w_mm, plan.h_mm
    neat = plan.neat
    fig.add_artist(Rectangle((neat.x0 / w, neat.y0 / h), neat.w / w, neat.h / h,
                             transform=fig.transFigure, facecolor="none", edgecolor=INK,
                             linewidth=1.2, gid="furniture:neatline"))
    t = plan.title
    fig.text(0.5, (t.y1 - 1.0) / h, map_title(layers), ha="center", va="top", fontsize=16,
             weight="bold", color=INK, gid="furniture:title")
    fig.text(0.5, (t.y1 - 10.0) / h, subtitle or content.subtitle, ha="center", va="top",
             fontsize=10.5, color=INK, gid="furniture:subtitle")
    f = plan.footer
    fig.add_artist(Line2D([f.x0 / w, f.x1 / w], [(f.y1 + 0.6) / h] * 2,
                          transform=fig.transFigure, color="#b0bec5", linewidth=0.5))
    y = f.y1 - 0.5
    for line in measured.footer:
        warn = line.startswith("!")
        fig.text(f.x0 / w, y / h, line[1:], ha="left", va="top", fontsize=_FOOT_SIZE,
                 color="#b3261e" if warn else MUTED, weight="bold" if warn else "normal",
                 gid="furniture:footer")
        y -= _FOOT_LINE_MM


def _corner_boxes(extent: tuple[float, float, float, float], w: float,
                  h: float) -> dict[str, tuple[float, float, float, float]]:
    x0, y0, x1, y1 = extent
    m = 0.02 * (x1 - x0)
    return {"tr": (x1 - m - w, y1 - m - h, x1 - m, y1 - m),
            "tl": (x0 + m, y1 - m - h, x0 + m + w, y1 - m),
            "br": (x1 - m - w, y0 + m, x1 - m, y0 + m + h),
            "bl": (x0 + m, y0 + m, x0 + m + w, y0 + m + h)}


def _furniture_in_map(ax: Axes, extent: tuple[float, float, float, float], base: SheetBase,
                      view: MapView) -> np.ndarray:
    """North arrow and scale bar in the corners where they cover the least land."""
    land = base.county.geometry.union_all()
    width_m = extent[2] - extent[0]
    m_per_mm = 1 / view.mm_per_m
    arrow = _corner_boxes(extent, 9 * m_per_mm, 15 * m_per_mm)
    length = nice_length(min(width_m / 4, 32 * m_per_mm))
    bar = _corner_boxes(extent, length + 14 * m_per_mm, 8 * m_per_mm)

    def cover(box: tuple[float, float, float, float]) -> float:
        return float(land.intersection(shapely.box(*box)).area)

    best = min(((a, b) for a in arrow for b in bar if a != b),
               key=lambda ab: (cover(arrow[ab[0]]) + cover(bar[ab[1]]),
                               ab != ("tr", "br")))
    a = arrow[best[0]]
    b = bar[best[1]]
    _north_arrow(ax, a)
    _scale_bar(ax, b, length, m_per_mm)
    return np.vstack([ax.transData.transform([(a[0], a[1]), (a[2], a[3])]).ravel(),
                      ax.transData.transform([(b[0], b[1]), (b[2], b[3])]).ravel()])


def _north_arrow(ax: Axes, box: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    top = y1 - 0.38 * h
    bottom = y0 + 0.05 * h
    ax.add_patch(Rectangle((x0, y0), w, h, facecolor="white", edgecolor="none", alpha=0.8,
                           zorder=35, gid="furniture:north"))
    ax.add_patch(Polygon([(cx, top), (cx - 0.32 * w, bottom), (cx, bottom + 0.25 * (top - bottom))],
                         closed=True, facecolor=INK, edgecolor=INK, lw=0.6, zorder=36))
    ax.add_patch(Polygon([(cx, top), (cx + 0.32 * w, bottom), (cx, bottom + 0.25 * (top - bottom))],
                         closed=True, facecolor="white", edgecolor=INK, lw=0.6, zorder=36))
    ax.text(cx, y1 - 0.02 * h, "北", ha="center", va="top", fontsize=9, weight="bold",
            color=INK, zorder=36)


def _scale_bar(ax: Axes, box: tuple[float, float, float, float], length: float,
               m_per_mm: float) -> None:
    x0, y0, x1, y1 = box
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="white", edgecolor="none",
                           alpha=0.8, zorder=35, gid="furniture:scalebar"))
    segments = 4 if length / 1000 in (2, 4, 20, 40) or length / 1000 >= 100 else 2
    bx = x0 + 2.5 * m_per_mm
    by = y0 + 1.6 * m_per_mm
    h = 1.2 * m_per_mm
    seg = length / segments
    for i in range(segments):
        ax.add_patch(Rectangle((bx + i * seg, by), seg, h, facecolor=INK if i % 2 == 0
                               else "white", edgecolor=INK, lw=0.6, zorder=36))
    unit, div = ("公里", 1000.0) if length >= 1000 else ("米", 1.0)
    for i in (0, segments):
        ax.text(bx + i * seg, by + h + 0.8 * m_per_mm, f"{i * seg / div:g}", ha="center",
                va="bottom", fontsize=6.5, color=INK, zorder=36)
    ax.text(bx + length + 1.2 * m_per_mm, by + h / 2, unit, ha="left", va="center",
            fontsize=6.5, color=INK, zorder=36)


def _inset_frame(ax: Axes, extent: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = extent
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="none", edgecolor=INK,
                           linewidth=1.0, linestyle=(0, (3, 1.5)), zorder=33,
                           gid="furniture:inset-frame"))
    t = ax.text(x0, y1, "放大图", ha="left", va="bottom", fontsize=6.5, color=INK,
                zorder=34, path_effects=HALO)
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    bb = t.get_window_extent(renderer)
    return np.array([[bb.x0, bb.y0, bb.x1, bb.y1]])


def _label(view: MapView, content: SheetContent, renderer: Any,
           obstacles: list[np.ndarray], base: SheetBase) -> None:
    """Place the sheet's labels, then the reference place names where there is room."""
    ax = view.ax
    pts = content.points
    boxes = [o.reshape(-1, 4) for o in obstacles]
    if len(pts.x):
        xy = ax.transData.transform(np.column_stack([pts.x, pts.y]))
        r = pts.radius_pt * ax.figure.dpi / 72 * (1.0 if view.kind == "main" else 1.3)
        boxes.append(np.column_stack([xy[:, 0] - r, xy[:, 1] - r, xy[:, 0] + r, xy[:, 1] + r]))
    placer = LabelPlacer(ax, renderer, obstacles=np.vstack(boxes) if boxes else None)
    labels = content.labels(view)
    taken = {lab.text.split("\n")[0].split(" ")[0] for lab in labels}
    placer.place(labels + base.place_labels(view, taken=taken))
    if placer.forced:
        logger.info("%s (%s): %d label(s) placed over others: %s", content.key, view.kind,
                    len(placer.forced), ", ".join(placer.forced[:5]))


def _locator_block(fig: Figure, plan: PagePlan, box: Box, loc: Locator,
                   highlight: gpd.GeoDataFrame) -> None:
    w, h = plan.w_mm, plan.h_mm
    fig.text(box.x0 / w, box.y1 / h, "位置示意图", ha="left", va="top", fontsize=8.5,
             color=INK, weight="bold", gid="furniture:locator-title")
    inner = Box(box.x0 + 7.0, box.y0 + 8.0, box.x1, box.y1 - 5.0)
    ax = fig.add_axes(inner.frac(w, h))
    ax.set_gid("furniture:locator")
    draw_locator(ax, loc, highlight)
    if loc.kind == "township":  # the county's townships: no graticule needed at this scale
        ax.set_xticks([])
        ax.set_yticks([])
    if loc.note:
        fig.text(box.x0 / w, box.y0 / h, loc.note, ha="left", va="bottom", fontsize=5.5,
                 color=MUTED, gid="furniture:locator-note")


def _inset_block(fig: Figure, plan: PagePlan, box: Box,
                 extent: tuple[float, float, float, float], base: SheetBase, content: SheetContent,
                 renderer: Any) -> None:
    w, h = plan.w_mm, plan.h_mm
    center = shapely.Point((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
    hit = base.townships[base.townships.contains(center)]
    where = f"（{hit['name'].iloc[0]}一带）" if len(hit) else ""
    fig.text(box.x0 / w, box.y1 / h, f"点位密集区放大图{where}", ha="left", va="top",
             fontsize=8.5, color=INK, weight="bold", gid="furniture:inset-title")
    inner = Box(box.x0, box.y0, box.x1, box.y1 - 6.0)
    ax = fig.add_axes(inner.frac(w, h))
    ax.set_gid("furniture:inset")
    mm_per_m = inner.w / (extent[2] - extent[0])
    view = _map_axes(ax, extent, "inset", mm_per_m, None)
    content.draw(ax, view)
    _reset_axes(ax, extent)
    obstacles = [_inset_scale(ax, extent, view, content.dense_xy)]
    _label(view, content, renderer, obstacles, base)


def _inset_scale(ax: Axes, extent: tuple[float, float, float, float], view: MapView,
                 xy: np.ndarray | None) -> np.ndarray:
    """The inset's scale bar, in the bottom corner with the fewest points under it."""
    m_per_mm = 1 / view.mm_per_m
    length = nice_length((extent[2] - extent[0]) / 3.5)
    corners = _corner_boxes(extent, length + 14 * m_per_mm, 8 * m_per_mm)

    def count(b: tuple[float, float, float, float]) -> int:
        if xy is None or not len(xy):
            return 0
        return int(((xy[:, 0] >= b[0]) & (xy[:, 0] <= b[2]) & (xy[:, 1] >= b[1])
                    & (xy[:, 1] <= b[3])).sum())

    b = min((corners[k] for k in ("br", "bl", "tr", "tl")), key=count)
    _scale_bar(ax, b, length, m_per_mm)
    return ax.transData.transform([(b[0], b[1]), (b[2], b[3])]).ravel()


def _draw_table(fig: Figure, plan: PagePlan, box: Box, tbl: SheetTable,
                metrics: tuple[list[float], float, float], start: int) -> int:
    """Draw rows ``start…`` of ``tbl`` into ``box``; returns how many rows were drawn.

    Each column is one multi-line text (a table of 100 rows is a dozen text objects, not
    600), with zebra stripes at the measured line pitch.
    """
    widths, row_h, head_h = metrics
    w, h = plan.w_mm, plan.h_mm
    n = max(0, min(len(tbl.rows) - start, int((box.h - head_h + 1e-6) // row_h)))
    if n == 0:
        return 0
    y = box.y1
    if tbl.title:
        title = tbl.title + ("（续）" if start else "")
        fig.text(box.x0 / w, y / h, title, ha="left", va="top", fontsize=8.5, weight="bold",
                 color=INK, gid="furniture:table-title")
        y -= row_h * 1.45
    total_w = sum(widths)
    head = row_h * 1.2
    fig.add_artist(Rectangle((box.x0 / w, (y - head) / h), total_w / w, head / h,
                             transform=fig.transFigure, facecolor="#e3e9ed", edgecolor="none",
                             gid="furniture:table"))
    xs = np.concatenate([[box.x0], box.x0 + np.cumsum(widths)])
    for j, title in enumerate(tbl.headers):
        x = xs[j] + CELL_PAD_MM if tbl.align[j] == "left" else xs[j + 1] - CELL_PAD_MM
        fig.text(x / w, (y - head / 2) / h, title, ha=tbl.align[j], va="center",
                 fontsize=TABLE_FONT, weight="bold", color=INK, gid="table:header")
    y -= head
    for i in range(1, n, 2):
        fig.add_artist(Rectangle((box.x0 / w, (y - (i + 1) * row_h) / h), total_w / w,
                                 row_h / h, transform=fig.transFigure, facecolor="#f1f4f6",
                                 edgecolor="none"))
    rows = tbl.rows[start:start + n]
    top = y - (row_h - line_height_mm()) / 2
    for j in range(len(tbl.headers)):
        x = xs[j] + CELL_PAD_MM if tbl.align[j] == "left" else xs[j + 1] - CELL_PAD_MM
        fig.text(x / w, top / h, "\n".join(r[j] or " " for r in rows), ha=tbl.align[j],
                 va="top", multialignment=tbl.align[j], fontsize=TABLE_FONT,
                 linespacing=LINESPACING, color=INK, gid="table:column")
    y -= n * row_h
    fig.add_artist(Line2D([box.x0 / w, (box.x0 + total_w) / w], [y / h] * 2,
                          transform=fig.transFigure, color="#90a4ae", linewidth=0.5))
    return n


def _table_pages(layers: MapLayers, content: SheetContent, measured: _Measured, tbl: SheetTable,
                 metrics: tuple[list[float], float, float], start: int,
                 first_page: int) -> list[Figure]:
    """Pages with rows ``start…`` of ``tbl`` in as many columns as fit, portrait or
    landscape, whichever holds more rows per page."""
    widths, row_h, head_h = metrics
    tw = sum(widths)
    best = None
    for orient in ("portrait", "landscape"):
        plan = plan_page(1.0, 1.0, title_h=_TITLE_H, footer_h=measured.footer_h, blocks=[],
                         orientations=(orient,))
        body = Box(plan.neat.x0 + PAD_MM, plan.footer.y1 + GAP_MM, plan.neat.x1 - PAD_MM,
                   plan.title.y0 - GAP_MM)
        cols = max(1, int((body.w + 2 * GAP_MM) // (tw + 2 * GAP_MM)))
        per_page = cols * int((body.h - head_h) // row_h)
        if best is None or per_page > best[0]:
            best = (per_page, plan, body)
    assert best is not None
    _, plan, body = best
    pages = []
    page_no = first_page
    while start < len(tbl.rows):
        fig = new_figure(plan.w_mm, plan.h_mm)
        _furniture(fig, plan, layers, content, measured,
                   subtitle=f"{content.subtitle}（续，第{page_no}页）")
        x = body.x0
        while start < len(tbl.rows) and (x == body.x0 or x + tw <= body.x1 + 1e-6):
            start += _draw_table(fig, plan, Box(x, body.y0, x + tw, body.y1), tbl, metrics,
                                 start)
            x += tw + 2 * GAP_MM
        pages.append(fig)
        page_no += 1
    return pages


def _crs_label(crs: object) -> str:
    epsg = getattr(crs, "to_epsg", lambda: None)()
    name = str(getattr(crs, "name", crs))
    zone = re.search(r"Gauss-Kruger zone (\d+)", name)
    if name.startswith("CGCS2000") and zone:
        name = f"CGCS2000 3度带高斯-克吕格投影 第{zone.group(1)}带"
    return name + (f"（EPSG:{epsg}）" if epsg else "")
