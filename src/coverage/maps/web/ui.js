/*
 * The browser side of the interactive map, part 2: the planner's controls and the page layout.
 *
 * The side panel (township drill-down, indicator switcher, build-year slider, statistics, layer
 * list, tools), the legend, search (name, code, pinyin initials), CSV export of what is shown,
 * "save as PNG" of the current view (the map's canvases composited with title, legend, scale and
 * north arrow), print (A4 landscape through print CSS), distance measuring and the Chinese scale
 * bar.  It talks to part 1 (web/core.js) through ``window.coverageApp``.
 *
 * Every text from the data reaches the page through ``textContent``; the CSV export prefixes
 * cells that start with ``= + - @``, tab or CR with an apostrophe so a spreadsheet never runs
 * them as formulas.
 */
(function () {
  "use strict";
  var app = window.coverageApp, D = app.D, V = D.vocab, P = D.places, map = app.map;
  var state = app.state, el = app.el, towns = app.towns, NT = app.NT, sugg = app.sugg;
  var $ = function (id) { return document.getElementById(id); };
  var info = D.info, mobile = window.matchMedia("(max-width: 700px)").matches;

  // ------------------------------------------------------------------ title, footer
  $("cov-title").textContent = info.title;
  var meta = [];
  if (info.date) { meta.push("数据日期：" + info.date); }
  if (info.source) { meta.push("数据来源：" + info.source); }
  $("cov-meta").textContent = meta.join("　");
  if (info.fictional) { $("cov-head").insertBefore(el("div", "cov-fict", "虚构示例数据，不代表真实情况"), $("cov-meta").nextSibling); }
  var foot = [];
  if (info.org) { foot.push("制图单位：" + info.org); }
  if (info.made) { foot.push("制图日期：" + info.made); }
  $("cov-foot-l").textContent = meta.join("　");
  $("cov-foot-r").textContent = foot.join("　");

  // ------------------------------------------------------------------ controls on the map
  var Scale = L.Control.Scale.extend({
    options: {position: "bottomright", metric: true, imperial: false, maxWidth: 140},
    _addScales: function (options, className, container) { this._mScale = L.DomUtil.create("div", "cov-scale", container); },
    _updateMetric: function (maxMeters) {
      var meters = this._getRoundNum(maxMeters);
      var text = meters < 1000 ? meters + " 米" : (meters / 1000) + " 公里";
      this._updateScale(this._mScale, text, meters / maxMeters);
      app.scaleBar = {text: text, px: Math.round(this.options.maxWidth * meters / maxMeters)};
    }
  });
  var North = L.Control.extend({options: {position: "bottomright"}, onAdd: function () {
    var d = L.DomUtil.create("div", "cov-north");
    d.title = "指北针";
    d.innerHTML = '<svg width="34" height="44" viewBox="0 0 34 44"><polygon points="17,4 24,30 17,25 10,30" fill="#222"/>' +
      '<polygon points="17,4 17,25 10,30" fill="#777"/><text x="17" y="41" font-size="11" text-anchor="middle" fill="#222" font-weight="700">北</text></svg>';
    return d;
  }});
  new North().addTo(map);
  new Scale().addTo(map);
  L.control.zoom({position: "bottomright", zoomInTitle: "放大", zoomOutTitle: "缩小"}).addTo(map);

  // ------------------------------------------------------------------ swatches (legend + PNG)
  function swatch(ctx, sw, x, y) {   // draws a 14 px swatch centred at x, y
    var d = app.draw;
    ctx.save();
    if (sw.t === "box") { ctx.globalAlpha = sw.a || 0.85; ctx.fillStyle = sw.c; ctx.fillRect(x - 6, y - 6, 12, 12);
      ctx.globalAlpha = 1; ctx.strokeStyle = "#999"; ctx.lineWidth = 0.5; ctx.strokeRect(x - 6, y - 6, 12, 12); }
    else if (sw.t === "line") { ctx.strokeStyle = sw.c; ctx.lineWidth = sw.w || 2; ctx.beginPath(); ctx.moveTo(x - 7, y); ctx.lineTo(x + 7, y); ctx.stroke(); }
    else if (sw.t === "mark") { d.drawMark(ctx, sw.shape, x, y, 4.6, sw.s); }
    else if (sw.t === "shape") { d.shapePath(ctx, sw.shape, x, y, 4.6); ctx.fillStyle = "#9e9e9e"; ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = "#424242"; ctx.stroke(); }
    else if (sw.t === "dot") { ctx.beginPath(); ctx.arc(x, y, 4.5, 0, 7); ctx.fillStyle = sw.c; ctx.fill(); ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke(); }
    else if (sw.t === "ring") { ctx.beginPath(); ctx.arc(x, y, 6, 0, 7); ctx.fillStyle = app.hexA(sw.c, 0.28); ctx.fill(); ctx.lineWidth = 1.6; ctx.strokeStyle = sw.c; ctx.stroke(); }
    else if (sw.t === "badge") { ctx.beginPath(); ctx.rect(x - 7, y - 7, 14, 14); ctx.fillStyle = sw.c; ctx.fill();
      ctx.fillStyle = d.textColor(sw.c); ctx.font = "bold 10px " + app.FONT; ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.fillText(sw.n || "1", x, y + 0.5); }
    ctx.restore();
  }
  var swCache = {};
  function swatchCanvas(sw) {   // drawn once per look, reused when the legend is rebuilt
    var key = JSON.stringify(sw), hit = swCache[key];
    if (hit && !hit.isConnected) { return hit; }
    var r = window.devicePixelRatio || 1, c = document.createElement("canvas");
    swCache[key] = c;
    c.width = 16 * r; c.height = 16 * r; c.style.width = "16px"; c.style.height = "16px";
    var ctx = c.getContext("2d"); ctx.scale(r, r); swatch(ctx, sw, 8, 8);
    return c;
  }

  // ------------------------------------------------------------------ legend model
  function visibleIdx(list) { var n = 0; for (var k = 0; k < list.length; k++) { if (app.inTown(list[k])) { n++; } } return n; }
  function legendModel() {
    var secs = [], on = state.on;
    if (on.choro && D.ind.length) {
      var ind = D.ind[state.ind], counts = V.rate_class.map(function () { return 0; });
      for (var t = 0; t < NT; t++) { var k = app.rateRow(t, state.ind); counts[k < 0 ? counts.length - 1 : D.rates.cls[k]]++; }
      secs.push({title: "乡镇达标情况", sub: ind.name, items: V.rate_class.map(function (c, j) {
        return {sw: {t: "box", c: c[1]}, text: c[2] + "（" + counts[j] + "）", hide: j === counts.length - 1 && !counts[j]}; }),
        note: "目标：" + ind.target + (info.approx ? "；乡镇为示意范围（非法定界线）" : ""), one: true});
    }
    var kinds = [];
    P.kinds.forEach(function (k, j) { if (on["kind:" + j]) { kinds.push(j); } });
    if (kinds.length) {
      var present = {};
      kinds.forEach(function (j) { var idx = app.kindIdx[j]; for (var q = 0; q < idx.length; q++) { present[P.status[idx[q]]] = 1; } });
      var items = V.status.map(function (s, j) { return {sw: {t: "mark", shape: "circle", s: j}, text: s[3], hide: !present[j]}; });
      var kindItems = kinds.map(function (j) { var k = P.kinds[j];
        return {sw: {t: "shape", shape: k[3]}, text: k[1] + "（" + visibleIdx(app.kindIdx[j]) + "）"}; });
      secs.push({title: "心理服务场所建设状态", items: items});
      secs.push({title: "场所类别（形状）", items: kindItems, one: kindItems.length > 0 && kinds.some(function (j) { return P.kinds[j][1].length > 6; })});
    }
    if (on.sugg && sugg) {
      var ph = sugg.phases.filter(function (p, j) { return j < state.phase; });
      secs.push({title: "建议新建点位（数字为优先顺序）", note: sugg.p.length > 150 ? "“新N”：此处N个建议点位，放大后显示编号" : "", items: ph.length ? ph.map(function (p, j) {
        return {sw: {t: "badge", c: p[2], n: String(j + 1)}, text: p[1]}; }) : [{sw: {t: "badge", c: sugg.color}, text: "建议新建"}]});
    }
    if (on.time && P.demand) {
      secs.push({title: "到最近服务点的出行时间", items: V.time.map(function (c) { return {sw: {t: "dot", c: c[2]}, text: c[3]}; })});
    }
    if (on.uncovered) { secs.push({title: "未覆盖村（社区）", items: [{sw: {t: "ring", c: V.uncovered}, text: "圈越大，常住人口越多"}], one: true}); }
    app.isoServices.forEach(function (s, j) {
      if (!on["iso:" + j]) { return; }
      var rows = (D.iso || []).filter(function (r) { return r.service === s; }).sort(function (a, b) { return a.min - b.min; });
      secs.push({title: "等时圈：" + s, items: rows.map(function (r) {
        return {sw: {t: "box", c: V.iso_colors[Math.min(r.band, V.iso_colors.length - 1)], a: 0.45}, text: r.min + " 分钟内" + (r.mode ? "（" + r.mode + "）" : "")}; })});
    });
    var ref = [];
    if (on.roads && D.roads) { ref.push({sw: {t: "line", c: V.roads[2][4], w: 2}, text: "道路（放大后显示）"}); }
    if (on.water && D.water) { ref.push({sw: {t: "line", c: "#8fb6da", w: 2}, text: "河流水系"}); }
    var adm = [];
    if (on.county) { adm.push({sw: {t: "line", c: V.lines.county, w: 2.6}, text: "县界"}); }
    if (on.towns) { adm.push({sw: {t: "line", c: V.lines.township, w: 1.4}, text: info.approx ? "乡镇（街道）示意范围（非法定界线）" : "乡镇（街道）界"}); }
    if (on.villages) { adm.push({sw: {t: "line", c: V.lines.village, w: 1}, text: "村（社区）界"}); }
    if (adm.length || ref.length) { secs.push({title: "行政区划与参考", items: adm.concat(ref)}); }
    return secs;
  }
  app.legendModel = legendModel;
  function renderLegend() {
    var body = $("cov-legend-body");
    body.textContent = "";
    legendModel().forEach(function (s) {
      var sec = el("div");
      sec.appendChild(el("h3", "", s.title));
      if (s.sub) { sec.appendChild(el("div", "cov-note", s.sub)); }
      var grid = el("div", "cov-items" + (s.one ? " one" : ""));
      s.items.forEach(function (it) {
        if (it.hide) { return; }
        var row = el("div", "cov-item"); row.appendChild(swatchCanvas(it.sw)); row.appendChild(el("span", "", it.text)); grid.appendChild(row);
      });
      sec.appendChild(grid);
      if (s.note) { sec.appendChild(el("div", "cov-note", s.note)); }
      body.appendChild(sec);
    });
  }
  $("cov-legend-h").addEventListener("click", function () { $("cov-legend").classList.toggle("collapsed"); });

  // ------------------------------------------------------------------ layer list
  function renderLayers() {
    var box = $("cov-layers"), last = null;
    box.textContent = "";
    app.layers.forEach(function (l) {
      if (l.group !== last) { box.appendChild(el("div", "cov-grp", l.group)); last = l.group; }
      var row = el("label", "cov-lyr"), cb = el("input");
      cb.type = "checkbox"; cb.checked = !!state.on[l.id]; cb.setAttribute("data-layer", l.id);
      cb.addEventListener("change", function () { app.setLayer(l.id, cb.checked); });
      row.appendChild(cb); row.appendChild(el("span", "", l.name));
      if (l.count) { row.appendChild(el("span", "cov-cat", app.fmtInt(l.count))); }
      box.appendChild(row);
    });
  }

  // ------------------------------------------------------------------ selectors
  var townSel = $("cov-town");
  townSel.appendChild(new Option("全县（" + info.region + "）", "-1"));
  for (var t = 0; t < NT; t++) { townSel.appendChild(new Option(towns.name[t], String(t))); }
  townSel.addEventListener("change", function () { app.selectTown(parseInt(townSel.value, 10), true); });
  var indSel = $("cov-ind");
  if (!D.ind.length) { $("cov-ind-ctl").style.display = "none"; }
  D.ind.forEach(function (ind, j) { indSel.appendChild(new Option(ind.name + (j === 0 ? "（默认）" : ""), String(j))); });
  function showCite() { $("cov-cite").textContent = D.ind.length && D.ind[state.ind].cite ? "依据：" + D.ind[state.ind].cite : ""; }
  indSel.addEventListener("change", function () { app.setIndicator(parseInt(indSel.value, 10)); });
  app.setIndicator = function (j) {
    state.ind = j; indSel.value = String(j);
    if (!state.on.choro) { app.setLayer("choro", true); renderLayers(); }
    app.restyleChoro(); showCite(); refresh(); app.repaintSoon();
  };
  var phaseIn = $("cov-phase");
  if (!sugg || !sugg.phases.length) { $("cov-phase-ctl").style.display = "none"; }
  else { phaseIn.max = String(sugg.phases.length); phaseIn.value = String(sugg.phases.length); }
  function phaseText() {
    if (!sugg || !sugg.phases.length) { return ""; }
    var n = 0;
    for (var k = 0; k < sugg.p.length; k++) { if (app.phaseOn(k)) { n++; } }
    return "至" + sugg.phases[state.phase - 1][1] + "（" + n + " 处）";
  }
  phaseIn.addEventListener("input", function () { app.setPhase(parseInt(phaseIn.value, 10)); });
  app.setPhase = function (k) {
    state.phase = k; phaseIn.value = String(k); $("cov-phase-label").textContent = phaseText();
    refresh(); app.repaintSoon();
  };

  // ------------------------------------------------------------------ statistics / drill-down
  function countStatus(list, townOnly) {
    var c = V.status.map(function () { return 0; });
    for (var k = 0; k < list.length; k++) { if (!townOnly || app.inTown(list[k])) { c[P.status[list[k]]]++; } }
    return c;
  }
  function figs(parts) {
    var d = el("div", "fig");
    parts.forEach(function (p) { if (p[1] === "" || p[1] === null || p[1] === undefined) { return; }
      var s = el("span"); s.setAttribute("data-col", p[2]); s.textContent = p[0] + " " + p[1]; d.appendChild(s); });
    return d;
  }
  function clickList(items) {
    var ul = el("ul", "cov-list");
    items.forEach(function (it) { var li = el("li", "", it[0]); li.addEventListener("click", function () { app.goTo(it[1], it[2]); }); ul.appendChild(li); });
    return ul;
  }
  function renderStats() {
    var box = $("cov-stats"), town = state.town;
    box.textContent = "";
    var head = el("h4", "", town < 0 ? "全县：" + info.region : towns.name[town]);
    head.id = "cov-stats-title";
    box.appendChild(head);
    if (town >= 0) {
      var back = el("button", "cov-btn", "返回全县"); back.type = "button";
      back.addEventListener("click", function () { app.selectTown(-1, true); });
      box.appendChild(back);
      if (info.approx) { box.appendChild(el("div", "cov-warn", "乡镇范围为示意范围（非法定界线）")); }
      // every indicator of this township: rate vs target, shortfall, not located
      var R = D.rates;
      D.ind.forEach(function (ind, j) {
        var k = app.rateRow(town, j);
        var row = el("div", "cov-ind"); row.setAttribute("data-ind", ind.id);
        row.appendChild(el("div", "nm", ind.name));
        if (k < 0) { row.appendChild(el("div", "fig", "无数据")); box.appendChild(row); return; }
        row.appendChild(figs([["现状", R.rate[k], "rate"], ["目标", R.target[k], "target"], ["", R.status[k], "status"]]));
        row.appendChild(figs([["现有/应有", R.num[k] !== "" ? R.num[k] + "/" + R.den[k] : "", "numden"],
                              ["缺口", R.short[k], "shortfall"], ["未定位", R.unl[k], "unlocated"]]));
        box.appendChild(row);
      });
    } else if (D.countyRates) {
      D.countyRates.forEach(function (r) {
        var row = el("div", "cov-ind");
        row.appendChild(el("div", "nm", r.name));
        row.appendChild(figs([["现状", r.rate, "rate"], ["目标", r.target, "target"], ["", r.status, "status"], ["缺口", r.short, "shortfall"]]));
        box.appendChild(row);
      });
    }
    // facilities by status (the kinds shown)
    var rows = [];
    P.kinds.forEach(function (k, j) {
      if (!app.kindIdx[j].length) { return; }
      var c = countStatus(app.kindIdx[j], true), total = c.reduce(function (a, b) { return a + b; }, 0);
      if (!total) { return; }
      var built = c[0];
      rows.push([k[1], built + " / " + total + "（已建成/总数）"]);
    });
    if (rows.length) { box.appendChild(el("h4", "", "场所建设情况")); box.appendChild(app.table(rows)).className = "cov-t"; }
    // uncovered villages
    if (P.demand) {
      var unc = [];
      for (var q = 0; q < app.uncIdx.length; q++) { var i = app.uncIdx[q]; if (app.inTown(i)) { unc.push(i); } }
      unc.sort(function (a, b) { return (P.pop[b] || 0) - (P.pop[a] || 0); });
      var pop = unc.reduce(function (a, i) { return a + (P.pop[i] || 0); }, 0);
      var h = el("h4", "", "未覆盖村（社区）：" + unc.length + " 个" + (pop ? "，" + app.fmtInt(pop) + " 人" : ""));
      h.id = "cov-unc-title"; box.appendChild(h);
      box.appendChild(clickList(unc.slice(0, 10).map(function (i) {
        return [P.name[i] + (P.pop[i] ? "（" + app.fmtInt(P.pop[i]) + " 人）" : ""), i, null]; })));
      if (unc.length > 10) { box.appendChild(el("div", "cov-note", "…… 另有 " + (unc.length - 10) + " 个，可导出CSV查看")); }
    }
    // suggested sites
    if (sugg) {
      var sl = [];
      for (var s = 0; s < sugg.p.length; s++) {
        if (!app.phaseOn(s)) { continue; }
        if (town >= 0 && P.town[sugg.p[s]] !== town && sugg.town[s] !== town) { continue; }
        sl.push(s);
      }
      sl.sort(function (a, b) { return (sugg.rank[a] || 1e9) - (sugg.rank[b] || 1e9); });
      var hs = el("h4", "", "建议新建点位：" + sl.length + " 处"); hs.id = "cov-sugg-title"; box.appendChild(hs);
      box.appendChild(clickList(sl.slice(0, 12).map(function (s) {
        var ph = sugg.phase[s];
        return [sugg.rank[s] + ". " + P.name[sugg.p[s]] + (ph >= 0 ? "（" + sugg.phases[ph][1] + "）" : ""), sugg.p[s], "建议新建：" + P.name[sugg.p[s]]]; })));
      if (sl.length > 12) { box.appendChild(el("div", "cov-note", "…… 共 " + sl.length + " 处")); }
    }
  }
  function refresh() { renderLegend(); renderStats(); $("cov-phase-label").textContent = phaseText(); }
  app.refresh = refresh;
  app.on(function (name) { if (name === "layers") { renderLegend(); } });

  // keep what is fitted clear of the legend (bottom left) and, on phones, of the title
  function fitPadding() {
    var legend = $("cov-legend"), padL = 20, padT = 20;
    if (mobile) { padL = 10; padT = $("cov-head").offsetHeight + 10; }
    else if (!legend.classList.contains("collapsed")) { padL = Math.min(legend.offsetWidth + 20, map.getSize().x * 0.3); }
    return {paddingTopLeft: [padL, padT], paddingBottomRight: [20, 20], animate: false};
  }
  app.selectTown = function (t, zoom) {
    state.town = t; townSel.value = String(t);
    app.highlightTown();
    if (zoom) {
      var b = t >= 0 ? towns.geo[t].bbox : null;
      map.fitBounds(b ? [[b[1], b[0]], [b[3], b[2]]] : D.bounds, fitPadding());
    }
    if (mobile && t >= 0) { document.body.classList.add("cov-sheet-open"); }
    refresh(); app.repaintSoon();
  };
  app.goTo = function (i, title) {
    app.mark = i;
    map.setView([app.lat[i], app.lon[i]], Math.max(map.getZoom(), 15), {animate: false});
    app.openPlace(i, title || undefined);
    app.repaintSoon();
  };

  // ------------------------------------------------------------------ search
  var qIn = $("cov-q"), results = $("cov-results");
  function search(q) {
    q = q.trim().toLowerCase();
    var out = [];
    if (!q) { return out; }
    var digits = /^[0-9]+$/.test(q), letters = /^[a-z]+$/.test(q);
    function score(name, code, py) {
      var s = 99, n = name.toLowerCase(), p;
      if (n === q) { s = 0; } else if (n.indexOf(q) === 0) { s = 1; } else if (n.indexOf(q) > 0) { s = 3; }
      if (digits && code) { p = code.indexOf(q); if (p === 0) { s = Math.min(s, code === q ? 0 : 1); } else if (p > 0) { s = Math.min(s, 4); } }
      if (letters && py) { p = py.indexOf(q); if (p === 0) { s = Math.min(s, py === q ? 1 : 2); } else if (p > 0) { s = Math.min(s, 5); } }
      return s;
    }
    for (var t = 0; t < NT; t++) {
      var s1 = score(towns.name[t], towns.code[t], towns.py[t]);
      if (s1 < 99) { out.push({s: s1, name: towns.name[t], cat: "乡镇（街道）", extra: towns.code[t], town: t}); }
    }
    for (var i = 0; i < P.n; i++) {
      var s2 = score(P.name[i], P.code[i], P.py[i]);
      if (s2 < 99) { out.push({s: s2, name: P.name[i], cat: app.kindLabel(i) + (app.suggOf[i] >= 0 ? " · 建议新建" : ""),
        extra: (P.town[i] >= 0 ? towns.name[P.town[i]] + " " : "") + P.code[i], i: i}); }
    }
    if (D.labels) {
      var Lb = D.labels;
      for (var k = 0; k < Lb.name.length; k++) {
        var s3 = score(Lb.name[k], "", Lb.py[k]);
        if (s3 < 99) { out.push({s: s3 + 0.5, name: Lb.name[k], cat: "地名", extra: "", ll: [Lb.y[k] / D.scale, Lb.x[k] / D.scale]}); }
      }
    }
    out.sort(function (a, b) { return a.s - b.s || a.name.length - b.name.length; });
    return out.slice(0, 20);
  }
  app.search = search;
  function go(r) {
    results.textContent = "";
    if (r.town !== undefined) { app.selectTown(r.town, true); return; }
    if (r.i !== undefined) { app.goTo(r.i); return; }
    map.setView(r.ll, Math.max(map.getZoom(), 14), {animate: false});
  }
  qIn.addEventListener("input", function () {
    results.textContent = "";
    var rs = search(qIn.value);
    if (!rs.length && qIn.value.trim()) { results.appendChild(el("li", "", "无匹配结果")); return; }
    rs.forEach(function (r, j) {
      var li = el("li", j === 0 ? "act" : "", r.name);
      li.appendChild(el("span", "cov-cat", r.cat + (r.extra ? " · " + r.extra : "")));
      li.addEventListener("click", function () { go(r); });
      results.appendChild(li);
    });
    if (!qIn.value.trim()) { app.mark = null; app.repaintSoon(); }
  });
  qIn.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { var rs = search(qIn.value); if (rs.length) { go(rs[0]); } }
    if (e.key === "Escape") { qIn.value = ""; results.textContent = ""; app.mark = null; app.repaintSoon(); }
  });
  L.DomEvent.disableClickPropagation($("cov-head"));
  L.DomEvent.disableScrollPropagation($("cov-head"));
  L.DomEvent.disableClickPropagation($("cov-legend"));
  L.DomEvent.disableScrollPropagation($("cov-legend"));

  // ------------------------------------------------------------------ export CSV
  function shownPlaces() {
    var seen = new Uint8Array(P.n), rows = [], inView = $("cov-inview").checked, b = map.getBounds();
    function take(i, why) {
      if (seen[i] || !app.inTown(i)) { return; }
      if (inView && !b.contains([app.lat[i], app.lon[i]])) { return; }
      seen[i] = 1; rows.push([i, why]);
    }
    P.kinds.forEach(function (k, j) { if (state.on["kind:" + j]) { app.kindIdx[j].forEach(function (i) { take(i, k[2]); }); } });
    if (state.on.uncovered) { app.uncIdx.forEach(function (i) { take(i, "未覆盖村（社区）"); }); }
    if (state.on.time) { app.timeIdx.forEach(function (i) { take(i, "出行时间"); }); }
    if (state.on.sugg && sugg) {
      for (var s = 0; s < sugg.p.length; s++) {
        var i = sugg.p[s];
        if (!app.phaseOn(s)) { continue; }
        if (inView && !b.contains([app.lat[i], app.lon[i]])) { continue; }
        if (state.town >= 0 && P.town[i] !== state.town && sugg.town[s] !== state.town) { continue; }
        if (seen[i]) { rows.forEach(function (r) { if (r[0] === i) { r[1] += "；建议新建"; } }); continue; }
        seen[i] = 1; rows.push([i, "建议新建点位"]);
      }
    }
    return rows;
  }
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s)) { s = "'" + s; }
    if (/[",\r\n]/.test(s)) { s = '"' + s.replace(/"/g, '""') + '"'; }
    return s;
  }
  app.csvCell = csvCell;
  function exportCsv() {
    var F = V.fields, dem = P.demand;
    var header = ["图层", "名称", "代码", "类别", "建设状态", F.township_name, "常住人口", "出行时间（分钟）",
                  "可达状态", "是否覆盖", "建议顺序", "建设年度", "新增覆盖人口", "经度", "纬度"];
    var lines = [header.map(csvCell).join(",")];
    shownPlaces().forEach(function (r) {
      var i = r[0], s = app.suggOf[i];
      lines.push([r[1], P.name[i], P.code[i], app.kindLabel(i), P.fac[i] ? app.statusLabel(i) : "",
        P.town[i] >= 0 ? towns.name[P.town[i]] : "", P.pop[i] === null ? "" : P.pop[i],
        dem && dem.t[i] !== null ? (dem.t[i] / 10).toFixed(1) : "",
        dem && dem.acc[i] !== null ? V.access[dem.acc[i]][1] : "",
        dem && dem.cov[i] !== null ? (dem.cov[i] ? "是" : "否") : "",
        s >= 0 && sugg.rank[s] !== null ? sugg.rank[s] : "", s >= 0 && sugg.phase[s] >= 0 ? sugg.phases[sugg.phase[s]][1] : "",
        s >= 0 && sugg.gain[s] !== null ? sugg.gain[s] : "",
        app.lon[i].toFixed(5), app.lat[i].toFixed(5)].map(csvCell).join(","));
    });
    var text = "\ufeff" + lines.join("\r\n") + "\r\n";
    var name = info.region + "_" + (state.town >= 0 ? towns.name[state.town] : "全县") + "_点位.csv";
    download(new Blob([text], {type: "text/csv;charset=utf-8"}), name);
    return text;
  }
  app.exportCsv = exportCsv;
  function download(blob, name) {
    var a = document.createElement("a"), url = URL.createObjectURL(blob);
    a.href = url; a.download = name.replace(/[\\/:*?"<>|]/g, "_");
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 4000);
  }
  $("cov-export").addEventListener("click", exportCsv);

  // ------------------------------------------------------------------ PNG of the current view
  function composePng() {
    var box = map.getContainer(), W = box.clientWidth, H = box.clientHeight, r = Math.max(2, window.devicePixelRatio || 1);
    var c = document.createElement("canvas"); c.width = W * r; c.height = H * r;
    var ctx = c.getContext("2d"); ctx.scale(r, r);
    ctx.fillStyle = "#f4f2ed"; ctx.fillRect(0, 0, W, H);
    var mr = box.getBoundingClientRect();
    app.canvases().forEach(function (cv) {
      if (!cv || !cv.isConnected || !cv.width) { return; }
      var cr = cv.getBoundingClientRect();
      ctx.drawImage(cv, cr.left - mr.left, cr.top - mr.top, cr.width, cr.height);
    });
    var F = app.FONT;
    // title
    ctx.font = "bold 18px " + F; var tw = ctx.measureText(info.title).width;
    ctx.font = "12px " + F; var metaTxt = meta.join("　"), mw = ctx.measureText(metaTxt).width;
    var bw = Math.max(tw, mw) + 20;
    ctx.fillStyle = "rgba(255,255,255,0.93)"; ctx.fillRect(10, 10, bw, metaTxt ? 50 : 34);
    ctx.fillStyle = "#222"; ctx.font = "bold 18px " + F; ctx.textAlign = "left"; ctx.textBaseline = "top";
    ctx.fillText(info.title, 20, 16);
    ctx.font = "12px " + F; ctx.fillStyle = "#555"; ctx.fillText(metaTxt, 20, 40);
    // legend
    var secs = legendModel(), lh = 17, y = 0, lw = 0, k;
    var lines = [];
    secs.forEach(function (s) {
      lines.push({h: s.title}); if (s.sub) { lines.push({n: s.sub}); }
      s.items.forEach(function (it) { if (!it.hide) { lines.push({it: it}); } });
      if (s.note) { lines.push({n: s.note}); }
    });
    ctx.font = "12px " + F;
    lines.forEach(function (l) { lw = Math.max(lw, ctx.measureText(l.h || l.n || l.it.text).width + (l.it ? 22 : 0)); });
    var LH = lines.length * lh + 12, LW = Math.min(lw + 20, 320), x0 = 10, y0 = H - LH - 26;
    ctx.fillStyle = "rgba(255,255,255,0.93)"; ctx.fillRect(x0, y0, LW, LH);
    y = y0 + 6 + lh / 2;
    for (k = 0; k < lines.length; k++) {
      var l = lines[k];
      ctx.textBaseline = "middle"; ctx.textAlign = "left";
      if (l.h) { ctx.font = "bold 12px " + F; ctx.fillStyle = "#222"; ctx.fillText(l.h, x0 + 8, y); }
      else if (l.n) { ctx.font = "11px " + F; ctx.fillStyle = "#555"; ctx.fillText(l.n, x0 + 8, y); }
      else { swatch(ctx, l.it.sw, x0 + 16, y); ctx.font = "12px " + F; ctx.fillStyle = "#222"; ctx.fillText(l.it.text, x0 + 28, y); }
      y += lh;
    }
    // scale bar and north arrow (bottom right)
    var sb = app.scaleBar || {text: "", px: 100}, sx = W - sb.px - 20, sy = H - 20;
    ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(sx - 4, sy - 16, sb.px + 8, 20);
    ctx.strokeStyle = "#333"; ctx.lineWidth = 2; ctx.beginPath(); ctx.moveTo(sx, sy - 8); ctx.lineTo(sx, sy); ctx.lineTo(sx + sb.px, sy); ctx.lineTo(sx + sb.px, sy - 8); ctx.stroke();
    ctx.fillStyle = "#222"; ctx.font = "11px " + F; ctx.textAlign = "center"; ctx.fillText(sb.text, sx + sb.px / 2, sy - 8);
    var nx = W - 30, ny = sy - 60;
    ctx.fillStyle = "#222"; ctx.beginPath(); ctx.moveTo(nx, ny - 18); ctx.lineTo(nx + 7, ny + 8); ctx.lineTo(nx, ny + 3); ctx.lineTo(nx - 7, ny + 8); ctx.closePath(); ctx.fill();
    ctx.font = "bold 12px " + F; ctx.fillText("北", nx, ny + 18);
    // footer: date, source, who made it
    ctx.font = "11px " + F; ctx.textAlign = "right"; ctx.fillStyle = "#444";
    ctx.fillText(foot.join("　") + (info.fictional ? "　虚构示例数据" : ""), W - 10, H - 4 - 2);
    return c;
  }
  app.composePng = composePng;
  $("cov-png").addEventListener("click", function () {
    composePng().toBlob(function (blob) { download(blob, info.title + ".png"); }, "image/png");
  });

  // ------------------------------------------------------------------ print (A4 landscape)
  var printView = null;
  function beforePrint() {
    if (printView) { return; }
    printView = map.getBounds();
    $("cov-legend").classList.remove("collapsed");
    map.invalidateSize({pan: false});
    map.fitBounds(printView, {animate: false, padding: [0, 0]});
    app.repaint();
  }
  function afterPrint() {
    if (!printView) { return; }
    var b = printView; printView = null;
    map.invalidateSize({pan: false}); map.fitBounds(b, {animate: false}); app.repaint();
  }
  var mq = window.matchMedia("print");
  mq.addEventListener("change", function (e) { if (e.matches) { beforePrint(); } else { afterPrint(); } });
  window.addEventListener("beforeprint", beforePrint);
  window.addEventListener("afterprint", afterPrint);
  $("cov-print").addEventListener("click", function () { window.print(); });

  // ------------------------------------------------------------------ distance measuring
  var mLine = null, mPts = [], mLabel = null, mBtn = $("cov-measure");
  function mText() {
    var d = 0;
    for (var k = 1; k < mPts.length; k++) { d += map.distance(mPts[k - 1], mPts[k]); }
    return d;
  }
  app.measured = mText;
  function mDraw(extra) {
    var pts = extra ? mPts.concat([extra]) : mPts;
    if (!mLine) { mLine = L.polyline(pts, {color: "#e7298a", weight: 2.5, dashArray: "6 4", interactive: false}).addTo(map); }
    else { mLine.setLatLngs(pts); }
    var d = 0;
    for (var k = 1; k < pts.length; k++) { d += map.distance(pts[k - 1], pts[k]); }
    if (pts.length > 1) {
      if (!mLabel) { mLabel = L.tooltip({permanent: true, direction: "right", offset: [8, 0], className: "cov-measure-label"}); }
      mLabel.setLatLng(pts[pts.length - 1]).setContent("总长 " + app.fmtDist(d));
      if (!map.hasLayer(mLabel)) { map.addLayer(mLabel); }
    }
  }
  function mStop() {
    state.measuring = false; mBtn.classList.remove("on"); mBtn.textContent = "测距";
    map.doubleClickZoom.enable(); map.getContainer().style.cursor = "";
  }
  mBtn.addEventListener("click", function () {
    if (state.measuring) { mStop(); return; }
    state.measuring = true; mBtn.classList.add("on"); mBtn.textContent = "结束测距";
    mPts = [];
    if (mLine) { map.removeLayer(mLine); mLine = null; }
    if (mLabel) { map.removeLayer(mLabel); }
    map.doubleClickZoom.disable(); map.getContainer().style.cursor = "crosshair";
  });
  map.on("click", function (e) { if (state.measuring) { mPts.push(e.latlng); mDraw(); } });
  map.on("mousemove", function (e) { if (state.measuring && mPts.length) { mDraw(e.latlng); } });
  map.on("dblclick", function () { if (state.measuring) { mDraw(); mStop(); } });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && state.measuring) { mDraw(); mStop(); } });

  // ------------------------------------------------------------------ side panel, mobile sheet
  function sideToggle() {
    if (mobile) { document.body.classList.toggle("cov-sheet-open"); }
    else { document.body.classList.toggle("cov-side-closed"); }
    $("cov-side-toggle").textContent = mobile ? (document.body.classList.contains("cov-sheet-open") ? "收起 ▼" : "展开 ▲") : "收起 ▶";
    map.invalidateSize({pan: false});
  }
  $("cov-side-toggle").addEventListener("click", sideToggle);
  $("cov-side-open").addEventListener("click", sideToggle);
  if (mobile) { $("cov-legend").classList.add("collapsed"); $("cov-side-toggle").textContent = "展开 ▲"; }

  // ------------------------------------------------------------------ first view
  renderLayers(); showCite(); refresh();
  app.start(fitPadding());
  app.readyAt = performance.now();
  app.ready = true;
  // when the first frame with the map is on screen
  requestAnimationFrame(function () { setTimeout(function () { app.paintedAt = performance.now(); }, 0); });
  document.body.setAttribute("data-ready", "1");
})();
