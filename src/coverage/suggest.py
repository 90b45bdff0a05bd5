"""Where to build next: the region-level adapter over :mod:`coverage.optimize`.

The numeric core works on matrices; this module builds them from the region (demand =
villages and communities weighted by population, existing sites fixed open, candidates =
units without a room), runs the configured model, orders the chosen sites into yearly
phases and explains every suggestion in the planner's terms: how many people it newly
covers, how many minutes it saves, which township target it helps meet.

Models: ``mclp``, ``lscp``, ``pmedian``, ``pcenter`` and ``quota`` — the planner's own
problem: every township reaches the completion-rate target of the preset's village
indicator (per-township minimum numbers of new rooms, from :mod:`coverage.targets`), and
among all ways of doing so the one covering the most people within the service standard
is chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from coverage._errors import InputError
from coverage._text import frame_text
from coverage._xlsx import SheetSpec
from coverage.access import SiteDemandMatrix, site_demand_matrix
from coverage.config import KIND_LABELS, OptimizeConfig
from coverage.io import write_csv
from coverage.optimize import (
    LocationResult,
    PhasingResult,
    phase_sites,
    solve_lscp,
    solve_mclp,
    solve_pcenter,
    solve_pmedian,
    solve_quota,
)
from coverage.region import Region
from coverage.targets import GapResult, gaps_for_region

__all__ = ["MODEL_LABELS", "SuggestResult", "suggest_sites"]

log = logging.getLogger(__name__)

MODEL_LABELS = {
    "mclp": "最大覆盖模型 (MCLP)",
    "lscp": "集合覆盖模型 (LSCP)",
    "pmedian": "p-中位模型 (p-median)",
    "pcenter": "p-中心模型 (p-center)",
    "quota": "乡镇达标配额 + 最大覆盖",
}
_STATUS_TEXT = {"optimal": "已证明最优", "gap_limit": "在设定的 MIP 间隙内",
                "time_limit": "达到时间上限（见间隙）", "infeasible": "无可行解"}

_SITE_LABELS = {
    "rank": "顺序", "phase": "建设年度", "township_name": "乡镇/街道", "name": "名称",
    "kind_label": "类别", "id": "代码", "status_label": "现状", "gain_population": "新增覆盖人口",
    "gain_units": "新增覆盖村居", "minutes_saved": "人均缩短(分钟)", "target_effect": "助力达标",
    "explanation": "说明",
}
_TOWN_LABELS = {
    "township_name": "乡镇/街道", "units": "村居数", "built_before": "现有已建",
    "rate_before": "现状建成率", "quota": "达标最少新建", "new_sites": "建议新建",
    "rate_after": "建成后建成率", "target": "目标", "met_after": "建成后是否达标",
    "covered_before": "现状覆盖人口", "covered_after": "建成后覆盖人口",
    "share_before": "现状覆盖率", "share_after": "建成后覆盖率",
}
_STATUS_LABEL = {"built": "已建成", "under_construction": "在建", "planned": "规划", "none": "未建"}


@dataclass(frozen=True)
class SuggestResult:
    """Suggested new sites with their build order and explanations.

    Attributes
    ----------
    model, service_id, service_name
        What was optimized.
    method
        ``"road"`` (network travel times) or ``"straight_line"``.
    sites
        One row per suggested site in build order (EPSG:4326): ``rank, phase, id, name,
        kind, township_code, township_name, status, gain_population, gain_units,
        minutes_saved, target_effect, explanation``.
    townships
        Per township, before and after: completion rate of the quota indicator and the
        population covered within the service standard.
    solver
        The core :class:`~coverage.optimize.LocationResult` (objective, bound, gap, time).
    phasing
        The build sequence (``None`` when nothing was selected).
    quota_indicator
        Id and name of the indicator whose township shortfalls set the quotas.
    p
        Number of new sites asked for (after raising it to the quota sum, if needed).
    notes
        Plain-language notes (adjustments, unreachable demand, infeasibility).
    """

    model: str
    service_id: str
    service_name: str
    method: str
    sites: gpd.GeoDataFrame
    townships: pd.DataFrame
    solver: LocationResult
    phasing: PhasingResult | None
    quota_indicator: tuple[str, str] | None
    p: int
    notes: tuple[str, ...] = field(default=())

    # ------------------------------------------------------------------ text and tables

    def summary_text(self) -> str:
        """Two or three sentences for the report."""
        s = self.solver
        if s.status == "infeasible":
            return f"选址优化无可行解：{s.message}"
        gain = float(self.sites["gain_population"].sum()) if len(self.sites) else 0.0
        years = int(self.sites["phase"].max()) if len(self.sites) else 0
        parts = [
            f"采用{MODEL_LABELS.get(self.model, self.model)}，"
            f"按{'路网通行时间' if self.method == 'road' else '直线距离估算'}，"
            f"建议新建 {len(self.sites)} 处{self.service_name}，分 {years} 年建设，"
            f"新增覆盖人口 {gain:,.0f} 人。",
            f"求解状态：{_STATUS_TEXT.get(s.status, s.status)}（目标值 {s.objective:,.1f}，"
            f"界 {s.bound:,.1f}，间隙 {s.gap * 100:.2f}%，用时 {s.solve_seconds:.2f} 秒）。",
        ]
        if self.quota_indicator:
            met = int((self.townships["met_after"] == "是").sum())
            parts.append(f"建成后 {met}/{len(self.townships)} 个乡镇（街道）达到"
                         f"“{self.quota_indicator[1]}”目标。")
        parts += list(self.notes)
        return "".join(parts)

    def text(self) -> str:
        """A plain-text table for the terminal."""
        head = self.summary_text()
        if not len(self.sites):
            return head
        table = self.report_table()
        return head + "\n\n" + frame_text(table)

    def report_table(self) -> pd.DataFrame:
        """The suggested sites with Chinese headers, for reports."""
        df = self.sites.drop(columns="geometry").copy()
        df["kind_label"] = df["kind"].map(lambda k: KIND_LABELS.get(k, k))
        df["status_label"] = df["status"].map(lambda s: _STATUS_LABEL.get(s, s))
        df["gain_population"] = df["gain_population"].map(lambda v: f"{v:,.0f}")
        df["minutes_saved"] = df["minutes_saved"].map(
            lambda v: "" if pd.isna(v) else f"{v:.1f}")
        cols = [c for c in ("rank", "phase", "township_name", "name", "status_label",
                            "gain_population", "minutes_saved", "target_effect") if c in df]
        return df[cols].rename(columns=_SITE_LABELS)

    def sheets(self) -> dict[str, SheetSpec]:
        """Workbook sheets: suggested sites and township before/after."""
        sites = pd.DataFrame(self.sites.drop(columns="geometry"))
        sites["lon"] = self.sites.geometry.x.round(6)
        sites["lat"] = self.sites.geometry.y.round(6)
        return {
            "建议选址": SheetSpec(sites, labels={**_SITE_LABELS, "lon": "经度", "lat": "纬度"},
                              integer=["gain_population"]),
            "乡镇建成前后": SheetSpec(self.townships, labels=_TOWN_LABELS,
                                percent=["rate_before", "rate_after", "target", "share_before",
                                         "share_after"],
                                highlight=("met_after", "否")),
        }

    def write_tables(self, out: Path) -> list[Path]:
        """Write ``suggested_sites.csv`` and ``suggest_townships.csv`` (UTF-8 with BOM)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        sites = pd.DataFrame(self.sites.drop(columns="geometry"))
        sites["lon"] = self.sites.geometry.x.round(6)
        sites["lat"] = self.sites.geometry.y.round(6)
        return [write_csv(sites, out / "suggested_sites.csv"),
                write_csv(self.townships, out / "suggest_townships.csv")]

    def headline(self) -> dict[str, Any]:
        """Figures for scenario comparison."""
        s = self.solver
        return {
            "模型": self.model,
            "建议新建数": len(self.sites),
            "新增覆盖人口": round(float(self.sites["gain_population"].sum()))
            if len(self.sites) else 0,
            "求解状态": _STATUS_TEXT.get(s.status, s.status),
            "求解用时(秒)": round(s.solve_seconds, 2),
        }


# ---------------------------------------------------------------------------------- API


def suggest_sites(
    region: Region,
    *,
    gaps: GapResult | None = None,
    graphs: Mapping[str, Any] | None = None,
    model: str | None = None,
    p: int | None = None,
    service: str | None = None,
    time_limit: float | None = None,
    budget: float | None = None,
    optimize: OptimizeConfig | None = None,
) -> SuggestResult:
    """Suggest new sites for the region.

    Parameters
    ----------
    region
        A region loaded from a config (its ``[optimize]`` and ``[access]`` tables are used).
    gaps
        Gap analysis of the region; needed by the ``quota`` model (computed when omitted).
    graphs
        Road graphs from :func:`coverage.access.load_graphs` (read from the config if None).
    model, p, service, time_limit, budget
        Override the config's ``[optimize]`` values.
    optimize
        Use this ``[optimize]`` configuration instead of the region's.

    Returns
    -------
    SuggestResult
    """
    if region.config is None:
        raise InputError.single("suggest_sites needs a region loaded from a region TOML",
                                fix="use coverage.load_region(path)")
    cfg = optimize or region.config.optimize
    model = model or cfg.model
    p_req = cfg.p if p is None else p
    service_id = service or cfg.service
    budget_v = cfg.budget if budget is None else budget
    tl = cfg.time_limit_s if time_limit is None else time_limit
    svc = region.config.access.service(service_id)

    m = site_demand_matrix(region, region.config.access, service_id=service_id,
                           candidate_layers=cfg.candidate_layers,
                           candidate_statuses=cfg.candidate_statuses, graphs=graphs)
    notes: list[str] = []
    weights = m.demand["population"].to_numpy(dtype=float)
    if np.isnan(weights).all():
        weights = np.ones(len(m.demand))
        notes.append("需求点无人口数据，按每个村（社区）权重相同计算。")
    weights = np.nan_to_num(weights, nan=0.0)
    fixed = np.flatnonzero(m.sites["existing"].to_numpy(dtype=bool))
    cand = np.flatnonzero(m.sites["candidate"].to_numpy(dtype=bool))
    excluded = np.setdiff1d(np.arange(len(m.sites)), np.union1d(fixed, cand))
    cost = m.sites["cost"].to_numpy(dtype=float)
    use_budget = budget_v > 0
    if use_budget and np.isnan(cost[cand]).any():
        notes.append("部分候选点无建设成本，按每处 1 万元计算。")
    cost = np.nan_to_num(cost, nan=1.0)
    covers = sp.csr_array(m.covers)

    group = np.full(len(m.sites), -1, dtype=np.int64)
    town_codes = list(region.townships["code"])
    if gaps is None:
        gaps = gaps_for_region(region)
    # the preset's completion-rate indicator over the candidate layers: quotas for the quota
    # model, before/after rates in the explanations of every model
    quota_ind, min_new = _quotas(gaps, cfg.candidate_layers, town_codes)
    if model == "quota":
        if quota_ind is None:
            notes.append("目标方案中没有针对候选图层的建成率指标，改用最大覆盖模型。")
            model = "mclp"
        else:
            code_idx = {c: i for i, c in enumerate(town_codes)}
            tc = m.sites["township_code"].astype("string").fillna("")
            group = np.array([code_idx.get(c, -1) for c in tc], dtype=np.int64)
            group[fixed] = -1
            need = int(min_new.sum())
            if p_req < need and not use_budget:
                notes.append(f"各乡镇达标至少需新建 {need} 处，"
                             f"已将新建数 p 由 {p_req} 调整为 {need}。")
                p_req = need

    common: dict[str, Any] = {"fixed": fixed, "excluded": excluded, "time_limit": tl}
    money: dict[str, Any] = {"cost": cost, "budget": budget_v} if use_budget else {}
    travel = _travel_cost(m)
    if model == "mclp":
        res = solve_mclp(covers, weights, p=p_req, mip_gap=cfg.mip_gap, **money, **common)
    elif model == "quota":
        res = solve_quota(covers, weights, group=group, min_new=min_new, objective="coverage",
                          p=p_req, mip_gap=cfg.mip_gap, **money, **common)
    elif model == "lscp":
        res = solve_lscp(covers, weights=weights, mip_gap=cfg.mip_gap, **money, **common)
    elif model == "pmedian":
        res = solve_pmedian(travel, weights, p=p_req, mip_gap=cfg.mip_gap, **money, **common)
    elif model == "pcenter":
        res = solve_pcenter(travel, p=p_req, site_cost=cost if use_budget else None,
                            budget=budget_v if use_budget else None, **common)
    else:  # pragma: no cover - config validation restricts the names
        raise InputError.single(f"unknown model {model!r}", column="optimize.model",
                                fix="mclp, lscp, pmedian, pcenter or quota")
    if res.message:
        log.info("optimize: %s", res.message)
    selected = np.asarray(res.selected, dtype=np.int64)
    phasing = None
    if res.status != "infeasible" and len(selected):
        objective: Literal["coverage", "travel"] = (
            "travel" if model in ("pmedian", "pcenter") else "coverage")
        phasing = phase_sites(covers if objective == "coverage" else travel, weights,
                              sites=selected, objective=objective, fixed=fixed,
                              years=min(cfg.phases, len(selected)))
    if phasing is not None and phasing.objective == "coverage" and quota_ind is not None:
        phasing = _target_first_ties(phasing, m, gaps, quota_ind, years=min(cfg.phases,
                                                                             len(selected)))
    if res.status == "infeasible":
        notes.append(res.message)
    sites = _explain(m, weights, fixed, phasing, gaps, quota_ind, region)
    towns = _townships(region, m, weights, fixed, selected, gaps, quota_ind, min_new, town_codes)
    return SuggestResult(
        model=model, service_id=svc.id, service_name=svc.name, method=m.method, sites=sites,
        townships=towns, solver=res, phasing=phasing,
        quota_indicator=quota_ind, p=p_req, notes=tuple(n for n in notes if n),
    )


# ---------------------------------------------------------------------------------- helpers


def _travel_cost(m: SiteDemandMatrix) -> sp.csr_array:
    """Demand × site minutes (stored entries only) for the travel-based models."""
    return sp.csr_array(m.time_min)


def _quotas(gaps: GapResult, candidate_layers: Sequence[str], town_codes: Sequence[str]
            ) -> tuple[tuple[str, str] | None, np.ndarray]:
    """Township minimums of new sites from the first rate indicator over the candidate layers."""
    chosen = None
    for ind in gaps.preset.enabled:
        den = ind.denominator
        if ind.kind != "rate" or den is None or not den.layers or den.where:
            continue
        if set(den.layers) <= set(candidate_layers):
            chosen = ind
            break
    if chosen is None:
        return None, np.zeros(len(town_codes), dtype=np.int64)
    t = gaps.table
    rows = t[(t["indicator_id"] == chosen.id) & (t["unit_level"] == "township")]
    short = dict(zip(rows["unit_code"].astype(str), pd.to_numeric(rows["shortfall"],
                                                                  errors="coerce"), strict=True))
    need = np.array([int(np.nan_to_num(short.get(c, 0), nan=0)) for c in town_codes],
                    dtype=np.int64)
    return (chosen.id, chosen.name), np.maximum(need, 0)


def _target_first_ties(phasing: PhasingResult, m: SiteDemandMatrix, gaps: GapResult | None,
                       quota_ind: tuple[str, str], *, years: int) -> PhasingResult:
    """Order the sites that add no coverage by township need, and re-split the years.

    Greedy phasing ranks sites by the people they newly cover; sites chosen only to meet a
    township's quota all gain zero and would come in arbitrary order.  They are ordered here
    so that each next site goes to the township currently furthest below its rate (every
    township progresses each year), after the sites that add coverage; within a township,
    rooms under construction come first, then planned ones.
    """
    gain = np.asarray(phasing.marginal_gain, dtype=float)
    order = np.asarray(phasing.order, dtype=np.int64)
    first, rest = order[gain > 0], order[gain <= 0]
    built = _built_counts_from(gaps, quota_ind) or {}
    towns = m.sites["township_code"].astype("string").fillna("").to_numpy()
    added: dict[str, int] = {}
    for j in first:
        added[towns[j]] = added.get(towns[j], 0) + 1
    # within a township, finish rooms already under construction, then planned ones
    stage = {"under_construction": 0, "planned": 1}
    status = m.sites["status"].astype("string").fillna("").to_numpy()
    queue: dict[str, list[int]] = {}
    for j in sorted(rest.tolist(), key=lambda j: stage.get(status[j], 2)):
        queue.setdefault(towns[j], []).append(int(j))

    def rate(code: str) -> float:
        num, den, _ = built.get(code, (0.0, 0.0, 0.0))
        den = den if den and np.isfinite(den) else 1.0
        num = num if np.isfinite(num) else 0.0
        return (num + added.get(code, 0)) / den

    picked: list[int] = []
    while queue:
        code = min(queue, key=lambda c: (rate(c), c))
        picked.append(queue[code].pop(0))
        added[code] = added.get(code, 0) + 1
        if not queue[code]:
            del queue[code]
    new_order = np.concatenate([first, np.asarray(picked, dtype=np.int64)])
    new_gain = np.concatenate([gain[gain > 0], np.zeros(len(picked))])
    k = len(new_order)
    sizes = [k // years + (1 if y < k % years else 0) for y in range(years)]
    year = np.repeat(np.arange(1, years + 1), sizes)
    base = float(phasing.cumulative_objective[-1]) - float(gain.sum())
    ends = np.cumsum(sizes) - 1
    cumulative = base + np.cumsum(new_gain)[ends]
    return PhasingResult(order=new_order, year=year, marginal_gain=new_gain,
                         cumulative_objective=cumulative, objective=phasing.objective)


def _nearest(times: sp.csc_array, cols: np.ndarray, n: int) -> np.ndarray:
    """Per demand row, the minimum stored time over ``cols`` (inf where none)."""
    best = np.full(n, np.inf)
    for j in cols:
        lo, hi = times.indptr[j], times.indptr[j + 1]
        rows = times.indices[lo:hi]
        np.minimum.at(best, rows, times.data[lo:hi])
    return best


def _covered(covers: sp.csc_array, cols: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for j in cols:
        out[covers.indices[covers.indptr[j]:covers.indptr[j + 1]]] = True
    return out


def _explain(m: SiteDemandMatrix, weights: np.ndarray, fixed: np.ndarray,
             phasing: PhasingResult | None, gaps: GapResult | None,
             quota_ind: tuple[str, str] | None, region: Region) -> gpd.GeoDataFrame:
    columns = ["rank", "phase", "id", "name", "kind", "township_code", "township_name",
               "status", "gain_population", "gain_units", "minutes_saved", "target_effect",
               "explanation"]
    if phasing is None or not len(phasing.order):
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs="EPSG:4326")
    n = len(m.demand)
    covers = sp.csc_array(m.covers)
    times = sp.csc_array(m.time_min)
    is_cov = _covered(covers, fixed, n)
    near = _nearest(times, fixed, n)
    built = _built_counts_from(gaps, quota_ind)
    rows = []
    for rank, (j, year) in enumerate(zip(phasing.order, phasing.year, strict=True), 1):
        j = int(j)
        new_cov = _covered(covers, np.array([j]), n) & ~is_cov
        col = _nearest(times, np.array([j]), n)
        better = col < near
        finite_before = np.isfinite(near) & better
        saved = float((weights[finite_before] * (near[finite_before] - col[finite_before])).sum()
                      / max(weights[finite_before].sum(), 1e-9)) if finite_before.any() else np.nan
        is_cov |= new_cov
        near = np.minimum(near, col)
        site = m.sites.iloc[j]
        effect = ""
        if quota_ind is not None and built is not None:
            code = str(site["township_code"])
            if code in built:
                b, d, target = built[code]
                before = b / d if d else np.nan
                built[code] = (b + 1, d, target)
                after = (b + 1) / d if d else np.nan
                reach = "，达到目标" if before < target <= after + 1e-12 else ""
                effect = f"{site['township_name']}建成率 {before:.0%}→{after:.0%}{reach}"
        gain = float(weights[new_cov].sum())
        expl = (f"第{rank}位（第{int(year)}年）：{site['township_name']}{site['name']}。"
                f"新增覆盖 {gain:,.0f} 人（{int(new_cov.sum())} 个村居）"
                + (f"，受益人群平均通行时间缩短 {saved:.1f} 分钟" if np.isfinite(saved) else "")
                + (f"；{effect}" if effect else "") + "。")
        rows.append({
            "rank": rank, "phase": int(year), "id": site["id"], "name": site["name"],
            "kind": site["kind"], "township_code": site["township_code"],
            "township_name": site["township_name"], "status": site["status"],
            "gain_population": gain, "gain_units": int(new_cov.sum()),
            "minutes_saved": saved, "target_effect": effect, "explanation": expl,
            "geometry": site.geometry,
        })
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs="EPSG:4326")


def _built_counts_from(gaps: GapResult | None, quota_ind: tuple[str, str] | None
                       ) -> dict[str, tuple[float, float, float]] | None:
    """Township code -> (numerator, denominator, target) of the quota indicator."""
    if quota_ind is None or gaps is None:
        return None
    t = gaps.table
    rows = t[(t["indicator_id"] == quota_ind[0]) & (t["unit_level"] == "township")]
    def num(v: object) -> float:
        return float("nan") if pd.isna(v) else float(v)  # type: ignore[arg-type]

    return {str(r.unit_code): (num(r.numerator), num(r.denominator), num(r.target))
            for r in rows.itertuples()}


def _townships(region: Region, m: SiteDemandMatrix, weights: np.ndarray, fixed: np.ndarray,
               selected: np.ndarray, gaps: GapResult | None,
               quota_ind: tuple[str, str] | None, min_new: np.ndarray,
               town_codes: Sequence[str]) -> pd.DataFrame:
    n = len(m.demand)
    covers = sp.csc_array(m.covers)
    before = _covered(covers, fixed, n)
    after = before | _covered(covers, selected, n)
    dem_town = m.demand["township_code"].astype("string").fillna("").to_numpy()
    new_town = m.sites["township_code"].astype("string").fillna("").to_numpy()[selected]
    built = _built_counts_from(gaps, quota_ind) or {}
    rows = []
    for i, (code, name) in enumerate(zip(region.townships["code"], region.townships["name"],
                                         strict=True)):
        mask = dem_town == code
        pop = float(weights[mask].sum())
        new = int((new_town == code).sum())
        num, den, target = built.get(str(code), (np.nan, np.nan, np.nan))
        rate_b = num / den if den else np.nan
        rate_a = (num + new) / den if den else np.nan
        rows.append({
            "township_code": code, "township_name": name,
            "units": den, "built_before": num, "rate_before": rate_b,
            "quota": int(min_new[i]) if len(min_new) else 0, "new_sites": new,
            "rate_after": rate_a, "target": target,
            "met_after": ("是" if rate_a + 1e-12 >= target else "否")
            if np.isfinite(rate_a) and np.isfinite(target) else "",
            "covered_before": float(weights[mask & before].sum()),
            "covered_after": float(weights[mask & after].sum()),
            "share_before": float(weights[mask & before].sum()) / pop if pop else np.nan,
            "share_after": float(weights[mask & after].sum()) / pop if pop else np.nan,
        })
    return pd.DataFrame(rows)
