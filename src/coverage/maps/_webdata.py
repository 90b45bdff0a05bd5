"""The interactive map's data: one compact, columnar JSON payload built from :class:`MapLayers`.

Every place (village, school, hospital …, a demand point, a suggested site) is stored once, as
one entry of parallel arrays: coordinates as integers of 1e-5 degrees, delta-encoded; kind,
status and access status as small integer codes with lookup tables; names, codes and pinyin
initials as strings.  Popups, search, the drill-down panel and the CSV export are built in the
browser from these arrays, and the point layers are filters over them, so the file grows by
about 60 bytes per place.

Polygons and lines are delta-encoded integer rings (``[x0, y0, dx1, dy1, …]``).  Everything
that is a display word (status labels, formatted rates) comes from :mod:`coverage.vocabulary`
and :func:`coverage.maps._style.fmt_value`, so both maps and the report say the same thing.
Only whitelisted fields are read: personal fields of a ledger (负责人, 电话 …) never reach the
payload.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage import vocabulary as vocab
from coverage.maps import _style as st
from coverage.maps._data import MapLayers, fictional_note, simplify_metric, to_wgs84
from coverage.maps._pinyin import initials
from coverage.region import located_mask

__all__ = ["DEFAULT_KINDS", "SCALE", "build_payload", "encode_lines", "encode_polygons",
           "front_code", "pack_small"]

logger = logging.getLogger(__name__)

#: Coordinates are stored as integers of 1/SCALE degree (1e-5° ≈ 1 m).
SCALE = 100_000
#: Display simplification of boundaries and isochrones (metres, the region's metric CRS).
SIMPLIFY_M = 20.0
#: Simplification of reference roads and rivers (metres).
ROAD_SIMPLIFY_M = 8.0
#: Point layers shown when the map opens (the village and community rooms); others are off.
DEFAULT_KINDS = ("village", "community")
#: Road classes, drawn from this zoom level up, and their line widths (px).
ROAD_CLASSES: dict[str, tuple[str, int, float, str]] = {
    # code: (label, min zoom, width, colour)
    "motorway": ("高速公路", 9, 2.6, "#7f6a4f"),
    "trunk": ("国道/快速路", 10, 2.2, "#8a7659"),
    "primary": ("省道/主干路", 10, 1.8, "#958266"),
    "secondary": ("县道/次干路", 11, 1.4, "#a08f75"),
    "tertiary": ("乡道/支路", 12, 1.1, "#aa9c84"),
    "minor": ("村道/街巷", 13, 0.9, "#b3a792"),
    "track": ("机耕路", 14, 0.8, "#bdb3a1"),
    "path": ("小路", 15, 0.7, "#c7bfb0"),
}
WATER_KINDS = ("river", "stream", "canal", "drain", "lake", "reservoir", "water")
WATER_LABELS = {"river": "河流", "stream": "溪流", "canal": "渠道", "drain": "排水沟",
                "lake": "湖泊", "reservoir": "水库", "water": "水面"}
#: Place labels by kind: (min zoom, font size px, bold).
PLACE_KINDS: dict[str, tuple[int, int, bool]] = {
    "city": (8, 14, True), "town": (10, 13, True), "suburb": (12, 12, False),
    "village": (13, 11, False), "hamlet": (14, 10, False), "neighbourhood": (14, 10, False),
    "locality": (15, 10, False), "isolated_dwelling": (16, 10, False),
}
#: Extra facility fields of the popups (all from the whitelist, FACILITY_FIELDS).
_EXTRA_FIELDS = tuple((c, lab) for c, lab in st.FACILITY_FIELDS
                      if c not in ("kind", "status", "township_name", "id", "population"))

Shift = Callable[[np.ndarray], np.ndarray]


# ------------------------------------------------------------------------------- encoding


def _q(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64) * SCALE).astype(np.int64)


def _delta(values: np.ndarray) -> list[int]:
    v = np.asarray(values, dtype=np.int64)
    if not len(v):
        return []
    return list(np.diff(v, prepend=0).tolist())


def _ring(coords: np.ndarray) -> list[int]:
    """``[x0, y0, dx1, dy1, …]`` of one ring or line (closing point dropped for rings)."""
    q = _q(coords[:, :2])
    keep = np.ones(len(q), dtype=bool)
    keep[1:] = np.any(np.diff(q, axis=0) != 0, axis=1)  # repeated points vanish at 1e-5°
    q = q[keep]
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return list(d.ravel().tolist())


def encode_polygons(geom: shapely.Geometry) -> list[list[list[int]]]:
    """``[[ring, …] per polygon]``, each ring delta-encoded (:func:`_ring`)."""
    out = []
    for poly in shapely.get_parts(geom):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = [_ring(np.asarray(poly.exterior.coords)[:-1])]
        rings += [_ring(np.asarray(r.coords)[:-1]) for r in poly.interiors]
        out.append([r for r in rings if len(r) >= 6])
    return [p for p in out if p]


def encode_lines(geom: shapely.Geometry) -> list[list[int]]:
    """One delta-encoded coordinate list per line part."""
    out = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if part.geom_type == "Polygon":
            out.append(_ring(np.asarray(part.exterior.coords)))
        elif part.geom_type == "LineString":
            out.append(_ring(np.asarray(part.coords)))
    return [r for r in out if len(r) >= 4]


def front_code(codes: Sequence[str]) -> list[str]:
    """Front coding: each code as one base-36 digit (characters shared with the previous code,
    at most 35) followed by the rest — 12-digit division codes in order shrink to 2–4 bytes."""
    out, prev = [], ""
    for code in codes:
        n = 0
        limit = min(len(prev), len(code), 35)
        while n < limit and prev[n] == code[n]:
            n += 1
        out.append(np.base_repr(n, 36).lower() + code[n:])
        prev = code
    return out


def pack_small(values: Sequence[int]) -> str | list[int]:
    """Small non-negative integers (< 36) as one base-36 character each; else the list."""
    if values and (min(values) < 0 or max(values) >= 36):
        return list(values)
    return "".join(np.base_repr(v, 36).lower() for v in values)


def _codes(values: pd.Series, table: Sequence[str]) -> list[int]:
    index = {code: i for i, code in enumerate(table)}
    return [index.get(str(v), -1) if not _na(v) else -1 for v in values]


def _na(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    return "" if _na(value) else str(value).strip()


def _int_or_none(values: pd.Series, factor: float = 1.0) -> list[int | None]:
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64) * factor
    return [None if math.isnan(v) or math.isinf(v) else round(v) for v in num]


class _Dict:
    """Dictionary encoding of display strings: ``values`` → indices into ``words``."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, word: str | None) -> int:
        if word is None or word == "":
            return -1
        if word not in self._index:
            self._index[word] = len(self.words)
            self.words.append(word)
        return self._index[word]


# ------------------------------------------------------------------------------- payload


def build_payload(layers: MapLayers, *, shift: Shift | None = None) -> dict[str, Any]:
    """The page's data.

    Parameters
    ----------
    layers
        What to show.
    shift
        Coordinate transform applied to every geometry (WGS84 → GCJ-02 for 高德 tiles).

    Returns
    -------
    dict
        JSON-ready payload (see the module docstring); the browser script documents the
        keys it reads.
    """
    region = layers.region

    def prep(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = to_wgs84(frame)
        if shift is not None and len(out):
            out = out.set_geometry(shapely.transform(out.geometry.to_numpy(), shift),
                                   crs="EPSG:4326")
        return out

    county_m = region.to_metric(region.county).union_all()
    county = prep(simplify_metric(region.county, region.metric_crs, tolerance_m=SIMPLIFY_M,
                                  coverage=False))
    towns = prep(simplify_metric(region.townships, region.metric_crs, tolerance_m=SIMPLIFY_M,
                                 coverage=True))
    town_codes = towns["code"].astype(str).tolist()
    town_index = {c: i for i, c in enumerate(town_codes)}
    town_by_name = {str(n): i for i, n in enumerate(towns["name"])}
    label_pts = towns.geometry.representative_point()
    info = layers.meta
    minx, miny, maxx, maxy = county.total_bounds

    payload: dict[str, Any] = {
        "v": 1,
        "scale": SCALE,
        "info": {
            "title": info.title, "region": info.region_name, "code": info.region_code,
            "date": info.data_date, "source": info.source, "org": info.organisation,
            "made": info.made_on, "fictional": fictional_note(info.source),
            "approx": bool(info.approximate_townships),
        },
        "bounds": [[miny, minx], [maxy, maxx]],
        "county": encode_polygons(county.union_all()),
        "towns": {
            "code": town_codes, "name": [_text(n) for n in towns["name"]],
            "py": initials(towns["name"]),
            "lx": _q(label_pts.x.to_numpy()).tolist(), "ly": _q(label_pts.y.to_numpy()).tolist(),
            "g": [encode_polygons(g) for g in towns.geometry],
        },
        "vocab": _vocab(),
    }
    villages = region.villages
    if villages is not None and len(villages):
        vill = prep(simplify_metric(villages, region.metric_crs, tolerance_m=SIMPLIFY_M * 1.5,
                                    coverage=True))
        payload["villages"] = {"name": [_text(n) for n in vill["name"]],
                               "code": vill["code"].astype(str).tolist(),
                               "g": [encode_polygons(g) for g in vill.geometry]}
    # townships of the region with no area to draw (codes-only townships whose villages
    # have no coordinates): the loader has reported them (township_without_area)
    undrawn = set(region.townships["code"].astype(str)) - set(town_index)
    payload.update(_rates(layers, town_index, undrawn=undrawn))
    places = _Places(town_index, town_by_name, room_kinds=layers.room_kinds)
    for kind in _kinds(region.layers):
        places.add_facilities(kind, prep(region.layers[kind]))
    if layers.demand is not None and len(layers.demand):
        places.add_demand(prep(layers.demand))
    if layers.suggestions is not None and len(layers.suggestions):
        payload["sugg"] = places.add_suggestions(prep(layers.suggestions))
    payload["places"] = places.payload()
    if layers.isochrones is not None and len(layers.isochrones):
        payload["iso"] = _isochrones(layers.isochrones, region, county_m, prep)
    if layers.roads is not None and len(layers.roads):
        payload["roads"] = _roads(prep(layers.roads), region)
    if layers.water is not None and len(layers.water):
        payload["water"] = _water(prep(layers.water), region)
    if layers.places is not None and len(layers.places):
        payload["labels"] = _labels(prep(layers.places))
    return payload


def _kinds(available: Iterable[str]) -> list[str]:
    names = list(available)
    return [k for k in vocab.KNOWN_KINDS if k in names] + \
        [k for k in names if k not in vocab.KNOWN_KINDS]


def _vocab() -> dict[str, Any]:
    """Lookup tables: code → words, colours and shapes (the page never spells a code)."""
    status = [[c, *st.STATUS_STYLE[c]] for c in st.STATUS_STYLE]  # code, stroke, fill, label
    return {
        "status": status,
        "access": [[c, t.zh] for c, t in vocab.ACCESS_STATUS.items()],
        "reason": [[c, t.zh] for c, t in vocab.SUGGEST_REASON.items()],
        "rate_class": [[c, fill, label] for c, (fill, label) in st.RATE_CLASSES.items()],
        "time": [[c, None if math.isnan(u) else (None if math.isinf(u) else u), color, label]
                 for c, (u, color, label) in st.TIME_CLASSES.items()],
        "iso_colors": list(st.ISOCHRONE_COLORS),
        "uncovered": st.UNCOVERED_COLOR,
        "lines": {"county": st.COUNTY_COLOR, "township": st.TOWNSHIP_COLOR,
                  "village": st.VILLAGE_COLOR},
        "roads": [[c, lab, z, w, col] for c, (lab, z, w, col) in ROAD_CLASSES.items()],
        "water": [[c, WATER_LABELS[c]] for c in WATER_KINDS],
        "place_kinds": [[c, *v] for c, v in PLACE_KINDS.items()],
        "fields": {c: lab for c, lab in (*st.FACILITY_FIELDS, *st.DEMAND_FIELDS,
                                         *st.SUGGESTION_FIELDS)},
    }


# ------------------------------------------------------------------------------- rates


def _rate_text(rate: object, status: str | None) -> str:
    """A rate as shown: the percentage, "—" where it does not apply, 无数据 where unknown."""
    text = st.fmt_value("rate", rate)
    if text:
        return text
    return "—" if status == "not_applicable" else vocab.GAP_STATUS.label("no_data")


def _rates(layers: MapLayers, town_index: dict[str, int], *, undrawn: set[str]
           ) -> dict[str, Any]:
    """Indicators (headline first) and the township rows of each, display text included."""
    out: dict[str, Any] = {}
    ids = layers.indicator_ids()
    unknown: set[str] = set()
    inds: list[dict[str, Any]] = []
    rows: dict[str, list[Any]] = {k: [] for k in (
        "t", "i", "cls", "rate", "target", "num", "den", "short", "status", "unl")}
    for ind in ids:
        frame = layers.rates_for(ind or None)
        if frame is None:
            continue
        name = _first_text(frame, "indicator_name") or "建设完成率"
        targets = sorted({float(t) for t in pd.to_numeric(frame["target"], errors="coerce")
                          .dropna()})
        cites = [c for c in dict.fromkeys(frame["citation"].map(_text))
                 if c] if "citation" in frame else []
        inds.append({"id": ind, "name": name, "cite": "；".join(cites),
                     "target": st.fmt_value("target", targets[0]) if len(targets) == 1
                     else "各乡镇不同"})
        for _, row in frame.iterrows():
            code = str(row["township_code"])
            if code not in town_index:
                if code not in undrawn and code not in unknown:  # once per code
                    unknown.add(code)
                    logger.warning("township_rates: township code %s (%s) is not in the "
                                   "region; its rows are not mapped", code, name)
                continue
            status = _text(row.get("status"))
            cls = st.rate_class(row["rate"], row["target"])
            rows["t"].append(town_index[code])
            rows["i"].append(len(inds) - 1)
            rows["cls"].append(list(st.RATE_CLASSES).index(cls))
            rows["rate"].append(_rate_text(row["rate"], status))
            rows["target"].append(st.fmt_value("target", row["target"]) or "")
            rows["num"].append(_fmt(row, "numerator"))
            rows["den"].append(_fmt(row, "denominator"))
            rows["short"].append(_fmt(row, "shortfall"))
            rows["status"].append(vocab.GAP_STATUS.label(status) if status else
                                  st.RATE_CLASSES[cls][1])
            rows["unl"].append(_fmt(row, "unlocated"))
    out["ind"] = inds
    out["rates"] = rows
    county = layers.county_rates
    if county is not None and len(county):
        out["countyRates"] = [{
            "name": _text(row.get("indicator_name")) or _text(row.get("indicator_id")),
            "rate": _rate_text(row["rate"], _text(row.get("status"))),
            "target": st.fmt_value("target", row["target"]) or "",
            "num": _fmt(row, "numerator"), "den": _fmt(row, "denominator"),
            "short": _fmt(row, "shortfall"),
            "status": vocab.GAP_STATUS.label(_text(row.get("status"))),
            "cls": st.rate_class(row["rate"], row["target"]),
        } for _, row in county.iterrows()]
    return out


def _first_text(frame: pd.DataFrame, column: str) -> str:
    if column not in frame:
        return ""
    values = [v for v in frame[column].map(_text) if v]
    return values[0] if values else ""


def _fmt(row: pd.Series, column: str) -> str:
    if column not in row.index:
        return ""
    return st.fmt_value("shortfall" if column == "unlocated" else column, row[column]) or ""


# ------------------------------------------------------------------------------- places


class _Places:
    """Accumulates the one table of places (facilities, demand points, suggested sites)."""

    def __init__(self, town_index: dict[str, int], town_by_name: dict[str, int], *,
                 room_kinds: tuple[str, ...] = DEFAULT_KINDS) -> None:
        self.room_kinds = room_kinds
        self.town_index = town_index
        self.town_by_name = town_by_name
        self.kinds: list[str] = []
        self.cols: dict[str, list[Any]] = {k: [] for k in (
            "x", "y", "name", "code", "kind", "status", "town", "pop", "fac")}
        self.extra: dict[str, tuple[str, _Dict, list[int]]] = {}
        self.key: dict[tuple[str, str], int] = {}
        self.demand: dict[str, list[Any]] | None = None
        self.services = _Dict()

    @property
    def n(self) -> int:
        return len(self.cols["x"])

    def _towns(self, frame: pd.DataFrame) -> list[int]:
        codes = frame["township_code"] if "township_code" in frame else \
            pd.Series(pd.NA, index=frame.index)
        names = frame["township_name"] if "township_name" in frame else \
            pd.Series(pd.NA, index=frame.index)
        out = []
        for code, name in zip(codes, names, strict=True):
            idx = self.town_index.get(str(code), -1) if not _na(code) else -1
            if idx < 0 and not _na(name):
                idx = self.town_by_name.get(str(name), -1)
            out.append(idx)
        return out

    def _kind(self, kind: str) -> int:
        if kind not in self.kinds:
            self.kinds.append(kind)
        return self.kinds.index(kind)

    def _append(self, frame: gpd.GeoDataFrame, kinds: Sequence[str], *, fac: int) -> range:
        start = self.n
        c = self.cols
        c["x"].extend(_q(frame.geometry.x.to_numpy()).tolist())
        c["y"].extend(_q(frame.geometry.y.to_numpy()).tolist())
        c["name"].extend(_text(v) for v in frame["name"])
        ids = frame["id"] if "id" in frame else pd.Series(pd.NA, index=frame.index)
        c["code"].extend(_text(v) for v in ids)
        c["kind"].extend(self._kind(k) for k in kinds)
        status = frame["status"] if ("status" in frame and fac) else \
            pd.Series(pd.NA, index=frame.index)
        st_codes = list(st.STATUS_STYLE)
        c["status"].extend(st_codes.index(str(s)) if str(s) in st_codes else
                           st_codes.index("na") for s in status)
        c["town"].extend(self._towns(frame))
        pop = frame["population"] if "population" in frame else \
            pd.Series(np.nan, index=frame.index)
        c["pop"].extend(_int_or_none(pop))
        c["fac"].extend([fac] * len(frame))
        for i, (kind, code) in enumerate(zip(kinds, ids, strict=True)):
            if not _na(code):
                self.key[(kind, str(code))] = start + i
        for col, lab in _EXTRA_FIELDS:
            if col not in frame or not frame[col].notna().any():
                continue
            if col not in self.extra:
                self.extra[col] = (lab, _Dict(), [-1] * start)
            words = self.extra[col][1]
            self.extra[col][2].extend(words.add(st.fmt_value(col, v)) for v in frame[col])
        for _, _, values in self.extra.values():
            values.extend([-1] * (self.n - len(values)))
        return range(start, self.n)

    def add_facilities(self, kind: str, frame: gpd.GeoDataFrame) -> None:
        if len(frame):
            self._append(frame, [kind] * len(frame), fac=1)

    def _match(self, frame: gpd.GeoDataFrame, default_kind: str) -> tuple[np.ndarray, list[str]]:
        """Place index of each row (-1 when new) and each row's kind."""
        ids = frame["id"] if "id" in frame else pd.Series(pd.NA, index=frame.index)
        if "kind" in frame:
            kinds = [_text(k) or default_kind for k in frame["kind"]]
            found = [self.key.get((k, str(i)), -1) if not _na(i) else -1
                     for k, i in zip(kinds, ids, strict=True)]
        else:  # no kind column: an id that only one place has
            by_id: dict[str, int] = {}
            for (_, code), pos in self.key.items():
                by_id[code] = -2 if code in by_id else pos
            found = [max(by_id.get(str(i), -1), -1) if not _na(i) else -1 for i in ids]
            kinds = [self.kinds[self.cols["kind"][f]] if f >= 0 else default_kind
                     for f in found]
        return np.asarray(found, dtype=np.int64), kinds

    def add_demand(self, demand: gpd.GeoDataFrame) -> None:
        found, kinds = self._match(demand, "village")
        new = found < 0
        if new.any():
            rows = self._append(demand[new], [k for k, m in zip(kinds, new, strict=True) if m],
                                fac=0)
            found[new] = np.asarray(rows)
        d: dict[str, list[Any]] = {k: [None] * self.n for k in ("t", "d", "cov", "acc", "svc")}
        st_codes = list(vocab.ACCESS_STATUS)
        time_tenths = _int_or_none(demand["time_min"], 10.0)
        dist = _int_or_none(demand["dist_m"]) if "dist_m" in demand else [None] * len(demand)
        cov = demand["covered"] if "covered" in demand else pd.Series(pd.NA, index=demand.index)
        acc = demand["access_status"] if "access_status" in demand else \
            pd.Series(pd.NA, index=demand.index)
        svc = demand["service_name"] if "service_name" in demand else \
            pd.Series(pd.NA, index=demand.index)
        for j, p in enumerate(found.tolist()):
            d["t"][p] = time_tenths[j]
            d["d"][p] = dist[j]
            d["cov"][p] = None if _na(cov.iloc[j]) else int(bool(cov.iloc[j]))
            a = _text(acc.iloc[j])
            d["acc"][p] = st_codes.index(a) if a in st_codes else None
            d["svc"][p] = self.services.add(_text(svc.iloc[j]))
        self.demand = d

    def add_suggestions(self, sug: gpd.GeoDataFrame) -> dict[str, Any]:
        found, kinds = self._match(sug, "candidate")
        new = found < 0
        if new.any():
            rows = self._append(sug[new], [k for k, m in zip(kinds, new, strict=True) if m],
                                fac=0)
            found[new] = np.asarray(rows)
        phases = sug["phase"] if "phase" in sug else pd.Series(pd.NA, index=sug.index)
        phase_txt = [st.fmt_value("phase", p) or "" for p in phases]
        colors = st.phase_colors([p for p in phase_txt if p])
        keys = list(colors)
        reason = sug["reason"] if "reason" in sug else pd.Series(pd.NA, index=sug.index)
        expl = sug["explanation"] if "explanation" in sug else pd.Series("", index=sug.index)
        gain = sug["gain_population"] if "gain_population" in sug else \
            pd.Series(np.nan, index=sug.index)
        towns = self._towns(sug)
        return {
            "p": found.tolist(),
            "rank": _int_or_none(sug["rank"]),
            "phase": [keys.index(p) if p in colors else -1 for p in phase_txt],
            "reason": _codes(reason, list(vocab.SUGGEST_REASON)),
            "gain": _int_or_none(gain),
            "expl": [_text(e) for e in expl],
            "town": towns,
            "phases": [[k, st.phase_label(k), c] for k, c in colors.items()],
            "color": st.SUGGESTION_COLOR,
        }

    def payload(self) -> dict[str, Any]:
        c = self.cols
        out: dict[str, Any] = {
            "n": self.n,
            "x": _delta(np.asarray(c["x"])), "y": _delta(np.asarray(c["y"])),
            "name": c["name"], "code": front_code(c["code"]), "py": initials(c["name"]),
            "kind": pack_small(c["kind"]), "status": pack_small(c["status"]),
            "town": c["town"], "pop": c["pop"], "fac": pack_small(c["fac"]),
            "kinds": [[k, vocab.KIND.label(k), st.LAYER_TITLES.get(k, vocab.KIND.label(k)),
                       st.KIND_SHAPE.get(k, "circle"), int(k in self.room_kinds)]
                      for k in self.kinds],
            "extra": [[col, lab, words.words, values]
                      for col, (lab, words, values) in self.extra.items()],
        }
        if self.demand is not None:
            for values in self.demand.values():  # places added after the demand points
                values.extend([None] * (self.n - len(values)))
            out["demand"] = self.demand
            out["services"] = self.services.words
        return out


# ------------------------------------------------------------------------------- areas, lines


def _isochrones(iso: gpd.GeoDataFrame, region: Any, county_m: shapely.Geometry,
                prep: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> list[dict[str, Any]]:
    """Isochrone areas clipped to the county and simplified, largest first per service."""
    metric = region.to_metric(iso[located_mask(iso)])
    geoms = shapely.intersection(shapely.make_valid(metric.geometry.to_numpy()),
                                 shapely.make_valid(county_m))
    geoms = shapely.simplify(geoms, SIMPLIFY_M)
    clipped = gpd.GeoDataFrame(metric.drop(columns="geometry"), geometry=geoms,
                               crs=metric.crs)
    clipped = prep(clipped.to_crs("EPSG:4326"))
    out = []
    services = list(dict.fromkeys(clipped["service_name"].map(_text)))
    for si, service in enumerate(services):
        sel = clipped[clipped["service_name"].map(_text) == service]
        minutes = sorted({float(m) for m in sel["minutes"].dropna()})
        for _, row in sel.sort_values("minutes", ascending=False).iterrows():
            mode = _text(row.get("mode"))
            out.append({
                "s": si, "service": service, "min": float(row["minutes"]),
                "mode": vocab.MODE.label(mode) if mode else "",
                "band": minutes.index(float(row["minutes"])),
                "g": encode_polygons(row.geometry),
            })
    return out


def _roads(roads: gpd.GeoDataFrame, region: Any) -> dict[str, Any]:
    classes = list(ROAD_CLASSES)
    metric = region.to_metric(roads)
    geoms = shapely.simplify(metric.geometry.to_numpy(), ROAD_SIMPLIFY_M)
    wgs = gpd.GeoSeries(geoms, crs=metric.crs).to_crs("EPSG:4326")
    cls, lines, names = [], [], _Dict()
    name_idx = []
    road_names = roads["name"] if "name" in roads else pd.Series(pd.NA, index=roads.index)
    unknown = 0
    for code, geom, name in zip(roads["road_class"].map(_text), wgs, road_names, strict=True):
        if code not in classes:
            unknown += 1
            code = "minor"
        for part in encode_lines(geom):
            cls.append(classes.index(code))
            lines.append(part)
            name_idx.append(names.add(_text(name)))
    if unknown:
        logger.warning("roads: %d lines with an unknown road_class are drawn as minor roads "
                       "(use one of %s)", unknown, ", ".join(classes))
    return {"cls": cls, "g": lines, "name": name_idx, "names": names.words}


def _water(water: gpd.GeoDataFrame, region: Any) -> dict[str, Any]:
    metric = region.to_metric(water)
    geoms = shapely.simplify(metric.geometry.to_numpy(), ROAD_SIMPLIFY_M)
    wgs = gpd.GeoSeries(geoms, crs=metric.crs).to_crs("EPSG:4326")
    kinds = list(WATER_KINDS)
    lines, lk, areas, ak = [], [], [], []
    for code, geom in zip(water["water_kind"].map(_text), wgs, strict=True):
        k = kinds.index(code) if code in kinds else kinds.index("water")
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            areas.append(encode_polygons(geom))
            ak.append(k)
        else:
            for part in encode_lines(geom):
                lines.append(part)
                lk.append(k)
    return {"lines": lines, "lk": lk, "areas": areas, "ak": ak}


def _labels(places: gpd.GeoDataFrame) -> dict[str, Any]:
    kinds = list(PLACE_KINDS)
    sel = places[places["name"].map(_text) != ""]
    return {
        "x": _q(sel.geometry.x.to_numpy()).tolist(), "y": _q(sel.geometry.y.to_numpy()).tolist(),
        "name": [_text(n) for n in sel["name"]], "py": initials(sel["name"]),
        "kind": [kinds.index(k) if k in kinds else kinds.index("locality")
                 for k in sel["place_kind"].map(_text)],
    }
