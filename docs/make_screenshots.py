"""Regenerate the pictures the README shows, from the current code, on the demo county.

Usage::

    python docs/make_screenshots.py [--out maps]

Runs ``coverage demo`` into a temporary folder, then writes into ``maps/``:

* ``map_default.png``, ``map_drilldown.png``, ``map_print.png`` — the 资源一张图 in headless
  Chromium (1366×768; the drill-down picks the township with the largest shortfall; print
  emulates CSS print media);
* ``map_50k.png`` — a synthetic county of 50,000 villages (``benchmarks/bench_map.py``'s
  generator);
* ``demo_sheet_*.png`` — the A4 sheets at a web-friendly size;
* ``report_page1.png``, ``report_page2.png`` — two spreads of report.docx rendered by
  LibreOffice (skipped when ``soffice`` is absent).

Needs Debian's chromium (/usr/bin/chromium) and playwright; nothing is fetched.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _small(src: Path, dst: Path, width: int) -> None:
    im = Image.open(src).convert("RGB")
    im.thumbnail((width, width * 2))
    im.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(dst, optimize=True)


def _worst_township(run: Path) -> str:
    """The township with the largest shortfall of the headline room indicator."""
    import pandas as pd

    gaps = pd.read_csv(run / "tables" / "gaps.csv", dtype={"unit_code": str},
                       encoding="utf-8-sig")
    rows = gaps[(gaps["indicator_id"] == "village_room_rate") & (gaps["unit_level"] == "township")]
    return str(rows.sort_values("shortfall", ascending=False)["unit_code"].iloc[0])


def _browser_shots(html: Path, out: Path, big: Path | None, town: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        page.goto(html.as_uri())
        page.wait_for_function("window.coverageApp && window.coverageApp.ready")
        page.screenshot(path=str(out / "map_default.png"))
        idx = page.evaluate("(c) => window.coverageApp.towns.code.indexOf(c)", town)
        page.select_option("#cov-town", str(idx))
        page.wait_for_timeout(600)
        page.screenshot(path=str(out / "map_drilldown.png"))
        page.select_option("#cov-town", index=0)
        page.wait_for_timeout(300)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1123, "height": 794})
        page.wait_for_timeout(600)
        page.screenshot(path=str(out / "map_print.png"))
        if big is not None:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                       else r.abort())
            page.goto(big.as_uri())
            page.wait_for_function("window.coverageApp && window.coverageApp.ready")
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / "map_50k.png"))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "maps")
    parser.add_argument("--no-50k", action="store_true", help="skip the 50,000-village map")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "coverage.cli", "-q", "demo", "--out", str(run)],
                       check=True)
        big = None
        if not args.no_50k:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from bench_map import synthetic_layers  # type: ignore[import-not-found]
            from coverage.maps import write_interactive_map

            big = write_interactive_map(synthetic_layers(50_000), Path(tmp) / "50k.html")
        _browser_shots(run / "maps" / "resource_map.html", out, big, _worst_township(run))
        for png in sorted((run / "maps").glob("*.png")):
            _small(png, out / f"demo_sheet_{png.stem}.png", 1400)
        soffice = shutil.which("soffice")
        if soffice:
            subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp,
                            str(run / "report.docx")], check=True, capture_output=True)
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(Path(tmp) / "report.pdf"),
                            str(Path(tmp) / "page")], check=True)
            pages = sorted(Path(tmp).glob("page-*.png"))
            for name, (a, b) in (("report_page1.png", (1, 2)), ("report_page2.png", (3, 4))):
                if len(pages) >= b + 1:
                    left, right = Image.open(pages[a]), Image.open(pages[b])
                    spread = Image.new("RGB", (left.width + right.width + 20, left.height),
                                       "white")
                    spread.paste(left, (0, 0))
                    spread.paste(right, (left.width + 20, 0))
                    spread.save(out / name, optimize=True)
    print(f"wrote the README's pictures into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
