"""``[[optimize.extra_candidates]]``: places the planner adds as candidate sites (the
workbench's "add a candidate by clicking the map"), from the TOML through the loader to the
suggest stage, on the tiny two-township region (西山镇 west of 117.1°E, 东河镇 east)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from coverage.access import site_demand_matrix
from coverage.config import parse_config
from coverage.load import load_region
from coverage.pipeline import analyse_gaps, build_access, suggest
from coverage.problems import ConfigError, InputError

TINY = Path(__file__).parent / "fixtures" / "tiny" / "region.toml"
HALL = {"id": "ADD-1", "name": "东河镇政府活动室", "lon": 117.16, "lat": 35.10}


def _config(*extra: dict[str, Any], **optimize: Any) -> Any:
    raw = tomllib.loads(TINY.read_text(encoding="utf-8"))
    raw["optimize"] = {"extra_candidates": list(extra), **optimize}
    return parse_config(raw, base_dir=TINY.parent, path=TINY)


def test_parsed_with_defaults_and_every_problem_named() -> None:
    cfg = _config(HALL, {"name": "无代码", "lon": 117.05, "lat": 35.1})
    ids = [c.id for c in cfg.optimize.extra_candidates]
    assert ids == ["ADD-1", "新增候选2"]
    with pytest.raises(ConfigError) as exc:
        _config({"name": "a", "lon": 200, "lat": 35}, {"name": "b", "lat": 35},
                HALL, HALL, {"name": "c", "lon": 117, "lat": 35, "colour": "red"})
    keys = {(p.column, p.message) for p in exc.value.problems}
    assert ("optimize.extra_candidates[0]", "longitude/latitude out of range") in keys
    assert ("optimize.extra_candidates[1].lon", "required key is missing") in keys
    assert ("optimize.extra_candidates", "duplicate id") in keys
    assert any(k[0] == "optimize.extra_candidates[4].colour" for k in keys)


def test_loaded_as_a_service_site_not_built_in_its_township() -> None:
    region = load_region(_config(HALL))
    sites = region.layers["service_site"].set_index("id")
    row = sites.loc["ADD-1"]
    assert row["status"] == "none" and row["name"] == "东河镇政府活动室"
    assert row["township_name"] == "东河镇" and row["township_source"] == "polygon"
    assert row.geometry.x == pytest.approx(117.16) and row.geometry.y == pytest.approx(35.10)
    # nothing else changed: the villages are the fixture's own
    assert len(region.layers["village"]) == len(load_region(TINY).layers["village"])


@pytest.mark.parametrize(("extra", "code"), [
    ({"id": "X", "name": "县外", "lon": 117.5, "lat": 35.1}, "extra_candidate_outside"),
    ({"id": "370999102202", "name": "重号", "lon": 117.16, "lat": 35.1}, "extra_candidate_id"),
])
def test_outside_the_county_or_a_taken_id_is_an_error(extra: dict[str, Any], code: str) -> None:
    with pytest.raises(InputError) as exc:
        load_region(_config(extra))
    found = [p for p in exc.value.problems if p.code == code]
    assert found and found[0].column == "optimize.extra_candidates[0]"


def test_a_candidate_for_the_suggest_stage_only_when_listed() -> None:
    cfg = _config(HALL)
    region = load_region(cfg)
    ctx = build_access(region, cfg)
    listed = site_demand_matrix(ctx, service_id="counselling",
                                candidate_layers=("village", "community"),
                                candidate_statuses=("none",), extra_candidates=["ADD-1"])
    plain = site_demand_matrix(ctx, service_id="counselling",
                               candidate_layers=("village", "community"),
                               candidate_statuses=("none",))
    row = listed.sites[listed.sites["id"] == "ADD-1"]
    assert len(row) == 1 and bool(row["candidate"].iloc[0]) and not row["existing"].iloc[0]
    assert "ADD-1" not in set(plain.sites["id"])
    assert len(listed.sites) == len(plain.sites) + 1


def test_locked_and_excluded_like_any_candidate() -> None:
    cfg = _config(HALL)
    region = load_region(cfg)
    ctx, gaps = build_access(region, cfg), analyse_gaps(region, cfg)
    locked = suggest(region, cfg, context=ctx, gaps=gaps, model="mclp", p=1, force=["ADD-1"])
    assert locked.feasible
    assert list(locked.sites["id"]) == ["ADD-1"]
    assert locked.sites["township_name"].iloc[0] == "东河镇"
    barred = suggest(region, cfg, context=ctx, gaps=gaps, model="mclp", p=2,
                     exclude=["ADD-1"])
    assert barred.feasible and "ADD-1" not in set(barred.sites["id"])


def test_quota_model_builds_a_locked_added_site_on_top_of_the_quotas() -> None:
    """The quotas need 4 rooms; a locked site that is not a village's room comes on top
    (p is raised to 5, not left at the quota sum, which would make the plan infeasible)."""
    cfg = _config(HALL)
    region = load_region(cfg)
    ctx, gaps = build_access(region, cfg), analyse_gaps(region, cfg)
    res = suggest(region, cfg, context=ctx, gaps=gaps, model="quota", p=1, force=["ADD-1"])
    assert res.feasible
    assert "ADD-1" in set(res.sites["id"]) and len(res.sites) == 5
    assert res.townships["met_after"].all()
