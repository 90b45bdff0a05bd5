"""Static report sheets: A4 at 300 dpi, a CJK font really used, every sheet and format."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import coverage
from coverage import InputError, Region
from coverage.maps import MapLayers, _fonts, find_cjk_font, write_static_maps
from coverage.maps._fonts import PREFERRED_FAMILIES, cjk_font
from coverage.maps.static import nice_length
from test_maps_data import make_layers

A4_300DPI = {(2480, 3508), (3508, 2480)}


@pytest.fixture
def tiny_region(tiny_toml: Path) -> Region:
    return coverage.load_region(tiny_toml)


def test_png_is_a4_at_300_dpi_with_cjk_font(tiny_region: Region, tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would fail here
        out = write_static_maps(make_layers(tiny_region), tmp_path, formats=("png", "pdf"))
    assert set(out) == {"facilities", "completion", "access", "suggestions"}
    for sheet, (png, pdf) in out.items():
        assert png == tmp_path / f"{sheet}.png" and pdf == tmp_path / f"{sheet}.pdf"
        with Image.open(png) as img:
            assert img.size in A4_300DPI
            assert img.info["dpi"] == pytest.approx((300, 300), abs=0.1)
            gray = np.asarray(img.convert("L"), dtype=float)
        assert gray.std() > 5  # something is drawn
        # the PDF embeds the CJK font chosen for the text
        family = cjk_font().family
        assert family in PREFERRED_FAMILIES
        data = pdf.read_bytes()
        assert re.sub(r"\s", "", family).lower().encode() in data.lower()
        assert b"DejaVu" not in data  # no text fell back to matplotlib's default font


def test_svg_and_custom_dpi(tiny_region: Region, tmp_path: Path) -> None:
    out = write_static_maps(MapLayers(region=tiny_region), tmp_path, formats=("svg", "png"),
                            dpi=100)
    assert list(out) == ["facilities"]  # nothing else was given
    svg, png = out["facilities"]
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with Image.open(png) as img:
        assert img.size in {(827, 1169), (1169, 827)}


def test_unknown_format_is_an_input_error(tiny_region: Region, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="docx"):
        write_static_maps(MapLayers(region=tiny_region), tmp_path, formats=("png", "docx"))
    assert list(tmp_path.iterdir()) == []


def test_find_cjk_font_returns_a_font_file() -> None:
    path = find_cjk_font()
    assert path.is_file() and path.suffix.lower() in (".ttf", ".otf", ".ttc")


def test_no_cjk_font_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fonts.font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(_fonts.font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.setattr(_fonts, "_PIP_MODULE", "no_such_font_package_xyz")
    cjk_font.cache_clear()
    try:
        with pytest.raises(InputError) as err:
            find_cjk_font()
    finally:
        cjk_font.cache_clear()
    assert "apt-get install fonts-noto-cjk" in str(err.value)
    assert "pip install cvttf-NotoSansCJK-Regular" in str(err.value)


@pytest.mark.parametrize(("target", "expected"), [
    (7300.0, 5000.0), (1999.0, 1000.0), (2000.0, 2000.0), (450.0, 200.0), (0.0, 1000.0),
])
def test_nice_scale_lengths(target: float, expected: float) -> None:
    assert nice_length(target) == expected
