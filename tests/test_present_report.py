"""The demo's report as the county leadership reads it: numbered, captioned, in plain words,
with the numbers of its note on the count of new sites equal to the tables it summarises;
honest when no plan is feasible and when township areas are only approximate."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from coverage.vocabulary import SOLVER_STATUS

pytestmark = pytest.mark.slow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: words of the tool, its solver and its internals that must not reach the leadership
JARGON = ("coverage 自动生成", "run.json", "目标值", "间隙", "MCLP", "LSCP", "p-median",
          "HiGHS", "optimal", "infeasible", "feasible", "solver", "gap", "求解", "TargetPreset",
          "<NA>", "nan", "None", "village_room_rate", "quota")


@pytest.fixture(scope="module")
def doc(demo_run: Path) -> Any:
    import docx

    return docx.Document(str(demo_run / "report.docx"))


def _headings(doc: Any) -> list[tuple[int, str]]:
    return [(int(p.style.name[-1]), p.text) for p in doc.paragraphs
            if p.style.name.startswith("Heading")]


def _captions(doc: Any) -> list[str]:
    return [p.text for p in doc.paragraphs if re.match(r"^[表图]\d+ ", p.text)]


def test_headings_numbered_by_level(doc: Any) -> None:
    from coverage.present.report import heading_number

    heads = _headings(doc)
    assert heads[0] == (1, "一、总体情况")
    counters = [0, 0, 0, 0]
    for level, text in heads:
        counters[level - 1] += 1
        counters[level:] = [0] * (4 - level)
        assert text.startswith(heading_number(level, counters[level - 1])), text
    tops = [t for lv, t in heads if lv == 1]
    assert tops[:4] == ["一、总体情况", "二、指标完成情况与缺口", "三、服务可达性",
                        "四、建议新建站点与分年度建设顺序"]
    assert "（二）关于新建数量的说明" in [t for lv, t in heads if lv == 2]


def test_captions_in_order_above_tables_below_figures(doc: Any) -> None:
    caps = _captions(doc)
    tables = [int(c[1:c.index(" ")]) for c in caps if c.startswith("表")]
    figures = [int(c[1:c.index(" ")]) for c in caps if c.startswith("图")]
    assert tables == list(range(1, len(doc.tables) + 1))
    assert figures == list(range(1, len(doc.inline_shapes) + 1)) and len(figures) >= 4
    children = list(doc.element.body.iterchildren())
    for i, el in enumerate(children):
        if el.tag == f"{W}tbl":
            above = "".join(t.text or "" for t in children[i - 1].iter(f"{W}t"))
            assert re.match(r"^表\d+ ", above), above
        if el.tag == f"{W}p" and el.findall(f".//{W}drawing"):
            below = "".join(t.text or "" for t in children[i + 1].iter(f"{W}t"))
            assert re.match(r"^图\d+ ", below), below


def test_tables_repeat_headers_in_chinese_at_readable_size(doc: Any) -> None:
    for table in doc.tables:
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
        header = [c.text for c in table.rows[0].cells]
        for h in header:
            assert CJK.search(h) and not re.search(r"[A-Za-z]{2,}", h), header
        sizes = {r.font.size.pt for row in table.rows for c in row.cells
                 for p in c.paragraphs for r in p.runs}
        assert min(sizes) >= 10.5, sizes


def test_contents_page_numbers_and_properties(doc: Any) -> None:
    xml = doc.element.body.xml
    assert 'TOC \\o "1-2"' in xml
    toc = [p.text for p in doc.paragraphs if p.style.name.startswith("toc")]
    assert toc == [t for lv, t in _headings(doc) if lv <= 2]
    footer = doc.sections[-1].footer._element.xml
    assert "> PAGE <" in footer
    assert doc.settings.element.find(f"{W}updateFields") is not None
    cp = doc.core_properties
    # the demo's region names its 编制单位 ([region] organisation)
    assert cp.author == "澄河县卫生健康局（虚构）" == cp.last_modified_by
    assert cp.title == "澄河县（虚构示例）社会心理服务体系建设评估报告"


def test_body_speaks_plain_chinese(doc: Any, demo_run: Path) -> None:
    body = [p.text for p in doc.paragraphs if p.style.name in ("Body Text", "Table Note")]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text = "\n".join(body + cells)
    for word in JARGON:
        assert word not in text, word
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    for word in ("coverage 自动生成", "run.json", "目标值", "HiGHS", "&lt;NA&gt;"):
        assert word not in html, word


def _reconciliation(demo_run: Path) -> dict[str, int]:
    rec = pd.read_csv(demo_run / "tables" / "suggest_reconciliation.csv", encoding="utf-8-sig")
    by = dict(zip(rec["项目"], rec["数量"], strict=True))
    gaps = pd.read_csv(demo_run / "tables" / "gaps.csv", encoding="utf-8-sig")
    room = gaps[gaps["indicator_id"] == "village_room_rate"]
    return {
        "county": int(room.loc[room["unit_level"] == "county", "shortfall"].iloc[0]),
        "towns": int(room.loc[room["unit_level"] == "township", "shortfall"].sum()),
        "suggested": int(by["建议新建站点"]),
        "quota": int(by["其中：满足乡镇达标"]), "both": int(by["其中：乡镇达标并扩大覆盖"]),
        "coverage": int(by["其中：扩大服务覆盖"]),
        "count": int(by["其中：凑足新建数量（不新增覆盖）"]),
        "newly": int(by["新增覆盖人口"]),
    }


def test_reconciliation_numbers_equal_the_tables(doc: Any, demo_run: Path) -> None:
    n = _reconciliation(demo_run)
    assert n["county"] != n["towns"]  # the demo shows the difference the note explains
    assert n["quota"] + n["both"] + n["coverage"] + n["count"] == n["suggested"]
    paras = [p.text for p in doc.paragraphs if not p.style.name.startswith("toc")]
    start = paras.index("（二）关于新建数量的说明")
    note = "".join(paras[start + 1:start + 3])
    assert f"以全县合计计算还差{n['county']}个" in note
    assert f"逐乡镇（街道）计算的缺口合计为{n['towns']}个" in note
    assert f"本方案建议新建{n['suggested']}处" in note
    assert f"{n['quota'] + n['both']}处用于各乡镇（街道）达标" in note
    assert f"其中{n['both']}处同时新增覆盖人口" in note
    assert f"{n['coverage']}处用于扩大服务覆盖" in note
    assert f"{n['count']}处既不影响达标也不新增覆盖人口" in note
    assert f"有{n['quota']}处所在村（社区）已在现有站点的服务范围内" in note
    assert f"合计新增覆盖{n['newly']:,}人" in note
    # the overview says the same in one sentence
    overview = paras[paras.index("一、总体情况") + 1:paras.index("二、指标完成情况与缺口")]
    sentence = next(p for p in overview if "逐乡镇合计" in p)
    numbers = [int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*", sentence)]
    assert numbers == [n["county"], n["towns"], n["suggested"], n["quota"] + n["both"],
                       n["both"], n["coverage"], n["count"], n["newly"]]


def test_html_says_the_same_under_the_same_numbers(doc: Any, demo_run: Path) -> None:
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    heads = re.findall(r"<h([2-5]) id=\"s[\d-]+\">([^<]+)</h\1>", html)
    assert [(int(lv) - 1, t) for lv, t in heads] == _headings(doc)
    caps = re.findall(r"(?:<p class=\"caption\">|<figcaption>)([表图]\d+ [^<]+)<", html)
    assert caps == _captions(doc)
    assert html.count("data:image/png;base64,") == len(doc.inline_shapes)


# ------------------------------------------------------------------ honest when it must be


@pytest.fixture(scope="module")
def tiny_stages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    from coverage import pipeline as pl

    toml = Path(__file__).parent / "fixtures" / "tiny" / "region.toml"
    cfg = pl._config(toml)
    region = pl.load_region(cfg)
    ctx = pl.build_access(region, cfg)
    gaps = pl.analyse_gaps(region, cfg)
    access = pl.analyse_access(region, cfg, context=ctx)
    infeasible = pl.suggest(region, cfg, context=ctx, gaps=gaps, budget=1.0)
    return region, gaps, access, infeasible


def _texts(content: Any) -> list[str]:
    from coverage.present.report import report_blocks

    return [b.text for b in report_blocks(content)]


def test_infeasible_plan_says_so_and_why(tiny_stages: tuple[Any, ...], tmp_path: Path) -> None:
    from coverage.present.report import write_docx_report, write_html_report
    from coverage.present.run import report_content

    region, gaps, access, plan = tiny_stages
    assert not plan.feasible
    content = report_content(region, gaps, access, plan, {}, None)
    texts = _texts(content)
    joined = "\n".join(texts)
    assert f"在现有条件下{SOLVER_STATUS.label('infeasible')}" in joined
    assert "No feasible" not in joined and "budget" not in joined  # never the solver's words
    assert "可从以下方面调整后重新测算" in joined
    assert "本方案建议新建" not in joined
    # the shortfalls are still reconciled, without a count of suggestions
    r = plan.reconciliation
    assert f"以全县合计计算还差{int(r['county_shortfall'])}个" in joined
    assert "（二）关于新建数量的说明" in texts
    write_docx_report(content, tmp_path / "r.docx")
    write_html_report(content, tmp_path / "r.html")
    assert SOLVER_STATUS.label("infeasible") in (tmp_path / "r.html").read_text("utf-8")


def test_approximate_townships_are_marked(tiny_stages: tuple[Any, ...]) -> None:
    from coverage.present.run import report_content

    region, gaps, access, plan = tiny_stages
    approx = dataclasses.replace(region, approximate_townships=True)
    joined = "\n".join(_texts(report_content(approx, gaps, access, plan, {}, None)))
    assert joined.count("示意范围（非法定界线）") >= 2   # the overview and the notes on method
    exact = "\n".join(_texts(report_content(region, gaps, access, plan, {}, None)))
    assert "示意范围" not in exact


def test_author_is_the_organisation(tiny_stages: tuple[Any, ...]) -> None:
    from coverage.present.run import report_content

    region, gaps, access, plan = tiny_stages
    named = dataclasses.replace(region, provenance=dataclasses.replace(
        region.provenance, organisation="测试县卫生健康局"))
    content = report_content(named, gaps, access, plan, {}, "少建两处")
    assert content.author == "测试县卫生健康局"
    assert ("编制单位", "测试县卫生健康局") in content.meta
    assert ("测算方案", "少建两处") in content.meta
    assert ("数据截至", "2026年6月30日") in content.meta
