"""Indicator engine: every expectation below is computed by hand in the comments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage.present.gaps import notes_text
from coverage.problems import InputError
from coverage.targets import (
    MET,
    NO_DATA,
    NOT_APPLICABLE,
    UNMET,
    GapResult,
    TargetPreset,
    apply_overrides,
    compute_gaps,
    load_preset,
)
from coverage.targets.engine import shortfall_count, shortfall_rate, shortfall_ratio

TOWNSHIPS = pd.DataFrame({"code": ["T1", "T2", "T3"], "name": ["城关镇", "北街街道", "东山乡"]})


def layer(kind: str, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """A canonical layer from row dicts (id/name generated, township_name NA)."""
    recs = []
    for i, r in enumerate(rows):
        rec = {"id": f"{kind[:1].upper()}{i}", "name": f"{kind}{i}", "kind": kind,
               "status": None, "township_code": None, "township_name": None, **r}
        recs.append(rec)
    return pd.DataFrame(recs)


def villages(spec: dict[str, Sequence[str | None]]) -> pd.DataFrame:
    """{township: [status, ...]} -> village layer."""
    return layer("village", [{"township_code": t, "status": s}
                             for t, statuses in spec.items() for s in statuses])


def only(preset: TargetPreset, *ids: str) -> TargetPreset:
    return apply_overrides(
        preset, {i.id: {"enabled": False} for i in preset.indicators if i.id not in ids}, [])


def run(layers: dict[str, pd.DataFrame], preset: TargetPreset,
        townships: pd.DataFrame = TOWNSHIPS) -> GapResult:
    return compute_gaps(layers=layers, townships=townships, preset=preset,
                        county_code="370899", county_name="示范县")


def row(result: GapResult, indicator: str, unit: str) -> pd.Series:
    t = result.table
    sel = t[(t["indicator_id"] == indicator) & (t["unit_code"] == unit)]
    assert len(sel) == 1
    out = sel.iloc[0].copy()
    # the engine gives notes as codes; check them in the words a planner reads
    out["note"] = notes_text(out["notes"])
    return out


# --------------------------------------------------------------------------- rounding rule


def test_shortfall_rules_by_hand() -> None:
    # The float trap: 0.56 * 25 = 14.000000000000002 and sum([0.8] * 25) = 20.000000000000007,
    # so a naive ceil asks for one site too many.  (0.8 * 25 itself happens to round to 20.0.)
    assert 0.56 * 25 > 14 and sum([0.8] * 25) > 20
    assert shortfall_rate(14, 25, Fraction("0.56")) == 0    # 14 needed, not 15
    assert shortfall_rate(15, 25, Fraction("0.8")) == 5     # 20 needed, not 21
    assert shortfall_rate(20, 25, Fraction("0.8")) == 0
    assert shortfall_rate(18, 23, Fraction("0.8")) == 1     # ceil(18.4) = 19
    assert shortfall_rate(30, 23, Fraction("0.8")) == 0     # clipped at 0
    assert shortfall_rate(6, 50, Fraction("0.14")) == 1     # 0.14*50 = 7.000000000000001
    assert shortfall_count(37, Fraction(40)) == 3
    assert shortfall_count(45, Fraction(40)) == 0
    assert shortfall_ratio(Fraction(15), Fraction(120_000), Fraction(15), 100_000) == 3  # 18-15
    assert shortfall_ratio(Fraction(2), Fraction(9000), Fraction(1), 4000) == 1  # ceil(2.25)-2


def test_rate_float_trap_25_villages() -> None:
    # 25 villages, 15 built, target 80%: 0.8*25 = 20 exactly -> shortfall 5 (naive float: 6).
    vl = villages({"T1": ["built"] * 15 + ["none"] * 10})
    res = run({"village": vl}, only(load_preset("national_2018"), "village_room_rate"))
    county = row(res, "village_room_rate", "370899")
    assert (county["numerator"], county["denominator"]) == (15, 25)
    assert county["rate"] == pytest.approx(0.6)
    assert county["target"] == pytest.approx(0.8)
    assert county["shortfall"] == 5
    assert county["status"] == UNMET and not county["met"]
    # exactly 20 of 25 meets 80%
    vl20 = villages({"T1": ["built"] * 20 + ["none"] * 5})
    res20 = run({"village": vl20}, only(load_preset("national_2018"), "village_room_rate"))
    assert row(res20, "village_room_rate", "370899")["status"] == MET


def test_rate_float_trap_through_engine() -> None:
    # override target 0.56 (a user's 56%) on 25 villages with 14 built: exactly met.
    vl = villages({"T1": ["built"] * 14 + ["none"] * 11})
    preset = apply_overrides(only(load_preset("national_2018"), "village_room_rate"),
                             {"village_room_rate": {"target": 0.56}}, [])
    c = row(run({"village": vl}, preset), "village_room_rate", "370899")
    assert (c["status"], c["shortfall"]) == (MET, 0)


def test_rate_county_scope_with_pipeline_and_township_rows() -> None:
    # T1: 10 villages, 9 built, 1 none                 -> 9/10, need ceil(8)-9 -> 0, met
    # T2: 8 villages+5 communities = 13, 6 built, 2 under_construction, 3 planned, 2 none
    #     -> need ceil(10.4)-6 = 5; pipeline 5 -> 11 >= 10.4, met if pipeline completes
    # T3: 0 units                                      -> 不适用
    # county: 15/23, need ceil(18.4)-15 = 4, pipeline 5 -> 20 >= 18.4
    vl = villages({"T1": ["built"] * 9 + ["none"],
                   "T2": ["built"] * 4 + ["under_construction", "under_construction",
                                          "planned", "none"]})
    cm = layer("community", [{"township_code": "T2", "status": s}
                             for s in ["built", "built", "planned", "planned", "none"]])
    res = run({"village": vl, "community": cm},
              only(load_preset("national_2018"), "village_room_rate"))
    c = row(res, "village_room_rate", "370899")
    assert (c["numerator"], c["denominator"], c["shortfall"]) == (15, 23, 4)
    assert (c["under_construction"], c["planned"], c["in_pipeline"]) == (2, 3, 5)
    assert c["met_if_pipeline"] and c["binding"] and c["status"] == UNMET
    t1, t2, t3 = (row(res, "village_room_rate", t) for t in ("T1", "T2", "T3"))
    assert (t1["numerator"], t1["denominator"], t1["shortfall"], t1["status"]) == (9, 10, 0, MET)
    assert (t2["numerator"], t2["denominator"], t2["shortfall"], t2["status"]) == (6, 13, 5, UNMET)
    assert t2["met_if_pipeline"]
    assert not t1["binding"] and "参考" in t1["note"]
    # zero denominator: rate NA, 不适用, not met, no shortfall, no division error
    assert t3["status"] == NOT_APPLICABLE and not t3["met"]
    assert pd.isna(t3["rate"]) and pd.isna(t3["shortfall"])
    assert res.flags.empty  # county scope: no per-village flags
    # ranking: T2 (5) before T1 (0) and T3 (0, code order)
    assert res.ranking["township_code"].tolist() == ["T2", "T1", "T3"]
    assert res.ranking["rank"].tolist() == [1, 2, 3]
    assert res.ranking.iloc[0]["site_shortfall"] == 5


def test_village_scope_flags_each_unit_and_rolls_up() -> None:
    # 长宁 100% per 居委: T1 2/3 built (C1 planned), T2 2/2 built.
    cm = layer("community", [
        {"township_code": "T1", "status": "built"},
        {"township_code": "T1", "status": "planned", "name": "仙霞居委"},
        {"township_code": "T1", "status": "built"},
        {"township_code": "T2", "status": "built"},
        {"township_code": "T2", "status": "built"},
    ])
    res = run({"community": cm}, only(load_preset("changning_2021"), "village_room_rate"))
    c = row(res, "village_room_rate", "370899")
    assert (c["numerator"], c["denominator"], c["shortfall"], c["status"]) == (4, 5, 1, UNMET)
    assert c["met_if_pipeline"]
    assert "1/2个达标" in c["note"]  # T1 fails, T2 meets, T3 has no communities
    assert row(res, "village_room_rate", "T1")["binding"]
    assert row(res, "village_room_rate", "T3")["status"] == NOT_APPLICABLE
    assert res.flags[["id", "name", "township_code", "status"]].values.tolist() \
        == [["C1", "仙霞居委", "T1", "planned"]]
    assert "未提供图层 village" in c["note"]


def test_count_county_and_township_scope() -> None:
    # 泗水 ≥40 机关企事业单位 sites: 37 built, 2 in construction, 1 planned -> short 3,
    # met once the pipeline completes.  综治中心 1 per 镇街: T1 built, T2 planned, T3 none.
    inst = layer("institution", [{"status": "built", "township_code": "T1"}] * 37
                 + [{"status": "under_construction", "township_code": "T2"}] * 2
                 + [{"status": "planned", "township_code": "T2"}])
    gov = layer("governance_center", [{"status": "built", "township_code": "T1"},
                                      {"status": "planned", "township_code": "T2"},
                                      {"status": "none", "township_code": "T3"}])
    res = run({"institution": inst, "governance_center": gov},
              only(load_preset("sishui_2023"), "institution_sites", "governance_center_rooms"))
    c = row(res, "institution_sites", "370899")
    assert (c["numerator"], c["shortfall"], c["in_pipeline"]) == (37, 3, 3)
    assert pd.isna(c["denominator"]) and pd.isna(c["rate"])
    assert c["met_if_pipeline"] and c["status"] == UNMET
    g = {t: row(res, "governance_center_rooms", t) for t in ("370899", "T1", "T2", "T3")}
    assert [g[t]["shortfall"] for t in ("T1", "T2", "T3")] == [0, 1, 1]
    assert g["T2"]["met_if_pipeline"] and not g["T3"]["met_if_pipeline"]
    # county met only if every township meets it; its shortfall is the townships' sum
    assert (g["370899"]["status"], g["370899"]["shortfall"]) == (UNMET, 2)
    assert pd.notna(g["370899"]["met_if_pipeline"]) and not g["370899"]["met_if_pipeline"]


def test_count_per_township_with_demonstration_filter() -> None:
    # 吴江 2 示范点 per 镇街: T1 has 2 built demonstration villages (+1 built ordinary),
    # T2 1 built demo + 1 planned demo, T3 none.  County shortfall 0 + 1 + 2 = 3.
    vl = layer("village", [
        {"township_code": "T1", "status": "built", "demonstration": True},
        {"township_code": "T1", "status": "built", "demonstration": True},
        {"township_code": "T1", "status": "built", "demonstration": False},
        {"township_code": "T2", "status": "built", "demonstration": True},
        {"township_code": "T2", "status": "planned", "demonstration": True},
        {"township_code": "T3", "status": "built", "demonstration": False},
    ])
    res = run({"village": vl}, only(load_preset("wujiang_2019"), "demonstration_sites"))
    assert [row(res, "demonstration_sites", t)["numerator"] for t in ("T1", "T2", "T3")] \
        == [2, 1, 0]
    assert row(res, "demonstration_sites", "370899")["shortfall"] == 3
    assert row(res, "demonstration_sites", "T2")["met_if_pipeline"]


def test_per_population() -> None:
    # 吴忠 15 professionals per 100,000: population 40,000 (T1) + 50,000 (T1) + 30,000 (T2)
    # = 120,000 -> need 18; professionals 10 (service site, T1) + 2 (T1) + 3 (T2) = 15 -> short 3.
    # T1: 90,000 -> ceil(13.5) = 14, has 12 -> 2.  T2: 30,000 -> 4.5 -> 5, has 3 -> 2.
    vl = layer("village", [{"township_code": "T1", "population": 40000.0},
                           {"township_code": "T1", "population": 50000.0},
                           {"township_code": "T2", "population": 30000.0}])
    ss = layer("service_site", [{"township_code": "T1", "professionals": 10.0}])
    hc = layer("health_center", [{"township_code": "T1", "professionals": 2.0},
                                 {"township_code": "T2", "professionals": 3.0}])
    res = run({"village": vl, "service_site": ss, "health_center": hc},
              only(load_preset("wuzhong_2023"), "professionals_per_100k"))
    c = row(res, "professionals_per_100k", "370899")
    assert (c["numerator"], c["denominator"], c["shortfall"]) == (15, 120000, 3)
    assert c["rate"] == pytest.approx(12.5)
    assert c["shortfall_unit"] == "person"
    assert row(res, "professionals_per_100k", "T1")["shortfall"] == 2
    assert row(res, "professionals_per_100k", "T2")["shortfall"] == 2
    assert row(res, "professionals_per_100k", "T3")["status"] == NOT_APPLICABLE  # no population
    # the village layer has no professionals column: reported, not silently zero
    assert "village.professionals" in c["note"]


def test_staff_ratio_each_college() -> None:
    # 1:4000.  C0: 9,000 students, 2 teachers -> needs ceil(2.25)=3 -> short 1.
    # C1: 4,000 students, 1 teacher -> ok.  C2: 2,000 students, 1 teacher -> ok.
    # Middle school M with enrolment is not a college and is ignored.
    sc = layer("school", [
        {"township_code": "T1", "subtype": "college", "enrolment": 9000.0, "psych_teachers": 2.0},
        {"township_code": "T2", "subtype": "college", "enrolment": 4000.0, "psych_teachers": 1.0},
        {"township_code": "T2", "subtype": "college", "enrolment": 2000.0, "psych_teachers": 1.0},
        {"township_code": "T2", "subtype": "middle", "enrolment": 900.0, "psych_teachers": 0.0},
    ])
    res = run({"school": sc}, only(load_preset("national_2018"), "college_psych_teacher_ratio"))
    c = row(res, "college_psych_teacher_ratio", "370899")
    # county totals 4 teachers / 15,000 students -> 4/15000*4000 = 1.0667 per 4000;
    # but the target holds per college, so the county still misses by C0's 1 teacher.
    assert (c["numerator"], c["denominator"], c["shortfall"]) == (4, 15000, 1)
    assert c["rate"] == pytest.approx(4 / 15000 * 4000)
    assert c["status"] == UNMET and c["shortfall_unit"] == "person"
    assert row(res, "college_psych_teacher_ratio", "T2")["status"] == MET
    assert row(res, "college_psych_teacher_ratio", "T3")["status"] == NOT_APPLICABLE
    assert res.flags[["id", "need"]].values.tolist() == [["S0", 1]]


def test_township_coverage_rate() -> None:
    # 吴忠 社区康复机构 covering 30% of townships: 4 townships, ceil(1.2) = 2 needed.
    # T1 has a built facility, T2 one under construction -> short 1, met if pipeline completes.
    tw = pd.concat([TOWNSHIPS, pd.DataFrame({"code": ["T4"], "name": ["西河镇"]})],
                   ignore_index=True)
    rb = layer("rehab", [{"township_code": "T1", "status": "built"},
                         {"township_code": "T1", "status": "built"},
                         {"township_code": "T2", "status": "under_construction"}])
    res = run({"rehab": rb}, only(load_preset("wuzhong_2023"), "rehab_township_coverage"), tw)
    c = row(res, "rehab_township_coverage", "370899")
    assert (c["numerator"], c["denominator"], c["shortfall"]) == (1, 4, 1)
    assert c["met_if_pipeline"] and c["under_construction"] == 1


def test_grade_and_subtype_filters() -> None:
    # 40% of 二级以上综合医院: general grade 3 (built), grade 2 (none), grade 2 (none),
    # grade 1 (built, excluded), tcm grade 3 (excluded) -> 1/3, need ceil(1.2)-1 = 1.
    hp = layer("hospital", [
        {"subtype": "general", "grade": 3, "status": "built", "township_code": "T1"},
        {"subtype": "general", "grade": 2, "status": "none", "township_code": "T1"},
        {"subtype": "general", "grade": 2, "status": "none", "township_code": "T2"},
        {"subtype": "general", "grade": 1, "status": "built", "township_code": "T2"},
        {"subtype": "tcm", "grade": 3, "status": "built", "township_code": "T2"},
    ])
    res = run({"hospital": hp}, only(load_preset("national_2018"),
                                     "general_hospital_clinic_rate",
                                     "psychiatric_hospital_clinic_rate"))
    c = row(res, "general_hospital_clinic_rate", "370899")
    assert (c["numerator"], c["denominator"], c["shortfall"]) == (1, 3, 1)
    # no psychiatric hospital at all: zero denominator -> 不适用, not a division error
    p = row(res, "psychiatric_hospital_clinic_rate", "370899")
    assert p["status"] == NOT_APPLICABLE and pd.isna(p["rate"]) and not p["met"]


def test_missing_inputs_are_no_data_never_zero() -> None:
    preset = only(load_preset("wuzhong_2023"), "village_room_rate",
                  "health_center_psychiatrist_rate", "general_hospital_clinic_rate",
                  "model_schools")
    vl = villages({"T1": [None, None]})                                 # status all NA
    hc = layer("health_center", [{"township_code": "T1", "status": "built"}])  # no psychiatrists
    res = run({"village": vl, "health_center": hc}, preset)             # no hospital, no school
    for ind, need in [("village_room_rate", "village.status"),
                      ("health_center_psychiatrist_rate", "health_center.psychiatrists"),
                      ("general_hospital_clinic_rate", "hospital"),
                      ("model_schools", "school")]:
        c = row(res, ind, "370899")
        assert c["status"] == NO_DATA, ind
        assert need in c["note"], ind
        assert pd.isna(c["numerator"]) and pd.isna(c["shortfall"]) and not c["met"]
        assert (res.table.loc[res.table["indicator_id"] == ind, "status"] == NO_DATA).all()
    assert res.summary["status_counts"][NO_DATA] == 4
    assert res.ranking["no_data"].tolist() == [4, 4, 4]


def test_partial_status_and_staff_values_are_noted() -> None:
    # 4 villages: 2 built, 1 unknown status, 1 none: unknown counts as not built (noted).
    vl = villages({"T1": ["built", "built", None, "none"]})
    hc = layer("health_center", [{"township_code": "T1", "psychiatrists": 1.0},
                                 {"township_code": "T1", "psychiatrists": None},
                                 {"township_code": "T2", "psychiatrists": 0.0}])
    res = run({"village": vl, "health_center": hc},
              only(load_preset("wuzhong_2023"), "village_room_rate",
                   "health_center_psychiatrist_rate"))
    c = row(res, "village_room_rate", "370899")
    assert (c["numerator"], c["denominator"]) == (2, 4)
    assert "1个单位状态未知" in c["note"]
    h = row(res, "health_center_psychiatrist_rate", "370899")
    # 60% of 3 -> ceil(1.8) = 2, has 1 -> short 1
    assert (h["numerator"], h["denominator"], h["shortfall"]) == (1, 3, 1)
    assert "psychiatrists 缺失" in h["note"]


def test_units_outside_known_townships_count_for_county_only() -> None:
    vl = villages({"T1": ["built"], "X9": ["none"], None: ["built"]})  # type: ignore[dict-item]
    res = run({"village": vl}, only(load_preset("national_2018"), "village_room_rate"))
    c = row(res, "village_room_rate", "370899")
    assert (c["numerator"], c["denominator"]) == (2, 3)
    assert "2个单位未落入已知乡镇" in c["note"]
    assert row(res, "village_room_rate", "T1")["denominator"] == 1


def test_custom_indicator_and_disabled_and_summary_json() -> None:
    custom = {
        "id": "rural_room_rate", "name": "农村村居心理咨询室建成率", "kind": "rate",
        "scope": "township", "target": 0.5,
        "denominator": {"layers": ["village", "community"], "where": {"urban": False}},
        "numerator": {"statuses": ["built"]},
        "citation": {"file": "本县方案.docx", "quote": "农村建成率达50%"},
    }
    preset = apply_overrides(only(load_preset("national_2018"), "village_room_rate"),
                             {}, [custom])
    # T1: rural villages 1 built of 3 (ur_code 220) + 1 urban village (ur_code 111, excluded)
    #     -> 1/3, need ceil(1.5)-1 = 1.  T2: community without ur_code = urban -> excluded;
    #     1 rural village built -> 1/1 met.  County: met only if every township meets -> no.
    vl = layer("village", [
        {"township_code": "T1", "status": "built", "ur_code": "220"},
        {"township_code": "T1", "status": "none", "ur_code": "220"},
        {"township_code": "T1", "status": "none", "ur_code": "210"},
        {"township_code": "T1", "status": "none", "ur_code": "111"},
        {"township_code": "T2", "status": "built", "ur_code": "220"},
    ])
    cm = layer("community", [{"township_code": "T2", "status": "none"}])
    res = run({"village": vl, "community": cm}, preset)
    assert row(res, "rural_room_rate", "T1")["shortfall"] == 1
    assert row(res, "rural_room_rate", "T2")["status"] == MET
    c = row(res, "rural_room_rate", "370899")
    assert (c["numerator"], c["denominator"], c["status"], c["shortfall"]) == (2, 4, UNMET, 1)
    assert set(res.table["indicator_id"]) == {"village_room_rate", "rural_room_rate"}
    s = res.summary
    assert "petition_office_room_rate" in s["disabled"]
    assert s["indicators"]["rural_room_rate"]["citation"]["quote"] == "农村建成率达50%"
    # national village_room_rate on all 6 units (5 villages + 1 community), 2 built:
    # ceil(0.8 * 6) = ceil(4.8) = 5 -> short 3
    assert s["indicators"]["village_room_rate"]["shortfall"] == 3
    json.dumps(s, ensure_ascii=False)  # JSON-able


def test_accepts_geodataframes() -> None:
    vl = villages({"T1": ["built", "none"]})
    gdf = gpd.GeoDataFrame(vl, geometry=[Point(117.0, 35.0), Point(117.1, 35.1)],
                           crs="EPSG:4326")
    res = run({"village": gdf}, only(load_preset("national_2018"), "village_room_rate"))
    assert row(res, "village_room_rate", "370899")["shortfall"] == 1  # ceil(1.6) - 1


def test_bad_township_table() -> None:
    with pytest.raises(InputError, match="code"):
        run({}, load_preset("national_2018"), pd.DataFrame({"名称": ["城关镇"]}))
    with pytest.raises(InputError, match="duplicate"):
        run({}, load_preset("national_2018"),
            pd.DataFrame({"code": ["T1", "T1"], "name": ["a", "b"]}))


def test_county_total_count_is_not_split_per_township() -> None:
    # ≥40 sites per county must not read as "each township needs 40": township rows list
    # their own count (T1 30, T2 5) with status 不适用 and no target/shortfall.
    inst = layer("institution", [{"status": "built", "township_code": "T1"}] * 30
                 + [{"status": "built", "township_code": "T2"}] * 5)
    res = run({"institution": inst}, only(load_preset("sishui_2023"), "institution_sites"))
    assert row(res, "institution_sites", "370899")["shortfall"] == 5
    t1 = row(res, "institution_sites", "T1")
    assert (t1["numerator"], t1["status"]) == (30, NOT_APPLICABLE)
    assert pd.isna(t1["shortfall"]) and pd.isna(t1["target"])
    assert res.ranking["site_shortfall"].tolist() == [0, 0, 0]


def test_empty_layer_is_no_data_not_zero() -> None:
    # A header-only petition-office file must not read as "0 of 0, not applicable": the
    # indicator has no data, and the headline count of unmet/no-data indicators says so.
    empty = layer("petition_office", [])
    res = run({"petition_office": empty},
              only(load_preset("national_2018"), "petition_office_room_rate"))
    c = row(res, "petition_office_room_rate", "370899")
    assert c["status"] == NO_DATA
    assert "petition_office" in c["note"]
