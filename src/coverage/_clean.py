"""Cell text normalisation: what a planner typed, folded so that it can be matched.

Codes and numbers are folded with Unicode NFKC (full-width digits from a Chinese input
method become ASCII, a no-break space becomes a space), invisible characters (zero-width
spaces, a stray byte-order mark) are removed and the ends stripped; the loader reports every
cell this changed.  Numbers accept thousands separators (``12,345``) and refuse a decimal
comma (``1.234,5``, ``12,5``) rather than guess.

The vocabularies themselves (是/否, 在建/未建 … per status) are in
:mod:`coverage.vocabulary` (``STATUS_SYNONYMS``, ``SUBTYPE_SYNONYMS``); a region config can
replace them per layer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping

__all__ = [
    "MISSING_TOKENS",
    "NumberError",
    "build_lookup",
    "is_missing_token",
    "normalize_cell",
    "normalize_code",
    "normalize_text",
    "parse_bool",
    "parse_grade",
    "parse_number",
    "township_key",
]

#: Cell texts that programs write for "no value" (compared after :func:`normalize_text`,
#: case-insensitively).
MISSING_TOKENS = frozenset({"nan", "null", "none", "#n/a", "n/a", "#null!", "na", "nil",
                            "-", "--", "—", "/"})
_GRADE_WORDS = {"三": 3, "二": 2, "一": 1, "3": 3, "2": 2, "1": 1}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")


def normalize_text(value: object) -> str:
    """NFKC-fold a cell, drop invisible characters and strip the ends."""
    text = "" if value is None else str(value)
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).strip()


def normalize_code(value: object) -> str:
    """A code as text: NFKC, no invisible characters, no spaces inside an all-digit code.

    ``"３７０８３１"`` → ``"370831"``, ``"370831\u00a0"`` → ``"370831"``,
    ``"3708 3100 1001"`` → ``"370831001001"``; other text is only stripped.
    """
    text = normalize_text(value)
    packed = re.sub(r"\s+", "", text)
    return packed if packed.isdigit() else text


def is_missing_token(value: object) -> bool:
    """True for ``NaN``, ``null``, ``#N/A``, ``-`` … (see :data:`MISSING_TOKENS`)."""
    return normalize_text(value).lower() in MISSING_TOKENS


class NumberError(ValueError):
    """A cell that is not a number; ``code`` says why (``decimal_comma``, ``non_finite`` …)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def parse_number(value: object) -> float:
    """Parse a number as typed: ``1200``, ``1,200``, ``１２００``, ``980.5``, ``1.2e3``.

    Raises
    ------
    NumberError
        With the reason and a ``code``: ``empty``; ``missing_token`` (``NaN``/``null``);
        ``decimal_comma`` (``1.234,5``, ``12,5``: ambiguous, never guessed);
        ``not_a_number`` (text or units, ``1200人``); ``non_finite`` (``1e309``, ``inf``).
    """
    text = normalize_text(value).replace(" ", "")
    if not text:
        raise NumberError("空 (empty)", "empty")
    if text.lower() in MISSING_TOKENS:
        raise NumberError(f"{text!r} 不是数字 (not a number: a missing value written as text)",
                          "missing_token")
    if text.lower().lstrip("+-") in ("inf", "infinity"):
        raise NumberError(f"不是有限数 (not a finite number: {value!r})", "non_finite")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(text):
        raise NumberError(f"小数逗号 (decimal comma in {value!r}: write the number with a "
                          "decimal point, e.g. 1234.5)", "decimal_comma")
    if not _NUMBER.fullmatch(text):
        raise NumberError(f"不是数字 (not a number: {value!r})", "not_a_number")
    number = float(text)
    if not math.isfinite(number):
        raise NumberError(f"不是有限数 (not a finite number: {value!r})", "non_finite")
    return number


def normalize_cell(value: object) -> str:
    """NFKC-fold (full-width spaces and letters), strip and lower-case a cell for matching."""
    return normalize_text(value).lower()


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
