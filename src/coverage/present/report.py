"""The report a planner puts in front of their leaders: self-contained HTML and Word (.docx).

Both are built from one :class:`ReportContent` — plain tables with Chinese headers and the
static map pictures — so the two formats always say the same thing.  The HTML embeds its
pictures as ``data:`` URIs and needs no network; every cell is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverage.outputs import atomic_path, atomic_write
from coverage.vocabulary import ACCESS_STATUS, GAP_STATUS, YES_NO

__all__ = [
    "ReportContent",
    "ReportSection",
    "frame_for_report",
    "write_docx_report",
    "write_html_report",
]


@dataclass(frozen=True)
class ReportSection:
    """One section: a heading, paragraphs, an optional table and optional pictures."""

    title: str
    paragraphs: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    table_note: str = ""
    pictures: tuple[tuple[str, Path], ...] = ()   # (caption, PNG path)
    max_rows: int = 60


@dataclass(frozen=True)
class ReportContent:
    """Everything the report says."""

    title: str
    subtitle: str
    meta: tuple[tuple[str, str], ...]             # (label, value) lines under the title
    sections: tuple[ReportSection, ...]
    footer: str = ""
    links: tuple[tuple[str, str], ...] = field(default=())   # (label, relative href)


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
"WenQuanYi Micro Hei",sans-serif;color:#1f2933;max-width:1100px;margin:0 auto;padding:24px 32px;
line-height:1.6;background:#fff}
h1{font-size:26px;margin:0 0 4px;color:#12355b;border-bottom:3px solid #12355b;padding-bottom:8px}
h2{font-size:20px;color:#12355b;margin-top:36px;border-left:5px solid #c0392b;padding-left:10px}
.sub{color:#52606d;margin:6px 0 14px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:14px;
color:#3e4c59;background:#f5f7fa;padding:10px 14px;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:10px 0}
th{background:#12355b;color:#fff;padding:6px 8px;text-align:left;position:sticky;top:0}
td{padding:5px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
tr:nth-child(even) td{background:#f8fafc}
td.bad{color:#b91c1c;font-weight:600} td.good{color:#15803d;font-weight:600}
figure{margin:16px 0;text-align:center} figure img{max-width:100%;border:1px solid #d9e2ec}
figcaption{font-size:13px;color:#52606d}
.note{font-size:12px;color:#7b8794}
footer{margin-top:40px;font-size:12px;color:#7b8794;border-top:1px solid #e4e7eb;padding-top:8px}
"""

# cells coloured in the HTML tables: the words of good and bad outcomes
_GOOD = {GAP_STATUS.label("met"), YES_NO.label("yes")}
_BAD = {GAP_STATUS.label("unmet"), YES_NO.label("no"), ACCESS_STATUS.label("unreachable")}


def _table_html(df: pd.DataFrame, max_rows: int) -> str:
    shown = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for v in row:
            text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            cls = ' class="good"' if text in _GOOD else ' class="bad"' if text in _BAD else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(df) > max_rows:
        more = (f'<p class="note">仅显示前 {max_rows} 行，共 {len(df)} 行；'
                "完整数据见 tables/ 文件夹中的 Excel 工作簿。</p>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _img_html(caption: str, path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def write_html_report(content: ReportContent, path: Path) -> Path:
    """Write the report as one self-contained HTML file (atomically).

    Parameters
    ----------
    content
        What the report says.
    path
        Output ``.html`` file.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    parts = [
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        f"<title>{html.escape(content.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(content.title)}</h1>",
        f'<p class="sub">{html.escape(content.subtitle)}</p>',
        '<div class="meta">' + "".join(
            f"<b>{html.escape(k)}</b><span>{html.escape(v)}</span>" for k, v in content.meta
        ) + "</div>",
    ]
    if content.links:
        parts.append("<p>" + " · ".join(
            f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>'
            for label, href in content.links) + "</p>")
    for i, sec in enumerate(content.sections, 1):
        parts.append(f'<h2 id="s{i}">{i}. {html.escape(sec.title)}</h2>')
        parts.extend(f"<p>{html.escape(p)}</p>" for p in sec.paragraphs)
        if sec.table is not None:
            if len(sec.table):
                parts.append(_table_html(sec.table, sec.max_rows))
            else:
                parts.append('<p class="note">（无）</p>')
            if sec.table_note:
                parts.append(f'<p class="note">{html.escape(sec.table_note)}</p>')
        parts.extend(_img_html(cap, p) for cap, p in sec.pictures)
    parts.append(f"<footer>{html.escape(content.footer)}</footer></body></html>")
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return path


def _set_cjk_font(run: object, name: str = "SimSun") -> None:
    """Give a python-docx run an East Asian font so Word renders Chinese properly."""
    from docx.oxml.ns import qn

    r = run._element  # type: ignore[attr-defined]
    rpr = r.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _column_widths_cm(df: pd.DataFrame, total_cm: float) -> list[float]:
    """Share ``total_cm`` between columns by the display width of their content.

    Word's equal split squeezes a long citation into a sliver while a 2-digit count gets
    as much room; widths follow the widest cell (capped, so one long text cannot take all).
    """
    from coverage.present._text import display_width

    need = []
    for col in df.columns:
        cells = [display_width(str(col))] + [
            display_width("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
            for v in df[col].head(200)]
        need.append(min(max(max(cells), 4), 44))
    scale = total_cm / sum(need)
    widths = [max(1.5, n * scale) for n in need]
    shrink = total_cm / sum(widths)
    return [w * shrink for w in widths]


def _docx_table(doc: object, df: pd.DataFrame, max_rows: int, width_cm: float) -> None:
    from docx.shared import Cm, Pt

    shown = df.head(max_rows)
    table = doc.add_table(rows=1, cols=len(shown.columns))  # type: ignore[attr-defined]
    table.style = "Light Grid Accent 1"
    table.autofit = False
    widths = [Cm(w) for w in _column_widths_cm(shown, width_cm)]
    for column, w in zip(table.columns, widths, strict=True):
        column.width = w  # the grid (w:gridCol), which LibreOffice and WPS follow
    size = Pt(8) if len(shown.columns) > 6 else Pt(9)
    for cell, col, w in zip(table.rows[0].cells, shown.columns, widths, strict=True):
        cell.text = ""
        cell.width = w
        run = cell.paragraphs[0].add_run(str(col))
        run.bold = True
        run.font.size = size
        _set_cjk_font(run, "SimHei")
    for _, row in shown.iterrows():
        cells = table.add_row().cells
        for cell, v, w in zip(cells, row, widths, strict=True):
            cell.width = w
            text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            run = cell.paragraphs[0].add_run(text)
            run.font.size = size
            _set_cjk_font(run)
    if len(df) > max_rows:
        p = doc.add_paragraph()  # type: ignore[attr-defined]
        note = f"（仅列出前 {max_rows} 行，共 {len(df)} 行；完整数据见 Excel 工作簿。）"
        _set_cjk_font(p.add_run(note))


def write_docx_report(content: ReportContent, path: Path,
                      *, picture_width_cm: float = 16.0) -> Path:
    """Write the same report as a Word document (atomically), for official reports.

    Parameters
    ----------
    content
        What the report says.
    path
        Output ``.docx`` file.
    picture_width_cm
        Width of the map pictures (16 cm fits an A4 page with normal margins).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import docx
    from docx.shared import Cm, Pt

    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "SimSun")
    for section in doc.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
    heading = doc.add_heading(level=0)
    _set_cjk_font(heading.add_run(content.title), "SimHei")
    _set_cjk_font(doc.add_paragraph().add_run(content.subtitle))
    for k, v in content.meta:
        p = doc.add_paragraph()
        r = p.add_run(f"{k}：")
        r.bold = True
        _set_cjk_font(r, "SimHei")
        _set_cjk_font(p.add_run(v))
    for i, sec in enumerate(content.sections, 1):
        h = doc.add_heading(level=1)
        _set_cjk_font(h.add_run(f"{i}. {sec.title}"), "SimHei")
        for para in sec.paragraphs:
            _set_cjk_font(doc.add_paragraph().add_run(para))
        if sec.table is not None:
            if len(sec.table):
                _docx_table(doc, sec.table, sec.max_rows, picture_width_cm)
            else:
                _set_cjk_font(doc.add_paragraph().add_run("（无）"))
            if sec.table_note:
                r = doc.add_paragraph().add_run(sec.table_note)
                r.font.size = Pt(8)
                _set_cjk_font(r)
        for caption, pic in sec.pictures:
            doc.add_picture(str(pic), width=Cm(picture_width_cm))
            cap = doc.add_paragraph()
            _set_cjk_font(cap.add_run(caption))
    if content.footer:
        r = doc.add_paragraph().add_run(content.footer)
        r.font.size = Pt(8)
        _set_cjk_font(r)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


def frame_for_report(df: pd.DataFrame, labels: dict[str, str],
                     *, percent: Sequence[str] = (), decimals: int = 1) -> pd.DataFrame:
    """Select and rename columns for display; format percentages and floats as text."""
    cols = [c for c in labels if c in df.columns]
    out = df[cols].copy()
    for c in cols:
        if c in percent:
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{float(v) * 100:.1f}%")
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{float(v):,.{decimals}f}")
        elif pd.api.types.is_bool_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else "是" if v else "否")
        else:
            out[c] = out[c].map(lambda v: "" if _is_missing(v) else v)
    return out.rename(columns=labels)


def _is_missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False
