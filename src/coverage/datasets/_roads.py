"""A synthetic, hierarchical road network for the demo county, written as OSM XML.

The skeleton is a Delaunay graph over the settlements (plus a few boundary entry points and
the edge of the county-seat street grid); edges across the river survive only at a few
bridges.  Routes then classify the edges: the national road (trunk) and provincial roads
(primary) run through the county seat, county roads (secondary, 县道 X…) link the seat to every
township seat, township roads (tertiary, 乡道 Y…) and village roads (unclassified) form the
shortest-path trees from each township seat to its villages, and a few extra links and farm
tracks add loops and dead ends.  Every edge is drawn as a gently curving polyline with an OSM
node every few tens of metres.

For the maps' reference layers the file also holds the river (``waterway=river``, named 澄河
after the county) and a ``place`` node per seat: the county seat ``place=town``, each 镇/乡
seat ``place=village``, each 街道 ``place=suburb``.  They are written after the roads (new
node and way ids, no random draws), so the road network and its routing do not change.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import LineString, Point, Polygon

from coverage.datasets._geo import to_lonlat
from coverage.datasets._names import COUNTY_SHORT

logger = logging.getLogger(__name__)

RANKS = ("trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "track")
_RANK = {h: i for i, h in enumerate(RANKS)}
#: (curviness as a fraction of the length, node spacing in km) per class
_SHAPE = {
    "trunk": (0.015, 0.09),
    "primary": (0.025, 0.08),
    "secondary": (0.04, 0.07),
    "tertiary": (0.06, 0.06),
    "unclassified": (0.07, 0.055),
    "residential": (0.0, 0.08),
    "track": (0.10, 0.05),
}
_MAXSPEED = {"trunk": "80", "primary": "60", "secondary": "60", "tertiary": "40"}
#: OSM ``place`` value and name suffix of a township seat, per township kind
_PLACE = {"street": ("suburb", "街道"), "town": ("village", "镇"), "township": ("village", "乡")}


@dataclass(frozen=True)
class RoadInput:
    """What the road builder needs (all local km).

    Attributes
    ----------
    county
        County outline.
    river
        River centre line (edges crossing it need a bridge).
    seat
        County seat (centre of the street grid).
    core_radius
        Radius of the county-seat street grid.
    units
        ``(V, 2)`` village/community points.
    unit_township
        Township index of each unit.
    unit_names
        Unit names (for road names).
    township_names
        Short township names.
    hilly
        Per township: True for the remote hill township (slow village roads and tracks).
    township_kinds
        Per township: ``street`` (街道), ``town`` (镇) or ``township`` (乡), for the place
        nodes; empty: no place nodes.
    county_short, county_suffix
        The county's short name (names the river and the county roads) and its suffix
        (县/区/市; with the short name, the county seat's place name).
    """

    county: Polygon
    river: LineString
    seat: tuple[float, float]
    core_radius: float
    units: NDArray[np.float64]
    unit_township: NDArray[np.int64]
    unit_names: list[str]
    township_names: list[str]
    hilly: list[bool]
    township_kinds: tuple[str, ...] = ()
    county_short: str = COUNTY_SHORT
    county_suffix: str = "县"


@dataclass
class RoadStats:
    """Counts reported by the builder."""

    osm_nodes: int = 0
    osm_ways: int = 0
    km_by_class: dict[str, float] = field(default_factory=dict)
    bridges: int = 0


@dataclass
class _Edge:
    rank: int
    tags: dict[str, str]
    bridge: bool = False
    oneway_forward: bool | None = None  # None: two-way; True: u->v; False: v->u


def _key(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u < v else (v, u)


class _Builder:
    def __init__(self, inp: RoadInput, rng: np.random.Generator) -> None:
        self.inp = inp
        self.rng = rng
        self.xy: list[tuple[float, float]] = []
        self.edges: dict[tuple[int, int], _Edge] = {}
        self.g = nx.Graph()
        self.unit_node: list[int] = []
        self.stats = RoadStats()

    # ------------------------------------------------------------------ nodes and edges
    def node(self, x: float, y: float) -> int:
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def length(self, u: int, v: int) -> float:
        (x1, y1), (x2, y2) = self.xy[u], self.xy[v]
        return math.hypot(x2 - x1, y2 - y1)

    def set_edge(self, u: int, v: int, highway: str, tags: dict[str, str] | None = None,
                 *, weight_factor: float = 1.0) -> None:
        k = _key(u, v)
        rank = _RANK[highway]
        e = self.edges.get(k)
        if e is None:
            self.edges[k] = _Edge(rank=rank, tags=dict(tags or {}))
            self.g.add_edge(k[0], k[1], weight=self.length(u, v) * weight_factor)
        elif rank < e.rank:
            e.rank = rank
            e.tags = dict(tags or {})

    # ------------------------------------------------------------------ the street grid
    def street_grid(self) -> int:
        inp = self.inp
        sx, sy = inp.seat
        step = 0.32
        n = int(inp.core_radius / step)
        ang = math.radians(11.0)
        ca, sa = math.cos(ang), math.sin(ang)
        grid: dict[tuple[int, int], int] = {}
        for i in range(-n, n + 1):
            for j in range(-n, n + 1):
                u, v = i * step, j * step
                if math.hypot(u, v) > inp.core_radius:
                    continue
                x, y = sx + u * ca - v * sa, sy + u * sa + v * ca
                if not inp.county.contains(Point(x, y)):
                    continue
                grid[(i, j)] = self.node(x, y)
        from coverage.datasets._names import STREET_NAMES_EW, STREET_NAMES_NS

        for (i, j), a in sorted(grid.items()):
            for di, dj in ((1, 0), (0, 1)):
                b = grid.get((i + di, j + dj))
                if b is None:
                    continue
                if dj == 0:  # east-west street at row j
                    line = j
                    name = STREET_NAMES_EW[(line + n) % len(STREET_NAMES_EW)]
                else:
                    line = i
                    name = STREET_NAMES_NS[(line + n) % len(STREET_NAMES_NS)]
                tags = {"name": name}
                axis = line == 0
                if axis:
                    tags["maxspeed"] = "50"
                    tags["lanes"] = "4"
                elif abs(line) % 3 == 0:
                    tags["maxspeed"] = "40"
                self.set_edge(a, b, "primary" if axis else "residential", tags,
                              weight_factor=0.8 if axis else 1.0)
                e = self.edges[_key(a, b)]
                interior = all(
                    (ci + ei, cj + ej) in grid
                    for ci, cj in ((i, j), (i + di, j + dj))
                    for ei, ej in ((1, 0), (-1, 0), (0, 1), (0, -1), (2, 0), (-2, 0), (0, 2),
                                   (0, -2)))
                if not axis and interior and abs(line) % 4 == 2:
                    forward = (line // 4) % 2 == 0
                    e.tags["oneway"] = "yes"
                    e.oneway_forward = forward if a < b else not forward
        self.grid = grid
        seat_node = grid[(0, 0)]
        # Junctions where the grid meets the country roads: its outer ring, every other node
        ring = [k for k in sorted(grid) if any(
            (k[0] + di, k[1] + dj) not in grid for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)))]
        self.grid_ring = [grid[k] for k in ring[::2]]
        return seat_node

    # ------------------------------------------------------------------ skeleton
    def entry_point(self, angle_deg: float, out_km: float = 1.5) -> int:
        sx, sy = self.inp.seat
        a = math.radians(angle_deg)
        ray = LineString([(sx, sy), (sx + 80 * math.cos(a), sy + 80 * math.sin(a))])
        hit = ray.intersection(self.inp.county.exterior)
        pts = sorted(shapely.get_parts(hit), key=lambda p: -Point(sx, sy).distance(p))
        p = pts[0]
        return self.node(p.x + out_km * math.cos(a), p.y + out_km * math.sin(a))

    def skeleton(self, entries: list[int]) -> None:
        inp = self.inp
        core = Point(inp.seat).buffer(inp.core_radius - 0.05)
        self.unit_node = [-1] * len(inp.units)
        tree = cKDTree(np.array([self.xy[g] for g in sorted(self.grid.values())]))
        grid_ids = sorted(self.grid.values())
        outer: list[int] = []
        for i, (x, y) in enumerate(inp.units):
            if core.contains(Point(x, y)):
                gi = grid_ids[int(tree.query((x, y))[1])]
                nd = self.node(x, y)
                self.unit_node[i] = nd
                if self.length(nd, gi) > 1e-6:
                    self.set_edge(nd, gi, "residential")
            else:
                nd = self.node(x, y)
                self.unit_node[i] = nd
                outer.append(nd)
        dnodes = sorted(set(outer) | set(self.grid_ring) | set(entries))
        pts = np.array([self.xy[d] for d in dnodes])
        tri = Delaunay(pts)
        cand: set[tuple[int, int]] = set()
        for s in tri.simplices:
            for a, b in ((0, 1), (1, 2), (0, 2)):
                cand.add(_key(dnodes[s[a]], dnodes[s[b]]))
        ring = set(self.grid_ring)
        entry_set = set(entries)
        crossing: list[tuple[float, tuple[int, int]]] = []
        county_b = inp.county.buffer(0.3)
        core_in = Point(inp.seat).buffer(inp.core_radius - 0.3)
        self.skel: list[tuple[int, int]] = []
        for u, v in sorted(cand):
            L = self.length(u, v)
            if u in ring and v in ring:
                continue
            if u in entry_set and v in entry_set:
                continue
            line = LineString([self.xy[u], self.xy[v]])
            if line.intersects(core_in):
                continue
            limit = 9.0 if (u in entry_set or v in entry_set) else 6.5
            if limit < L:
                continue
            if not (u in entry_set or v in entry_set) and not county_b.contains(line):
                continue
            if line.intersects(inp.river):
                crossing.append((line.intersection(inp.river).centroid.x, (u, v)))
                continue
            self.skel.append((u, v))
        # bridges: a few short crossings spread along the river
        crossing = [c for c in crossing if self.length(*c[1]) < 4.0]
        crossing.sort()
        if crossing:
            picks = sorted({int(q * (len(crossing) - 1)) for q in (0.08, 0.37, 0.55, 0.9)})
            self.bridges = {_key(*crossing[i][1]) for i in picks}
            self.skel.extend(sorted(self.bridges))
        else:  # pragma: no cover
            self.bridges = set()
        self.stats.bridges = len(self.bridges)
        self.sk = nx.Graph()
        self.sk.add_nodes_from(self.g.nodes)
        for u, v in self.g.edges:
            self.sk.add_edge(u, v, weight=self.g[u][v]["weight"])
        for u, v in self.skel:
            self.sk.add_edge(u, v, weight=self.length(u, v) * 1.15)

    # ------------------------------------------------------------------ routes
    def _route(self, a: int, b: int) -> list[int]:
        return list(nx.dijkstra_path(self.sk, a, b, weight="weight"))

    def _cheapen(self, path: list[int], factor: float) -> None:
        for u, v in itertools.pairwise(path):
            self.sk[u][v]["weight"] = min(self.sk[u][v]["weight"], self.length(u, v) * factor)

    def apply(self, path: list[int], highway: str, tags: dict[str, str]) -> None:
        for u, v in itertools.pairwise(path):
            k = _key(u, v)
            if k in self.edges and self.edges[k].rank <= _RANK["residential"] \
                    and k[0] in self.grid_set and k[1] in self.grid_set:
                continue  # the grid keeps its street names inside town
            self.set_edge(u, v, highway, tags)

    def routes(self, seat: int, entries: dict[str, int], seat_units: list[int]) -> None:
        inp = self.inp
        self.grid_set = set(self.grid.values())
        trunk = {"ref": "G518", "name": "国道518线", "maxspeed": "80", "lanes": "4"}
        for end in ("W", "E"):
            p = self._route(entries[end], seat)
            self.apply(p, "trunk", trunk)
            self._cheapen(p, 0.55)
        s236 = {"ref": "S236", "name": "省道236线", "maxspeed": "60"}
        for end in ("N", "S"):
            p = self._route(entries[end], seat)
            self.apply(p, "primary", s236)
            self._cheapen(p, 0.65)
        p = self._route(entries["SE"], seat)
        self.apply(p, "primary", {"ref": "S247", "name": "省道247线", "maxspeed": "60"})
        self._cheapen(p, 0.65)
        # county roads to every township seat
        order = sorted(range(len(seat_units)), key=lambda t: self.length(seat, seat_units[t]))
        xno = 0
        for t in order:
            target = seat_units[t]
            if target == seat or self.length(seat, target) < inp.core_radius + 0.5:
                continue
            xno += 1
            p = self._route(seat, target)
            self.apply(p, "secondary", {
                "ref": f"X{xno:03d}", "name": f"{inp.county_short[0]}{inp.township_names[t][0]}线",
                "maxspeed": "60" if xno % 3 else "50"})
            self._cheapen(p, 0.75)
        # township and village roads: shortest-path trees from each township seat
        yno = 0
        use: dict[tuple[int, int], int] = {}
        branch_name: dict[tuple[int, int], tuple[str, str]] = {}
        for t in range(len(seat_units)):
            members = [i for i in range(len(inp.units)) if inp.unit_township[i] == t]
            src = seat if self.length(seat, seat_units[t]) < inp.core_radius else seat_units[t]
            _, paths = nx.single_source_dijkstra(self.sk, src, weight="weight")
            far = sorted(members, key=lambda i: -self.length(src, self.unit_node[i]))
            for i in far:
                p = paths[self.unit_node[i]]
                new_branch = None
                for u, v in itertools.pairwise(p):
                    k = _key(u, v)
                    use[k] = use.get(k, 0) + 1
                    if k not in branch_name and new_branch is None:
                        yno += 1
                        new_branch = (f"Y{yno:03d}",
                                      f"{inp.township_names[t]}{inp.unit_names[i][:2]}路")
                    if k not in branch_name and new_branch is not None:
                        branch_name[k] = new_branch
            for i in members:
                p = paths[self.unit_node[i]]
                for u, v in itertools.pairwise(p):
                    k = _key(u, v)
                    if k in self.edges:
                        continue
                    hill = inp.hilly[t]
                    if use[k] >= 3 and not hill:
                        ref, name = branch_name[k]
                        self.set_edge(u, v, "tertiary", {"ref": ref, "name": name,
                                                         "maxspeed": "40"})
                    elif hill and use[k] < 2 and self.rng.random() < 0.5:
                        self.set_edge(u, v, "track", {"tracktype": "grade2"})
                    else:
                        self.set_edge(u, v, "unclassified", {})
        # a few extra links between neighbouring villages (loops), some as farm tracks
        for u, v in sorted(self.skel):
            k = _key(u, v)
            if k in self.edges or self.length(u, v) > 3.0:
                continue
            r = self.rng.random()
            if r < 0.22:
                self.set_edge(u, v, "unclassified", {})
            elif r < 0.34:
                self.set_edge(u, v, "track", {"tracktype": "grade3"})

    def spurs(self) -> None:
        inp = self.inp
        core = Point(inp.seat).buffer(inp.core_radius + 0.3)
        for i, nd in enumerate(self.unit_node):
            x, y = self.xy[nd]
            if core.contains(Point(x, y)):
                continue
            for _ in range(int(self.rng.random() < 0.55)):
                a = self.rng.uniform(0, 2 * math.pi)
                L = self.rng.uniform(0.5, 1.6)
                q = (x + L * math.cos(a), y + L * math.sin(a))
                seg = LineString([(x, y), q])
                if not inp.county.contains(seg) or seg.intersects(inp.river):
                    continue
                end = self.node(*q)
                self.set_edge(nd, end, "track", {"tracktype": "grade4" if i % 2 else "grade3"})

    # ------------------------------------------------------------------ OSM XML
    def polyline(self, u: int, v: int, highway: str) -> NDArray[np.float64]:
        amp, spacing = _SHAPE[highway]
        p, q = np.array(self.xy[u]), np.array(self.xy[v])
        L = float(np.hypot(*(q - p)))
        n = max(1, math.ceil(L / spacing))
        t = np.linspace(0.0, 1.0, n + 1)
        d = (q - p) / max(L, 1e-9)
        normal = np.array([-d[1], d[0]])
        off = np.zeros_like(t)
        if amp > 0:
            for k in (1, 2, 3, 5):
                off += amp * L * self.rng.normal() / k * np.sin(k * np.pi * t)
            off += 0.004 * self.rng.normal(size=len(t)) * (t > 0) * (t < 1)
        return p + np.outer(t, q - p) + np.outer(off, normal)

    def river_nodes(self, road_xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """The river clipped to the bounding box of the road nodes (so the file's bounds
        stay those of the roads), as one piece of local km coordinates."""
        x0, y0 = road_xy.min(axis=0)
        x1, y1 = road_xy.max(axis=0)
        part = self.inp.river.intersection(shapely.box(x0, y0, x1, y1))
        pieces = sorted(shapely.get_parts(part), key=lambda g: -g.length)
        return np.asarray(pieces[0].coords) if pieces else np.zeros((0, 2))

    def places(self, seat_unit: list[int]) -> list[tuple[str, str, float, float]]:
        """``(place, name, x, y)`` of the county seat and of each township seat."""
        inp = self.inp
        seat_name = f"{inp.county_short}{inp.county_suffix}"
        out = [("town", seat_name, inp.seat[0], inp.seat[1])]
        for t, kind in enumerate(inp.township_kinds):
            place, suffix = _PLACE[kind]
            if kind == "street":  # 街道: at the middle of its communities
                x, y = inp.units[inp.unit_township == t].mean(axis=0)
            else:
                x, y = inp.units[seat_unit[t]]
            out.append((place, f"{inp.township_names[t]}{suffix}", float(x), float(y)))
        return out

    def to_osm(self, places: list[tuple[str, str, float, float]]) -> str:
        ways: list[tuple[int, list[int], dict[str, str]]] = []
        node_xy: list[tuple[float, float]] = list(self.xy)
        km: dict[str, float] = {}
        order = sorted(self.edges.items(), key=lambda kv: (kv[1].rank, kv[0]))
        for (u, v), e in order:
            hw = RANKS[e.rank]
            line = self.polyline(u, v, hw)
            ids = [u]
            for x, y in line[1:-1]:
                node_xy.append((float(x), float(y)))
                ids.append(len(node_xy) - 1)
            ids.append(v)
            if e.oneway_forward is False:
                ids.reverse()
            tags = {"highway": hw, **e.tags}
            if (u, v) in self.bridges:
                tags["bridge"] = "yes"
                tags["layer"] = "1"
            km[hw] = km.get(hw, 0.0) + float(np.sum(np.hypot(*np.diff(line, axis=0).T)))
            ways.append((len(ways) + 1, ids, tags))
        used = sorted({i for _, ids, _ in ways for i in ids})
        new_id = {old: k + 1 for k, old in enumerate(used)}
        arr = np.array([node_xy[i] for i in used])
        lon, lat = to_lonlat(arr[:, 0], arr[:, 1])
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<osm version="0.6" generator="coverage demo generator (虚构示例数据)">',
               f'<bounds minlat="{lat.min():.7f}" minlon="{lon.min():.7f}" '
               f'maxlat="{lat.max():.7f}" maxlon="{lon.max():.7f}"/>']
        for k in range(len(used)):
            out.append(f'<node id="{k + 1}" version="1" lat="{lat[k]:.7f}" lon="{lon[k]:.7f}"/>')
        # reference features after the roads: new ids, the roads' ids and order unchanged
        river = self.river_nodes(arr)
        next_id = len(used) + 1
        river_ids = list(range(next_id, next_id + len(river)))
        if len(river):
            r_lon, r_lat = to_lonlat(river[:, 0], river[:, 1])
            out.extend(f'<node id="{i}" version="1" lat="{a:.7f}" lon="{o:.7f}"/>'
                       for i, a, o in zip(river_ids, r_lat, r_lon, strict=True))
        next_id += len(river)
        for k, (place, name, x, y) in enumerate(places):
            p_lon, p_lat = to_lonlat(np.array([x]), np.array([y]))
            out.append(f'<node id="{next_id + k}" version="1" lat="{p_lat[0]:.7f}" '
                       f'lon="{p_lon[0]:.7f}">')
            out.append(f'<tag k="name" v="{_xml_value(name)}"/>')
            out.append(f'<tag k="place" v="{place}"/>')
            out.append("</node>")
        for wid, ids, tags in ways:
            out.append(f'<way id="{wid}" version="1">')
            out.extend(f'<nd ref="{new_id[i]}"/>' for i in ids)
            for tk in sorted(tags):
                out.append(f'<tag k="{tk}" v="{_xml_value(tags[tk])}"/>')
            out.append("</way>")
        if river_ids:
            out.append(f'<way id="{len(ways) + 1}" version="1">')
            out.extend(f'<nd ref="{i}"/>' for i in river_ids)
            out.append(f'<tag k="name" v="{_xml_value(self.inp.county_short)}"/>')
            out.append('<tag k="waterway" v="river"/>')
            out.append("</way>")
        out.append("</osm>")
        self.stats.osm_nodes = len(used)
        self.stats.osm_ways = len(ways)
        self.stats.km_by_class = {h: round(km.get(h, 0.0), 1) for h in RANKS}
        return "\n".join(out) + "\n"


def _xml_value(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def build_roads(
    inp: RoadInput, rng: np.random.Generator, *, seat_unit: list[int]
) -> tuple[str, RoadStats]:
    """Build the network and return the OSM XML text and statistics.

    Parameters
    ----------
    inp
        Geometry and settlements.
    rng
        Random generator (the only source of randomness).
    seat_unit
        Per township, the unit index of its seat (街道: any unit; the county seat is used
        for the roads, the middle of its communities for its place node).

    Returns
    -------
    tuple of (str, RoadStats)
    """
    b = _Builder(inp, rng)
    seat = b.street_grid()
    entries = {name: b.entry_point(a) for name, a in
               (("W", 178.0), ("E", 4.0), ("N", 93.0), ("S", 262.0), ("SE", 318.0))}
    b.skeleton(sorted(entries.values()))
    seat_nodes = [b.unit_node[i] for i in seat_unit]
    b.routes(seat, entries, seat_nodes)
    b.spurs()
    xml = b.to_osm(b.places(seat_unit))
    logger.info("roads: %d OSM nodes, %d ways, %d bridges", b.stats.osm_nodes, b.stats.osm_ways,
                b.stats.bridges)
    return xml, b.stats
