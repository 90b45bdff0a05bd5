"""The HTML and Word reports: same content, escaped, self-contained, pictures embedded."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
import pytest

from coverage.present.report import (
    ReportContent,
    ReportSection,
    frame_for_report,
    write_docx_report,
    write_html_report,
)

# a 1x1 PNG
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def content(tmp_path: Path) -> ReportContent:
    pic = tmp_path / "m.png"
    pic.write_bytes(_PNG)
    table = pd.DataFrame({"乡镇": ["<b>东河镇</b>", "西山镇"], "是否达标": ["未达标", "达标"]})
    return ReportContent(
        title="测试县社会心理服务体系建设评估",
        subtitle="虚构示例",
        meta=(("数据日期", "2026-06-30"),),
        sections=(
            ReportSection(
                "指标", paragraphs=("说明",), table=table, pictures=(("图1 完成率", pic),)
            ),
            ReportSection("空表", table=table.iloc[:0]),
        ),
        footer="coverage",
    )


def test_html_report_is_escaped_and_self_contained(content: ReportContent, tmp_path: Path) -> None:
    out = write_html_report(content, tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    assert "&lt;b&gt;东河镇&lt;/b&gt;" in text and "<b>东河镇" not in text
    assert "data:image/png;base64," in text
    assert "http://" not in text and "https://" not in text
    assert '<td class="bad">未达标</td>' in text
    assert "（无）" in text


def test_docx_report_holds_tables_and_pictures(content: ReportContent, tmp_path: Path) -> None:
    import docx

    out = write_docx_report(content, tmp_path / "report.docx")
    doc = docx.Document(str(out))
    assert len(doc.tables) == 1
    assert doc.tables[0].rows[1].cells[0].text == "<b>东河镇</b>"
    assert len(doc.inline_shapes) == 1
    assert any("测试县" in p.text for p in doc.paragraphs)


def test_frame_for_report_formats() -> None:
    df = pd.DataFrame(
        {"rate": [0.8125, None], "pop": [1234.5, 2.0], "ok": [True, False], "skip": [1, 2]}
    )
    out = frame_for_report(df, {"rate": "完成率", "pop": "人口", "ok": "达标"}, percent=["rate"])
    assert list(out.columns) == ["完成率", "人口", "达标"]
    assert out["完成率"].tolist() == ["81.2%", ""]
    assert out["人口"].tolist() == ["1,234.5", "2.0"]
    assert out["达标"].tolist() == ["是", "否"]
