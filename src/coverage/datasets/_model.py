"""The in-memory model of the fictional demo county (everything except the file formats).

The structure follows a real North-China county of about 1,100 km² (2-3 街道 around the seat,
about ten 镇 and one remote 乡, ~440 村/社区, ~550,000 people) but every name, code, coordinate
and number is generated here from one seeded :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import Point, Polygon

from coverage.datasets import _names as nm
from coverage.datasets._geo import (
    Tiling,
    county_outline,
    exact_tiling,
    geom_to_local,
    lloyd,
    poisson_points,
    river_line,
    to_lonlat,
    voronoi_cells,
)
from coverage.datasets._roads import RoadInput, RoadStats, build_roads
from coverage.datasets._spec import DEMO_SPEC, CountySpec
from coverage.vocabulary import STATUS

logger = logging.getLogger(__name__)

CORE_RADIUS_KM = 2.9

#: completion rates of the village/community 心理咨询室 by township (街道 first, then 镇 from
#: the nearest to the farthest from the county seat, then the remote 乡)
STREET_RATES = (0.96, 0.92, 0.86)
TOWN_RATES = (0.93, 0.78, 0.70, 0.63, 0.58, 0.52, 0.45, 0.37, 0.31)
HILL_RATE = 0.18

#: The words the demo's 台账 uses for each status (the glossary's labels).
STATUS_ZH = STATUS.labels()


@dataclass
class Township:
    """A 街道/镇/乡."""

    code: str
    name: str
    short: str
    kind: str  # street | town | township
    seed: NDArray[np.float64]
    seat: NDArray[np.float64]
    polygon: Polygon | None = None  # lon/lat


@dataclass
class Unit:
    """A 村委会 (village) or 居委会 (community)."""

    code: str
    name: str
    township: int
    kind: str  # village | community
    ur_code: str
    population: int
    xy: NDArray[np.float64]  # local km
    lonlat: tuple[float, float] = (0.0, 0.0)
    polygon: Polygon | None = None
    status: str = "none"
    built_year: int | None = None
    counsellors: int = 0
    social_workers: int = 0
    demonstration: bool = False


@dataclass
class Facility:
    """A point facility of any layer kind."""

    kind: str
    code: str
    name: str
    township: int
    lonlat: tuple[float, float]
    subtype: str = ""
    grade: str = ""
    enrolment: int | None = None
    status: str = "none"
    staff: int = 0
    staff2: int = 0
    demonstration: bool = False
    note: str = ""


@dataclass
class DemoModel:
    """Everything the writers need."""

    county_code: str
    county_name: str
    county_polygon: Polygon
    townships: list[Township]
    units: list[Unit]
    facilities: list[Facility]
    osm_xml: str
    road_stats: RoadStats


def _angle_from_north(v: NDArray[np.float64]) -> float:
    return math.atan2(float(v[0]), float(v[1])) % (2 * math.pi)


def _lognormal(rng: np.random.Generator, median: float, sigma: float, lo: float,
               hi: float) -> float:
    return float(np.clip(median * math.exp(sigma * rng.normal()), lo, hi))


class _Generator:
    def __init__(self, spec: CountySpec = DEMO_SPEC) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.taken: set[str] = set()

    # ------------------------------------------------------------------ geography
    def townships(self) -> None:
        rng = self.rng
        spec = self.spec
        self.county_km = county_outline(rng) if spec.outline is None else spec.outline
        seat = np.array(spec.seat, dtype=float)
        if not self.county_km.contains(Point(seat)):  # pragma: no cover
            raise RuntimeError("county seat outside the outline")
        self.seat = seat
        a0 = rng.uniform(0, 2 * math.pi / 3)
        streets = np.array([seat + 2.7 * np.array([math.cos(a0 + k * 2 * math.pi / 3),
                                                   math.sin(a0 + k * 2 * math.pi / 3)])
                            for k in range(3)])
        rural = self.county_km.difference(Point(seat).buffer(9.5))
        towns = poisson_points(rural, 10, rng, margin=3.0)
        seeds = lloyd(np.vstack([streets, towns]), self.county_km, 3, fixed=3)
        towns = seeds[3:]
        d = np.hypot(*(towns - seat).T)
        hill = int(np.argmax(d))
        rest = [i for i in range(len(towns)) if i != hill]
        rest.sort(key=lambda i: _angle_from_north(towns[i] - seat))
        order = np.vstack([seeds[:3], towns[rest], towns[[hill]]])
        self.seeds = order
        self.cells = voronoi_cells(order, self.county_km)
        self.tws: list[Township] = []
        n_street = n_town = n_xiang = 0
        for t, (short, kind) in enumerate(spec.townships):
            if kind == "street":
                n_street += 1
                code = f"{spec.code}{n_street:03d}"
                name = f"{short}街道"
                tseat = seat.copy()
            else:
                if kind == "town":
                    n_town += 1
                    code = f"{spec.code}{100 + n_town:03d}"
                    name = f"{short}镇"
                else:
                    n_xiang += 1
                    code = f"{spec.code}{200 + n_xiang:03d}"
                    name = f"{short}乡"
                inner = self.cells[t].buffer(-1.2)
                for _ in range(100):
                    r, a = 0.9 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
                    tseat = order[t] + r * np.array([math.cos(a), math.sin(a)])
                    if inner.contains(Point(tseat)):
                        break
                else:  # pragma: no cover
                    c = inner.representative_point()
                    tseat = np.array([c.x, c.y])
            self.tws.append(Township(code=code, name=name, short=short, kind=kind,
                                     seed=order[t], seat=tseat))
        self.river = river_line(self.county_km, rng, y0=float(seat[1]) - 9.5)

    def units(self) -> None:
        rng = self.rng
        core = Point(self.seat).buffer(CORE_RADIUS_KM - 0.15)
        outside = Point(self.seat).buffer(CORE_RADIUS_KM + 0.5)
        river_zone = self.river.buffer(0.35)
        street_comm = (9, 8, 6)
        street_vil = (6, 7, 9)
        areas = [c.area for c in self.cells]
        town_idx = [t for t, tw in enumerate(self.tws) if tw.kind == "town"]
        big = set(sorted(town_idx, key=lambda t: -areas[t])[:4])
        units: list[Unit] = []
        comm_names = nm.community_names(sum(street_comm) + len(big), rng, taken=self.taken)
        ci = 0
        for t, tw in enumerate(self.tws):
            cell = self.cells[t].difference(river_zone)
            comms: list[NDArray[np.float64]] = []
            cnames: list[str] = []
            if tw.kind == "street":
                cpoly = cell.intersection(core)
                comms = list(poisson_points(cpoly, street_comm[t], rng, margin=0.12))
                cnames = comm_names[ci:ci + street_comm[t]]
                ci += street_comm[t]
                vpoly = cell.difference(outside)
                n_v = street_vil[t]
                vils = poisson_points(vpoly, n_v, rng, margin=0.3)
            else:
                if tw.kind == "town":
                    comms = [tw.seat]
                    cnames = [f"{tw.short}社区"]
                    self.taken.add(cnames[0])
                    if t in big:
                        a = rng.uniform(0, 2 * math.pi)
                        comms.append(tw.seat + 0.65 * np.array([math.cos(a), math.sin(a)]))
                        cnames.append(comm_names[ci])
                        ci += 1
                    n_v = round(areas[t] * 0.45 * rng.uniform(0.88, 1.12))
                    vils = poisson_points(cell, n_v, rng, margin=0.3,
                                          existing=np.array(comms))
                else:  # the remote hill township: its seat is a village (乡中心区 210)
                    n_v = round(areas[t] * 0.2)
                    rest = poisson_points(cell, n_v - 1, rng, margin=0.3,
                                          existing=np.array([tw.seat]))
                    vils = np.vstack([tw.seat[None, :], rest])
            for xy, cname in zip(comms, cnames, strict=True):
                dseat = float(np.hypot(*(xy - self.seat)))
                if tw.kind == "street":
                    ur = "111" if dseat < 1.9 else "112"
                    pop = _lognormal(rng, 7600 if ur == "111" else 5200, 0.3, 3200, 14500)
                else:
                    ur = "121"
                    pop = _lognormal(rng, 4300, 0.25, 2500, 7500)
                units.append(Unit(code="", name=cname, township=t, kind="community", ur_code=ur,
                                  population=round(pop), xy=np.asarray(xy, dtype=float)))
            vnames = nm.village_names(len(vils), rng, taken=self.taken)
            if tw.kind == "township":
                vnames[0] = f"{tw.short}村"
            for k, (xy, vname) in enumerate(zip(vils, vnames, strict=True)):
                dtown = float(np.hypot(*(xy - tw.seat)))
                if tw.kind == "street":
                    ur = "112" if dtown < 4.6 else "220"
                elif tw.kind == "town":
                    ur = "122" if dtown < 2.1 else "220"
                else:
                    ur = "210" if k == 0 else "220"
                if ur in ("112", "122", "210"):
                    pop = _lognormal(rng, 1500, 0.35, 600, 3000)
                elif tw.kind == "township":
                    pop = _lognormal(rng, 560, 0.45, 300, 1600)
                else:
                    pop = _lognormal(rng, 860, 0.5, 300, 3000)
                units.append(Unit(code="", name=vname, township=t, kind="village", ur_code=ur,
                                  population=round(pop), xy=np.asarray(xy, dtype=float)))
        # scale the villages so that the county total is about TARGET_POPULATION
        comm_total = sum(u.population for u in units if u.kind == "community")
        vil_total = sum(u.population for u in units if u.kind == "village")
        f = (self.spec.target_population - comm_total) / vil_total
        for u in units:
            if u.kind == "village":
                u.population = int(np.clip(round(u.population * f), 300, 3000))
        # codes: communities 0xx, villages 2xx, numbered clockwise from north around the seat
        for t, tw in enumerate(self.tws):
            for kind, base in (("community", 0), ("village", 200)):
                mem = [u for u in units if u.township == t and u.kind == kind]
                mem.sort(key=lambda u: (round(_angle_from_north(u.xy - tw.seat), 9),
                                        float(np.hypot(*(u.xy - tw.seat)))))
                if tw.kind == "township" and kind == "village":
                    mem.sort(key=lambda u: 0 if u.name == f"{tw.short}村" else 1)
                for k, u in enumerate(mem, start=1):
                    u.code = f"{tw.code}{base + k:03d}"
        units.sort(key=lambda u: u.code)
        self.units_list = units

    def tiling(self) -> Tiling:
        pts = np.array([u.xy for u in self.units_list])
        tws = np.array([u.township for u in self.units_list], dtype=np.int64)
        til = exact_tiling(self.county_km, pts, tws)
        self.assign_tiling(til.villages, til.townships)
        return til

    def assign_tiling(self, villages: list[Polygon], townships: list[Polygon]) -> None:
        """Give each unit its lon/lat and polygon, each township its polygon (in order)."""
        pts = np.array([u.xy for u in self.units_list])
        lon, lat = to_lonlat(pts[:, 0], pts[:, 1])
        lon, lat = np.round(lon, 6), np.round(lat, 6)
        for i, u in enumerate(self.units_list):
            u.lonlat = (float(lon[i]), float(lat[i]))
            u.polygon = villages[i]
            if not u.polygon.contains(Point(u.lonlat)):  # pragma: no cover
                raise RuntimeError(f"{u.name} lies outside its own polygon")
        for t, tw in enumerate(self.tws):
            tw.polygon = townships[t]

    # ------------------------------------------------------------------ the 台账 state
    def statuses(self) -> None:
        rng = self.rng
        towns = [t for t, tw in enumerate(self.tws) if tw.kind == "town"]
        towns.sort(key=lambda t: float(np.hypot(*(self.tws[t].seat - self.seat))))
        rate = {}
        for k, t in enumerate(t for t, tw in enumerate(self.tws) if tw.kind == "street"):
            rate[t] = STREET_RATES[k]
        for k, t in enumerate(towns):
            rate[t] = TOWN_RATES[k]
        for t, tw in enumerate(self.tws):
            if tw.kind == "township":
                rate[t] = HILL_RATE
        self.township_rate_target = rate
        for t, tw in enumerate(self.tws):
            mem = [u for u in self.units_list if u.township == t]
            score = np.array([
                -float(np.hypot(*(u.xy - tw.seat))) / 3.0
                + (0.5 if u.kind == "community" else 0.0)
                + min(u.population, 3000) / 3000.0 + 0.6 * rng.normal()
                for u in mem])
            order = np.argsort(-score, kind="stable")
            n_built = round(rate[t] * len(mem))
            rest = order[n_built:]
            n_uc = round(0.15 * len(rest))
            n_pl = round(0.3 * len(rest))
            for rank, i in enumerate(order):
                u = mem[int(i)]
                if rank < n_built:
                    u.status = "built"
                    u.built_year = int(rng.choice([2019, 2020, 2021, 2022, 2023, 2024, 2025],
                                                  p=[.05, .08, .12, .2, .25, .2, .1]))
                    if u.kind == "community":
                        u.counsellors = int(rng.integers(1, 4))
                        u.social_workers = int(rng.integers(1, 5))
                    else:
                        u.counsellors = 1 if rng.random() < 0.7 else 2
                        u.social_workers = 1 if rng.random() < 0.25 else 0
                    u.demonstration = bool(rank < max(1, round(0.06 * n_built))
                                           and rate[t] >= 0.5)
                elif rank < n_built + n_uc:
                    u.status = "under_construction"
                    u.counsellors = 1 if rng.random() < 0.4 else 0
                elif rank < n_built + n_uc + n_pl:
                    u.status = "planned"
                else:
                    u.status = "none"
            if tw.kind == "street" and rate[t] < 0.95:
                # an old neighbourhood community lags behind (the ledger is never tidy)
                comm = [mem[int(i)] for i in order if mem[int(i)].kind == "community"]
                vils = [mem[int(i)] for i in order[n_built:] if mem[int(i)].kind == "village"]
                if comm and vils and comm[-1].status == "built":
                    self._swap_status(comm[-1], vils[0])

    @staticmethod
    def _swap_status(a: Unit, b: Unit) -> None:
        for attr in ("status", "built_year", "counsellors", "demonstration"):
            va, vb = getattr(a, attr), getattr(b, attr)
            setattr(a, attr, vb)
            setattr(b, attr, va)
        if a.status != "built":
            a.social_workers = 0
        elif b.social_workers == 0:
            a.social_workers = 1

    # ------------------------------------------------------------------ facilities
    def _near(self, host: Unit, lo: float = 0.08, hi: float = 0.35) -> tuple[float, float]:
        """A point 80-350 m from ``host`` inside the host's own village polygon."""
        assert host.polygon is not None
        for k in range(60):
            r = self.rng.uniform(lo, hi) * (0.95 ** k)
            a = self.rng.uniform(0, 2 * math.pi)
            x, y = host.xy + r * np.array([math.cos(a), math.sin(a)])
            lon, lat = to_lonlat(np.array([x]), np.array([y]))
            p = (round(float(lon[0]), 6), round(float(lat[0]), 6))
            if host.polygon.buffer(-2e-5).contains(Point(p)):
                return p
        return host.lonlat  # pragma: no cover

    def facilities(self) -> None:
        rng = self.rng
        units = self.units_list
        fac: list[Facility] = []
        street_ts = [t for t, tw in enumerate(self.tws) if tw.kind == "street"]
        core_comms = sorted((u for u in units if u.kind == "community" and u.township
                             in street_ts), key=lambda u: -u.population)
        seat_unit = {t: self._seat_unit(t) for t in range(len(self.tws))}

        def rate(t: int) -> float:
            return self.township_rate_target[t]

        # ---- schools
        schools: list[Facility] = []

        def school(name: str, sub: str, host: Unit, enrol: int) -> None:
            schools.append(Facility(kind="school", code="", name=name, township=host.township,
                                    lonlat=self._near(host), subtype=sub, enrolment=enrol))

        cs = core_comms
        sp = self.spec
        cty = f"{sp.short}{sp.suffix}"  # 澄河县
        st0, st1 = sp.townships[0][0], sp.townships[1][0]
        school(f"{cty}第一中学", "高中", cs[0], int(rng.integers(3600, 4200)))
        school(f"{cty}第二中学", "高中", cs[3], int(rng.integers(2800, 3400)))
        voc_host = max((u for u in units if u.township in street_ts and u.kind == "village"),
                       key=lambda u: u.population)
        school(f"{cty}职业中等专业学校", "职业中专", voc_host, int(rng.integers(2300, 2900)))
        school(f"{cty}实验学校", "九年一贯制", cs[5], int(rng.integers(2200, 2700)))
        for k, nmid in enumerate((f"{cty}实验中学", f"{cty}第三中学", f"{st1}中学",
                                         f"{st0}中学")):
            school(nmid, "初中", cs[1 + 2 * k], int(rng.integers(1500, 2600)))
        school(f"{cty}实验小学", "小学", cs[2], int(rng.integers(2200, 2800)))
        school(f"{cty}第二实验小学", "小学", cs[4], int(rng.integers(1900, 2500)))
        for u in cs[6:14]:
            school(f"{u.name.removesuffix('社区')}小学", "小学", u,
                   int(rng.integers(1100, 2300)))
        for t in street_ts:
            vils = sorted((u for u in units if u.township == t and u.kind == "village"),
                          key=lambda u: -u.population)
            for u in vils[:2]:
                school(f"{self.tws[t].short}街道{u.name.removesuffix('村')}小学", "小学", u,
                       int(rng.integers(250, 700)))
        for t, tw in enumerate(self.tws):
            if tw.kind == "street":
                continue
            seat = seat_unit[t]
            vils = [u for u in units if u.township == t and u.kind == "village"]
            if tw.kind == "township":
                school(f"{tw.name}九年一贯制学校", "九年一贯制", seat, int(rng.integers(500, 800)))
                school(f"{tw.name}中心小学", "小学", seat, int(rng.integers(250, 450)))
                k_vil = 2
            else:
                school(f"{tw.name}中学", "初中", seat, int(rng.integers(900, 1800)))
                school(f"{tw.name}中心小学", "小学", seat, int(rng.integers(700, 1300)))
                if len(vils) > 36:
                    far = max(vils, key=lambda u: float(np.hypot(*(u.xy - tw.seat))))
                    school(f"{tw.name}第二中学", "初中", far, int(rng.integers(600, 1100)))
                k_vil = round(len(vils) / 5.2)
            chosen: list[Unit] = []
            for u in sorted(vils, key=lambda u: -u.population):
                if len(chosen) == k_vil:
                    break
                if float(np.hypot(*(u.xy - tw.seat))) < 1.5:
                    continue
                if any(float(np.hypot(*(u.xy - c.xy))) < 2.2 for c in chosen):
                    continue
                chosen.append(u)
            for j, u in enumerate(chosen):
                stem = u.name.removesuffix("村")
                if tw.kind == "town" and j == 0 and t % 3 == 0:
                    school(f"{tw.name}{stem}学校", "九年一贯制", u, int(rng.integers(600, 1100)))
                else:
                    school(f"{tw.name}{stem}小学", "小学", u, int(rng.integers(120, 520)))
        for k, s in enumerate(schools, start=1):
            s.code = f"{sp.school_prefix}{k:03d}"
            must = s.subtype in ("高中", "职业中专") or s.name.startswith(cty)
            p_built = 1.0 if must else min(1.0, 0.45 + 0.62 * rate(s.township))
            if s.subtype in ("初中", "九年一贯制"):
                p_built = min(1.0, p_built + 0.15)
            if rng.random() < p_built:
                s.status = "built"
                s.staff = {"高中": 3, "职业中专": 2, "九年一贯制": 2, "初中": 1}.get(s.subtype, 0)
                s.staff += int(rng.random() < 0.3)
                if s.subtype == "小学" and rng.random() < 0.4:
                    s.staff = max(s.staff, 1)
                s.staff2 = int(rng.integers(1, 4))
                s.demonstration = bool(rng.random() < (0.25 if must else 0.04))
            else:
                s.status = str(rng.choice(["under_construction", "planned", "none"],
                                          p=[0.3, 0.3, 0.4]))
                s.staff2 = int(rng.integers(0, 2))
        fac.extend(schools)

        # ---- hospitals (all in the county seat)
        hosp = (
            (f"{cty}人民医院", "综合医院", "三级乙等", "built", 6, 3, cs[1]),
            (f"{cty}中医医院", "中医医院", "二级甲等", "under_construction", 2, 1, cs[6]),
            (f"{cty}妇幼保健计划生育服务中心", "妇幼保健计划生育服务中心", "二级甲等",
             "planned", 1, 1, cs[8]),
            (f"{cty}精神病防治院（{sp.suffix}心理健康中心）", "精神病防治院", "二级", "built",
             14, 6, cs[10]),
            (f"{sp.short}仁和医院", "综合医院", "一级", "none", 0, 0, cs[12]),
        )
        for k, (name, sub, grade, st, psy, couns, host) in enumerate(hosp, start=1):
            fac.append(Facility(kind="hospital", code=f"YY{k:03d}", name=name,
                                township=host.township, lonlat=self._near(host), subtype=sub,
                                grade=grade, status=st, staff=psy, staff2=couns,
                                note="民营" if name == f"{sp.short}仁和医院" else ""))
        psych_hospital = fac[-2]
        # ---- township health centres
        by_area = sorted((t for t, tw in enumerate(self.tws) if tw.kind == "town"),
                         key=lambda t: -self.cells[t].area)
        central = set(by_area[:3])
        for t, tw in enumerate(self.tws):
            if tw.kind == "street":
                name, sub = f"{tw.name}社区卫生服务中心", "社区卫生服务中心"
                host = next(u for u in core_comms if u.township == t)
            elif t in central:
                name, sub = f"{tw.name}中心卫生院", "中心卫生院"
                host = seat_unit[t]
            else:
                name, sub = f"{tw.name}卫生院", "乡镇卫生院"
                host = seat_unit[t]
            r = rate(t)
            st = "built" if r >= 0.5 else ("under_construction" if r >= 0.35 else "none")
            psy = (2 if r >= 0.7 else 1) if st == "built" else int(r >= 0.35)
            fac.append(Facility(kind="health_center", code=f"WSY{t + 1:03d}", name=name,
                                township=t, lonlat=self._near(host), subtype=sub, status=st,
                                staff=psy, staff2=int(st == "built") + int(rng.random() < 0.3)))

        # ---- other sites: 心理服务站点, 综治中心, 信访, 机关企事业单位, 康复
        other: list[Facility] = []

        def site(kind: str, prefix: str, name: str, sub: str, host: Unit | None,
                 st: str, staff: int, *, lonlat: tuple[float, float] | None = None,
                 demo: bool = False) -> None:
            n = sum(1 for f in other if f.kind == kind) + 1
            ll = lonlat if lonlat is not None else self._near(host)  # type: ignore[arg-type]
            t = host.township if host is not None else self._township_of(ll)
            other.append(Facility(kind=kind, code=f"{prefix}{n:03d}", name=name, township=t,
                                  lonlat=ll, subtype=sub, status=st, staff=staff,
                                  demonstration=demo))

        ph = psych_hospital.lonlat
        site("service_site", "XL", f"{cty}心理健康中心", f"{sp.suffix}心理健康中心", None,
             "built", 12, lonlat=(round(ph[0] + 0.0004, 6), round(ph[1] + 0.0003, 6)), demo=True)
        for k, u in enumerate(cs[:5]):
            site("service_site", "XL", f"{u.name}心灵驿站", "心灵驿站", u,
                 "built" if k < 4 else "under_construction", int(rng.integers(1, 4)),
                 demo=k == 0)
        for t in by_area[:3]:
            u = seat_unit[t]
            site("service_site", "XL", f"{self.tws[t].name}心灵驿站", "心灵驿站", u,
                 "built" if rate(t) >= 0.5 else "planned", int(rng.integers(1, 3)))
        site("service_site", "XL", f"{sp.short}经济开发区心灵驿站", "心灵驿站", voc_host,
             "planned", 0)

        site("governance_center", "ZZ", f"{cty}综治中心", "县级", cs[0], "built", 3, demo=True)
        for t, tw in enumerate(self.tws):
            host = (next(u for u in core_comms if u.township == t) if tw.kind == "street"
                    else seat_unit[t])
            r = rate(t)
            st = "built" if r >= 0.45 else ("under_construction" if r >= 0.3 else "none")
            site("governance_center", "ZZ", f"{tw.name}综治中心", "乡镇（街道）级", host, st,
                 int(st == "built") + int(r > 0.8))

        site("petition_office", "XF", f"{cty}人民来访接待中心", "县级", cs[2], "built", 2)
        for t, st in zip(by_area[:3], ("built", "planned", "none"), strict=True):
            site("petition_office", "XF", f"{self.tws[t].name}信访接待室", "乡镇级",
                 seat_unit[t], st, int(st == "built"))

        agencies = (
            "县委组织部", "县委宣传部", "县委政法委", "县人民法院", "县人民检察院", "县公安局",
            "县司法局", "县教育和体育局", "县财政局", "县人力资源和社会保障局", "县民政局",
            "县卫生健康局", "县信访局", "县总工会", "团县委", "县妇联", "县残联", "县税务局",
            "县市场监督管理局", "县应急管理局", "县退役军人事务局", "县住房和城乡建设局",
            "县交通运输局", "县农业农村局", "县融媒体中心", "县看守所", "县拘留所",
            "县社区矫正中心", "县救助管理站", "县消防救援大队", "县供电公司", "县农村商业银行",
            "县自来水公司",
        )
        firms = tuple(sp.short + f for f in (
            "鲁润食品有限公司", "宏达机械制造有限公司", "绿源农业科技有限公司", "天和纺织有限公司",
            "恒泰建材有限公司", "金穗面粉有限公司", "华康医药有限公司", "顺通物流有限公司",
            "北辰新材料有限公司", "鑫源石材有限公司", "文旅发展集团有限公司",
            "城市建设投资有限公司"))
        inst_status = (["built"] * 31 + ["under_construction"] * 6 + ["planned"] * 5
                       + ["none"] * 6)
        perm = rng.permutation(len(inst_status))
        sts = [inst_status[i] for i in perm]
        k = 0
        for a in agencies:
            u = cs[int(rng.integers(len(cs)))]
            site("institution", "DW", sp.short + a.replace("县", sp.suffix), "机关事业单位", u,
                 sts[k], int(rng.integers(1, 3)) if sts[k] == "built" else 0)
            k += 1
        for j, f in enumerate(firms):
            host = voc_host if j % 3 else seat_unit[by_area[j % len(by_area)]]
            site("institution", "DW", f, "企业", host, sts[k],
                 int(rng.integers(1, 3)) if sts[k] == "built" else 0)
            k += 1
        for t in by_area[:3]:
            site("institution", "DW", f"{self.tws[t].name}司法所", "机关事业单位",
                 seat_unit[t], sts[k], int(sts[k] == "built"))
            k += 1

        site("rehab", "KF", f"{cty}精神障碍社区康复服务中心", "县级", cs[7], "built", 4,
             demo=True)
        for t in by_area[:3]:
            site("rehab", "KF", f"{self.tws[t].name}阳光家园", "乡镇级", seat_unit[t],
                 "built" if rate(t) >= 0.5 else "planned", int(rng.integers(1, 3)))
        site("rehab", "KF", f"{st1}街道日间照料康复站", "社区级",
             next(u for u in core_comms if u.township == street_ts[1]), "under_construction", 1)
        fac.extend(other)
        self.fac = fac
        self.seat_unit = seat_unit

    def _seat_unit(self, t: int) -> Unit:
        tw = self.tws[t]
        target = self.seat if tw.kind == "street" else tw.seat
        mem = [u for u in self.units_list if u.township == t]
        return min(mem, key=lambda u: float(np.hypot(*(u.xy - target))))

    def _township_of(self, lonlat: tuple[float, float]) -> int:
        p = Point(lonlat)
        for t, tw in enumerate(self.tws):
            assert tw.polygon is not None
            if tw.polygon.contains(p):
                return t
        raise RuntimeError(f"point {lonlat} outside the county")  # pragma: no cover

    # ------------------------------------------------------------------ roads
    def roads(self) -> tuple[str, RoadStats]:
        units = self.units_list
        inp = RoadInput(
            county=self.county_km,
            river=self.river,
            seat=(float(self.seat[0]), float(self.seat[1])),
            core_radius=CORE_RADIUS_KM,
            units=np.array([geom_to_local(Point(u.lonlat)).coords[0] for u in units]),
            unit_township=np.array([u.township for u in units], dtype=np.int64),
            unit_names=[u.name for u in units],
            township_names=[tw.short for tw in self.tws],
            hilly=[tw.kind == "township" for tw in self.tws],
            township_kinds=tuple(tw.kind for tw in self.tws),
            county_short=self.spec.short,
            county_suffix=self.spec.suffix,
        )
        idx = {id(u): i for i, u in enumerate(units)}
        seat_units = [idx[id(self.seat_unit[t])] for t in range(len(self.tws))]
        return build_roads(inp, self.rng, seat_unit=seat_units)


def build_model(spec: CountySpec = DEMO_SPEC) -> DemoModel:
    """Generate the whole county of ``spec`` in memory (deterministic; default: the demo)."""
    g = _Generator(spec)
    g.townships()
    g.units()
    til = g.tiling()
    return finish_model(g, til.county)


def finish_model(g: _Generator, county_polygon: Polygon) -> DemoModel:
    """Statuses, facilities and roads of a tiled county; the finished model."""
    g.statuses()
    g.facilities()
    xml, stats = g.roads()
    return DemoModel(
        county_code=g.spec.code,
        county_name=g.spec.name,
        county_polygon=county_polygon,
        townships=g.tws,
        units=g.units_list,
        facilities=g.fac,
        osm_xml=xml,
        road_stats=stats,
    )
