"""One road file for a synthetic city: the counties' networks joined across their borders.

Each county's roads are generated on their own (:mod:`coverage.datasets._roads`); here they
are renumbered into one id space and joined:

* **through roads** — every road end a county's generator ran out of the county (the national
  and provincial roads leave 1.5 km beyond the border) and that lies in another county is
  extended, with the same tags, to the nearest road node of that county;
* **border links** — along each shared border, every ~5 km, the nearest road nodes on both
  sides (each within 2 km of the border) are joined by a village road (``unclassified``).

Joins are straight lines with a node every ~80 m, so villages near the border reach the next
county's network.  The file is written as OSM PBF with pyosmium, nodes then ways by id.
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry import Point, Polygon

from coverage.datasets._geo import to_local

__all__ = ["OsmData", "join_counties", "parse_osm_xml", "write_pbf"]

logger = logging.getLogger(__name__)

#: Spacing of the nodes of a joining road (km); border-link sampling step and reach (km).
_STEP_KM = 0.08
_BORDER_STEP_KM = 5.0
_BORDER_REACH_KM = 2.0


@dataclass
class OsmData:
    """Nodes and ways of one OSM file (ids positive, in file order)."""

    node_ids: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    node_tags: list[dict[str, str]] = field(default_factory=list)
    way_ids: list[int] = field(default_factory=list)
    way_refs: list[list[int]] = field(default_factory=list)
    way_tags: list[dict[str, str]] = field(default_factory=list)

    def add_node(self, nid: int, lon: float, lat: float,
                 tags: dict[str, str] | None = None) -> None:
        self.node_ids.append(nid)
        self.lon.append(lon)
        self.lat.append(lat)
        self.node_tags.append(tags or {})

    def add_way(self, wid: int, refs: list[int], tags: dict[str, str]) -> None:
        self.way_ids.append(wid)
        self.way_refs.append(refs)
        self.way_tags.append(tags)


def parse_osm_xml(text: str, *, node_offset: int, way_offset: int) -> OsmData:
    """Nodes and ways of a generated OSM XML text, ids shifted by the offsets."""
    out = OsmData()
    root = ET.fromstring(text)
    for el in root:
        tags = {t.get("k", ""): t.get("v", "") for t in el.findall("tag")}
        if el.tag == "node":
            out.add_node(int(el.get("id", "0")) + node_offset, float(el.get("lon", "0")),
                         float(el.get("lat", "0")), tags)
        elif el.tag == "way":
            refs = [int(nd.get("ref", "0")) + node_offset for nd in el.findall("nd")]
            out.add_way(int(el.get("id", "0")) + way_offset, refs, tags)
    return out


def _km(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    x, y = to_local(lon, lat)
    return np.column_stack([x, y])


class _Joiner:
    def __init__(self, parts: list[OsmData], counties: list[Polygon]) -> None:
        self.parts = parts
        self.counties = counties
        self.out = OsmData()
        for p in parts:
            for i in range(len(p.node_ids)):
                self.out.add_node(p.node_ids[i], p.lon[i], p.lat[i], p.node_tags[i])
        self.next_node = max(self.out.node_ids) + 1
        self.next_way = max(w for p in parts for w in p.way_ids) + 1
        self.links: list[tuple[list[int], dict[str, str]]] = []
        self.pos = {nid: (lo, la) for nid, lo, la in
                    zip(self.out.node_ids, self.out.lon, self.out.lat, strict=True)}
        # per county: its road nodes inside its own outline (not the ends it ran out)
        self.inside: list[NDArray[np.int64]] = []
        self.trees: list[cKDTree] = []
        for k, p in enumerate(parts):
            road = sorted({r for refs, tags in zip(p.way_refs, p.way_tags, strict=True)
                           if tags.get("highway") not in (None, "track") for r in refs})
            xy = np.array([self.pos[r] for r in road])
            ok = shapely.contains_xy(counties[k], xy[:, 0], xy[:, 1])
            ids = np.asarray(road, dtype=np.int64)[ok]
            self.inside.append(ids)
            lon = np.array([self.pos[int(i)][0] for i in ids])
            lat = np.array([self.pos[int(i)][1] for i in ids])
            self.trees.append(cKDTree(_km(lon, lat)))

    def nearest(self, county: int, lon: float, lat: float) -> tuple[int, float]:
        d, i = self.trees[county].query(_km(np.array([lon]), np.array([lat]))[0])
        return int(self.inside[county][int(i)]), float(d)

    def link(self, a: int, b: int, tags: dict[str, str]) -> None:
        (lo0, la0), (lo1, la1) = self.pos[a], self.pos[b]
        dx, dy = _km(np.array([lo0, lo1]), np.array([la0, la1])).T
        n = max(1, math.ceil(math.hypot(dx[1] - dx[0], dy[1] - dy[0]) / _STEP_KM))
        refs = [a]
        for t in np.linspace(0.0, 1.0, n + 1)[1:-1]:
            nid = self.next_node
            self.next_node += 1
            self.out.add_node(nid, round(lo0 + t * (lo1 - lo0), 7), round(la0 + t * (la1 - la0), 7))
            self.pos[nid] = (self.out.lon[-1], self.out.lat[-1])
            refs.append(nid)
        refs.append(b)
        self.links.append((refs, tags))

    def through_roads(self) -> int:
        n = 0
        for k, p in enumerate(self.parts):
            for refs, tags in zip(p.way_refs, p.way_tags, strict=True):
                if tags.get("highway") in (None, "track"):
                    continue
                for end in (refs[0], refs[-1]):
                    pt = Point(self.pos[end])
                    if self.counties[k].contains(pt):
                        continue
                    for j, poly in enumerate(self.counties):
                        if j != k and poly.contains(pt):
                            target, _ = self.nearest(j, *self.pos[end])
                            self.link(end, target, {t: v for t, v in tags.items()
                                                    if t not in ("bridge", "layer", "oneway")})
                            n += 1
                            break
        return n

    def border_links(self) -> int:
        n = 0
        seen: set[tuple[int, int]] = set()
        for i in range(len(self.counties)):
            for j in range(i + 1, len(self.counties)):
                shared = self.counties[i].boundary.intersection(self.counties[j].boundary)
                for line in shapely.get_parts(shapely.line_merge(shared)):
                    if line.geom_type != "LineString":
                        continue
                    lon, lat = np.asarray(line.coords).T
                    xy = _km(lon, lat)
                    seg = np.hypot(*np.diff(xy, axis=0).T)
                    length = float(seg.sum())
                    for s in np.arange(_BORDER_STEP_KM / 2, length, _BORDER_STEP_KM):
                        q = line.interpolate(s / length, normalized=True)
                        a, da = self.nearest(i, q.x, q.y)
                        b, db = self.nearest(j, q.x, q.y)
                        if max(da, db) > _BORDER_REACH_KM or (a, b) in seen:
                            continue
                        seen.add((a, b))
                        self.link(a, b, {"highway": "unclassified"})
                        n += 1
        return n

    def result(self) -> OsmData:
        for p in self.parts:
            for wid, refs, tags in zip(p.way_ids, p.way_refs, p.way_tags, strict=True):
                self.out.add_way(wid, refs, tags)
        for refs, tags in self.links:
            self.out.add_way(self.next_way, refs, tags)
            self.next_way += 1
        return self.out


def join_counties(xml_texts: list[str], counties: list[Polygon]) -> OsmData:
    """Join the counties' generated road networks into one (see the module docstring).

    Parameters
    ----------
    xml_texts
        Each county's OSM XML (ids from 1).
    counties
        Each county's outline (lon/lat), in the same order.

    Returns
    -------
    OsmData
        All nodes (ids unique across counties), the counties' ways, then the joining ways.
    """
    parts: list[OsmData] = []
    n_off = w_off = 0
    for text in xml_texts:
        part = parse_osm_xml(text, node_offset=n_off, way_offset=w_off)
        parts.append(part)
        n_off = max(part.node_ids)
        w_off = max(part.way_ids)
    j = _Joiner(parts, counties)
    through = j.through_roads()
    border = j.border_links()
    logger.info("city roads: %d through roads, %d border links", through, border)
    return j.result()


def write_pbf(data: OsmData, path: Path) -> None:
    """Write ``data`` as OSM PBF (pyosmium; nodes then ways, version 1, no metadata)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid, lo, la, tags in zip(data.node_ids, data.lon, data.lat, data.node_tags,
                                     strict=True):
            writer.add_node(Node(id=nid, location=(lo, la), tags=tags, version=1))
        for wid, refs, tags in zip(data.way_ids, data.way_refs, data.way_tags, strict=True):
            writer.add_way(Way(id=wid, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()
