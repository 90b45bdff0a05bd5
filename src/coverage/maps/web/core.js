/*
 * The browser side of the interactive map, part 1: data, drawing and identify.
 *
 * Kept as Python strings (not package data files) so they ship with any install.  The page's
 * data is one JSON document (``<script type="application/json" id="cov-data">``, built by
 * :mod:`coverage.maps._webdata`); this script decodes it and draws:
 *
 * * thematic polygons (township choropleth, isochrone areas, boundaries) with Leaflet on one
 *   canvas renderer, all non-interactive, so no canvas swallows the events of another;
 * * reference roads and water on a canvas under them (by class, from a zoom level up);
 * * every point (facilities, travel times, uncovered villages, suggested sites) and every label
 *   on one canvas above them that ignores the mouse (``pointer-events: none``), aggregated into
 *   grid clusters when there are many.
 *
 * Mouse events reach the map itself, which identifies what lies under the cursor: the points
 * drawn last (hit-tested in screen space), else the village, isochrone and township polygons
 * (point in polygon).  Every text from the data reaches the page through ``textContent``.
 * The user interface (panel, legend, search, export, print) is web/ui.js.
 */
(function () {
  "use strict";
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("cov-data").textContent);
  var S = D.scale, V = D.vocab, P = D.places, N = P.n;
  var app = window.coverageApp = {D: D, ready: false, listeners: [],
                                  timings: {draw: [], start: T0, parsed: performance.now()}};
  var PI = Math.PI;

  // ------------------------------------------------------------------ decoding
  function cum(a) {
    var o = new Float64Array(a.length), s = 0;
    for (var i = 0; i < a.length; i++) { s += a[i]; o[i] = s / S; }
    return o;
  }
  function ring(flat) {
    var n = flat.length >> 1, xs = new Float64Array(n), ys = new Float64Array(n), x = 0, y = 0;
    for (var i = 0; i < n; i++) { x += flat[2 * i]; y += flat[2 * i + 1]; xs[i] = x / S; ys[i] = y / S; }
    return {xs: xs, ys: ys};
  }
  function geom(polys) {
    var g = polys.map(function (p) { return p.map(ring); });
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    g.forEach(function (p) { var r = p[0]; for (var i = 0; i < r.xs.length; i++) {
      if (r.xs[i] < b[0]) b[0] = r.xs[i]; if (r.ys[i] < b[1]) b[1] = r.ys[i];
      if (r.xs[i] > b[2]) b[2] = r.xs[i]; if (r.ys[i] > b[3]) b[3] = r.ys[i]; } });
    g.bbox = b;
    return g;
  }
  function latlngs(g) {
    return g.map(function (p) { return p.map(function (r) {
      var a = new Array(r.xs.length);
      for (var i = 0; i < a.length; i++) { a[i] = [r.ys[i], r.xs[i]]; }
      return a; }); });
  }
  function inRing(r, x, y) {
    var inside = false, xs = r.xs, ys = r.ys, n = xs.length;
    for (var i = 0, j = n - 1; i < n; j = i++) {
      if (((ys[i] > y) !== (ys[j] > y)) &&
          (x < (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i])) { inside = !inside; }
    }
    return inside;
  }
  function contains(g, x, y) {
    var b = g.bbox;
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) { return false; }
    for (var k = 0; k < g.length; k++) {
      if (!inRing(g[k][0], x, y)) { continue; }
      var hole = false;
      for (var h = 1; h < g[k].length; h++) { if (inRing(g[k][h], x, y)) { hole = true; break; } }
      if (!hole) { return true; }
    }
    return false;
  }
  function mercX(lon) { return 0.5 + lon / 360; }
  function mercY(lat) {
    var s = Math.sin(Math.max(Math.min(lat, 85.0511), -85.0511) * PI / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * PI);
  }
  app.decode = {cum: cum, ring: ring, geom: geom, latlngs: latlngs, contains: contains};

  // front-coded codes and base-36 packed small integers (see _webdata.py)
  (function () {
    var prev = "", out = new Array(P.code.length);
    for (var i = 0; i < out.length; i++) { var e = P.code[i]; prev = out[i] = prev.slice(0, parseInt(e[0], 36)) + e.slice(1); }
    P.code = out;
    ["kind", "status", "fac"].forEach(function (k) {
      if (typeof P[k] === "string") { P[k] = Uint8Array.from(P[k], function (c) { return parseInt(c, 36); }); }
    });
  })();
  var lon = cum(P.x), lat = cum(P.y);
  var mx = new Float64Array(N), my = new Float64Array(N);
  for (var i0 = 0; i0 < N; i0++) { mx[i0] = mercX(lon[i0]); my[i0] = mercY(lat[i0]); }
  app.lon = lon; app.lat = lat;
  var towns = D.towns, NT = towns.code.length;
  towns.geo = towns.g.map(geom);
  var county = geom(D.county);
  // village boundaries and isochrone areas are decoded when first shown
  var villages = D.villages ? D.villages.g.map(function () { return null; }) : [];
  function villageGeo(v) { if (!villages[v]) { villages[v] = geom(D.villages.g[v]); } return villages[v]; }
  var iso = (D.iso || []).map(function (r) { return {row: r, g: null}; });
  function isoGeo(k) { if (!iso[k].g) { iso[k].g = geom(iso[k].row.g); } return iso[k].g; }
  var sugg = D.sugg || null, NS = sugg ? sugg.p.length : 0;
  var demand = P.demand || null;
  var statusCodes = V.status.map(function (s) { return s[0]; });
  var suggOf = new Int32Array(N).fill(-1);
  if (sugg) { sugg.p.forEach(function (p, k) { suggOf[p] = k; }); }
  app.suggOf = suggOf;

  app.timings.decoded = performance.now();
  // ------------------------------------------------------------------ state and layers
  var nPhases = sugg ? sugg.phases.length : 0;
  var state = app.state = {ind: 0, town: -1, phase: nPhases, measuring: false, on: {}};
  // every layer the page knows: id, group, name, count, default
  var layers = app.layers = [];
  function layer(id, group, name, count, on) {
    layers.push({id: id, group: group, name: name, count: count});
    state.on[id] = !!on;
  }
  var kindIdx = P.kinds.map(function () { return []; });
  for (var i1 = 0; i1 < N; i1++) { if (P.fac[i1]) { kindIdx[P.kind[i1]].push(i1); } }
  kindIdx = kindIdx.map(function (a) { return Int32Array.from(a); });
  if (D.roads) { layer("roads", "参考图层", "道路", D.roads.g.length, true); }
  if (D.water) { layer("water", "参考图层", "河流水系", D.water.lines.length + D.water.areas.length, true); }
  if (D.labels) { layer("labels", "参考图层", "地名", D.labels.name.length, true); }
  layer("county", "行政区划", "县界", 0, true);
  layer("towns", "行政区划", D.info.approx ? "乡镇（街道）示意范围（非法定界线）" : "乡镇（街道）界", NT, true);
  if (villages.length) { layer("villages", "行政区划", "村（社区）界", villages.length, false); }
  if (D.ind.length) { layer("choro", "乡镇达标情况", "乡镇达标情况（按所选指标着色）", NT, true); }
  P.kinds.forEach(function (k, j) {
    if (kindIdx[j].length) { layer("kind:" + j, "心理服务场所", k[2], kindIdx[j].length, k[4]); }
  });
  var timeIdx = [], uncIdx = [];
  if (demand) {
    for (var i2 = 0; i2 < N; i2++) {
      if (demand.t[i2] !== null || demand.acc[i2] !== null) { timeIdx.push(i2); }
      if (demand.cov[i2] === 0) { uncIdx.push(i2); }
    }
    layer("time", "服务可达性", "出行时间（需求点）", timeIdx.length, false);
    if (uncIdx.length) { layer("uncovered", "服务可达性", "未覆盖村（社区）", uncIdx.length, false); }
  }
  timeIdx = Int32Array.from(timeIdx); uncIdx = Int32Array.from(uncIdx);
  var isoServices = [];
  iso.forEach(function (r) { if (isoServices.indexOf(r.row.service) < 0) { isoServices.push(r.row.service); } });
  isoServices.forEach(function (s, j) { layer("iso:" + j, "服务可达性", "等时圈：" + s, 0, false); });
  if (sugg) { layer("sugg", "规划建议", "建议新建点位", NS, true); }

  // ------------------------------------------------------------------ the map
  var vec = L.canvas({padding: 0.25, tolerance: 0});
  var map = app.map = L.map("cov-map", {
    zoomControl: false, preferCanvas: true, renderer: vec, zoomSnap: 0.25, zoomDelta: 0.5,
    maxZoom: 18, minZoom: 4, doubleClickZoom: true, attributionControl: true
  });
  (D.tiles || []).forEach(function (t) {
    L.tileLayer(t.url, {attribution: t.attr, subdomains: t.sub, maxZoom: 18}).addTo(map);
  });
  if ((D.tiles || []).length) { map.getContainer().classList.add("cov-tiles"); }
  if (map.attributionControl) { map.attributionControl.setPrefix("Leaflet"); }
  map.createPane("cov-ref").style.zIndex = 350;
  map.createPane("cov-pts").style.zIndex = 450;
  map.getPane("cov-pts").style.pointerEvents = "none";
  map.getPane("cov-ref").style.pointerEvents = "none";

  // a canvas that redraws itself with fn(ctx, bounds, zoom) after every move (Leaflet's
  // Canvas renderer does the positioning and the zoom animation)
  var DrawCanvas = L.Canvas.extend({
    initialize: function (fn, options) { L.Canvas.prototype.initialize.call(this, options); this._fn = fn; },
    _updatePaths: function () { if (!this._postponeUpdatePaths) { this.repaint(); } },
    _draw: function () { this.repaint(); },
    _redraw: function () {},
    repaint: function () {
      if (!this._map || !this._bounds) { return; }
      var c = this._container, ctx = this._ctx;
      ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, c.width, c.height); ctx.restore();
      var t0 = performance.now();
      ctx._covFont = null;
      this._fn(ctx, this._bounds, this._map.getZoom());
      this.lastMs = performance.now() - t0;
    }
  });
  var pending = null;
  function repaintSoon() {
    if (pending) { return; }
    pending = requestAnimationFrame(function () { pending = null; app.repaint(); });
  }
  app.repaintSoon = repaintSoon;

  // ------------------------------------------------------------------ vector layers
  var rc = V.rate_class;
  var rateOf = new Int32Array(NT * Math.max(D.ind.length, 1)).fill(-1);
  D.rates.t.forEach(function (t, k) { rateOf[D.rates.i[k] * NT + t] = k; });
  app.rateRow = function (town, ind) { return rateOf[ind * NT + town]; };
  function townClass(t) {
    var k = rateOf[state.ind * NT + t];
    return k < 0 ? rc.length - 1 : D.rates.cls[k];
  }
  var vlayers = app.vlayers = {};
  function polys(list, styleFn) {
    var g = L.featureGroup();
    list.forEach(function (geo, k) {
      var p = L.polygon(latlngs(geo), L.extend({interactive: false, renderer: vec}, styleFn(k)));
      p._covIndex = k;
      g.addLayer(p);
    });
    return g;
  }
  function outline(list, style) {
    var g = L.featureGroup();
    list.forEach(function (geo) {
      latlngs(geo).forEach(function (poly) {
        poly.forEach(function (r) {
          g.addLayer(L.polyline(r.concat([r[0]]), L.extend({interactive: false, renderer: vec}, style)));
        });
      });
    });
    return g;
  }
  function choroStyle(k) {
    var dim = state.town >= 0 && state.town !== k;
    var z = map.getZoom ? map.getZoom() : 10;
    var isoOn = isoServices.some(function (s, j) { return state.on["iso:" + j]; });
    var base = (z >= 14 ? 0.35 : z >= 12.5 ? 0.5 : 0.68) * (isoOn ? 0.5 : 1);
    return {stroke: false, fill: true, fillColor: rc[townClass(k)][1],
            fillOpacity: dim ? base * 0.35 : base};
  }
  if (D.ind.length) { vlayers.choro = polys(towns.geo, choroStyle); }
  var bandStyle = function (k) {
    var band = iso[k].row.band, colors = V.iso_colors;
    var c = colors[Math.min(band, colors.length - 1)];
    return {color: c, weight: 1, opacity: 0.8, fill: true, fillColor: c,
            fillOpacity: band === 0 ? 0.3 : 0.2};
  };
  var makers = {};   // layers built when first switched on
  isoServices.forEach(function (s, j) {
    makers["iso:" + j] = function () {
      var g = L.featureGroup();
      iso.forEach(function (r, k) {
        if (r.row.service !== s) { return; }
        g.addLayer(L.polygon(latlngs(isoGeo(k)), L.extend({interactive: false, renderer: vec}, bandStyle(k))));
      });
      return g;
    };
  });
  if (villages.length) {
    makers.villages = function () {
      return outline(villages.map(function (v, k) { return villageGeo(k); }),
                     {color: V.lines.village, weight: 0.7, opacity: 0.9});
    };
  }
  vlayers.towns = outline(towns.geo, {color: V.lines.township, weight: 1.3, opacity: 0.95});
  vlayers.county = outline([county], {color: V.lines.county, weight: 2.6, opacity: 1});
  var selLayer = L.featureGroup();
  var ORDER = ["choro"].concat(isoServices.map(function (s, j) { return "iso:" + j; }),
                               ["villages", "towns", "county"]);
  function restack() {
    ORDER.forEach(function (id) {
      if (!vlayers[id] && makers[id] && state.on[id]) { vlayers[id] = makers[id](); }
      var l = vlayers[id];
      if (!l) { return; }
      var want = state.on[id];
      if (want && !map.hasLayer(l)) { map.addLayer(l); }
      if (!want && map.hasLayer(l)) { map.removeLayer(l); }
    });
    ORDER.forEach(function (id) { if (vlayers[id] && state.on[id]) { vlayers[id].bringToFront(); } });
    if (map.hasLayer(selLayer)) { selLayer.bringToFront(); }
    app.fire("layers");
  }
  app.restyleChoro = function () {
    if (vlayers.choro) { vlayers.choro.eachLayer(function (p) { p.setStyle(choroStyle(p._covIndex)); }); }
  };
  app.highlightTown = function () {
    selLayer.clearLayers();
    if (state.town >= 0) {
      latlngs(towns.geo[state.town]).forEach(function (poly) {
        selLayer.addLayer(L.polyline(poly[0].concat([poly[0][0]]), {interactive: false, renderer: vec,
          color: "#111", weight: 3.2, opacity: 1}));
      });
      if (!map.hasLayer(selLayer)) { selLayer.addTo(map); }
      selLayer.bringToFront();
    }
    app.restyleChoro();
  };

  // ------------------------------------------------------------------ reference canvas
  function decodeLine(flat) {   // Web Mercator (0..1) coordinates and bounding box
    var r = ring(flat), n = r.xs.length, m = new Float64Array(2 * n);
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    for (var i = 0; i < n; i++) {
      var x = mercX(r.xs[i]), y = mercY(r.ys[i]);
      m[2 * i] = x; m[2 * i + 1] = y;
      if (x < b[0]) b[0] = x; if (y < b[1]) b[1] = y; if (x > b[2]) b[2] = x; if (y > b[3]) b[3] = y;
    }
    return {m: m, b: b};
  }
  // lines are decoded when first drawn (most roads are not drawn at the opening zoom)
  function lazyLines(src) { return {src: src, dec: new Array(src.length)}; }
  var roadLines = lazyLines(D.roads ? D.roads.g : []);
  var waterLines = lazyLines(D.water ? D.water.lines : []);
  var waterAreas = null;
  function decodeRef() {
    if (waterAreas) { return; }
    waterAreas = D.water ? D.water.areas.map(function (a) {
      return a.map(function (p) { return p.map(decodeLine); }); }) : [];
  }
  function pathLines(ctx, list, sel, scale, o, b) {
    var x0 = (b.min.x + o.x) / scale, x1 = (b.max.x + o.x) / scale;
    var y0 = (b.min.y + o.y) / scale, y1 = (b.max.y + o.y) / scale;
    ctx.beginPath();
    for (var k = 0; k < list.src.length; k++) {
      if (sel && !sel(k)) { continue; }
      var L_ = list.dec[k] || (list.dec[k] = decodeLine(list.src[k])), bb = L_.b;
      if (bb[2] < x0 || bb[0] > x1 || bb[3] < y0 || bb[1] > y1) { continue; }
      var m = L_.m;
      ctx.moveTo(m[0] * scale - o.x, m[1] * scale - o.y);
      for (var i = 2; i < m.length; i += 2) { ctx.lineTo(m[i] * scale - o.x, m[i + 1] * scale - o.y); }
    }
  }
  function drawRef(ctx, b, z) {
    var scale = 256 * Math.pow(2, z), o = map.getPixelOrigin();
    ctx.lineJoin = "round"; ctx.lineCap = "round";
    var roadsShown = state.on.roads && D.roads && V.roads.some(function (c) { return z >= c[2]; });
    if (!(state.on.water && D.water) && !roadsShown) { return; }
    decodeRef();
    if (state.on.water && D.water) {
      ctx.fillStyle = "#b9d3ea"; ctx.strokeStyle = "#8fb6da";
      waterAreas.forEach(function (poly) {
        ctx.beginPath();
        poly.forEach(function (p) { p.forEach(function (r) { var m = r.m;
          ctx.moveTo(m[0] * scale - o.x, m[1] * scale - o.y);
          for (var i = 2; i < m.length; i += 2) { ctx.lineTo(m[i] * scale - o.x, m[i + 1] * scale - o.y); }
          ctx.closePath(); }); });
        ctx.fill("evenodd");
      });
      ctx.lineWidth = z >= 13 ? 2.2 : 1.4;
      pathLines(ctx, waterLines, null, scale, o, b); ctx.stroke();
    }
    if (state.on.roads && D.roads) {
      var classes = V.roads, cls = D.roads.cls;
      for (var c = classes.length - 1; c >= 0; c--) {
        if (z < classes[c][2]) { continue; }
        var widen = Math.max(0, z - 13) * 0.35;
        ctx.strokeStyle = classes[c][4]; ctx.lineWidth = classes[c][3] + widen;
        pathLines(ctx, roadLines, function (k) { return cls[k] === c; }, scale, o, b);
        ctx.stroke();
      }
    }
  }
  var refCanvas = new DrawCanvas(drawRef, {pane: "cov-ref", padding: 0.25});

  // ------------------------------------------------------------------ shapes and colours
  function shapePath(ctx, shape, x, y, r) {
    ctx.beginPath();
    var k, a, n;
    switch (shape) {
      case "square": ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7); break;
      case "triangle": ctx.moveTo(x, y - r * 1.15); ctx.lineTo(x + r, y + r * 0.7); ctx.lineTo(x - r, y + r * 0.7); ctx.closePath(); break;
      case "triangle_down": ctx.moveTo(x, y + r * 1.15); ctx.lineTo(x + r, y - r * 0.7); ctx.lineTo(x - r, y - r * 0.7); ctx.closePath(); break;
      case "diamond": ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r, y); ctx.closePath(); break;
      case "plus": a = r * 0.4;
        ctx.moveTo(x - a, y - r); ctx.lineTo(x + a, y - r); ctx.lineTo(x + a, y - a); ctx.lineTo(x + r, y - a);
        ctx.lineTo(x + r, y + a); ctx.lineTo(x + a, y + a); ctx.lineTo(x + a, y + r); ctx.lineTo(x - a, y + r);
        ctx.lineTo(x - a, y + a); ctx.lineTo(x - r, y + a); ctx.lineTo(x - r, y - a); ctx.lineTo(x - a, y - a); ctx.closePath(); break;
      case "cross":
        ctx.save(); ctx.translate(x, y); ctx.rotate(PI / 4);
        shapePath(ctx, "plus", 0, 0, r * 1.1);
        ctx.restore(); return;
      case "star": n = 5;
        for (k = 0; k < 2 * n; k++) {
          var rr = k % 2 ? r * 0.5 : r * 1.3, an = -PI / 2 + k * PI / n;
          if (k === 0) { ctx.moveTo(x + rr * Math.cos(an), y + rr * Math.sin(an)); }
          else { ctx.lineTo(x + rr * Math.cos(an), y + rr * Math.sin(an)); }
        }
        ctx.closePath(); break;
      case "pentagon": case "hexagon": n = shape === "pentagon" ? 5 : 6;
        for (k = 0; k < n; k++) {
          var an2 = -PI / 2 + k * 2 * PI / n, r2 = r * 1.1;
          if (k === 0) { ctx.moveTo(x + r2 * Math.cos(an2), y + r2 * Math.sin(an2)); }
          else { ctx.lineTo(x + r2 * Math.cos(an2), y + r2 * Math.sin(an2)); }
        }
        ctx.closePath(); break;
      default: ctx.arc(x, y, r, 0, 2 * PI);
    }
  }
  // stroke, fill (null = hollow) of a status code index
  function drawMark(ctx, shape, x, y, r, st) {
    var s = V.status[st], stroke = s[1], fill = s[2];
    shapePath(ctx, shape, x, y, r);
    ctx.lineWidth = 3.2; ctx.strokeStyle = "rgba(255,255,255,0.95)"; ctx.stroke();
    if (fill) { ctx.fillStyle = fill; ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke(); }
    else { ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fill(); ctx.lineWidth = 1.8; ctx.strokeStyle = stroke; ctx.stroke(); }
  }
  function textColor(hex) {
    var v = parseInt(hex.slice(1), 16), r = v >> 16, g = (v >> 8) & 255, b = v & 255;
    return (0.299 * r + 0.587 * g + 0.114 * b) > 150 ? "#222" : "#fff";
  }
  function timeClass(i) {
    var t = demand.t[i];
    if (t === null) { return V.time.length - 1; }
    for (var c = 0; c < V.time.length - 1; c++) {
      var up = V.time[c][1];
      if (up === null || t <= up * 10) { return c; }
    }
    return V.time.length - 1;
  }
  var KIND_R = {village: 4.6, community: 4.6, school: 4.8, institution: 4.6, health_center: 5.6,
                governance_center: 5.6, petition_office: 5.6, rehab: 5.6, hospital: 6.6, service_site: 6.6};
  app.draw = {shapePath: shapePath, drawMark: drawMark, textColor: textColor, timeClass: timeClass};

  // ------------------------------------------------------------------ hit list (screen space)
  var hits = {x: [], y: [], r: [], t: [], ref: []};
  function hitReset() { hits.x.length = hits.y.length = hits.r.length = hits.t.length = hits.ref.length = 0; }
  function hitAdd(x, y, r, t, ref) { hits.x.push(x); hits.y.push(y); hits.r.push(r); hits.t.push(t); hits.ref.push(ref); }
  function hitAt(lp) {
    // the last drawn (top-most) mark under the cursor
    for (var k = hits.x.length - 1; k >= 0; k--) {
      var dx = hits.x[k] - lp.x, dy = hits.y[k] - lp.y, r = hits.r[k];
      if (dx * dx + dy * dy <= r * r) {
        return {t: hits.t[k], ref: hits.ref[k], x: hits.x[k], y: hits.y[k]};
      }
    }
    return null;
  }
  app.hitAt = hitAt;

  // ------------------------------------------------------------------ labels with collision
  var boxes = [];
  function place(x0, y0, x1, y1) {
    for (var k = 0; k < boxes.length; k++) {
      var b = boxes[k];
      if (x0 < b[2] && x1 > b[0] && y0 < b[3] && y1 > b[1]) { return false; }
    }
    boxes.push([x0, y0, x1, y1]);
    return true;
  }
  function label(ctx, text, x, y, size, bold, align, color) {
    setFont(ctx, (bold ? "bold " : "") + size + "px " + FONT);
    var w = ctx.measureText(text).width, h = size;
    var x0 = align === "center" ? x - w / 2 : x;
    if (!place(x0 - 2, y - h / 2 - 2, x0 + w + 2, y + h / 2 + 2)) { return false; }
    ctx.textAlign = "left"; ctx.textBaseline = "middle";
    ctx.lineWidth = 3.5; ctx.strokeStyle = "rgba(255,255,255,0.92)"; ctx.lineJoin = "round";
    ctx.strokeText(text, x0, y); ctx.fillStyle = color || "#263238"; ctx.fillText(text, x0, y);
    return true;
  }
  function setFont(ctx, f) { if (ctx._covFont !== f) { ctx.font = f; ctx._covFont = f; } }
  app.setFont = setFont;
  var FONT = '"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif';
  app.FONT = FONT;

  // ------------------------------------------------------------------ points canvas
  var CLUSTER_MIN = 2500, CLUSTER_MAX_ZOOM = 15, CELL = 56, SUGG_MAX = 150;
  function inTown(i) { return state.town < 0 || P.town[i] === state.town; }
  app.inTown = inTown;
  function phaseOn(k) { var ph = sugg.phase[k]; return ph < 0 || ph < state.phase; }
  app.phaseOn = phaseOn;
  var drawn = app.drawn = {points: 0, clusters: 0, sugg: 0, labels: 0};

  function collect(lists, scale, o, b, out) {
    var n = 0, pad = 12, x0 = b.min.x - pad, x1 = b.max.x + pad, y0 = b.min.y - pad, y1 = b.max.y + pad;
    for (var l = 0; l < lists.length; l++) {
      var idx = lists[l];
      for (var k = 0; k < idx.length; k++) {
        var i = idx[k];
        if (state.town >= 0 && P.town[i] !== state.town) { continue; }
        var x = mx[i] * scale - o.x, y = my[i] * scale - o.y;
        if (x < x0 || x > x1 || y < y0 || y > y1) { continue; }
        out.i[n] = i; out.x[n] = x; out.y[n] = y; n++;
      }
    }
    return n;
  }
  var buf = {i: new Int32Array(N + 1), x: new Float64Array(N + 1), y: new Float64Array(N + 1)};
  // grid aggregation: cells of CELL px holding >= 4 points become one cluster
  function aggregate(n, catFn, ncat) {
    var cells = new Map(), list = [];
    for (var k = 0; k < n; k++) {
      var key = Math.floor(buf.x[k] / CELL) * 1048576 + Math.floor(buf.y[k] / CELL);
      var c = cells.get(key);
      if (!c) { c = {n: 0, sx: 0, sy: 0, cat: new Int32Array(ncat), m: [], pop: 0}; cells.set(key, c); list.push(c); }
      c.n++; c.sx += buf.x[k]; c.sy += buf.y[k]; c.cat[catFn(buf.i[k])]++;
      if (c.m.length < 4) { c.m.push(k); }
      if (P.pop[buf.i[k]]) { c.pop += P.pop[buf.i[k]]; }
    }
    return list;
  }
  function drawCluster(ctx, c, colors, hitType) {
    var x = c.sx / c.n, y = c.sy / c.n, r = 7 + 3 * Math.log(c.n) / Math.LN10;
    var a0 = -PI / 2;
    ctx.beginPath(); ctx.arc(x, y, r + 1.5, 0, 2 * PI); ctx.fillStyle = "rgba(255,255,255,0.95)"; ctx.fill();
    for (var j = 0; j < c.cat.length; j++) {
      if (!c.cat[j]) { continue; }
      var a1 = a0 + 2 * PI * c.cat[j] / c.n;
      ctx.beginPath(); ctx.arc(x, y, r, a0, a1); ctx.arc(x, y, r * 0.62, a1, a0, true); ctx.closePath();
      ctx.fillStyle = colors[j]; ctx.fill();
      a0 = a1;
    }
    ctx.beginPath(); ctx.arc(x, y, r * 0.62, 0, 2 * PI); ctx.fillStyle = "#fff"; ctx.fill();
    ctx.fillStyle = "#222"; setFont(ctx, "bold " + (c.n >= 1000 ? 10 : 11) + "px " + FONT);
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(c.n >= 10000 ? Math.round(c.n / 1000) + "k" : String(c.n), x, y + 0.5);
    boxes.push([x - r, y - r, x + r, y + r]);
    hitAdd(x, y, r + 2, hitType, c);
    drawn.clusters++;
  }
  var statusColors = V.status.map(function (s) { return s[2] || s[1]; });
  var timeColors = V.time.map(function (t) { return t[2]; });

  function drawPoints(ctx, b, z) {
    var scale = 256 * Math.pow(2, z), o = map.getPixelOrigin(), n, k, i, cells;
    hitReset(); boxes = [];
    drawn.points = drawn.clusters = drawn.sugg = drawn.labels = 0;
    var cluster = z < CLUSTER_MAX_ZOOM;
    // township names first: they are the frame of reference
    var labelsOn = state.on.towns || state.on.choro;
    // 1. uncovered villages: circles by population (under everything else)
    if (state.on.uncovered && demand) {
      n = collect([uncIdx], scale, o, b, buf);
      var maxPop = 1;
      for (k = 0; k < uncIdx.length; k++) { maxPop = Math.max(maxPop, P.pop[uncIdx[k]] || 0); }
      var many = cluster && uncIdx.length > CLUSTER_MIN;
      cells = many ? aggregate(n, function () { return 0; }, 1) : null;
      ctx.fillStyle = hexA(V.uncovered, 0.28); ctx.strokeStyle = V.uncovered; ctx.lineWidth = 1.6;
      var drawUnc = function (k) {
        var i = buf.i[k], r = 5 + 11 * Math.sqrt((P.pop[i] || 0) / maxPop);
        ctx.beginPath(); ctx.arc(buf.x[k], buf.y[k], r, 0, 2 * PI); ctx.fill(); ctx.stroke();
        hitAdd(buf.x[k], buf.y[k], r, "u", i); drawn.points++;
      };
      if (cells) { cells.forEach(function (c) { if (c.n >= 4) { drawCluster(ctx, c, [V.uncovered], "cu"); } else { c.m.forEach(drawUnc); } }); }
      else { for (k = 0; k < n; k++) { drawUnc(k); } }
    }
    // 2. travel time classes
    if (state.on.time && demand) {
      n = collect([timeIdx], scale, o, b, buf);
      cells = cluster && timeIdx.length > CLUSTER_MIN ? aggregate(n, timeClass, V.time.length) : null;
      var drawT = function (k) {
        var i = buf.i[k], c = timeClass(i);
        ctx.beginPath(); ctx.arc(buf.x[k], buf.y[k], 4.2, 0, 2 * PI);
        ctx.fillStyle = timeColors[c]; ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke();
        hitAdd(buf.x[k], buf.y[k], 6, "t", i); drawn.points++;
      };
      if (cells) { cells.forEach(function (c) { if (c.n >= 4) { drawCluster(ctx, c, timeColors, "ct"); } else { c.m.forEach(drawT); } }); }
      else { for (k = 0; k < n; k++) { drawT(k); } }
    }
    // 3. facilities by kind (shape) and status (colour)
    var lists = [], total = 0;
    P.kinds.forEach(function (kd, j) { if (state.on["kind:" + j]) { lists.push(kindIdx[j]); total += kindIdx[j].length; } });
    if (lists.length) {
      n = collect(lists, scale, o, b, buf);
      cells = cluster && total > CLUSTER_MIN ? aggregate(n, function (i) { return P.status[i]; }, V.status.length) : null;
      var drawF = function (k) {
        var i = buf.i[k], kd = P.kinds[P.kind[i]], r = (KIND_R[kd[0]] || 5) * (z >= 15 ? 1.2 : 1);
        drawMark(ctx, kd[3], buf.x[k], buf.y[k], r, P.status[i]);
        hitAdd(buf.x[k], buf.y[k], r + 3, "f", i); drawn.points++;
      };
      if (cells) {
        var singles = [];
        cells.forEach(function (c) { if (c.n >= 4) { drawCluster(ctx, c, statusColors, "cf"); } else { singles.push.apply(singles, c.m); } });
        singles.forEach(drawF);
      } else {
        // built rooms last, so a missing room never hides under a built one's halo? no: gaps on top
        var order = [];
        for (k = 0; k < n; k++) { order.push(k); }
        order.sort(function (a, c) { return statusRank(P.status[buf.i[a]]) - statusRank(P.status[buf.i[c]]); });
        order.forEach(drawF);
      }
    }
    // 4. suggested sites: numbered badges where there is room, small diamonds elsewhere
    if (state.on.sugg && sugg) {
      var items = [];
      for (k = 0; k < NS; k++) {
        i = sugg.p[k];
        if (!phaseOn(k) || (state.town >= 0 && P.town[i] !== state.town && sugg.town[k] !== state.town)) { continue; }
        var sx = mx[i] * scale - o.x, sy = my[i] * scale - o.y;
        if (sx < b.min.x - 12 || sx > b.max.x + 12 || sy < b.min.y - 12 || sy > b.max.y + 12) { continue; }
        items.push([k, sx, sy]);
      }
      items.sort(function (a, c) { return (sugg.rank[a[0]] || 1e9) - (sugg.rank[c[0]] || 1e9); });
      if (items.length > SUGG_MAX) {
        // too many to read: the best-ranked keep their badge, the rest are counted per cell
        var grid = new Map(), rest = [];
        items.forEach(function (it, j) {
          if (j < 30 && place(it[1] - 10, it[2] - 10, it[1] + 10, it[2] + 10)) { rest.push(it); return; }
          var key = Math.floor(it[1] / CELL) * 1048576 + Math.floor(it[2] / CELL), c = grid.get(key);
          if (!c) { c = {n: 0, sx: 0, sy: 0, m: []}; grid.set(key, c); }
          c.n++; c.sx += it[1]; c.sy += it[2]; c.m.push(it[0]);
        });
        grid.forEach(function (c) {
          var x = c.sx / c.n + 14, y = c.sy / c.n - 14, txt = "新" + c.n;
          setFont(ctx, "bold 10px " + FONT);
          var w = ctx.measureText(txt).width + 8;
          ctx.beginPath(); roundRect(ctx, x - w / 2, y - 8, w, 16, 3);
          ctx.lineWidth = 2.5; ctx.strokeStyle = "#fff"; ctx.stroke(); ctx.fillStyle = sugg.color; ctx.fill();
          ctx.fillStyle = "#fff"; setFont(ctx, "bold 10px " + FONT); ctx.textAlign = "center"; ctx.textBaseline = "middle";
          ctx.fillText(txt, x, y + 0.5);
          hitAdd(x, y, w / 2 + 2, "cs", c); drawn.sugg += c.n; drawn.clusters++;
        });
        boxes = boxes.slice(0, boxes.length - rest.length);
        items = rest;
      }
      var big = [], small = [];
      items.forEach(function (it) { (place(it[1] - 10, it[2] - 10, it[1] + 10, it[2] + 10) ? big : small).push(it); });
      small.forEach(function (it) {
        var col = phaseColor(it[0]);
        shapePath(ctx, "diamond", it[1], it[2], 4.5);
        ctx.lineWidth = 2.5; ctx.strokeStyle = "#fff"; ctx.stroke(); ctx.fillStyle = col; ctx.fill();
        ctx.lineWidth = 0.8; ctx.strokeStyle = "#4a0045"; ctx.stroke();
        hitAdd(it[1], it[2], 7, "s", it[0]); drawn.sugg++;
      });
      big.reverse().forEach(function (it) {
        var col = phaseColor(it[0]), x = it[1], y = it[2], rank = sugg.rank[it[0]];
        ctx.beginPath(); roundRect(ctx, x - 9, y - 9, 18, 18, 4);
        ctx.lineWidth = 3; ctx.strokeStyle = "#fff"; ctx.stroke(); ctx.fillStyle = col; ctx.fill();
        ctx.lineWidth = 0.8; ctx.strokeStyle = "#4a0045"; ctx.stroke();
        ctx.fillStyle = textColor(col); ctx.textAlign = "center"; ctx.textBaseline = "middle";
        setFont(ctx, "bold " + (rank >= 100 ? 9 : 11) + "px " + FONT);
        ctx.fillText(rank === null ? "?" : String(rank), x, y + 0.5);
        hitAdd(x, y, 11, "s", it[0]); drawn.sugg++;
      });
    }
    // 5. labels: townships, place names, then point names when zoomed in
    if (labelsOn) {
      for (var t = 0; t < NT; t++) {
        var lx = mercX(towns.lx[t] / S) * scale - o.x, ly = mercY(towns.ly[t] / S) * scale - o.y;
        if (lx < b.min.x || lx > b.max.x || ly < b.min.y || ly > b.max.y) { continue; }
        if (label(ctx, towns.name[t], lx, ly, z >= 12 ? 15 : 13, true, "center", state.town === t ? "#000" : "#263238")) { drawn.labels++; }
      }
    }
    if (state.on.labels && D.labels) {
      var Lb = D.labels, kinds = V.place_kinds;
      for (k = 0; k < Lb.name.length; k++) {
        var pk = kinds[Lb.kind[k]];
        if (z < pk[1]) { continue; }
        var qx = mercX(Lb.x[k] / S) * scale - o.x, qy = mercY(Lb.y[k] / S) * scale - o.y;
        if (qx < b.min.x || qx > b.max.x || qy < b.min.y || qy > b.max.y) { continue; }
        if (label(ctx, Lb.name[k], qx, qy, pk[2], pk[3], "center", "#5d4037")) { drawn.labels++; }
      }
    }
    if (z >= 14.5) {
      for (k = 0; k < hits.x.length; k++) {
        if (hits.t[k] !== "f" && hits.t[k] !== "s") { continue; }
        var pi = hits.t[k] === "f" ? hits.ref[k] : sugg.p[hits.ref[k]];
        if (P.name[pi] && label(ctx, P.name[pi], hits.x[k] + hits.r[k] + 2, hits.y[k], 11, false, "left", "#37474f")) { drawn.labels++; }
      }
    }
    // search / selection mark
    if (app.mark !== null && app.mark !== undefined) {
      var mkx = mx[app.mark] * scale - o.x, mky = my[app.mark] * scale - o.y;
      ctx.beginPath(); ctx.arc(mkx, mky, 15, 0, 2 * PI); ctx.lineWidth = 3; ctx.strokeStyle = "#e7298a"; ctx.stroke();
    }
  }
  function statusRank(s) { var c = statusCodes[s]; return c === "none" ? 4 : c === "built" ? 1 : c === "na" ? 0 : 2; }
  function phaseColor(k) { var ph = sugg.phase[k]; return ph < 0 ? sugg.color : sugg.phases[ph][2]; }
  app.phaseColor = function (k) { return phaseColor(k); };
  function roundRect(ctx, x, y, w, h, r) {
    ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
  }
  function hexA(hex, a) {
    var v = parseInt(hex.slice(1), 16);
    return "rgba(" + (v >> 16) + "," + ((v >> 8) & 255) + "," + (v & 255) + "," + a + ")";
  }
  app.hexA = hexA;
  var ptsCanvas = new DrawCanvas(drawPoints, {pane: "cov-pts", padding: 0.25});

  app.repaint = function () {
    var t0 = performance.now();
    refCanvas.repaint(); ptsCanvas.repaint();
    var ms = performance.now() - t0;
    app.timings.draw.push(ms);
    return ms;
  };
  app.canvases = function () { return [refCanvas._container, vec._container, ptsCanvas._container]; };

  // ------------------------------------------------------------------ identify: tooltip + popup
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  app.el = el;
  var tip = L.tooltip({direction: "top", offset: [0, -10], opacity: 0.96, className: "cov-tip"});
  var stickyTip = L.tooltip({direction: "right", offset: [14, 0], opacity: 0.92, className: "cov-tip"});
  function showTip(t, ll, node) {
    t.setLatLng(ll).setContent(node);
    if (!map.hasLayer(t)) { map.addLayer(t); }
  }
  function hideTip(t) { if (map.hasLayer(t)) { map.removeLayer(t); } }
  function fmtInt(v) {   // 12,345 (toLocaleString loads locale data: slow on first use)
    if (v === null || v === undefined) { return ""; }
    return String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  app.fmtInt = fmtInt;
  function fmtDist(m) { return m >= 1000 ? (m / 1000).toFixed(1) + " 公里" : Math.round(m) + " 米"; }
  app.fmtDist = fmtDist;
  function kindLabel(i) { return P.kinds[P.kind[i]][1]; }
  function statusLabel(i) { return V.status[P.status[i]][3]; }
  app.kindLabel = kindLabel; app.statusLabel = statusLabel;
  function placeTip(h) {
    var i = h.ref;
    if (h.t === "f") { return P.name[i] + "（" + statusLabel(i) + "）"; }
    if (h.t === "t") { var t = demand.t[i]; return P.name[i] + "：" + (t === null ? "不可达" : (t / 10).toFixed(1) + " 分钟"); }
    if (h.t === "u") { return P.name[i] + "：未覆盖" + (P.pop[i] ? "，" + fmtInt(P.pop[i]) + " 人" : ""); }
    if (h.t === "s") { var p = sugg.p[i], ph = sugg.phase[i];
      return "建议第" + (sugg.rank[i] === null ? "?" : sugg.rank[i]) + "位：" + P.name[p] + (ph >= 0 ? "（" + sugg.phases[ph][1] + "）" : ""); }
    var c = h.ref, parts = [];
    if (h.t === "cf") { V.status.forEach(function (s, j) { if (c.cat[j]) { parts.push(s[3] + " " + c.cat[j]); } });
      return c.n + " 处场所（" + parts.join("，") + "），点击放大"; }
    if (h.t === "ct") { V.time.forEach(function (s, j) { if (c.cat[j]) { parts.push(s[3] + " " + c.cat[j]); } });
      return c.n + " 个需求点（" + parts.join("，") + "），点击放大"; }
    if (h.t === "cs") { return c.n + " 处建议新建点位，点击放大"; }
    return c.n + " 个未覆盖村（社区），" + fmtInt(c.pop) + " 人，点击放大";
  }
  function isoAt(x, y) {
    var best = null;
    for (var j = 0; j < isoServices.length; j++) {
      if (!state.on["iso:" + j]) { continue; }
      for (var k = iso.length - 1; k >= 0; k--) {   // smallest band last in the list
        var r = iso[k].row;
        if (r.service === isoServices[j] && contains(isoGeo(k), x, y)) {
          if (!best || r.min < best.min) { best = r; }
        }
      }
    }
    return best;
  }
  function townAt(x, y) {
    for (var t = 0; t < NT; t++) { if (contains(towns.geo[t], x, y)) { return t; } }
    return -1;
  }
  function villageAt(x, y) {
    for (var v = 0; v < villages.length; v++) { if (contains(villageGeo(v), x, y)) { return v; } }
    return -1;
  }
  app.townAt = townAt;
  app.townTip = function (t) {
    var k = rateOf[state.ind * NT + t], ind = D.ind[state.ind];
    var text = towns.name[t];
    if (ind) { text += "：" + (k >= 0 && D.rates.rate[k] ? D.rates.rate[k] : "无数据") +
      "（" + (k >= 0 ? D.rates.status[k] : rc[rc.length - 1][2]) + "）"; }
    return text;
  };
  function areaLines(ll) {
    var x = ll.lng, y = ll.lat, lines = [];
    if (state.on.villages && villages.length) {
      var v = villageAt(x, y);
      if (v >= 0) { lines.push("村（社区）：" + D.villages.name[v]); }
    }
    var r = isoAt(x, y);
    if (r) { lines.push(r.service + "：" + r.min + " 分钟内" + (r.mode ? "（" + r.mode + "）" : "") + "可达范围"); }
    if (state.on.choro || state.on.towns) {
      var t = townAt(x, y);
      if (t >= 0) { lines.push(state.on.choro ? app.townTip(t) : towns.name[t]); }
    }
    return lines;
  }
  app.areaLines = areaLines;
  var moveReq = null, lastMove = null;
  map.on("mousemove", function (e) { lastMove = e; if (!moveReq) { moveReq = requestAnimationFrame(onMove); } });
  map.on("mouseout", function () { hideTip(tip); hideTip(stickyTip); });
  function onMove() {
    moveReq = null;
    var e = lastMove;
    if (!e || state.measuring) { return; }
    var h = hitAt(e.layerPoint);
    var c = map.getContainer();
    if (h) {
      hideTip(stickyTip);
      showTip(tip, map.layerPointToLatLng([h.x, h.y]), el("div", "", placeTip(h)));
      c.style.cursor = "pointer";
      return;
    }
    hideTip(tip);
    var lines = areaLines(e.latlng);
    c.style.cursor = lines.length ? "pointer" : "";
    if (!lines.length) { hideTip(stickyTip); return; }
    var box = el("div");
    lines.forEach(function (l) { box.appendChild(el("div", "", l)); });
    showTip(stickyTip, e.latlng, box);
  }
  app.fire = function (name) { app.listeners.forEach(function (f) { f(name); }); };
  app.on = function (f) { app.listeners.push(f); };

  // popups
  function table(rows) {
    var tb = el("table");
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      var tr = el("tr"); tr.appendChild(el("th", "", r[0])); tr.appendChild(el("td", "", r[1])); tb.appendChild(tr);
    });
    return tb;
  }
  app.table = table;
  var F = V.fields;
  app.placeRows = function (i) {
    var rows = [];
    if (P.fac[i]) { rows.push(["类别", kindLabel(i)]); rows.push([F.status, statusLabel(i)]); }
    else { rows.push(["类别", kindLabel(i)]); }
    rows.push([F.township_name, P.town[i] >= 0 ? towns.name[P.town[i]] : ""]);
    rows.push([F.id, P.code[i]]);
    rows.push([F.population, P.pop[i] === null ? "" : fmtInt(P.pop[i]) + " 人"]);
    P.extra.forEach(function (ex) { var v = ex[3][i]; if (v >= 0) { rows.push([ex[1], ex[2][v]]); } });
    if (demand && (demand.t[i] !== null || demand.acc[i] !== null)) {
      if (demand.svc[i] !== null && demand.svc[i] >= 0) { rows.push([F.service_name, P.services[demand.svc[i]]]); }
      rows.push([F.time_min, demand.t[i] === null ? "不可达" : (demand.t[i] / 10).toFixed(1) + " 分钟"]);
      if (demand.d[i] !== null) { rows.push([F.dist_m, fmtDist(demand.d[i])]); }
      if (demand.cov[i] !== null) { rows.push([F.covered, demand.cov[i] ? "是" : "否"]); }
      if (demand.acc[i] !== null) { rows.push(["可达状态", V.access[demand.acc[i]][1]]); }
    }
    var s = suggOf[i];
    if (s >= 0) {
      rows.push([F.rank, sugg.rank[s] === null ? "" : String(sugg.rank[s])]);
      if (sugg.phase[s] >= 0) { rows.push([F.phase, sugg.phases[sugg.phase[s]][1]]); }
      if (sugg.reason[s] >= 0) { rows.push(["建设理由", V.reason[sugg.reason[s]][1]]); }
      if (sugg.gain[s] !== null) { rows.push([F.gain_population, fmtInt(sugg.gain[s]) + " 人"]); }
      rows.push([F.explanation, sugg.expl[s]]);
    }
    return rows;
  };
  app.openPlace = function (i, title) {
    var box = el("div", "cov-pop");
    box.appendChild(el("div", "cov-pop-title", title || P.name[i] || "（未命名）"));
    box.appendChild(table(app.placeRows(i)));
    L.popup({maxWidth: 340, autoPanPaddingTopLeft: [10, 60]}).setLatLng([lat[i], lon[i]]).setContent(box).openOn(map);
  };
  app.openTown = function (t, ll) {
    var box = el("div", "cov-pop");
    box.appendChild(el("div", "cov-pop-title", towns.name[t]));
    if (D.info.approx) { box.appendChild(el("div", "cov-note", "示意范围（非法定界线）")); }
    var ind = D.ind[state.ind];
    if (ind) {
      var k = rateOf[state.ind * NT + t], R = D.rates;
      box.appendChild(table([
        ["指标", ind.name],
        ["完成率", k >= 0 ? R.rate[k] || "无数据" : "无数据"], ["目标", k >= 0 ? R.target[k] : ""],
        ["状态", k >= 0 ? R.status[k] : ""],
        ["现有 / 应有", k >= 0 && R.num[k] !== "" ? R.num[k] + " / " + R.den[k] : ""],
        ["缺口", k >= 0 ? R.short[k] : ""], ["未定位", k >= 0 ? R.unl[k] : ""], ["依据", ind.cite]]));
    }
    var a = el("button", "cov-btn", "查看本乡镇详情");
    a.type = "button";
    a.addEventListener("click", function () { map.closePopup(); app.selectTown(t, true); });
    box.appendChild(a);
    L.popup({maxWidth: 360, autoPanPaddingTopLeft: [10, 60]}).setLatLng(ll).setContent(box).openOn(map);
  };
  map.on("click", function (e) {
    if (state.measuring) { return; }
    var h = hitAt(e.layerPoint);
    if (h) {
      hideTip(tip);
      if (h.t === "cf" || h.t === "ct" || h.t === "cu" || h.t === "cs") {
        map.setView(map.layerPointToLatLng([h.x, h.y]), Math.min(map.getZoom() + 2, 17));
      } else if (h.t === "s") {
        app.openPlace(sugg.p[h.ref], "建议新建：" + P.name[sugg.p[h.ref]]);
      } else { app.openPlace(h.ref); }
      return;
    }
    var t = townAt(e.latlng.lng, e.latlng.lat);
    if (t >= 0 && (state.on.choro || state.on.towns)) { hideTip(stickyTip); app.openTown(t, e.latlng); }
  });

  // ------------------------------------------------------------------ start
  app.setLayer = function (id, on) {
    state.on[id] = !!on;
    if (vlayers[id] || makers[id]) { restack(); } else { app.fire("layers"); }
    if (id.indexOf("iso:") === 0) { app.restyleChoro(); }
    repaintSoon();
  };
  app.restack = restack;
  // the first view (called once by the user interface, which knows where its panels are)
  app.start = function (fit) {
    map.fitBounds(D.bounds, fit);
    restack();
    refCanvas.addTo(map);
    ptsCanvas.addTo(map);
    map.on("zoomend", function () { app.restyleChoro(); });
  };
  app.NT = NT; app.towns = towns; app.county = county; app.kindIdx = kindIdx;
  app.timeIdx = timeIdx; app.uncIdx = uncIdx; app.sugg = sugg; app.isoServices = isoServices;
  app.mx = mx; app.my = my;
})();
