"""The content of each printed sheet: facilities, completion, access, suggestions, township.

Each ``*_content`` function turns :class:`~coverage.maps.MapLayers` into a
:class:`~coverage.maps._print_content.SheetContent` (drawing callbacks, labels, legends,
point symbols, tables); :mod:`._print_page` decides where everything goes.
"""


from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from coverage.maps import _style as st
from coverage.maps._data import MapLayers, to_wgs84
from coverage.maps._labels import PointLabel
from coverage.maps._print_content import (
    _NAMED_UNCOVERED,
    HALO,
    INK,
    MapView,
    PointSymbols,
    SheetBase,
    SheetContent,
    SheetTable,
    _facility_frames,
    _marker_size,
    _township_labels,
    _wrap_label,
    _xy,
)
from coverage.region import located_mask
from coverage.vocabulary import KIND, SUGGEST_REASON

__all__ = ["sheet_contents", "township_content"]


def sheet_contents(layers: MapLayers, base: SheetBase) -> Iterator[SheetContent]:
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


def _facilities_content(layers: MapLayers, base: SheetBase) -> SheetContent:
    frames = _facility_frames(layers)

    def draw(ax: Axes, view: MapView) -> None:
        base.draw(ax, view)
        grow = 1.0 if view.kind == "main" else 1.6
        for kind, metric, _ in frames:
            if not len(metric):
                continue
            marker = st.KIND_MARKER.get(kind, "o")
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
        kind_handles.append(Line2D([], [], ls="none", marker=st.KIND_MARKER.get(kind, "o"),
                                   markersize=5.5, markerfacecolor="#bdbdbd",
                                   markeredgecolor="#424242", label=label))
        if len(metric):
            x, y = _xy(metric)
            xs.append(x)
            ys.append(y)
            rs.append(np.full(len(x), math.sqrt(_marker_size(kind)) / 2))
    points = PointSymbols(np.concatenate(xs) if xs else np.empty(0),
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
    return SheetContent(
        "facilities", "心理服务场所建设状态分布", draw,
        lambda view: _township_labels(base, view),
        [("status", "建设状态", status_handles, 1),
         ("kind", "场所类别（数量）", kind_handles, 1),
         ("base", "底图", base.legend_handles(), 1)],
        points, dense_xy=np.column_stack([points.x, points.y]))


def _completion_content(layers: MapLayers, base: SheetBase, rates: pd.DataFrame) -> SheetContent:
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

    def draw(ax: Axes, view: MapView) -> None:
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
    return SheetContent(
        "completion", f"{indicator}：乡镇（街道）完成情况（{target_txt}）", draw,
        lambda view: _township_labels(base, view, extra=extra),
        [("classes", f"{indicator}\n{target_txt}", handles, 1),
         ("base", "底图", base.legend_handles(major_only=True), 1)],
        PointSymbols(np.empty(0), np.empty(0), np.empty(0)),
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


def _ranked_townships(rates: pd.DataFrame, names: dict[str, str]) -> SheetTable:
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
    return SheetTable("乡镇（街道）排名（差距大者在前）", headers, rows, align)


def _access_content(layers: MapLayers, base: SheetBase) -> SheetContent:
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

    def draw(ax: Axes, view: MapView) -> None:
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

    def labels(view: MapView) -> list[PointLabel]:
        inside = view.inside_inset(x, y)
        out = _township_labels(base, view, size=7.5)
        grow = 1.0 if view.kind == "main" else 1.5
        for rank, i in enumerate(unc_idx):
            people = st.fmt_value("population", pop[i])
            out.append(PointLabel(
                [(x[i], y[i])], names[i] + (f" {people}" if people else ""),
                style={"fontsize": 6.5, "color": "#8a3300", "path_effects": HALO},
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
        table = SheetTable("未覆盖村（社区）（按人口）", ["序", "村（社区）", "乡镇（街道）",
                                                    "人口", "用时（分钟）"], rows,
                       ["right", "left", "left", "right", "right"])
    return SheetContent("access", subtitle, draw, labels,
                    [("time", "到最近服务点的出行时间", handles, 1),
                     ("shapes", "符号", shapes, 1),
                     ("base", "底图", base.legend_handles(), 1)],
                    PointSymbols(x, y, rs), table=table, note="\n".join(summary),
                    dense_xy=np.column_stack([x, y]))


def _suggestions_content(layers: MapLayers, base: SheetBase) -> SheetContent:
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

    def draw(ax: Axes, view: MapView) -> None:
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

    def labels(view: MapView) -> list[PointLabel]:
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
    for _, row in raw[~located_mask(raw)].iterrows():
        rows.append([st.fmt_value("rank", row["rank"]) or "?", f"{row['name']}（未定位）",
                     st.fmt_value("township_name", row.get("township_name")) or "", "", "", ""])
    headers = ["序", "名称", "乡镇（街道）", "年度", "理由", "新增覆盖人口"]
    align = ["right", "left", "left", "left", "left", "right"]
    if "target_effect" in sug:
        effects = [str(v) if not pd.isna(v) else "" for v in sug["target_effect"]]
        rows = [[*r, effects[i] if i < len(effects) else ""] for i, r in enumerate(rows)]
        headers.append("助力达标")
        align.append("left")
    table = _drop_empty_columns(SheetTable("建议新建点位一览（按优先顺序）", headers, rows, align))
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
    return SheetContent(
        "suggestions", f"建议新建心理服务点位（{len(raw)}处，图中数字为优先顺序）", draw, labels,
        [("phase", "建设年度（徽标形状与颜色）", handles, 1),
         ("base", "底图", base.legend_handles(), 1)],
        PointSymbols(np.concatenate([x, bx]), np.concatenate([y, by]),
                np.concatenate([np.full(len(x), 2.2), np.full(len(bx), 1.2)])),
        table=table, note=note, dense_xy=np.column_stack([x, y]) if len(x) >= 6 else
        np.column_stack([np.concatenate([x, bx]), np.concatenate([y, by])]),
        required_ranks=ranks, list_table=list_table)


#: A list this long or shorter is printed whole on the map page.
_SHORT_LIST = 24


def _suggestions_by_township(sug: gpd.GeoDataFrame, phases: list[str],
                             keys: list[str]) -> SheetTable:
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
    return SheetTable("各乡镇（街道）建议新建数（处）", ["序", "乡镇（街道）", *heads, "合计"],
                      rows, ["right", "left", *["right"] * (len(cols) + 1)])


def _drop_empty_columns(table: SheetTable) -> SheetTable:
    """``table`` without the columns whose every cell is empty."""
    keep = [j for j in range(len(table.headers)) if any(r[j] for r in table.rows)]
    return SheetTable(table.title, [table.headers[j] for j in keep],
                  [[r[j] for j in keep] for r in table.rows], [table.align[j] for j in keep])


def township_content(layers: MapLayers, base: SheetBase, code: str, name: str) -> SheetContent:
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
        unlocated = own[kind][~located_mask(own[kind])]
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

    def labels(view: MapView) -> list[PointLabel]:
        out = _township_labels(base, view, size=9.0)
        out += [PointLabel([(x[i], y[i])], ltext[i], priority=2,
                           radius_px=2.5 * view.ax.figure.dpi / 72, required=False,
                           gid="label:unit", style={"fontsize": 6.0, "color": INK,
                                                    "path_effects": HALO})
                for i in range(len(x))]
        return out

    table = SheetTable(f"{name}村（社区）心理咨询室（未建者在前）",
                       ["村（社区）", "类别", "建设状态"],
                   rows, ["left", "left", "left"])
    return SheetContent(f"township_{code}", f"{name}：心理服务场所建设状态", facilities.draw,
                    labels, facilities.legends, facilities.points, table=table)


