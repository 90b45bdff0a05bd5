"""The check map's picture: an A4 landscape PNG drawn with matplotlib in the metric CRS.

Gaps and overlaps are often a few hundred square metres in a county of a thousand square
kilometres — invisible as fills — so every piece also gets a ring sized by its area and its
number, and the side panel lists the findings and the legend.
"""

from __future__ import annotations

import io
import textwrap

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pyproj
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from coverage.maps import find_cjk_font
from coverage.maps._fonts import cjk_font
from coverage.present.checkmap import CHECK_ITEMS, check_findings, summary_lines
from coverage.region import Region, located_mask

__all__ = ["check_map_figure", "check_map_png"]

_MARKERS = {"points_outside": "X", "code_mismatches": "s"}
_RULE_MARKERS = {"nearest": "^", "overlap": "D", "table": "v"}
_MAX_LABELS = 40
#: Areas ringed and numbered on the picture (the largest; the HTML lists every one).
_MAX_RINGS = 15


def _xy(frame: gpd.GeoDataFrame, metric: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    if "lon" in frame and len(frame):
        t = pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True)
        x, y = t.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        return np.asarray(x), np.asarray(y)
    g = frame.to_crs(metric).geometry
    ok = ~(g.is_empty | g.isna())
    return (np.where(ok, g.x.where(ok), np.nan).astype(float),
            np.where(ok, g.y.where(ok), np.nan).astype(float))


def _nice(length: float) -> float:
    exp = 10 ** np.floor(np.log10(length))
    for step in (5, 2, 1):
        if step * exp <= length:
            return float(step * exp)
    return float(exp)


def check_map_figure(region: Region, *, tolerance: float | None = None) -> Figure:
    """The check map as a matplotlib figure (A4 landscape); call inside a CJK font context
    (:func:`check_map_png` does)."""
    metric = region.metric_crs
    fig = Figure(figsize=(11.69, 8.27))
    fig.suptitle(f"{region.name}（{region.code}）数据检查图：边界缝隙、重叠与点位归属",
                 fontsize=15, x=0.02, ha="left", y=0.975)
    ax = fig.add_axes((0.02, 0.05, 0.62, 0.86))
    ax.set_axis_off()
    ax.set_aspect("equal")
    side = fig.add_axes((0.66, 0.05, 0.32, 0.86))
    side.set_axis_off()
    approx = region.approximate_townships
    towns = region.townships.to_crs(metric)
    towns = towns[~towns.geometry.is_empty]
    towns.plot(ax=ax, facecolor="#f5f7f8", edgecolor="#90a4ae", linewidth=0.7,
               linestyle="--" if approx else "-")
    county = region.county.to_crs(metric)
    county.boundary.plot(ax=ax, color="#37474f", linewidth=1.8, zorder=3)
    for g in region.layers.values():
        pts = g[located_mask(g)]
        if len(pts):
            x, y = _xy(pts, metric)
            ax.scatter(x, y, s=3, color="#a0a0a0", linewidths=0, zorder=4)
    findings = check_findings(region)
    minx, miny, maxx, maxy = county.total_bounds
    span = max(maxx - minx, maxy - miny)
    handles: list[object] = [
        Line2D([], [], color="#37474f", lw=1.8, label="县界"),
        Patch(facecolor="#f5f7f8", edgecolor="#90a4ae", ls="--" if approx else "-",
              label="乡镇（街道）" + ("示意范围（非法定界线）" if approx else "")),
        Line2D([], [], ls="", marker="o", ms=3, color="#a0a0a0", label="其他点位"),
    ]
    for key in ("gaps", "overlaps", "beyond"):
        fr = findings[key]
        _, label, colour = CHECK_ITEMS[key]
        if len(fr):
            # slivers show as coloured lines; the largest pieces get a numbered ring
            fr.to_crs(metric).plot(ax=ax, facecolor=colour, edgecolor=colour, linewidth=1.2,
                                   alpha=0.8, zorder=5)
            top = fr.head(_MAX_RINGS)
            x, y = _xy(top, metric)
            size = np.clip(np.sqrt(top["area_km2"].to_numpy(float)) * 3e5 / span, 10, 28) ** 2
            ax.scatter(x, y, s=size, facecolors="none", edgecolors=colour, linewidths=1.6,
                       zorder=6)
            for ref, xi, yi in zip(top["ref"], x, y, strict=True):
                ax.annotate(ref, (xi, yi), xytext=(6, 6), textcoords="offset points",
                            fontsize=8, color=colour, weight="bold", zorder=9)
        shown = f"，圈出最大的 {_MAX_RINGS} 处" if len(fr) > _MAX_RINGS else ""
        handles.append(Line2D([], [], ls="", marker="o", ms=10, mfc=colour, mec=colour,
                              alpha=0.8, label=f"{label}（{len(fr)}处{shown}）"))
    for key in ("points_outside", "assigned", "code_mismatches"):
        fr = findings[key]
        _, label, colour = CHECK_ITEMS[key]
        if key == "assigned":
            for rule, marker in _RULE_MARKERS.items():
                part = fr[fr["rule"] == rule] if len(fr) else fr
                if len(part):
                    _points(ax, part, metric, marker, colour, offset=(-14, -11))
                    handles.append(Line2D([], [], ls="", marker=marker, ms=7, mfc=colour,
                                          mec="black", mew=0.5,
                                          label=f"{_RULES[rule]}（{len(part)}个）"))
            if not len(fr):
                handles.append(Line2D([], [], ls="", marker="^", ms=7, mfc=colour, mec="black",
                                      mew=0.5, label=f"{label}（0个）"))
            continue
        marker = _MARKERS[key]
        if len(fr):
            _points(ax, fr, metric, marker, colour)
        handles.append(Line2D([], [], ls="", marker=marker, ms=7, mfc=colour, mec="black",
                              mew=0.5, label=f"{label}（{len(fr)}个）"))
    _township_labels(ax, region, towns)
    _scale_bar(ax, minx, miny, maxx, maxy)
    pad = 0.04 * span
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - 1.5 * pad, maxy + pad)
    ax.annotate("N\n↑", xy=(0.97, 0.95), xycoords="axes fraction", ha="center", va="top",
                fontsize=12, weight="bold")
    leg = side.legend(handles=handles, loc="upper left", fontsize=9, frameon=True,
                      title="图例", title_fontsize=10, borderaxespad=0.0)
    leg.get_frame().set_edgecolor("#cbd2d9")
    lines = summary_lines(region, tolerance=tolerance)
    text = "\n".join(textwrap.fill(s, 34, subsequent_indent="  ") for s in lines)
    side.text(0.0, 0.55, text, va="top", ha="left", fontsize=8.5,
              transform=side.transAxes, linespacing=1.45)
    side.text(0.0, 0.58, "检查结果", va="bottom", ha="left", fontsize=10, weight="bold",
              transform=side.transAxes)
    side.text(0.0, 0.0, f"坐标系：{metric.name}\n编号见 check_map.html 中的表格",
              va="bottom", ha="left", fontsize=7.5, color="#52606d", transform=side.transAxes)
    return fig


_RULES = {"nearest": "位于缝隙，归入最近乡镇", "overlap": "位于重叠区，按代码归属",
          "table": "按台账所属乡镇归属"}


def _points(ax: object, fr: gpd.GeoDataFrame, metric: pyproj.CRS, marker: str,
            colour: str, offset: tuple[float, float] = (6, 5)) -> None:
    x, y = _xy(fr, metric)
    ax.scatter(x, y, s=46, marker=marker, color=colour, edgecolors="black",  # type: ignore[attr-defined]
               linewidths=0.5, zorder=7)
    for ref, xi, yi in list(zip(fr["ref"], x, y, strict=True))[:_MAX_LABELS]:
        if np.isfinite(xi) and np.isfinite(yi):
            ax.annotate(ref, (xi, yi), xytext=offset, textcoords="offset points",  # type: ignore[attr-defined]
                        fontsize=7.5, color=colour, weight="bold", zorder=9)


def _township_labels(ax: object, region: Region, towns: gpd.GeoDataFrame) -> None:
    u = region.diagnostics.unlocated
    counts = (u.groupby("township_code")["count"].sum().to_dict() if len(u) else {})
    for code, name, geom in zip(towns["code"], towns["name"], towns.geometry, strict=True):
        p = geom.representative_point()
        text = str(name)
        n = int(counts.get(code, 0))
        if n:
            text += f"\n未定位 {n}"
        ax.annotate(text, (p.x, p.y), ha="center", va="center", fontsize=7,  # type: ignore[attr-defined]
                    color="#37474f", zorder=8)


def _scale_bar(ax: object, minx: float, miny: float, maxx: float, maxy: float) -> None:
    """A scale bar below the county's lower left corner."""
    length = _nice((maxx - minx) / 5)
    x0, y0 = minx, miny - 0.035 * max(maxx - minx, maxy - miny)
    ax.plot([x0, x0 + length], [y0, y0], color="black", lw=2.5,  # type: ignore[attr-defined]
            solid_capstyle="butt", zorder=9)
    label = f"{length / 1000:g} 公里" if length >= 1000 else f"{length:g} 米"
    ax.annotate(label, (x0 + length, y0), xytext=(6, 0), textcoords="offset points",  # type: ignore[attr-defined]
                ha="left", va="center", fontsize=8)


def check_map_png(region: Region, *, tolerance: float | None = None, dpi: int = 200) -> bytes:
    """The check map as PNG bytes (A4 landscape at ``dpi``).

    Raises
    ------
    InputError
        No Chinese font is installed (the message names the package).
    """
    find_cjk_font()
    family = cjk_font().family
    with mpl.rc_context({"font.family": [family, "DejaVu Sans"],
                         "font.sans-serif": [family, "DejaVu Sans"],
                         "axes.unicode_minus": False, "savefig.facecolor": "white"}):
        fig = check_map_figure(region, tolerance=tolerance)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
