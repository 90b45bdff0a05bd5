"""The HTML and Word reports: one numbered layout, escaped, self-contained; the Word file in
the 公文 form (GB/T 9704-2012): page, fonts, headings, captions, contents, page numbers."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from coverage.present._fonts import ReportFonts, report_fonts
from coverage.present.report import (
    ReportContent,
    ReportSection,
    chinese_number,
    date_zh,
    frame_for_report,
    heading_number,
    report_blocks,
    write_docx_report,
    write_html_report,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# a 10 x 14 PNG (portrait, like the A4 map sheets)
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAoAAAAOCAIAAACZwRr8AAAAFklEQVR4nGP8//8/A27AhEduVHpApAEkqQMZFQ40"
    "qAAAAABJRU5ErkJggg=="
)


@pytest.fixture
def content(tmp_path: Path) -> ReportContent:
    pic = tmp_path / "m.png"
    pic.write_bytes(_PNG)
    table = pd.DataFrame({"乡镇": ["<b>东河镇</b>", "西山镇"], "是否达标": ["未达标", "达标"]})
    many = pd.DataFrame({"序号": range(1, 121), "名称": [f"村{i}" for i in range(1, 121)]})
    return ReportContent(
        title="测试县\n社会心理服务体系建设评估报告",
        subtitle="虚构示例",
        meta=(("数据截至", "2026年6月30日"),),
        sections=(
            ReportSection("指标", paragraphs=("说明",), table=table, table_title="指标完成情况",
                          pictures=(("完成率", pic),),
                          subsections=(
                              ReportSection("分项", table=many, max_rows=100,
                                            subsections=(ReportSection(
                                                "细目", paragraphs=("三级",), subsections=(
                                                    ReportSection("要点", paragraphs=("四级",)),
                                                )),)),
                          )),
            ReportSection("空表", table=table.iloc[:0]),
            ReportSection("附图", pictures=(("位置", pic),)),
        ),
        author="测试县卫生健康局",
    )


STANDARD = report_fonts(frozenset())        # nothing installed: the standard's own faces


def test_numbers() -> None:
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 21, 99)] == [
        "一", "九", "十", "十一", "二十", "二十一", "九十九"]
    assert [heading_number(level, 2) for level in (1, 2, 3, 4)] == ["二、", "（二）", "2.", "（2）"]
    with pytest.raises(ValueError):
        heading_number(5, 1)
    assert date_zh("2025-12-31") == "2025年12月31日" and date_zh("2025年底") == "2025年底"


def test_blocks_number_headings_tables_and_figures(content: ReportContent) -> None:
    blocks = report_blocks(content)
    heads = [b.text for b in blocks if b.kind == "heading"]
    assert heads == ["一、指标", "（一）分项", "1.细目", "（1）要点", "二、空表", "三、附图"]
    assert [b.level for b in blocks if b.kind == "heading"] == [1, 2, 3, 4, 1, 1]
    assert [b.text for b in blocks if b.kind == "table"] == ["表1 指标完成情况", "表2 分项"]
    assert [b.text for b in blocks if b.kind == "figure"] == ["图1 完成率", "图2 位置"]
    long = next(b for b in blocks if b.text == "表2 分项")
    assert long.table is not None and len(long.table) == 100 and "共120行" in long.note
    assert any(b.kind == "paragraph" and b.text == "（无）" for b in blocks)
    deep = ReportContent("t", "", (), (ReportSection("1", subsections=(ReportSection(
        "2", subsections=(ReportSection("3", subsections=(ReportSection(
            "4", subsections=(ReportSection("5"),)),)),)),)),))
    with pytest.raises(ValueError, match="levels 1"):
        report_blocks(deep)


def test_html_report_is_escaped_self_contained_and_numbered(content: ReportContent,
                                                            tmp_path: Path) -> None:
    out = write_html_report(content, tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;东河镇&lt;/b&gt;" in text and "<b>东河镇" not in text
    assert "data:image/png;base64," in text
    assert "http://" not in text and "https://" not in text
    assert '<td class="bad">未达标</td>' in text
    assert "（无）" in text
    assert "<title>测试县社会心理服务体系建设评估报告</title>" in text
    assert '<h2 id="s1">一、指标</h2>' in text and '<h3 id="s1-1">（一）分项</h3>' in text
    assert text.index("表1 指标完成情况") < text.index("<table>")        # caption above
    assert text.index("<img") < text.index("<figcaption>图1 完成率")       # caption below
    assert 'href="#s2"' in text                                          # contents


def _docx(content: ReportContent, tmp_path: Path, fonts: ReportFonts = STANDARD) -> Any:
    import docx

    return docx.Document(str(write_docx_report(content, tmp_path / "r.docx", fonts=fonts)))


def test_docx_page_and_properties(content: ReportContent, tmp_path: Path) -> None:
    doc = _docx(content, tmp_path)
    for s in doc.sections:
        assert round(s.page_width.mm) == 210 and round(s.page_height.mm) == 297
        assert [round(m.mm) for m in (s.top_margin, s.bottom_margin, s.left_margin,
                                      s.right_margin)] == [37, 35, 28, 26]
    cp = doc.core_properties
    assert cp.author == cp.last_modified_by == "测试县卫生健康局"
    assert cp.title == "测试县社会心理服务体系建设评估报告"
    assert "python-docx" not in f"{cp.author}{cp.comments}{cp.last_modified_by}{cp.keywords}"
    settings = doc.settings.element
    assert settings.find(f"{W}updateFields").get(f"{W}val") == "true"
    assert settings.find(f"{W}themeFontLang").get(f"{W}eastAsia") == "zh-CN"
    # the template's thumbnail is not shipped
    assert not [r for r in doc.part.package.rels.values() if r.reltype.endswith("/thumbnail")]


def test_docx_headings_outline_and_fonts(content: ReportContent, tmp_path: Path) -> None:
    doc = _docx(content, tmp_path)
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [("Heading 1", "一、指标"), ("Heading 2", "（一）分项"),
                     ("Heading 3", "1.细目"), ("Heading 4", "（1）要点"),
                     ("Heading 1", "二、空表"), ("Heading 1", "三、附图")]
    for level in (1, 2, 3, 4):
        ppr = doc.styles[f"Heading {level}"].element.pPr
        assert ppr.find(f"{W}outlineLvl").get(f"{W}val") == str(level - 1)
    # 黑体 for 一、, 楷体 for （一）, 仿宋 for the body, set on the runs themselves
    runs = {p.text: p.runs[0] for p in doc.paragraphs if p.runs and p.text}
    east = {t: r._element.rPr.rFonts.get(f"{W}eastAsia") for t, r in runs.items()}
    assert east["一、指标"] == "黑体" and east["（一）分项"] == "楷体_GB2312"
    assert east["说明"] == "仿宋_GB2312" and east["三级"] == "仿宋_GB2312"
    assert runs["说明"].font.size.pt == 16 and runs["1.细目"].bold
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert title.runs[0]._element.rPr.rFonts.get(f"{W}eastAsia") == "方正小标宋简体"
    assert title.runs[0].font.size.pt == 22
    label = doc.paragraphs[0]
    assert label.text == "附件"
    # body paragraphs indented two characters, fixed 28.95 pt lines (22 per page)
    body = doc.styles["Body Text"]
    assert body.element.pPr.find(f"{W}ind").get(f"{W}firstLineChars") == "200"
    assert round(body.paragraph_format.line_spacing.pt, 2) == 28.95


def test_docx_captions_tables_and_figures(content: ReportContent, tmp_path: Path) -> None:
    doc = _docx(content, tmp_path)
    body = doc.element.body
    order = []
    for el in body.iterchildren():
        if el.tag == f"{W}tbl":
            order.append("TABLE")
        elif el.tag == f"{W}p":
            text = "".join(t.text or "" for t in el.iter(f"{W}t"))
            if el.findall(f".//{W}drawing"):
                order.append("PICTURE")
            elif re.match(r"^[表图]\d+ ", text):
                order.append(text)
    assert order == ["表1 指标完成情况", "TABLE", "PICTURE", "图1 完成率", "表2 分项", "TABLE",
                     "PICTURE", "图2 位置"]
    for table in doc.tables:
        first = table.rows[0]._tr
        assert first.trPr.find(f"{W}tblHeader") is not None      # repeats on every page
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    for r in p.runs:
                        assert r.font.size.pt >= 10.5
    # a picture fits the type area (156 mm wide, 225 mm high with its caption)
    shape = doc.inline_shapes[0]
    assert shape.width.mm <= 156.01 and shape.height.mm <= 225 - 25


def test_docx_contents_field_and_page_numbers(content: ReportContent, tmp_path: Path) -> None:
    doc = _docx(content, tmp_path)
    xml = doc.element.body.xml
    assert 'TOC \\o "1-2" \\h \\z \\u' in xml
    # the written fallback lists the level-1 and level-2 titles, linked to their bookmarks
    toc = [p.text for p in doc.paragraphs if p.style.name.startswith("toc")]
    assert toc == ["一、指标", "（一）分项", "二、空表", "三、附图"]
    assert xml.count('w:anchor="_Toc') == 4 and xml.count("w:bookmarkStart") >= 6
    # title and contents are a section of their own; the body is numbered from 1
    assert len(doc.sections) == 2
    title_part, body = doc.sections
    assert title_part.footer.is_linked_to_previous  # no footer of its own: no page number
    sect = body._sectPr
    assert sect.find(f"{W}pgNumType").get(f"{W}start") == "1"
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for footer, align in ((body.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (body.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        fxml = footer._element.xml
        assert "<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>" in fxml
        assert 'w:fldCharType="begin"' in fxml and 'w:fldCharType="end"' in fxml
        p = footer.paragraphs[0]
        assert p.text.startswith("— ") and p.text.endswith(" —")     # — 1 —
        assert p.alignment == align and p.runs[0].font.size.pt == 14
    assert doc.settings.odd_and_even_pages_header_footer


def test_docx_title_breaks_only_when_long(content: ReportContent, tmp_path: Path) -> None:
    doc = _docx(content, tmp_path)
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert "<w:br/>" not in title._p.xml  # 17 characters fit one line of 2号
    long = ReportContent("澄河县（虚构示例）\n社会心理服务体系建设评估报告", "", (), ())
    doc = _docx(long, tmp_path)
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert "<w:br/>" in title._p.xml and title.text.startswith("澄河县（虚构示例）")


def test_fonts_fall_back_to_what_is_installed(tmp_path: Path,
                                              content: ReportContent) -> None:
    windows = report_fonts(frozenset({"SimHei", "FangSong", "KaiTi", "SimSun"}))
    assert (windows.title.name, windows.heading1.name, windows.heading2.name,
            windows.body.name, windows.song.name) == ("黑体", "黑体", "楷体", "仿宋", "宋体")
    assert not windows.body.bold and windows.title.standard == "方正小标宋简体"
    gov = report_fonts(frozenset({"方正小标宋简体", "仿宋_GB2312", "楷体_GB2312", "黑体", "宋体"}))
    assert gov.title.is_standard and gov.body.is_standard and gov.heading2.is_standard
    noto = report_fonts(frozenset({"Noto Serif CJK SC", "Noto Sans CJK SC"}))
    assert noto.title.name == "Noto Serif CJK SC" and noto.title.bold   # for 小标宋
    assert noto.heading1.name == "Noto Sans CJK SC" and noto.body.name == "Noto Serif CJK SC"
    assert "title=Noto Serif CJK SC (for 方正小标宋简体, bold)" in noto.describe()
    # the fallback names the standard's face as its alternative in the font table
    doc = _docx(content, tmp_path, fonts=noto)
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    table = doc.part.part_related_by(RT.FONT_TABLE).blob.decode("utf-8")
    assert re.search(r'w:name="Noto Serif CJK SC"><w:altName w:val="仿宋_GB2312"/>', table)


def test_frame_for_report_formats() -> None:
    df = pd.DataFrame(
        {"rate": [0.8125, None], "pop": [1234.5, 2.0], "ok": [True, False], "skip": [1, 2]}
    )
    out = frame_for_report(df, {"rate": "完成率", "pop": "人口", "ok": "达标"}, percent=["rate"])
    assert list(out.columns) == ["完成率", "人口", "达标"]
    assert out["完成率"].tolist() == ["81.2%", ""]
    assert out["人口"].tolist() == ["1,234.5", "2.0"]
    assert out["达标"].tolist() == ["是", "否"]
