"""Cell text normalisation: what a planner typed, folded so that it can be matched.

The vocabularies themselves (是/否, 在建/未建 … per status) are in
:mod:`coverage.vocabulary` (``STATUS_SYNONYMS``, ``SUBTYPE_SYNONYMS``); a region config can
replace them per layer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "build_lookup",
    "normalize_cell",
    "parse_bool",
    "parse_grade",
    "township_key",
]

_GRADE_WORDS = {"三": 3, "二": 2, "一": 1, "3": 3, "2": 2, "1": 1}


def normalize_cell(value: object) -> str:
    """Strip, fold full-width spaces and lower-case a cell for vocabulary matching."""
    text = "" if value is None else str(value)
    return text.replace("\u3000", " ").strip().lower()


def parse_grade(value: str) -> int | None:
    """Parse a hospital grade: 三级甲等 → 3, 二级 → 2, "2" → 2, 未定级 → 0.

    Returns ``None`` when the text is not a grade.
    """
    text = normalize_cell(value)
    if text in ("", "未定级", "无", "0"):
        return 0
    m = re.match(r"^([一二三123])\s*级?", text)
    if m:
        return _GRADE_WORDS[m.group(1)]
    return None


def parse_bool(value: str) -> bool | None:
    """Parse a yes/no cell; ``None`` when it is not one."""
    text = normalize_cell(value)
    if text in ("是", "1", "y", "yes", "true", "√", "✓", "示范点", "有"):
        return True
    if text in ("否", "0", "n", "no", "false", "×", "", "无"):
        return False
    return None


_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡", "人民政府")


def township_key(name: str) -> str:
    """Normalise a township name for matching: 泉林镇 / 泉林 / 泉林镇人民政府 → 泉林."""
    text = normalize_cell(name).replace(" ", "")
    changed = True
    while changed:
        changed = False
        for s in _SUFFIXES:
            if text.endswith(s) and len(text) > len(s):
                text = text[: -len(s)]
                changed = True
    return text


def build_lookup(vocab: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``canonical -> raw values`` into ``normalized raw -> canonical``."""
    out: dict[str, str] = {}
    for canon, raws in vocab.items():
        for raw in raws:
            out.setdefault(normalize_cell(raw), canon)
    return out
