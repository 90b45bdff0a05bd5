"""Which column is which: headers matched against the glossary's synonyms, checked by values.

A header equal to a synonym of :data:`coverage.synonyms.HEADER_SYNONYMS` scores 1; a header
that contains one (心理咨询室建设情况 ⊃ 建设情况) scores by how much of the header the synonym
covers.  The values then confirm or contradict: longitudes that are not numbers, "codes" that
repeat, statuses that are not statuses.  Each role goes to one column, the surest first; the
others keep it as an alternative, and nothing is dropped without a reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from coverage._clean import (
    NumberError,
    build_lookup,
    normalize_cell,
    parse_bool,
    parse_grade,
    parse_number,
)
from coverage.coordinates import parse_coordinate
from coverage.scaffold._model import ColumnGuess, Reason, RoleGuess
from coverage.synonyms import HEADER_SYNONYMS, IGNORED_HEADERS, STATUS_SYNONYMS

__all__ = [
    "ADMIN_ROLES",
    "CRS_HEADERS",
    "LAYER_ROLES",
    "LEDGER_ROLES",
    "assign_roles",
    "norm_header",
    "number_share",
    "status_guess",
]

#: Roles each use of a source may have.
LAYER_ROLES = tuple(r for r in HEADER_SYNONYMS if r != "parent")
LEDGER_ROLES = tuple(r for r in LAYER_ROLES if r not in ("lon", "lat", "wkt"))
ADMIN_ROLES = ("id", "name", "parent")
#: Headers of a column that says which coordinate system the points are in.
CRS_HEADERS = ("坐标系", "坐标系统", "坐标类型", "坐标来源", "坐标说明", "crs", "srs", "坐标")

_STRIP = re.compile(r"[\s()（）\[\]【】{}<>《》_\-·・/、,，:：.。*#'\"“”‘’]+")
_MIN_CONFIDENCE = 0.3
_STATUS_LOOKUP = build_lookup(STATUS_SYNONYMS)
_WKT = re.compile(r"^\s*(multi)?(point|polygon|linestring)\s*(z|m|zm)?\s*\(", re.IGNORECASE)
_UR = re.compile(r"[12]\d\d")
_CODE = re.compile(r"[0-9A-Za-z\-]+")


def norm_header(text: str) -> str:
    """A header folded for matching: NFKC, lower case, no spaces, brackets or punctuation."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", str(text)).lower())


#: the glossary's synonyms, and the field's own name (a file written by this tool)
_ALL = {role: tuple(dict.fromkeys((*syns, role))) for role, syns in HEADER_SYNONYMS.items()}
_SYNONYMS = {role: tuple(norm_header(s) for s in syns) for role, syns in _ALL.items()}
_WORDS = {role: tuple(s.lower() for s in syns) for role, syns in _ALL.items()}
_IGNORED = {norm_header(h) for h in IGNORED_HEADERS}
_CRS = {norm_header(h) for h in CRS_HEADERS}


def _header_score(header: str, role: str) -> tuple[float, Reason] | None:
    """How well ``header`` names ``role``: 1 for a synonym, less for a header containing one."""
    key = norm_header(header)
    if not key:
        return None
    words = re.split(r"[^a-z0-9]+", unicodedata.normalize("NFKC", header).lower())
    best: tuple[float, Reason] | None = None
    for syn, word in zip(_SYNONYMS[role], _WORDS[role], strict=True):
        if key == syn:
            return 1.0, Reason.of("header_exact", synonym=word)
        if syn.isascii():
            # Latin synonyms only as whole words (x, y, id inside "index" are not them)
            if word in words and len(word) >= 3:
                score = 0.6 + 0.3 * len(syn) / len(key)
            else:
                continue
        elif syn in key:
            score = 0.5 + 0.45 * len(syn) / len(key)
        else:
            continue
        if best is None or score > best[0]:
            best = (score, Reason.of("header_partial", synonym=word))
    return best


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    filled = [v for v in values if v.strip()]
    if not filled:
        return 0.0
    return sum(1 for v in filled if test(v)) / len(filled)


def _is_number(v: str) -> bool:
    try:
        parse_number(v)
    except NumberError:
        return False
    return True


def number_share(values: Sequence[str]) -> float:
    """Share of the filled cells that are numbers."""
    return _share(values, _is_number)


def _coordinate(v: str) -> float | None:
    try:
        return parse_coordinate(v)
    except ValueError:
        try:
            return parse_number(v)
        except NumberError:
            return None


def _coord_share(values: Sequence[str], limit: float) -> float:
    def ok(v: str) -> bool:
        x = _coordinate(v)
        return x is not None and (abs(x) <= limit or abs(x) >= 100_000)
    return _share(values, ok)


def status_guess(value: str) -> str | None:
    """The status a cell means: the glossary's words, else a guess from its characters."""
    key = normalize_cell(value)
    if key in _STATUS_LOOKUP:
        return _STATUS_LOOKUP[key]
    if any(w in key for w in ("在建", "建设中", "正在", "施工")):
        return "under_construction"
    if any(w in key for w in ("规划", "计划", "拟建", "待建")):
        return "planned"
    if any(w in key for w in ("未", "无", "没", "否", "不")):
        return "none"
    if any(w in key for w in ("已", "建成", "完成", "有", "是")):
        return "built"
    return None


def _value_factor(role: str, values: Sequence[str]) -> tuple[float, str]:
    """How well the values fit ``role``: a factor in (0, 1] and what did not fit."""
    filled = [v for v in values if v.strip()]
    if not filled:
        return (0.8, "") if role in ("lon", "lat", "status", "population") else (0.6, "")
    n = len(filled)
    distinct = len(set(filled))
    if role == "id":
        share = distinct / n
        codes = _share(filled, lambda v: bool(_CODE.fullmatch(v.strip())))
        if share >= 0.98:
            return (1.0 if codes >= 0.9 else 0.8), ""
        return (0.7 if share >= 0.8 else 0.3), "repeats"
    if role == "parent":
        return (1.0, "") if distinct < n or n == 1 else (0.6, "all different")
    if role == "name":
        text = _share(filled, lambda v: not _is_number(v))
        return (max(text, 0.2), "" if text >= 0.8 else "numbers")
    if role in ("lon", "lat"):
        share = _coord_share(filled, 180.0 if role == "lon" else 90.0)
        return (max(share, 0.1), "" if share >= 0.8 else "not coordinates")
    if role == "wkt":
        share = _share(filled, lambda v: bool(_WKT.match(v)))
        return max(share, 0.1), "" if share >= 0.8 else "not WKT"
    if role == "township":
        numbers = _share(filled, _is_number)
        if numbers > 0.5 and not all(len(v.strip()) in (9, 12) for v in filled):
            return 0.3, "numbers"
        return (1.0 if n <= 30 or distinct <= n // 2 else 0.6), ""
    if role == "status":
        known = _share(filled, lambda v: normalize_cell(v) in _STATUS_LOOKUP)
        guessed = _share(filled, lambda v: status_guess(v) is not None)
        if known >= 0.9:
            return 1.0, ""
        if guessed >= 0.9 and distinct <= 12:
            return 0.85, ""
        return max(guessed * 0.6, 0.1), "not statuses"
    if role in ("population", "enrolment", "counsellors", "social_workers", "psychiatrists",
                "psych_teachers", "professionals", "cost", "capacity"):
        share = number_share(filled)
        return (max(share, 0.1), "" if share >= 0.9 else "not numbers")
    if role == "ur_code":
        share = _share(filled, lambda v: bool(_UR.fullmatch(v.strip())))
        return max(share, 0.1), "" if share >= 0.9 else "not 城乡分类代码"
    if role == "grade":
        share = _share(filled, lambda v: parse_grade(v) is not None)
        return max(share, 0.1), "" if share >= 0.9 else "not grades"
    if role == "demonstration":
        share = _share(filled, lambda v: parse_bool(v) is not None)
        return max(share, 0.1), "" if share >= 0.9 else "not 是/否"
    if role == "subtype":
        return (1.0 if n <= 12 or distinct <= min(40, n // 2) else 0.5), ""
    return 1.0, ""


def _value_only(values: Sequence[str]) -> list[RoleGuess]:
    """Roles a column with an unknown header may play, judged from its values alone."""
    filled = [v for v in values if v.strip()]
    if len(filled) < 2:
        return []
    out = []
    if all(len(v) == 12 and v.isdigit() for v in filled) and len(set(filled)) == len(filled):
        out.append(RoleGuess("id", 0.45, Reason.of("values")))
    nums = [_coordinate(v) for v in filled]
    if all(x is not None for x in nums) and any("." in v for v in filled):
        xs = [float(x) for x in nums if x is not None]
        if all(73 <= x <= 136 for x in xs):
            out.append(RoleGuess("lon", 0.4, Reason.of("values")))
        elif all(3 <= x <= 54 for x in xs):
            out.append(RoleGuess("lat", 0.4, Reason.of("values")))
    if all(normalize_cell(v) in _STATUS_LOOKUP for v in filled) and len(set(filled)) <= 6 \
            and not all(_is_number(v) for v in filled):
        out.append(RoleGuess("status", 0.35, Reason.of("values")))
    return out


def candidates(header: str, values: Sequence[str], roles: Iterable[str]) -> list[RoleGuess]:
    """Every role ``header`` with ``values`` could play, best first."""
    out: list[RoleGuess] = []
    for role in roles:
        hit = _header_score(header, role)
        if hit is None:
            continue
        factor, detail = _value_factor(role, values)
        reason = hit[1] if not detail else Reason.of("values_contradict", detail=detail)
        out.append(RoleGuess(role, hit[0] * factor, reason))
    if not out:
        allowed = set(roles)
        out = [g for g in _value_only(values) if g.role in allowed]
    return sorted(out, key=lambda g: -g.confidence)


def assign_roles(
    headers: Sequence[str],
    values: Mapping[str, Sequence[str]],
    *,
    roles: Sequence[str],
    letters: Mapping[str, str] | None = None,
    chosen: Mapping[str, str] | None = None,
) -> tuple[ColumnGuess, ...]:
    """Give each role to one column, the surest first.

    Parameters
    ----------
    headers
        The columns in file order.
    values
        Header → its cells (as typed) in the first rows.
    roles
        The roles this kind of source may have (:data:`LAYER_ROLES` …).
    letters
        Header → Excel column letter.
    chosen
        The planner's choices: header → role, or ``""`` to leave the column out.  A chosen
        role is taken from any other column.

    Returns
    -------
    tuple of ColumnGuess
        In file order.
    """
    letters = letters or {}
    chosen = dict(chosen or {})
    cands = {h: candidates(h, values.get(h, ()), roles) for h in headers}
    placed: dict[str, tuple[str, float, Reason]] = {}
    used: set[str] = set()
    for h, role in chosen.items():
        if h in cands and role and role not in used:
            placed[h] = (role, 1.0, Reason.of("choice"))
            used.add(role)
    ranked = sorted(((g.confidence, i, h, g) for i, h in enumerate(headers) for g in cands[h]
                     if h not in chosen), key=lambda t: (-t[0], t[1]))
    for conf, _, h, g in ranked:
        if h in placed or g.role in used or conf < _MIN_CONFIDENCE:
            continue
        placed[h] = (g.role, conf, g.reason)
        used.add(g.role)
    out = []
    for h in headers:
        vals = values.get(h, ())
        filled = [v for v in vals if v.strip()]
        samples = tuple(dict.fromkeys(v.strip() for v in filled))[:5]
        share = len(filled) / len(vals) if vals else 0.0
        alts = tuple(g for g in cands[h] if h not in placed or g.role != placed[h][0])
        if h in placed:
            role, conf, reason = placed[h]
            out.append(ColumnGuess(h, letters.get(h), role, conf, reason, alts, samples, share))
            continue
        key = norm_header(h)
        if h in chosen:
            reason = Reason.of("choice")
        elif key in _IGNORED:
            reason = Reason.of("ignored_header")
        elif key in _CRS:
            reason = Reason.of("crs_evidence")
        elif alts and alts[0].confidence >= _MIN_CONFIDENCE:
            reason = Reason.of("taken", role=alts[0].role)
        else:
            reason = Reason.of("unknown_header")
        out.append(ColumnGuess(h, letters.get(h), None, 0.0, reason, alts, samples, share))
    return tuple(out)
