"""The region-level suggest stage on the tiny two-township region.

Tiny region (tests/fixtures/tiny): west township 西山镇 has 甲村 (built), 乙村 (none) and
西山社区 (built); east township 东河镇 has 丙村 (在建), 丁村 (none), 戊村 (规划).  Against the
national 80% village-room target: west needs ceil(0.8 * 3) - 2 = 1 more room, east needs
ceil(0.8 * 3) - 0 = 3.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coverage import load_config, load_region
from coverage.access import AccessContext, site_demand_matrix
from coverage.config import RegionConfig
from coverage.pipeline import analyse_gaps, build_access, suggest
from coverage.present.suggest import explanations, summary_text
from coverage.region import Region
from coverage.suggest import SuggestResult
from coverage.targets import GapResult

TINY = Path(__file__).parent / "fixtures" / "tiny" / "region.toml"


@pytest.fixture(scope="module")
def setup() -> tuple[RegionConfig, Region, AccessContext, GapResult]:
    cfg = load_config(TINY)
    region = load_region(cfg)
    return cfg, region, build_access(region, cfg), analyse_gaps(region, cfg)


def _suggest(setup: tuple[RegionConfig, Region, AccessContext, GapResult],
             **options: Any) -> SuggestResult:
    cfg, region, ctx, gaps = setup
    return suggest(region, cfg, context=ctx, gaps=gaps, **options)


def test_quota_meets_every_township(setup) -> None:  # type: ignore[no-untyped-def]
    res = _suggest(setup, model="quota", p=4)
    assert res.solver.status == "optimal"
    assert sorted(res.sites["name"]) == ["丁村", "丙村", "乙村", "戊村"]
    towns = res.townships.set_index("township_name")
    assert towns.loc["西山镇", "quota"] == 1 and towns.loc["东河镇", "quota"] == 3
    assert towns.loc["西山镇", "built_before"] == 2 and towns.loc["西山镇", "units"] == 3
    assert towns["met_after"].all()
    assert towns.loc["东河镇", "rate_after"] == pytest.approx(1.0)
    assert (res.townships["rate_after"] <= 1.0).all()
    assert list(res.sites["rank"]) == [1, 2, 3, 4]
    assert set(res.sites["phase"]) <= {1, 2, 3}
    assert set(res.sites["reason"]) <= {"quota", "both"}
    assert all("建成率" in e for e in explanations(res))
    r = res.reconciliation
    assert r["township_shortfall_sum"] == 4 and r["suggested"] == 4
    assert r["for_quota"] + r["for_both"] == 4


def test_quota_raises_p_to_what_the_targets_need(setup) -> None:  # type: ignore[no-untyped-def]
    res = _suggest(setup, model="quota", p=1)
    assert res.p == 4 and len(res.sites) == 4
    assert any(n.code == "p_raised" and n.values["need"] == 4 for n in res.notes)
    assert "调整为 4" in summary_text(res)


def test_mclp_matches_brute_force(setup) -> None:  # type: ignore[no-untyped-def]
    cfg, region, ctx, gaps = setup
    m = site_demand_matrix(ctx, service_id="counselling", candidate_layers=["village"],
                           candidate_statuses=["none", "planned", "under_construction"])
    covers = m.covers.toarray()
    w = m.demand["population"].to_numpy(dtype=float)
    fixed = np.flatnonzero(m.sites["existing"].to_numpy())
    cand = np.flatnonzero(m.sites["candidate"].to_numpy())
    best = max(
        float(w[covers[:, [*fixed, *combo]].any(axis=1)].sum())
        for combo in combinations(cand, 2)
    )
    res = suggest(region, replace(cfg, optimize=replace(cfg.optimize,
                                                        candidate_layers=("village",))),
                  context=ctx, gaps=gaps, model="mclp", p=2)
    assert res.solver.objective == pytest.approx(best)
    base = float(w[covers[:, fixed].any(axis=1)].sum())
    assert float(res.sites["gain_population"].sum()) == pytest.approx(best - base)


def test_infeasible_budget_is_explained(setup) -> None:  # type: ignore[no-untyped-def]
    res = _suggest(setup, model="quota", budget=1.0)
    assert not res.feasible
    assert len(res.sites) == 0
    assert "无可行方案" in summary_text(res)
