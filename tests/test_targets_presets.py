"""Target presets: citations against the seed documents, schema validation, overrides."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from coverage.config import TargetsConfig
from coverage.present.gaps import format_indicator, format_preset_list, format_target
from coverage.problems import InputError
from coverage.targets import (
    apply_overrides,
    list_presets,
    load_preset,
    preset_from_config,
    preset_names,
)

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PRESET_SEEDS = {
    "national_2018": "004_4d7cfc87014f5108.txt",
    "wujiang_2019": "000_fdf63a51c4ae1ec8.txt",
    "wuzhong_2023": "001_49cf00b47e2cbd82.txt",
    "changning_2021": "002_21393ccd028102d5.txt",
    "sishui_2023": "003_3d6c6888664ce88d.txt",
}
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found at {SEEDS}")


def test_shipped_presets_are_the_five_documents() -> None:
    assert preset_names() == sorted(PRESET_SEEDS)
    for preset in list_presets():
        assert preset.source == PRESET_SEEDS[preset.id]
        assert preset.indicators, preset.id
        ids = [i.id for i in preset.indicators]
        assert len(ids) == len(set(ids)), preset.id


@needs_seeds
@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(PRESET_SEEDS))
def test_every_citation_is_a_verbatim_quote_of_its_seed(name: str) -> None:
    # Exact substring comparison: no whitespace normalisation is needed for any quote.
    preset = load_preset(name)
    for ind in preset.indicators:
        assert ind.citation.file == PRESET_SEEDS[name], ind.id
        text = (SEEDS / ind.citation.file).read_text(encoding="utf-8")
        assert len(ind.citation.quote) >= 8, ind.id
        assert ind.citation.quote in text, f"{name}.{ind.id}: {ind.citation.quote!r}"


@pytest.mark.parametrize(
    ("preset", "indicator", "target", "scope"),
    [
        ("national_2018", "village_room_rate", Fraction(4, 5), "county"),
        ("national_2018", "general_hospital_clinic_rate", Fraction(2, 5), "county"),
        ("national_2018", "psychiatric_hospital_clinic_rate", Fraction(1), "village"),
        ("wujiang_2019", "village_room_rate", Fraction(1), "village"),
        ("wujiang_2019", "demonstration_sites", Fraction(2), "township"),
        ("wujiang_2019", "general_hospital_clinic_rate", Fraction(1, 2), "county"),
        ("wuzhong_2023", "village_room_rate", Fraction(4, 5), "county"),
        ("wuzhong_2023", "general_hospital_clinic_rate", Fraction(3, 5), "county"),
        ("wuzhong_2023", "health_center_psychiatrist_rate", Fraction(3, 5), "county"),
        ("wuzhong_2023", "professionals_per_100k", Fraction(15), "county"),
        ("wuzhong_2023", "rehab_township_coverage", Fraction(3, 10), "county"),
        ("changning_2021", "village_room_rate", Fraction(1), "village"),
        ("changning_2021", "general_hospital_clinic_rate", Fraction(1, 2), "county"),
        ("changning_2021", "petition_office_room_rate", Fraction(1), "village"),
        ("sishui_2023", "institution_sites", Fraction(40), "county"),
        ("sishui_2023", "governance_center_rooms", Fraction(1), "township"),
    ],
)
def test_preset_targets_match_the_documents(preset: str, indicator: str, target: Fraction,
                                            scope: str) -> None:
    ind = load_preset(preset).indicator(indicator)
    assert ind.target == target
    assert ind.scope == scope


def test_special_indicator_definitions() -> None:
    gen = load_preset("national_2018").indicator("general_hospital_clinic_rate")
    assert gen.denominator is not None
    assert {(c.column, c.op) for c in gen.denominator.where} == {("subtype", "in"),
                                                                  ("grade", "ge")}
    college = load_preset("changning_2021").indicator("college_psych_teacher_ratio")
    assert (college.kind, college.target, college.per) == ("staff_ratio", 1, 4000)
    assert college.target_text == "≥1:4000"
    prof = load_preset("wuzhong_2023").indicator("professionals_per_100k")
    assert prof.per == 100_000 and prof.target_text == "≥15人/10万人"
    docs = load_preset("sishui_2023").indicator("health_center_psychiatrists")
    assert docs.numerator.where[0].value == 2
    assert load_preset("sishui_2023").indicator("institution_sites").deadline == dt.date(
        2023, 12, 31)
    assert load_preset("wuzhong_2023").indicator("village_room_rate").deadline == dt.date(
        2025, 12, 31)


def test_decimal_targets_are_exact_fractions() -> None:
    # 0.7 as a float is 0.69999999999999995559...; the parser keeps the decimal meaning.
    preset = apply_overrides(load_preset("national_2018"),
                             {"village_room_rate": {"target": 0.7}}, [])
    assert preset.indicator("village_room_rate").target == Fraction(7, 10)


BAD_PRESET = """
[preset]
id = "bad"
name = "坏的预设"
source = "x.txt"
colour = "red"

[[indicator]]
id = "a"
name = "A"
kind = "ratio"
target = 0.5
numerator = { statuses = ["built"] }
denominator = { layers = ["village"] }
citation = { quote = "某句" }

[[indicator]]
id = "b"
name = "B"
kind = "rate"
target = 80
numerator = { statuses = ["done"] }
denominator = { layers = ["villages"], where = { colour = "red" } }

[[indicator]]
id = "c"
name = "C"
kind = "count"
scope = "village"
target = 2
numerator = { layers = ["institution"] }
citation = { quote = "某句", page = 3 }
"""


def test_bad_preset_lists_every_problem_with_key_paths(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_PRESET, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_preset(path)
    keys = {p.column for p in info.value.problems}
    assert {
        "preset.colour",                       # unknown key
        "indicator[1].kind",                   # bad kind
        "indicator[2].target",                 # rate target > 1
        "indicator[2].numerator.statuses",     # unknown status
        "indicator[2].denominator.layers",     # unknown layer
        "indicator[2].denominator.where.colour",  # unknown column
        "indicator[2].citation",               # missing citation
        "indicator[3].scope",                  # count at village scope
        "indicator[3].citation.page",          # unknown key in citation
    } <= keys
    assert all(p.file == str(path) for p in info.value.problems)
    assert "indicator[2].citation" in str(info.value)


def test_user_preset_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[preset]\nid = "mine"\nname = "本县方案"\nsource = "本县.docx"\n'
        'deadline = 2027-06-30\n\n'
        '[[indicator]]\nid = "village_room_rate"\nname = "村居心理咨询室建成率"\n'
        'kind = "rate"\ntarget = 0.9\n'
        'denominator = { layers = ["village"], where = { urban = false } }\n'
        'numerator = { statuses = ["built"] }\ncitation = { quote = "建成率达90%" }\n',
        encoding="utf-8")
    preset = load_preset(path)
    ind = preset.indicator("village_room_rate")
    assert ind.target == Fraction(9, 10)
    assert ind.scope == "county"
    assert ind.citation.file == "本县.docx"
    assert ind.deadline == dt.date(2027, 6, 30)


def test_unknown_preset_name() -> None:
    with pytest.raises(InputError, match="national_2018"):
        load_preset("national_2099")


CUSTOM = {
    "id": "rural_room_rate",
    "name": "农村村居心理咨询室建成率",
    "kind": "rate",
    "scope": "township",
    "target": 0.5,
    "denominator": {"layers": ["village"], "where": {"urban": False}},
    "numerator": {"statuses": ["built"]},
    "citation": {"file": "本县2024方案.docx", "quote": "农村建成率达50%"},
}


def test_overrides_and_custom_indicators() -> None:
    base = load_preset("national_2018")
    preset = apply_overrides(
        base,
        {"village_room_rate": {"target": 0.9, "deadline": "2027-12-31"},
         "petition_office_room_rate": {"enabled": False}},
        [CUSTOM],
    )
    ind = preset.indicator("village_room_rate")
    assert ind.target == Fraction(9, 10)
    assert ind.deadline == dt.date(2027, 12, 31)
    assert ind.source == "override"
    assert not preset.indicator("petition_office_room_rate").enabled
    assert "petition_office_room_rate" not in {i.id for i in preset.enabled}
    custom = preset.indicator("rural_room_rate")
    assert custom.source == "custom" and custom.scope == "township"
    assert custom.deadline == base.deadline
    # the base preset is untouched (frozen dataclasses, new objects)
    assert base.indicator("village_room_rate").target == Fraction(4, 5)
    assert len(preset.indicators) == len(base.indicators) + 1


def test_bad_overrides_are_all_reported() -> None:
    no_citation = {k: v for k, v in CUSTOM.items() if k != "citation"}
    duplicate = {**CUSTOM, "id": "village_room_rate"}
    with pytest.raises(InputError) as info:
        apply_overrides(
            load_preset("national_2018"),
            {"no_such": {"target": 0.5},
             "village_room_rate": {"target": 1.5, "colour": "red"},
             "general_hospital_clinic_rate": {"enabled": "yes"}},
            [no_citation, duplicate],
        )
    keys = {p.column for p in info.value.problems}
    assert {
        "targets.overrides.no_such",
        "targets.overrides.village_room_rate.target",
        "targets.overrides.village_room_rate.colour",
        "targets.overrides.general_hospital_clinic_rate.enabled",
        "targets.custom[1].citation",
        "targets.custom[2].id",
    } <= keys


def test_preset_from_config_resolves_relative_path(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[1] / "src" / "coverage" / "targets" / "presets"
    (tmp_path / "p.toml").write_text((src / "sishui_2023.toml").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    cfg = TargetsConfig(preset="p.toml",
                        overrides={"institution_sites": {"target": 50}}, custom=(CUSTOM,))
    preset = preset_from_config(cfg, base_dir=tmp_path)
    assert preset.id == "sishui_2023"
    assert preset.indicator("institution_sites").target == 50
    assert preset.indicator("rural_room_rate").kind == "rate"


def test_text_formatters_show_citations() -> None:
    listing = format_preset_list()
    for preset in list_presets():
        assert preset.id in listing
        for ind in preset.indicators:
            assert ind.id in listing
    ind = load_preset("wuzhong_2023").indicator("professionals_per_100k")
    text = format_indicator(ind)
    assert "全市每10万人社会心理服务专业人员达到15人" in text
    assert "001_49cf00b47e2cbd82.txt" in text
    shown = format_target("wuzhong_2023.village_room_rate")
    assert "建成率达80%以上" in shown and "national_2018" not in shown
    assert format_target("village_room_rate").count("village_room_rate") >= 4
    with pytest.raises(InputError, match="village_room_rate"):
        format_target("nope")
