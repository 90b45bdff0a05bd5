"""The suggest stage: where to build next, as a region-level layer over :mod:`coverage.optimize`.

The numeric core works on matrices; this stage builds them from the run's access context
(demand = villages and communities weighted by population, existing rooms open, candidates =
located units without a room), runs the configured model, orders the chosen sites into yearly
phases and records, for every suggestion, why it is there (``reason``: it meets a township's
quota, adds coverage, or both), the people it newly covers and the minutes it saves, and how
the township's rate of the chosen indicator moves.

**The indicator** is explicit: ``[optimize] indicator`` (default: the preset's room-building
indicator for villages and communities, :meth:`~coverage.targets.TargetPreset.room_indicator`,
the same rule the maps' headline uses).  Rates before and after use that indicator's own
numerator and denominator (:attr:`~coverage.targets.GapResult.units`): a new site raises a
township's rate only if its unit is in the indicator's denominator and does not count yet,
so a rate never exceeds 100 %.

Models: ``mclp``, ``lscp``, ``pmedian``, ``pcenter`` and ``quota`` — the planner's own
problem: every township reaches the indicator's target (per-township minimum numbers of new
sites, from the gap table), and among all ways of doing so the one covering the most people
within the service standard is chosen.

The result carries codes and numbers only (statuses, reasons, :class:`~coverage.vocabulary.Note`);
:mod:`coverage.present.suggest` turns them into words.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from coverage.access import AccessContext, SiteDemandMatrix, site_demand_matrix
from coverage.config import OptimizeConfig
from coverage.optimize import (
    LocationProblem,
    LocationResult,
    PhasingResult,
    phase_sites,
    solve,
)
from coverage.optimize.results import infeasible_result
from coverage.problems import InputError, Problem
from coverage.region import Region
from coverage.targets import GapResult, Indicator
from coverage.vocabulary import Note

__all__ = ["SuggestResult", "suggest_sites"]

log = logging.getLogger(__name__)

#: Columns of :attr:`SuggestResult.sites`.
SITE_COLUMNS = ("rank", "phase", "id", "name", "kind", "township_code", "township_name",
                "status", "reason", "counts", "gain_population", "gain_units",
                "minutes_saved", "rate_before", "rate_after", "reaches_target", "geometry")
#: Columns of :attr:`SuggestResult.townships`.
TOWNSHIP_COLUMNS = ("township_code", "township_name", "units", "built_before", "rate_before",
                    "quota", "candidates", "unlocated", "new_sites", "rate_after", "target",
                    "met_after", "covered_before", "covered_after", "share_before",
                    "share_after")


@dataclass(frozen=True)
class SuggestResult:
    """Suggested new sites with their build order and reasons.

    Attributes
    ----------
    model
        The model solved (``quota`` may have fallen back to ``mclp``: see ``notes``).
    service_id, service_name
        The access service optimised.
    method
        ``"road"`` (network travel times) or ``"straight_line"``.
    indicator
        ``(id, name)`` of the indicator whose rates are shown before/after (and whose
        township shortfalls are the quotas), or None when the preset has none.
    sites
        One row per suggested site in build order (EPSG:4326): :data:`SITE_COLUMNS`.
        ``reason`` is ``quota`` (needed for its township to reach the target), ``coverage``
        (newly covers people), ``both`` or ``count`` (neither: chosen to reach ``p``);
        ``counts`` whether it raises the indicator's rate; ``rate_before``/``rate_after``
        its township's rate when it is built.
    townships
        Per township, before and after: :data:`TOWNSHIP_COLUMNS` (``met_after`` boolean,
        ``candidates`` the located candidates that raise the rate, ``unlocated`` the units
        without coordinates).
    reconciliation
        Codes with numbers (``county_shortfall``, ``township_shortfall_sum``,
        ``suggested``, ``for_quota``, ``for_coverage``, ``for_both``, ``for_count``,
        ``newly_covered``): how the county shortfall, the townships' shortfalls and the
        number of suggestions relate.
    solver
        The core :class:`~coverage.optimize.LocationResult` (objective, bound, gap, time).
    phasing
        The build sequence (None when nothing was selected).
    p
        Number of new sites asked for (after raising it to the quota sum, if needed).
    notes
        Notes (codes with numbers) on adjustments, unplaced rows and fallbacks.
    infeasible
        Why no plan meets every rule (codes naming the townships), empty when feasible.
    """

    model: str
    service_id: str
    service_name: str
    method: str
    indicator: tuple[str, str] | None
    sites: gpd.GeoDataFrame
    townships: pd.DataFrame
    reconciliation: Mapping[str, float]
    solver: LocationResult
    phasing: PhasingResult | None
    p: int
    notes: tuple[Note, ...] = field(default=())
    infeasible: tuple[Note, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        """Whether a plan meeting every rule was found."""
        return self.solver.status != "infeasible" and not self.infeasible


# ---------------------------------------------------------------------------------- API


def suggest_sites(
    region: Region,
    optimize: OptimizeConfig,
    *,
    context: AccessContext,
    gaps: GapResult,
    model: str | None = None,
    p: int | None = None,
    service: str | None = None,
    time_limit: float | None = None,
    budget: float | None = None,
    force: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
) -> SuggestResult:
    """Suggest new sites for the region.

    Parameters
    ----------
    region
        The region.
    optimize
        Its ``[optimize]`` section (model, service, p, candidates, budget, indicator …).
    context
        The run's :class:`~coverage.access.AccessContext` (points attached to the roads).
    gaps
        The gaps stage's result: the indicator's township shortfalls and units.
    model, p, service, time_limit, budget, force, exclude
        Override the section's values (the command line's options): ``force`` are codes of
        candidates that must be built (locked), ``exclude`` codes that must not be.

    Returns
    -------
    SuggestResult
    """
    cfg = replace(
        optimize,
        model=optimize.model if model is None else model,
        p=optimize.p if p is None else p,
        service=optimize.service if service is None else service,
        time_limit_s=optimize.time_limit_s if time_limit is None else time_limit,
        budget=optimize.budget if budget is None else budget,
        force=optimize.force if force is None else tuple(force),
        exclude=optimize.exclude if exclude is None else tuple(exclude),
    )
    if p is not None and cfg.model in ("lscp", "lscpb"):
        raise InputError.single(
            f"p is not an option of model {cfg.model}: set covering chooses the fewest sites "
            "that cover every reachable village itself", column="--p / optimize.p", value=p,
            fix="leave out --p, or use --model mclp (the most people covered with p sites)")
    svc = context.config.service(cfg.service)
    notes: list[Note] = []
    indicator = _indicator(gaps, cfg)
    m = site_demand_matrix(context, service_id=svc.id, candidate_layers=cfg.candidate_layers,
                           candidate_statuses=cfg.candidate_statuses,
                           extra_candidates=[c.id for c in cfg.extra_candidates])
    if len(m.unlocated):
        notes.append(Note.of("unlocated_demand", n=len(m.unlocated)))
    weights = m.demand["population"].to_numpy(dtype=float)
    if len(weights) and np.isnan(weights).all():
        weights = np.ones(len(m.demand))
        notes.append(Note.of("no_population"))
    weights = np.nan_to_num(weights, nan=0.0)
    fixed = np.flatnonzero(m.sites["existing"].to_numpy(dtype=bool))
    forced, barred = _planner_choices(m, cfg)
    cand = np.setdiff1d(np.flatnonzero(m.sites["candidate"].to_numpy(dtype=bool)), barred)
    excluded = np.setdiff1d(np.arange(len(m.sites)), np.union1d(fixed, cand))
    cost = m.sites["cost"].to_numpy(dtype=float)
    use_budget = cfg.budget > 0
    if use_budget and np.isnan(cost[cand]).any():
        notes.append(Note.of("cost_default", n=int(np.isnan(cost[cand]).sum())))
    cost = np.nan_to_num(cost, nan=1.0)

    town_codes = [str(c) for c in region.townships["code"]]
    counts = _counts_for(indicator, gaps, m)
    quota = _quotas(indicator, gaps, town_codes)
    model_used = cfg.model
    infeasible: list[Note] = []
    group = np.full(len(m.sites), -1, dtype=np.int64)
    if model_used == "quota":
        if indicator is None:
            notes.append(Note.of("quota_without_indicator"))
            model_used = "mclp"
        else:
            outside = sorted(set(cfg.candidate_layers) - set(indicator.denominator.layers
                                                            if indicator.denominator else ()))
            if outside:
                raise InputError.single(
                    f"candidate layers {outside} are not counted by the indicator "
                    f"'{indicator.id}' ({indicator.name}), so building there cannot meet its "
                    "township quotas",
                    column="optimize.candidate_layers", value=list(cfg.candidate_layers),
                    fix="use candidate layers from "
                        f"{list(indicator.denominator.layers) if indicator.denominator else []}"
                        ", or another model (mclp) or indicator")
            code_idx = {c: i for i, c in enumerate(town_codes)}
            tc = m.sites["township_code"].astype("string").fillna("").to_numpy()
            group = np.array([code_idx.get(c, -1) for c in tc], dtype=np.int64)
            group[~counts] = -1
    elif indicator is not None and indicator.denominator is not None:
        outside = sorted(set(cfg.candidate_layers) - set(indicator.denominator.layers))
        if outside:
            notes.append(Note.of("candidates_outside_indicator", layers=tuple(outside),
                                 indicator=indicator.name))

    p_req = cfg.p
    fg = group[forced]  # the quotas, and the planner's locked sites beyond them
    need = (int(np.maximum(quota, np.bincount(fg[fg >= 0], minlength=len(quota))).sum()
                + (fg < 0).sum()) if model_used == "quota" else 0)
    if model_used == "quota" and p_req < need and not use_budget:
        notes.append(Note.of("p_raised", need=need, p=p_req))
        p_req = need
    covers = sp.csr_array(m.covers)
    travel = sp.csr_array(m.time_min)
    if len(cand) == 0:
        res = infeasible_result(model_used, [], seconds=0.0)
        infeasible.append(Note.of("no_candidates"))
    else:
        problem = LocationProblem(
            coverage=covers, travel=travel, weights=weights, existing=fixed, forced=forced,
            excluded=excluded, site_cost=cost if use_budget else None,
            budget=cfg.budget if use_budget else None,
            group=group if model_used == "quota" else None,
            min_new=quota if model_used == "quota" else None)
        res = solve(problem, model=model_used,
                    p=None if model_used in ("lscp", "lscpb") else p_req,
                    time_limit=cfg.time_limit_s,
                    mip_gap=0.0 if model_used == "pcenter" else cfg.mip_gap,
                    objective="coverage" if model_used == "quota" else None)
        infeasible += _reasons(res, region, gaps, indicator)
        notes += _solver_notes(res)
    if res.message:
        log.info("optimize: %s", res.message)
    selected = np.asarray(res.selected, dtype=np.int64)
    years = max(1, min(cfg.phases, len(selected)))
    phasing = None
    if res.status in ("optimal", "feasible") and len(selected):
        objective: Literal["coverage", "travel"] = (
            "travel" if model_used in ("pmedian", "pcenter") else "coverage")
        phasing = phase_sites(covers if objective == "coverage" else travel, weights,
                              sites=selected, objective=objective, fixed=fixed, years=years)
        if objective == "coverage" and indicator is not None:
            phasing = _target_first_ties(phasing, m, gaps, indicator, counts, years=years)
    sites = _explain(m, weights, fixed, phasing, gaps, indicator, counts, quota, town_codes)
    towns = _townships(region, m, weights, fixed, selected, gaps, indicator, counts, quota)
    return SuggestResult(
        model=model_used, service_id=svc.id, service_name=svc.name, method=m.method,
        indicator=(indicator.id, indicator.name) if indicator is not None else None,
        sites=sites, townships=towns,
        reconciliation=_reconcile(gaps, indicator, sites),
        solver=res, phasing=phasing, p=p_req, notes=tuple(notes), infeasible=tuple(infeasible),
    )


# ---------------------------------------------------------------------------------- solving


def _reasons(res: LocationResult, region: Region, gaps: GapResult,
             indicator: Indicator | None) -> list[Note]:
    """The solver's reasons for no plan, as notes naming townships (in the stage's codes)."""
    if res.status == "no_solution":
        return [Note.of("no_solution")]
    if res.status != "infeasible":
        return []
    codes = [str(c) for c in region.townships["code"]]
    names = [str(n) for n in region.townships["name"]]
    units = (gaps.units[gaps.units["indicator_id"] == indicator.id] if indicator is not None
             else gaps.units.iloc[0:0])
    out = []
    for r in res.reasons:
        v = dict(r.values)
        if r.code == "group_short_of_candidates" and r.group is not None:
            code = codes[r.group]
            rows = units[units["township_code"].astype(str) == code]
            unplaced = int((~rows["in_numerator"].astype(bool)
                            & ~rows["located"].astype(bool)).sum())
            out.append(Note.of("quota_short", township=names[r.group], code=code,
                               need=int(v.get("need", 0)), candidates=int(v.get("have", 0)),
                               unlocated=unplaced))
        elif r.code == "groups_over_budget":
            out.append(Note.of("quota_over_budget", cost=v.get("cost", float("nan")),
                               budget=v.get("budget", float("nan"))))
        elif r.code == "groups_exceed_p":
            out.append(Note.of("quota_exceed_p", need=int(v.get("need", 0)),
                               p=int(v.get("p", 0))))
        elif r.code == "forced_exceed_p":
            out.append(Note.of("forced_exceed_p", forced=int(v.get("forced", 0)),
                               p=int(v.get("p", 0))))
        elif r.code in ("forced_over_budget", "cover_over_budget"):
            out.append(Note.of(r.code, cost=v.get("cost", float("nan")),
                               budget=v.get("budget", float("nan"))))
        elif r.code == "unreachable_demand":
            out.append(Note.of("unreachable_demand", count=int(v.get("count", len(r.rows))),
                               weight=v.get("weight", 0.0)))
        elif r.code == "share_unreachable":
            out.append(Note.of("share_unreachable", share=v.get("share", 0.0),
                               target=v.get("target", 0.0), reachable=v.get("reachable", 0.0)))
        elif r.code == "capacity_short":
            out.append(Note.of("capacity_short", demand=v.get("demand", 0.0),
                               capacity=v.get("capacity", 0.0)))
        else:
            out.append(Note.of("rules_conflict"))
    return out or [Note.of("rules_conflict")]


def _solver_notes(res: LocationResult) -> list[Note]:
    """Facts about a feasible plan, in the stage's codes."""
    out = []
    for n in res.notes:
        v = dict(n.values)
        if n.code == "all_candidates":
            out.append(Note.of("build_all", p=int(v.get("p", 0)),
                               candidates=int(v.get("candidates", 0))))
        elif n.code == "padded":
            useful = int(v.get("useful", 0))
            out.append(Note.of("padded", useful=useful, p=int(v.get("p", res.n_new)),
                               extra=int(res.n_new) - useful))
        elif n.code == "limited" and res.limited_by == "budget":
            out.append(Note.of("budget_binds", chosen=int(v.get("n_new", res.n_new)),
                               p=int(v.get("p", 0)), budget=v.get("budget", float("nan")),
                               spent=v.get("spent", float("nan"))))
        elif n.code == "uncoverable_demand":
            out.append(Note.of("uncoverable", count=int(v.get("count", len(n.rows))),
                               weight=v.get("weight", 0.0)))
        elif n.code == "stage_one_not_optimal":
            out.append(Note.of("stage_one_not_optimal", n_sites=int(v.get("n_sites", 0))))
    return out


def _planner_choices(m: SiteDemandMatrix, cfg: OptimizeConfig
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Site indices of the codes the planner locked (``force``) and excluded (``exclude``)."""
    ids = m.sites["id"].astype(str).to_numpy()
    if "cross_border" in m.sites:  # a neighbour county's site may carry the same code
        ids = np.where(m.sites["cross_border"].to_numpy(dtype=bool), "", ids)
    existing = m.sites["existing"].to_numpy(dtype=bool)
    candidate = m.sites["candidate"].to_numpy(dtype=bool)
    problems = []
    out = []
    for key, codes in (("force", cfg.force), ("exclude", cfg.exclude)):
        idx = []
        for code in codes:
            hits = np.flatnonzero(ids == str(code).strip())
            if not len(hits):
                problems.append(("is not a site or candidate of this service", key, code))
            elif existing[hits].any():
                problems.append(("already has a room (it is an existing site)", key, code))
            elif not candidate[hits].any():
                problems.append(("is not a candidate (check candidate_layers/statuses)", key,
                                 code))
            else:
                idx.extend(hits[candidate[hits]].tolist())
        out.append(np.unique(np.asarray(idx, dtype=np.int64)))
    both = np.intersect1d(out[0], out[1])
    for j in both:
        problems.append(("is both locked and excluded", "exclude", ids[j]))
    if problems:
        fix = ("use the codes of candidate villages/communities (see suggested_sites.csv or "
               "the 台账)")
        raise InputError([Problem(None, None, f"optimize.{key}", code, f"{code} {msg}", fix)
                          for msg, key, code in problems])
    return out[0], out[1]


# ---------------------------------------------------------------------------------- indicator


def _indicator(gaps: GapResult, cfg: OptimizeConfig) -> Indicator | None:
    """The indicator named in the section, else the preset's room indicator."""
    if cfg.indicator:
        ind = gaps.preset.indicator(cfg.indicator)
        if ind.kind != "rate" or ind.denominator is None or not ind.denominator.layers:
            raise InputError.single(
                f"indicator '{ind.id}' ({ind.name}) is not a completion rate over units",
                column="optimize.indicator", value=ind.id,
                fix="name a rate indicator counted over villages/communities, e.g. "
                    "village_room_rate")
        return ind
    return gaps.preset.room_indicator()


def _counts_for(indicator: Indicator | None, gaps: GapResult, m: SiteDemandMatrix
                ) -> np.ndarray:
    """Per site: does building it raise the indicator's numerator by one?"""
    out = np.zeros(len(m.sites), dtype=bool)
    if indicator is None:
        return out
    u = gaps.units[gaps.units["indicator_id"] == indicator.id]
    raising = set(zip(u.loc[~u["in_numerator"].astype(bool), "layer"].astype(str),
                      u.loc[~u["in_numerator"].astype(bool), "id"].astype(str), strict=True))
    kinds = m.sites["kind"].astype(str).to_numpy()
    ids = m.sites["id"].astype(str).to_numpy()
    cand = m.sites["candidate"].to_numpy(dtype=bool)
    for j in np.flatnonzero(cand):
        out[j] = (kinds[j], ids[j]) in raising
    return out


def _rows(gaps: GapResult, indicator: Indicator | None) -> pd.DataFrame:
    if indicator is None:
        return gaps.table.iloc[0:0]
    t = gaps.table
    return t[(t["indicator_id"] == indicator.id) & (t["unit_level"] == "township")]


def _quotas(indicator: Indicator | None, gaps: GapResult, town_codes: Sequence[str]
            ) -> np.ndarray:
    """Minimum new sites per township: the indicator's township shortfalls."""
    rows = _rows(gaps, indicator)
    short = dict(zip(rows["unit_code"].astype(str),
                     pd.to_numeric(rows["shortfall"], errors="coerce"), strict=True))
    need = np.array([int(np.nan_to_num(short.get(c, 0), nan=0)) for c in town_codes],
                    dtype=np.int64)
    return np.maximum(need, 0)


# ---------------------------------------------------------------------------------- phasing


def _target_first_ties(phasing: PhasingResult, m: SiteDemandMatrix, gaps: GapResult,
                       indicator: Indicator, counts: np.ndarray, *, years: int
                       ) -> PhasingResult:
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
    built = _built_counts(gaps, indicator)
    towns = m.sites["township_code"].astype("string").fillna("").to_numpy()
    added: dict[str, int] = {}
    for j in first:
        if counts[j]:
            added[towns[j]] = added.get(towns[j], 0) + 1
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
        j = queue[code].pop(0)
        picked.append(j)
        if counts[j]:
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


# ---------------------------------------------------------------------------------- results


def _nearest(times: sp.csc_array, cols: np.ndarray, n: int) -> np.ndarray:
    """Per demand row, the minimum stored time over ``cols`` (inf where none)."""
    best = np.full(n, np.inf)
    for j in cols:
        lo, hi = times.indptr[j], times.indptr[j + 1]
        np.minimum.at(best, times.indices[lo:hi], times.data[lo:hi])
    return best


def _covered(covers: sp.csc_array, cols: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for j in cols:
        out[covers.indices[covers.indptr[j]:covers.indptr[j + 1]]] = True
    return out


def _built_counts(gaps: GapResult, indicator: Indicator | None
                  ) -> dict[str, tuple[float, float, float]]:
    """Township code -> (numerator, denominator, target) of the indicator."""
    rows = _rows(gaps, indicator)

    def num(v: object) -> float:
        return float("nan") if pd.isna(v) else float(v)  # type: ignore[arg-type]

    return {str(r.unit_code): (num(r.numerator), num(r.denominator), num(r.target))
            for r in rows.itertuples()}


def _explain(m: SiteDemandMatrix, weights: np.ndarray, fixed: np.ndarray,
             phasing: PhasingResult | None, gaps: GapResult, indicator: Indicator | None,
             counts: np.ndarray, quota: np.ndarray, town_codes: Sequence[str]
             ) -> gpd.GeoDataFrame:
    columns = list(SITE_COLUMNS)
    if phasing is None or not len(phasing.order):
        return gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry="geometry",
                                crs="EPSG:4326")
    n = len(m.demand)
    covers = sp.csc_array(m.covers)
    times = sp.csc_array(m.time_min)
    is_cov = _covered(covers, fixed, n)
    near = _nearest(times, fixed, n)
    built = _built_counts(gaps, indicator)
    left = dict(zip(town_codes, (int(q) for q in quota), strict=True))
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
        code = str(site["township_code"])
        before = after = np.nan
        reaches = False
        if counts[j] and code in built:
            b, d, target = built[code]
            before = b / d if d else np.nan
            built[code] = (b + 1, d, target)
            after = (b + 1) / d if d else np.nan
            reaches = bool(before < target <= after + 1e-12)
        for_quota = bool(counts[j]) and left.get(code, 0) > 0
        if for_quota:
            left[code] -= 1
        gain = float(weights[new_cov].sum())
        reason = ("both" if for_quota and gain > 0 else "quota" if for_quota
                  else "coverage" if gain > 0 else "count")
        rows.append({
            "rank": rank, "phase": int(year), "id": site["id"], "name": site["name"],
            "kind": site["kind"], "township_code": site["township_code"],
            "township_name": site["township_name"], "status": site["status"],
            "reason": reason, "counts": bool(counts[j]), "gain_population": gain,
            "gain_units": int(new_cov.sum()), "minutes_saved": saved,
            "rate_before": before, "rate_after": after, "reaches_target": reaches,
            "geometry": site.geometry,
        })
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry",
                            crs="EPSG:4326")


def _townships(region: Region, m: SiteDemandMatrix, weights: np.ndarray, fixed: np.ndarray,
               selected: np.ndarray, gaps: GapResult, indicator: Indicator | None,
               counts: np.ndarray, quota: np.ndarray) -> pd.DataFrame:
    n = len(m.demand)
    covers = sp.csc_array(m.covers)
    before = _covered(covers, fixed, n)
    after = before | _covered(covers, selected, n)
    dem_town = m.demand["township_code"].astype("string").fillna("").to_numpy()
    site_town = m.sites["township_code"].astype("string").fillna("").to_numpy()
    sel_town = site_town[selected]
    sel_counts = counts[selected]
    built = _built_counts(gaps, indicator)
    table = _rows(gaps, indicator).set_index(_rows(gaps, indicator)["unit_code"].astype(str))
    rows = []
    for i, (code, name) in enumerate(zip(region.townships["code"].astype(str),
                                         region.townships["name"], strict=True)):
        mask = dem_town == code
        pop = float(weights[mask].sum())
        new = int((sel_town == code).sum())
        raise_ = int(((sel_town == code) & sel_counts).sum())
        num, den, target = built.get(code, (np.nan, np.nan, np.nan))
        rate_b = num / den if den else np.nan
        rate_a = (num + raise_) / den if den else np.nan
        unloc = table.loc[code, "unlocated"] if code in table.index else pd.NA
        rows.append({
            "township_code": code, "township_name": name,
            "units": den, "built_before": num, "rate_before": rate_b,
            "quota": int(quota[i]) if len(quota) else 0,
            "candidates": int(((site_town == code) & counts).sum()),
            "unlocated": None if pd.isna(unloc) else int(unloc),
            "new_sites": new, "rate_after": rate_a, "target": target,
            "met_after": (bool(rate_a + 1e-12 >= target)
                          if np.isfinite(rate_a) and np.isfinite(target) else None),
            "covered_before": float(weights[mask & before].sum()),
            "covered_after": float(weights[mask & after].sum()),
            "share_before": float(weights[mask & before].sum()) / pop if pop else np.nan,
            "share_after": float(weights[mask & after].sum()) / pop if pop else np.nan,
        })
    out = pd.DataFrame(rows, columns=list(TOWNSHIP_COLUMNS))
    out["met_after"] = out["met_after"].astype("boolean")
    out["unlocated"] = out["unlocated"].astype("Int64")
    return out


def _reconcile(gaps: GapResult, indicator: Indicator | None, sites: pd.DataFrame
               ) -> dict[str, float]:
    """County shortfall, the townships' shortfalls and the suggestions by reason."""
    out: dict[str, float] = {}
    if indicator is not None:
        t = gaps.table[gaps.table["indicator_id"] == indicator.id]
        county = t[t["unit_level"] == "county"]["shortfall"]
        towns = pd.to_numeric(t[t["unit_level"] == "township"]["shortfall"], errors="coerce")
        out["county_shortfall"] = float(county.iloc[0]) if len(county) and \
            pd.notna(county.iloc[0]) else float("nan")
        out["township_shortfall_sum"] = float(towns.fillna(0).sum())
    reasons = sites["reason"].value_counts() if len(sites) else pd.Series(dtype=int)
    out["suggested"] = float(len(sites))
    for code in ("quota", "coverage", "both", "count"):
        out[f"for_{code}"] = float(reasons.get(code, 0))
    out["newly_covered"] = float(sites["gain_population"].sum()) if len(sites) else 0.0
    return out
