"""Region configuration: a TOML file read with :mod:`tomllib` into frozen dataclasses.

:mod:`coverage.config.model` holds the dataclasses (one per TOML section),
:mod:`coverage.config.parse` the reader that collects every problem with its key path.
"""

from coverage.config.model import (
    ADMIN_LEVELS,
    BASEMAPS,
    CANONICAL_FIELDS,
    KNOWN_KINDS,
    MODELS,
    MODES,
    STATUSES,
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
)
from coverage.config.parse import apply_scenario, load_config, parse_config

__all__ = [
    "ADMIN_LEVELS",
    "BASEMAPS",
    "CANONICAL_FIELDS",
    "KNOWN_KINDS",
    "MODELS",
    "MODES",
    "STATUSES",
    "AccessConfig",
    "AdminConfig",
    "ExtraCandidate",
    "LayerConfig",
    "LedgerConfig",
    "MapConfig",
    "OptimizeConfig",
    "RegionConfig",
    "RegionInfo",
    "ServiceConfig",
    "TargetsConfig",
    "Threshold",
    "apply_scenario",
    "load_config",
    "parse_config",
]
