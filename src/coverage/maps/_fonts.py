"""Find a font that has Chinese glyphs, for the static maps.

matplotlib's default DejaVu Sans has no 汉字: every label would print as empty boxes with a
"Glyph … missing from font" warning.  :func:`find_cjk_font` looks for the usual Simplified
Chinese fonts known to matplotlib's font manager, then for their files on the system, then
for the OTF shipped by the PyPI package ``cvttf-NotoSansCJK-Regular``.
"""

from __future__ import annotations

import functools
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager

from coverage._errors import InputError

__all__ = ["CJKFont", "cjk_font", "find_cjk_font"]

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
