"""Static thematic maps for official reports: A4 sheets as PNG (300 dpi), SVG and PDF.

Each sheet is drawn in the region's metric CRS, so the scale bar is true, with a title, a
legend, a north arrow, a scale bar of a round length in km, and a footer naming the data
source, date and policy citation.  Chinese text uses a CJK font found on the system
(:func:`coverage.maps.find_cjk_font`).

Sheets (each only when its data is given):

``facilities``
    心理服务场所分布 — every facility layer by construction status.
``completion``
    乡镇建设完成率 — township choropleth (达标 / 差距较小 / 差距较大) labelled with the rate
    and the shortfall; one sheet per indicator (``completion``, ``completion_2`` …).
``access``
    服务可达性 — demand points by travel-time class, uncovered villages highlighted with their
    population.
``suggestions``
    建议新建点位 — ranked markers coloured by build year, with the ranked list.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.patheffects import withStroke
from matplotlib.text import Text

from coverage._errors import InputError
from coverage.config import KNOWN_KINDS
from coverage.io import atomic_path
from coverage.maps import _style as st
from coverage.maps._data import MapLayers, data_note, fictional_note, map_title, to_wgs84
from coverage.maps._fonts import cjk_font

__all__ = ["A4_MM", "write_static_maps"]

logger = logging.getLogger(__name__)

#: A4 short and long side in millimetres.
A4_MM = (210.0, 297.0)
_MM = 1 / 25.4
FORMATS = ("png", "svg", "pdf")

_INK = "#263238"
_SIDE_MM = 14.0  # left/right page margin
_HEAD_MM = 28.0  # title band
_FOOT_MM = 20.0  # source/date/citation band
_MUTED = "#607d8b"
_HALO = [withStroke(linewidth=2.6, foreground="white")]
#: matplotlib marker per facility kind on the overview sheet.
_KIND_MARKERS = {
    "village": "o", "community": "o", "school": "s", "health_center": "^", "hospital": "P",
    "service_site": "*", "governance_center": "D", "petition_office": "v",
    "institution": "h", "rehab": "X",
}


@dataclass(frozen=True)
class _Sheet:
    key: str
    subtitle: str
    footer_extra: str = ""


def write_static_maps(
    layers: MapLayers,
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
) -> dict[str, list[Path]]:
    """Write the thematic A4 sheets.

    Parameters
    ----------
    layers
        What to show; sheets whose data is ``None`` are skipped.
    out_dir
        Folder for the files (created if needed); files are named ``{sheet}.{format}``.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Resolution of the PNG files (A4 at 300 dpi is 2480 × 3508 pixels).

    Returns
    -------
    dict
        Sheet key (``facilities``, ``completion``, ``access``, ``suggestions``) → the files
        written, in the order of ``formats``.

    Raises
    ------
    InputError
        An unknown format, or no Chinese font on the system.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError.single(f"unknown static map format(s): {', '.join(bad) or 'none'}",
                                value=list(formats), fix="use png, svg and/or pdf")
    font = cjk_font()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    with _style(font.family):
        for sheet, fig in _sheets(layers):
            t0 = time.perf_counter()
            paths = []
            # whole pixels: A4 at 300 dpi is 2480 × 3508 (matplotlib truncates fractions)
            w_in, h_in = fig.get_size_inches()
            fig.set_size_inches((round(w_in * dpi) + 0.5) / dpi, (round(h_in * dpi) + 0.5) / dpi)
            for fmt in formats:
                path = out_dir / f"{sheet}.{fmt}"
                with atomic_path(path) as tmp:
                    fig.savefig(tmp, format=fmt, dpi=dpi)
                paths.append(path)
            written[sheet] = paths
            logger.info("static map %s: %s in %.1f s", sheet,
                        ", ".join(p.name for p in paths), time.perf_counter() - t0)
    return written


@contextmanager
def _style(family: str) -> Iterator[None]:
    with mpl.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        # Type 3 embeds the used glyph outlines directly; Type 42 would subset the 20 MB
        # CJK font with fontTools for every PDF (1.8 s each instead of 0.02 s)
        "pdf.fonttype": 3,
        "savefig.facecolor": "white",
    }):
        yield


# --------------------------------------------------------------------------------------------
# the sheets


def _sheets(layers: MapLayers) -> Iterator[tuple[str, Figure]]:
    region = layers.region
    if any(len(g) for g in region.layers.values()):
        yield "facilities", _facilities_sheet(layers)
    rates = layers.rates_for()  # the headline indicator
    if rates is not None and len(rates):
        rates = rates.copy()
        if "indicator_name" not in rates:
            rates["indicator_name"] = "建设完成率"
        rates["indicator_name"] = rates["indicator_name"].fillna("建设完成率").astype(str)
        yield "completion", _completion_sheet(layers, str(rates["indicator_name"].iloc[0]), rates)
    if layers.demand is not None and len(layers.demand):
        yield "access", _access_sheet(layers)
    if layers.suggestions is not None and len(layers.suggestions):
        yield "suggestions", _suggestions_sheet(layers)


class _Canvas:
    """An A4 figure with a map frame fitted to the county, in the metric CRS."""

    def __init__(self, layers: MapLayers, sheet: _Sheet) -> None:
        self.layers = layers
        self.region = layers.region
        self.county = layers.region.to_metric(layers.region.county)
        self.townships = layers.region.to_metric(layers.region.townships)
        minx, miny, maxx, maxy = self.county.total_bounds
        pad = 0.04 * max(maxx - minx, maxy - miny)
        self.extent = (minx - pad, miny - pad, maxx + pad, maxy + pad)
        dx, dy = self.extent[2] - self.extent[0], self.extent[3] - self.extent[1]
        # portrait or landscape, whichever shows the county larger (ties: portrait)
        best: tuple[float, float, float] | None = None
        for w_mm, h_mm in (A4_MM, A4_MM[::-1]):
            scale = min((w_mm - 2 * _SIDE_MM) / dx, (h_mm - _HEAD_MM - _FOOT_MM) / dy)
            if best is None or scale > best[0] * 1.05:
                best = (scale, w_mm, h_mm)
        assert best is not None
        scale, w_mm, h_mm = best
        self.fig = Figure(figsize=(w_mm * _MM, h_mm * _MM))
        FigureCanvasAgg(self.fig)
        self.w_mm, self.h_mm = w_mm, h_mm
        map_w, map_h = dx * scale, dy * scale
        left = (w_mm - map_w) / 2
        free = h_mm - _HEAD_MM - _FOOT_MM - map_h
        # a map much wider than the page leaves room below it: legends go there
        self.outside = free >= 38.0
        bottom = (h_mm - _HEAD_MM - map_h) if self.outside else _FOOT_MM + free / 2
        ax = self.fig.add_axes((left / w_mm, bottom / h_mm, map_w / w_mm, map_h / h_mm))
        ax.set_xlim(self.extent[0], self.extent[2])
        ax.set_ylim(self.extent[1], self.extent[3])
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="#fbfaf7",
                               edgecolor="none", zorder=0))
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="none",
                               edgecolor=_INK, linewidth=0.9, zorder=40, clip_on=False))
        self.ax = ax
        self.left_mm, self.right_mm = left, left + map_w
        self.map_bottom_mm = bottom
        self._flow_x_mm = left
        self._inside_used = False
        self._header(sheet)
        self._footer(sheet)

    # furniture -------------------------------------------------------------------------------

    def _header(self, sheet: _Sheet) -> None:
        title = map_title(self.layers)
        top = 1 - 9.0 / self.h_mm
        self.fig.text(0.5, top, title, ha="center", va="top", fontsize=18, weight="bold",
                      color=_INK)
        self.fig.text(0.5, top - 10.0 / self.h_mm, sheet.subtitle, ha="center", va="top",
                      fontsize=12.5, color=_INK)

    def _footer(self, sheet: _Sheet) -> None:
        date, source = data_note(self.layers)
        parts = []
        if source:
            parts.append(f"数据来源：{source}")
        if date:
            parts.append(f"数据日期：{date}")
        parts.append(f"坐标系：{_crs_label(self.region.metric_crs)}")
        lines = ["　".join(parts)]
        if sheet.footer_extra:
            lines.append(sheet.footer_extra)
        x = self.left_mm / self.w_mm
        y = (_FOOT_MM - 5.0) / self.h_mm
        self.fig.text(x, y, "\n".join(lines), ha="left", va="top", fontsize=7.5,
                      color=_MUTED, linespacing=1.6)
        if fictional_note(source):
            self.fig.text(self.right_mm / self.w_mm, (_FOOT_MM - 1.0) / self.h_mm,
                          "虚构示例数据，不代表真实情况", ha="right", va="top", fontsize=8,
                          color="#c62828", weight="bold")

    def block_anchor(self) -> tuple[float, float] | None:
        """Figure-fraction upper-left corner for the next block below the map, or None."""
        if not self.outside:
            return None
        return self._flow_x_mm / self.w_mm, (self.map_bottom_mm - 5.0) / self.h_mm

    def advance(self, artist: Artist | Text | Legend) -> None:
        """Move the flow cursor right of ``artist`` (a block placed below the map)."""
        bbox = artist.get_window_extent(self.fig.canvas.get_renderer())  # type: ignore[attr-defined]
        self._flow_x_mm += bbox.width / self.fig.dpi / _MM + 6.0

    def north_arrow(self) -> None:
        ax = self.ax
        x, y, h = 0.95, 0.90, 0.07
        ax.add_patch(Polygon([(x, y), (x - 0.022, y - h), (x, y - h * 0.7)], closed=True,
                             transform=ax.transAxes, facecolor=_INK, edgecolor=_INK, lw=0.8,
                             zorder=20))
        ax.add_patch(Polygon([(x, y), (x + 0.022, y - h), (x, y - h * 0.7)], closed=True,
                             transform=ax.transAxes, facecolor="white", edgecolor=_INK,
                             lw=0.8, zorder=20))
        ax.text(x, y + 0.008, "北", transform=ax.transAxes, ha="center", va="bottom",
                fontsize=11, weight="bold", color=_INK, zorder=20, path_effects=_HALO)

    def scale_bar(self) -> None:
        ax = self.ax
        width_m = self.extent[2] - self.extent[0]
        length = nice_length(width_m / 5)
        segments = 4 if length / 1000 in (2, 4, 20, 40) or length / 1000 >= 100 else 2
        x0 = self.extent[2] - width_m * 0.04 - length
        y0 = self.extent[1] + (self.extent[3] - self.extent[1]) * 0.035
        h = (self.extent[3] - self.extent[1]) * 0.008
        seg = length / segments
        for i in range(segments):
            ax.add_patch(Rectangle((x0 + i * seg, y0), seg, h, facecolor=_INK if i % 2 == 0
                                   else "white", edgecolor=_INK, lw=0.7, zorder=20))
        for i in (0, segments):
            value = i * seg / 1000
            ax.text(x0 + i * seg, y0 + h * 1.6, f"{value:g}", ha="center", va="bottom",
                    fontsize=7.5, color=_INK, zorder=20, path_effects=_HALO)
        ax.text(x0 + length + seg * 0.15, y0 + h / 2, "公里", ha="left", va="center",
                fontsize=7.5, color=_INK, zorder=20, path_effects=_HALO)

    def legend(self, handles: list[Artist], title: str, *, ncols: int = 1) -> None:
        """A framed legend: below the map when there is room, else inside at lower left."""
        style = {"title": title, "fontsize": 8.5, "title_fontsize": 9.5, "frameon": True,
                 "framealpha": 0.95, "edgecolor": "#90a4ae", "fancybox": False,
                 "borderpad": 0.8, "labelspacing": 0.55, "handlelength": 1.6,
                 "alignment": "left", "ncols": ncols, "columnspacing": 1.2}
        anchor = self.block_anchor()
        if anchor is None:
            leg = self.ax.legend(handles=handles, loc="lower left", **style)
            self.ax.add_artist(leg)
        else:
            leg = self.fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor,
                                  borderaxespad=0.0, **style)
            self.advance(leg)
        leg.set_zorder(30)
        leg.get_frame().set_linewidth(0.6)

    def note_box(self, text: str) -> None:
        """A framed text block: below the map when there is room, else inside at upper left."""
        box = {"boxstyle": "square,pad=0.7", "facecolor": "white", "alpha": 0.95,
               "edgecolor": "#90a4ae", "linewidth": 0.6}
        anchor = self.block_anchor()
        if anchor is None:
            self.ax.text(0.015, 0.985, text, transform=self.ax.transAxes, ha="left",
                         va="top", fontsize=7, color=_INK, zorder=25, linespacing=1.45,
                         bbox=box)
        else:
            # the legend frame sits on the anchor; the text box pad is outside the text
            x, y = anchor
            pad = 2.2
            t = self.fig.text(x + pad / self.w_mm, y - pad / self.h_mm, text, ha="left",
                              va="top", fontsize=7.5, color=_INK, linespacing=1.5, bbox=box)
            self.advance(t)

    # layers ----------------------------------------------------------------------------------

    def boundaries(self, *, township_lw: float = 0.6, labels: bool = True,
                   label_size: float = 8.0) -> None:
        self.townships.boundary.plot(ax=self.ax, color="#78909c", linewidth=township_lw,
                                     zorder=5)
        self.county.boundary.plot(ax=self.ax, color=_INK, linewidth=1.8, zorder=6)
        if labels:
            for name, p in zip(self.townships["name"],
                               self.townships.geometry.representative_point(), strict=True):
                self.ax.text(p.x, p.y, str(name), ha="center", va="center",
                             fontsize=label_size, color="#455a64", zorder=12,
                             path_effects=_HALO)

    def finish(self) -> Figure:
        self.ax.set_xlim(self.extent[0], self.extent[2])
        self.ax.set_ylim(self.extent[1], self.extent[3])
        self.north_arrow()
        self.scale_bar()
        return self.fig


Artist = Patch | Line2D


def _crs_label(crs: object) -> str:
    epsg = getattr(crs, "to_epsg", lambda: None)()
    name = str(getattr(crs, "name", crs))
    zone = re.search(r"Gauss-Kruger zone (\d+)", name)
    if name.startswith("CGCS2000") and zone:
        name = f"CGCS2000 3度带高斯-克吕格投影 第{zone.group(1)}带"
    return name + (f"（EPSG:{epsg}）" if epsg else "")


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


def _xy(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()


def _facilities_sheet(layers: MapLayers) -> Figure:
    cv = _Canvas(layers, _Sheet("facilities", "心理服务场所建设状态分布"))
    cv.townships.plot(ax=cv.ax, color="#f1efe9", edgecolor="none", zorder=1)
    cv.boundaries()
    region = layers.region
    kinds = [k for k in KNOWN_KINDS if k in region.layers] + \
        [k for k in region.layers if k not in KNOWN_KINDS]
    kind_handles: list[Artist] = []
    for kind in kinds:
        gdf = to_wgs84(region.layers[kind])
        if not len(gdf):
            continue
        metric = region.to_metric(gdf)
        marker = _KIND_MARKERS.get(kind, "o")
        size = 2.2 * st.KIND_RADIUS.get(kind, 5.0) ** 1.5
        status = metric["status"].astype("string").fillna("na")
        status = status.where(status.isin(list(st.STATUS_STYLE)), "na")
        for key, (stroke, fill, _) in st.STATUS_STYLE.items():
            sel = (status == key).to_numpy()
            if not sel.any():
                continue
            x, y = _xy(metric[sel])
            cv.ax.scatter(x, y, s=size, marker=marker, facecolors=fill or "none",
                          edgecolors=stroke, linewidths=0.6 if fill else 0.9, zorder=15)
        kind_handles.append(Line2D([], [], ls="none", marker=marker, markersize=6,
                                   markerfacecolor="#9e9e9e", markeredgecolor="#424242",
                                   label=f"{st.LAYER_TITLES.get(kind, kind)}（{len(gdf)}）"))
    status_handles: list[Artist] = [
        Line2D([], [], ls="none", marker="o", markersize=6, markerfacecolor=fill or "none",
               markeredgecolor=stroke, label=label)
        for stroke, fill, label in st.STATUS_STYLE.values()]
    cv.legend(status_handles, "建设状态")
    cv.legend(kind_handles, "场所类别（数量）", ncols=2 if len(kind_handles) > 5 else 1)
    return cv.finish()


def _completion_sheet(layers: MapLayers, indicator: str, rates: pd.DataFrame) -> Figure:
    targets = sorted({float(t) for t in rates["target"].dropna()})
    target_txt = (f"目标 ≥{targets[0] * 100:g}%" if len(targets) == 1
                  else "目标因乡镇而异")
    cites = []
    if "citation" in rates:
        cites = [c for c in dict.fromkeys(rates["citation"].dropna().astype(str)) if c.strip()]
    cv = _Canvas(layers, _Sheet("completion", f"{indicator}：乡镇（街道）完成情况（{target_txt}）",
                                footer_extra=("依据：" + "；".join(cites)) if cites else ""))
    by_code = rates.drop_duplicates("township_code").set_index(
        rates.drop_duplicates("township_code")["township_code"].astype(str))
    town = cv.townships.copy()
    classes, labels = [], []
    for code, name in zip(town["code"].astype(str), town["name"], strict=True):
        if code not in by_code.index:
            classes.append("nodata")
            labels.append(f"{name}\n无数据")
            continue
        row = by_code.loc[code]
        cls = st.rate_class(row["rate"], row["target"])
        classes.append(cls)
        text = f"{name}\n{st.fmt_value('rate', row['rate']) or '无数据'}"
        short = row.get("shortfall")
        if short is not None and not pd.isna(short) and float(short) > 0:
            text += f"（缺{st.fmt_value('shortfall', short)}）"
        labels.append(text)
    town["cls"] = classes
    town["fill"] = [st.RATE_CLASSES[c][0] for c in classes]
    town.plot(ax=cv.ax, color=town["fill"], edgecolor="white", linewidth=0.8, zorder=2)
    cv.boundaries(labels=False)
    for text, p in zip(labels, town.geometry.representative_point(), strict=True):
        cv.ax.text(p.x, p.y, text, ha="center", va="center", fontsize=8, color=_INK,
                   zorder=12, linespacing=1.25, path_effects=_HALO)
    counts = pd.Series(classes).value_counts()
    handles: list[Artist] = [
        Patch(facecolor=color, edgecolor="#9e9e9e", linewidth=0.5,
              label=f"{label}（{int(counts.get(key, 0))}个）")
        for key, (color, label) in st.RATE_CLASSES.items()
        if key != "nodata" or counts.get("nodata", 0)]
    cv.legend(handles, f"{indicator}\n{target_txt}")
    summary = _completion_summary(rates, dict(zip(town["code"].astype(str), town["name"],
                                                  strict=True)))
    if summary:
        cv.note_box(summary)
    return cv.finish()


def _completion_summary(rates: pd.DataFrame, names: dict[str, str], worst: int = 5) -> str:
    """County totals and the townships furthest below target, as lines of text."""
    lines = []
    if {"numerator", "denominator"} <= set(rates.columns):
        num = pd.to_numeric(rates["numerator"], errors="coerce").sum()
        den = pd.to_numeric(rates["denominator"], errors="coerce").sum()
        if den > 0:
            lines.append(f"全县：已建成 {num:,.0f} / 应建 {den:,.0f}，"
                         f"完成率 {num / den * 100:.1f}%")
    if "shortfall" in rates:
        short = pd.to_numeric(rates["shortfall"], errors="coerce").sum()
        lines.append(f"距目标共缺 {short:,.0f} 个")
    gap = (pd.to_numeric(rates["target"], errors="coerce")
           - pd.to_numeric(rates["rate"], errors="coerce"))
    below = rates.assign(_gap=gap)[gap > 1e-9].sort_values("_gap", ascending=False)
    if len(below):
        lines.append("差距最大的乡镇（街道）：")
        for _, row in below.head(worst).iterrows():
            name = names.get(str(row["township_code"]), str(row["township_code"]))
            lines.append(f"  {name}  {st.fmt_value('rate', row['rate'])}"
                         f"（差 {row['_gap'] * 100:.1f} 个百分点）")
    return "\n".join(lines)


def _access_sheet(layers: MapLayers) -> Figure:
    demand = layers.region.to_metric(to_wgs84(layers.demand))
    services = []
    if "service_name" in demand:
        services = [s for s in dict.fromkeys(demand["service_name"].dropna().astype(str))]
    subtitle = "服务可达性与未覆盖村（社区）" + (f"：{'、'.join(services)}" if services else "")
    cv = _Canvas(layers, _Sheet("access", subtitle))
    cv.townships.plot(ax=cv.ax, color="#f1efe9", edgecolor="none", zorder=1)
    if layers.isochrones is not None and len(layers.isochrones):
        iso = layers.region.to_metric(to_wgs84(layers.isochrones))
        iso.plot(ax=cv.ax, color="#9ecae1", alpha=0.35, edgecolor="none", zorder=2)
    cv.boundaries(label_size=7.5)
    cls = demand["time_min"].map(st.time_class)
    handles: list[Artist] = []
    for key, (_, color, label) in st.TIME_CLASSES.items():
        sel = (cls == key).to_numpy()
        x, y = _xy(demand[sel])
        cv.ax.scatter(x, y, s=14, c=color, edgecolors="white", linewidths=0.4, zorder=14)
        handles.append(Line2D([], [], ls="none", marker="o", markersize=6,
                              markerfacecolor=color, markeredgecolor="white",
                              label=f"{label}（{int(sel.sum())}）"))
    pop = (pd.to_numeric(demand["population"], errors="coerce") if "population" in demand
           else pd.Series(np.nan, index=demand.index))
    if "covered" in demand:
        unc = ~demand["covered"].astype("boolean").fillna(True).astype(bool).to_numpy()
        if unc.any():
            upop = pop[unc]
            top = float(upop.max()) if upop.notna().any() else math.nan
            sizes = (40 + 260 * np.sqrt(upop.fillna(0) / top)).to_numpy() if top > 0 \
                else np.full(int(unc.sum()), 60.0)
            x, y = _xy(demand[unc])
            cv.ax.scatter(x, y, s=sizes, facecolors="none", edgecolors=st.UNCOVERED_COLOR,
                          linewidths=1.2, zorder=16)
            order = np.argsort(-upop.fillna(0).to_numpy())[:12]
            names = demand["name"][unc].to_numpy()
            for i in order:
                people = st.fmt_value("population", upop.iloc[i])
                cv.ax.annotate(f"{names[i]}" + (f" {people}" if people else ""),
                               (x[i], y[i]), xytext=(5, 4), textcoords="offset points",
                               fontsize=6.5, color=st.UNCOVERED_COLOR, zorder=18,
                               path_effects=_HALO)
            total = st.fmt_value("population", upop.sum()) if upop.notna().any() else None
            handles.append(Line2D([], [], ls="none", marker="o", markersize=9,
                                  markerfacecolor="none", markeredgecolor=st.UNCOVERED_COLOR,
                                  label=f"未覆盖（{int(unc.sum())}个" +
                                  (f"，{total}）" if total else "）")))
            if pop.notna().any() and pop.sum() > 0:
                share = 1 - float(upop.sum()) / float(pop.sum())
                cv.ax.text(0.02, 0.98, f"人口覆盖率 {share * 100:.1f}%", transform=cv.ax.transAxes,
                           ha="left", va="top", fontsize=10, weight="bold", color=_INK,
                           zorder=20, path_effects=_HALO)
    if layers.isochrones is not None and len(layers.isochrones):
        handles.append(Patch(facecolor="#9ecae1", alpha=0.5, edgecolor="none", label="等时圈"))
    cv.legend(handles, "到最近服务点的出行时间")
    return cv.finish()


def _suggestions_sheet(layers: MapLayers) -> Figure:
    sug = layers.region.to_metric(to_wgs84(layers.suggestions))
    sug = sug.assign(_rank=pd.to_numeric(sug["rank"], errors="coerce")).sort_values("_rank")
    phases = [st.fmt_value("phase", p) or "" for p in
              (sug["phase"] if "phase" in sug else [None] * len(sug))]
    colors = st.phase_colors([p for p in phases if p])
    cv = _Canvas(layers, _Sheet("suggestions", f"建议新建心理服务点位（{len(sug)}处）"))
    cv.townships.plot(ax=cv.ax, color="#f1efe9", edgecolor="none", zorder=1)
    cv.boundaries(label_size=7.5)
    for kind, gdf in layers.region.layers.items():
        built = gdf[gdf["status"] == "built"]
        if len(built):
            x, y = _xy(layers.region.to_metric(to_wgs84(built)))
            cv.ax.scatter(x, y, s=6, c=st.STATUS_STYLE["built"][1], alpha=0.7, linewidths=0,
                          zorder=10, label="_" + kind)
    x, y = _xy(sug)
    for xi, yi, rank, phase in zip(x, y, sug["_rank"], phases, strict=True):
        color = colors.get(phase, "#6a1b9a")
        cv.ax.scatter([xi], [yi], s=150, c=color, edgecolors="white", linewidths=1.0,
                      zorder=20)
        cv.ax.text(xi, yi, "?" if pd.isna(rank) else f"{int(rank)}", ha="center",
                   va="center", fontsize=6.5, color="white", weight="bold", zorder=21)
    handles: list[Artist] = [
        Line2D([], [], ls="none", marker="o", markersize=9, markerfacecolor=c,
               markeredgecolor="white", label=st.phase_label(p)) for p, c in colors.items()]
    if not handles:
        handles.append(Line2D([], [], ls="none", marker="o", markersize=9,
                              markerfacecolor="#6a1b9a", label="建议新建"))
    handles.append(Line2D([], [], ls="none", marker="o", markersize=4,
                          markerfacecolor=st.STATUS_STYLE["built"][1], markeredgecolor="none",
                          label="已建成场所"))
    cv.legend(handles, "建议新建点位（数字为优先顺序）")
    cv.note_box(_ranked_list(sug, phases))
    return cv.finish()


def _ranked_list(sug: gpd.GeoDataFrame, phases: list[str], limit: int = 12) -> str:
    """The first ranked sites, one line each: rank, name (township, year, +population)."""
    lines = ["建议顺序"]
    for (_, row), phase in list(zip(sug.iterrows(), phases, strict=True))[:limit]:
        rank = st.fmt_value("rank", row["_rank"]) or "?"
        town = st.fmt_value("township_name", row.get("township_name"))
        gain = st.fmt_value("gain_population", row.get("gain_population"))
        year = f"第{phase}年" if phase and phase.isdigit() else phase
        covered = f"新增覆盖{gain}" if gain and gain not in ("0", "0 人") else None
        extra = "，".join(t for t in (town, year, covered) if t)
        lines.append(f"{rank}. {row['name']}" + (f"（{extra}）" if extra else ""))
    if len(sug) > limit:
        lines.append(f"…… 共 {len(sug)} 处")
    return "\n".join(lines)
