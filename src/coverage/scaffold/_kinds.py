"""What a source is for: a point layer of some kind, boundaries of some level, a 台账, a code list.

The evidence, weighed together: the geometry (polygons are boundaries, points or coordinate
columns a layer), words in the file and sheet names and the title row
(:data:`coverage.synonyms.KIND_HINTS`, :data:`~coverage.synonyms.LEVEL_HINTS`), telling
columns (学段 → school, 医院等级 → hospital), how the unit names end (…村, …社区, …小学), and
the length of the codes (12 digits: villages and communities; 9: townships; 6: a county).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from coverage.scaffold._columns import norm_header
from coverage.scaffold._model import Reason, UseGuess
from coverage.synonyms import KIND_HINTS, LEVEL_HINTS

__all__ = ["code_digits", "guess_use", "hint_words"]

#: How unit names end, per layer kind (longest first where they overlap).
_NAME_ENDINGS: dict[str, tuple[str, ...]] = {
    "village": ("村民委员会", "村委会", "村"),
    "community": ("居民委员会", "居委会", "社区"),
    "school": ("小学", "中学", "学校", "学院", "幼儿园", "职业中专"),
    "hospital": ("医院", "保健院"),
    "health_center": ("卫生院", "卫生服务中心", "卫生服务站", "卫生室"),
    "governance_center": ("综治中心",),
    "petition_office": ("信访接待室", "来访接待中心", "信访局", "信访办"),
    "rehab": ("康复中心", "康复站", "阳光家园"),
    "service_site": ("心理健康中心", "心灵驿站", "心理服务站", "心理咨询室"),
}
_LEVEL_ENDINGS: dict[str, tuple[str, ...]] = {
    "county": ("县", "区", "市", "旗"),
    "township": ("镇", "乡", "街道", "办事处", "苏木"),
    "village": ("村", "社区", "居委会", "村委会"),
}
#: Columns that tell the kind: role → kinds.
_ROLE_HINTS: dict[str, tuple[str, ...]] = {
    "enrolment": ("school",), "psych_teachers": ("school",), "grade": ("hospital",),
    "psychiatrists": ("hospital", "health_center"), "ur_code": ("village", "community"),
}
_STAFF = ("counsellors", "social_workers", "psychiatrists", "psych_teachers", "professionals",
          "demonstration")


def hint_words(text: str, hints: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Kind → the longest hint word found in ``text``."""
    key = norm_header(text)
    found: dict[str, str] = {}
    for kind, words in hints.items():
        for w in sorted(words, key=len, reverse=True):
            if norm_header(w) and norm_header(w) in key:
                found[kind] = w
                break
    return found


def code_digits(codes: Sequence[str]) -> int:
    """The usual length of the all-digit codes (0 when most are not digits)."""
    digits = [len(c) for c in codes if c.isdigit()]
    if not digits or len(digits) * 2 < len([c for c in codes if c]):
        return 0
    return Counter(digits).most_common(1)[0][0]


def _ending_shares(names: Sequence[str], endings: Mapping[str, tuple[str, ...]]
                   ) -> dict[str, tuple[float, str]]:
    names = [n.strip() for n in names if n.strip()]
    if not names:
        return {}
    out: dict[str, tuple[float, str]] = {}
    for kind, ends in endings.items():
        hits = Counter(next((e for e in ends if n.endswith(e)), "") for n in names)
        hits.pop("", None)
        if hits:
            out[kind] = (sum(hits.values()) / len(names), hits.most_common(1)[0][0])
    return out


def _ranked(scores: Mapping[tuple[str, str], float], reasons: Mapping[tuple[str, str],
            list[Reason]]) -> UseGuess:
    order = sorted(scores.items(), key=lambda kv: -kv[1])
    (use, kind), best = order[0]
    alts = tuple((u, k, min(s, 0.95)) for (u, k), s in order[1:] if s >= 0.1)
    return UseGuess(use, kind, min(best, 0.95), tuple(reasons.get((use, kind), ())), alts)


def guess_use(*, geometry: str | None, roles: Mapping[str, str], values: Mapping[str,
              Sequence[str]], names: Sequence[str], title: str, n_rows: int,
              digits: int) -> UseGuess:
    """Guess what a source is for.

    Parameters
    ----------
    geometry
        ``point``, ``polygon``, ``line`` or None (a table).
    roles
        Role → header of its placed columns.
    values
        Header → cells.
    names
        The file stem and the sheet or layer name.
    title
        The text above the header row.
    n_rows
        Rows or features.
    digits
        :func:`code_digits` of the id column.
    """
    scores: dict[tuple[str, str], float] = {}
    reasons: dict[tuple[str, str], list[Reason]] = {}

    def add(use: str, kind: str, score: float, reason: Reason) -> None:
        scores[(use, kind)] = scores.get((use, kind), 0.0) + score
        reasons.setdefault((use, kind), []).append(reason)

    name_text = " ".join(names)
    unit_names = values.get(roles.get("name", ""), ())
    if geometry == "polygon":
        for level in LEVEL_HINTS:
            scores[("admin", level)] = 0.05
            reasons[("admin", level)] = [Reason.of("geometry_polygon")]
        level_by_digits = {6: "county", 9: "township", 12: "village"}.get(digits)
        if digits == 12 and all(c.endswith("000") for c in values.get(roles.get("id", ""), ())
                                if c):
            level_by_digits = "township"
        if level_by_digits:
            add("admin", level_by_digits, 0.6, Reason.of("code_length", digits=digits))
        if n_rows == 1:
            add("admin", "county", 0.35, Reason.of("single_feature"))
        for level, word in hint_words(name_text, LEVEL_HINTS).items():
            add("admin", level, 0.3, Reason.of("name_hint", word=word))
        for level, (share, end) in _ending_shares(unit_names, _LEVEL_ENDINGS).items():
            if share >= 0.5:
                add("admin", level, 0.3 * share, Reason.of("unit_names", suffix=end))
        return _ranked(scores, reasons)

    located = geometry in ("point", "line") or ("lon" in roles and "lat" in roles) \
        or "wkt" in roles
    if not located:
        if "id" not in roles and "name" not in roles:
            return UseGuess("ignore", "", 0.9, (Reason.of("no_roles"),))
        if set(roles) <= {"id", "name", "parent", "township"} and digits in (9, 12) and (
                digits == 9 or all(c.endswith("000") for c in values.get(roles.get("id", ""),
                                                                            ()) if c)):
            add("division_codes", "", 0.7, Reason.of("code_list"))
        if "id" in roles and ("status" in roles or any(r in roles for r in _STAFF)):
            add("ledger", "", 0.7, Reason.of("no_coordinates_status"))
        elif "id" in roles:
            add("ledger", "", 0.35, Reason.of("no_coordinates"))
        for word in ("台账", "ledger", "统计表", "汇总表", "建设情况"):
            if word in name_text or word in title:
                add("ledger", "", 0.2, Reason.of("name_hint", word=word))
                break
        add("ignore", "", 0.1, Reason.of("no_coordinates"))
        return _ranked(scores, reasons)

    base = Reason.of("geometry_point") if geometry else Reason.of("coordinates")
    for kind in KIND_HINTS:
        scores[("layer", kind)] = 0.05
        reasons[("layer", kind)] = [base]
    for kind, word in hint_words(name_text, KIND_HINTS).items():
        add("layer", kind, 0.5, Reason.of("name_hint", word=word))
    for kind, word in hint_words(title, KIND_HINTS).items():
        add("layer", kind, 0.25, Reason.of("title_hint", word=word))
    for role, kinds in _ROLE_HINTS.items():
        if role in roles:
            for kind in kinds:
                add("layer", kind, 0.25 / len(kinds) + 0.05,
                    Reason.of("column_hint", column=roles[role]))
    for kind, (share, end) in _ending_shares(unit_names, _NAME_ENDINGS).items():
        add("layer", kind, 0.4 * share, Reason.of("unit_names", suffix=end))
    if digits == 12:
        for kind in ("village", "community"):
            add("layer", kind, 0.15, Reason.of("code_length", digits=12))
    return _ranked(scores, reasons)
