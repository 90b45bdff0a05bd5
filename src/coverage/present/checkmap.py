"""The check map: what the loader measured and decided about a region, drawn and listed.

``coverage check-map REGION.toml --out DIR`` (or ``coverage validate … --out DIR``) writes
``check_map.png`` (A4 landscape, for print) and ``check_map.html`` (one offline file: the
picture, a zoomable map — Leaflet inlined, no network — and every finding in a table).  They
show :attr:`coverage.region.Region.diagnostics`: gaps between the township polygons and
overlaps (area, share of the county, where), township pieces beyond the county outline,
points outside the county, points whose township a rule decided (the nearest township for a
point in a gap, the code for a point in an overlap), codes that name another township than
the polygon a point lies in, and the 未定位 rows (no coordinates) per kind and township —
over the boundaries and the points, with a legend, in Chinese.

Each finding has a number (G1 gaps, O1 overlaps, B1 beyond the outline, P1 points outside,
A1 assigned by a rule, M1 code mismatches) shared by the picture, the map and the tables.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.config import RegionConfig
from coverage.maps.interactive import script_json
from coverage.outputs import atomic_write
from coverage.region import Region, located_mask
from coverage.vocabulary import KIND, TOWNSHIP_SOURCE

__all__ = ["CHECK_ITEMS", "CheckMapFiles", "check_findings", "check_map_html",
           "check_tables", "region_for_check_map", "summary_lines", "unlocated_table",
           "write_check_map"]

#: Finding kind → (prefix of its numbers, 中文 label, colour).  One colour per meaning, apart
#: in greyscale by shape (fills for areas, different markers for points).
CHECK_ITEMS: dict[str, tuple[str, str, str]] = {
    "gaps": ("G", "边界缝隙（无乡镇覆盖）", "#d7191c"),
    "overlaps": ("O", "乡镇边界重叠", "#7b3294"),
    "beyond": ("B", "乡镇超出县界", "#fdae61"),
    "points_outside": ("P", "县界外的点", "#000000"),
    "assigned": ("A", "按规则归属乡镇的点", "#e66101"),
    "code_mismatches": ("M", "代码与所在乡镇不符", "#c51b7d"),
}
_COUNTY_SOURCE = {"file": "县界来自县界文件", "townships": "未提供县界：县界为各乡镇边界的合并"}
_TOWNSHIP_SOURCE = {"polygon": "乡镇边界来自乡镇边界文件",
                    "village": "乡镇边界由村级边界按代码合并",
                    "code": "乡镇为按村（社区）代码推算的示意范围（非法定界线）"}
_SEVERITY = {"warning": "警告（1公里内，归入最近乡镇）", "error": "错误（超出1公里）"}


@dataclass(frozen=True)
class CheckMapFiles:
    """The files :func:`write_check_map` wrote."""

    html: Path
    png: Path


def _area(v: float) -> str:
    return f"{v:.3f}" if v < 10 else f"{v:,.1f}"


def _town_names(region: Region) -> dict[str, str]:
    t = region.townships
    return {str(c): str(n) for c, n in zip(t["code"], t["name"], strict=True) if pd.notna(c)}


def check_findings(region: Region) -> dict[str, gpd.GeoDataFrame]:
    """The diagnostics' frames with a ``ref`` number (G1 …), largest or farthest first."""
    d = region.diagnostics
    out: dict[str, gpd.GeoDataFrame] = {}
    for key, (prefix, _, _) in CHECK_ITEMS.items():
        frame = getattr(d, key).copy()
        order = ("area_km2" if "area_km2" in frame else "distance_m" if "distance_m" in frame
                 else None)
        if order is not None and len(frame):
            frame = frame.sort_values(order, ascending=False, kind="stable")
        frame = frame.reset_index(drop=True)
        frame.insert(0, "ref", [f"{prefix}{i + 1}" for i in range(len(frame))])
        out[key] = frame
    return out


def _coords(frame: pd.DataFrame) -> list[str]:
    if "lon" in frame:
        return [f"{x:.5f}, {y:.5f}" for x, y in zip(frame["lon"], frame["lat"], strict=True)]
    pts = frame.geometry
    return ["" if g is None or g.is_empty else f"{g.x:.5f}, {g.y:.5f}" for g in pts]


def check_tables(region: Region) -> dict[str, pd.DataFrame]:
    """Every finding as a table with Chinese headers (the HTML's tables), plus ``unlocated``
    (未定位 rows per kind × township) and ``summary`` (one line per kind of finding)."""
    names = _town_names(region)
    f = check_findings(region)
    d = region.diagnostics

    def town(code: object) -> str:
        return "" if pd.isna(code) else f"{names.get(str(code), str(code))}（{code}）"

    t: dict[str, pd.DataFrame] = {}
    for key in ("gaps", "overlaps", "beyond"):
        fr = f[key]
        table = pd.DataFrame({"编号": fr["ref"], "面积（km²）": [_area(a) for a in fr["area_km2"]],
                              "占全县面积": [f"{s:.2%}" for s in fr["share"]],
                              "位置（经度, 纬度）": _coords(fr)})
        if key == "overlaps":
            table.insert(1, "重叠的乡镇", [f"{town(a)} / {town(b)}" for a, b in
                                       zip(fr["township_a"], fr["township_b"], strict=True)])
        if key == "beyond":
            table.insert(1, "乡镇", [town(c) for c in fr["township"]])
        t[key] = table
    fr = f["points_outside"]
    t["points_outside"] = pd.DataFrame({
        "编号": fr["ref"], "类别": [KIND.label(k) for k in fr["kind"]], "代码": fr["id"],
        "名称": fr["name"], "距县界（米）": [f"{v:,.0f}" for v in fr["distance_m"]],
        "处理": [_SEVERITY.get(str(s), str(s)) for s in fr["severity"]],
        "归属乡镇": [town(c) for c in fr["township_code"]], "位置（经度, 纬度）": _coords(fr)})
    fr = f["assigned"]
    t["assigned"] = pd.DataFrame({
        "编号": fr["ref"], "类别": [KIND.label(k) for k in fr["kind"]], "代码": fr["id"],
        "名称": fr["name"], "规则": [TOWNSHIP_SOURCE.label(r) for r in fr["rule"]],
        "归入乡镇": [town(c) for c in fr["township_code"]],
        "距该乡镇（米）": ["" if pd.isna(v) else f"{v:,.0f}" for v in fr["distance_m"]],
        "可能的乡镇": ["、".join(town(c) for c in str(v).split(";") if c)
                       if pd.notna(v) else "" for v in fr["candidates"]],
        "位置（经度, 纬度）": _coords(fr)})
    fr = f["code_mismatches"]
    t["code_mismatches"] = pd.DataFrame({
        "编号": fr["ref"], "类别": [KIND.label(k) for k in fr["kind"]], "代码": fr["id"],
        "名称": fr["name"], "代码所指乡镇": [town(c) for c in fr["code_township"]],
        "所在乡镇（边界）": [town(c) for c in fr["township_code"]],
        "位置（经度, 纬度）": _coords(fr)})
    t["unlocated"] = unlocated_table(region)
    t["summary"] = pd.DataFrame(
        [(label, len(f[key]), _summary_extent(key, f[key], d.county_area_km2))
         for key, (_, label, _) in CHECK_ITEMS.items()]
        + [("未定位（无坐标）的行", int(d.unlocated["count"].sum()) if len(d.unlocated) else 0,
            "计入完成率，不参与可达性分析和选址")],
        columns=["检查项", "数量", "说明"])
    return t


def _summary_extent(key: str, frame: pd.DataFrame, county_km2: float) -> str:
    if key in ("gaps", "overlaps", "beyond"):
        if not len(frame):
            return ""
        area = float(frame["area_km2"].sum())
        share = area / county_km2 if county_km2 and np.isfinite(county_km2) else float("nan")
        return f"合计 {_area(area)} km²（占全县 {share:.2%}）"
    if key == "points_outside" and len(frame):
        far = int((frame["severity"] == "error").sum())
        return f"其中超出县界1公里以上 {far} 个" if far else "均在县界外1公里以内"
    if key == "assigned" and len(frame):
        counts = frame["rule"].value_counts()
        return "，".join(f"{TOWNSHIP_SOURCE.label(r)} {n} 个" for r, n in counts.items())
    return ""


def unlocated_table(region: Region) -> pd.DataFrame:
    """未定位 rows per township (rows) and kind (columns), with totals."""
    u = region.diagnostics.unlocated
    if not len(u):
        return pd.DataFrame(columns=["乡镇（街道）", "合计"])
    names = _town_names(region)
    u = u.assign(town=[names.get(str(c), "（未归属乡镇）" if pd.isna(c) else str(c))
                       for c in u["township_code"]],
                 label=[KIND.label(k) for k in u["kind"]])
    pivot = u.pivot_table(index="town", columns="label", values="count", aggfunc="sum",
                          fill_value=0)
    pivot["合计"] = pivot.sum(axis=1)
    pivot = pivot.sort_values("合计", ascending=False)
    pivot.loc["全县"] = pivot.sum()
    out = pivot.astype(int).reset_index().rename(columns={"town": "乡镇（街道）"})
    out.columns.name = None
    return out


def summary_lines(region: Region, *, tolerance: float | None = None) -> list[str]:
    """The findings in sentences, for the top of the HTML and the PNG's side panel."""
    d = region.diagnostics
    tol = d.tiling_tolerance if tolerance is None else tolerance
    lines = [_COUNTY_SOURCE.get(d.county_source, d.county_source),
             _TOWNSHIP_SOURCE.get(d.township_source, d.township_source)]
    if np.isfinite(d.county_area_km2):
        lines.append(f"全县面积 {d.county_area_km2:,.1f} km²；缝隙与重叠的容差 {tol:.1%}")
    else:
        area = float(region.county.to_crs(region.metric_crs).area.sum()) / 1e6
        lines.append(f"全县面积 {area:,.1f} km²")
    towns = region.townships
    empty = towns[towns.geometry.is_empty | towns.geometry.isna()]
    if len(empty):
        lines.append(f"没有示意范围的乡镇 {len(empty)} 个（无已定位的村居，地图上不显示）："
                     + "、".join(str(n) for n in empty["name"]))
    t = check_tables(region)["summary"]
    for key, (label, n, extent) in zip([*CHECK_ITEMS, "unlocated"], t.itertuples(index=False),
                                       strict=True):
        line = f"{label}：{n}" + (f"，{extent}" if extent and n else "")
        frame = getattr(d, key)
        if key in ("gaps", "overlaps", "beyond") and len(frame) and \
                float(frame["share"].sum()) > tol:
            line += f"，超出容差 {tol:.1%}（coverage validate 报错）"
        lines.append(line)
    return lines


# ------------------------------------------------------------------------------ HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
"WenQuanYi Micro Hei",sans-serif;color:#1f2933;max-width:1200px;margin:0 auto;padding:20px 28px;
line-height:1.6}
h1{font-size:24px;color:#12355b;border-bottom:3px solid #12355b;padding-bottom:6px}
h2{font-size:18px;color:#12355b;margin-top:28px}
ul.sum li{margin:2px 0}
#map{height:560px;border:1px solid #cbd2d9;background:#fff}
.legend{background:#fff;padding:6px 10px;border:1px solid #cbd2d9;font-size:12px;line-height:1.7}
.legend i{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th{background:#12355b;color:#fff;padding:5px 8px;text-align:left}
td{padding:4px 8px;border-bottom:1px solid #e4e7eb}
figure{margin:12px 0;text-align:center} figure img{max-width:100%;border:1px solid #d9e2ec}
.note{font-size:12px;color:#7b8794}
"""

_JS = """
(function(){
var D = JSON.parse(document.getElementById('check-data').textContent);
var map = L.map('map', {preferCanvas: true, attributionControl: false});
window.checkMap = map;  // for the browser tests
function popup(props){
  var div = document.createElement('div');
  Object.keys(props).forEach(function(k){
    var p = document.createElement('div'); var b = document.createElement('b');
    b.textContent = k + '：'; p.appendChild(b);
    p.appendChild(document.createTextNode(String(props[k]))); div.appendChild(p);
  });
  return div;
}
function add(fc, style, point){
  return L.geoJSON(fc, {style: function(){return style;},
    pointToLayer: function(f, ll){ return L.circleMarker(ll, point || style); },
    onEachFeature: function(f, layer){
      if (!f.properties || !Object.keys(f.properties).length) return;
      layer.bindPopup(function(){ return popup(f.properties); });
      var ref = f.properties['编号'] || f.properties['乡镇'];
      // a text node: Leaflet sets a string tooltip as HTML (names come from the files)
      if (ref) layer.bindTooltip(document.createTextNode(String(ref)),
        {permanent: !!f.properties['编号'], direction: 'right', opacity: 0.85});
    }}).addTo(map);
}
var county = add(D.county, {color:'#37474f', weight:2.5, fill:false});
add(D.townships, {color:'#78909c', weight:1, fillColor:'#eceff1', fillOpacity:0.35,
                   dashArray: D.approximate ? '4 3' : null});
add(D.points, {radius:2, color:'#9e9e9e', weight:0, fillColor:'#9e9e9e', fillOpacity:0.7});
D.items.forEach(function(it){
  add(it.data, {color: it.colour, weight: 2, fillColor: it.colour, fillOpacity: 0.55},
      {radius: it.area ? 9 : 6, color: it.colour, weight: 2, fill: !it.area,
       fillColor: it.colour, fillOpacity: 0.8});
});
var b = county.getBounds(); if (b.isValid()) map.fitBounds(b.pad(0.05));
var legend = L.control({position: 'topright'});
legend.onAdd = function(){
  var div = L.DomUtil.create('div', 'legend');
  D.legend.forEach(function(l){
    var row = document.createElement('div'); var sw = document.createElement('i');
    sw.style.background = l[1]; row.appendChild(sw);
    row.appendChild(document.createTextNode(l[0])); div.appendChild(row);
  });
  return div;
};
legend.addTo(map);
})();
"""


def _fc(frame: gpd.GeoDataFrame, props: dict[str, list[object]] | None = None
        ) -> dict[str, object]:
    feats = []
    geoms = frame.geometry.to_numpy()
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        geo = gpd.GeoSeries([g], crs="EPSG:4326").__geo_interface__["features"][0]["geometry"]
        feats.append({"type": "Feature", "geometry": _rounded(geo),
                      "properties": {k: v[i] for k, v in (props or {}).items()}})
    return {"type": "FeatureCollection", "features": feats}


def _rounded(geo: object) -> object:
    if isinstance(geo, float):
        return round(geo, 6)
    if isinstance(geo, list | tuple):
        return [_rounded(v) for v in geo]
    if isinstance(geo, dict):
        return {k: _rounded(v) for k, v in geo.items()}
    return geo


def _payload(region: Region) -> dict[str, object]:
    f = check_findings(region)
    tables = check_tables(region)
    county = region.county.copy()
    county["geometry"] = county.geometry.simplify(1e-5)
    towns = region.townships.copy()
    towns["geometry"] = towns.geometry.simplify(1e-5)
    pts = [g for g in region.layers.values() if len(g)]
    points = (gpd.GeoDataFrame(pd.concat([g[located_mask(g)][["geometry"]] for g in pts]),
                               crs="EPSG:4326") if pts else gpd.GeoDataFrame(
                                   geometry=[], crs="EPSG:4326"))
    items, legend = [], [["县界", "#37474f"], ["乡镇（街道）" + ("（示意范围）" if
                                                      region.approximate_townships else ""),
                                             "#b0bec5"], ["其他点位", "#9e9e9e"]]
    for key, (_, label, colour) in CHECK_ITEMS.items():
        table = tables[key]
        props = {str(c): table[c].astype(str).tolist() for c in table.columns}
        items.append({"key": key, "colour": colour, "area": key in ("gaps", "overlaps",
                                                                   "beyond"),
                      "data": _fc(f[key], props)})
        legend.append([f"{label}（{len(f[key])}）", colour])
    return {"county": _fc(county), "approximate": bool(region.approximate_townships),
            "townships": _fc(towns, {"乡镇": [str(n) for n in towns["name"]],
                                     "代码": [str(c) for c in towns["code"]]}),
            "points": _fc(points), "items": items, "legend": legend}


def _table_html(df: pd.DataFrame, limit: int = 500) -> str:
    if not len(df):
        return '<p class="note">（无）</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
                   for r in df.head(limit).itertuples(index=False))
    more = (f'<p class="note">仅列出前 {limit} 行，共 {len(df)} 行。</p>'
            if len(df) > limit else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def check_map_html(region: Region, *, png: bytes | None = None,
                   tolerance: float | None = None, made_on: str | None = None) -> str:
    """The check map as one self-contained offline HTML document.

    Parameters
    ----------
    region
        A loaded region (its :attr:`~coverage.region.Region.diagnostics`).
    png
        The picture (:func:`coverage.present._checkfigure.check_map_png`) to embed.
    tolerance
        The tolerance of the region TOML, when the region was loaded with another one.
    made_on
        The date printed (default today).
    """
    from coverage.maps._assets import leaflet_inline

    title = f"{region.name}（{region.code}）数据检查图"
    tables = check_tables(region)
    parts = ["<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
             f"<title>{html.escape(title)}</title>", leaflet_inline(),
             f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
             '<ul class="sum">' + "".join(f"<li>{html.escape(s)}</li>"
                                          for s in summary_lines(region, tolerance=tolerance))
             + "</ul>"]
    parts += ["<h2>交互地图（可缩放，点击查看详情）</h2>", '<div id="map"></div>',
              '<p class="note">地图不加载任何在线底图；编号与下表和静态图一致。</p>']
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<h2>静态检查图</h2><figure><img alt="{html.escape(title)}" '
                     f'src="data:image/png;base64,{data}"></figure>')
    headings = {"summary": "检查结果汇总", "gaps": "边界缝隙", "overlaps": "乡镇边界重叠",
                "beyond": "乡镇超出县界部分", "points_outside": "县界外的点",
                "assigned": "按规则归属乡镇的点", "code_mismatches": "代码与所在乡镇不符",
                "unlocated": "未定位（无坐标）的行：按乡镇和类别"}
    for key, heading in headings.items():
        parts.append(f"<h2>{html.escape(heading)}</h2>{_table_html(tables[key])}")
    parts.append(f'<p class="note">coverage check-map · 制图日期 '
                 f"{html.escape(made_on or dt.date.today().isoformat())}</p>")
    parts.append('<script type="application/json" id="check-data">'
                 f"{script_json(_payload(region))}</script>")
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def region_for_check_map(config: RegionConfig | str | Path) -> tuple[Region, float]:
    """Load a region for its check map, also when its boundaries exceed the tolerance.

    The check map is most needed when validation stops at a gap larger than
    ``[region] tiling_tolerance``: the region is loaded with the tolerance raised (and
    warnings not promoted by ``strict``), so that every gap can be drawn; the tolerance of
    the TOML is returned for the map's text.  Other errors still raise.

    Returns
    -------
    (Region, float)
        The region and the configured tolerance.
    """
    from coverage.config import load_config
    from coverage.load import load_region

    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    tolerance = cfg.region.tiling_tolerance
    relaxed = replace(cfg, region=replace(cfg.region, tiling_tolerance=0.999, strict=False))
    return load_region(relaxed, strict=False), tolerance


def write_check_map(region: Region, out_dir: Path, *, tolerance: float | None = None,
                    stem: str = "check_map") -> CheckMapFiles:
    """Write ``{stem}.png`` and ``{stem}.html`` into ``out_dir`` (created; atomically).

    Raises
    ------
    InputError
        No Chinese font for the picture (the message names the package to install).
    """
    from coverage.present._checkfigure import check_map_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = check_map_png(region, tolerance=tolerance)
    png_path, html_path = out / f"{stem}.png", out / f"{stem}.html"
    with atomic_write(png_path, "wb", encoding=None) as fh:
        fh.write(png)
    with atomic_write(html_path, "w", encoding="utf-8") as fh:
        fh.write(check_map_html(region, png=png, tolerance=tolerance))
    return CheckMapFiles(html_path, png_path)
