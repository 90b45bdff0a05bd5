"""The browser side of the interactive map: builds every layer from one embedded JSON payload.

Kept as a Python string (not a package data file) so it ships with any install.  Every text
that came from user data goes through ``esc()`` (HTML) or ``textContent`` before it reaches
the page; the payload itself is embedded with ``<``, ``>``, ``&`` escaped as ``\\u003c`` …
"""

from __future__ import annotations

__all__ = ["APP_CSS", "APP_JS"]

APP_CSS = """
.leaflet-container { background: #f3f1ec; font-family: "Microsoft YaHei", "微软雅黑",
  "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
.leaflet-container.cov-tiles { background: #ddd; }
.cov-box { background: rgba(255,255,255,0.94); border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); padding: 8px 10px; color: #222; }
.cov-title h1 { font-size: 18px; margin: 0 0 4px 0; font-weight: 700; letter-spacing: 1px; }
.cov-title .cov-meta { font-size: 12px; color: #555; }
.cov-title .cov-fict { display: inline-block; margin-top: 4px; padding: 1px 6px; font-size: 12px;
  color: #fff; background: #c62828; border-radius: 3px; }
.cov-legend { font-size: 12px; max-height: 48vh; overflow-y: auto; min-width: 170px;
  max-width: 280px; }
.cov-legend h2 { font-size: 13px; margin: 0 0 4px 0; cursor: pointer; user-select: none; }
.cov-legend h3 { font-size: 12px; margin: 6px 0 2px 0; font-weight: 700; color: #333; }
.cov-legend .cov-row { display: flex; align-items: center; margin: 2px 0; line-height: 16px; }
.cov-legend .cov-note { color: #555; font-size: 11px; margin: 2px 0 0 0; }
.cov-sw { display: inline-block; width: 12px; height: 12px; margin-right: 6px; flex: none;
  box-sizing: border-box; }
.cov-sw.dot { border-radius: 50%; border: 1.5px solid; }
.cov-sw.line { height: 0; border-top: 2px solid; }
.cov-sw.rank { border-radius: 50%; }
.cov-legend.collapsed .cov-body { display: none; }
.cov-label { background: transparent; border: 0; box-shadow: none; padding: 0;
  font-size: 13px; font-weight: 700; color: #263238;
  text-shadow: -1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff,
  0 0 3px #fff; white-space: nowrap; }
.cov-label::before { display: none; }
.cov-pop { font-size: 12px; min-width: 180px; }
.cov-pop .cov-pop-title { font-size: 14px; font-weight: 700; margin-bottom: 4px; }
.cov-pop table { border-collapse: collapse; }
.cov-pop th { text-align: left; color: #555; font-weight: normal; padding: 1px 8px 1px 0;
  vertical-align: top; white-space: nowrap; }
.cov-pop td { padding: 1px 0; max-width: 260px; }
.cov-rank-icon span { display: block; width: 22px; height: 22px; line-height: 20px;
  border-radius: 50%; border: 2px solid #fff; box-sizing: border-box; color: #fff;
  font-size: 12px; font-weight: 700; text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
.cov-search { width: 240px; padding: 4px; }
.cov-search input { width: 100%; box-sizing: border-box; padding: 4px 6px; font-size: 13px;
  border: 1px solid #bbb; border-radius: 3px; }
.leaflet-top.leaflet-left { z-index: 1001; }
.cov-search ul { list-style: none; margin: 4px 0 0 0; padding: 0; max-height: 220px;
  overflow-y: auto; font-size: 12px; }
.cov-search li { padding: 3px 4px; cursor: pointer; border-bottom: 1px solid #eee; }
.cov-search li:hover { background: #e3f2fd; }
.cov-search li .cov-cat { color: #777; margin-left: 4px; }
.cov-fs a { font-size: 16px; font-weight: 700; }
.leaflet-control-layers { font-size: 12px; }
.cov-group { font-weight: 700; color: #37474f; margin: 6px 0 2px 0; padding-top: 4px;
  border-top: 1px solid #ddd; }
.cov-group:first-child { border-top: 0; margin-top: 0; padding-top: 0; }
.leaflet-control-layers-list { max-height: 70vh; overflow-y: auto; }
"""

APP_JS = r"""
(function () {
  "use strict";
  var map = __MAP__;
  var D = __PAYLOAD__;
  window.coverageMap = map;
  var overlays = {};
  window.coverageOverlays = overlays;

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"'`=]/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
              "`": "&#96;", "=": "&#61;"}[c];
    });
  }
  function popupHtml(title, fields, values) {
    var h = '<div class="cov-pop"><div class="cov-pop-title">' + esc(title) +
            '</div><table>';
    for (var i = 0; i < fields.length; i++) {
      var v = values[i];
      if (v === null || v === undefined || v === "") { continue; }
      h += "<tr><th>" + esc(fields[i]) + "</th><td>" + esc(v) + "</td></tr>";
    }
    return h + "</table></div>";
  }
  function unflat(rings) {
    return rings.map(function (poly) {
      return poly.map(function (flat) {
        var out = [];
        for (var i = 0; i < flat.length; i += 2) { out.push([flat[i], flat[i + 1]]); }
        return out;
      });
    });
  }

  var PANES = {fill: 390, lines: 395, points: 420, ranked: 610};
  var renderers = {};
  Object.keys(PANES).forEach(function (name) {
    var pane = map.createPane("cov-" + name);
    pane.style.zIndex = PANES[name];
    renderers[name] = L.canvas({pane: "cov-" + name, padding: 0.3});
  });

  function polygonLayer(spec) {
    var pane = spec.pane || "fill";
    var group = L.featureGroup();
    spec.items.forEach(function (it) {
      var style = L.extend({}, spec.style, {renderer: renderers[pane], pane: "cov-" + pane});
      if (it.f) { style.fillColor = it.f; }
      var poly = L.polygon(unflat(it.g), style);
      poly._cov = it;
      group.addLayer(poly);
      if (it.l) {
        group.addLayer(L.tooltip({permanent: true, direction: "center", interactive: false,
                                  className: "cov-label", opacity: 1})
          .setLatLng(it.lp).setContent(esc(it.l)));
      }
    });
    if (spec.fields) {
      group.bindPopup(function (layer) {
        return popupHtml(layer._cov.n, spec.fields, layer._cov.v);
      });
    }
    if (spec.tips) {
      group.bindTooltip(function (layer) { return esc(layer._cov.t); }, {sticky: true});
    }
    return group;
  }

  function pointLayer(spec) {
    var group = L.featureGroup();
    spec.items.forEach(function (it) {
      var st = spec.styles[it[2]];
      var m = L.circleMarker([it[0], it[1]], {
        renderer: renderers.points, pane: "cov-points",
        radius: it[3] || st.r, color: st.c, weight: st.w, opacity: 1,
        fill: true, fillColor: st.f || "#ffffff", fillOpacity: st.f ? st.o : 0.0
      });
      m._cov = it;
      group.addLayer(m);
    });
    group.bindTooltip(function (layer) { return esc(layer._cov[4]); },
                      {direction: "top", offset: [0, -4]});
    group.bindPopup(function (layer) {
      return popupHtml(layer._cov[5], spec.fields, layer._cov.slice(6));
    });
    return group;
  }

  function rankedLayer(spec) {
    var group = L.featureGroup();
    spec.items.forEach(function (it) {
      var icon = L.divIcon({className: "cov-rank-icon", iconSize: [22, 22],
        html: '<span style="background:' + esc(spec.colors[it[3]]) + '">' + esc(it[2]) +
              "</span>"});
      var m = L.marker([it[0], it[1]], {icon: icon, pane: "cov-ranked", riseOnHover: true,
                                       keyboard: false});
      m._cov = it;
      group.addLayer(m);
    });
    group.bindTooltip(function (layer) { return esc(layer._cov[4]); },
                      {direction: "top", offset: [0, -10]});
    group.bindPopup(function (layer) {
      return popupHtml(layer._cov[5], spec.fields, layer._cov.slice(6));
    });
    return group;
  }

  // the layer control with group headings (行政区划, 心理服务场所 …) between the overlays
  var Grouped = L.Control.Layers.extend({_update: function () {
    L.Control.Layers.prototype._update.call(this);
    if (!this._overlaysList) { return this; }
    var last = null, labels = this._overlaysList.querySelectorAll("label");
    for (var i = 0; i < labels.length; i++) {
      var input = labels[i].querySelector("input");
      var layer = input && this._getLayer(input.layerId);
      var group = layer && layer.layer._covGroup;
      if (group && group !== last) {
        var h = document.createElement("div");
        h.className = "cov-group";
        h.textContent = group;
        this._overlaysList.insertBefore(h, labels[i]);
      }
      last = group || last;
    }
    return this;
  }});
  var control = new Grouped(null, null, {collapsed: false, position: "topright"});
  D.layers.forEach(function (spec) {
    var layer = spec.type === "polygons" ? polygonLayer(spec)
              : spec.type === "points" ? pointLayer(spec) : rankedLayer(spec);
    overlays[spec.id] = layer;
    layer._covGroup = spec.group;
    control.addOverlay(layer, esc(spec.name));
    if (spec.show) { layer.addTo(map); }
  });

  // base layers (tile layers folium created, named in D.bases) go into the same control
  var bases = D.bases || [];
  if (bases.length) {
    var blank = L.layerGroup();
    var tiled = {};
    map.eachLayer(function (l) { if (l instanceof L.TileLayer && l.options.covBase) {
      (tiled[l.options.covBase] = tiled[l.options.covBase] || []).push(l); } });
    Object.keys(tiled).forEach(function (name) {
      var g = L.layerGroup(tiled[name]);
      tiled[name].forEach(function (l) { map.removeLayer(l); });
      g.addTo(map);
      control.addBaseLayer(g, esc(name));
    });
    control.addBaseLayer(blank, "无底图（离线）");
    map.getContainer().classList.add("cov-tiles");
  }
  control.addTo(map);

  // title block, zoom, fullscreen, search (top left, in that order)
  var Title = L.Control.extend({options: {position: "topleft"}, onAdd: function () {
    var div = L.DomUtil.create("div", "cov-box cov-title");
    div.innerHTML = D.titleHtml;
    L.DomEvent.disableClickPropagation(div);
    return div;
  }});
  new Title().addTo(map);
  L.control.zoom({position: "topleft", zoomInTitle: "放大", zoomOutTitle: "缩小"}).addTo(map);

  var Full = L.Control.extend({options: {position: "topleft"}, onAdd: function () {
    var div = L.DomUtil.create("div", "leaflet-bar cov-fs");
    var a = L.DomUtil.create("a", "", div);
    a.href = "#"; a.title = "全屏"; a.setAttribute("role", "button");
    a.innerHTML = '<svg width="16" height="16" viewBox="0 0 16 16" style="margin-top:7px">' +
      '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#333" ' +
      'stroke-width="2"/></svg>';
    L.DomEvent.on(a, "click", function (e) {
      L.DomEvent.preventDefault(e);
      var el = map.getContainer();
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (el.requestFullscreen) { el.requestFullscreen(); }
    });
    document.addEventListener("fullscreenchange", function () {
      a.title = document.fullscreenElement ? "退出全屏" : "全屏";
      map.invalidateSize();
    });
    L.DomEvent.disableClickPropagation(div);
    return div;
  }});
  new Full().addTo(map);

  var hit = L.layerGroup().addTo(map);
  var Search = L.Control.extend({options: {position: "topleft"}, onAdd: function () {
    var div = L.DomUtil.create("div", "cov-box cov-search");
    var input = L.DomUtil.create("input", "", div);
    input.type = "search"; input.placeholder = "搜索名称（村、学校、站点…）";
    input.setAttribute("aria-label", "搜索名称");
    var list = L.DomUtil.create("ul", "", div);
    function show(entry) {
      hit.clearLayers();
      var ll = [entry[3], entry[4]];
      map.setView(ll, Math.max(map.getZoom(), 14));
      var tip = document.createElement("span");
      tip.textContent = entry[0];
      L.circleMarker(ll, {radius: 14, color: "#d81b60", weight: 3, fill: false,
                          interactive: false}).addTo(hit)
        .bindTooltip(tip, {permanent: true, direction: "right", offset: [14, 0]}).openTooltip();
    }
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      list.textContent = "";
      if (!q) { hit.clearLayers(); return; }
      var n = 0;
      for (var i = 0; i < D.search.length && n < 15; i++) {
        var e = D.search[i];
        if (String(e[0]).toLowerCase().indexOf(q) < 0) { continue; }
        n++;
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(e[0]));
        var cat = document.createElement("span");
        cat.className = "cov-cat";
        cat.textContent = e[1] + (e[2] ? " · " + e[2] : "");
        li.appendChild(cat);
        li.addEventListener("click", show.bind(null, e));
        list.appendChild(li);
      }
      if (!n) {
        var none = document.createElement("li");
        none.textContent = "无匹配结果";
        list.appendChild(none);
      }
    });
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  new Search().addTo(map);

  L.control.scale({metric: true, imperial: false, maxWidth: 160, position: "bottomleft"})
    .addTo(map);
  if (map.attributionControl) { map.attributionControl.setPrefix("Leaflet"); }

  var Legend = L.Control.extend({options: {position: "bottomleft"}, onAdd: function () {
    var div = L.DomUtil.create("div", "cov-box cov-legend");
    div.innerHTML = D.legendHtml;
    var h = div.querySelector("h2");
    if (h) { h.addEventListener("click", function () { div.classList.toggle("collapsed"); }); }
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  var legend = new Legend().addTo(map);
  function syncLegend() {
    var secs = legend.getContainer().querySelectorAll("[data-layers]");
    for (var i = 0; i < secs.length; i++) {
      var ids = secs[i].getAttribute("data-layers").split(" ");
      var on = ids.some(function (id) { return overlays[id] && map.hasLayer(overlays[id]); });
      secs[i].style.display = on ? "" : "none";
    }
  }
  map.on("overlayadd overlayremove", syncLegend);
  syncLegend();

  map.options.zoomSnap = 0.25;
  // keep the county clear of the legend (bottom left) and the layer list (top right)
  // on screens wide enough to have room beside them
  var size = map.getSize(), left = 20, right = 20;
  if (size.x > 1000) {
    left += legend.getContainer().offsetWidth;
    right += control.getContainer().offsetWidth;
    if (left + right > size.x * 0.6) { left = 20; right = 20; }
  }
  map.fitBounds(D.bounds, {paddingTopLeft: [left, 20], paddingBottomRight: [right, 20]});
})();
"""
