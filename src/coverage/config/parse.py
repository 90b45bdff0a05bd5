"""Reading a region TOML (:mod:`tomllib`) into :mod:`coverage.config.model` dataclasses.

Every problem in the file (unknown keys, wrong types, values outside the allowed set,
missing files) is collected and raised together as one :class:`~coverage.problems.ConfigError`
whose problems carry the TOML key path (``layers.school.columns.lon``) and the allowed values.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage.config._checks import (
    check_region_code,
    check_values,
    folder_name_problem,
    read_toml,
)
from coverage.config.model import (
    BASEMAPS,
    MODELS,
    MODES,
    AccessConfig,
    AdminConfig,
    ExtraCandidate,
    LayerConfig,
    LedgerConfig,
    MapConfig,
    OptimizeConfig,
    RegionConfig,
    RegionInfo,
    ServiceConfig,
    TargetsConfig,
    Threshold,
    default_services,
)
from coverage.problems import ConfigError, Problems
from coverage.synonyms import STATUS_SYNONYMS
from coverage.vocabulary import ADMIN_LEVELS, CANONICAL_FIELDS, KNOWN_KINDS, STATUSES

__all__ = ["apply_scenario", "load_config", "parse_config"]


def apply_scenario(config: RegionConfig, name: str) -> RegionConfig:
    """``config`` with scenario ``name``'s overrides applied (``[scenarios.NAME]``)."""
    if name not in config.scenarios:
        raise ConfigError.single(
            f"unknown scenario '{name}'",
            file=str(config.path) if config.path else None,
            column="scenarios",
            fix="use one of: " + (", ".join(config.scenarios) or "(none defined)"),
        )
    merged = _deep_merge(dict(config.raw), dict(config.scenarios[name]))
    merged.pop("scenarios", None)
    return parse_config(merged, base_dir=config.base_dir, path=config.path)


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(dict(out[k]), v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class _Reader:
    """Typed access to a TOML table that records problems instead of raising."""

    def __init__(self, problems: Problems, file: str | None, base_dir: Path) -> None:
        self.problems = problems
        self.file = file
        self.base_dir = base_dir

    def err(self, key: str, message: str, *, value: object = None, fix: str = "") -> None:
        self.problems.add(message, file=self.file, column=key, value=value, fix=fix)

    def table(self, data: Mapping[str, Any], key: str, allowed: Sequence[str]) -> None:
        """Report unknown keys of a table, with a close match when there is one."""
        for k in data:
            if k not in allowed:
                close = difflib.get_close_matches(k, list(allowed), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.err(
                    f"{key}.{k}" if key else k,
                    "unknown key",
                    fix=f"{hint}allowed keys: {', '.join(allowed)}",
                )

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        name: str,
        typ: type | tuple[type, ...],
        default: Any = None,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
    ) -> Any:
        path = f"{key}.{name}" if key else name
        if name not in data:
            if required:
                self.err(path, "required key is missing", fix=f"add `{name} = …` to [{key}]")
            return default
        value = data[name]
        types = typ if isinstance(typ, tuple) else (typ,)
        # TOML's true/false are Python ints: only a bool where a bool is asked for
        ok = isinstance(value, typ) and not (isinstance(value, bool) and bool not in types)
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            tname = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
            self.err(path, f"expected {tname}, got {type(value).__name__}", value=value)
            return default
        if choices is not None and value not in choices:
            self.err(path, "value not allowed", value=value,
                     fix=f"use one of: {', '.join(choices)}")
            return default
        return value

    def str_list(
        self,
        data: Mapping[str, Any],
        key: str,
        name: str,
        default: tuple[str, ...],
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
    ) -> tuple[str, ...]:
        value = self.get(data, key, name, list, None, required=required)
        if value is None:
            return default
        out: list[str] = []
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.err(f"{key}.{name}[{i}]", "expected a string", value=v)
            elif choices is not None and v not in choices:
                self.err(
                    f"{key}.{name}[{i}]", "value not allowed", value=v,
                    fix=f"use one of: {', '.join(choices)}",
                )
            else:
                out.append(v)
        return tuple(out)

    def path(self, data: Mapping[str, Any], key: str, name: str, *, required: bool) -> Path | None:
        value = self.get(data, key, name, str, None, required=required)
        if value is None or value == "":
            return None
        p = Path(value)
        if not p.is_absolute():
            p = self.base_dir / p
        if not p.exists():
            self.err(
                f"{key}.{name}",
                f"file not found: {p}",
                value=value,
                fix="check the path (relative paths are resolved against the TOML's folder)",
            )
        return p


def load_config(path: str | Path) -> RegionConfig:
    """Read and validate a region TOML file.

    Parameters
    ----------
    path
        The region TOML file: UTF-8 (a byte-order mark is accepted) or UTF-16 with one.

    Returns
    -------
    RegionConfig
        The validated configuration.

    Raises
    ------
    ConfigError
        Listing every problem in the file.
    """
    p = Path(path)
    return parse_config(read_toml(p), base_dir=p.resolve().parent, path=p)


def parse_config(
    data: Mapping[str, Any], *, base_dir: Path, path: Path | None = None
) -> RegionConfig:
    """Validate an already-parsed TOML mapping (see :func:`load_config`)."""
    problems = Problems()
    r = _Reader(problems, str(path) if path else None, base_dir)
    r.table(data, "", ["region", "admin", "layers", "targets", "access", "optimize", "suggest",
                       "map", "scenarios"])

    check_values(r.err, data, "")
    reg = _as_table(r, data, "region", required=True)
    r.table(reg, "region", ["name", "code", "data_date", "source", "organisation", "strict",
                            "metric_crs", "tiling_tolerance", "division_codes", "max_file_mb"])
    info = RegionInfo(
        name=r.get(reg, "region", "name", str, "", required=True),
        code=str(r.get(reg, "region", "code", (str, int), "", required=True)),
        data_date=str(r.get(reg, "region", "data_date", (str,), "")),
        source=r.get(reg, "region", "source", str, ""),
        organisation=r.get(reg, "region", "organisation", str, ""),
        strict=r.get(reg, "region", "strict", bool, False),
        metric_crs=r.get(reg, "region", "metric_crs", str, "auto"),
        tiling_tolerance=r.get(reg, "region", "tiling_tolerance", float, 0.02),
        division_codes=r.path(reg, "region", "division_codes", required=False),
        max_file_mb=r.get(reg, "region", "max_file_mb", float, 256.0),
    )
    if "code" in reg:
        check_region_code(r.err, reg["code"])
    if not 0 <= info.tiling_tolerance < 1:
        r.err("region.tiling_tolerance", "must be a share of the county area in [0, 1)",
              value=info.tiling_tolerance, fix="e.g. tiling_tolerance = 0.02 (2 %)")
    if not info.max_file_mb > 0:
        r.err("region.max_file_mb", "must be positive", value=info.max_file_mb,
              fix="e.g. max_file_mb = 256")

    admin = _parse_admin(r, data.get("admin"))
    layers = _parse_layers(r, data.get("layers"))
    targets = _parse_targets(r, _as_table(r, data, "targets"))
    access = _parse_access(r, _as_table(r, data, "access"), layers)
    if "suggest" in data and "optimize" in data:
        r.err("suggest", "both [suggest] and [optimize] are given; they are the same section",
              fix="keep one of them (the demo uses [optimize])")
    opt_key = "suggest" if "suggest" in data and "optimize" not in data else "optimize"
    optimize = _parse_optimize(r, _as_table(r, data, opt_key), access)
    mp = _as_table(r, data, "map")
    r.table(mp, "map", ["basemap", "tianditu_key", "title", "locator_file"])
    map_cfg = MapConfig(
        basemap=r.get(mp, "map", "basemap", str, "none", choices=BASEMAPS),
        tianditu_key=r.get(mp, "map", "tianditu_key", str, ""),
        title=r.get(mp, "map", "title", str, ""),
        locator_file=r.path(mp, "map", "locator_file", required=False),
    )
    if map_cfg.basemap == "tianditu" and not map_cfg.tianditu_key:
        r.err("map.tianditu_key", "the 天地图 basemap needs a key",
              fix="set tianditu_key = \"…\" (apply at lbs.tianditu.gov.cn) or basemap = \"none\"")
    scen = _as_table(r, data, "scenarios")
    scenarios: dict[str, Mapping[str, Any]] = {}
    for name, over in scen.items():
        if not isinstance(over, Mapping):
            r.err(f"scenarios.{name}", "a scenario must be a table of overrides", value=over)
            continue
        r.table(over, f"scenarios.{name}", ["region", "targets", "access", "optimize", "suggest",
                                            "map"])
        bad = folder_name_problem(name)
        if bad:
            r.err(f"scenarios.{name}", f"a scenario name is also its output folder's name; {bad}",
                  value=name, fix='use letters, digits, Chinese and spaces, e.g. '
                  '[scenarios."加密布点"]')
            continue
        clash = [n for n in ("base", *scenarios) if n.casefold() == name.casefold()]
        if clash:
            what = ("the base run's folder" if clash[0] == "base"
                    else f"scenario '{clash[0]}' on Windows and macOS")
            r.err(f"scenarios.{name}", f"the output folder of this scenario would be {what}",
                  value=name, fix="rename the scenario")
            continue
        scenarios[name] = over

    problems.raise_if_errors(
        title=f"区域配置有问题 (region config problems) in {path or 'config'}",
        error_class=ConfigError,
    )
    return RegionConfig(
        region=info, admin=admin, layers=layers, targets=targets, access=access,
        optimize=optimize, map=map_cfg, scenarios=scenarios, path=path, base_dir=base_dir,
        raw=dict(data),
    )


def _as_table(
    r: _Reader, data: Mapping[str, Any], name: str, *, required: bool = False
) -> Mapping[str, Any]:
    value = data.get(name)
    if value is None:
        if required:
            r.err(name, "required table is missing", fix=f"add a [{name}] table")
        return {}
    if not isinstance(value, Mapping):
        r.err(name, f"expected a table [{name}], got {type(value).__name__}", value=value)
        return {}
    return value


def _parse_admin(r: _Reader, value: Any) -> tuple[AdminConfig, ...]:
    if not isinstance(value, list) or not value:
        r.err("admin", "a county outline or township polygons are required",
              fix="add an [[admin]] table with level = \"county\" (townships then come from "
                  "the 12-digit village codes) or level = \"township\"")
        return ()
    out: list[AdminConfig] = []
    keys = ["level", "file", "code_column", "name_column", "parent_column", "layer", "crs",
            "encoding"]
    for i, item in enumerate(value):
        key = f"admin[{i}]"
        if not isinstance(item, Mapping):
            r.err(key, "expected a table", value=item)
            continue
        r.table(item, key, keys)
        level = r.get(item, key, "level", str, "", required=True, choices=ADMIN_LEVELS)
        file = r.path(item, key, "file", required=True)
        if not level or file is None:
            continue
        out.append(AdminConfig(
            level=level, file=file,
            # a county outline may be a bare geometry: its code and name are the region's
            code_column=r.get(item, key, "code_column", str, "", required=level != "county"),
            name_column=r.get(item, key, "name_column", str, "", required=level != "county"),
            parent_column=r.get(item, key, "parent_column", str, ""),
            layer=r.get(item, key, "layer", str, ""),
            crs=r.get(item, key, "crs", str, ""),
            encoding=r.get(item, key, "encoding", str, ""),
        ))
    levels = [a.level for a in out]
    if out and "county" not in levels and "township" not in levels:
        r.err("admin", "neither a county outline nor township polygons are given",
              fix="add an [[admin]] table with level = \"county\" or level = \"township\"")
    if len(set(levels)) != len(levels):
        r.err("admin", "a level is listed twice", value=levels, fix="keep one table per level")
    order = [lv for lv in ADMIN_LEVELS if lv in levels]
    return tuple(sorted(out, key=lambda a: order.index(a.level)))


def _parse_columns(r: _Reader, cols: Any, key: str) -> dict[str, str]:
    if not isinstance(cols, Mapping):
        r.err(key, "expected a table mapping canonical fields to the file's headers", value=cols)
        return {}
    r.table(cols, key, list(CANONICAL_FIELDS))
    return {k: v for k, v in cols.items()
            if k in CANONICAL_FIELDS and r.get(cols, key, k, str) is not None}


def _parse_vocab(r: _Reader, value: Any, key: str, allowed: Sequence[str] | None
                 ) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        r.err(key, "expected a table of value lists", value=value)
        return {}
    if allowed is not None:
        r.table(value, key, allowed)
    out: dict[str, tuple[str, ...]] = {}
    for k, v in value.items():
        if allowed is not None and k not in allowed:
            continue
        items = v if isinstance(v, list) else None
        if items is None or not all(isinstance(x, str | int) for x in items):
            r.err(f"{key}.{k}", "expected a list of cell values (strings)", value=v,
                  fix=f'{k} = ' + str(list(STATUS_SYNONYMS.get(k, ("…",))[:2])))
            continue
        out[k] = tuple(str(x).strip() for x in items)
    return out


def _parse_layers(r: _Reader, value: Any) -> dict[str, LayerConfig]:
    if value is None:
        r.err("layers", "no point layers configured",
              fix="add at least [layers.village] or [layers.community]")
        return {}
    if not isinstance(value, Mapping):
        r.err("layers", "expected tables [layers.KIND]", value=value)
        return {}
    r.table(value, "layers", KNOWN_KINDS)
    out: dict[str, LayerConfig] = {}
    keys = ["file", "sheet", "header_row", "encoding", "crs", "layer", "columns", "status_values",
            "subtype_values", "ledger"]
    for kind, item in value.items():
        key = f"layers.{kind}"
        if kind not in KNOWN_KINDS:
            continue
        if not isinstance(item, Mapping):
            r.err(key, "expected a table", value=item)
            continue
        r.table(item, key, keys)
        file = r.path(item, key, "file", required=True)
        columns = _parse_columns(r, item.get("columns", {}), f"{key}.columns")
        ledger = None
        if "ledger" in item:
            led = item["ledger"]
            lkey = f"{key}.ledger"
            if not isinstance(led, Mapping):
                r.err(lkey, "expected a table", value=led)
            else:
                r.table(led, lkey, ["file", "sheet", "header_row", "encoding", "key", "columns"])
                lfile = r.path(led, lkey, "file", required=True)
                lcols = _parse_columns(r, led.get("columns", {}), f"{lkey}.columns")
                lkey_col = r.get(led, lkey, "key", str, "", required=True)
                if lfile is not None and lkey_col:
                    ledger = LedgerConfig(
                        file=lfile, key=lkey_col,
                        sheet=r.get(led, lkey, "sheet", str, ""),
                        header_row=_positive_int(r, led, lkey, "header_row", 1),
                        encoding=r.get(led, lkey, "encoding", str, "auto"),
                        columns=lcols,
                    )
        all_cols = {**columns, **(ledger.columns if ledger else {})}
        for need in ("id", "name"):
            if need not in all_cols:
                r.err(f"{key}.columns.{need}", "required column mapping is missing",
                      fix=f'add {need} = "<header in your file>" under [{key}.columns]')
        if file is None:
            continue
        out[kind] = LayerConfig(
            kind=kind, file=file, columns=columns,
            sheet=r.get(item, key, "sheet", str, ""),
            header_row=_positive_int(r, item, key, "header_row", 1),
            encoding=r.get(item, key, "encoding", str, "auto"),
            crs=r.get(item, key, "crs", str, "EPSG:4326"),
            layer=r.get(item, key, "layer", str, ""),
            status_values=_parse_vocab(r, item.get("status_values"), f"{key}.status_values",
                                       STATUSES),
            subtype_values=_parse_vocab(r, item.get("subtype_values"), f"{key}.subtype_values",
                                        None),
            ledger=ledger,
        )
    return out


def _positive_int(r: _Reader, data: Mapping[str, Any], key: str, name: str, default: int) -> int:
    v = r.get(data, key, name, int, default)
    if v < 1:
        r.err(f"{key}.{name}", "must be 1 or more (rows are numbered from 1 as in Excel)", value=v)
        return default
    return int(v)


def _parse_targets(r: _Reader, t: Mapping[str, Any]) -> TargetsConfig:
    r.table(t, "targets", ["preset", "overrides", "custom"])
    overrides = t.get("overrides", {})
    if not isinstance(overrides, Mapping) or not all(
            isinstance(v, Mapping) for v in overrides.values()):
        r.err("targets.overrides", "expected tables [targets.overrides.INDICATOR_ID]",
              value=overrides)
        overrides = {}
    custom = t.get("custom", [])
    if not isinstance(custom, list) or not all(isinstance(c, Mapping) for c in custom):
        r.err("targets.custom", "expected [[targets.custom]] tables", value=custom)
        custom = []
    return TargetsConfig(
        preset=r.get(t, "targets", "preset", str, "national_2018"),
        overrides=dict(overrides),
        custom=tuple(custom),
        base_dir=r.base_dir,
    )


def _threshold(r: _Reader, value: Any, key: str, default: Threshold) -> Threshold:
    if value is None:
        return default
    if not isinstance(value, Mapping):
        r.err(key, "expected { mode = \"walk\"|\"drive\", minutes = N }", value=value)
        return default
    r.table(value, key, ["mode", "minutes"])
    mode = r.get(value, key, "mode", str, default.mode, choices=MODES)
    minutes = r.get(value, key, "minutes", float, default.minutes)
    if minutes <= 0:
        r.err(f"{key}.minutes", "must be positive", value=minutes)
        minutes = default.minutes
    return Threshold(mode=mode, minutes=float(minutes))


def _parse_access(r: _Reader, a: Mapping[str, Any], layers: Mapping[str, LayerConfig]
                  ) -> AccessConfig:
    r.table(a, "access", ["network", "download", "cache_dir", "snap_limit_m", "walk_speed_kmh",
                          "max_minutes", "speeds_kmh", "services"])
    speeds = a.get("speeds_kmh", {})
    clean_speeds: dict[str, float] = {}
    if not isinstance(speeds, Mapping):
        r.err("access.speeds_kmh", "expected a table highway-class = km/h", value=speeds)
    else:
        for k in speeds:
            v = r.get(speeds, "access.speeds_kmh", k, float)
            if v is not None:
                if v <= 0:
                    r.err(f"access.speeds_kmh.{k}", "speed must be positive", value=v)
                else:
                    clean_speeds[k] = float(v)
    services = default_services()
    if "services" in a:
        raw = a["services"]
        parsed: list[ServiceConfig] = []
        if not isinstance(raw, list):
            r.err("access.services", "expected [[access.services]] tables", value=raw)
        else:
            for i, s in enumerate(raw):
                key = f"access.services[{i}]"
                if not isinstance(s, Mapping):
                    r.err(key, "expected a table", value=s)
                    continue
                r.table(s, key, ["id", "name", "site_layers", "site_statuses", "demand_layers",
                                 "staff_column", "urban", "rural"])
                staff = r.get(s, key, "staff_column", str, None,
                              choices=[k for k, (t, _) in CANONICAL_FIELDS.items() if t == "float"])
                parsed.append(ServiceConfig(
                    id=r.get(s, key, "id", str, "", required=True),
                    name=r.get(s, key, "name", str, "", required=True),
                    site_layers=r.str_list(s, key, "site_layers", (), required=True,
                                           choices=KNOWN_KINDS),
                    site_statuses=r.str_list(s, key, "site_statuses", ("built",),
                                             choices=STATUSES),
                    demand_layers=r.str_list(s, key, "demand_layers", (), required=True,
                                             choices=KNOWN_KINDS),
                    staff_column=staff,
                    urban=_threshold(r, s.get("urban"), f"{key}.urban", Threshold("walk", 15.0)),
                    rural=_threshold(r, s.get("rural"), f"{key}.rural", Threshold("drive", 30.0)),
                ))
            ids = [s.id for s in parsed]
            if len(set(ids)) != len(ids):
                r.err("access.services", "service ids must be unique", value=ids)
            services = tuple(parsed)
    for i, s in enumerate(services):
        missing = [k for k in (*s.site_layers, *s.demand_layers) if k not in layers]
        if missing and layers and "services" in a:
            r.err(f"access.services[{i}]", f"refers to layers that are not configured: "
                  f"{', '.join(missing)}", fix="add those [layers.KIND] tables or remove them here")
    cfg = AccessConfig(
        network=r.path(a, "access", "network", required=False),
        download=r.get(a, "access", "download", bool, False),
        cache_dir=_opt_dir(r, a, "cache_dir"),
        snap_limit_m=r.get(a, "access", "snap_limit_m", float, 1000.0),
        walk_speed_kmh=r.get(a, "access", "walk_speed_kmh", float, 4.5),
        max_minutes=r.get(a, "access", "max_minutes", float, 60.0),
        speeds_kmh=clean_speeds,
        services=services,
    )
    for name in ("snap_limit_m", "walk_speed_kmh", "max_minutes"):
        if getattr(cfg, name) <= 0:
            r.err(f"access.{name}", "must be positive", value=getattr(cfg, name))
    return cfg


def _opt_dir(r: _Reader, a: Mapping[str, Any], name: str) -> Path | None:
    v = r.get(a, "access", name, str, "")
    if not v:
        return None
    p = Path(v)
    return p if p.is_absolute() else r.base_dir / p


def _parse_optimize(r: _Reader, o: Mapping[str, Any], access: AccessConfig) -> OptimizeConfig:
    r.table(o, "optimize", ["model", "service", "p", "candidate_layers", "candidate_statuses",
                            "budget", "time_limit_s", "mip_gap", "phases", "indicator",
                            "force", "exclude", "extra_candidates"])
    cfg = OptimizeConfig(
        model=r.get(o, "optimize", "model", str, "quota", choices=MODELS),
        service=r.get(o, "optimize", "service", str, access.services[0].id
                      if access.services else "counselling",
                      choices=[s.id for s in access.services] or None),
        p=r.get(o, "optimize", "p", int, 10),
        candidate_layers=r.str_list(o, "optimize", "candidate_layers", ("village", "community"),
                                    choices=KNOWN_KINDS),
        candidate_statuses=r.str_list(o, "optimize", "candidate_statuses",
                                      ("none", "planned", "under_construction"),
                                      choices=STATUSES),
        budget=r.get(o, "optimize", "budget", float, 0.0),
        time_limit_s=r.get(o, "optimize", "time_limit_s", float, 60.0),
        mip_gap=r.get(o, "optimize", "mip_gap", float, 0.0),
        phases=r.get(o, "optimize", "phases", int, 3),
        indicator=r.get(o, "optimize", "indicator", str, ""),
        force=r.str_list(o, "optimize", "force", ()),
        exclude=r.str_list(o, "optimize", "exclude", ()),
        extra_candidates=_extra_candidates(r, o.get("extra_candidates", [])),
    )
    if cfg.p < 0:
        r.err("optimize.p", "must be 0 or more", value=cfg.p)
    if cfg.phases < 1:
        r.err("optimize.phases", "must be 1 or more", value=cfg.phases)
    if not 0 <= cfg.mip_gap < 1:
        r.err("optimize.mip_gap", "must be in [0, 1)", value=cfg.mip_gap)
    if cfg.budget < 0 or cfg.time_limit_s <= 0:
        r.err("optimize", "budget must be ≥ 0 and time_limit_s > 0",
              value=(cfg.budget, cfg.time_limit_s))
    return cfg


def _extra_candidates(r: _Reader, value: object) -> tuple[ExtraCandidate, ...]:
    """``[[optimize.extra_candidates]]``: ``id`` (default 新增候选N), ``name``, ``lon``, ``lat``."""
    key = "optimize.extra_candidates"
    if not isinstance(value, list):
        r.err(key, "expected a list of tables", value=value,
              fix='[[optimize.extra_candidates]] name = "…" lon = 117.3 lat = 35.5')
        return ()
    out: list[ExtraCandidate] = []
    for i, item in enumerate(value):
        at = f"{key}[{i}]"
        if not isinstance(item, Mapping):
            r.err(at, "expected a table with name, lon and lat", value=item)
            continue
        r.table(item, at, ["id", "name", "lon", "lat"])
        lon = r.get(item, at, "lon", float, None, required=True)
        lat = r.get(item, at, "lat", float, None, required=True)
        code = str(r.get(item, at, "id", str, "") or f"新增候选{i + 1}").strip()
        name = str(r.get(item, at, "name", str, "") or code).strip()
        if lon is None or lat is None:
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            r.err(at, "longitude/latitude out of range", value=(lon, lat),
                  fix="WGS84 degrees, e.g. lon = 117.3, lat = 35.5")
            continue
        out.append(ExtraCandidate(id=code, name=name, lon=float(lon), lat=float(lat)))
    ids = [c.id for c in out]
    for dup in sorted({c for c in ids if ids.count(c) > 1}):
        r.err(key, "duplicate id", value=dup, fix="give each added candidate its own id")
    return tuple(out)
