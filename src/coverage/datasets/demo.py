"""The embedded demo region: a fictional county, 澄河县（虚构示例）, code 379901.

Everything here is synthetic (虚构示例数据): the outline, townships, villages, names, codes,
populations, facilities, the 台账 and the road network are generated from one fixed seed.  The
structure (街道/镇/乡 counts, ~440 村/社区, ~550,000 people, 城乡分类代码, school and hospital
mix) is modelled on a real county of the North China plain so that every feature of the
planner has real work to do.

The files are written the way a county planner keeps them, to exercise the real input paths:

* ``boundaries/demo_{county,townships,villages}.geojson`` — admin polygons (exact tiling);
* ``demo/villages.geojson`` — 行政村 points (WGS84);
* ``demo/communities.csv`` — 社区 points copied from Amap, **GCJ-02**, UTF-8 with BOM;
* ``demo/schools_gbk.csv`` — school points, **GBK** encoded;
* ``demo/facilities.xlsx`` — other facility points, one sheet per kind, title row above the
  header row;
* ``demo/ledger.xlsx`` — the 台账 (status, staff, 示范点) joined to the points by code;
* ``demo/roads.osm.bz2`` — OSM XML road network;
* ``demo/region.toml`` — the region configuration; ``demo/CHECKSUMS.sha256`` — file hashes.

Run ``python -m coverage.datasets.demo --out DIR`` to regenerate (``DIR`` defaults to the
repository's ``data`` folder).  The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from shapely.geometry import Point

from coverage.datasets import _writers as w
from coverage.datasets._model import STATUS_ZH, DemoModel, build_model

__all__ = ["DATA_NOTE", "REGION_NAME", "default_data_root", "demo_config_path", "generate",
           "main"]

logger = logging.getLogger(__name__)

REGION_NAME = "澄河县（虚构示例）"
DATA_NOTE = (
    "虚构示例数据（synthetic demo data）：由 coverage 项目生成，"
    "地名、代码、坐标、人口与台账均为虚构，不代表任何真实地区。"
)
DATA_DATE = "2025-12-31"
SOURCE = "虚构示例数据（内置示例县台账）"
ORGANISATION = "澄河县卫生健康局（虚构）"
_SHORT_NOTE = "虚构示例数据"

_FACILITY_SHEETS: tuple[tuple[str, str, str], ...] = (
    # kind, sheet in facilities.xlsx, id header
    ("hospital", "医院", "机构代码"),
    ("health_center", "卫生院", "机构代码"),
    ("service_site", "心理服务站点", "站点代码"),
    ("governance_center", "综治中心", "站点代码"),
    ("petition_office", "信访接待场所", "站点代码"),
    ("institution", "机关企事业单位", "站点代码"),
    ("rehab", "康复机构", "站点代码"),
)


def default_data_root() -> Path:
    """The repository's ``data`` folder (where the committed demo files live)."""
    return Path(__file__).resolve().parents[3] / "data"


def demo_config_path(*, cache_dir: Path | None = None) -> Path:
    """Path of the demo region's ``region.toml``.

    The committed copy (``data/demo/region.toml`` in a source checkout) is used when present;
    otherwise (an installed package without the ``data`` folder) the demo is generated once
    into ``cache_dir`` (default ``$XDG_CACHE_HOME/coverage/demo-data`` or
    ``~/.cache/coverage/demo-data``) and reused.

    Parameters
    ----------
    cache_dir
        Folder for the generated copy.

    Returns
    -------
    Path
    """
    committed = default_data_root() / "demo" / "region.toml"
    if committed.is_file():
        return committed
    if cache_dir is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        cache_dir = Path(base) / "coverage" / "demo-data"
    region = cache_dir / "demo" / "region.toml"
    if not (cache_dir / "demo" / "CHECKSUMS.sha256").is_file():
        logger.info("generating the demo region into %s", cache_dir)
        main(["--out", str(cache_dir)])
    return region


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


# ------------------------------------------------------------------------------ writers


def _write_boundaries(m: DemoModel, bdir: Path, *, prefix: str = "demo_") -> dict[str, Path]:
    county = bdir / f"{prefix}county.geojson"
    w.write_geojson(
        county,
        [({"代码": m.county_code, "名称": m.county_name, "数据说明": _SHORT_NOTE},
          m.county_polygon)],
        name=f"{prefix}county", description=DATA_NOTE,
    )
    towns = bdir / f"{prefix}townships.geojson"
    w.write_geojson(
        towns,
        [({"代码": tw.code, "名称": tw.name, "上级代码": m.county_code,
           "类型": {"street": "街道", "town": "镇", "township": "乡"}[tw.kind]},
          tw.polygon) for tw in m.townships if tw.polygon is not None],
        name=f"{prefix}townships", description=DATA_NOTE,
    )
    vil = bdir / f"{prefix}villages.geojson"
    w.write_geojson(
        vil,
        [({"代码": u.code, "名称": u.name, "上级代码": m.townships[u.township].code,
           "城乡分类代码": u.ur_code}, u.polygon) for u in m.units if u.polygon is not None],
        name=f"{prefix}villages", description=DATA_NOTE,
    )
    return {"county": county, "townships": towns, "village_polygons": vil}


def _write_points(m: DemoModel, ddir: Path) -> dict[str, Path]:
    tname = [tw.name for tw in m.townships]
    villages = ddir / "villages.geojson"
    w.write_geojson(
        villages,
        [({"村居代码": u.code, "村居名称": u.name, "所属乡镇": tname[u.township],
           "城乡分类代码": u.ur_code, "常住人口": u.population}, Point(u.lonlat))
         for u in m.units if u.kind == "village"],
        name="行政村点位", description=DATA_NOTE,
    )
    comm = [u for u in m.units if u.kind == "community"]
    gx, gy = w.wgs84_to_gcj02(np.array([u.lonlat[0] for u in comm]),
                              np.array([u.lonlat[1] for u in comm]))
    communities = ddir / "communities.csv"
    w.write_csv(
        communities,
        ["社区代码", "社区名称", "所属街道（乡镇）", "经度", "纬度", "坐标系", "城乡分类代码",
         "常住人口", "数据说明"],
        [[u.code, u.name, tname[u.township], w.fmt_coord(float(gx[i])),
          w.fmt_coord(float(gy[i])), "GCJ-02（高德地图拾取）", u.ur_code, u.population,
          _SHORT_NOTE] for i, u in enumerate(comm)],
        encoding="utf-8-sig",
    )
    schools = ddir / "schools_gbk.csv"
    w.write_csv(
        schools,
        ["学校标识码", "学校名称", "学段", "所属乡镇", "经度", "纬度", "在校学生数", "数据说明"],
        [[f.code, f.name, f.subtype, tname[f.township], w.fmt_coord(f.lonlat[0]),
          w.fmt_coord(f.lonlat[1]), f.enrolment, _SHORT_NOTE]
         for f in m.facilities if f.kind == "school"],
        encoding="gbk",
    )
    wb = w.new_workbook(title=f"{m.county_name}心理服务资源点位表")
    w.add_sheet(wb, "数据说明", ["项目", "内容"], _note_rows(m))
    for kind, sheet, idh in _FACILITY_SHEETS:
        rows: list[list[object]] = []
        for f in (f for f in m.facilities if f.kind == kind):
            row: list[object] = [f.code, f.name, f.subtype]
            if kind == "hospital":
                row.append(f.grade)
            row += [tname[f.township], w.fmt_coord(f.lonlat[0]), w.fmt_coord(f.lonlat[1])]
            rows.append(row)
        header = [idh, "名称", "类别"] + (["医院等级"] if kind == "hospital" else []) \
            + ["所属乡镇", "经度", "纬度"]
        w.add_sheet(wb, sheet, header, rows,
                    caption=f"{m.county_name}{sheet}点位表（WGS84，{_SHORT_NOTE}）")
    facilities = ddir / "facilities.xlsx"
    w.save_workbook(wb, facilities)
    return {"villages": villages, "communities": communities, "schools": schools,
            "facilities": facilities}


def _note_rows(m: DemoModel) -> list[list[object]]:
    return [
        ["数据说明", DATA_NOTE],
        ["地区", f"{m.county_name}（代码 {m.county_code}，非真实行政区划代码）"],
        ["数据日期", DATA_DATE],
        ["来源", SOURCE],
        ["坐标系", "villages.geojson、facilities.xlsx、schools_gbk.csv 为 WGS84；"
                  "communities.csv 为 GCJ-02（模拟从高德地图拾取）"],
        ["编码", "schools_gbk.csv 为 GBK 编码；communities.csv 为 UTF-8（带 BOM）"],
        ["建设情况取值", " / ".join(STATUS_ZH.values())],
        ["生成方式", "python -m coverage.datasets.demo --out DIR（固定随机种子，可逐字节复现）"],
    ]


def _status(f_status: str) -> str:
    return STATUS_ZH[f_status]


def _write_ledger(m: DemoModel, ddir: Path) -> Path:
    tname = [tw.name for tw in m.townships]
    wb = w.new_workbook(title=f"{m.county_name}社会心理服务体系建设台账")
    w.add_sheet(wb, "数据说明", ["项目", "内容"], _note_rows(m))
    rows: list[list[object]] = []
    for k, u in enumerate(m.units, start=1):
        rows.append([k, tname[u.township], u.code, u.name,
                     "居委会" if u.kind == "community" else "村委会", _status(u.status),
                     u.built_year or "", u.counsellors, u.social_workers, _yes(u.demonstration),
                     ""])
    w.add_sheet(wb, "村居",
                ["序号", "所属乡镇（街道）", "村居代码", "村居名称", "类型", "心理咨询室建设情况",
                 "建成年份", "心理咨询员数", "社会工作者数", "是否示范点", "备注"],
                rows, caption=f"{m.county_name}村（社区）心理咨询室（社会工作室）建设台账")
    schools = [f for f in m.facilities if f.kind == "school"]
    w.add_sheet(wb, "学校",
                ["序号", "学校标识码", "学校名称", "学段", "心理辅导室建设情况",
                 "专职心理健康教育教师数", "兼职心理教师数", "是否示范校"],
                [[k, f.code, f.name, f.subtype, _status(f.status), f.staff, f.staff2,
                  _yes(f.demonstration)] for k, f in enumerate(schools, start=1)],
                caption=f"{m.county_name}中小学心理辅导室建设台账")
    med = [f for f in m.facilities if f.kind in ("hospital", "health_center")]
    w.add_sheet(wb, "医疗机构",
                ["序号", "机构代码", "机构名称", "机构类别", "心理门诊（心理咨询室）建设情况",
                 "精神科医师数", "心理咨询员数", "备注"],
                [[k, f.code, f.name, f.subtype, _status(f.status), f.staff, f.staff2, f.note]
                 for k, f in enumerate(med, start=1)],
                caption=f"{m.county_name}医疗卫生机构心理门诊（心理咨询室）建设台账")
    kinds = [k for k, _, _ in _FACILITY_SHEETS if k not in ("hospital", "health_center")]
    sheet_of = {k: s for k, s, _ in _FACILITY_SHEETS}
    other = [f for kind in kinds for f in m.facilities if f.kind == kind]
    w.add_sheet(wb, "其他站点",
                ["序号", "站点代码", "站点名称", "站点类别", "心理服务站点建设情况",
                 "心理咨询员数", "是否示范点"],
                [[k, f.code, f.name, sheet_of[f.kind], _status(f.status), f.staff,
                  _yes(f.demonstration)] for k, f in enumerate(other, start=1)],
                caption=f"{m.county_name}其他心理服务站点建设台账")
    path = ddir / "ledger.xlsx"
    w.save_workbook(wb, path)
    return path


def _write_roads(m: DemoModel, ddir: Path) -> Path:
    path = ddir / "roads.osm.bz2"
    path.write_bytes(bz2.compress(m.osm_xml.encode("utf-8"), compresslevel=9))
    return path


def region_toml(m: DemoModel, *, boundaries: str = "../boundaries/demo_",
                network: str = "roads.osm.bz2") -> str:
    """The text of ``data/demo/region.toml``.

    Parameters
    ----------
    m
        The county.
    boundaries
        Path prefix of the three boundary files, relative to the TOML.
    network
        Road file, relative to the TOML.
    """
    pop_note = f"{sum(u.population for u in m.units):,}"
    return f'''# {m.county_name} — the embedded demo region.
# {DATA_NOTE}
# {len(m.townships)} 乡镇（街道）, {len(m.units)} 村（社区）, 常住人口 {pop_note}.
# Regenerate with: python -m coverage.datasets.demo   (see coverage/datasets/demo.py)

[region]
name = "{m.county_name}"
code = "{m.county_code}"
data_date = "{DATA_DATE}"
source = "{SOURCE}"
organisation = "{ORGANISATION}"
strict = false
metric_crs = "auto"

[[admin]]
level = "county"
file = "{boundaries}county.geojson"
code_column = "代码"
name_column = "名称"

[[admin]]
level = "township"
file = "{boundaries}townships.geojson"
code_column = "代码"
name_column = "名称"
parent_column = "上级代码"

[[admin]]
level = "village"
file = "{boundaries}villages.geojson"
code_column = "代码"
name_column = "名称"
parent_column = "上级代码"

# ---- 行政村: points in a GeoJSON file, 台账 joined by code ------------------------------
[layers.village]
file = "villages.geojson"
[layers.village.columns]
id = "村居代码"
name = "村居名称"
township = "所属乡镇"
population = "常住人口"
ur_code = "城乡分类代码"
[layers.village.ledger]
file = "ledger.xlsx"
sheet = "村居"
header_row = 2
key = "村居代码"
[layers.village.ledger.columns]
status = "心理咨询室建设情况"
counsellors = "心理咨询员数"
social_workers = "社会工作者数"
demonstration = "是否示范点"

# ---- 城市社区: coordinates copied from Amap (GCJ-02), UTF-8 CSV ------------------------
[layers.community]
file = "communities.csv"
encoding = "auto"
crs = "gcj02"
[layers.community.columns]
id = "社区代码"
name = "社区名称"
lon = "经度"
lat = "纬度"
township = "所属街道（乡镇）"
population = "常住人口"
ur_code = "城乡分类代码"
[layers.community.ledger]
file = "ledger.xlsx"
sheet = "村居"
header_row = 2
key = "村居代码"
[layers.community.ledger.columns]
status = "心理咨询室建设情况"
counsellors = "心理咨询员数"
social_workers = "社会工作者数"
demonstration = "是否示范点"

# ---- 学校: GBK-encoded CSV ------------------------------------------------------------
[layers.school]
file = "schools_gbk.csv"
encoding = "auto"
[layers.school.columns]
id = "学校标识码"
name = "学校名称"
subtype = "学段"
township = "所属乡镇"
lon = "经度"
lat = "纬度"
enrolment = "在校学生数"
[layers.school.ledger]
file = "ledger.xlsx"
sheet = "学校"
header_row = 2
key = "学校标识码"
[layers.school.ledger.columns]
status = "心理辅导室建设情况"
psych_teachers = "专职心理健康教育教师数"
demonstration = "是否示范校"

# ---- 医疗机构 -------------------------------------------------------------------------
[layers.hospital]
file = "facilities.xlsx"
sheet = "医院"
header_row = 2
[layers.hospital.columns]
id = "机构代码"
name = "名称"
subtype = "类别"
grade = "医院等级"
township = "所属乡镇"
lon = "经度"
lat = "纬度"
[layers.hospital.ledger]
file = "ledger.xlsx"
sheet = "医疗机构"
header_row = 2
key = "机构代码"
[layers.hospital.ledger.columns]
status = "心理门诊（心理咨询室）建设情况"
psychiatrists = "精神科医师数"
counsellors = "心理咨询员数"

[layers.health_center]
file = "facilities.xlsx"
sheet = "卫生院"
header_row = 2
[layers.health_center.columns]
id = "机构代码"
name = "名称"
subtype = "类别"
township = "所属乡镇"
lon = "经度"
lat = "纬度"
[layers.health_center.ledger]
file = "ledger.xlsx"
sheet = "医疗机构"
header_row = 2
key = "机构代码"
[layers.health_center.ledger.columns]
status = "心理门诊（心理咨询室）建设情况"
psychiatrists = "精神科医师数"
counsellors = "心理咨询员数"
{_other_layers()}
[targets]
preset = "national_2018"

[access]
network = "{network}"
snap_limit_m = 1000.0
walk_speed_kmh = 4.5
max_minutes = 60.0

[[access.services]]
id = "counselling"
name = "村(社区)心理咨询室/社会工作室"
site_layers = ["village", "community", "service_site"]
site_statuses = ["built"]
demand_layers = ["village", "community"]
staff_column = "counsellors"
urban = {{ mode = "walk", minutes = 15.0 }}
rural = {{ mode = "drive", minutes = 30.0 }}

[[access.services]]
id = "clinic"
name = "医疗机构心理门诊/心理咨询室"
site_layers = ["hospital", "health_center"]
site_statuses = ["built"]
demand_layers = ["village", "community"]
staff_column = "psychiatrists"
urban = {{ mode = "drive", minutes = 15.0 }}
rural = {{ mode = "drive", minutes = 30.0 }}

[optimize]
# quota: every township reaches the village-room target of the preset (99 new rooms in
# this demo), and the few extra sites cover the most people still beyond 15/30 minutes
model = "quota"
service = "counselling"
p = 105
candidate_layers = ["village", "community"]
candidate_statuses = ["none", "planned", "under_construction"]
time_limit_s = 60.0
phases = 3

[map]
basemap = "none"
title = "{m.county_name}社会心理服务资源一张图"

[scenarios."加密布点"]
optimize = {{ p = 120 }}

[scenarios."吴忠标准"]
targets = {{ preset = "wuzhong_2023" }}
'''


def _other_layers() -> str:
    parts = []
    for kind, sheet, idh in _FACILITY_SHEETS[2:]:
        parts.append(f'''
[layers.{kind}]
file = "facilities.xlsx"
sheet = "{sheet}"
header_row = 2
[layers.{kind}.columns]
id = "{idh}"
name = "名称"
subtype = "类别"
township = "所属乡镇"
lon = "经度"
lat = "纬度"
[layers.{kind}.ledger]
file = "ledger.xlsx"
sheet = "其他站点"
header_row = 2
key = "站点代码"
[layers.{kind}.ledger.columns]
status = "心理服务站点建设情况"
counsellors = "心理咨询员数"
demonstration = "是否示范点"
''')
    return "".join(parts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate(out_root: Path) -> dict[str, Path]:
    """Generate the demo region under ``out_root`` (the ``data`` folder layout).

    Parameters
    ----------
    out_root
        Folder that receives ``demo/`` and ``boundaries/demo_*.geojson``.

    Returns
    -------
    dict of str to Path
        Every written file by role: ``region``, ``ledger``, ``villages``, ``communities``,
        ``schools``, ``facilities``, ``roads``, ``county``, ``townships``,
        ``village_polygons``, ``checksums``.
    """
    out_root = Path(out_root)
    ddir = out_root / "demo"
    bdir = out_root / "boundaries"
    ddir.mkdir(parents=True, exist_ok=True)
    bdir.mkdir(parents=True, exist_ok=True)
    model = build_model()
    paths: dict[str, Path] = {}
    paths.update(_write_boundaries(model, bdir))
    paths.update(_write_points(model, ddir))
    paths["ledger"] = _write_ledger(model, ddir)
    paths["roads"] = _write_roads(model, ddir)
    region = ddir / "region.toml"
    region.write_text(region_toml(model), encoding="utf-8", newline="\n")
    paths["region"] = region
    lines = sorted(
        f"{_sha256(p)}  {p.relative_to(out_root).as_posix()}" for p in paths.values()
    )
    checks = ddir / "CHECKSUMS.sha256"
    checks.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    paths["checksums"] = checks
    logger.info("demo region written to %s (%d files)", out_root, len(paths))
    return dict(sorted(paths.items()))


def _replace_into(tmp_root: Path, out_root: Path, written: dict[str, Path]) -> dict[str, Path]:
    """Move freshly generated files into ``out_root`` (each with an atomic rename)."""
    final: dict[str, Path] = {}
    for role, p in written.items():
        dest = out_root / p.relative_to(tmp_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(p, dest)
        final[role] = dest
    return final


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m coverage.datasets.demo [--out DIR]``."""
    ap = argparse.ArgumentParser(
        prog="python -m coverage.datasets.demo",
        description=f"Generate the demo region {REGION_NAME} ({_SHORT_NOTE}).",
    )
    ap.add_argument("--out", type=Path, default=default_data_root(),
                    help="data folder to write demo/ and boundaries/ into (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".demo-") as tmp:
        written = generate(Path(tmp))
        final = _replace_into(Path(tmp), out, written)
    for role, p in final.items():
        logger.info("%-17s %s (%d bytes)", role, p, p.stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
