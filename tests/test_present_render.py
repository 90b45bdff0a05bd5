"""The check a person does before handing the report over: open it in a word processor.

The demo's report.docx is converted to PDF by LibreOffice (Debian ``libreoffice-writer-nogui``)
and to page images by poppler (``pdftoppm``); the pages must be A4, carry their fonts, show
the title page, the contents, numbered pages from the body on, and the captions.  Skipped
when LibreOffice or poppler is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
POPPLER = all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdfinfo", "pdffonts"))


def render_pdf(docx: Path, out: Path) -> Path:
    """``docx`` as PDF in ``out``, through a private LibreOffice profile."""
    assert SOFFICE is not None
    profile = out / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(docx)],
                   check=True, capture_output=True, timeout=300)
    pdf = out / f"{docx.stem}.pdf"
    assert pdf.is_file(), "LibreOffice wrote no PDF"
    return pdf


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed "
                    "(Debian: apt-get install libreoffice-writer-nogui)")
@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm, pdftotext) not installed")
def test_report_renders_as_a4_pages(demo_run: Path, tmp_path: Path) -> None:
    pdf = render_pdf(demo_run / "report.docx", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 10
    assert "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), fonts      # every font embedded
    title, contents, first = (_page_text(pdf, n) for n in (1, 2, 3))
    assert "附件" in title and "社会心理服务体系建设评估报告" in title
    assert re.search(r"目\s+录", contents) and "一、总体情况" in contents
    assert re.search(r"—\s*1\s*—", first) and "一、总体情况" in first
    assert "—" not in title + contents                     # no number before the body
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    # (pdftotext spaces digits off from Chinese: "表 1 全县…")
    assert re.search(r"表\s*1\s+全县", text) and re.search(r"图\s*1\s+服务站点", text)
    assert re.search(r"—\s*2\s*—", text)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "4", str(pdf),
                    str(tmp_path / "page")], check=True, capture_output=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 4 and all(p.stat().st_size > 1000 for p in pngs)
