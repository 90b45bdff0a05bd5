"""``coverage init`` on real-reference-style folders made from ../shared/data/real_reference.

Each folder holds what a planner downloads for a real county: its outline as DataV-style
GeoJSON (GCJ-02, properties adcode and name) and its villages/communities from the Vonng
adcode table (English headers, 12-digit codes, most rows without coordinates, GCJ-02), plus a
room status column.  No township polygons: the loader derives the townships from the codes.
The draft must validate once the coordinate source is answered — the only answer it asks for.
Nothing from ../shared is copied into the repository; the folders are written to tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from coverage import load_config, load_region
from coverage.region import located_mask
from coverage.scaffold import plan_region, survey, write_draft

pytestmark = pytest.mark.shared

COUNTIES = ("370831", "310105", "320509", "640302")


@pytest.fixture
def ref(shared_dir: Path) -> Path:
    folder = shared_dir / "data" / "real_reference" / "vonng_adcode"
    if not folder.is_dir():
        pytest.skip("../shared/data/real_reference is not present")
    return folder


def _county_folder(ref: Path, dst: Path, county: str, *, bare: bool = False
                   ) -> tuple[Path, pd.DataFrame, str]:
    dst.mkdir(parents=True)
    geom = json.loads((ref / f"fence_{county}.json").read_text(encoding="utf-8"))
    d = pd.read_csv(ref / f"adcode_{county}.csv", dtype=str, keep_default_na=False)
    name = d.loc[d["level"] == "county", "name"].iloc[0]
    if bare:  # the fence as published: a bare geometry without attributes
        (dst / f"fence_{county}.json").write_text(json.dumps(geom), encoding="utf-8")
    else:
        fc = {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"adcode": int(county), "name": name,
                                              "level": "district"}, "geometry": geom}]}
        (dst / f"{name}.json").write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    v = d[d["level"] == "village"].copy()
    v["是否建成"] = ["是" if int(c) % 3 == 0 else "否" for c in v["code"]]
    v.to_csv(dst / f"{name}村居.csv", index=False, encoding="utf-8")
    return dst, v, name


@pytest.mark.parametrize("county", COUNTIES)
def test_real_county_draft_validates_after_the_source_answer(ref: Path, tmp_path: Path,
                                                             county: str) -> None:
    folder, villages, name = _county_folder(ref, tmp_path / county, county)
    asked = plan_region(survey(folder))
    codes = {q.code for q in asked.questions}
    assert codes == {"coordinate_source_unknown"}  # the one question
    files = write_draft(folder, source="amap")
    assert not files.plan.questions
    assert files.check.ok, files.check.problems
    text = files.toml.read_text(encoding="utf-8")
    assert text.count('crs = "gcj02"') == 2
    assert f'code = "{county}"' in text and f'name = "{name}"' in text
    region = load_region(files.toml)
    assert region.approximate_townships
    layer = region.layer("village")
    assert len(layer) == len(villages)
    assert int(located_mask(layer).sum()) == int((villages["longitude"] != "").sum())
    assert set(region.townships["code"]) == set(villages["code"].str[:9])
    built = layer.set_index("id")["status"].eq("built")
    expected = villages.set_index("code")["是否建成"].eq("是")
    assert built.sort_index().tolist() == expected.sort_index().tolist()
    src = files.plan.survey.source(f"{name}村居.csv")
    assert {c.header: c.role for c in src.columns if c.role} == {
        "code": "id", "name": "name", "ur_code": "ur_code", "longitude": "lon",
        "latitude": "lat", "town": "township", "是否建成": "status"}
    assert "county" in {c.header for c in src.unplaced}


def test_outline_without_attributes_takes_the_region_code(ref: Path, tmp_path: Path) -> None:
    # the fence as published, a bare geometry: the county level needs no code/name columns,
    # it takes [region] code and name (from the 12-digit village codes here)
    folder, _, _ = _county_folder(ref, tmp_path / "sishui", "370831", bare=True)
    files = write_draft(folder, source="amap")
    assert not [p for p in files.plan.questions if p.code == "boundary_without_attributes"]
    assert files.check.ran and files.check.ok, files.check
    region = load_region(load_config(files.toml))
    assert region.county["code"].tolist() == ["370831"]
