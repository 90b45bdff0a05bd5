"""``coverage init``: a region TOML drafted from a folder of the planner's own files (issue 12).

The folder is made from the demo's own input files, changed the way real files differ: renamed
columns (统计用区划代码, 村名, 户籍人口, lng/lat, 是否建成), a title row above a CSV's headers,
a hidden stale copy of the 村居 sheet placed first in the 台账, GBK CSVs, an unknown column.
The draft must load with the demo's counts per layer and the demo's statuses.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import Workbook, load_workbook

from coverage import load_region
from coverage.cli import main
from coverage.config import load_config
from coverage.problems import InputError
from coverage.scaffold import (
    Choices,
    draft_config,
    plan_region,
    report_dict,
    survey,
    write_draft,
)
from coverage.scaffold._columns import LAYER_ROLES, assign_roles
from coverage.scaffold._read import find_header

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
HIDDEN = "村居（2023年旧表）"


def _same_points(a: gpd.GeoSeries, b: gpd.GeoSeries, tol: float) -> bool:
    """The same points (degrees), row by row."""
    return bool(np.allclose(shapely.get_coordinates(a.to_numpy()),
                            shapely.get_coordinates(b.to_numpy()), atol=tol, rtol=0))


def demo_folder(dst: Path) -> Path:
    """The demo's input files as a planner might really have them."""
    dst.mkdir(parents=True)
    (dst / "边界").mkdir()
    for name in ("demo_county.geojson", "demo_townships.geojson", "demo_villages.geojson"):
        shutil.copy(REPO / "data" / "boundaries" / name, dst / "边界" / name)
    shutil.copy(DEMO / "roads.osm.bz2", dst / "roads.osm.bz2")
    shutil.copy(DEMO / "facilities.xlsx", dst / "facilities.xlsx")
    gj = json.loads((DEMO / "villages.geojson").read_text(encoding="utf-8"))
    for f in gj["features"]:
        p = f["properties"]
        p["统计用区划代码"] = p.pop("村居代码")
        p["村名"] = p.pop("村居名称")
        p["户籍人口"] = p.pop("常住人口")
    (dst / "行政村点位.geojson").write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    rows = list(csv.reader(io.StringIO((DEMO / "communities.csv").read_text(
        encoding="utf-8-sig"))))
    head = rows[0]
    head[head.index("经度")] = "lng"
    head[head.index("纬度")] = "lat"
    head.append("网格员人数")  # a column no glossary knows
    with (dst / "社区.csv").open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows([*r, str(i % 4)] for i, r in enumerate(rows[1:]))
    text = (DEMO / "schools_gbk.csv").read_bytes().decode("gbk")
    (dst / "学校.csv").write_bytes(("澄河县中小学点位表（WGS84）\n" + text).encode("gbk"))
    wb = load_workbook(DEMO / "ledger.xlsx")
    ws = wb["村居"]
    {c.value: c for c in ws[2]}["心理咨询室建设情况"].value = "是否建成"
    stale = wb.create_sheet(HIDDEN, 0)
    for r in ws.iter_rows(values_only=True):
        stale.append(["未建" if v in ("已建成", "在建", "规划") else v for v in r])
    stale.sheet_state = "hidden"
    wb.active = 1
    wb.save(dst / "台账.xlsx")
    return dst


@pytest.fixture(scope="module")
def demo_region():  # type: ignore[no-untyped-def]
    return load_region(DEMO / "region.toml")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return demo_folder(tmp_path / "澄河县数据")


def test_demo_folder_draft_loads_like_the_demo(folder: Path, demo_region) -> None:  # type: ignore[no-untyped-def]
    files = write_draft(folder, source="gps")
    assert files.toml == folder / "region.toml"
    assert files.check.ran and files.check.ok, files.check.problems
    region = load_region(load_config(files.toml))
    assert {k: len(g) for k, g in region.layers.items()} == {
        k: len(g) for k, g in demo_region.layers.items()}
    assert set(region.admin) == {"county", "township", "village"}
    # the visible 村居 sheet was joined, not the hidden stale copy placed first
    for kind in ("village", "community", "school", "hospital", "service_site"):
        mine = region.layer(kind).set_index("id")["status"].sort_index()
        demo = demo_region.layer(kind).set_index("id")["status"].sort_index()
        pd.testing.assert_series_equal(mine, demo, check_names=False)
    pd.testing.assert_series_equal(
        region.layer("village").set_index("id")["population"].sort_index(),
        demo_region.layer("village").set_index("id")["population"].sort_index())
    # the communities' own 坐标系 column says GCJ-02, as the demo's config does
    comm = region.layer("community").set_index("id").geometry
    demo_comm = demo_region.layer("community").set_index("id").geometry.loc[comm.index]
    assert _same_points(comm, demo_comm, 1e-9)


def test_the_guesses_are_in_the_report(folder: Path) -> None:
    files = write_draft(folder, source="gps")
    text = files.report.read_text(encoding="utf-8")
    for guess in ("统计用区划代码 → id", "村名 → name", "户籍人口 → population", "lng → lon",
                  "lat → lat", "是否建成 → status"):
        assert guess in text
    assert "网格员人数（未识别的列）" in text
    data = json.loads(files.report_json.read_text(encoding="utf-8"))
    sources = {s["id"]: s for s in data["survey"]["sources"]}
    assert sources["社区.csv"]["unplaced"] == ["坐标系", "数据说明", "网格员人数"]
    assert sources["社区.csv"]["encoding"] == "gbk"
    assert sources["社区.csv"]["crs"]["crs"] == "gcj02"
    assert sources["社区.csv"]["crs"]["reason"]["code"] == "declared_text"
    assert sources["学校.csv"]["header_row"] == 2
    assert sources["学校.csv"]["header_reason"]["code"] == "below_title"
    assert sources["台账.xlsx#村居"]["use"]["target"] == "ledger"
    hidden = sources[f"台账.xlsx#{HIDDEN}"]
    assert not hidden["visible"] and hidden["use"]["use"] == "ignore"
    assert hidden["use"]["alternatives"][0]["use"] == "ledger"
    assert any(q["code"] == "hidden_sheet_skipped" and q["sheet"] == HIDDEN
               for q in data["questions"])
    assert sources["roads.osm.bz2"]["use"]["use"] == "network"
    layers = {x["kind"]: x for x in data["plan"]["layers"]}
    assert layers["village"]["ledger"]["source"] == "台账.xlsx#村居"
    assert layers["community"]["ledger"]["source"] == "台账.xlsx#村居"
    toml = files.toml.read_text(encoding="utf-8")
    assert 'network = "roads.osm.bz2"' in toml and 'sheet = "村居"' in toml
    assert "网格员人数（未识别的列）" in toml


def test_without_an_answer_the_draft_asks_for_the_source(folder: Path) -> None:
    sv = survey(folder)
    plan = plan_region(sv)
    (question,) = [q for q in plan.questions if q.code == "coordinate_source_unknown"]
    assert "GCJ-02" in question.message and "--source amap" in question.fix
    assert "行政村点位.geojson" in (question.file or "")
    assert "社区.csv" not in (question.file or "")  # its 坐标系 column answers it
    text = draft_config(sv)
    assert "？待确认" in text and 'crs = "gcj02"' in text
    # answering per file
    sv = survey(folder, sources={"行政村点位.geojson": "amap"})
    assert sv.source("行政村点位.geojson").crs.crs == "gcj02"
    assert sv.source("边界/demo_county.geojson").crs.needs_answer


def test_an_existing_draft_is_never_replaced(folder: Path) -> None:
    first = write_draft(folder, source="gps", check=False)
    before = first.toml.read_bytes()
    second = write_draft(folder, source="gps", check=False)
    assert second.toml.name == "region.draft.toml"
    assert second.report.name == "region.draft.report.txt"
    assert first.toml.read_bytes() == before
    with pytest.raises(InputError) as info:
        write_draft(folder, source="gps", out=first.toml, check=False)
    assert info.value.problems[0].code == "draft_exists"
    assert first.toml.read_bytes() == before
    assert not list(folder.glob(".*.tmp"))


def test_choices_override_the_guesses(folder: Path) -> None:
    sv = survey(folder, source="gps")
    choices = Choices.from_mapping({
        "uses": {f"台账.xlsx#{HIDDEN}": "ledger", "台账.xlsx#村居": "ignore"},
        "roles": {"社区.csv": {"网格员人数": "capacity"}},
        "region_name": "澄河县",
    })
    files = write_draft(folder, sv, choices=choices, out=folder / "chosen.toml")
    assert files.check.ok, files.check.problems
    region = load_region(files.toml)
    assert region.name == "澄河县"
    assert set(region.layer("village")["status"].dropna()) == {"none"}  # the stale sheet
    assert region.layer("community")["capacity"].notna().all()
    with pytest.raises(InputError) as info:
        Choices.from_mapping({"roles": {"a.csv": {"x": "nonsense"}}, "header_rows": {"a": 0},
                              "colour": "red"})
    assert {p.column for p in info.value.problems} == {"roles.a.csv.x", "header_rows.a",
                                                        "colour"}
    with pytest.raises(InputError):
        survey(folder, source="google")
    with pytest.raises(InputError) as info:  # a choice for nothing is not dropped silently
        survey(folder, sources={"社区.xlsx": "amap"}, roles={"社区.csv": {"网格员": "id"}})
    found = {p.code: p for p in info.value.problems}
    assert set(found) == {"unknown_source_id", "unknown_column"}
    assert "社区.csv" in found["unknown_source_id"].fix
    assert "网格员人数" in found["unknown_column"].fix
    with pytest.raises(InputError) as info:
        plan_region(sv, choices=Choices(ledgers={"台账.xlsx#村居": ("villages",)}))
    assert info.value.problems[0].code == "unknown_kind"


def test_unknown_columns_are_reported_not_dropped() -> None:
    headers = ["名称", "代码", "经度", "纬度", "网格员人数", "序号", "坐标系"]
    values = {"名称": ("甲村", "乙村"), "代码": ("370831101201", "370831101202"),
              "经度": ("117.1", "117.2"), "纬度": ("35.1", "35.2"), "网格员人数": ("1", "2"),
              "序号": ("1", "2"), "坐标系": ("高德", "高德")}
    cols = {c.header: c for c in assign_roles(headers, values, roles=LAYER_ROLES)}
    assert {h: c.role for h, c in cols.items() if c.role} == {
        "名称": "name", "代码": "id", "经度": "lon", "纬度": "lat"}
    assert cols["网格员人数"].reason.code == "unknown_header"
    assert cols["序号"].reason.code == "ignored_header"
    assert cols["坐标系"].reason.code == "crs_evidence"
    # a status whose values are not statuses loses confidence
    bad = assign_roles(["建设情况"], {"建设情况": ("2021", "2022", "2019")}, roles=LAYER_ROLES)
    assert bad[0].role is None and bad[0].alternatives[0].role == "status"


def test_header_row_below_a_title_and_a_two_row_header() -> None:
    rows = [["某县村居台账", "", ""], ["序号", "村居代码", "村居名称"], ["1", "3708", "甲"]]
    assert find_header(rows, [(1, 1, 1, 3)])[:2] == (2, "below_title")
    two = [["名称", "坐标", "", "建设情况"], ["", "经度", "纬度", ""], ["甲", "117", "35", "是"]]
    assert find_header(two, [(1, 2, 1, 3)])[:2] == (1, "two_row_header")


def test_two_row_header_in_a_workbook_is_a_problem_to_fix(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "村居"
    ws.append(["村居名称", "村居代码", "坐标", None, "建设情况"])
    ws.append([None, None, "经度", "纬度", None])
    ws.append(["甲村", "370999101201", 117.05, 35.05, "是"])
    ws.merge_cells("C1:D1")
    wb.save(tmp_path / "村居.xlsx")
    with pytest.raises(InputError) as info:  # the only file: nothing usable, and why
        survey(tmp_path)
    codes = [p.code for p in info.value.problems]
    assert "two_row_header" in codes and codes[-1] == "nothing_usable"
    shutil.copy(REPO / "data/boundaries/demo_county.geojson", tmp_path / "县界.geojson")
    src = survey(tmp_path).source("村居.xlsx#村居")
    assert src.header_reason.code == "two_row_header"
    (problem,) = [p for p in src.problems if p.code == "two_row_header"]
    assert problem.row == 1 and "unmerge" in problem.fix


def test_nothing_usable_is_a_clear_input_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "说明.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "照片.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(InputError) as info:
        survey(tmp_path)
    *notes, problem = info.value.problems
    assert problem.code == "nothing_usable" and "照片.jpg" in problem.message
    assert {p.code for p in notes} == {"not_data"}  # each file says why it was not read
    assert main(["init", str(tmp_path)]) == 2
    assert "文件夹中没有可用的数据" in capsys.readouterr().err
    with pytest.raises(InputError) as info:
        survey(tmp_path / "nowhere")
    assert info.value.problems[0].code == "not_a_folder"


def test_gauss_kruger_metres_and_a_zipped_gbk_shapefile(tmp_path: Path) -> None:
    towns = gpd.read_file(REPO / "data/boundaries/demo_townships.geojson").to_crs(4527)
    shp = tmp_path / "src" / "乡镇界.shp"
    shp.parent.mkdir()
    towns.to_file(shp, encoding="gbk")
    folder = tmp_path / "县"
    folder.mkdir()
    with zipfile.ZipFile(folder / "乡镇界.zip", "w") as z:  # GBK .dbf, no .cpg, no .prj
        for f in shp.parent.iterdir():
            if f.suffix.lower() not in (".prj", ".cpg"):
                z.write(f, f.name)
    shutil.copy(REPO / "data/boundaries/demo_county.geojson", folder / "县界.geojson")
    schools = pd.read_csv(io.StringIO((DEMO / "schools_gbk.csv").read_bytes().decode("gbk")),
                          dtype=str)
    pts = gpd.GeoSeries(gpd.points_from_xy(schools["经度"].astype(float),
                                           schools["纬度"].astype(float)), crs=4326).to_crs(4548)
    schools["X"] = [f"{v:.2f}" for v in pts.y]  # surveyors' X is the northing
    schools["Y"] = [f"{v:.2f}" for v in pts.x]  # no zone number: the zone from the outline
    schools.drop(columns=["经度", "纬度"]).to_csv(folder / "学校.csv", index=False,
                                                  encoding="gbk")
    sv = survey(folder, source="gps")
    town = sv.source("乡镇界.zip")
    assert town.use.target == "admin:township"
    assert (town.crs.crs, town.crs.reason.code) == ("EPSG:4527", "gk_prefix")
    school = sv.source("学校.csv")
    assert (school.crs.crs, school.crs.reason.code) == ("EPSG:4548", "gk_no_prefix")
    assert school.roles["lon"] == "Y" and school.roles["lat"] == "X"
    files = write_draft(folder, sv)
    assert files.check.ok, files.check.problems
    region = load_region(files.toml)
    mine = region.layer("school").set_index("id").geometry
    expected = pts.to_crs(4326).set_axis(schools["学校标识码"]).loc[mine.index]
    assert _same_points(mine, expected, 1e-7)


def test_init_command_writes_the_draft(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(folder), "--source", "gps", "--source", "社区.csv=amap",
                 "--name", "澄河县"]) == 0
    out = capsys.readouterr().out
    assert "草稿可以加载" in out and "region.toml" in out
    text = (folder / "region.toml").read_text(encoding="utf-8")
    assert 'name = "澄河县"' in text
    assert main(["validate", str(folder / "region.toml")]) == 0
    assert main(["init", str(folder), "--out", str(folder / "region.toml")]) == 2
    assert "不会覆盖" in capsys.readouterr().err
    choices = folder.parent / "choices.json"
    choices.write_text(json.dumps({"uses": {"facilities.xlsx#医院": "ignore"}}),
                       encoding="utf-8")
    assert main(["init", str(folder), "--source", "gps", "--choices", str(choices),
                 "--no-check"]) == 0
    data = json.loads((folder / "region.draft.report.json").read_text(encoding="utf-8"))
    assert "hospital" not in {x["kind"] for x in data["plan"]["layers"]}
    assert data["choices"]["uses"] == {"facilities.xlsx#医院": "ignore"}


def test_report_dict_is_json(folder: Path) -> None:
    plan = plan_region(survey(folder, source="gps"))
    json.dumps(report_dict(plan), ensure_ascii=False, allow_nan=False)
