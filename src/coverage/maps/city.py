"""The city's (or province's) 一张图: light, one polygon per county, drill-down by link.

The page holds only summaries: each county's outline coloured by the chosen indicator's
completion class (the same classes and colours as the county maps), a popup with the
county's indicators, service coverage and its townships' shortfalls, and a link to the
county's own detailed map (a relative link, so the batch folder can be moved or zipped as a
whole).  Leaflet is inlined (:func:`coverage.maps._assets.leaflet_inline`): the page works
offline.  Every text reaches the page through ``textContent``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.maps._assets import leaflet_inline
from coverage.maps._style import RATE_CLASSES, rate_class
from coverage.maps.interactive import script_json
from coverage.outputs import atomic_write

__all__ = ["write_city_map"]

_JS = """
const D = JSON.parse(document.getElementById('city-data').textContent);
const map = L.map('map', {preferCanvas: true});
const sel = document.getElementById('indicator');
D.indicators.forEach(function (ind) {
  const o = document.createElement('option'); o.value = ind.id; o.textContent = ind.name;
  sel.appendChild(o);
});
function fmt(v, pct) {
  if (v === null || v === undefined) { return '—'; }
  return pct ? (v * 100).toFixed(1) + '%' : Math.round(v).toLocaleString('zh-CN');
}
function cell(tr, text, tag) {
  const td = document.createElement(tag || 'td'); td.textContent = text; tr.appendChild(td);
}
function table(head, rows) {
  const t = document.createElement('table'); const h = document.createElement('tr');
  head.forEach(function (x) { cell(h, x, 'th'); }); t.appendChild(h);
  rows.forEach(function (r) {
    const tr = document.createElement('tr'); r.forEach(function (x) { cell(tr, x); });
    t.appendChild(tr);
  });
  return t;
}
function popup(c) {
  const div = document.createElement('div'); div.className = 'pop';
  const h = document.createElement('h3'); h.textContent = c.name + '（' + c.code + '）';
  div.appendChild(h);
  if (c.link) {
    const a = document.createElement('a'); a.href = c.link; a.target = '_blank';
    a.textContent = D.words.open; div.appendChild(a);
  }
  div.appendChild(table(D.words.ind_head, c.indicators.map(function (r) {
    return [r.name, fmt(r.rate, r.pct), fmt(r.target, r.pct), r.status, r.rank || '—'];
  })));
  if (c.access.length) {
    div.appendChild(table(D.words.acc_head, c.access.map(function (r) {
      return [r.name, fmt(r.share, true), fmt(r.cross, false)];
    })));
  }
  if (c.townships.length) {
    div.appendChild(table(D.words.town_head, c.townships.map(function (r) {
      return [r.name, r.indicator, fmt(r.shortfall, false)];
    })));
  }
  return div;
}
const layer = L.geoJSON(D.counties, {
  style: function () { return {color: '#37474f', weight: 1.5, fillOpacity: 0.75}; },
  onEachFeature: function (f, l) {
    l.bindPopup(function () { return popup(f.properties); }, {maxWidth: 460, maxHeight: 440});
    // a text node: Leaflet sets a string tooltip as HTML
    l.bindTooltip(document.createTextNode(f.properties.name),
                  {permanent: true, direction: 'center', className: 'lbl'});
  }
}).addTo(map);
if (D.outline) {
  // not interactive: on the canvas a polygon takes clicks inside it even without fill,
  // and the outline covers every county
  L.geoJSON(D.outline, {style: {color: '#000', weight: 3, fill: false},
                        interactive: false}).addTo(map);
}
function paint() {
  const id = sel.value;
  layer.eachLayer(function (l) {
    const c = l.feature.properties.classes[id] || 'nodata';
    l.setStyle({fillColor: D.colors[c]});
  });
}
sel.addEventListener('change', paint);
paint();
map.fitBounds(layer.getBounds());
const legend = document.getElementById('legend');
Object.keys(D.colors).forEach(function (k) {
  const row = document.createElement('div'); const sw = document.createElement('span');
  sw.className = 'sw'; sw.style.background = D.colors[k]; row.appendChild(sw);
  const t = document.createElement('span'); t.textContent = D.legend[k]; row.appendChild(t);
  legend.appendChild(row);
});
"""

_CSS = """
html, body {height: 100%; margin: 0; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
  sans-serif;}
#map {position: absolute; top: 48px; bottom: 0; left: 0; right: 0; background: #fff;}
#bar {height: 48px; display: flex; align-items: center; gap: 16px; padding: 0 12px;
  background: #263238; color: #fff;}
#bar h1 {font-size: 18px; margin: 0;}
#legend {position: absolute; bottom: 16px; left: 12px; z-index: 1000; background: #fff;
  padding: 6px 10px; border-radius: 4px; font-size: 13px; box-shadow: 0 1px 4px #0004;}
.sw {display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #555;}
.pop table {border-collapse: collapse; margin: 6px 0; font-size: 12px;}
.pop td, .pop th {border: 1px solid #ccc; padding: 2px 4px;}
.pop th {background: #eceff1;}
.lbl {background: transparent; border: 0; box-shadow: none; font-weight: bold;}
"""


def _feature_collection(frame: gpd.GeoDataFrame, props: Sequence[Mapping[str, Any]]
                        ) -> dict[str, Any]:
    feats = []
    for geom, p in zip(frame.geometry.to_numpy(), props, strict=True):
        feats.append({"type": "Feature", "properties": dict(p),
                      "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": feats}


def _num(v: object) -> float | None:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def write_city_map(path: Path, *, title: str, counties: gpd.GeoDataFrame,
                   indicators: pd.DataFrame, access: pd.DataFrame, townships: pd.DataFrame,
                   words: Mapping[str, Any], outline: shapely.Geometry | None = None,
                   default_indicator: str | None = None, simplify_m: float = 50.0) -> Path:
    """Write the city map (one HTML file).

    Parameters
    ----------
    path
        The ``.html`` file.
    title
        The page's title.
    counties
        One row per county: ``county_code``, ``county_name``, ``link`` (relative path of its
        detailed map, or empty) and its outline (any CRS).
    indicators
        The roll-up's county rows (``indicator_id``, ``indicator_name``, ``county_code``,
        ``rate``, ``target``, ``kind``, ``rank``) with ``status_label`` in words.
    access
        Per service and county: ``service_name``, ``county_code``, ``covered_share``,
        ``cross_border_points``.
    townships
        Township shortfalls: ``county_code``, ``unit_name``, ``indicator_name``, ``shortfall``.
    words
        The page's words: ``open`` (link text), ``ind_head``, ``acc_head``, ``town_head``
        (table headers) and ``legend`` (class -> label).
    outline
        The city's outline (WGS84), drawn over the counties.
    default_indicator
        The indicator shown first (the preset's room indicator, as on the county maps);
        default the first one of ``indicators``.
    simplify_m
        Outline simplification tolerance in metres (keeps the page light).
    """
    gdf = counties.to_crs(4326)
    metric = gdf.estimate_utm_crs() if len(gdf) else None
    if metric is not None and simplify_m > 0:
        gdf = gdf.set_geometry(gdf.to_crs(metric).simplify(simplify_m).to_crs(4326))
    props = []
    order = list(dict.fromkeys(indicators["indicator_id"]))
    if default_indicator in order:  # first in the list, so the page opens on it
        order.remove(default_indicator)
        order.insert(0, default_indicator)
    for row in gdf.itertuples():
        code = str(row.county_code)
        mine = indicators[indicators["county_code"].astype(str) == code]
        classes = {str(r.indicator_id): (rate_class(r.rate, r.target) if r.kind != "count"
                                         else ("met" if r.status == "met" else "far"))
                   for r in mine.itertuples()}
        props.append({
            "code": code, "name": str(row.county_name), "link": str(row.link or ""),
            "classes": classes,
            "indicators": [{"name": str(r.indicator_name), "rate": _num(r.rate),
                            "target": _num(r.target), "pct": r.kind == "rate",
                            "status": str(r.status_label),
                            "rank": None if pd.isna(r.rank) else int(r.rank)}
                           for r in mine.itertuples()],
            "access": [{"name": str(r.service_name), "share": _num(r.covered_share),
                        "cross": _num(r.cross_border_points)}
                       for r in access[access["county_code"].astype(str) == code].itertuples()],
            "townships": [{"name": str(r.unit_name), "indicator": str(r.indicator_name),
                           "shortfall": _num(r.shortfall)}
                          for r in townships[townships["county_code"].astype(str) == code]
                          .itertuples()],
        })
    names = dict(zip(indicators["indicator_id"], indicators["indicator_name"], strict=False))
    data = {
        "counties": _feature_collection(gdf, props),
        "outline": shapely.geometry.mapping(outline) if outline is not None else None,
        "indicators": [{"id": i, "name": str(names[i])} for i in order],
        "colors": {k: v[0] for k, v in RATE_CLASSES.items()},
        "legend": dict(words["legend"]),
        "words": {k: v for k, v in words.items() if k != "legend"},
    }
    page = (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"{leaflet_inline()}<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<div id=\"bar\"><h1>{html.escape(title)}</h1><select id=\"indicator\"></select>"
        "</div>\n<div id=\"map\"></div>\n<div id=\"legend\"></div>\n"
        f"<script type=\"application/json\" id=\"city-data\">{script_json(data)}</script>\n"
        f"<script>{_JS}</script>\n</body>\n</html>\n")
    with atomic_write(path) as f:
        f.write(page)
    return Path(path)
