"""The batch TOML: every problem at once, with the key and the fix; --only; the roll-up rules.

Fast tests (no Dask, no county run): the slow end-to-end ones are in test_batch_run.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from coverage.batch import load_batch_config, roll_up
from coverage.batch._manifest import SUMMARY, is_complete, write_manifest
from coverage.problems import ConfigError


def _county(folder: Path, code: str, name: str = "某县") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "region.toml"
    path.write_text(f'[region]\nname = "{name}"\ncode = "{code}"\n', encoding="utf-8")
    return path


def test_a_valid_list_reads_codes_from_the_county_tomls(tmp_path: Path) -> None:
    _county(tmp_path / "a", "640302", "利通区")
    _county(tmp_path / "b", "640303", "红寺堡区")
    (tmp_path / "roads.osm.pbf").write_bytes(b"x")
    (tmp_path / "batch.toml").write_text(
        '[batch]\ncode = "640300"\nname = "吴忠市"\npreset = "wuzhong_2023"\n'
        'roads = "roads.osm.pbf"\nbuffer_km = 5\n'
        '[[counties]]\nconfig = "a/region.toml"\n[[counties]]\nconfig = "b/region.toml"\n',
        encoding="utf-8")
    cfg = load_batch_config(tmp_path / "batch.toml")
    assert [(c.code, c.name) for c in cfg.counties] == [("640302", "利通区"),
                                                        ("640303", "红寺堡区")]
    assert cfg.preset == "wuzhong_2023" and cfg.buffer_km == 5.0
    assert cfg.roads == tmp_path / "roads.osm.pbf"
    assert cfg.select(["640303"]) == (cfg.counties[1],)
    with pytest.raises(ConfigError) as exc:
        cfg.select(["640399"])
    assert "640302, 640303" in exc.value.problems[0].fix


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    _county(tmp_path / "a", "640302")
    _county(tmp_path / "b", "640302")           # the same code twice
    _county(tmp_path / "c", "370831")           # not in the city
    (tmp_path / "batch.toml").write_text(
        '[batch]\ncode = "6403"\npreset = "wuzong_2023"\nbuffer_km = -1\n'
        'roads = "missing.pbf"\ncounty_output = "full"\n'
        '[[counties]]\nconfig = "a/region.toml"\n[[counties]]\nconfig = "b/region.toml"\n'
        '[[counties]]\nconfig = "c/region.toml"\n[[counties]]\nconfig = "a/region.toml"\n'
        '[[counties]]\nconfig = "nowhere/region.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_batch_config(tmp_path / "batch.toml")
    found = {(p.column, p.message.split(":")[0]) for p in exc.value.problems}
    keys = {k for k, _ in found}
    assert {"batch.code", "batch.name", "batch.preset", "batch.buffer_km", "batch.roads",
            "batch.county_output", "counties[2].config", "counties[4].config",
            "counties[5].config"} <= keys
    assert "counties[3].config" not in keys  # 370831 cannot be checked against a bad code
    by_key = {p.column: p for p in exc.value.problems}
    assert "wuzhong_2023" in by_key["batch.preset"].fix            # a close match offered
    assert "county_outputs" in by_key["batch.county_output"].fix
    assert "listed twice" in by_key["counties[2].config"].message
    assert all(p.file == str(tmp_path / "batch.toml") for p in exc.value.problems)


def test_a_county_outside_the_city_and_a_missing_batch_table(tmp_path: Path) -> None:
    _county(tmp_path / "c", "370831")
    (tmp_path / "batch.toml").write_text(
        '[batch]\ncode = "640300"\nname = "吴忠市"\n[[counties]]\nconfig = "c/region.toml"\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_batch_config(tmp_path / "batch.toml")
    assert "370831 is not in 640300" in exc.value.problems[0].message
    assert 'code = "100000"' in exc.value.problems[0].fix  # the way across provinces
    (tmp_path / "bad.toml").write_text("[[counties]]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_batch_config(tmp_path / "bad.toml")
    assert {p.column for p in exc.value.problems} >= {"batch", "counties[1].config"}


def test_the_national_code_takes_counties_of_any_province(tmp_path: Path) -> None:
    _county(tmp_path / "a", "370831", "泗水县")
    _county(tmp_path / "b", "640302", "利通区")
    (tmp_path / "batch.toml").write_text(
        '[batch]\ncode = "100000"\nname = "全国试点"\n'
        '[[counties]]\nconfig = "a/region.toml"\n[[counties]]\nconfig = "b/region.toml"\n',
        encoding="utf-8")
    cfg = load_batch_config(tmp_path / "batch.toml")
    assert [c.code for c in cfg.counties] == ["370831", "640302"]


def test_a_broken_county_toml_is_not_a_batch_problem(tmp_path: Path) -> None:
    bad = tmp_path / "640305" / "region.toml"
    bad.parent.mkdir()
    bad.write_text("[region\nthis is not toml", encoding="utf-8")
    (tmp_path / "batch.toml").write_text(
        '[batch]\ncode = "640300"\nname = "吴忠市"\n[[counties]]\nconfig = "640305/region.toml"\n',
        encoding="utf-8")
    cfg = load_batch_config(tmp_path / "batch.toml")
    assert cfg.counties[0].code == "640305"  # the folder's name: it fails when it runs


def test_manifest_completeness(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "a.csv").write_text("x\n1\n")
    (tmp_path / SUMMARY).write_text("{}")
    write_manifest(tmp_path, code="640302", fingerprint="f1")
    assert is_complete(tmp_path, "f1")
    assert not is_complete(tmp_path, "f2")                     # inputs changed
    (tmp_path / "tables" / "a.csv").write_text("x\n12\n")        # an output changed size
    assert not is_complete(tmp_path, "f1")


def _summary(code: str, rows: list[tuple[str, str, int, int, str]],
             points: list[tuple[str, float, bool, bool]]) -> dict[str, object]:
    gaps = [{"indicator_id": ind, "indicator_name": ind, "kind": "rate", "scope": "county",
             "unit_level": level, "unit_code": code if level == "county" else code + "001",
             "unit_name": "t", "numerator": n, "denominator": d, "rate": n / d,
             "target": 0.8, "per": None, "met": n / d >= 0.8,
             "shortfall": max(0, -(-8 * d // 10) - n), "shortfall_unit": "site",
             "binding": level == "county", "status": "met" if n / d >= 0.8 else "unmet"}
            for ind, level, n, d, _ in rows]
    pts = [{"service_id": "s", "service_name": "S", "kind": "village", "id": i,
            "population": pop, "covered": cov, "cross_border": cross, "status": "covered"}
           for i, pop, cov, cross in points]
    return {"county_code": code, "county_name": code, "preset": "p", "gaps": gaps,
            "access_points": pts, "suggested_sites": [], "outline_wkt": "POINT (0 0)"}


def test_roll_up_pools_units_and_ranks_counties() -> None:
    a = _summary("640302", [("r", "county", 8, 10, ""), ("r", "township", 1, 5, "")],
                 [("1", 100.0, True, False), ("2", 50.0, False, False)])
    b = _summary("640303", [("r", "county", 18, 20, "")],
                 [("3", 200.0, True, True)])
    up = roll_up([a, b], code="640300", name="吴忠市")
    city = up.city.set_index("indicator_id").loc["r"]
    assert city["numerator"] == 26 and city["denominator"] == 30
    assert city["rate"] == pytest.approx(26 / 30)
    assert city["counties_met"] == 2 and city["status"] == "met"
    ranks = up.counties.set_index("county_code")["rank"]
    assert ranks["640303"] == 1 and ranks["640302"] == 2        # 90% before 80%
    assert up.townships["unit_code"].tolist() == ["640302001"]   # 1/5 needs 3 more
    acc = up.access.set_index("county_code")
    assert acc.loc["640300", "covered_population"] == 300.0
    assert acc.loc["640300", "covered_share"] == pytest.approx(300 / 350)
    assert acc.loc["640303", "cross_border_points"] == 1
    assert isinstance(up.sites, pd.DataFrame) and up.sites.empty


def test_a_county_without_a_feasible_plan_is_not_ticked() -> None:
    from coverage.present.city import progress_line

    kw = {"done": 1, "failed": 0, "running": 0, "waiting": 0, "seconds": 3.0}
    assert progress_line("370831", "泗水县", "done", suggest_feasible=True, **kw).startswith("✓")
    line = progress_line("370831", "泗水县", "done", suggest_feasible=False, **kw)
    assert line.startswith("!") and "无可行方案" in line
    assert progress_line("370831", "泗水县", "failed", **kw).startswith("✗")
