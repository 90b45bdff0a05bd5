"""The Word report laid out as a 工作报告 appendix, modelled on GB/T 9704-2012 (党政机关公文格式).

* Page: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (版心 156 × 225 mm);
  22 lines of 3号 text per page (fixed line pitch 28.95 pt).
* Text: title 2号 (22 pt) 小标宋, centred; body 3号 (16 pt) 仿宋 with a two-character
  first-line indent; heading levels numbered in the text — 一、 (黑体), （一） (楷体),
  1. (仿宋, bold), （1） (仿宋) — on Word's Heading 1–4 styles with their outline levels
  set, so the contents field and the navigation pane find them.
* Front: "附件" at the top left (3号 黑体), the title, the 编制单位 and dates, then 目录: a
  ``TOC`` field whose written result lists every section (with ``PAGEREF`` page numbers), and
  ``w:updateFields`` so Word refreshes it on opening; a viewer that updates nothing still
  shows the titles.
* Tables: captioned "表1 …" above (黑体), header row repeated on every page
  (``w:tblHeader``), rows not split across pages, text 五号 (10.5 pt), widths by content.
  Figures: "图1 …" below, sized to fit the 版心 with their caption.
* Footer: the page number as a ``PAGE`` field, "— 1 —" in 4号 宋体, right on odd pages and
  left on even pages, one character in from the edge of the 版心.
* Fonts: every run names its East Asian font (``w:eastAsia``) from
  :func:`coverage.present._fonts.report_fonts`; the font table records the standard's face
  as each fallback's alternative name.
* Properties: author and last-modified-by are the 编制单位 (never the library), title the
  report title; the template's thumbnail is dropped; the document language is zh-CN.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.outputs import atomic_path, xml_text
from coverage.present._fonts import FontChoice, ReportFonts, report_fonts
from coverage.present._text import display_width
from coverage.present.report import ReportBlock, ReportContent, cell_text

__all__ = ["TABLE_PT", "TEXT_HEIGHT_MM", "TEXT_WIDTH_MM", "write_docx"]

#: 版心 (type area) of GB/T 9704-2012, in millimetres.
TEXT_WIDTH_MM = 156.0
TEXT_HEIGHT_MM = 225.0
MARGINS_MM = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
TITLE_PT = 22.0      # 2号
BODY_PT = 16.0       # 3号
PAGE_NO_PT = 14.0    # 4号
CAPTION_PT = 14.0    # 4号
NOTE_PT = 12.0       # 小四
TABLE_PT = 10.5      # 五号
LINE_PT = 28.95      # 22 lines in the 225 mm 版心
_CHAR = 200          # "200 hundredths of a character": a two-character indent


# ------------------------------------------------------------------------------ XML helpers


def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def _set_fonts(rpr: Any, name: str) -> None:
    """Name ``name`` for every script of a run or style (w:rFonts, theme fonts removed)."""
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{slot}"), name)


def _run(paragraph: Any, text: str, font: FontChoice, size: float | None = None,
         *, bold: bool | None = None) -> Any:
    """A run of ``text`` in ``font`` (East Asian font set on the run itself)."""
    from docx.shared import Pt

    run = paragraph.add_run(xml_text(text))  # control characters shown, never refused
    _set_fonts(run._element.get_or_add_rPr(), font.name)
    if size is not None:
        run.font.size = Pt(size)
    run.bold = font.bold if bold is None else bold
    return run


def _field(paragraph: Any, instruction: str, cached: str, font: FontChoice,
           size: float | None = None) -> None:
    """A complex field (``PAGE``, ``PAGEREF …``) with its cached result."""
    for part in ("begin", instruction, "separate", cached, "end"):
        if part in ("begin", "separate", "end"):
            r = _run(paragraph, "", font, size)
            r._element.append(_el("w:fldChar", fldCharType=part))
        elif part is instruction:
            r = _run(paragraph, "", font, size)
            instr = _el("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = f" {instruction} "
            r._element.append(instr)
        elif cached:
            _run(paragraph, cached, font, size)


# ------------------------------------------------------------------------------ styles


def _reset(style: Any) -> None:
    """Clear a template style's character and paragraph formatting (theme colours, fonts,
    borders, spacing) before it is set from the standard."""
    from docx.oxml.ns import qn

    for tag in ("w:rPr", "w:pPr"):
        old = style.element.find(qn(tag))
        if old is not None:
            style.element.remove(old)


def _paragraph_style(style: Any, font: FontChoice, size: float, *, align: str = "both",
                     indent: bool = False, exact: float | None = LINE_PT,
                     bold: bool | None = None, outline: int | None = None,
                     keep_next: bool = False, before: float = 0.0, after: float = 0.0) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    _reset(style)
    style.font.size = Pt(size)
    style.font.bold = font.bold if bold is None else bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr(), font.name)
    pf = style.paragraph_format
    pf.alignment = {"both": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
                    "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if exact is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    pf.keep_with_next = keep_next
    ppr = style.element.get_or_add_pPr()
    if indent:
        ppr.append(_el("w:ind", firstLineChars=str(_CHAR), firstLine=str(round(size * 40))))
    else:
        ppr.append(_el("w:ind", firstLineChars="0", firstLine="0", left="0"))
    if outline is not None:
        ppr.append(_el("w:outlineLvl", val=str(outline)))
    _sort_ppr(ppr)


# CT_PPrBase child order (Word rejects out-of-order elements)
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
              "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
              "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
              "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
              "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange")


def _sort_ppr(ppr: Any) -> None:
    children = list(ppr)

    def rank(el: Any) -> int:
        local = el.tag.rpartition("}")[2]
        return _PPR_ORDER.index(local) if local in _PPR_ORDER else len(_PPR_ORDER)

    for el in children:
        ppr.remove(el)
    for el in sorted(children, key=rank):
        ppr.append(el)


def _styles(doc: Any, fonts: ReportFonts) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn

    # document defaults: 仿宋 3号, Chinese language (line breaking, glyph forms)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, fonts.body.name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")        # Latin text and digits: Western line breaking
    lang.set(qn("w:eastAsia"), "zh-CN")

    def style(name: str) -> Any:
        try:
            return doc.styles[name]
        except KeyError:
            return doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)

    body = fonts.body
    _paragraph_style(doc.styles["Normal"], body, BODY_PT)
    _paragraph_style(style("Body Text"), body, BODY_PT, indent=True)
    _paragraph_style(style("Title"), fonts.title, TITLE_PT, align="center", exact=None,
                     before=0, after=0)
    _paragraph_style(style("Subtitle"), fonts.heading2, BODY_PT, align="center", bold=False)
    for level, (font, bold) in enumerate(((fonts.heading1, None), (fonts.heading2, None),
                                          (body, True), (body, False)), 1):
        _paragraph_style(style(f"Heading {level}"), font, BODY_PT, indent=True, bold=bold,
                         outline=level - 1, keep_next=True)
    _paragraph_style(style("Caption"), fonts.heading1, CAPTION_PT, align="center",
                     exact=None, before=6, after=6, bold=False)
    _paragraph_style(style("Table Text"), body, TABLE_PT, align="center", exact=None)
    _paragraph_style(style("Table Note"), body, NOTE_PT, exact=None, before=2, after=8)
    _paragraph_style(style("Figure"), body, BODY_PT, align="center", exact=None,
                     keep_next=True, before=6)
    _paragraph_style(style("Footer"), fonts.song, PAGE_NO_PT, align="right", exact=None)
    _paragraph_style(style("Contents Title"), fonts.heading1, BODY_PT, align="center",
                     after=LINE_PT / 2, bold=False)
    for level in (1, 2):
        s = style(f"toc {level}")
        _paragraph_style(s, body, BODY_PT, align="left")
        ppr = s.element.get_or_add_pPr()
        for old in ppr.findall(qn("w:ind")):
            ppr.remove(old)
        tabs = _el("w:tabs")
        tabs.append(_el("w:tab", val="right", leader="dot",
                        pos=str(round(TEXT_WIDTH_MM / 25.4 * 1440) - 10)))
        ppr.append(tabs)
        ppr.append(_el("w:ind", left=str(0 if level == 1 else round(BODY_PT * 40)),
                       leftChars=str(0 if level == 1 else _CHAR)))
        _sort_ppr(ppr)


# ------------------------------------------------------------------------------ package


def _package(doc: Any, content: ReportContent, fonts: ReportFonts) -> None:
    """Properties, settings and font table: nothing of the template or the library."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn

    pkg = doc.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[rid]
    now = datetime.now(UTC).replace(microsecond=0)
    cp = doc.core_properties
    cp.author = cp.last_modified_by = xml_text(content.author)
    cp.title = xml_text(content.plain_title)
    cp.subject = content.subtitle
    cp.comments = ""
    cp.keywords = "社会心理服务体系；建设评估"
    cp.category = "工作报告附件"
    cp.language = "zh-CN"
    cp.created = cp.modified = now
    cp.revision = 1

    settings = doc.settings.element
    doc.settings.odd_and_even_pages_header_footer = True
    for tag in ("w:savePreviewPicture", "w:updateFields"):
        for old in settings.findall(qn(tag)):
            settings.remove(old)
    update = _el("w:updateFields", val="true")
    later = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids",
             "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping")
    anchor = next((c for c in settings if c.tag.rpartition("}")[2] in later), None)
    if anchor is not None:
        anchor.addprevious(update)
    else:
        settings.append(update)
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")

    _font_table(doc, fonts)


def _font_table(doc: Any, fonts: ReportFonts) -> None:
    """Declare the report's fonts, with the standard's face as each fallback's altName."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn
    from docx.oxml.parser import parse_xml
    from lxml import etree

    part = doc.part.part_related_by(RT.FONT_TABLE)
    table = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in table.findall(qn("w:font"))}
    # one entry per family: the body's role first (a family standing in for several faces
    # takes the alternative name of the one most of the text is set in)
    for choice in (fonts.body, fonts.heading1, fonts.heading2, fonts.title, fonts.song):
        if choice.name in known:
            continue
        known.add(choice.name)
        font = _el("w:font", name=choice.name)
        if not choice.is_standard:
            font.append(_el("w:altName", val=choice.standard))
        font.append(_el("w:charset", val="86"))
        font.append(_el("w:family", val="auto"))
        font.append(_el("w:pitch", val="variable"))
        table.append(font)
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8",
                                standalone=True)


def _page(section: Any) -> None:
    """A4 with the standard's margins."""
    from docx.shared import Mm

    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(15)
    # the page number's top 7 mm below the 版心: a 4号 line is about 6.5 mm high
    section.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 6.5)


def _page_numbers(doc: Any, section: Any, fonts: ReportFonts) -> None:
    """"— 1 —" footers from 1: right on odd pages, left on even ones, one character in."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.style = doc.styles["Footer"]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(PAGE_NO_PT)
        else:
            p.paragraph_format.left_indent = Pt(PAGE_NO_PT)
        _run(p, "— ", fonts.song, PAGE_NO_PT)
        _field(p, "PAGE", "1", fonts.song, PAGE_NO_PT)
        _run(p, " —", fonts.song, PAGE_NO_PT)
    sect_pr = section._sectPr
    for old in sect_pr.findall(qn("w:pgNumType")):
        sect_pr.remove(old)
    start = _el("w:pgNumType", start="1")
    later = ("cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
             "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
    anchor = next((c for c in sect_pr if c.tag.rpartition("}")[2] in later), None)
    if anchor is not None:
        anchor.addprevious(start)
    else:
        sect_pr.append(start)


# ------------------------------------------------------------------------------ body


def _bookmark(paragraph: Any, name: str, ident: int) -> None:
    p = paragraph._p
    start = _el("w:bookmarkStart", id=str(ident), name=name)
    end = _el("w:bookmarkEnd", id=str(ident))
    ppr = p.pPr
    if ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


def _front(doc: Any, content: ReportContent, blocks: tuple[ReportBlock, ...],
           fonts: ReportFonts) -> None:
    """The title page (附件, title, 编制单位 and dates) and the contents page."""
    from docx.enum.text import WD_BREAK

    if content.label:
        _run(doc.add_paragraph(style="Normal"), content.label, fonts.heading1, BODY_PT,
             bold=False)
    for _ in range(3):
        doc.add_paragraph(style="Normal")
    title = doc.add_paragraph(style="Title")
    lines = content.title.split("\n")
    # 2号 characters per line of the 版心: break at the marks only when it does not fit
    per_line = int(TEXT_WIDTH_MM / (TITLE_PT * 25.4 / 72))
    if display_width(content.plain_title) <= 2 * per_line:
        lines = [content.plain_title]
    for i, line in enumerate(lines):
        run = _run(title, line, fonts.title, TITLE_PT)
        if i < len(lines) - 1:
            run.add_break()
    if content.subtitle:
        _run(doc.add_paragraph(style="Subtitle"), content.subtitle, fonts.heading2, BODY_PT,
             bold=False)
    for _ in range(2):
        doc.add_paragraph(style="Normal")
    for label, value in content.meta:
        _run(doc.add_paragraph(style="Subtitle"), f"{label}：{value}", fonts.heading2,
             BODY_PT, bold=False)
    doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    _run(doc.add_paragraph(style="Contents Title"), "目　　录", fonts.heading1, BODY_PT)
    _toc(doc, blocks, fonts)


def _toc(doc: Any, blocks: tuple[ReportBlock, ...], fonts: ReportFonts) -> None:
    """The TOC field; its written result lists levels 1–2 with PAGEREF page numbers."""
    entries = [(i, b) for i, b in enumerate(blocks) if b.kind == "heading" and b.level <= 2]
    body = fonts.body
    if not entries:
        p = doc.add_paragraph(style="toc 1")
        for part in ("begin", "instr", "separate", "end"):
            _toc_part(p, part, body)
        return
    for n, (i, b) in enumerate(entries):
        p = doc.add_paragraph(style=f"toc {b.level}")
        if n == 0:
            for part in ("begin", "instr", "separate"):
                _toc_part(p, part, body)
        link = _el("w:hyperlink", anchor=f"_Toc{i + 1}", history="1")
        p._p.append(link)
        # the written result: the title only (the page numbers come when Word updates)
        tmp = doc.add_paragraph()
        _run(tmp, b.text, body, BODY_PT)
        for r in list(tmp._p.r_lst):
            link.append(r)
        tmp._p.getparent().remove(tmp._p)
        if n == len(entries) - 1:
            _toc_part(p, "end", body)


def _toc_part(p: Any, part: str, font: FontChoice) -> None:
    r = _run(p, "", font, BODY_PT)
    if part == "instr":
        instr = _el("w:instrText")
        instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        instr.text = ' TOC \\o "1-2" \\h \\z \\u '
        r._element.append(instr)
    else:
        r._element.append(_el("w:fldChar", fldCharType=part))


#: Width of one display column (half a CJK character) of 五号 text, and a cell's margins.
_MM_PER_COL = TABLE_PT / 2 * 25.4 / 72
_CELL_PAD_MM = 2.8  # 1 mm margins each side (w:tblCellMar) and the rules
_CELL_MARGIN_MM = 1.0
#: Columns whose widest cell is at most this many display columns are never wrapped.
_SHORT = 16


#: (header width kept on one line, floor of long-text columns), most generous first: a
#: crowded table first narrows its long-text columns, then wraps headers more.
_SQUEEZE = ((8, 16), (8, 12), (6, 12), (8, 8), (6, 8), (4, 8))


def _column_widths_mm(df: pd.DataFrame, total: float) -> list[float]:
    """Share ``total`` mm between the columns so that short cells never wrap.

    Columns of short cells (numbers, names, statuses) get the width of their widest cell,
    their headers wrapping after four characters; columns of long text get at least the
    width of sixteen display columns and share what is left in proportion to what they
    still lack.  A crowded table narrows the long-text columns (to twelve, then eight
    display columns) and wraps headers after three or two characters (:data:`_SQUEEZE`)
    before anything else wraps; if even that does not fit, every column is scaled down
    alike.  A table narrower than ``total`` is widened alike.
    """
    content = [max([_print_width(cell_text(v)) for v in df[c].head(300)] + [1])
               for c in df.columns]
    heads = [_print_width(str(c)) for c in df.columns]
    long = [c > _SHORT for c in content]
    start: list[float] = []
    for head_min, floor in _SQUEEZE:
        want = [_mm(max(c, min(h, head_min))) for c, h in zip(content, heads, strict=True)]
        if sum(want) <= total:
            return [w * total / sum(want) for w in want]
        start = [min(w, _mm(floor)) if lg else w for w, lg in zip(want, long, strict=True)]
        rest = total - sum(start)
        if rest >= 0:
            lack = [w - s0 for w, s0 in zip(want, start, strict=True)]
            return [s0 + rest * gap / sum(lack) for s0, gap in zip(start, lack, strict=True)]
    return [w * total / sum(start) for w in start]


def _print_width(text: str) -> float:
    """Width of ``text`` in half-characters of a CJK font: wide, full-width and ambiguous
    characters (≥, →, “”) take two; Latin letters and digits, proportional in these fonts,
    about 1.2."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1.2
               for ch in text)


def _mm(cols: float) -> float:
    """Millimetres for ``cols`` half-characters of 五号 text, with the cell margins."""
    return cols * _MM_PER_COL + _CELL_PAD_MM


def _table(doc: Any, block: ReportBlock, fonts: ReportFonts) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm

    df = block.table
    assert df is not None
    cap = doc.add_paragraph(style="Caption")
    cap.paragraph_format.keep_with_next = True
    _run(cap, block.text, fonts.heading1, CAPTION_PT)
    widths = _column_widths_mm(df, TEXT_WIDTH_MM)
    wide = [max([_print_width(cell_text(v)) for v in df[c].head(300)] + [0]) > _SHORT
            for c in df.columns]
    table = doc.add_table(rows=1 + len(df), cols=len(df.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblLayout")):
        tbl_pr.remove(old)
    margins = _el("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(_el(f"w:{side}", w=str(round(_CELL_MARGIN_MM / 25.4 * 1440)),
                           type="dxa"))
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is not None:  # the table's width: the sum of its columns, in twips
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(round(sum(widths) / 25.4 * 1440)))
    look = tbl_pr.find(qn("w:tblLook"))  # CT_TblPr order: … tblLayout, tblCellMar, tblLook
    for el in (_el("w:tblLayout", type="fixed"), margins):
        if look is not None:
            look.addprevious(el)
        else:
            tbl_pr.append(el)
    for column, w in zip(table.columns, widths, strict=True):
        column.width = Mm(w)  # w:gridCol, which LibreOffice and WPS follow
    rows = [list(map(str, df.columns)),
            *([cell_text(v) for v in r] for r in df.itertuples(index=False))]
    # resolved once: python-docx looks a style up by name in a linear scan of styles.xml
    text_style_id = doc.styles["Table Text"].style_id
    for i, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(_el("w:cantSplit"))
        if i == 0:
            tr_pr.append(_el("w:tblHeader"))  # repeated at the top of every page
        for j, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Mm(widths[j])
            if i == 0:  # CT_TcPr order: tcW, …, shd, …, vAlign
                shd = _el("w:shd", val="clear", color="auto", fill="F2F2F2")
                cell._tc.get_or_add_tcPr().append(shd)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            p._p.get_or_add_pPr().get_or_add_pStyle().val = text_style_id
            if i == 0:
                _run(p, text, fonts.heading1, TABLE_PT)
            else:
                if wide[j]:
                    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
                _run(p, text, fonts.body, TABLE_PT)
    if block.note:
        _run(doc.add_paragraph(style="Table Note"), block.note, fonts.body, NOTE_PT)
    else:
        doc.add_paragraph(style="Table Note")


def _figure(doc: Any, block: ReportBlock, fonts: ReportFonts) -> None:
    from docx.image.image import Image
    from docx.shared import Mm

    assert block.picture is not None
    img = Image.from_file(str(block.picture))
    ratio = img.px_height / max(img.px_width, 1)
    max_h = TEXT_HEIGHT_MM - 30.0  # the caption and the spacing around the picture
    width = min(TEXT_WIDTH_MM, max_h / ratio)
    p = doc.add_paragraph(style="Figure")
    p.add_run().add_picture(str(block.picture), width=Mm(width), height=Mm(width * ratio))
    _run(doc.add_paragraph(style="Caption"), block.text, fonts.heading1, CAPTION_PT)


def write_docx(content: ReportContent, blocks: tuple[ReportBlock, ...], path: Path, *,
               fonts: ReportFonts | None = None) -> Path:
    """Write the blocks of ``content`` as a Word document (atomically); see the module."""
    import docx
    from docx.enum.section import WD_SECTION

    fonts = fonts or report_fonts()
    doc = docx.Document()
    _styles(doc, fonts)
    _package(doc, content, fonts)
    _page(doc.sections[0])
    _front(doc, content, blocks, fonts)
    # the body is a section of its own: pages numbered from 1 (title and contents are not)
    _page_numbers(doc, doc.add_section(WD_SECTION.NEW_PAGE), fonts)
    for i, b in enumerate(blocks):
        if b.kind == "heading":
            p = doc.add_paragraph(style=f"Heading {b.level}")
            _run(p, b.text, _heading_font(b.level, fonts), BODY_PT)
            _bookmark(p, f"_Toc{i + 1}", i + 1)
        elif b.kind == "paragraph":
            _run(doc.add_paragraph(style="Body Text"), b.text, fonts.body, BODY_PT)
        elif b.kind == "table":
            _table(doc, b, fonts)
        elif b.kind == "figure":
            _figure(doc, b, fonts)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


def _heading_font(level: int, fonts: ReportFonts) -> FontChoice:
    if level == 1:
        return fonts.heading1
    if level == 2:
        return fonts.heading2
    body = fonts.body
    return FontChoice(body.name, body.standard, bold=level == 3 or body.bold)
