"""Region configuration as frozen dataclasses: one class per TOML section.

:mod:`coverage.config.parse` reads a region TOML into these (every problem collected with
its key path); the schema is documented in ``docs/design.md`` and ``data/demo/region.toml``
is a full example.  Each stage receives its own section (``targets``, ``access``,
``optimize``, ``map``); nothing reads another stage's section.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from coverage.problems import ConfigError
from coverage.vocabulary import (
    ADMIN_LEVELS,
    CANONICAL_FIELDS,
    KNOWN_KINDS,
    MODEL,
    STATUSES,
)

__all__ = [
    "ADMIN_LEVELS",
    "CANONICAL_FIELDS",
    "KNOWN_KINDS",
    "STATUSES",
    "AccessConfig",
    "AdminConfig",
    "LayerConfig",
    "LedgerConfig",
    "MapConfig",
    "OptimizeConfig",
    "RegionConfig",
    "RegionInfo",
    "ServiceConfig",
    "TargetsConfig",
    "Threshold",
    "default_services",
]


MODELS = tuple(m for m in MODEL.codes if m != "lscpb")
BASEMAPS = ("none", "osm", "tianditu", "amap")
MODES = ("walk", "drive")


@dataclass(frozen=True)
class RegionInfo:
    """The ``[region]`` table.

    ``tiling_tolerance`` is the share of the county's area up to which gaps and overlaps
    between the boundary files are warnings (above it, errors); ``division_codes`` an
    optional 统计用区划代码 list (CSV/XLSX: code, name) naming the townships derived from
    codes; ``max_file_mb`` the size limit of every input file.
    """

    name: str
    code: str
    data_date: str = ""
    source: str = ""
    organisation: str = ""
    strict: bool = False
    metric_crs: str = "auto"
    tiling_tolerance: float = 0.02
    division_codes: Path | None = None
    max_file_mb: float = 256.0


@dataclass(frozen=True)
class AdminConfig:
    """One ``[[admin]]`` level."""

    level: str
    file: Path
    code_column: str
    name_column: str
    parent_column: str = ""
    layer: str = ""
    crs: str = ""
    encoding: str = ""


@dataclass(frozen=True)
class LedgerConfig:
    """A 台账 table joined to a layer by code (``[layers.KIND.ledger]``)."""

    file: Path
    key: str
    sheet: str = ""
    header_row: int = 1
    encoding: str = "auto"
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerConfig:
    """One ``[layers.KIND]`` table."""

    kind: str
    file: Path
    columns: Mapping[str, str]
    sheet: str = ""
    header_row: int = 1
    encoding: str = "auto"
    crs: str = "EPSG:4326"
    layer: str = ""
    status_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    subtype_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ledger: LedgerConfig | None = None


@dataclass(frozen=True)
class TargetsConfig:
    """The ``[targets]`` table."""

    preset: str = "national_2018"
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    custom: tuple[Mapping[str, Any], ...] = ()
    #: folder of the region TOML: a relative preset path is resolved against it
    base_dir: Path | None = None


@dataclass(frozen=True)
class Threshold:
    """A travel-time threshold: ``mode`` is ``walk`` or ``drive``."""

    mode: Literal["walk", "drive"]
    minutes: float


@dataclass(frozen=True)
class ServiceConfig:
    """One ``[[access.services]]`` entry: which sites serve which demand, within what time."""

    id: str
    name: str
    site_layers: tuple[str, ...]
    demand_layers: tuple[str, ...]
    site_statuses: tuple[str, ...] = ("built",)
    staff_column: str | None = None
    urban: Threshold = Threshold("walk", 15.0)
    rural: Threshold = Threshold("drive", 30.0)


def default_services() -> tuple[ServiceConfig, ...]:
    return (
        ServiceConfig(
            id="counselling",
            name="村(社区)心理咨询室/社会工作室",
            site_layers=("village", "community", "service_site"),
            demand_layers=("village", "community"),
            staff_column="counsellors",
        ),
    )


@dataclass(frozen=True)
class AccessConfig:
    """The ``[access]`` table."""

    network: Path | None = None
    download: bool = False
    cache_dir: Path | None = None
    snap_limit_m: float = 1000.0
    walk_speed_kmh: float = 4.5
    max_minutes: float = 60.0
    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    services: tuple[ServiceConfig, ...] = field(default_factory=default_services)

    def service(self, service_id: str) -> ServiceConfig:
        """Return the service with this id (``ConfigError`` naming the known ids if absent)."""
        for s in self.services:
            if s.id == service_id:
                return s
        known = ", ".join(s.id for s in self.services)
        raise ConfigError.single(
            f"unknown service '{service_id}'",
            column="access.services",
            fix=f"use one of: {known}",
        )


@dataclass(frozen=True)
class ExtraCandidate:
    """A place the planner adds as a candidate site (``[[optimize.extra_candidates]]``): e.g.
    a room offered in a township building, picked on the map.  It joins the region as a
    ``service_site`` not yet built; it can serve demand, it is not a village's own room."""

    id: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class OptimizeConfig:
    """The ``[optimize]`` table."""

    model: str = "quota"
    service: str = "counselling"
    p: int = 10
    candidate_layers: tuple[str, ...] = ("village", "community")
    candidate_statuses: tuple[str, ...] = ("none", "planned", "under_construction")
    budget: float = 0.0
    time_limit_s: float = 60.0
    mip_gap: float = 0.0
    phases: int = 3
    #: the rate indicator whose township shortfalls are the quotas and whose rates are shown
    #: before/after; "" = the preset's room indicator (TargetPreset.room_indicator)
    indicator: str = ""
    #: codes of candidates that must be built (a planner's locked sites)
    force: tuple[str, ...] = ()
    #: codes of candidates that must not be built (e.g. 该村无场地)
    exclude: tuple[str, ...] = ()
    #: places the planner added as candidates (WGS84 longitude/latitude)
    extra_candidates: tuple[ExtraCandidate, ...] = ()


@dataclass(frozen=True)
class MapConfig:
    """The ``[map]`` table."""

    basemap: str = "none"
    tianditu_key: str = ""
    title: str = ""
    #: outline of the wider area (city or province) for the sheets' 位置示意图 locator map
    locator_file: Path | None = None


@dataclass(frozen=True)
class RegionConfig:
    """A whole region configuration.

    ``raw`` keeps the parsed TOML (for ``run.json`` and scenario overrides); ``path`` is the
    TOML file and ``base_dir`` its folder (relative paths resolve against it).
    """

    region: RegionInfo
    admin: tuple[AdminConfig, ...]
    layers: Mapping[str, LayerConfig]
    targets: TargetsConfig
    access: AccessConfig
    optimize: OptimizeConfig
    map: MapConfig
    scenarios: Mapping[str, Mapping[str, Any]]
    path: Path | None = None
    base_dir: Path = Path(".")
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def admin_level(self, level: str) -> AdminConfig | None:
        """Return the ``[[admin]]`` entry for ``level`` or ``None``."""
        return next((a for a in self.admin if a.level == level), None)
