"""Region TOML validation: unknown keys, wrong types and missing files, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage import ConfigError, load_config
from coverage.config import apply_scenario


def test_tiny_config_parses(tiny_toml: Path) -> None:
    cfg = load_config(tiny_toml)
    assert cfg.region.code == "370999"
    assert [a.level for a in cfg.admin] == ["county", "township"]
    assert cfg.layers["school"].crs == "gcj02"
    assert cfg.access.services[0].id == "counselling"
    assert cfg.optimize.model == "quota"


def test_every_config_problem_reported_with_key_path(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text(
        """
[region]
name = "x"
code = 370999
stict = true

[[admin]]
level = "county"
file = "nope.geojson"
code_column = "代码"
name_column = "名称"

[layers.villages]
file = "v.csv"

[layers.school]
file = "missing.csv"
header_row = "2"
[layers.school.columns]
id = "代码"
name = "名称"
lattitude = "纬度"

[optimize]
model = "kmeans"
p = 2.5
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    keys = {p.column: p for p in info.value.problems}
    assert "did you mean 'strict'" in keys["region.stict"].fix
    assert "not found" in keys["admin[0].file"].message
    assert "admin" not in keys  # a county outline alone is enough: townships from codes
    assert "village" in keys["layers.villages"].fix  # allowed kinds listed
    assert "not found" in keys["layers.school.file"].message
    assert keys["layers.school.header_row"].message.startswith("expected int")
    assert "lat" in keys["layers.school.columns.lattitude"].fix
    assert "mclp" in keys["optimize.model"].fix
    assert keys["optimize.p"].message.startswith("expected int")


def test_not_toml_is_one_clear_error(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("[region\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(toml)


def test_scenario_overrides_merge(tiny_toml: Path, tmp_path: Path) -> None:
    text = tiny_toml.read_text(encoding="utf-8")
    text += "\n[optimize]\np = 5\n\n[scenarios.more]\noptimize = { p = 9 }\n"
    toml = tiny_toml.parent / "_scenario_test.toml"
    try:
        toml.write_text(text, encoding="utf-8")
        cfg = load_config(toml)
        assert cfg.optimize.p == 5
        assert apply_scenario(cfg, "more").optimize.p == 9
        with pytest.raises(ConfigError, match="unknown scenario"):
            apply_scenario(cfg, "less")
    finally:
        toml.unlink()
