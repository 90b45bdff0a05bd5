"""Split mode: one set of city-wide files cut into county regions (coverage.batch._split).

The city-wide files are built from the synthetic city's two counties (write_city) by
concatenating each county's tables, workbooks and boundary files into one set, with one city
region TOML; the split's county regions are then compared with the original counties.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from coverage.batch import BatchResult, load_batch_config, run_batch
from coverage.batch._split import split_city
from coverage.batch.config import parse_batch_config
from coverage.datasets.city import write_city
from coverage.load import load_region
from coverage.problems import ConfigError, Problem

#: a school with its own id (no area code) placed inside the second county
EXTRA_SCHOOL = "9999999991"
#: a hospital far outside every county
OUTSIDE = "YY999"


@dataclass(frozen=True)
class CityWide:
    root: Path            # the synthetic city (its own county folders)
    counties: tuple[str, ...]
    wide: Path            # the city-wide region TOML
    batch: Path           # the split-mode batch TOML
    clean: Path           # the same without the extra school and the outside hospital


def _concat_workbooks(paths: list[Path], out: Path) -> None:
    """One workbook: every sheet of the first, with the data rows of the others appended."""
    book = openpyxl.load_workbook(paths[0])
    for other in paths[1:]:
        src = openpyxl.load_workbook(other, read_only=True)
        for ws in book.worksheets:
            for row in list(src[ws.title].iter_rows(min_row=3, values_only=True)):
                if any(v not in (None, "") for v in row):
                    ws.append(list(row))
        src.close()
    book.save(out)


def _concat_csv(paths: list[Path], out: Path, encoding: str,
                extra: list[dict[str, str]] = ()) -> None:  # type: ignore[assignment]
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False, encoding=encoding)
              for p in paths]
    frame = pd.concat([*frames, pd.DataFrame(list(extra))], ignore_index=True).fillna("")
    frame.to_csv(out, index=False, encoding=encoding, quoting=csv.QUOTE_MINIMAL)


def _city_wide(root: Path, counties: tuple[str, ...], wide: Path, *, extras: bool = True
               ) -> Path:
    """The counties' files as one city-wide set; ``extras``: with a school that has no area
    code (inside the second county) and a hospital outside every county."""
    dirs = [root / "counties" / c for c in counties]
    (wide / "boundaries").mkdir(parents=True)
    for name in ("county", "townships", "villages"):
        parts = [gpd.read_file(d / "boundaries" / f"{name}.geojson") for d in dirs]
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs).to_file(
            wide / "boundaries" / f"{name}.geojson", driver="GeoJSON")
    parts = [gpd.read_file(d / "villages.geojson") for d in dirs]
    gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs).to_file(
        wide / "villages.geojson", driver="GeoJSON")
    _concat_csv([d / "communities.csv" for d in dirs], wide / "communities.csv", "utf-8-sig")
    # a school with its own id and no area code, inside the second county
    village = parts[1].geometry.iloc[5]
    school = {"学校标识码": EXTRA_SCHOOL, "学校名称": "示例补充小学", "学段": "小学",
              "所属乡镇": "", "经度": f"{village.x:.6f}", "纬度": f"{village.y:.6f}",
              "在校学生数": "100"}
    _concat_csv([d / "schools_gbk.csv" for d in dirs], wide / "schools_gbk.csv", "gbk",
                extra=[school] if extras else [])
    _concat_workbooks([d / "ledger.xlsx" for d in dirs], wide / "ledger.xlsx")
    _concat_workbooks([d / "facilities.xlsx" for d in dirs], wide / "facilities.xlsx")
    if extras:
        book = openpyxl.load_workbook(wide / "facilities.xlsx")
        ws = book["医院"]
        head = [c.value for c in ws[2]]
        row = {"机构代码": OUTSIDE, "名称": "界外医院", "类别": "综合医院", "经度": "100.0",
               "纬度": "30.0"}
        ws.append([row.get(str(h), "") for h in head])
        book.save(wide / "facilities.xlsx")
    text = (dirs[0] / "region.toml").read_text(encoding="utf-8")
    text = text.replace(f'code = "{counties[0]}"', 'code = "649900"').replace(
        '"../../roads.osm.pbf"', json.dumps(str(root / "roads.osm.pbf")))
    toml = wide / "region.toml"
    toml.write_text(text, encoding="utf-8")
    return toml


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> CityWide:
    root = tmp_path_factory.mktemp("split") / "city"
    batch_toml = write_city(root, counties=2)
    counties = tuple(c.code for c in load_batch_config(batch_toml).counties)
    wide = _city_wide(root, counties, root.parent / "wide")
    _city_wide(root, counties, root.parent / "clean", extras=False)
    for name in ("wide", "clean"):
        (root.parent / f"{name}_batch.toml").write_text(
            '[batch]\ncode = "649900"\nname = "示例市"\npreset = "wuzhong_2023"\n'
            f'roads = {json.dumps(str(root / "roads.osm.pbf"))}\ncounty_outputs = "light"\n\n'
            f'[split]\nconfig = "{name}/region.toml"\n\n[split.names]\n'
            f'"{counties[1]}" = "乙县"\n', encoding="utf-8")
    return CityWide(root=root, counties=counties, wide=wide,
                    batch=root.parent / "wide_batch.toml",
                    clean=root.parent / "clean_batch.toml")


@pytest.fixture(scope="module")
def split(city: CityWide, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, tuple[Problem, ...], dict[str, Path]]:
    out = tmp_path_factory.mktemp("split_out")
    cfg, problems = split_city(load_batch_config(city.batch), out=out)
    return out, problems, {c.code: c.config for c in cfg.counties}


def _ids(region: object, kind: str) -> dict[str, str]:
    layer = region.layers[kind]  # type: ignore[attr-defined]
    return dict(zip(layer["id"].astype(str), layer["status"].astype(str), strict=True))


def test_the_split_regions_equal_the_original_counties(city: CityWide, split: tuple) -> None:
    out, _, tomls = split
    assert sorted(tomls) == sorted(city.counties)               # counties found by prefix
    for code in city.counties:
        ours = load_region(tomls[code])
        theirs = load_region(city.root / "counties" / code / "region.toml")
        assert ours.admin["village"]["code"].tolist() == theirs.admin["village"]["code"].tolist()
        for kind in theirs.layers:
            want = _ids(theirs, kind)
            if kind == "school" and code == city.counties[1]:
                want = {**want, EXTRA_SCHOOL: _ids(ours, kind)[EXTRA_SCHOOL]}
            assert _ids(ours, kind) == want, (code, kind)
    # the inputs are untouched; the copies live in the batch folder
    assert all(p.is_relative_to(out / "_split") for p in tomls.values())


def test_a_row_without_area_code_lands_in_the_county_containing_it(city: CityWide,
                                                                   split: tuple) -> None:
    _, _, tomls = split
    first, second = (load_region(tomls[c]) for c in city.counties)
    assert EXTRA_SCHOOL in set(second.layers["school"]["id"])
    assert EXTRA_SCHOOL not in set(first.layers["school"]["id"])


def test_a_row_outside_every_county_is_reported(city: CityWide, split: tuple) -> None:
    _, problems, tomls = split
    outside = [p for p in problems if p.code == "split_outside"]
    assert [(p.value, p.sheet) for p in outside] == [(OUTSIDE, "医院")]
    assert outside[0].row is not None and outside[0].file.endswith("facilities.xlsx")
    for toml in tomls.values():
        assert OUTSIDE not in set(load_region(toml).layers["hospital"]["id"])


def test_the_county_names_and_the_cache(city: CityWide, split: tuple) -> None:
    out, problems, _ = split
    cfg = load_batch_config(city.batch)
    again, problems2 = split_city(cfg, out=out)
    names = {c.code: c.name for c in again.counties}
    original = load_region(city.root / "counties" / city.counties[0] / "region.toml")
    assert names[city.counties[1]] == "乙县"                       # [split.names]
    assert names[city.counties[0]] == original.admin["county"]["name"].iloc[0]  # boundary
    assert problems2 == problems
    stamp = {p: p.stat().st_mtime_ns for p in (out / "_split").rglob("*") if p.is_file()}
    split_city(cfg, out=out)
    assert stamp == {p: p.stat().st_mtime_ns for p in (out / "_split").rglob("*")
                     if p.is_file()}                              # nothing rewritten


def test_split_config_problems_are_listed_together(tmp_path: Path) -> None:
    data = {"batch": {"code": "649900", "name": "示例市"},
            "split": {"config": "missing.toml", "counties": ["649901", "12345", "659901"],
                      "colour": "red"},
            "counties": [{"config": "x.toml"}]}
    with pytest.raises(ConfigError) as err:
        parse_batch_config(data, base_dir=tmp_path)
    keys = {p.column for p in err.value.problems}
    assert {"split", "split.config", "split.counties[2]", "split.counties[3]",
            "split.colour"} <= keys


@pytest.fixture(scope="module")
def batch(city: CityWide, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    out = tmp_path_factory.mktemp("split_batch") / "out"
    return run_batch(city.clean, out=out, workers=2, memory_limit="2GB")


def test_a_split_batch_rolls_up_like_the_counties(batch: BatchResult, city: CityWide) -> None:
    """The split batch's city and county rates equal a roll-up of the original counties'
    indicator tables, each computed on its own (``gaps_stage`` on the county TOMLs)."""
    from coverage.batch.rollup import roll_up
    from coverage.pipeline import gaps_stage

    assert {o.code: o.status for o in batch.outcomes} == dict.fromkeys(city.counties, "done")
    record = json.loads((batch.out_dir / "batch.json").read_text(encoding="utf-8"))
    # the synthetic counties number their sites alike (YY001 in each): reported, matched
    assert {p["code"] for p in record["split_problems"]} == {"split_shared_key"}
    summaries = []
    for code in city.counties:
        gaps = gaps_stage(city.root / "counties" / code / "region.toml",
                          preset="wuzhong_2023").table
        gaps = gaps[gaps["unit_level"].isin(["county", "township"])]
        summaries.append({"county_code": code, "county_name": code, "access_points": [],
                          "suggested_sites": [], "gaps": gaps.to_dict("records")})
    want = roll_up(summaries, code="649900", name="示例市")
    cols = ["indicator_id", "numerator", "denominator", "rate"]
    got = pd.read_csv(batch.out_dir / "tables" / "city.csv")[cols]
    expect = want.city[cols].reset_index(drop=True)
    assert len(got) == len(expect) > 0
    pd.testing.assert_frame_equal(got, expect, check_dtype=False)
    got_c = pd.read_csv(batch.out_dir / "tables" / "counties.csv", dtype={"county_code": str})
    keys = ["indicator_id", "county_code"]
    got_c = got_c.sort_values(keys)[[*keys, "numerator", "denominator", "rate"]]
    exp_c = want.counties.sort_values(keys)[[*keys, "numerator", "denominator", "rate"]]
    pd.testing.assert_frame_equal(got_c.reset_index(drop=True), exp_c.reset_index(drop=True),
                                  check_dtype=False)


def test_a_rerun_reuses_the_split_and_skips_the_counties(batch: BatchResult,
                                                          city: CityWide) -> None:
    again = run_batch(city.clean, out=batch.out_dir, workers=1)
    assert {o.status for o in again.outcomes} == {"skipped"}
    assert again.problems == batch.problems


def test_without_county_polygons_a_row_goes_to_the_nearest_village_as_a_reported_guess(
        city: CityWide, tmp_path: Path) -> None:
    """Only the city's outline as boundary (no polygon per county): a school is placed in
    the county of the nearest coded village, and that guess is reported row by row."""
    text = city.wide.read_text(encoding="utf-8")
    head, rest = text.split("[[admin]]", 1)
    rest = rest[rest.index("# ---- 行政村"):]                  # drop every [[admin]] table
    outline = json.dumps(str(city.root / "city_outline.geojson"))
    toml = city.wide.parent / "city_outline_only.toml"
    toml.write_text(head + f'[[admin]]\nlevel = "county"\nfile = {outline}\n'
                    'code_column = "代码"\nname_column = "名称"\n\n' + rest, encoding="utf-8")
    batch = tmp_path / "batch.toml"
    batch.write_text(f'[batch]\ncode = "649900"\nname = "示例市"\n[split]\n'
                     f'config = {json.dumps(str(toml))}\n', encoding="utf-8")
    cfg, problems = split_city(load_batch_config(batch), out=tmp_path / "out")
    assert [c.code for c in cfg.counties] == list(city.counties)
    assert any(p.code == "split_other_county" and p.file.endswith("city_outline.geojson")
               for p in problems)                           # the city's own row: reported
    guessed = {p.value: p for p in problems if p.code == "split_nearest"}
    assert guessed[EXTRA_SCHOOL].message.endswith("(a guess)")
    assert guessed[EXTRA_SCHOOL].severity == "warning" and guessed[EXTRA_SCHOOL].row
    assert f"county {city.counties[1]}" in guessed[EXTRA_SCHOOL].message
    schools = pd.read_csv(next((tmp_path / "out" / "_split" / city.counties[1]).glob(
        "*schools*.csv")), dtype=str)
    assert EXTRA_SCHOOL in set(schools["学校标识码"])
