"""The run's workbook as a planner opens and prints it: Chinese headers (English only when
asked), numbers kept as numbers with formats, 是/否, whole sheet names, a 说明 sheet first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from coverage.present.workbook import SheetSpec, sheet_titles, write_workbook
from coverage.vocabulary import COLUMNS

CJK = re.compile(r"[\u4e00-\u9fff]")
#: a number written as text with more digits than any format shows
FLOAT_TEXT = re.compile(r"^-?\d+\.\d{3,}$")
ENGLISH = {COLUMNS.label(c, "en") for c in COLUMNS}


def _check_sheet(ws: Any, header_rows: int = 1) -> None:
    headers = [c.value for c in ws[1]]
    assert all(isinstance(h, str) and CJK.search(h) for h in headers), (ws.title, headers)
    assert not ENGLISH & set(headers), ws.title
    first = header_rows + 1
    assert ws.freeze_panes == f"A{first}"
    for row in ws.iter_rows(min_row=first):
        for cell in row:
            v = cell.value
            assert not isinstance(v, bool), (ws.title, cell.coordinate)      # 是/否
            if isinstance(v, int | float):
                assert cell.number_format != "General", (ws.title, cell.coordinate, v)
            if isinstance(v, str):
                assert not FLOAT_TEXT.match(v), (ws.title, cell.coordinate, v)
    if ws.max_row > header_rows:
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith(f"A{header_rows}")
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"$1:${header_rows}"


@pytest.mark.slow
def test_demo_workbook_is_chinese_formatted_and_explained(demo_run: Path) -> None:
    wb = load_workbook(demo_run / "tables" / "tables.xlsx")
    names = wb.sheetnames
    assert names[0] == "说明"
    assert len(set(names)) == len(names) and all(len(n) <= 31 for n in names)
    assert not [n for n in names if re.search(r"\(\d+\)$|[、，（(-]$", n)]  # none cut or renamed
    for ws in wb.worksheets:
        _check_sheet(ws)
    readme = {(r[0], r[1]): r[2] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    listed = [item for (group, item) in readme if group == "工作表"]
    assert listed == names[1:]
    assert all(readme[("工作表", n)] for n in listed)           # each sheet described
    assert "国卫疾控发〔2018〕44号" in readme[("基本信息", "指标依据")]
    groups = {group for group, _ in readme}
    assert {"颜色", "建设状态", "指标状态", "可达状态", "建设理由"} <= groups
    # values are the same numbers as the CSV files, shown with formats
    sites = wb["建议选址"]
    head = {c.value: c.column for c in sites[1]}
    csv = pd.read_csv(demo_run / "tables" / "suggested_sites.csv", encoding="utf-8-sig")
    minutes = [sites.cell(r, head["人均缩短（分钟）"]).value for r in range(2, sites.max_row + 1)]
    assert minutes == pytest.approx(csv["minutes_saved"].tolist(), nan_ok=True)
    assert sites.cell(2, head["人均缩短（分钟）"]).number_format == "#,##0.0"
    assert sites.cell(2, head["新增覆盖人口"]).number_format == "#,##0"
    assert sites.cell(2, head["现状建成率"]).number_format == "0.0%"
    access = next(ws for ws in wb.worksheets if ws.title.startswith("可达性-"))
    ahead = {c.value: c.column for c in access[1]}
    assert access.cell(2, ahead["计算方法"]).value == "路网通行时间"
    assert access.cell(2, ahead["是否覆盖"]).value in ("是", "否")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    from coverage import pipeline as pl

    toml = Path(__file__).parent / "fixtures" / "tiny" / "region.toml"
    cfg = pl._config(toml)
    region = pl.load_region(cfg)
    ctx = pl.build_access(region, cfg)
    gaps = pl.analyse_gaps(region, cfg)
    access = pl.analyse_access(region, cfg, context=ctx)
    return region, gaps, access, pl.suggest(region, cfg, context=ctx, gaps=gaps)


def test_english_header_row_only_when_asked(tiny: tuple[Any, ...], tmp_path: Path) -> None:
    from coverage.present.run import write_tables

    region, gaps, access, plan = tiny
    write_tables(gaps, access, plan, tmp_path / "zh", region=region)
    write_tables(gaps, access, plan, tmp_path / "en", region=region, english_headers=True)
    zh = load_workbook(tmp_path / "zh" / "tables.xlsx")
    en = load_workbook(tmp_path / "en" / "tables.xlsx")
    assert zh.sheetnames == en.sheetnames
    for ws in zh.worksheets:
        _check_sheet(ws)
    for ws in en.worksheets:
        _check_sheet(ws, header_rows=2)
        second = [c.value for c in ws[2]]
        assert all(isinstance(h, str) and not CJK.search(h) for h in second), second
        assert [c.value for c in ws[1]] == [c.value for c in zh[ws.title][1]]
    readme = {r[1]: r[2] for r in zh["说明"].iter_rows(min_row=2, values_only=True)}
    assert readme["数据日期"] == "2026年6月30日" and readme["数据来源"] == "测试数据（虚构）"
    assert readme["编制单位"] == "未注明"
    en_readme = {r[1]: r[2] for r in en["说明"].iter_rows(min_row=3, values_only=True)}
    assert [c.value for c in en["说明"][2]] == ["group", "item", "meaning"]
    assert "英文列名" in en_readme["第一行"]


def test_default_formats_and_wrapped_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"whole": [1200, 3], "part": [1.23456, 2.5], "flag": [True, False],
                          "text": ["很长的说明文字" * 12, "短"]})
    path = write_workbook({"表": SheetSpec(frame, labels={
        "whole": "人数", "part": "比值", "flag": "是否", "text": "说明"}, wrap=["text"],
        description="测试")}, tmp_path / "t.xlsx")
    ws = load_workbook(path)["表"]
    assert ws["A2"].number_format == "#,##0" and ws["B2"].number_format == "#,##0.00"
    assert ws["B2"].value == pytest.approx(1.23456)        # the value stays the number
    assert [ws["C2"].value, ws["C3"].value] == ["是", "否"]
    assert ws["D2"].alignment.wrap_text and ws.column_dimensions["D"].width <= 60
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_sheet_titles_read_whole() -> None:
    long = "可达性-村(社区)心理咨询室、社会工作室与其他服务场所合并统计表"
    assert sheet_titles([long]) == ["可达性-村(社区)心理咨询室"]
    titles = sheet_titles(["乡镇排名", "乡镇排名", "a/b:c"])
    assert titles == ["乡镇排名", "乡镇排名(2)", "a、b-c"]
    assert all(len(t) <= 31 for t in sheet_titles(["长" * 40]))
