"""What each printed sheet shows: base layers, thematic layers, labels, legends and tables.

The sheet contents themselves (facilities, completion, access, suggestions, one township) are
in :mod:`._print_themes`: each ``*_content`` function there turns
:class:`~coverage.maps.MapLayers` into a :class:`SheetContent` — drawing callbacks (the
same for the main map and the inset), the labels to place, legend entries, point symbols
(obstacles for the labels, density for the inset) and the ranked tables — without deciding
where anything goes on the page; :mod:`._print_page` composes.  This module holds the pieces
they share.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from coverage.maps import _style as st
from coverage.maps._data import MapLayers, to_wgs84
from coverage.maps._labels import PointLabel
from coverage.maps._print_layout import (
    mm_per_px,
    scratch_figure,
)
from coverage.vocabulary import KNOWN_KINDS

INK = "#263238"

MUTED = "#546e7a"

HALO = [withStroke(linewidth=2.4, foreground="white")]

_LAND = "#f4f2ec"

#: Place kinds named on the county map, and on insets and township sheets.
_PLACE_KINDS_MAIN = frozenset({"city", "town"})
_PLACE_KINDS_DETAIL = frozenset({"city", "town", "suburb", "village"})

PAPER = "#fbfaf7"

TABLE_FONT = 7.0

#: Uncovered villages always named on the access map (the most populous first).
_NAMED_UNCOVERED = 15

CELL_PAD_MM = 1.2

LINESPACING = 1.5


@dataclass
class SheetBase:
    """The region's base layers in the metric CRS (computed once per run)."""

    region: Any
    county: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None
    water: gpd.GeoDataFrame | None
    approximate: bool
    places: gpd.GeoDataFrame | None = None

    @classmethod
    def of(cls, layers: MapLayers) -> SheetBase:
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
        places = None
        if layers.places is not None and len(layers.places):
            places = region.to_metric(to_wgs84(layers.places))
            places = places[places.intersects(clip)]
        return cls(region, county, region.to_metric(region.townships), roads, water,
                   bool(layers.meta.approximate_townships), places)

    def place_labels(self, view: MapView, *, taken: set[str]) -> list[PointLabel]:
        """Reference place names (towns on the main map, villages too on larger scales),
        placed last and only where there is room; names already on the map are skipped."""
        if self.places is None or not len(self.places):
            return []
        kinds = _PLACE_KINDS_MAIN if view.kind == "main" else _PLACE_KINDS_DETAIL
        out = []
        for kind, name, geom in zip(self.places["place_kind"].astype(str),
                                    self.places["name"].astype(str), self.places.geometry,
                                    strict=True):
            if kind not in kinds or not name or name in taken or geom is None or geom.is_empty:
                continue
            taken = taken | {name}
            out.append(PointLabel([(geom.x, geom.y)], name, priority=10_000, radius_px=1.0,
                                  required=False, gid="label:place",
                                  style={"fontsize": 6.0, "color": "#607d8b",
                                         "style": "italic", "path_effects": HALO}))
        return out

    def draw(self, ax: Axes, view: MapView, *, fill: str | None = _LAND,
             township_lw: float = 0.6, major_only: bool = False) -> None:
        """Land, water, roads, township and county lines (under the thematic layers)."""
        if fill:
            self.townships.plot(ax=ax, color=fill, edgecolor="none", zorder=1)
        self.draw_reference(ax, view, major_only=major_only)
        self.townships.boundary.plot(ax=ax, color="#78909c", linewidth=township_lw,
                                     linestyle=(0, (4, 1.5)) if self.approximate else "-",
                                     zorder=5)
        self.county.boundary.plot(ax=ax, color=INK, linewidth=1.6, zorder=6)

    def draw_reference(self, ax: Axes, view: MapView, *, major_only: bool = False) -> None:
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
            Line2D([], [], color=INK, linewidth=1.6, label="县（市、区）界"),
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
class MapView:
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


@dataclass
class PointSymbols:
    """Point symbols of a sheet (metric xy), as label obstacles and for the inset."""

    x: np.ndarray
    y: np.ndarray
    radius_pt: np.ndarray


@dataclass
class SheetTable:
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
        prop = FontProperties(size=TABLE_FONT)
        bold = FontProperties(size=TABLE_FONT, weight="bold")
        k = mm_per_px(dpi)

        def width(text: str, p: FontProperties) -> float:
            return float(renderer.get_text_width_height_descent(text, p, ismath=False)[0])

        widths = []
        for j, head in enumerate(self.headers):
            cells = sorted({row[j] for row in self.rows if row[j]}, key=_text_units)[-3:]
            w = max([width(head, bold), *(width(c, prop) for c in cells)])
            widths.append(w * k + 2 * CELL_PAD_MM)
        if self.title:  # the title (bold, larger) may be wider than the columns
            title = FontProperties(size=8.5, weight="bold")
            extra = width(self.title + "（续）", title) * k - sum(widths)
            if extra > 0:
                widths[-1] += extra
        row_h = line_pitch_mm()
        head_h = row_h * 1.2 + (row_h * 1.45 if self.title else 0.0)
        return widths, row_h, head_h


@dataclass
class SheetContent:
    """What one sheet shows, independent of where it lands on the page."""

    key: str
    subtitle: str
    draw: Callable[[Axes, MapView], None]
    labels: Callable[[MapView], list[PointLabel]]
    legends: list[tuple[str, str, list[Artist], int]]  # key, title, handles, ncols
    points: PointSymbols
    table: SheetTable | None = None
    note: str = ""
    citations: list[str] = field(default_factory=list)
    dense_xy: np.ndarray | None = None  # where an inset is worth it (metric)
    required_ranks: list[str] = field(default_factory=list)
    #: A long list printed on the pages after the map page (the map page shows ``table``).
    list_table: SheetTable | None = None


def _kinds(layers: MapLayers) -> list[str]:
    region = layers.region
    return ([k for k in KNOWN_KINDS if k in region.layers]
            + [k for k in region.layers if k not in KNOWN_KINDS])


def _xy(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()


def _township_labels(base: SheetBase, view: MapView, *, extra: dict[str, str] | None = None,
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
                                     "multialignment": "center", "path_effects": HALO}))
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


def _text_units(text: str) -> float:
    """Rough width of ``text`` in ems (for picking the widest cells to measure)."""
    return sum(0.55 if ch.isascii() else 1.0 for ch in text)


@functools.cache
def _pitch_and_height() -> tuple[float, float]:
    fig, renderer = scratch_figure()
    one = fig.text(0, 0, "国Ag", fontsize=TABLE_FONT, linespacing=LINESPACING)
    two = fig.text(0, 0, "国Ag\n国Ag", fontsize=TABLE_FONT, linespacing=LINESPACING)
    h1 = one.get_window_extent(renderer).height
    h2 = two.get_window_extent(renderer).height
    k = mm_per_px(fig.dpi)
    return (h2 - h1) * k, h1 * k


def line_pitch_mm() -> float:
    return _pitch_and_height()[0]


def line_height_mm() -> float:
    return _pitch_and_height()[1]
