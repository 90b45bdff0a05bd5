"""The report a planner puts in front of their leaders: self-contained HTML and Word (.docx).

Both are written from one :class:`ReportContent` — sections with paragraphs, plain tables
with Chinese headers and the static map pictures — laid out once by :func:`report_blocks`:
headings numbered 一、（一）1.（1）as in GB/T 9704-2012, tables captioned 表1, 表2 … above
them, figures 图1, 图2 … below them.  So the two formats always say the same thing in the
same order under the same numbers.  The HTML keeps its own web styling, embeds its pictures
as ``data:`` URIs and needs no network; every cell is HTML-escaped.  The Word document is a
工作报告 appendix in the 公文 layout (:mod:`coverage.present._docx`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from coverage.outputs import atomic_write
from coverage.vocabulary import ACCESS_STATUS, GAP_STATUS, YES_NO

if TYPE_CHECKING:
    from coverage.present._fonts import ReportFonts

__all__ = [
    "ReportBlock",
    "ReportContent",
    "ReportSection",
    "chinese_number",
    "date_zh",
    "frame_for_report",
    "heading_number",
    "report_blocks",
    "write_docx_report",
    "write_html_report",
]

#: Heading levels the numbering knows: 一、 （一） 1. （1）
MAX_LEVEL = 4


@dataclass(frozen=True)
class ReportSection:
    """One section: a heading, paragraphs, an optional table, pictures and subsections.

    Parameters
    ----------
    title
        The heading, without its number (the writers number it by its place).
    paragraphs
        Body text, one paragraph each.
    table
        A table of display text with Chinese headers (see :func:`frame_for_report`).
    table_title
        The table's caption after its number ("表1 …"); the section title when empty.
    table_note
        A note printed under the table ("注：…").
    pictures
        ``(caption, PNG path)``: figures after the table, captioned "图1 …" below.
    max_rows
        Rows shown; the rest are counted in a note pointing to the workbook.
    subsections
        Sections one level down (at most four levels: 一、（一）1.（1）).
    empty_text
        What to print instead of an empty table.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    table_title: str = ""
    table_note: str = ""
    pictures: tuple[tuple[str, Path], ...] = ()
    max_rows: int = 60
    subsections: tuple[ReportSection, ...] = ()
    empty_text: str = "（无）"


@dataclass(frozen=True)
class ReportContent:
    """Everything the report says.

    Parameters
    ----------
    title
        The report's title (also the document's title property); a newline marks where
        the title may break when it is too long for one line.
    subtitle
        A line under the title.
    meta
        ``(label, value)`` lines under the title (编制单位, 数据截至 …).
    sections
        The body.
    footer
        A closing line (HTML only; empty for none).
    links
        ``(label, relative href)`` links shown in the HTML only.
    author
        The document's author property: the 编制单位, never the tool.
    label
        The mark at the top left of the first page ("附件"); empty for none.
    """

    title: str
    subtitle: str
    meta: tuple[tuple[str, str], ...]
    sections: tuple[ReportSection, ...]
    footer: str = ""
    links: tuple[tuple[str, str], ...] = field(default=())
    author: str = "未注明"
    label: str = "附件"

    @property
    def plain_title(self) -> str:
        """The title on one line (break marks removed)."""
        return self.title.replace("\n", "")


@dataclass(frozen=True)
class ReportBlock:
    """One laid-out element of the report, numbered (see :func:`report_blocks`).

    ``kind`` is ``heading`` (``level`` 1–4, ``text`` with its number, ``anchor``),
    ``paragraph``, ``table`` (``text`` the numbered caption, ``table`` the rows shown,
    ``note`` under it) or ``figure`` (``text`` the numbered caption, ``picture``).
    """

    kind: Literal["heading", "paragraph", "table", "figure"]
    text: str
    level: int = 0
    anchor: str = ""
    table: pd.DataFrame | None = None
    note: str = ""
    picture: Path | None = None


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (1–99)."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_number: {n} is outside 1–99")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def date_zh(text: str) -> str:
    """"2025-12-31" → "2025年12月31日"; other text unchanged."""
    import datetime as dt

    try:
        d = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        return str(text)
    return f"{d.year}年{d.month}月{d.day}日"


def heading_number(level: int, n: int) -> str:
    """The number of the ``n``-th heading of ``level``: 一、 （一） 1. （1）."""
    if level == 1:
        return f"{chinese_number(n)}、"
    if level == 2:
        return f"（{chinese_number(n)}）"
    if level == 3:
        return f"{n}."
    if level == 4:
        return f"（{n}）"
    raise ValueError(f"heading level {level}: the report numbers levels 1–{MAX_LEVEL}")


def report_blocks(content: ReportContent) -> tuple[ReportBlock, ...]:
    """Lay the content out in reading order, numbering headings, tables and figures.

    Raises
    ------
    ValueError
        Sections nested deeper than four levels.
    """
    blocks: list[ReportBlock] = []
    count = {"table": 0, "figure": 0}

    def walk(sections: Sequence[ReportSection], level: int, prefix: str) -> None:
        for i, sec in enumerate(sections, 1):
            anchor = f"{prefix}{i}"
            blocks.append(ReportBlock("heading", heading_number(level, i) + sec.title,
                                      level=level, anchor=f"s{anchor}"))
            blocks.extend(ReportBlock("paragraph", p) for p in sec.paragraphs if p)
            if sec.table is not None and len(sec.table):
                count["table"] += 1
                note = sec.table_note
                if len(sec.table) > sec.max_rows:
                    note += (f"本表仅列出前{sec.max_rows}行（共{len(sec.table)}行），"
                             "完整名单见随附的数据工作簿。")
                blocks.append(ReportBlock(
                    "table", f"表{count['table']} {sec.table_title or sec.title}",
                    table=sec.table.head(sec.max_rows), note=note))
            elif sec.table is not None:
                blocks.append(ReportBlock("paragraph", sec.empty_text))
            for caption, path in sec.pictures:
                count["figure"] += 1
                blocks.append(ReportBlock("figure", f"图{count['figure']} {caption}",
                                          picture=Path(path)))
            walk(sec.subsections, level + 1, f"{anchor}-")

    walk(content.sections, 1, "")
    return tuple(blocks)


# ------------------------------------------------------------------------------ HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
"WenQuanYi Micro Hei",sans-serif;color:#1f2933;max-width:1100px;margin:0 auto;padding:24px 32px;
line-height:1.7;background:#fff}
.label{font-weight:700;margin:0 0 8px}
h1{font-size:26px;margin:0 0 4px;color:#12355b;border-bottom:3px solid #12355b;padding-bottom:8px}
h2{font-size:20px;color:#12355b;margin-top:36px;border-left:5px solid #c0392b;padding-left:10px}
h3{font-size:17px;color:#12355b;margin-top:24px}
h4,h5{font-size:15px;color:#1f2933;margin-top:18px}
p.body{text-indent:2em;margin:6px 0}
.sub{color:#52606d;margin:6px 0 14px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:14px;
color:#3e4c59;background:#f5f7fa;padding:10px 14px;border-radius:4px}
nav.toc{margin:18px 0;padding:10px 14px;border:1px solid #e4e7eb;border-radius:4px}
nav.toc p{margin:2px 0} nav.toc .l2{padding-left:2em}
nav.toc a{color:#12355b;text-decoration:none}
p.caption{font-weight:700;text-align:center;margin:18px 0 4px;color:#12355b}
table{border-collapse:collapse;width:100%;font-size:14px;margin:4px 0 10px}
th{background:#12355b;color:#fff;padding:6px 8px;text-align:left;position:sticky;top:0}
td{padding:5px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top}
tr:nth-child(even) td{background:#f8fafc}
td.bad{color:#b91c1c;font-weight:600} td.good{color:#15803d;font-weight:600}
figure{margin:16px 0;text-align:center} figure img{max-width:100%;border:1px solid #d9e2ec}
figcaption{font-weight:700;color:#12355b;margin-top:4px}
.note{font-size:13px;color:#52606d}
footer{margin-top:40px;font-size:12px;color:#7b8794;border-top:1px solid #e4e7eb;padding-top:8px}
"""

# cells coloured in the HTML tables: the words of good and bad outcomes
_GOOD = {GAP_STATUS.label("met"), YES_NO.label("yes")}
_BAD = {GAP_STATUS.label("unmet"), YES_NO.label("no"), ACCESS_STATUS.label("unreachable")}


def cell_text(v: object) -> str:
    """A table cell as display text (missing values blank)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            text = cell_text(v)
            cls = ' class="good"' if text in _GOOD else ' class="bad"' if text in _BAD else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _img_html(caption: str, path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _block_html(b: ReportBlock) -> list[str]:
    if b.kind == "heading":
        tag = f"h{b.level + 1}"
        return [f'<{tag} id="{b.anchor}">{html.escape(b.text)}</{tag}>']
    if b.kind == "paragraph":
        return [f'<p class="body">{html.escape(b.text)}</p>']
    if b.kind == "table" and b.table is not None:
        out = [f'<p class="caption">{html.escape(b.text)}</p>', _table_html(b.table)]
        if b.note:
            out.append(f'<p class="note">{html.escape(b.note)}</p>')
        return out
    if b.kind == "figure" and b.picture is not None:
        return [_img_html(b.text, b.picture)]
    return []


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
    blocks = report_blocks(content)
    parts = [
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        f'<meta name="author" content="{html.escape(content.author, quote=True)}">',
        f"<title>{html.escape(content.plain_title)}</title><style>{_CSS}</style></head><body>",
    ]
    if content.label:
        parts.append(f'<p class="label">{html.escape(content.label)}</p>')
    parts.append(f"<h1>{html.escape(content.plain_title)}</h1>")
    if content.subtitle:
        parts.append(f'<p class="sub">{html.escape(content.subtitle)}</p>')
    parts.append('<div class="meta">' + "".join(
        f"<b>{html.escape(k)}</b><span>{html.escape(v)}</span>" for k, v in content.meta
    ) + "</div>")
    if content.links:
        parts.append("<p>" + " · ".join(
            f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>'
            for label, href in content.links) + "</p>")
    toc = [f'<p class="l{b.level}"><a href="#{b.anchor}">{html.escape(b.text)}</a></p>'
           for b in blocks if b.kind == "heading" and b.level <= 2]
    parts.append('<nav class="toc"><p><b>目录</b></p>' + "".join(toc) + "</nav>")
    for b in blocks:
        parts.extend(_block_html(b))
    if content.footer:
        parts.append(f"<footer>{html.escape(content.footer)}</footer>")
    parts.append("</body></html>")
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(parts))
    return path


# ------------------------------------------------------------------------------ Word


def write_docx_report(content: ReportContent, path: Path, *,
                      fonts: ReportFonts | None = None) -> Path:
    """Write the same report as a Word document (atomically): a 工作报告 appendix.

    The layout follows GB/T 9704-2012 (党政机关公文格式): A4; margins top 37 mm, bottom
    35 mm, left 28 mm, right 26 mm; title in 2号 小标宋, body in 3号 仿宋, headings 一、 in
    黑体 and （一） in 楷体; page numbers "— 1 —" in 4号 宋体 in the footer; a contents page
    (a TOC field Word refreshes on opening, with the section titles written in as its
    fallback); tables with their header row repeated on every page and text of at least
    五号 (10.5 pt).  Fonts fall back to installed ones (:mod:`coverage.present._fonts`).

    Parameters
    ----------
    content
        What the report says.
    path
        Output ``.docx`` file.
    fonts
        The fonts per role (default: the standard's faces, or the nearest installed).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from coverage.present._docx import write_docx

    return write_docx(content, report_blocks(content), Path(path), fonts=fonts)


# ------------------------------------------------------------------------------ tables


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
