"""Pinyin initials of Chinese names, computed once when a map is built (for search).

A planner types ``xsz`` to find 西山镇.  :mod:`pypinyin` reads whole words, so polyphonic
characters follow the word (重庆 → ``cq``, 长安 → ``ca``); letters and digits are kept,
other characters (brackets, punctuation) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

__all__ = ["initials"]

_KEEP = re.compile(r"[^0-9a-z]")
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\u3400-\u9fff\uf900-\ufaff]+")


def initials(names: Iterable[object]) -> list[str]:
    """Lower-case pinyin initials of each name (``""`` for missing names).

    Examples
    --------
    >>> initials(["西山镇", "重庆路", "A区3号", None])
    ['xsz', 'cql', 'aq3h', '']
    """
    runs: dict[str, str] = {}

    def run_initials(run: str) -> str:
        if run not in runs:
            letters = lazy_pinyin(run, style=Style.FIRST_LETTER, errors="default")
            runs[run] = _KEEP.sub("", "".join(letters).lower())
        return runs[run]

    # names share their words (…村, …镇, 前槐树…): read each run of Han characters once
    return ["" if name is None else "".join(run_initials(r) for r in _RUNS.findall(str(name)))
            for name in names]
