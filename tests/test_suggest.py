"""The region-level suggestion adapter on the tiny two-township region.

Tiny region (tests/fixtures/tiny): west township 西山镇 has 甲村 (built), 乙村 (none) and
西山社区 (built); east township 东河镇 has 丙村 (在建), 丁村 (none), 戊村 (规划).  Against the
national 80% village-room target: west needs ceil(0.8 * 3) - 2 = 1 more room, east needs
ceil(0.8 * 3) - 0 = 3.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from coverage import load_region
from coverage.access import site_demand_matrix
from coverage.pipeline import analyse_gaps
from coverage.suggest import suggest_sites


@pytest.fixture(scope="module")
def region():  # type: ignore[no-untyped-def]
    return load_region(Path(__file__).parent / "fixtures" / "tiny" / "region.toml")


def test_quota_meets_every_township(region) -> None:  # type: ignore[no-untyped-def]
    gaps = analyse_gaps(region)
    res = suggest_sites(region, gaps=gaps, model="quota", p=4)
    assert res.solver.status == "optimal"
    assert sorted(res.sites["name"]) == ["丁村", "丙村", "乙村", "戊村"]
    towns = res.townships.set_index("township_name")
    assert towns.loc["西山镇", "quota"] == 1 and towns.loc["东河镇", "quota"] == 3
    assert towns.loc["西山镇", "built_before"] == 2 and towns.loc["西山镇", "units"] == 3
    assert (towns["met_after"] == "是").all()
    assert towns.loc["东河镇", "rate_after"] == pytest.approx(1.0)
    assert list(res.sites["rank"]) == [1, 2, 3, 4]
    assert set(res.sites["phase"]) <= {1, 2, 3}
    assert all(isinstance(e, str) and "建成率" in e for e in res.sites["target_effect"])


def test_quota_raises_p_to_what_the_targets_need(region) -> None:  # type: ignore[no-untyped-def]
    res = suggest_sites(region, model="quota", p=1)
    assert res.p == 4 and len(res.sites) == 4
    assert any("调整为 4" in n for n in res.notes)


def test_mclp_matches_brute_force(region) -> None:  # type: ignore[no-untyped-def]
    cfg = region.config
    m = site_demand_matrix(region, cfg.access, service_id="counselling",
                           candidate_layers=["village"],
                           candidate_statuses=["none", "planned", "under_construction"])
    covers = m.covers.toarray()
    w = m.demand["population"].to_numpy(dtype=float)
    fixed = np.flatnonzero(m.sites["existing"].to_numpy())
    cand = np.flatnonzero(m.sites["candidate"].to_numpy())
    best = max(
        float(w[covers[:, [*fixed, *combo]].any(axis=1)].sum())
        for combo in combinations(cand, 2)
    )
    res = suggest_sites(region, model="mclp", p=2)
    assert res.solver.objective == pytest.approx(best)
    base = float(w[covers[:, fixed].any(axis=1)].sum())
    assert float(res.sites["gain_population"].sum()) == pytest.approx(best - base)


def test_infeasible_budget_is_explained(region) -> None:  # type: ignore[no-untyped-def]
    res = suggest_sites(region, model="quota", budget=1.0)
    assert res.solver.status == "infeasible"
    assert len(res.sites) == 0
    assert "无可行解" in res.summary_text()
