"""The batch config: a city or province and its counties (``coverage batch CITY.toml``).

::

    [batch]
    code = "640300"                   # the city's (or province's) 6-digit code
    name = "吴忠市"
    preset = "wuzhong_2023"           # optional: the target preset every county is checked on
    outline = "city_outline.geojson"  # optional: the city's outline, drawn on the city map
    roads = "roads.osm.pbf"           # optional: one road file for every county, clipped
    buffer_km = 10                    #   per county with this buffer (default 10)
    cross_border = true               # optional: sites of the next county serve border villages
    county_outputs = "full"           # optional: "full" (as `coverage run`) or "light"

    [[counties]]
    config = "counties/640302/region.toml"

or, instead of ``[[counties]]``, one set of city-wide files split into counties by the first
6 digits of their codes (:mod:`coverage.batch._split`)::

    [split]
    config = "city/region.toml"       # a region TOML describing the city-wide files
    counties = ["640302", "640303"]   # optional: default every 6-digit prefix of the codes
    [split.names]                     # optional: default the county boundary layer's names
    "640302" = "利通区"

Paths are relative to the batch TOML's folder.  Every problem in the file (unknown keys, wrong
types, missing files, a county listed twice, a county code outside the city) is collected and
raised together as one :class:`~coverage.problems.ConfigError`; a county whose own region TOML
is broken is *not* a batch problem: that county fails alone when the batch runs.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.config._checks import config_text, read_toml
from coverage.problems import ConfigError, Problems

__all__ = ["COUNTY_OUTPUTS", "BatchConfig", "CountyEntry", "SplitConfig", "load_batch_config",
           "parse_batch_config"]

#: What each county's folder holds: ``full`` is `coverage run`'s folder (tables, the
#: interactive map, the static sheets and the report); ``light`` leaves out the static
#: sheets and the report (the slow part), for quick or very large batches.
COUNTY_OUTPUTS: tuple[str, ...] = ("full", "light")

_BATCH_KEYS = ("code", "name", "preset", "outline", "roads", "buffer_km", "cross_border",
               "county_outputs")
_COUNTY_KEYS = ("config",)
_SPLIT_KEYS = ("config", "counties", "names")


@dataclass(frozen=True)
class CountyEntry:
    """One county of a batch.

    Attributes
    ----------
    config
        The county's region TOML.
    code, name
        The county's code and name as its TOML's ``[region]`` gives them (read without
        validating the rest of the file); when that cannot be read, ``code`` is the TOML's
        folder name and the county fails when it runs, with its problem list.
    key
        Where the county is listed in the batch TOML (``counties[2]``), for messages.
    """

    config: Path
    code: str
    name: str
    key: str


@dataclass(frozen=True)
class SplitConfig:
    """The ``[split]`` table: one set of city-wide files, split into counties.

    Attributes
    ----------
    config
        The city-wide region TOML (the usual format; its files hold every county's rows).
    counties
        The 6-digit county codes to split into; empty: every prefix found in the codes.
    names
        County names by code; missing names come from the county boundary layer.
    """

    config: Path
    counties: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchConfig:
    """A validated batch config (see the module docstring for the keys).

    In split mode ``counties`` is empty until :func:`coverage.batch._split.split_city` has
    written the county TOMLs (the runner does that first).
    """

    code: str
    name: str
    counties: tuple[CountyEntry, ...]
    preset: str | None = None
    outline: Path | None = None
    roads: Path | None = None
    buffer_km: float = 10.0
    cross_border: bool = True
    county_outputs: str = "full"
    path: Path | None = None
    split: SplitConfig | None = None

    def county(self, code: str) -> CountyEntry:
        """The county with this code (``KeyError`` when the batch has none)."""
        for c in self.counties:
            if c.code == code:
                return c
        raise KeyError(code)

    def select(self, only: Sequence[str] | None) -> tuple[CountyEntry, ...]:
        """The counties named by ``only`` (all when ``None``).

        Raises
        ------
        ConfigError
            A code that is not a county of the batch, with the codes it has.
        """
        if not only:
            return self.counties
        codes = [c.code for c in self.counties]
        unknown = [c for c in only if c not in codes]
        if unknown:
            raise ConfigError.single(
                "not a county of this batch", file=str(self.path) if self.path else None,
                column="--only", value=", ".join(unknown),
                fix="use the codes of its counties: " + ", ".join(codes))
        return tuple(c for c in self.counties if c.code in only)


class _Reader:
    """Typed access to the TOML's tables; records problems instead of raising."""

    def __init__(self, problems: Problems, file: str | None, base_dir: Path) -> None:
        self.problems = problems
        self.file = file
        self.base_dir = base_dir

    def err(self, key: str, message: str, *, value: object = None, fix: str = "") -> None:
        self.problems.add(message, file=self.file, column=key, value=value, fix=fix,
                          code="batch_config")

    def table(self, data: Mapping[str, Any], key: str, allowed: Sequence[str]) -> None:
        for k in data:
            if k not in allowed:
                close = difflib.get_close_matches(k, list(allowed), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.err(f"{key}.{k}" if key else k, "unknown key",
                         fix=f"{hint}allowed keys: {', '.join(allowed)}")

    def get(self, data: Mapping[str, Any], key: str, name: str, typ: type, default: Any = None,
            *, required: bool = False) -> Any:
        path = f"{key}.{name}"
        if name not in data:
            if required:
                self.err(path, "required key is missing", fix=f"add `{name} = …` to [{key}]")
            return default
        value = data[name]
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
            self.err(path, f"expected {typ.__name__}, got {type(value).__name__}",
                     value=value)
            return default
        return value

    def path(self, data: Mapping[str, Any], key: str, name: str, *, required: bool = False
             ) -> Path | None:
        value = self.get(data, key, name, str, None, required=required)
        if not value:
            return None
        p = Path(value)
        if not p.is_absolute():
            p = self.base_dir / p
        if not p.is_file():
            self.err(f"{key}.{name}", f"file not found: {p}", value=value,
                     fix="check the path (relative paths are resolved against the batch "
                         "TOML's folder)")
        return p


def load_batch_config(path: str | Path) -> BatchConfig:
    """Read and validate a batch TOML file.

    Parameters
    ----------
    path
        The batch TOML (UTF-8, a byte-order mark is accepted).

    Returns
    -------
    BatchConfig
        The validated config.

    Raises
    ------
    ConfigError
        Listing every problem in the file.
    """
    p = Path(path)
    data = read_toml(p, syntax_hint="tables are [name], the county list is [[counties]]")
    return parse_batch_config(data, base_dir=p.resolve().parent, path=p)


def parse_batch_config(data: Mapping[str, Any], *, base_dir: Path, path: Path | None = None
                       ) -> BatchConfig:
    """Validate an already-parsed batch TOML mapping (see :func:`load_batch_config`)."""
    problems = Problems()
    r = _Reader(problems, str(path) if path else None, base_dir)
    r.table(data, "", ["batch", "counties", "split"])
    head = data.get("batch")
    if not isinstance(head, Mapping):
        r.err("batch", "the [batch] table is missing" if head is None else
              "[batch] must be a table", fix='start the file with [batch] code = "…" name = "…"')
        head = {}
    r.table(head, "batch", _BATCH_KEYS)
    code = r.get(head, "batch", "code", str, "", required=True)
    if code and not (len(code) == 6 and code.isdigit()):
        r.err("batch.code", "the batch code must be the city's or province's 6-digit code",
              value=code, fix='e.g. code = "640300" for a city, "370000" for a province')
    name = r.get(head, "batch", "name", str, "", required=True)
    if "name" in head and not str(name).strip():
        r.err("batch.name", "the name is empty", fix='e.g. name = "吴忠市"')
    preset = r.get(head, "batch", "preset", str, None)
    if preset:
        from coverage.targets import preset_names

        names = preset_names()
        if preset not in names:
            close = difflib.get_close_matches(preset, names, n=1)
            r.err("batch.preset", "unknown target preset", value=preset,
                  fix=(f"did you mean '{close[0]}'? " if close else "")
                  + "use one of: " + ", ".join(names))
    outline = r.path(head, "batch", "outline")
    roads = r.path(head, "batch", "roads")
    buffer_km = r.get(head, "batch", "buffer_km", float, 10.0)
    if not 0 <= buffer_km <= 100:
        r.err("batch.buffer_km", "the buffer must be between 0 and 100 km", value=buffer_km,
              fix="the default 10 km lets border villages reach the next county's roads")
        buffer_km = 10.0
    cross_border = r.get(head, "batch", "cross_border", bool, True)
    outputs = r.get(head, "batch", "county_outputs", str, "full")
    if outputs not in COUNTY_OUTPUTS:
        r.err("batch.county_outputs", "value not allowed", value=outputs,
              fix="use one of: " + ", ".join(COUNTY_OUTPUTS))
        outputs = "full"
    split = None
    if "split" in data:
        if "counties" in data:
            r.err("split", "[split] and [[counties]] cannot both be given",
                  fix="either list the county TOMLs ([[counties]]) or split one set of "
                      "city-wide files ([split]), not both")
        split = _split(r, data["split"], code)
        counties: tuple[CountyEntry, ...] = ()
    else:
        counties = _counties(r, data.get("counties"), code)
    problems.raise_if_errors(title="批量配置有问题 (batch config problems)",
                             error_class=ConfigError)
    return BatchConfig(code=code, name=name.strip(), counties=counties, preset=preset or None,
                       outline=outline, roads=roads, buffer_km=buffer_km,
                       cross_border=cross_border, county_outputs=outputs, path=path,
                       split=split)


def _split(r: _Reader, item: object, city: str) -> SplitConfig | None:
    if not isinstance(item, Mapping):
        r.err("split", "[split] must be a table",
              fix='write [split] config = "city/region.toml"')
        return None
    r.table(item, "split", _SPLIT_KEYS)
    cfg = r.path(item, "split", "config", required=True)
    codes = r.get(item, "split", "counties", list, [])
    prefix = _city_prefix(city)
    good: list[str] = []
    for i, c in enumerate(codes):
        if not (isinstance(c, str) and len(c) == 6 and c.isdigit()):
            r.err(f"split.counties[{i + 1}]", "a county code must be 6 digits in quotes",
                  value=c, fix='e.g. counties = ["640302", "640303"]')
        elif c in good:
            r.err(f"split.counties[{i + 1}]", f"county {c} is listed twice", value=c,
                  fix="list each county once")
        elif prefix and not c.startswith(prefix):
            r.err(f"split.counties[{i + 1}]", f"county {c} is not in {city}", value=c,
                  fix=f"a county of this batch has a code starting with {prefix}")
        else:
            good.append(c)
    names_raw = r.get(item, "split", "names", dict, {})
    names: dict[str, str] = {}
    for k, v in names_raw.items():
        if not (len(k) == 6 and k.isdigit()):
            r.err(f"split.names.{k}", "a county code must be 6 digits", value=k,
                  fix='e.g. "640302" = "利通区"')
        elif not isinstance(v, str) or not v.strip():
            r.err(f"split.names.{k}", "the name must be a non-empty string", value=v)
        elif good and k not in good:
            r.err(f"split.names.{k}", f"{k} is not in split.counties", value=k,
                  fix="name only the counties of the batch")
        else:
            names[k] = v.strip()
    if cfg is None:
        return None
    return SplitConfig(config=cfg, counties=tuple(good), names=names)


def _counties(r: _Reader, items: object, city: str) -> tuple[CountyEntry, ...]:
    if items is None:
        r.err("counties", "no county is listed",
              fix='add one [[counties]] table per county: config = "counties/…/region.toml"')
        return ()
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        r.err("counties", "expected a list of [[counties]] tables",
              fix='write each county as [[counties]] config = "…/region.toml"')
        return ()
    out: list[CountyEntry] = []
    seen_file: dict[Path, str] = {}
    seen_code: dict[str, str] = {}
    prefix = _city_prefix(city)
    for i, item in enumerate(items):
        key = f"counties[{i + 1}]"
        r.table(item, key, _COUNTY_KEYS)
        cfg = r.path(item, key, "config", required=True)
        if cfg is None:
            continue
        resolved = cfg.resolve()
        if resolved in seen_file:
            r.err(f"{key}.config", f"the same region TOML is listed twice (also as "
                  f"{seen_file[resolved]})", value=str(cfg), fix="list each county once")
            continue
        seen_file[resolved] = key
        code, name = _region_head(cfg)
        if code in seen_code:
            r.err(f"{key}.config", f"county code {code} is listed twice (also as "
                  f"{seen_code[code]})", value=str(cfg),
                  fix="each county once; two counties cannot share a code")
            continue
        seen_code[code] = key
        if prefix and code.isdigit() and len(code) == 6 and not code.startswith(prefix):
            r.err(f"{key}.config", f"county {code} is not in {city}", value=str(cfg),
                  fix=f"a county of this batch has a code starting with {prefix}; check "
                      f"[region] code in the county's TOML or [batch] code (a batch across "
                      f"provinces, such as the national pilot, takes code = \"{NATIONAL_CODE}\")")
        out.append(CountyEntry(config=cfg, code=code, name=name, key=key))
    return tuple(out)


#: The country's code in the division codes: a batch under it may hold any county.
NATIONAL_CODE = "100000"


def _city_prefix(code: str) -> str:
    """The leading digits a county of this city (``6403``) or province (``64``) shares;
    none for the whole country (``100000``, as the national pilot spans provinces)."""
    if len(code) != 6 or not code.isdigit() or code == NATIONAL_CODE:
        return ""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return ""  # a county code as the batch code: no constraint


def _region_head(path: Path) -> tuple[str, str]:
    """``[region]`` code and name of a county TOML, or its folder name when unreadable."""
    try:
        data = tomllib.loads(config_text(path))
        region = data.get("region", {})
        code = str(region.get("code", "")).strip()
        name = str(region.get("name", "")).strip()
    except (ConfigError, tomllib.TOMLDecodeError, OSError, AttributeError):
        code, name = "", ""
    return code or path.resolve().parent.name, name or code or path.resolve().parent.name
