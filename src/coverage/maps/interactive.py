"""The interactive 社会心理服务资源一张图: one self-contained, offline HTML file (folium/Leaflet).

The file opens from a USB stick on an intranet PC: Leaflet is inlined from ``xstatic-leaflet``,
no icon font or CDN stylesheet is used, and with ``basemap="none"`` (the default) no request
leaves the machine.  All map content is one JSON payload drawn by a small script on Leaflet's
canvas renderer, so tens of thousands of points stay smooth and the file stays small
(coordinates rounded to 5 decimals, polygons simplified by 20 m in the metric CRS).

Every user-supplied text is escaped in the browser before it reaches the page, and only the
whitelisted fields of :mod:`coverage.maps._style` reach popups — never personal fields such as
负责人 or 电话 that a ledger may carry.
"""

from __future__ import annotations

import html
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import branca.element
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from coverage import crs as crs_mod
from coverage._errors import InputError
from coverage.config import BASEMAPS, KIND_LABELS, KNOWN_KINDS
from coverage.io import atomic_write
from coverage.maps import _style as st
from coverage.maps._assets import leaflet_inline
from coverage.maps._data import (
    MapLayers,
    data_note,
    fictional_note,
    map_title,
    simplify_metric,
    to_wgs84,
)
from coverage.maps._js import APP_CSS, APP_JS

__all__ = ["build_interactive_map", "render_interactive_html", "write_interactive_map"]

logger = logging.getLogger(__name__)

#: Decimal places of longitude/latitude in the file (1e-5° ≈ 1 m).
COORD_DECIMALS = 5
#: Polygon simplification tolerance for display, metres in the region's metric CRS.
SIMPLIFY_M = 20.0

Shift = Callable[[np.ndarray], np.ndarray]
#: Order of the layer groups in the layer control (drawing order is set by panes).
_GROUP_ORDER = ("行政区划", "乡镇达标情况", "心理服务场所", "服务可达性", "规划建议")


# --------------------------------------------------------------------------------------------
# public API


def build_interactive_map(
    layers: MapLayers, *, basemap: str = "none", tianditu_key: str = ""
) -> folium.Map:
    """Build the interactive map.

    Parameters
    ----------
    layers
        What to show (see :class:`~coverage.maps.MapLayers`).
    basemap
        ``"none"`` (default: boundaries on a plain background, fully offline), ``"osm"``
        (OpenStreetMap), ``"tianditu"`` (天地图 vec_w + cva_w; needs ``tianditu_key``) or
        ``"amap"`` (高德; its tiles are GCJ-02, so every overlay is shifted to GCJ-02 with
        :func:`coverage.crs.wgs84_to_gcj02` to line up).
    tianditu_key
        The 天地图 key (``tk``) for ``basemap="tianditu"``.

    Returns
    -------
    folium.Map
        A map whose rendered HTML needs no network (except the chosen online tiles).

    Raises
    ------
    InputError
        Unknown basemap, or 天地图 without a key.
    """
    tiles = _tile_layers(basemap, tianditu_key)
    shift = _gcj_shift if basemap == "amap" else None
    payload = _payload(layers, shift=shift, bases=[name for name, _, _ in tiles])
    bounds = payload["bounds"]
    center = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]

    fig = branca.element.Figure(title=html.escape(map_title(layers)))
    fmap = folium.Map(location=center, zoom_start=11, tiles=None, prefer_canvas=True,
                      zoom_control=False, control_scale=False, max_zoom=18)
    # folium's defaults (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers) all come
    # from CDNs: drop them and inline only Leaflet
    fmap.default_js = []
    fmap.default_css = []
    fig.add_child(fmap)
    for name, url, attribution in tiles:
        folium.TileLayer(tiles=url, attr=attribution, name=name, overlay=False, control=False,
                         max_zoom=18, subdomains=_SUBDOMAINS[basemap], covBase=name
                         ).add_to(fmap)
    fmap.add_child(_OfflineApp(payload))
    return fmap


def render_interactive_html(layers: MapLayers, **kw: Any) -> str:
    """The map's complete HTML text (keywords as for :func:`build_interactive_map`)."""
    return str(build_interactive_map(layers, **kw).get_root().render())


def write_interactive_map(layers: MapLayers, path: Path, **kw: Any) -> Path:
    """Write the map as one self-contained HTML file, atomically.

    Parameters
    ----------
    layers
        What to show.
    path
        The ``.html`` file to write (replaced only when complete).
    **kw
        ``basemap`` and ``tianditu_key`` as for :func:`build_interactive_map`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    t0 = time.perf_counter()
    text = render_interactive_html(layers, **kw)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    logger.info("wrote %s (%.2f MB) in %.1f s", path, len(text.encode()) / 1e6,
                time.perf_counter() - t0)
    return path


# --------------------------------------------------------------------------------------------
# folium element carrying the inlined assets and the payload


class _OfflineApp(branca.element.MacroElement):
    """Inlined Leaflet + our stylesheet in ``<head>``, the map script after the map."""

    _template = branca.element.Template("""
{% macro header(this, kwargs) %}
{{ this.head }}
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.app(this._parent.get_name()) }}
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "CoverageApp"
        self.head = leaflet_inline() + f"<style>{APP_CSS}</style>\n"
        self._payload = payload

    def app(self, map_name: str) -> str:
        return (APP_JS.replace("__MAP__", map_name)
                .replace("__PAYLOAD__", script_json(self._payload)))


def script_json(obj: object) -> str:
    """JSON safe to embed in a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c`` … so neither ``</script>`` nor ``<!--`` can
    appear; U+2028/U+2029 are escaped for old JavaScript parsers.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, safe in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                      ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, safe)
    return text


# --------------------------------------------------------------------------------------------
# basemaps

_SUBDOMAINS = {"none": "abc", "osm": "abc", "tianditu": "01234567", "amap": "1234"}


def _tile_layers(basemap: str, key: str) -> list[tuple[str, str, str]]:
    if basemap not in BASEMAPS:
        raise InputError.single(f"unknown basemap '{basemap}'", column="map.basemap",
                                value=basemap, fix="use one of: " + ", ".join(BASEMAPS))
    if basemap == "none":
        return []
    if basemap == "osm":
        return [("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "© OpenStreetMap contributors")]
    if basemap == "amap":
        return [("高德地图",
                 "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                 "&style=8&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi")]
    if not key.strip():
        raise InputError.single(
            "天地图 needs a key (tk)", column="map.tianditu_key",
            fix="apply for a key at console.tianditu.gov.cn and set map.tianditu_key, "
            'or use basemap = "none"')
    tk = quote(key.strip(), safe="")
    wmts = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")
    attribution = "© 天地图 国家地理信息公共服务平台"
    return [("天地图", wmts % ("vec", "vec") + tk, attribution),
            ("天地图", wmts % ("cva", "cva") + tk, attribution)]


def _gcj_shift(coords: np.ndarray) -> np.ndarray:
    lon, lat = crs_mod.wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


# --------------------------------------------------------------------------------------------
# payload


def _payload(layers: MapLayers, *, shift: Shift | None, bases: Sequence[str]) -> dict[str, Any]:
    region = layers.region
    specs: list[dict[str, Any]] = []
    search: list[list[Any]] = []
    legend: list[str] = []

    def prep(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = to_wgs84(frame)
        if shift is not None:
            out = out.set_geometry(shapely.transform(out.geometry.to_numpy(), shift),
                                   crs="EPSG:4326")
        return out

    county = prep(simplify_metric(region.county, region.metric_crs, tolerance_m=SIMPLIFY_M,
                                  coverage=False))
    townships = prep(simplify_metric(region.townships, region.metric_crs,
                                     tolerance_m=SIMPLIFY_M, coverage=True))

    # 1. choropleths (bottom), one per indicator
    if layers.township_rates is not None and len(layers.township_rates):
        ordered = [r for i in layers.indicator_ids() if (r := layers.rates_for(i)) is not None]
        specs_r, legend_r = _rate_layers(pd.concat(ordered, ignore_index=True), townships)
        specs += specs_r
        legend += legend_r
    # 2. isochrones per service
    if layers.isochrones is not None and len(layers.isochrones):
        specs_i, legend_i = _isochrone_layers(prep(layers.isochrones))
        specs += specs_i
        legend += legend_i
    # 3. boundaries
    boundary_ids = ["county", "townships"]
    villages = region.villages
    if villages is not None and len(villages):
        vill = prep(simplify_metric(villages, region.metric_crs, tolerance_m=SIMPLIFY_M,
                                    coverage=True))
        specs.append(_boundary_spec("villages", "村（社区）界", vill, color=st.VILLAGE_COLOR,
                                    weight=0.7, labels=False, show=len(vill) <= 2000))
        boundary_ids.append("villages")
    specs.append(_boundary_spec("townships", "乡镇（街道）界", townships,
                                color=st.TOWNSHIP_COLOR, weight=1.4, labels=True, show=True))
    specs.append(_boundary_spec("county", "县界", county, color=st.COUNTY_COLOR, weight=3.0,
                                labels=False, show=True))
    legend.append(_legend_boundaries(boundary_ids, has_villages="villages" in boundary_ids))
    for _, row in townships.iterrows():
        p = row.geometry.representative_point()
        search.append([str(row["name"]), "乡镇（街道）", "", _r(p.y), _r(p.x)])

    # 4. facility layers by kind, status colours
    kinds = [k for k in KNOWN_KINDS if k in region.layers] + \
        [k for k in region.layers if k not in KNOWN_KINDS]
    facility_ids = []
    for kind in kinds:
        gdf = prep(region.layers[kind])
        if not len(gdf):
            continue
        spec = _facility_spec(kind, gdf)
        specs.append(spec)
        facility_ids.append(spec["id"])
        label = KIND_LABELS.get(kind, kind)
        for name, town, lat, lon in zip(gdf["name"], gdf["township_name"], gdf.geometry.y,
                                        gdf.geometry.x, strict=True):
            search.append([_text(name), label, _text(town), _r(lat), _r(lon)])
    if facility_ids:
        legend.append(_legend_status(facility_ids))

    # 5. accessibility
    if layers.demand is not None and len(layers.demand):
        demand = prep(layers.demand)
        specs.append(_demand_spec(demand))
        legend.append(_legend_time())
        if "covered" in demand and (~_bool(demand["covered"])).any():
            specs.append(_uncovered_spec(demand))
            legend.append(_legend_uncovered())
    # 6. suggestions
    if layers.suggestions is not None and len(layers.suggestions):
        sug = prep(layers.suggestions)
        spec, colors = _suggestion_spec(sug)
        specs.append(spec)
        legend.append(_legend_phases(colors))
        for rank, name, lat, lon in zip(sug["rank"], sug["name"], sug.geometry.y,
                                        sug.geometry.x, strict=True):
            search.append([_text(name), f"建议新建第{st.fmt_value('rank', rank)}位", "",
                           _r(lat), _r(lon)])

    minx, miny, maxx, maxy = county.total_bounds
    specs.sort(key=lambda spec: _GROUP_ORDER.index(spec["group"]))  # stable: control order
    return {
        "layers": specs,
        "search": search,
        "bases": list(dict.fromkeys(bases)),
        "bounds": [[_r(miny), _r(minx)], [_r(maxy), _r(maxx)]],
        "titleHtml": _title_html(layers),
        "legendHtml": '<h2 title="点击收起/展开">图例 ▾</h2><div class="cov-body">'
                      + "".join(legend) + "</div>",
    }


def _r(value: float) -> float:
    return round(float(value), COORD_DECIMALS)


def _text(value: object) -> str:
    return "" if st.fmt_value("name", value) is None else str(value).strip()


def _bool(values: pd.Series) -> pd.Series:
    return values.astype("boolean").fillna(True).astype(bool)


def _flat_rings(geom: BaseGeometry) -> list[list[list[float]]]:
    """[[ring as flat lat,lon,lat,lon …] per ring] per polygon (closing point dropped)."""
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for poly in polys:
        if poly.is_empty:
            continue
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1, :2], COORD_DECIMALS)
            rings.append(xy[:, ::-1].ravel().tolist())
        out.append(rings)
    return out


def _values(row: pd.Series, fields: Sequence[tuple[str, str]]) -> list[str | None]:
    return [st.fmt_value(col, row[col]) if col in row.index else None for col, _ in fields]


def _present(frame: pd.DataFrame, fields: Sequence[tuple[str, str]]
             ) -> tuple[tuple[str, str], ...]:
    """The whitelisted fields that the frame has with at least one value."""
    return tuple((c, lab) for c, lab in fields if c in frame and frame[c].notna().any())


def _boundary_spec(layer_id: str, name: str, frame: gpd.GeoDataFrame, *, color: str,
                   weight: float, labels: bool, show: bool) -> dict[str, Any]:
    items = []
    for _, row in frame.iterrows():
        item: dict[str, Any] = {"g": _flat_rings(row.geometry), "n": _text(row.get("name"))}
        if labels:
            p = row.geometry.representative_point()
            item["l"] = _text(row.get("name"))
            item["lp"] = [_r(p.y), _r(p.x)]
        else:
            item["t"] = _text(row.get("name"))
        items.append(item)
    return {"id": layer_id, "name": f"{name}（{len(items)}）" if layer_id != "county" else name,
            "type": "polygons", "group": "行政区划", "pane": "lines", "show": show, "items": items,
            "tips": not labels and layer_id != "county",
            "style": {"color": color, "weight": weight, "opacity": 0.9, "fill": False,
                      "interactive": layer_id != "county"}}


def _rate_layers(rates: pd.DataFrame, townships: gpd.GeoDataFrame
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    rates = rates.copy()
    if "indicator_name" not in rates:
        rates["indicator_name"] = "建设完成率"
    rates["indicator_name"] = rates["indicator_name"].fillna("建设完成率").astype(str)
    fields = _present(rates, st.TOWNSHIP_RATE_FIELDS)
    specs, legend = [], []
    geo = townships.set_index(townships["code"].astype(str))
    for i, (indicator, group) in enumerate(rates.groupby("indicator_name", sort=False)):
        layer_id = f"rates{i}"
        items = []
        for _, row in group.iterrows():
            code = str(row["township_code"])
            if code not in geo.index:
                logger.warning("township_rates: township code %s is not in the region", code)
                continue
            trow = geo.loc[code]
            cls = st.rate_class(row["rate"], row["target"])
            name = _text(trow["name"])
            rate_txt = st.fmt_value("rate", row["rate"]) or "无数据"
            tip = f"{name}：{rate_txt}（{st.RATE_CLASSES[cls][1]}）"
            items.append({"g": _flat_rings(trow.geometry), "f": st.RATE_CLASSES[cls][0],
                          "n": name, "t": tip, "v": _values(row, fields)})
        specs.append({"id": layer_id, "name": str(indicator), "group": "乡镇达标情况",
                      "type": "polygons",
                      "pane": "fill", "show": i == 0, "items": items, "tips": True,
                      "fields": [lab for _, lab in fields],
                      "style": {"color": "#ffffff", "weight": 0.8, "fillOpacity": 0.65,
                                "fill": True}})
        legend.append(_legend_rates(layer_id, str(indicator), group))
    return specs, legend


def _isochrone_layers(iso: gpd.GeoDataFrame) -> tuple[list[dict[str, Any]], list[str]]:
    iso = iso.copy()
    iso["service_name"] = iso["service_name"].astype(str)
    specs, legend = [], []
    fields = _present(iso, st.ISOCHRONE_FIELDS)
    for i, (service, group) in enumerate(iso.groupby("service_name", sort=False)):
        minutes = sorted({float(m) for m in group["minutes"].dropna()})
        colors = {m: st.ISOCHRONE_COLORS[min(j, len(st.ISOCHRONE_COLORS) - 1)]
                  for j, m in enumerate(minutes)}
        items = []
        for _, row in group.sort_values("minutes", ascending=False).iterrows():
            mode = st.fmt_value("mode", row["mode"]) if "mode" in row.index else None
            tip = f"{service}：{st.fmt_value('minutes', row['minutes'])}{mode or ''}可达范围"
            items.append({"g": _flat_rings(row.geometry),
                          "f": colors.get(float(row["minutes"]), st.ISOCHRONE_COLORS[-1]),
                          "n": str(service), "t": tip, "v": _values(row, fields)})
        layer_id = f"iso{i}"
        specs.append({"id": layer_id, "name": f"等时圈：{service}", "group": "服务可达性",
                      "type": "polygons",
                      "pane": "fill", "show": False, "items": items, "tips": True,
                      "fields": [lab for _, lab in fields],
                      "style": {"color": "#08519c", "weight": 0.8, "opacity": 0.6,
                                "fillOpacity": 0.22, "fill": True}})
        rows = "".join(_swatch("box", colors[m], f"{m:g} 分钟内", opacity=0.45)
                       for m in minutes)
        legend.append(_section(layer_id, f"等时圈：{service}", rows))
    return specs, legend


def _point_item(lat: float, lon: float, style: str, radius: float, tip: str, title: str,
                values: list[str | None]) -> list[Any]:
    return [_r(lat), _r(lon), style, round(radius, 1), tip, title, *values]


def _facility_spec(kind: str, gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    fields = _present(gdf, st.FACILITY_FIELDS)
    radius = st.KIND_RADIUS.get(kind, 5.0)
    styles = {key: {"c": stroke, "f": fill, "o": 0.9, "w": 1.5 if fill else 2.0, "r": radius}
              for key, (stroke, fill, _) in st.STATUS_STYLE.items()}
    status = gdf["status"].astype("string").fillna("na")
    status = status.where(status.isin(list(st.STATUS_STYLE)), "na")
    items = []
    for (_, row), key in zip(gdf.iterrows(), status, strict=True):
        name = _text(row["name"])
        tip = f"{name}（{st.STATUS_STYLE[key][2]}）"
        items.append(_point_item(row.geometry.y, row.geometry.x, key, 0, tip, name,
                                 _values(row, fields)))
    title = st.LAYER_TITLES.get(kind, KIND_LABELS.get(kind, kind))
    return {"id": f"kind_{kind}", "name": f"{title}（{len(items)}）", "group": "心理服务场所",
            "type": "points",
            "show": True, "styles": styles, "fields": [lab for _, lab in fields],
            "items": items}


def _demand_spec(demand: gpd.GeoDataFrame) -> dict[str, Any]:
    fields = _present(demand, st.DEMAND_FIELDS)
    styles = {key: {"c": "#ffffff" if key != "unreach" else color, "f": color, "o": 0.95,
                    "w": 0.8, "r": 5.0}
              for key, (_, color, _) in st.TIME_CLASSES.items()}
    items = []
    for _, row in demand.iterrows():
        key = st.time_class(row["time_min"])
        name = _text(row["name"])
        tip = f"{name}：{st.fmt_value('time_min', row['time_min']) or '不可达'}"
        items.append(_point_item(row.geometry.y, row.geometry.x, key, 0, tip, name,
                                 _values(row, fields)))
    return {"id": "demand", "name": f"出行时间（{len(items)}个需求点）", "group": "服务可达性",
            "type": "points",
            "show": False, "styles": styles, "fields": [lab for _, lab in fields],
            "items": items}


def _uncovered_spec(demand: gpd.GeoDataFrame) -> dict[str, Any]:
    fields = _present(demand, st.DEMAND_FIELDS)
    unc = demand[~_bool(demand["covered"]).to_numpy()]
    pop = (pd.to_numeric(unc["population"], errors="coerce") if "population" in unc
           else pd.Series(np.nan, index=unc.index))
    top = float(pop.max()) if pop.notna().any() else math.nan
    styles = {"u": {"c": st.UNCOVERED_COLOR, "f": st.UNCOVERED_COLOR, "o": 0.35, "w": 2.0,
                    "r": 7.0}}
    items = []
    for (_, row), p in zip(unc.iterrows(), pop, strict=True):
        radius = 6.0 + 12.0 * math.sqrt(p / top) if top > 0 and not np.isnan(p) else 7.0
        name = _text(row["name"])
        people = st.fmt_value("population", p)
        tip = f"{name}：未覆盖" + (f"，{people}" if people else "")
        items.append(_point_item(row.geometry.y, row.geometry.x, "u", radius, tip, name,
                                 _values(row, fields)))
    total = st.fmt_value("population", pop.sum()) if pop.notna().any() else None
    name = f"未覆盖村（社区）（{len(items)}个" + (f"，{total}）" if total else "）")
    return {"id": "uncovered", "name": name, "group": "服务可达性", "type": "points",
            "show": True, "styles": styles,
            "fields": [lab for _, lab in fields], "items": items}


def _suggestion_spec(sug: gpd.GeoDataFrame) -> tuple[dict[str, Any], dict[str, str]]:
    fields = _present(sug, st.SUGGESTION_FIELDS)
    phases = sug["phase"] if "phase" in sug else pd.Series(pd.NA, index=sug.index)
    phase_txt = [st.fmt_value("phase", p) or "" for p in phases]
    colors = st.phase_colors([p for p in phase_txt if p]) or {}
    colors.setdefault("", "#6a1b9a")
    items = []
    order = np.argsort(pd.to_numeric(sug["rank"], errors="coerce").to_numpy(), kind="stable")
    for i in order[::-1]:  # lowest rank drawn last, on top
        row = sug.iloc[i]
        name = _text(row["name"])
        rank = st.fmt_value("rank", row["rank"]) or "?"
        tip = f"建议第{rank}位：{name}" + (f"（{phase_txt[i]}）" if phase_txt[i] else "")
        items.append([_r(row.geometry.y), _r(row.geometry.x), rank, phase_txt[i], tip,
                      f"建议新建：{name}", *_values(row, fields)])
    spec = {"id": "suggestions", "name": f"建议新建点位（{len(items)}）", "group": "规划建议",
            "type": "ranked",
            "show": True, "colors": colors, "fields": [lab for _, lab in fields],
            "items": items}
    return spec, {k: v for k, v in colors.items() if k}


# --------------------------------------------------------------------------------------------
# title and legend (static HTML built here, every data text escaped)

_e = html.escape


def _title_html(layers: MapLayers) -> str:
    date, source = data_note(layers)
    meta = []
    if date:
        meta.append(f"数据日期：{_e(date)}")
    if source:
        meta.append(f"数据来源：{_e(source)}")
    out = f"<h1>{_e(map_title(layers))}</h1>"
    if meta:
        out += f'<div class="cov-meta">{"　".join(meta)}</div>'
    if fictional_note(source):
        out += '<div class="cov-fict">虚构示例数据，不代表真实情况</div>'
    return out


def _swatch(shape: str, color: str, label: str, *, fill: str | None = None,
            opacity: float = 1.0) -> str:
    if shape == "dot":
        bg = "transparent" if fill is None else fill
        css = f"border-color:{color};background:{bg}"
    elif shape == "line":
        css = f"border-top-color:{color}"
    else:
        css = f"background:{color};opacity:{opacity}"
    return (f'<div class="cov-row"><span class="cov-sw {shape}" style="{css}"></span>'
            f"{_e(label)}</div>")


def _section(layer_ids: str, heading: str, rows: str, note: str = "") -> str:
    note_html = f'<div class="cov-note">{note}</div>' if note else ""
    return (f'<div data-layers="{_e(layer_ids)}"><h3>{_e(heading)}</h3>{rows}{note_html}'
            "</div>")


def _legend_boundaries(ids: list[str], *, has_villages: bool) -> str:
    rows = _swatch("line", st.COUNTY_COLOR, "县界") + _swatch("line", st.TOWNSHIP_COLOR,
                                                              "乡镇（街道）界")
    if has_villages:
        rows += _swatch("line", st.VILLAGE_COLOR, "村（社区）界")
    return _section(" ".join(ids), "行政区划", rows)


def _legend_status(ids: list[str]) -> str:
    rows = "".join(_swatch("dot", stroke, label, fill=fill)
                   for stroke, fill, label in st.STATUS_STYLE.values())
    return _section(" ".join(ids), "心理服务场所建设状态", rows,
                    note="点越大，服务层级越高（县级站点、医院）")


def _legend_rates(layer_id: str, indicator: str, group: pd.DataFrame) -> str:
    rows = "".join(_swatch("box", color, label, opacity=0.8)
                   for color, label in st.RATE_CLASSES.values())
    targets = sorted({float(t) for t in group["target"].dropna()})
    if len(targets) == 1:
        note = f"目标：{_e(st.fmt_value('target', targets[0]) or '')}"
    else:
        note = "目标：各乡镇不同（见弹窗）"
    if "citation" in group:
        cites = [c for c in dict.fromkeys(group["citation"].dropna().astype(str)) if c.strip()]
        if cites:
            note += "<br>依据：" + "；".join(_e(c) for c in cites)
    return _section(layer_id, f"乡镇达标情况：{indicator}", rows, note=note)


def _legend_time() -> str:
    rows = "".join(_swatch("dot", color, label, fill=color)
                   for _, color, label in st.TIME_CLASSES.values())
    return _section("demand", "到最近服务点的出行时间", rows)


def _legend_uncovered() -> str:
    rows = _swatch("dot", st.UNCOVERED_COLOR, "未覆盖村（社区）", fill="rgba(198,40,40,.35)")
    return _section("uncovered", "未覆盖人口", rows, note="圈越大，常住人口越多")


def _legend_phases(colors: dict[str, str]) -> str:
    rows = "".join(_swatch("rank", c, st.phase_label(p)) for p, c in colors.items())
    rows = rows or _swatch("rank", "#6a1b9a", "建议新建")
    return _section("suggestions", "建议新建点位（数字为优先顺序）", rows)
