"""Find a font that has Chinese glyphs, for the static maps.

matplotlib's default DejaVu Sans has no 汉字: every label would print as empty boxes with a
"Glyph … missing from font" warning.  :func:`find_cjk_font` looks for the usual Simplified
Chinese fonts known to matplotlib's font manager, then for their files on the system, then
for the OTF shipped by the PyPI package ``cvttf-NotoSansCJK-Regular``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from coverage.problems import InputError

__all__ = ["CJKFont", "PdfFontSubsets", "cjk_font", "find_cjk_font"]

logger = logging.getLogger(__name__)

#: Family names in order of preference (Simplified Chinese faces first).
PREFERRED_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "Microsoft YaHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "PingFang SC",
    "Noto Sans CJK JP", "Source Han Sans",
)
#: File-name fragments of those fonts, for fonts installed after matplotlib built its cache.
_FILE_HINTS = ("notosanscjk", "sourcehansans", "notosanssc", "msyh", "wqy-zenhei",
               "wqy-microhei", "simhei", "pingfang")
_PIP_PACKAGE = "cvttf-NotoSansCJK-Regular"
_PIP_MODULE = "cvttf_NotoSansCJK_Regular"


@dataclass(frozen=True)
class CJKFont:
    """A font usable for Chinese text: its file and the family name matplotlib knows."""

    path: Path
    family: str


def find_cjk_font() -> Path:
    """Return the file of a font with Chinese glyphs, registering it with matplotlib.

    Returns
    -------
    pathlib.Path
        The font file (``.ttf``, ``.otf`` or ``.ttc``).

    Raises
    ------
    InputError
        No Chinese font is installed; the message names what to install.
    """
    return cjk_font().path


@functools.cache
def cjk_font() -> CJKFont:
    """The Chinese font to use (see :func:`find_cjk_font`), cached per process."""
    found = _from_manager()
    if found is None:
        for fname in font_manager.findSystemFonts():
            if any(h in Path(fname).name.lower().replace("_", "") for h in _FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(fname)
                except (OSError, RuntimeError, ValueError):  # unreadable font file
                    continue
        found = _from_manager()
    if found is None:
        found = _from_pip_package()
    if found is None:
        raise InputError.single(
            "没有找到中文字体 (no Chinese font found for the static maps)",
            fix="install one: apt-get install fonts-noto-cjk (Debian/Ubuntu), or "
            f"pip install {_PIP_PACKAGE}; on Windows 微软雅黑/黑体 are found automatically",
        )
    logger.info("static maps use the font %s (%s)", found.family, found.path)
    return found


def _from_manager() -> CJKFont | None:
    entries = {f.name: f for f in font_manager.fontManager.ttflist
               if f.weight in (400, "normal", "regular", "book")}
    for f in font_manager.fontManager.ttflist:
        entries.setdefault(f.name, f)
    for family in PREFERRED_FAMILIES:
        if family in entries:
            return CJKFont(Path(entries[family].fname), family)
    return None


def _from_pip_package() -> CJKFont | None:
    try:
        module = importlib.import_module(_PIP_MODULE)
    except ImportError:
        return None
    base = Path(module.__file__ or "").parent
    for path in sorted(base.rglob("*")):
        if path.suffix.lower() in (".otf", ".ttf", ".ttc"):
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            return CJKFont(path, family)
    return None


# --------------------------------------------------------------------------------------------
# PDF font subsets: TrueType (Type 42) fonts embedded fast


class PdfFontSubsets:
    """Subsets of the fonts a set of figures uses, built once, for TrueType (Type 42) PDFs.

    matplotlib embeds a Type 42 font by subsetting the font file with fontTools for every
    PDF it writes; for a 20 MB CJK collection that is about a second per file, which is why
    the sheets used to embed Type 3 glyph procedures (not editable, not searchable).  This
    class subsets each CJK face once per run to the characters all figures use (kept in
    an on-disk cache keyed by font file and characters, see :func:`_cached_subset`), converts
    CFF outlines (Noto Sans CJK, Source Han Sans) to TrueType ``glyf`` outlines so the
    embedded program really is a TrueType font (FontFile2), and, inside :meth:`applied`,
    points every text of a figure at the subset file.  Advance widths are unchanged, so the
    layout is the same as with the full font.

    Parameters
    ----------
    figures
        The figures that will be saved as PDF.
    folder
        Where the subset fonts are written (a temporary folder owned by the caller).
    """

    def __init__(self, figures: Sequence[Figure], folder: Path) -> None:
        self._subset_of: dict[tuple[str, int], Path] = {}
        texts = [t for fig in figures for t in _texts(fig)]
        by_face: dict[tuple[str, int], set[str]] = {}
        for text in texts:
            face = _face_of(text)
            if face is not None:
                by_face.setdefault(face, set()).update(text.get_text())
        for i, (face, chars) in enumerate(sorted(by_face.items())):
            if _is_large(face[0]):
                # matplotlib measures "lp" for every line height: keep printable ASCII too
                chars |= set(_ASCII) & _cmap(face)
                self._subset_of[face] = _cached_subset(face, chars, folder / f"subset{i}.ttf")

    @property
    def files(self) -> dict[tuple[str, int], Path]:
        """(font file, face index) → subset file."""
        return dict(self._subset_of)

    @contextmanager
    def applied(self, fig: Figure) -> Iterator[None]:
        """Inside the block, the texts of ``fig`` use the subset fonts."""
        saved: list[tuple[Text, font_manager.FontProperties]] = []
        for text in _texts(fig):
            face = _face_of(text)
            subset = self._subset_of.get(face) if face is not None else None
            if subset is None:
                continue
            prop = text.get_fontproperties()
            saved.append((text, prop))
            text.set_fontproperties(font_manager.FontProperties(
                fname=str(subset), size=prop.get_size_in_points(), weight=prop.get_weight(),
                style=prop.get_style()))
        try:
            yield
        finally:
            for text, prop in saved:
                text.set_fontproperties(prop)


_ASCII = "".join(chr(c) for c in range(32, 127))
#: Fonts larger than this are subset once per run; small ones matplotlib subsets quickly.
_LARGE_FONT_BYTES = 2_000_000


def _is_large(path: str) -> bool:
    try:
        return Path(path).stat().st_size > _LARGE_FONT_BYTES
    except OSError:
        return False


def _texts(fig: Figure) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _face_of(text: Text) -> tuple[str, int] | None:
    """(file, face index) of the first font of ``text`` when it has every character."""
    found = font_manager.fontManager._find_fonts_by_props(text.get_fontproperties())
    if not found:
        return None
    first = found[0]
    face = (str(getattr(first, "path", first)), int(getattr(first, "face_index", 0)))
    cmap = _cmap(face)
    if not set(text.get_text()) - {"\n"} <= cmap:
        return None  # some characters fall back to another font: leave this text alone
    return face


@functools.cache
def _cmap(face: tuple[str, int]) -> frozenset[str]:
    from fontTools.ttLib import TTFont

    with TTFont(face[0], fontNumber=face[1], lazy=True) as font:
        return frozenset(chr(c) for c in font.getBestCmap())


#: Bumped when :func:`_write_subset` changes what it writes (old cache entries are ignored).
_SUBSET_VERSION = 1


def _subset_cache_dir() -> Path | None:
    """``$COVERAGE_CACHE_DIR/fonts`` or ``$XDG_CACHE_HOME/coverage/fonts`` (``~/.cache``);
    ``None`` when ``COVERAGE_CACHE_DIR`` is set to an empty string (no cache)."""
    root = os.environ.get("COVERAGE_CACHE_DIR")
    if root == "":
        return None
    if root is None:
        root = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coverage")
    return Path(root) / "fonts"


def _cached_subset(face: tuple[str, int], chars: set[str], out: Path) -> Path:
    """The subset of ``face`` to ``chars``, from the on-disk cache when this font file and
    this character set were subset before (a rerun of the same region costs nothing);
    otherwise written to ``out`` and copied into the cache.  A cache that cannot be read or
    written is skipped (logged), never an error: the subset is then built as before."""
    cache = _subset_cache_dir()
    if cache is None:
        return _write_subset(face, chars, out)
    try:
        st = Path(face[0]).stat()
        key = hashlib.sha256("\x00".join(
            [str(_SUBSET_VERSION), face[0], str(face[1]), str(st.st_size), str(st.st_mtime_ns),
             "".join(sorted(chars))]).encode("utf-8")).hexdigest()[:32]
        hit = cache / f"{key}.ttf"
        if hit.is_file() and hit.stat().st_size > 0:
            return hit
    except OSError as exc:
        logger.info("font subset cache not used: %s", exc)
        return _write_subset(face, chars, out)
    _write_subset(face, chars, out)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{key}.{os.getpid()}.tmp"
        shutil.copyfile(out, tmp)
        os.replace(tmp, hit)  # atomic: a reader sees the whole file or none
    except OSError as exc:
        logger.info("font subset not cached: %s", exc)
    return out


def _write_subset(face: tuple[str, int], chars: set[str], out: Path) -> Path:
    """Subset ``face`` to ``chars`` (TrueType outlines) and save it as ``out``."""
    from fontTools import subset

    options = subset.Options()
    options.font_number = face[1]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    # matplotlib lays text out glyph by glyph from the cmap and hmtx: the OpenType layout
    # tables are not used, and closing over them is most of the subsetting time
    options.layout_features = []
    options.drop_tables += ["VORG", "BASE", "DSIG", "GSUB", "GPOS", "GDEF"]
    font = subset.load_font(face[0], options)
    try:
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(unicodes=[ord(c) for c in chars if c != "\n"])
        subsetter.subset(font)
        if "CFF " in font:
            _cff_to_glyf(font)
        font.save(str(out))
    finally:
        font.close()
    return out


def _cff_to_glyf(font: Any) -> None:
    """Replace CFF outlines by quadratic TrueType outlines (fontTools' otf2ttf recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    glyf.compile(font)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones",):
        setattr(maxp, attr, 1)
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.numGlyphs = len(order)
    maxp.recalc(font)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\000\001\000\000"
