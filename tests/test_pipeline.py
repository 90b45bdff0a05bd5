"""`coverage demo` end to end: the output folder a planner hands over.

One run of the whole pipeline on the embedded demo county (``demo_run`` in conftest), then checks on
what it wrote: the workbook's sheets and headers, the report's sections, run.json's
checksums, the Word report's tables and pictures, and that a second run keeps the first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from coverage.cli import main

pytestmark = pytest.mark.slow


def test_output_folder_layout(demo_run: Path) -> None:
    names = {p.relative_to(demo_run).as_posix() for p in demo_run.rglob("*") if p.is_file()}
    for required in ("report.html", "report.docx", "run.json", "tables/tables.xlsx",
                     "tables/gaps.csv", "tables/access_points.csv",
                     "tables/suggested_sites.csv", "maps/resource_map.html"):
        assert required in names
    for sheet in ("completion", "access", "suggestions"):
        for ext in ("png", "svg", "pdf"):
            assert f"maps/{sheet}.{ext}" in names
    assert not [n for n in names if ".tmp" in n or "staging" in n]


def test_workbook_sheets_and_chinese_headers(demo_run: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(demo_run / "tables" / "tables.xlsx", read_only=True)
    assert {"指标达标情况", "乡镇排名", "建议选址", "乡镇建成前后"} <= set(wb.sheetnames)
    assert any(s.startswith("可达性-") for s in wb.sheetnames)
    headers = [c.value for c in next(wb["指标达标情况"].iter_rows(max_row=1))]
    assert {"指标", "完成率", "目标", "缺口", "是否达标", "政策依据"} <= set(headers)
    sites = [c.value for c in next(wb["建议选址"].iter_rows(max_row=1))]
    assert {"顺序", "建设年度", "乡镇/街道", "新增覆盖人口", "说明", "建设理由"} <= set(sites)


def test_report_sections(demo_run: Path) -> None:
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    for section in ("一、总体情况", "二、指标完成情况与缺口", "（二）乡镇（街道）排名",
                    "三、服务可达性", "（二）未覆盖的村（社区）",
                    "四、建议新建站点与分年度建设顺序", "（二）关于新建数量的说明", "五、有关说明"):
        assert section in html
    assert "《全国社会心理服务体系建设试点工作方案》" in html  # the citation, by title
    assert html.count("data:image/png;base64,") >= 3            # maps embedded
    assert "TargetPreset(" not in html and "&lt;NA&gt;" not in html


def test_run_json_checksums(demo_run: Path) -> None:
    record = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert record["region"]["code"] == "379901"
    assert set(record["timings_s"]) >= {"validate", "gaps", "access", "suggest", "maps",
                                         "report"}
    inputs = {Path(i["path"]).name: i for i in record["inputs"]}
    assert {"region.toml", "ledger.xlsx", "roads.osm.bz2"} <= set(inputs)
    for item in record["inputs"]:
        digest = hashlib.sha256(Path(item["path"]).read_bytes()).hexdigest()
        assert digest == item["sha256"]
    for item in record["outputs"]:
        digest = hashlib.sha256((demo_run / item["path"]).read_bytes()).hexdigest()
        assert digest == item["sha256"], item["path"]
    assert record["versions"]["numpy"] and record["config"]["region"]["code"] == "379901"


def test_docx_holds_tables_and_pictures(demo_run: Path) -> None:
    import docx

    doc = docx.Document(str(demo_run / "report.docx"))
    assert len(doc.tables) >= 4
    assert len(doc.inline_shapes) >= 3
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert "指标" in header and "缺口" in header


def test_second_run_does_not_clobber_first(demo_run: Path) -> None:
    before = (demo_run / "run.json").read_bytes()
    from coverage.datasets import demo_config_path
    from coverage.pipeline import run

    second = run(demo_config_path(), out=demo_run)
    assert second.out_dir != demo_run and second.out_dir.name.startswith(demo_run.name + "-")
    assert (demo_run / "run.json").read_bytes() == before
    assert (second.out_dir / "run.json").is_file()


@pytest.fixture
def tiny_with_scenarios(tmp_path: Path) -> Path:
    import shutil

    src = Path(__file__).parent / "fixtures" / "tiny"
    folder = tmp_path / "tiny"
    shutil.copytree(src, folder)
    toml = folder / "region.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[optimize]\nmodel = "quota"\np = 4\n\n'
        + '[scenarios."少建两处"]\noptimize = { model = "mclp", p = 2 }\n',
        encoding="utf-8",
    )
    return toml


def test_compare_runs_base_and_each_scenario(tiny_with_scenarios: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["-q", "compare", str(tiny_with_scenarios), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "基准方案" in text and "少建两处" in text
    import pandas as pd

    table = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert list(table["方案"]) == ["基准方案", "少建两处"]
    assert list(table["建议新建数"]) == [4, 2]
    assert (out / "base" / "run.json").is_file() and (out / "少建两处" / "report.docx").is_file()


def test_map_command_writes_html_and_sheets(tiny_toml: Path, tmp_path: Path) -> None:
    assert main(["map", str(tiny_toml), "--out", str(tmp_path / "m")]) == 0
    html = (tmp_path / "m" / "resource_map.html").read_text(encoding="utf-8")
    assert "测试县" in html and "leaflet" in html.lower()
    assert (tmp_path / "m" / "facilities.png").is_file()


def test_run_reports_each_stage(tiny_toml: Path, tmp_path: Path) -> None:
    from coverage.pipeline import StageEvent, run

    events: list[StageEvent] = []
    run(tiny_toml, out=tmp_path / "o", on_stage=events.append)
    done = [e.stage for e in events if e.state == "done"]
    assert done == ["validate", "network", "gaps", "access", "suggest", "maps", "report"]
    assert events[-1].done == events[-1].total == 7
