"""From a survey to a region: which source becomes which layer, boundary level and 台账 join.

Each layer kind and each boundary level gets one source, the surest first (a source that
loses its kind to a surer one falls back on its next guess).  A 台账 without coordinates
feeds every layer whose codes it holds — one sheet may feed several layers, as the demo's
村居 sheet feeds villages and communities — joined by code, never by row order.  Values the
glossary does not know (a status "已挂牌") get a guessed mapping written into the draft, or
a question when they cannot be guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from coverage._clean import build_lookup, normalize_cell, parse_bool, parse_grade
from coverage.problems import InputError, Problem
from coverage.scaffold._choices import Choices
from coverage.scaffold._columns import number_share, status_guess
from coverage.scaffold._crs import ANSWER_FIX
from coverage.scaffold._model import CRSGuess, Reason, SourceSurvey, Survey, problem_dict
from coverage.scaffold._survey import survey as survey_folder
from coverage.synonyms import STATUS_SYNONYMS, SUBTYPE_SYNONYMS
from coverage.vocabulary import KIND

__all__ = ["Plan", "PlannedAdmin", "PlannedLayer", "PlannedLedger", "fits", "plan_region"]

#: Fields a 台账 supplies even when the layer's file has them too (it is the fresher record).
_LEDGER_FIELDS = ("status", "counsellors", "social_workers", "psychiatrists", "psych_teachers",
                  "professionals", "demonstration", "cost", "capacity", "enrolment")
_NUMBERS = ("population", "enrolment", "counsellors", "social_workers", "psychiatrists",
            "psych_teachers", "professionals", "cost", "capacity")
_JOIN_SHARE = 0.5
#: Fields only some kinds use: field → the kinds (others leave the column out).
_KIND_FIELDS = {"subtype": ("school", "hospital", "health_center", "service_site",
                            "governance_center", "petition_office", "institution", "rehab"),
                "grade": ("hospital", "health_center")}


def fits(kind: str, field_: str) -> bool:
    """Whether a layer of ``kind`` uses ``field_``."""
    return kind in _KIND_FIELDS.get(field_, (kind,))
_REGION_NAME = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:自治县|自治旗|县|区|市|旗)")
#: Words ending like a county name that are not one (社区, 城区 …).
_NOT_REGION = ("社区", "小区", "园区", "城区", "景区", "辖区", "市区", "片区", "街区", "城市",
               "县城", "本县", "全县", "全区", "全市")


@dataclass(frozen=True)
class PlannedLedger:
    """A 台账 joined to a layer by code (``[layers.KIND.ledger]``)."""

    source: str
    file: Path
    sheet: str
    header_row: int
    encoding: str | None
    key: str
    columns: tuple[tuple[str, str], ...]
    share: float
    extra_rows: int
    shared_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedLayer:
    """One ``[layers.KIND]`` of the draft."""

    kind: str
    source: str
    file: Path
    sheet: str
    header_row: int | None
    encoding: str | None
    layer: str
    crs: CRSGuess
    columns: tuple[tuple[str, str], ...]
    confidence: float
    status_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    subtype_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ledger: PlannedLedger | None = None
    vector: bool = False


@dataclass(frozen=True)
class PlannedAdmin:
    """One ``[[admin]]`` level of the draft."""

    level: str
    source: str
    file: Path
    layer: str
    crs: CRSGuess
    code_column: str
    name_column: str
    parent_column: str
    confidence: float


@dataclass(frozen=True)
class Plan:
    """The region a draft describes (:func:`plan_region`); paths relative to the folder.

    ``problems`` are the questions and checks of the report: errors the draft cannot
    validate with until they are answered, warnings to check.
    """

    region_name: str
    region_code: str
    name_reason: Reason
    code_reason: Reason
    admin: tuple[PlannedAdmin, ...]
    layers: tuple[PlannedLayer, ...]
    division_codes: Path | None
    network: Path | None
    problems: tuple[Problem, ...]
    survey: Survey
    choices: Choices

    @property
    def questions(self) -> tuple[Problem, ...]:
        """What the planner must answer or check before the draft is right."""
        return tuple(p for p in self.problems if p.code in _QUESTIONS or p.severity == "error")

    def to_dict(self) -> dict[str, Any]:
        def crs(g: CRSGuess) -> dict[str, Any]:
            return g.to_dict()
        return {
            "region": {"name": self.region_name, "code": self.region_code,
                       "name_reason": self.name_reason.to_dict(),
                       "code_reason": self.code_reason.to_dict()},
            "admin": [{"level": a.level, "source": a.source, "file": a.file.as_posix(),
                       "crs": crs(a.crs), "code_column": a.code_column,
                       "name_column": a.name_column, "parent_column": a.parent_column,
                       "confidence": round(a.confidence, 2)} for a in self.admin],
            "layers": [{"kind": lay.kind, "source": lay.source, "file": lay.file.as_posix(),
                        "sheet": lay.sheet, "crs": crs(lay.crs), "columns": dict(lay.columns),
                        "confidence": round(lay.confidence, 2),
                        "status_values": {k: list(v) for k, v in lay.status_values},
                        "subtype_values": {k: list(v) for k, v in lay.subtype_values},
                        "ledger": None if lay.ledger is None else {
                            "source": lay.ledger.source, "key": lay.ledger.key,
                            "columns": dict(lay.ledger.columns),
                            "share": round(lay.ledger.share, 3),
                            "extra_rows": lay.ledger.extra_rows}} for lay in self.layers],
            "division_codes": self.division_codes.as_posix() if self.division_codes else None,
            "network": self.network.as_posix() if self.network else None,
            "problems": [problem_dict(p) for p in self.problems],
        }


_QUESTIONS = ("coordinate_source_unknown", "zone_unknown", "region_name_unsure",
              "hidden_sheet_skipped", "low_confidence")


def plan_region(survey: Survey, *, choices: Choices | None = None) -> Plan:
    """Decide the region a draft describes.

    Parameters
    ----------
    survey
        From :func:`coverage.scaffold.survey`.
    choices
        The planner's overrides; when they change how sources are read or guessed
        (header rows, roles, uses, coordinate sources), the folder is surveyed again.

    Returns
    -------
    Plan
    """
    ch = choices or Choices()
    if ch.rereads:
        survey = survey_folder(survey.folder, source=ch.source or survey.source_answer,
                               max_file_mb=survey.max_file_mb, header_rows=ch.header_rows,
                               roles=ch.roles, uses=ch.uses, sources=ch.sources)
    _check_ledger_choices(survey, ch)
    # files that are not used cannot stop the draft: their problems are notes
    problems: list[Problem] = [replace(p, severity="warning") for p in survey.problems]
    layers_src = _assign(survey.sources, "layer", problems)
    admin_src = _assign(survey.sources, "admin", problems)
    layers = {kind: _layer(src, kind, problems) for kind, src in layers_src.items()}
    _join_ledgers(survey.sources, layers, layers_src, ch, problems)
    admin = tuple(_admin(admin_src[lv], lv, problems) for lv in ("county", "township",
                                                                 "village") if lv in admin_src)
    if not any(a.level in ("county", "township") for a in admin):
        problems.append(Problem(
            str(survey.folder), None, "admin", None,
            "没有县界或乡镇边界 (no county outline and no township polygons were found)",
            "add the county outline (GeoJSON/Shapefile, e.g. from the 天地图 or 国土 office) "
            "to the folder; townships can then come from the 12-digit village codes",
            "error", code="no_boundaries"))
    code, code_reason = _region_code(survey, admin_src, layers_src, ch, problems)
    name, name_reason = _region_name(survey, admin_src, ch, problems)
    for s in survey.sources:
        if not s.visible and s.use.use == "ignore" and s.use.alternatives and \
                s.use.alternatives[0][0] != "ignore":
            use, kind, _ = s.use.alternatives[0]
            problems.append(Problem(
                s.path.as_posix(), s.header_row, None, None,
                f"隐藏工作表未使用 (the hidden sheet '{s.sheet}' looks like "
                f"{use}{':' + kind if kind else ''}; it is not used)",
                f"if it is the current data, choose it: uses = {{\"{s.id}\": \"{use}"
                f"{':' + kind if kind else ''}\"}}; otherwise delete it in Excel",
                "warning", sheet=s.sheet, code="hidden_sheet_skipped"))
    used = {p.source for p in layers.values()} | {a.source for a in admin} | {
        lay.ledger.source for lay in layers.values() if lay.ledger is not None}
    for s in survey.sources:
        problems.extend(p if s.id in used else replace(p, severity="warning")
                        for p in s.problems)
    _ask_crs([survey.source(a.source) for a in admin]
             + [survey.source(lay.source) for lay in layers.values()], problems)
    division = _division_codes(survey, problems)
    network = next((s.path for s in survey.sources if s.use.use == "network"), None)
    for s in survey.sources:
        if s.id in used and s.use.confidence < 0.5:
            problems.append(Problem(
                s.path.as_posix(), None, None, s.use.target,
                f"用途把握不大 (not sure what this is: {s.use.target}, "
                f"{s.use.confidence:.0%})", "check it; choose another use if it is wrong",
                "warning", sheet=s.sheet, code="low_confidence"))
    return Plan(name, code, name_reason, code_reason, admin,
                tuple(layers[k] for k in KIND.codes if k in layers), division, network,
                tuple(problems), survey, ch)


def _check_ledger_choices(survey: Survey, ch: Choices) -> None:
    keys = {s.id for s in survey.sources} | {s.path.as_posix() for s in survey.sources}
    bad = []
    for key, kinds in ch.ledgers.items():
        if key not in keys:
            bad.append(Problem(None, None, f"ledgers.{key}", key,
                               "没有这个文件或工作表 (no such source)",
                               "use one of: " + ", ".join(s.id for s in survey.sources),
                               code="unknown_source_id"))
        bad.extend(Problem(None, None, f"ledgers.{key}", k, "未知的图层类别 (unknown kind)",
                           "use one of: " + ", ".join(KIND.codes), code="unknown_kind")
                   for k in kinds if k not in KIND)
    if bad:
        raise InputError(bad, title="选择有问题 (choices problems)")


def _assign(sources: Sequence[SourceSurvey], use: str, problems: list[Problem]
            ) -> dict[str, SourceSurvey]:
    """Kind (or level) → its source; a source that loses its kind takes its next guess."""
    options = []
    for s in sources:
        if s.use.use == use:
            options.append((s.use.confidence, 0, s, s.use.kind))
            for rank, (u, k, c) in enumerate(s.use.alternatives, 1):
                if u == use and c >= 0.25:
                    options.append((c, rank, s, k))
    chosen: dict[str, SourceSurvey] = {}
    done: set[str] = set()
    for _conf, _rank, s, kind in sorted(options, key=lambda t: (-t[0], t[1])):
        if s.id in done or kind in chosen:
            continue
        chosen[kind] = s
        done.add(s.id)
    for s in sources:
        if s.use.use == use and s.id not in done:
            problems.append(Problem(
                s.path.as_posix(), None, None, s.use.target,
                f"未使用：另一个文件更像 {s.use.target} (not used: another source fits "
                f"{s.use.target} better: {chosen[s.use.kind].id})",
                f"if this one is right, choose it: uses = {{\"{s.id}\": \"{s.use.target}\"}} "
                f"and another use for {chosen[s.use.kind].id}", "warning", sheet=s.sheet,
                code="duplicate_kind"))
    return chosen


def _layer(s: SourceSurvey, kind: str, problems: list[Problem]) -> PlannedLayer:
    roles = s.roles
    cols = [(f, h) for f, h in roles.items() if f != "parent" and fits(kind, f)]
    if s.geometry is not None:
        cols = [(f, h) for f, h in cols if f not in ("lon", "lat", "wkt")]
    for need in ("id", "name"):
        if need not in roles:
            problems.append(Problem(
                s.path.as_posix(), s.header_row, None, None,
                f"找不到{'代码' if need == 'id' else '名称'}列 (no {need} column found for "
                f"the {kind} layer)", f"choose the column: roles = {{\"{s.id}\": "
                f"{{\"<header>\": \"{need}\"}}}}, or add it to the file", "error",
                sheet=s.sheet, code=f"no_{need}_column"))
    columns, status, subtype = _vocabularies(kind, s, cols, problems)
    return PlannedLayer(kind, s.id, s.path, s.sheet or "", s.header_row, s.encoding,
                        s.layer or "", s.crs, columns, s.use.confidence, status, subtype,
                        vector=s.geometry is not None)


_Vocab = tuple[tuple[str, tuple[str, ...]], ...]


def _vocabularies(kind: str, s: SourceSurvey, columns: Sequence[tuple[str, str]],
                  problems: list[Problem]) -> tuple[tuple[tuple[str, str], ...], _Vocab, _Vocab]:
    """Status and subtype mappings for values the glossary does not know; value checks.

    Returns the columns (a subtype column whose values are not types is left out), and the
    ``status_values`` and ``subtype_values`` to write (empty: the glossary's).
    """
    cols = dict(columns)
    status: _Vocab = ()
    subtype: _Vocab = ()
    if "status" in cols:
        vals = _distinct(s.values.get(cols["status"], ()))
        lookup = build_lookup(STATUS_SYNONYMS)
        unknown = [v for v in vals if normalize_cell(v) not in lookup]
        guessed = {v: status_guess(v) for v in unknown}
        if unknown and all(guessed.values()):
            merged = {k: list(v) for k, v in STATUS_SYNONYMS.items()}
            for v, code in guessed.items():
                merged[str(code)].append(v)
            status = tuple((k, tuple(v)) for k, v in merged.items())
            problems.append(_note(s, cols["status"], "status_values_guessed",
                                  "建设情况的取值已按字面猜测 (status values guessed: "
                                  + ", ".join(f"{v} → {guessed[v]}" for v in unknown) + ")",
                                  f"check [layers.{kind}.status_values] in the draft",
                                  "warning"))
        elif unknown:
            bad = [v for v in unknown if not guessed[v]]
            problems.append(_note(s, cols["status"], "status_values_unknown",
                                  "建设情况有无法识别的取值 (status values not understood: "
                                  + ", ".join(bad[:10]) + ")",
                                  f"list them under [layers.{kind}.status_values] "
                                  '(built = ["…"], none = ["…"] …) or correct the cells',
                                  "error"))
    if "subtype" in cols and kind in SUBTYPE_SYNONYMS:
        vocab = SUBTYPE_SYNONYMS[kind]
        lookup = build_lookup(vocab)
        vals = _distinct(s.values.get(cols["subtype"], ()))
        unknown = [v for v in vals if normalize_cell(v) not in lookup]
        mapped = {v: next((k for k, words in vocab.items() for w in words
                           if len(w) >= 2 and w in v), None) for v in unknown}
        if unknown and all(mapped.values()):
            merged = {k: list(v) for k, v in vocab.items()}
            for v, code in mapped.items():
                merged[str(code)].append(v)
            subtype = tuple((k, tuple(v)) for k, v in merged.items())
            problems.append(_note(s, cols["subtype"], "subtype_values_guessed",
                                  "类别取值已按字面归类 (types mapped: " + ", ".join(
                                      f"{v} → {mapped[v]}" for v in unknown) + ")",
                                  f"check [layers.{kind}.subtype_values] in the draft",
                                  "warning"))
        elif unknown:
            problems.append(_note(s, cols.pop("subtype"), "subtype_unknown",
                                  "类别列的取值无法归类，未读取 (the type column's values are not "
                                  "known types; it is not read: " + ", ".join(unknown[:8]) + ")",
                                  f"map them under [layers.{kind}.subtype_values] "
                                  "(e.g. general = [\"…\"]) and add subtype to the columns",
                                  "warning"))
    checks = {"grade": parse_grade, "demonstration": parse_bool}
    for field_, header in cols.items():
        vals = [v for v in s.values.get(header, ()) if v.strip()]
        if not vals or (field_ not in _NUMBERS and field_ not in checks):
            continue
        bad = [v for v in vals if (number_share([v]) == 0 if field_ in _NUMBERS
                                   else checks[field_](v) is None)]
        if bad:
            problems.append(_note(s, header, "values_to_fix",
                                  f"{len(bad)} 个值不合格式 ({len(bad)} values do not fit "
                                  f"{field_}, e.g. {bad[0]!r})",
                                  "correct those cells (coverage validate lists them by row), "
                                  "or leave the column out", "warning"))
    return tuple(cols.items()), status, subtype


def _distinct(values: Sequence[str]) -> list[str]:
    return [v for v, _ in Counter(v.strip() for v in values).most_common() if v]


def _note(s: SourceSurvey, column: str | None, code: str, message: str, fix: str,
          severity: str) -> Problem:
    letter = next((c.letter for c in s.columns if c.header == column), None)
    return Problem(s.path.as_posix(), s.header_row, column or None, None, message, fix,
                   severity, sheet=s.sheet, cell=letter, code=code)  # type: ignore[arg-type]


def _join_ledgers(sources: Sequence[SourceSurvey], layers: dict[str, PlannedLayer],
                  layers_src: Mapping[str, SourceSurvey], ch: Choices,
                  problems: list[Problem]) -> None:
    """Join every 台账 to the layers whose codes it holds (or that the planner chose)."""
    best: dict[str, tuple[float, SourceSurvey]] = {}
    for led in (s for s in sources if s.use.use == "ledger"):
        chosen = ch.ledgers.get(led.id) or ch.ledgers.get(led.path.as_posix())
        shares = {}
        for kind, src in layers_src.items():
            if src.codes:
                shares[kind] = len(src.codes & led.codes) / len(src.codes)
        kinds = list(chosen) if chosen else [k for k, v in shares.items() if v >= _JOIN_SHARE]
        if not kinds:
            top = max(shares.items(), key=lambda kv: kv[1], default=None)
            problems.append(Problem(
                led.path.as_posix(), led.header_row, led.roles.get("id"), None,
                "台账的代码与任何点位图层都对不上，未使用 (the 台账's codes match no point "
                "layer; it is not used" + (f"; best: {top[0]} {top[1]:.0%}" if top else "")
                + ")", "check that both use the same codes (12-digit 统计用区划代码, 机构代码 "
                "…); or, if the 台账 has coordinates, add 经度/纬度 columns so that it is a "
                "layer itself", "warning", sheet=led.sheet, code="ledger_unmatched"))
            continue
        for kind in kinds:
            share = shares.get(kind, 0.0)
            if kind in layers and (kind not in best or share > best[kind][0]):
                best[kind] = (share, led)
    feeds = Counter(led.id for _, led in best.values())
    for kind, (share, led) in best.items():
        layer = layers[kind]
        lay_roles = dict(layer.columns)
        key = led.roles.get("id")
        if key is None:
            continue
        cols = [(f, h) for f, h in led.roles.items() if f not in ("id", "lon", "lat", "wkt",
                                                                   "parent")
                and (f in _LEDGER_FIELDS or f not in lay_roles) and fits(kind, f)]
        keep = tuple((f, h) for f, h in layer.columns if f not in dict(cols))
        extra = len(led.codes - layers_src[kind].codes)
        ledger = PlannedLedger(led.id, led.path, led.sheet or "", led.header_row or 1,
                               led.encoding, key, tuple(cols), share, extra,
                               tuple(k for k, (_, other) in best.items()
                                     if other.id == led.id and k != kind))
        cols_checked, status, subtype = _vocabularies(kind, led, cols, problems)
        ledger = replace(ledger, columns=cols_checked)
        if status:
            layer = replace(layer, status_values=status)
        elif "status" in dict(cols_checked):
            layer = replace(layer, status_values=())
        if subtype:
            layer = replace(layer, subtype_values=subtype)
        layers[kind] = replace(layer, columns=keep, ledger=ledger)
        if feeds[led.id] == 1 and extra:
            problems.append(Problem(
                led.path.as_posix(), led.header_row, key, None,
                f"台账有 {extra} 行在 {kind} 图层中没有点位：计为未定位 ({extra} rows of the "
                f"台账 have no point in the {kind} layer: they count as 未定位 rows, in the "
                "rates but not on the map)", "nothing to do if they have no coordinates yet",
                "warning", sheet=led.sheet, code="ledger_unlocated_rows"))


def _admin(s: SourceSurvey, level: str, problems: list[Problem]) -> PlannedAdmin:
    roles = s.roles
    missing = [n for n in ("id", "name") if n not in roles]
    if missing and level == "county":
        missing = []  # a bare county outline takes the region's code and name ([region])
    if missing:
        problems.append(Problem(
            s.path.as_posix(), None, None, ", ".join(s.roles.values()) or None,
            f"边界文件缺少{'代码' if 'id' in missing else ''}{'名称' if 'name' in missing else ''}"
            f"字段 (the boundary file has no {' and no '.join(missing)} attribute"
            + ("; it holds only the geometry" if not s.columns else "") + ")",
            "add the attribute fields in QGIS/ArcGIS (代码 = the 6/9/12-digit code, 名称 = the "
            "name) and save, or use a boundary file that has them (e.g. DataV's adcode/name)",
            "error", code="boundary_without_attributes"))
    return PlannedAdmin(level, s.id, s.path, s.layer or "", s.crs, roles.get("id", ""),
                        roles.get("name", ""),
                        roles.get("parent", "") if level != "county" else "", s.use.confidence)


def _ask_crs(sources: Sequence[SourceSurvey], problems: list[Problem]) -> None:
    """One question for every source in degrees whose origin nobody answered (one answer
    serves them all), one per source in metres of unknown zone."""
    degrees = []
    for s in sources:
        g = s.crs
        if not g.needs_answer:
            continue
        if g.units == "degrees":
            degrees.append(s.id + (f"（文件注明“{g.evidence}” → {g.crs}）" if g.evidence
                                   and g.reason.code == "declared_text" else ""))
            continue
        problems.append(Problem(
            s.path.as_posix(), None, None, None,
            "坐标是米制投影坐标，但东坐标没有带号，无法判断投影带 (the coordinates are projected "
            "metres without a zone number; the zone cannot be told)",
            f'answer the CRS: --source {s.id}=EPSG:45xx (CGCS2000 3-degree zone; ask the '
            'surveyor), or set crs = "EPSG:…" in the draft', "error", sheet=s.sheet,
            code="zone_unknown"))
    if degrees:
        problems.append(Problem(
            "、".join(degrees), None, None, None,
            "经纬度无法从数值判断来源：GCJ-02（高德/腾讯）与 WGS84 的数字看起来一样，相差数百米 "
            "(longitude/latitude: GCJ-02 and WGS84 cannot be told apart from the numbers; "
            "they differ by some hundred metres)", ANSWER_FIX, "warning",
            code="coordinate_source_unknown"))


def _region_code(survey: Survey, admin: Mapping[str, SourceSurvey],
                 layers: Mapping[str, SourceSurvey], ch: Choices, problems: list[Problem]
                 ) -> tuple[str, Reason]:
    if ch.region_code:
        return ch.region_code, Reason.of("choice")
    county = admin.get("county")
    if county is not None and "id" in county.roles:
        codes = [c for c in county.codes if c.isdigit()]
        if codes and len(codes[0]) >= 6:
            return codes[0][:6], Reason.of("county_file", column=county.roles["id"])
    votes: Counter[str] = Counter()
    for s in (*layers.values(), *admin.values()):
        for c in s.codes:
            if c.isdigit() and len(c) in (9, 12):
                votes[c[:6]] += 1
    if votes:
        return votes.most_common(1)[0][0], Reason.of("code_length", digits=12)
    problems.append(Problem(
        str(survey.folder), None, "region.code", None,
        "无法确定县级区划代码 (the 6-digit county code cannot be found in the files)",
        "give it: coverage init --code 370831 (the county's 统计用区划代码), or set code in "
        "[region] of the draft", "error", code="region_code_unknown"))
    return "000000", Reason.of("no_roles")


def _region_name(survey: Survey, admin: Mapping[str, SourceSurvey], ch: Choices,
                 problems: list[Problem]) -> tuple[str, Reason]:
    if ch.region_name:
        return ch.region_name, Reason.of("choice")
    county = admin.get("county")
    if county is not None and "name" in county.roles:
        names = _distinct(county.values.get(county.roles["name"], ()))
        if names:
            return names[0], Reason.of("county_file", column=county.roles["name"])
    def names_in(texts: list[str]) -> Counter[str]:
        return Counter(m for t in texts for m in _REGION_NAME.findall(t)
                       if not m.endswith(_NOT_REGION))

    found = names_in([survey.folder.name]) or names_in(
        [s.title for s in survey.sources] + [s.path.stem for s in survey.sources])
    name = found.most_common(1)[0][0] if found else survey.folder.name
    reason = Reason.of("title_hint", word=name) if found else Reason.of("folder_name")
    problems.append(Problem(
        str(survey.folder), None, "region.name", name,
        f"地区名称是猜的：“{name}” (the region name is a guess)",
        "check it; give it with --name 泗水县 or in [region] name of the draft", "warning",
        code="region_name_unsure"))
    return name, reason


def _division_codes(survey: Survey, problems: list[Problem]) -> Path | None:
    for s in survey.sources:
        if s.use.use != "division_codes":
            continue
        first_sheet = s.format != "xlsx" or s.id == next(
            x.id for x in survey.sources if x.path == s.path and x.visible)
        if s.header_row == 1 and first_sheet:
            return s.path
        problems.append(Problem(
            s.path.as_posix(), s.header_row, None, None,
            "区划代码表须为CSV或工作簿的第一个工作表、表头在第1行 (a division code list is read "
            "from a CSV or the first sheet, with the headers on row 1)",
            "save the list as CSV (code, name) and run coverage init again", "warning",
            sheet=s.sheet, code="division_codes_unreadable"))
    return None
