"""Real regions from ../shared/data/real_reference, built in a temporary folder (issue 12).

(a) 泗水县 370831: its real outline (GCJ-02, Amap) and its real villages with 12-digit codes,
    most without coordinates: townships from codes, approximate areas, completion rates equal
    to a pandas count of the same table.
(b) 长宁区 310105: township polygons made from the real points (Voronoi cells by code) with a
    1 % gap and a 0.5 % overlap against the outline: warnings, and every point in the right
    township.
(c) 泗水县 with every 2023 code in a 台账 and coordinates for a third of them: rates over all
    rows, access over the located third.

Nothing from ../shared is copied into the repository: the tests write the region files into
``tmp_path`` and skip when ../shared is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from _region_builder import write_csv, write_polygons, write_xlsx
from coverage import load_region
from coverage.cli import main
from coverage.config import AccessConfig
from coverage.crs import gcj02_to_wgs84
from coverage.region import located_mask
from coverage.targets import gaps_for_region

pytestmark = pytest.mark.shared

TOWNSHIP_COLUMNS = '[layers.village.columns]\nid = "村居代码"\nname = "村居名称"\n'


@pytest.fixture
def ref(shared_dir: Path) -> Path:
    folder = shared_dir / "data" / "real_reference"
    if not (folder / "vonng_adcode").is_dir():
        pytest.skip("../shared/data/real_reference is not present")
    return folder


def _adcode(ref: Path, county: str) -> pd.DataFrame:
    return pd.read_csv(ref / "vonng_adcode" / f"adcode_{county}.csv", dtype=str,
                       keep_default_na=False)


def _fence(ref: Path, county: str) -> shapely.Geometry:
    return shape(json.loads((ref / "vonng_adcode" / f"fence_{county}.json").read_text()))


def _status(code: str) -> str:
    """A deterministic room status per village (the reference data have none)."""
    return "是" if int(code) % 3 == 0 else "否"


def _toml(folder: Path, *, code: str, name: str, admin: str, layer: str, region: str = "") -> Path:
    toml = folder / "region.toml"
    toml.write_text(f'[region]\nname = "{name}"\ncode = "{code}"\n{region}\n{admin}\n{layer}',
                    encoding="utf-8")
    return toml


def _admin(level: str, file: str) -> str:
    return (f'[[admin]]\nlevel = "{level}"\nfile = "{file}"\ncrs = "gcj02"\n'
            'code_column = "代码"\nname_column = "名称"\n')


def _rates(region_gaps: pd.DataFrame) -> pd.DataFrame:
    t = region_gaps[region_gaps["indicator_id"] == "village_room_rate"]
    return t.set_index("unit_code")[["numerator", "denominator", "unlocated"]].astype(int)


# --- (a) ---------------------------------------------------------------------------------


def test_sishui_outline_and_coded_villages(ref: Path, tmp_path: Path) -> None:
    write_polygons(tmp_path / "county.geojson", [("370831", "泗水县", _fence(ref, "370831"))])
    d = _adcode(ref, "370831")
    v = d[d["level"] == "village"].copy()
    v["status"] = [_status(c) for c in v["code"]]
    write_csv(tmp_path / "villages.csv",
              ["村居代码", "村居名称", "经度", "纬度", "所属乡镇", "城乡分类代码", "心理咨询室"],
              v[["code", "name", "longitude", "latitude", "town", "ur_code", "status"]]
              .to_numpy().tolist())
    toml = _toml(tmp_path, code="370831", name="泗水县", admin=_admin("county", "county.geojson"),
                 layer='[layers.village]\nfile = "villages.csv"\ncrs = "gcj02"\n'
                       + TOWNSHIP_COLUMNS + 'lon = "经度"\nlat = "纬度"\ntownship = "所属乡镇"\n'
                       'ur_code = "城乡分类代码"\nstatus = "心理咨询室"\n')
    region = load_region(toml)
    assert region.approximate_townships
    towns = region.townships.set_index("code")
    town_rows = d[d["level"] == "town"]
    names = town_rows.set_index(town_rows["code"].str[:9])["name"]
    assert towns["name"].to_dict() == names.to_dict()

    # the rates: an independent count of the same table
    v["town"] = v["code"].str[:9]
    v["built"] = v["status"] == "是"
    v["unlocated"] = v["longitude"] == ""
    expected = v.groupby("town").agg(numerator=("built", "sum"), denominator=("code", "size"),
                                     unlocated=("unlocated", "sum"))
    expected.loc["370831"] = expected.sum()
    rates = _rates(gaps_for_region(region).table)
    pd.testing.assert_frame_equal(rates.loc[expected.index], expected.astype(int),
                                  check_names=False, check_index_type=False)

    # approximate areas: inside the outline, disjoint, each located village inside its own
    layer = region.layer("village")
    assert int(located_mask(layer).sum()) == int((~v["unlocated"]).sum()) == 25
    areas = towns[~towns.geometry.is_empty]
    assert set(areas.index) == set(v.loc[~v["unlocated"], "town"])
    county = region.county.geometry.iloc[0]
    assert all(county.buffer(1e-9).covers(g) for g in areas.geometry)
    union_area = shapely.union_all(areas.geometry.to_numpy()).area
    assert union_area == pytest.approx(county.area, rel=1e-9)
    assert sum(g.area for g in areas.geometry) == pytest.approx(county.area, rel=1e-9)
    located = layer[located_mask(layer)]
    for code, geom in zip(located["township_code"], located.geometry, strict=True):
        assert areas.loc[code].geometry.covers(geom)
    (warn,) = [p for p in region.problems if p.code == "township_without_area"]
    assert warn.message.startswith("7 townships")

    # the whole run: maps with approximate areas, report and tables.  With 25 of 597 villages
    # located, the townships' quotas cannot be met from located candidates: the quota model
    # says so (exit 3, naming townships); the covering model plans on the located ones.
    out = tmp_path / "quota"
    assert main(["-q", "run", str(toml), "--out", str(out)]) == 3
    assert "无可行方案" in (out / "report.html").read_text(encoding="utf-8")
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[optimize]\nmodel = "mclp"\np = 5\n',
                    encoding="utf-8")
    out = tmp_path / "run"
    assert main(["-q", "run", str(toml), "--out", str(out)]) == 0
    page = (out / "maps" / "resource_map.html").read_text(encoding="utf-8")
    assert "示意范围" in page
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "示意范围（非法定界线）" in report
    csv = pd.read_csv(out / "tables" / "gaps.csv", dtype={"unit_code": str})
    room = csv[csv["indicator_id"] == "village_room_rate"].set_index("unit_code")
    assert room.loc["370831", "denominator"] == len(v)
    # every repair and guess is where the planner reads: run.json and the workbook
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "township_without_area" in {w["code"] for w in record["warnings"]}
    from openpyxl import load_workbook

    assert "数据检查提示" in load_workbook(out / "tables" / "tables.xlsx").sheetnames


# --- (b) ---------------------------------------------------------------------------------


def _disc_area(centre: shapely.Point, within: shapely.Geometry, target: float
               ) -> shapely.Geometry:
    """The piece of ``within`` inside a disc around ``centre`` whose area is ``target``."""
    lo, hi = 1.0, 5000.0
    for _ in range(60):
        r = (lo + hi) / 2
        if shapely.intersection(centre.buffer(r, 64), within).area < target:
            lo = r
        else:
            hi = r
    return shapely.intersection(centre.buffer(hi, 64), within)


def _project(t: pyproj.Transformer) -> Callable[[np.ndarray], np.ndarray]:
    return lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))


def test_changning_townships_with_gap_and_overlap(ref: Path, tmp_path: Path) -> None:
    # in WGS84 from the start: the polygons are made here and must not be bent again
    fence = shapely.transform(_fence(ref, "310105"),
                              lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))
    d = _adcode(ref, "310105")
    v = d[d["level"] == "village"].copy()
    has = v["longitude"] != ""
    lon, lat = gcj02_to_wgs84(v.loc[has, "longitude"].astype(float).to_numpy(),
                              v.loc[has, "latitude"].astype(float).to_numpy())
    v.loc[has, "longitude"] = [f"{x:.7f}" for x in lon]
    v.loc[has, "latitude"] = [f"{y:.7f}" for y in lat]
    located = v[has]
    to_m = pyproj.Transformer.from_crs(4326, 4528, always_xy=True)
    to_g = pyproj.Transformer.from_crs(4528, 4326, always_xy=True)
    x, y = to_m.transform(located["longitude"].astype(float).to_numpy(),
                          located["latitude"].astype(float).to_numpy())
    pts = shapely.points(x, y)
    county_m = shapely.transform(fence, _project(to_m))
    area = county_m.area
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(np.column_stack([x, y])), extend_to=county_m.envelope.buffer(5e3),
        ordered=True))
    pre = located["code"].str[:9].to_numpy()
    towns_m = {c: shapely.intersection(shapely.union_all(cells[pre == c]), county_m)
               for c in dict.fromkeys(pre)}

    # a 1 % gap: a notch around the village farthest from the other townships
    far = max(range(len(pts)), key=lambda k: min(
        shapely.distance(g, pts[k]) for c, g in towns_m.items() if c != pre[k]))
    t_gap = pre[far]
    notch = _disc_area(pts[far], towns_m[t_gap], 0.01 * area)
    towns_m[t_gap] = shapely.difference(towns_m[t_gap], notch)
    # a 0.5 % overlap: a neighbour grows over the village nearest to its edge
    near = min((k for k in range(len(pts)) if pre[k] != t_gap),
               key=lambda k: min(shapely.distance(g, pts[k]) for c, g in towns_m.items()
                                 if c not in (pre[k], t_gap)))
    t_over = pre[near]
    grower = min((c for c in towns_m if c not in (t_over, t_gap)),
                 key=lambda c: shapely.distance(towns_m[c], pts[near]))
    bump = _disc_area(pts[near], towns_m[t_over], 0.005 * area)
    towns_m[grower] = shapely.union(towns_m[grower], bump)

    town_rows = d[d["level"] == "town"]
    names = town_rows.set_index(town_rows["code"].str[:9])["name"]
    polys = [(c, names[c], shapely.intersection(shapely.transform(g, _project(to_g)), fence))
             for c, g in towns_m.items()]
    write_polygons(tmp_path / "townships.geojson", polys)
    write_polygons(tmp_path / "county.geojson", [("310105", "长宁区", fence)])
    write_csv(tmp_path / "communities.csv", ["村居代码", "村居名称", "经度", "纬度"],
              v[["code", "name", "longitude", "latitude"]].to_numpy().tolist())
    admin = (_admin("county", "county.geojson") + "\n"
             + _admin("township", "townships.geojson")).replace('crs = "gcj02"\n', "")
    layer = ('[layers.community]\nfile = "communities.csv"\n'
             + TOWNSHIP_COLUMNS.replace("village", "community") + 'lon = "经度"\nlat = "纬度"\n')
    toml = _toml(tmp_path, code="310105", name="长宁区", admin=admin, layer=layer)
    region = load_region(toml)

    assert {p.code for p in region.problems} == {
        "tiling_gap", "tiling_overlap", "township_by_nearest", "township_by_overlap",
        "unlocated_rows"}
    (gap,) = [p for p in region.problems if p.code == "tiling_gap"]
    (over,) = [p for p in region.problems if p.code == "tiling_overlap"]
    diag = region.diagnostics
    assert diag.gaps["share"].sum() == pytest.approx(0.01, abs=2e-4)
    assert diag.overlaps["share"].sum() == pytest.approx(0.005, abs=2e-4)
    assert "(1.00% of the county)" in gap.message
    assert "(0.50% of the county)" in over.message
    layer_gdf = region.layer("community")
    assert (layer_gdf["township_code"] == layer_gdf["id"].str.slice(0, 9)).all()
    by_id = layer_gdf.set_index("id")
    assert by_id.loc[located["code"].iloc[far], "township_source"] == "nearest"
    assert by_id.loc[located["code"].iloc[near], "township_source"] == "overlap"
    rules = diag.assigned.set_index("id")["rule"]
    assert rules[located["code"].iloc[far]] == "nearest"
    assert rules[located["code"].iloc[near]] == "overlap"
    assert not [p for p in region.problems if p.code == "township_code_mismatch"]

    # the same files with a tolerance below the gap: an error saying how to accept it
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'code = "310105"', 'code = "310105"\ntiling_tolerance = 0.008'), encoding="utf-8")
    from coverage import InputError

    with pytest.raises(InputError) as info:
        load_region(toml)
    (err,) = [p for p in info.value.problems if p.severity == "error"]
    assert err.code == "tiling_gap" and "tiling_tolerance = 0.015" in err.fix


# --- (c) ---------------------------------------------------------------------------------


def test_ledger_with_every_2023_code_and_a_third_located(ref: Path, tmp_path: Path) -> None:
    codes = pd.read_csv(ref / "division_codes_2023" / "villages_subset.csv", dtype=str)
    v = codes[codes["areaCode"] == "370831"].reset_index(drop=True)
    assert len(v) == 442
    d = _adcode(ref, "370831")
    seats = d[(d["level"] == "town") & (d["longitude"] != "")]
    centres = seats.set_index(seats["code"].str[:9])[["longitude", "latitude"]].astype(float)
    rows = []
    for k, (code, name) in enumerate(zip(v["code"], v["name"], strict=True)):
        lon = lat = ""
        town = code[:9]
        if k % 3 == 0 and town in centres.index:
            angle, radius = k * 2.399963, 0.004 * (1 + (k % 7))  # a spiral around the seat
            lon = f"{centres.loc[town, 'longitude'] + radius * np.cos(angle):.6f}"
            lat = f"{centres.loc[town, 'latitude'] + radius * np.sin(angle):.6f}"
        rows.append([code, name, lon, lat, _status(code)])
    write_xlsx(tmp_path / "台账.xlsx", {"村居": [["泗水县村居心理咨询室台账"],
                                               ["村居代码", "村居名称", "经度", "纬度",
                                                "心理咨询室建设情况"], *rows]})
    write_polygons(tmp_path / "county.geojson", [("370831", "泗水县", _fence(ref, "370831"))])
    streets = ref / "division_codes_2023" / "streets_subset.csv"
    layer = ('[layers.village]\nfile = "台账.xlsx"\nsheet = "村居"\nheader_row = 2\n'
             'crs = "gcj02"\n' + TOWNSHIP_COLUMNS + 'lon = "经度"\nlat = "纬度"\n'
             'status = "心理咨询室建设情况"\n')
    toml = _toml(tmp_path, code="370831", name="泗水县", admin=_admin("county", "county.geojson"),
                 layer=layer, region=f'division_codes = "{streets.as_posix()}"')
    region = load_region(toml)

    table = pd.DataFrame(rows, columns=["code", "name", "lon", "lat", "status"])
    table["town"] = table["code"].str[:9]
    table["built"] = table["status"] == "是"
    table["unlocated"] = table["lon"] == ""
    expected = table.groupby("town").agg(numerator=("built", "sum"),
                                         denominator=("code", "size"),
                                         unlocated=("unlocated", "sum"))
    expected.loc["370831"] = expected.sum()
    rates = _rates(gaps_for_region(region).table)
    pd.testing.assert_frame_equal(rates.loc[expected.index], expected.astype(int),
                                  check_names=False, check_index_type=False)
    assert expected.loc["370831", "denominator"] == 442
    n_located = int((~table["unlocated"]).sum())
    assert 130 < n_located < 150
    official = pd.read_csv(streets, dtype=str).set_index("code")["name"]
    assert region.townships.set_index("code")["name"].to_dict() == {
        c: official[c] for c in expected.index if c != "370831"}
    warn = next(p for p in region.problems if p.code == "unlocated_rows")
    assert warn.sheet == "村居" and f"{442 - n_located} of 442 rows" in warn.message

    # access: over the located third only; the others are counted as 未定位
    from coverage.access import compute_access

    access = compute_access(region, AccessConfig())
    (service,) = access.services
    assert len(service.unlocated) == 442 - n_located
    assert len(service.points) == n_located
