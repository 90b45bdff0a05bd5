"""Preset files: strict parsing of indicators, loading the built-in presets, overrides.

The file format is documented in :mod:`coverage.targets._model`.  Every problem in a preset or
a region's ``[targets]`` table is collected and reported together with its key path.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, cast

from coverage.problems import InputError, Problems
from coverage.targets._model import (
    INDICATOR_KINDS,
    OPERATORS,
    SCOPES,
    SUM_COLUMNS,
    WHERE_COLUMNS,
    Citation,
    Condition,
    Indicator,
    IndicatorKind,
    Scope,
    Selector,
    TargetPreset,
)
from coverage.vocabulary import KNOWN_KINDS, STATUSES

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PRESET_KEYS = ("id", "name", "document", "issued", "source", "deadline", "note")
_INDICATOR_KEYS = ("id", "name", "kind", "scope", "target", "per", "deadline", "enabled",
                   "note", "numerator", "denominator", "citation")
_SELECTOR_KEYS = ("layers", "units", "statuses", "where", "column")
_CITATION_KEYS = ("file", "quote", "clause")
_OVERRIDE_KEYS = ("target", "deadline", "enabled")

__all__ = [
    "apply_overrides",
    "list_presets",
    "load_preset",
    "parse_indicator",
    "preset_from_config",
    "preset_names",
]



class _Parser:
    """Parse mappings into dataclasses, collecting problems with key paths."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.problems = Problems()

    def err(self, key: str, message: str, *, value: object = None, fix: str = "") -> None:
        self.problems.add(message, file=self.file, column=key, value=value, fix=fix)

    def keys(self, table: Mapping[str, Any], path: str, allowed: Sequence[str]) -> None:
        for k in table:
            if k not in allowed:
                self.err(f"{path}.{k}" if path else k, "unknown key", value=k,
                         fix="allowed keys: " + ", ".join(allowed))

    def text(self, table: Mapping[str, Any], path: str, key: str, *,
             required: bool = False, default: str = "") -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.err(f"{path}.{key}", "missing required key", fix=f"add {key} = \"...\"")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.err(f"{path}.{key}", "expected non-empty text", value=value)
            return default
        return value

    def date(self, table: Mapping[str, Any], path: str, key: str) -> dt.date | None:
        value = table.get(key)
        if value is None:
            return None
        return self.date_value(value, f"{path}.{key}")

    def date_value(self, value: object, key: str) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.err(key, "expected a date", value=value, fix="write it as 2025-12-31")
        return None

    def str_list(self, value: object, key: str, choices: Sequence[str]) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            self.err(key, "expected a non-empty list of text", value=value,
                     fix="allowed: " + ", ".join(choices))
            return ()
        out: list[str] = []
        for item in value:
            if item not in choices:
                self.err(key, f"unknown value {item!r}", value=item,
                         fix="allowed: " + ", ".join(choices))
            else:
                out.append(item)
        return tuple(out)


def _number(p: _Parser, value: object, key: str) -> Fraction | None:
    """Exact fraction from a TOML number via its decimal text (0.8 -> 4/5)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        p.err(key, "expected a number", value=value)
        return None
    try:
        frac = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, ZeroDivisionError):
        p.err(key, "expected a number", value=value)
        return None
    if frac < 0:
        p.err(key, "must not be negative", value=value)
        return None
    return frac


def _parse_where(p: _Parser, value: object, key: str) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        p.err(key, "expected a table { column = value | [values] | { op = value } }",
              value=value)
        return ()
    out: list[Condition] = []
    for column, cond in value.items():
        ckey = f"{key}.{column}"
        if column not in WHERE_COLUMNS:
            p.err(ckey, f"unknown column {column!r}", value=column,
                  fix="allowed: " + ", ".join(WHERE_COLUMNS))
            continue
        if isinstance(cond, Mapping):
            if not cond:
                p.err(ckey, "empty condition", fix="e.g. { ge = 2 }")
            for op, v in cond.items():
                if op not in OPERATORS:
                    p.err(f"{ckey}.{op}", f"unknown operator {op!r}", value=op,
                          fix="allowed: " + ", ".join(OPERATORS))
                    continue
                if op in ("in", "not_in"):
                    if not isinstance(v, list) or not v:
                        p.err(f"{ckey}.{op}", "expected a non-empty list", value=v)
                        continue
                    v = tuple(v)
                elif isinstance(v, list | Mapping):
                    p.err(f"{ckey}.{op}", "expected a single value", value=v)
                    continue
                if op in ("ge", "gt", "le", "lt") and (
                        isinstance(v, bool) or not isinstance(v, int | float)):
                    p.err(f"{ckey}.{op}", "comparison needs a number", value=v)
                    continue
                out.append(Condition(column, op, v))
        elif isinstance(cond, list):
            if not cond:
                p.err(ckey, "expected a non-empty list", value=cond)
                continue
            out.append(Condition(column, "in", tuple(cond)))
        else:
            out.append(Condition(column, "eq", cond))
    return tuple(out)


def _parse_selector(p: _Parser, value: object, key: str) -> Selector | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        p.err(key, "expected a table", value=value,
              fix='e.g. { layers = ["village"], statuses = ["built"] }')
        return None
    p.keys(value, key, _SELECTOR_KEYS)
    layers: tuple[str, ...] = ()
    if "layers" in value:
        layers = p.str_list(value["layers"], f"{key}.layers", KNOWN_KINDS)
    units = value.get("units")
    if units is not None and units != "township":
        p.err(f"{key}.units", "only units = \"township\" is supported", value=units)
        units = None
    statuses: tuple[str, ...] = ()
    if "statuses" in value:
        statuses = p.str_list(value["statuses"], f"{key}.statuses", STATUSES)
    where = _parse_where(p, value["where"], f"{key}.where") if "where" in value else ()
    column = value.get("column")
    if column is not None and column not in SUM_COLUMNS:
        p.err(f"{key}.column", f"unknown numeric column {column!r}", value=column,
              fix="allowed: " + ", ".join(SUM_COLUMNS))
        column = None
    return Selector(layers=layers, units=units, statuses=statuses, where=where, column=column)


def _check_kind_rules(p: _Parser, key: str, kind: str, scope: str, target: Fraction | None,
                      num: Selector | None, den: Selector | None, per: int | None) -> None:
    """The rules that tie kind, scope, numerator and denominator together."""
    nk, dk = f"{key}.numerator", f"{key}.denominator"
    if num is None:
        p.err(nk, "missing required table", fix="add numerator = { ... }")
        return
    if kind == "rate":
        if den is None:
            p.err(dk, "a rate needs a denominator",
                  fix='denominator = { layers = ["village"] } or { units = "township" }')
            return
        if bool(den.layers) == bool(den.units):
            p.err(dk, "give exactly one of layers or units", value=dict(
                layers=list(den.layers), units=den.units))
        if den.statuses or den.column:
            p.err(dk, "a rate denominator takes layers/units and where only")
        if num.column:
            p.err(f"{nk}.column", "a rate counts units; column is not allowed")
        if den.units:
            if not num.layers:
                p.err(f"{nk}.layers", "covering townships needs the site layers",
                      fix='e.g. numerator = { layers = ["rehab"], statuses = ["built"] }')
            if scope == "village":
                p.err(f"{key}.scope", "a township coverage rate cannot have scope village")
        else:
            if num.layers:
                p.err(f"{nk}.layers", "the numerator counts the denominator's units; "
                      "remove layers here")
            if not num.statuses and not num.where:
                p.err(nk, "say which units count: statuses and/or where")
        if target is not None and target > 1:
            p.err(f"{key}.target", "a rate target is a fraction", value=float(target),
                  fix="write 0.8 for 80%")
        if scope == "village" and target is not None and target != 1:
            p.err(f"{key}.target", "scope village means every unit must meet it; "
                  "the target must be 1.0", value=float(target))
    elif kind == "count":
        if den is not None:
            p.err(dk, "a count has no denominator")
        if not num.layers:
            p.err(f"{nk}.layers", "missing required key", fix='e.g. layers = ["institution"]')
        if num.column:
            p.err(f"{nk}.column", "a count counts sites; column is not allowed")
        if scope == "village":
            p.err(f"{key}.scope", "a count holds per county or per township",
                  fix='scope = "county" or "township"')
        if target is not None and target.denominator != 1:
            p.err(f"{key}.target", "a count target must be a whole number",
                  value=float(target))
    elif kind == "per_population":
        if not num.layers:
            p.err(f"{nk}.layers", "missing required key",
                  fix='e.g. layers = ["service_site", "health_center"]')
        if den is not None and (den.units or den.statuses):
            p.err(dk, "the population denominator takes layers, where and column only")
        if scope == "village":
            p.err(f"{key}.scope", "a per-population ratio holds per county or per township")
    elif kind == "staff_ratio":
        if not num.column:
            p.err(f"{nk}.column", "a staff ratio sums a staff column",
                  fix='e.g. column = "psych_teachers"')
        if num.layers or num.units or num.statuses:
            p.err(nk, "a staff ratio's numerator is on the denominator's units; "
                  "give column (and where) only")
        if den is None or not den.layers or not den.column:
            p.err(dk, "a staff ratio needs denominator layers and column",
                  fix='e.g. { layers = ["school"], where = { subtype = ["college"] }, '
                      'column = "enrolment" }')
        if per is None:
            p.err(f"{key}.per", "missing required key", fix="1:4000 is target = 1, per = 4000")


def parse_indicator(
    table: Mapping[str, Any],
    *,
    key: str,
    file: str | None = None,
    default_citation_file: str = "",
    default_deadline: dt.date | None = None,
    source: str = "preset",
    problems: Problems | None = None,
) -> Indicator | None:
    """Parse one indicator table (the preset schema) into an :class:`Indicator`.

    Parameters
    ----------
    table
        The ``[[indicator]]`` (or ``[[targets.custom]]``) table.
    key
        Its key path for problem messages, e.g. ``indicator[3]`` or ``targets.custom[1]``.
    file
        The file the table came from.
    default_citation_file, default_deadline
        The preset's defaults.
    source
        ``"preset"`` or ``"custom"``.
    problems
        Collector to append to; when ``None`` the problems raise :class:`InputError` at once.

    Returns
    -------
    Indicator or None
        ``None`` when the table has errors (they are in ``problems``).
    """
    p = _Parser(file)
    if not isinstance(table, Mapping):
        p.err(key, "expected a table", value=table)
        return _finish(p, problems, None)
    p.keys(table, key, _INDICATOR_KEYS)
    ind_id = p.text(table, key, "id", required=True)
    if ind_id and not _ID_RE.match(ind_id):
        p.err(f"{key}.id", "ids are lower-case letters, digits and _", value=ind_id,
              fix="e.g. village_room_rate")
    name = p.text(table, key, "name", required=True)
    kind = table.get("kind")
    if kind not in INDICATOR_KINDS:
        p.err(f"{key}.kind", "missing or unknown kind" if kind is None else "unknown kind",
              value=kind, fix="one of: " + ", ".join(INDICATOR_KINDS))
    scope = table.get("scope", "county")
    if scope not in SCOPES:
        p.err(f"{key}.scope", "unknown scope", value=scope, fix="one of: " + ", ".join(SCOPES))
    target: Fraction | None = None
    if "target" not in table:
        p.err(f"{key}.target", "missing required key", fix="e.g. target = 0.8")
    else:
        target = _number(p, table["target"], f"{key}.target")
    per: int | None = None
    if "per" in table:
        raw = table["per"]
        if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
            p.err(f"{key}.per", "expected a positive whole number", value=raw)
        else:
            per = raw
    if kind == "per_population" and per is None and "per" not in table:
        per = 100_000
    if kind in ("rate", "count") and "per" in table:
        p.err(f"{key}.per", f"per is not used by kind {kind!r}", value=table["per"])
    deadline = p.date(table, key, "deadline") or default_deadline
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        p.err(f"{key}.enabled", "expected true or false", value=enabled)
        enabled = True
    note = p.text(table, key, "note")
    num = _parse_selector(p, table.get("numerator"), f"{key}.numerator")
    den = _parse_selector(p, table.get("denominator"), f"{key}.denominator")
    if kind == "per_population":
        den = den or Selector()
        den = replace(den, layers=den.layers or ("village", "community"),
                      column=den.column or "population")
    if kind in INDICATOR_KINDS and scope in SCOPES:
        _check_kind_rules(p, key, str(kind), str(scope), target, num, den, per)
    citation = _parse_citation(p, table.get("citation"), f"{key}.citation",
                               default_citation_file)
    if p.problems.errors or num is None or citation is None or target is None:
        return _finish(p, problems, None)
    ind = Indicator(
        id=ind_id, name=name, kind=cast(IndicatorKind, kind), scope=cast(Scope, scope),
        target=target,
        numerator=num, denominator=den, citation=citation, per=per, deadline=deadline,
        enabled=enabled, note=note, source=source,
    )
    return _finish(p, problems, ind)


def _finish(p: _Parser, problems: Problems | None, value: Indicator | None) -> Indicator | None:
    if problems is None:
        p.problems.raise_if_errors(title="目标指标定义有误 (bad indicator definition)")
    else:
        problems.extend(p.problems)
    return value


def _parse_citation(p: _Parser, value: object, key: str, default_file: str) -> Citation | None:
    if value is None:
        p.err(key, "missing citation: every target must cite its document",
              fix='citation = { file = "方案.txt", quote = "原文中的一句" }')
        return None
    if not isinstance(value, Mapping):
        p.err(key, "expected a table { file, quote }", value=value)
        return None
    p.keys(value, key, _CITATION_KEYS)
    file = p.text(value, key, "file", default=default_file)
    if not file:
        p.err(f"{key}.file", "missing required key (no [preset].source default)")
    quote = p.text(value, key, "quote", required=True)
    clause = p.text(value, key, "clause")
    if not file or not quote:
        return None
    return Citation(file=file, quote=quote, clause=clause)


def _parse_preset(data: Mapping[str, Any], *, file: str, path: Path | None) -> TargetPreset:
    p = _Parser(file)
    p.keys(data, "", ("preset", "indicator"))
    head = data.get("preset")
    if not isinstance(head, Mapping):
        p.err("preset", "missing [preset] table", fix='add [preset] with id and name')
        head = {}
    p.keys(head, "preset", _PRESET_KEYS)
    preset_id = p.text(head, "preset", "id", required=True)
    name = p.text(head, "preset", "name", required=True)
    source = p.text(head, "preset", "source")
    deadline = p.date(head, "preset", "deadline")
    issued = p.date(head, "preset", "issued")
    items = data.get("indicator")
    if not isinstance(items, list) or not items:
        p.err("indicator", "a preset needs at least one [[indicator]] table")
        items = []
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for i, table in enumerate(items, 1):
        key = f"indicator[{i}]"
        if isinstance(table, Mapping) and isinstance(table.get("id"), str):
            if table["id"] in seen:
                p.err(f"{key}.id", "duplicate indicator id", value=table["id"])
            seen.add(table["id"])
        ind = parse_indicator(table, key=key, file=file, default_citation_file=source,
                              default_deadline=deadline, problems=p.problems)
        if ind is not None:
            indicators.append(ind)
    p.problems.raise_if_errors(title=f"目标预设文件有误 (bad target preset) {file}")
    return TargetPreset(
        id=preset_id, name=name, indicators=tuple(indicators),
        document=p.text(head, "preset", "document"), issued=issued, source=source,
        deadline=deadline, note=p.text(head, "preset", "note"), path=path,
    )


# --------------------------------------------------------------------------- loading

_PACKAGE = "coverage.targets.presets"


def preset_names() -> list[str]:
    """Names of the presets shipped with the package, sorted."""
    root = resources.files(_PACKAGE)
    return sorted(e.name[:-5] for e in root.iterdir() if e.name.endswith(".toml"))


def load_preset(name_or_path: str | Path) -> TargetPreset:
    """Load a shipped preset by name or a user preset TOML by path.

    Parameters
    ----------
    name_or_path
        ``"national_2018"``, ``"wujiang_2019"``, ``"wuzhong_2023"``, ``"changning_2021"``,
        ``"sishui_2023"``, or a path to a TOML file with the same schema.

    Raises
    ------
    InputError
        Unknown name, unreadable file, or any schema problem (all listed with key paths).
    """
    text_name = str(name_or_path)
    if isinstance(name_or_path, str) and name_or_path in preset_names():
        res = resources.files(_PACKAGE) / f"{name_or_path}.toml"
        raw = res.read_text(encoding="utf-8")
        file, path = f"{name_or_path}.toml", None
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputError.single(
                f"unknown target preset {text_name!r} (not a shipped preset, no such file)",
                column="targets.preset", value=text_name,
                fix="one of: " + ", ".join(preset_names()) + ", or a path to a preset TOML")
        raw = path.read_text(encoding="utf-8-sig")
        file = str(path)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(f"not valid TOML: {exc}", file=file,
                                fix="check quotes and brackets near the line given") from exc
    return _parse_preset(data, file=file, path=path)


def list_presets() -> list[TargetPreset]:
    """Load every shipped preset, sorted by name."""
    return [load_preset(n) for n in preset_names()]


def apply_overrides(
    preset: TargetPreset,
    overrides: Mapping[str, Mapping[str, Any]],
    custom: Sequence[Mapping[str, Any]] = (),
) -> TargetPreset:
    """Return a copy of ``preset`` with the region config's overrides and custom indicators.

    Parameters
    ----------
    preset
        The base preset.
    overrides
        ``[targets.overrides.ID]`` tables: ``target``, ``deadline``, ``enabled``.
    custom
        ``[[targets.custom]]`` tables with the preset indicator schema (citation required).

    Raises
    ------
    InputError
        Unknown indicator ids or keys, bad values, duplicate ids; all listed with key paths.
    """
    p = _Parser(None)
    by_id = {i.id: i for i in preset.indicators}
    changed: dict[str, Indicator] = {}
    for ind_id, table in overrides.items():
        key = f"targets.overrides.{ind_id}"
        if ind_id not in by_id:
            p.err(key, f"preset {preset.id!r} has no indicator {ind_id!r}", value=ind_id,
                  fix="one of: " + ", ".join(by_id))
            continue
        if not isinstance(table, Mapping):
            p.err(key, "expected a table", value=table)
            continue
        p.keys(table, key, _OVERRIDE_KEYS)
        ind = by_id[ind_id]
        updates: dict[str, Any] = {}
        if "target" in table:
            target = _number(p, table["target"], f"{key}.target")
            if target is not None:
                _check_target(p, f"{key}.target", ind, target)
                updates["target"] = target
        if "deadline" in table:
            deadline = p.date_value(table["deadline"], f"{key}.deadline")
            if deadline is not None:
                updates["deadline"] = deadline
        if "enabled" in table:
            if isinstance(table["enabled"], bool):
                updates["enabled"] = table["enabled"]
            else:
                p.err(f"{key}.enabled", "expected true or false", value=table["enabled"])
        changed[ind_id] = replace(ind, **updates, source="override") if updates else ind
    added: list[Indicator] = []
    seen = set(by_id)
    for i, table in enumerate(custom, 1):
        key = f"targets.custom[{i}]"
        new = parse_indicator(table, key=key, default_deadline=preset.deadline,
                              source="custom", problems=p.problems)
        if new is None:
            continue
        if new.id in seen:
            p.err(f"{key}.id", "an indicator with this id already exists", value=new.id,
                  fix="use a new id, or [targets.overrides.ID] to change a preset indicator")
            continue
        seen.add(new.id)
        added.append(new)
    p.problems.raise_if_errors(title="[targets] 设置有误 (bad targets settings)")
    indicators = tuple(changed.get(i.id, i) for i in preset.indicators) + tuple(added)
    return replace(preset, indicators=indicators)


def _check_target(p: _Parser, key: str, ind: Indicator, target: Fraction) -> None:
    if ind.kind == "rate" and target > 1:
        p.err(key, "a rate target is a fraction", value=float(target), fix="write 0.8 for 80%")
    elif ind.kind == "rate" and ind.scope == "village" and target != 1:
        p.err(key, "scope village means every unit must meet it; the target must be 1.0",
              value=float(target))
    elif ind.kind == "count" and target.denominator != 1:
        p.err(key, "a count target must be a whole number", value=float(target))



def preset_from_config(targets: Any, *, base_dir: str | Path | None = None) -> TargetPreset:
    """The preset a region's ``[targets]`` table asks for, with overrides and custom indicators.

    Parameters
    ----------
    targets
        A :class:`coverage.config.TargetsConfig` (``preset``, ``overrides``, ``custom``).
    base_dir
        Folder of the region TOML: a relative preset path is resolved against it.
    """
    name = str(targets.preset)
    if name not in preset_names() and base_dir is not None and not Path(name).is_absolute():
        candidate = Path(base_dir) / name
        if candidate.is_file():
            name = str(candidate)
    preset = load_preset(name)
    return apply_overrides(preset, targets.overrides, targets.custom)
