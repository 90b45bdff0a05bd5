"""Region TOML validation: unknown keys, wrong types and missing files, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage import ConfigError, load_config
from coverage.config import apply_scenario
from coverage.problems import Problem


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


# ------------------------------------------------------------------ guards (issue 19)


def _variant(tiny_toml: Path, tmp_path: Path, old: str, new: str) -> Path:
    """The tiny region's TOML with one text replaced, beside copies of its data."""
    import shutil

    folder = tmp_path / "tiny"
    if not folder.exists():
        shutil.copytree(tiny_toml.parent, folder)
    text = tiny_toml.read_text(encoding="utf-8")
    assert old in text
    toml = folder / "region.toml"
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return toml


def _problems(toml: Path) -> dict[str, Problem]:
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    assert "Traceback" not in str(info.value)
    return {p.column or "": p for p in info.value.problems}


def _all_problems(toml: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    return info.value.problems


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_toml_with_a_byte_order_mark_is_accepted(tiny_toml: Path, tmp_path: Path,
                                                 encoding: str) -> None:
    import shutil

    shutil.copytree(tiny_toml.parent, tmp_path / "tiny")
    toml = tmp_path / "tiny" / "region.toml"
    toml.write_bytes(tiny_toml.read_text(encoding="utf-8").encode(encoding))
    assert toml.read_bytes()[:2] in (b"\xef\xbb", b"\xff\xfe")
    assert load_config(toml).region.name == "测试县"


def test_gbk_toml_is_named_with_the_fix(tiny_toml: Path, tmp_path: Path) -> None:
    toml = tmp_path / "gbk.toml"
    toml.write_bytes(tiny_toml.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    text = str(info.value)
    assert "not UTF-8" in text and "GBK" in text and "line" in text
    assert "另存为" in text and str(toml) in text


def test_folder_device_and_huge_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="this is a folder"):
        load_config(tmp_path)
    if Path("/dev/zero").exists():
        with pytest.raises(ConfigError, match="not a regular file"):
            load_config("/dev/zero")
    big = tmp_path / "big.toml"
    with big.open("wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    with pytest.raises(ConfigError, match="not a region TOML"):
        load_config(big)


@pytest.mark.parametrize(("code", "hint"), [
    ('"37099"', "6 digits"),
    ("37099", "6 digits"),
    ('"370999101"', 'code = "370999"'),
    ('"370999101201"', 'code = "370999"'),
    ('"３７０９９９"', 'code = "370999"'),
    ('" 370999"', 'code = "370999"'),
    ('"37-0999"', "6-digit county code"),
    ('"070999"', "6-digit county code"),
])
def test_region_code_must_be_six_digits(tiny_toml: Path, tmp_path: Path, code: str,
                                        hint: str) -> None:
    toml = _variant(tiny_toml, tmp_path, 'code = "370999"', f"code = {code}")
    problem = _problems(toml)["region.code"]
    assert "6-digit county code" in problem.message
    assert hint in problem.fix


def test_integer_region_code_is_fine(tiny_toml: Path, tmp_path: Path) -> None:
    toml = _variant(tiny_toml, tmp_path, 'code = "370999"', "code = 370999")
    assert load_config(toml).region.code == "370999"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+nan"])
def test_non_finite_numbers_are_errors(tiny_toml: Path, tmp_path: Path, value: str) -> None:
    toml = _variant(tiny_toml, tmp_path, '[layers.village]\n',
                    f'[access]\nsnap_limit_m = {value}\n\n[targets.overrides.village_room_rate]'
                    f'\ntarget = {value}\n\n[layers.village]\n')
    for key in ("access.snap_limit_m", "targets.overrides.village_room_rate.target"):
        messages = [q.message for q in _all_problems(toml) if q.column == key]
        assert any("finite number" in m for m in messages), messages


def test_control_characters_in_texts_are_errors(tiny_toml: Path, tmp_path: Path) -> None:
    toml = _variant(tiny_toml, tmp_path, 'name = "测试县"', 'name = "测试\\u0007县"')
    problem = _problems(toml)["region.name"]
    assert "U+0007" in problem.message


@pytest.mark.parametrize(("name", "words"), [
    ('"../../etc"', "starts with a dot"),
    ('"a/b"', "'/'"),
    ('"CON"', "reserved device name"),
    ('"base"', "the base run's folder"),
    ('"x "', "ends with a space"),
])
def test_scenario_names_must_be_folder_names(tiny_toml: Path, tmp_path: Path, name: str,
                                             words: str) -> None:
    toml = _variant(tiny_toml, tmp_path, "[layers.village]\n",
                    f"[scenarios.{name}]\noptimize = {{ p = 2 }}\n\n[layers.village]\n")
    found = _problems(toml)
    key = next(k for k in found if k.startswith("scenarios."))
    assert words in found[key].message


def test_scenario_names_differing_in_case_clash(tiny_toml: Path, tmp_path: Path) -> None:
    toml = _variant(tiny_toml, tmp_path, "[layers.village]\n",
                    '[scenarios.Plan]\noptimize = { p = 2 }\n[scenarios.plan]\n'
                    'optimize = { p = 3 }\n\n[layers.village]\n')
    assert "on Windows and macOS" in _problems(toml)["scenarios.plan"].message


def test_a_boolean_is_not_a_code_or_a_number(tiny_toml: Path, tmp_path: Path) -> None:
    """Found by the fuzz suite: TOML's true is a Python int, so `code = true` read as "True"."""
    toml = _variant(tiny_toml, tmp_path, 'code = "370999"', "code = true")
    assert _problems(toml)["region.code"].message == "expected str/int, got bool"
