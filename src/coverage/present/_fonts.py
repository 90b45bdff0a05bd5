"""Fonts of the Word report: the faces GB/T 9704-2012 asks for, or the nearest installed one.

The standard sets the title in 小标宋, the body in 仿宋, first-level headings in 黑体 and
second-level ones in 楷体; page numbers are 宋体.  Government PCs usually have 仿宋_GB2312 and
方正小标宋简体, Windows has 仿宋/黑体/楷体/宋体, a Linux server often only Noto CJK.  Each role
has a chain of candidates; the first one installed on this machine is written into the
document (``w:rFonts``), and the standard's face is recorded in the font table as its
alternative name (``w:altName``), so a PC that has the standard face can still find it.
A fallback that stands in for a heavy face (Noto Serif for 小标宋) is drawn bold.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["FontChoice", "ReportFonts", "installed_families", "report_fonts"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FontChoice:
    """The font of one role.

    Parameters
    ----------
    name
        The family written into the document.
    standard
        The face the standard asks for (written as the font's alternative name).
    bold
        Draw bold: the chosen family stands in for a heavier face.
    """

    name: str
    standard: str
    bold: bool = False

    @property
    def is_standard(self) -> bool:
        """Whether the standard's own face was found."""
        return self.name == self.standard


@dataclass(frozen=True)
class ReportFonts:
    """The report's fonts by role (see :func:`report_fonts`)."""

    title: FontChoice      # 标题: 小标宋
    heading1: FontChoice   # 一、: 黑体
    heading2: FontChoice   # （一）: 楷体
    body: FontChoice       # 正文, 1. and （1）, tables: 仿宋
    song: FontChoice       # page numbers: 宋体

    def describe(self) -> str:
        """One line naming each role's font, for logs and the developer's notes."""
        parts = []
        for role in ("title", "heading1", "heading2", "body", "song"):
            f: FontChoice = getattr(self, role)
            extra = "" if f.is_standard else f" (for {f.standard}{', bold' if f.bold else ''})"
            parts.append(f"{role}={f.name}{extra}")
        return "; ".join(parts)


# (name written into the document, names the system may list it under, draw bold)
_Candidate = tuple[str, tuple[str, ...], bool]
_NOTO_SERIF: _Candidate = ("Noto Serif CJK SC", ("Noto Serif CJK SC", "Noto Serif SC",
                                                 "Source Han Serif SC", "思源宋体"), False)
_NOTO_SANS: _Candidate = ("Noto Sans CJK SC", ("Noto Sans CJK SC", "Noto Sans SC",
                                               "Source Han Sans SC", "思源黑体"), False)
_SIMHEI: _Candidate = ("黑体", ("SimHei", "黑体"), False)
_SIMSUN: _Candidate = ("宋体", ("SimSun", "宋体", "NSimSun", "新宋体"), False)

#: Role -> candidates, the standard's face first.
CHAINS: dict[str, tuple[_Candidate, ...]] = {
    "title": (
        ("方正小标宋简体", ("FZXiaoBiaoSong-B05S", "方正小标宋简体"), False),
        ("方正小标宋_GBK", ("FZXiaoBiaoSong-B05", "方正小标宋_GBK"), False),
        ("华文中宋", ("STZhongsong", "华文中宋"), False),
        _SIMHEI,
        (_NOTO_SERIF[0], _NOTO_SERIF[1], True),
        (_NOTO_SANS[0], _NOTO_SANS[1], True),
    ),
    "heading1": (_SIMHEI, _NOTO_SANS, ("微软雅黑", ("Microsoft YaHei", "微软雅黑"), False),
                 ("文泉驿正黑", ("WenQuanYi Zen Hei", "文泉驿正黑"), False)),
    "heading2": (
        ("楷体_GB2312", ("KaiTi_GB2312", "楷体_GB2312"), False),
        ("楷体", ("KaiTi", "楷体"), False),
        ("华文楷体", ("STKaiti", "华文楷体"), False),
        ("AR PL UKai CN", ("AR PL UKai CN",), False),
        (_NOTO_SERIF[0], _NOTO_SERIF[1], True),
        _SIMSUN,
    ),
    "body": (
        ("仿宋_GB2312", ("FangSong_GB2312", "仿宋_GB2312"), False),
        ("仿宋", ("FangSong", "仿宋"), False),
        ("华文仿宋", ("STFangsong", "华文仿宋"), False),
        _NOTO_SERIF, _SIMSUN,
        ("AR PL UMing CN", ("AR PL UMing CN",), False),
        _NOTO_SANS,
    ),
    "song": (_SIMSUN, _NOTO_SERIF, ("华文宋体", ("STSong", "华文宋体"), False), _NOTO_SANS),
}


@functools.cache
def installed_families() -> frozenset[str]:
    """Every font family name this machine knows (fontconfig's, with their localised
    names, and matplotlib's, which also covers Windows)."""
    names: set[str] = set()
    fc = shutil.which("fc-list")
    if fc:
        try:
            out = subprocess.run([fc, "--format", "%{family}\n"], capture_output=True,
                                 text=True, timeout=30, check=False).stdout
        except (OSError, subprocess.SubprocessError):  # a broken fontconfig: use matplotlib's
            out = ""
        for line in out.splitlines():
            names.update(n.strip() for n in line.split(",") if n.strip())
    from matplotlib import font_manager

    names.update(f.name for f in font_manager.fontManager.ttflist)
    return frozenset(names)


def _choose(role: str, families: frozenset[str]) -> FontChoice:
    chain = CHAINS[role]
    standard = chain[0][0]
    for name, aliases, bold in chain:
        if any(a in families for a in aliases):
            return FontChoice(name, standard, bold)
    # nothing known is installed: name the standard face and let the viewer substitute
    return FontChoice(standard, standard)


def report_fonts(families: frozenset[str] | None = None) -> ReportFonts:
    """The report's fonts: per role, the first candidate installed here.

    Parameters
    ----------
    families
        Installed family names (default: :func:`installed_families`).
    """
    fams = installed_families() if families is None else families
    fonts = ReportFonts(**{role: _choose(role, fams) for role in CHAINS})
    logger.info("report fonts: %s", fonts.describe())
    return fonts
