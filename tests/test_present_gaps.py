"""Presentation of the gaps stage: writers (CSV/XLSX/JSON) and the CLI text table."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from coverage.present._text import display_width, pad
from coverage.present.gaps import sheets, text, write_tables
from coverage.targets import GapResult, apply_overrides, compute_gaps, load_preset
from coverage.vocabulary import COLUMNS, GAP_STATUS

UNMET = GAP_STATUS.label("unmet")

TOWNSHIPS = pd.DataFrame({"code": ["T1", "T2"], "name": ["城关镇", "北街街道"]})


@pytest.fixture
def result() -> GapResult:
    # village_room_rate (80%, county): T1 3/4 built, T2 0/2 (1 planned) -> county 3/6,
    # need ceil(4.8) - 3 = 2.  psychiatric hospital: 1/1 built -> 达标.
    # petition office layer missing -> 无数据.  Changning-style per-居委 flags come from
    # an added custom village-scope indicator on communities.
    vl = pd.DataFrame({
        "id": ["V1", "V2", "V3", "V4", "V5", "V6"],
        "name": ["东村", "西村", "南村", "北村", "山前村", "河口村"],
        "kind": "village",
        "status": ["built", "built", "built", "none", "planned", "none"],
        "township_code": ["T1", "T1", "T1", "T1", "T2", "T2"],
        "township_name": ["城关镇"] * 4 + ["北街街道"] * 2,
    })
    hp = pd.DataFrame({"id": ["H1"], "name": ["精神病防治院"], "kind": "hospital",
                       "status": ["built"], "township_code": ["T1"],
                       "township_name": ["城关镇"], "subtype": ["psychiatric"], "grade": [2]})
    custom = {
        "id": "village_each_room", "name": "每村心理咨询室", "kind": "rate",
        "scope": "village", "target": 1.0,
        "denominator": {"layers": ["village"]}, "numerator": {"statuses": ["built"]},
        "citation": {"file": "本县方案.docx", "quote": "每村建成心理咨询室"},
    }
    base = load_preset("national_2018")
    keep = {"village_room_rate", "psychiatric_hospital_clinic_rate",
            "petition_office_room_rate"}
    preset = apply_overrides(
        base, {i.id: {"enabled": False} for i in base.indicators if i.id not in keep},
        [custom])
    return compute_gaps(layers={"village": vl, "hospital": hp}, townships=TOWNSHIPS,
                        preset=preset, county_code="370899", county_name="示范县")


def test_write_gaps_files(result: GapResult, tmp_path: Path) -> None:
    paths = write_tables(result, tmp_path / "out")
    assert set(paths) == {"csv", "xlsx", "json"}
    assert all(p.is_file() for p in paths.values())
    raw = paths["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # utf-8-sig for Excel
    csv = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype={"unit_code": str})
    assert list(csv.columns) == [c if c != "notes" else "note" for c in result.table.columns]
    assert len(csv) == len(result.table) == 4 * 3
    county = csv[(csv["indicator_id"] == "village_room_rate") & (csv["unit_level"] == "county")]
    assert county["shortfall"].tolist() == [2]
    text = paths["json"].read_text(encoding="utf-8")
    assert "示范县" in text  # ensure_ascii=False
    data = json.loads(text)
    assert data["summary"]["indicators"]["village_room_rate"]["shortfall"] == 2
    assert data["summary"]["indicators"]["petition_office_room_rate"]["status"] == "无数据"
    assert len(data["flags"]) == 3  # V4, V5, V6 lack a room
    assert not list((tmp_path / "out").glob("*.tmp*"))  # atomic: no temp files left


def test_xlsx_formatting(result: GapResult, tmp_path: Path) -> None:
    path = write_tables(result, tmp_path)["xlsx"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(sheets(result)) == ["指标达标情况", "乡镇排名", "村居明细"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
    ws = wb["指标达标情况"]
    headers = [c.value for c in ws[1]]
    cols = ["note" if c == "notes" else c for c in result.table.columns]
    assert headers == [COLUMNS.label("gap_status") if c == "status" else COLUMNS.label(c)
                       for c in cols]
    assert {"指标", "缺口", "状态", "政策依据", "完成率"} <= set(headers)
    col = {h: i + 1 for i, h in enumerate(headers)}
    # row 2 is the county row of village_room_rate (a rate): percentage formats
    assert ws.cell(2, col["指标代码"]).value == "village_room_rate"
    assert ws.cell(2, col["完成率"]).number_format == "0.0%"
    assert ws.cell(2, col["目标"]).number_format == "0.0%"
    assert ws.cell(2, col["完成率"]).value == pytest.approx(0.5)
    assert ws.cell(2, col["状态"]).value == UNMET
    assert ws.cell(2, col["是否达标"]).value == "否"
    # conditional red fill for 未达标 rows
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert any(UNMET in f for r in rules for f in r.formula)
    assert all(r.dxf is not None and r.dxf.fill is not None for r in rules)
    # column widths fit Chinese text: the name column is at least as wide as its longest name
    name_letter = openpyxl.utils.get_column_letter(col["指标"])
    longest = max(display_width(str(v)) for v in result.table["indicator_name"])
    assert ws.column_dimensions[name_letter].width >= longest
    flags = wb["村居明细"]
    assert [c.value for c in flags[1]][:5] == ["指标代码", "指标", "图层", "代码", "名称"]
    assert [flags.cell(r, 4).value for r in range(2, 5)] == ["V4", "V5", "V6"]
    assert flags.cell(2, 3).value == "行政村"
    rank = wb["乡镇排名"]
    assert rank.cell(1, 1).value == "排名" and rank.cell(2, 3).value == "北街街道"


def test_display_width_and_pad() -> None:
    assert display_width("北街街道") == 8
    assert display_width("T1 城关") == 7
    assert display_width("（")== 2  # full-width punctuation
    assert pad("东山乡", 8) == "东山乡  "
    assert pad("12", 4, right=True) == "  12"


def test_format_gaps_text_is_aligned(result: GapResult) -> None:
    out = text(result)
    lines = out.splitlines()
    assert lines[0].startswith("示范县 (370899)")
    header = next(i for i, ln in enumerate(lines) if ln.startswith("指标"))
    table = lines[header:header + 2 + 4]  # header, rule, 4 indicators
    # the 状态 column starts at the same display column on every row
    starts = []
    for ln in [table[0], *table[2:]]:
        for word in ("状态", "未达标", "达标", "无数据", "不适用"):
            pos = ln.find("  " + word)
            if pos >= 0:
                starts.append(display_width(ln[:pos + 2]))
                break
    assert len(starts) == 5 and len(set(starts)) == 1
    assert "3/6" in out and "50.0%" in out and "≥80%" in out
    assert "petition_office_room_rate" in out and "petition_office" in out  # 无数据 section
    assert "北街街道" in out
