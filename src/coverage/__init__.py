"""coverage — a geospatial service-coverage planner for the 社会心理服务体系.

The public API, in the order data flows through it::

    from coverage import load_config, load_region
    from coverage.pipeline import analyse_gaps, build_access, analyse_access, suggest

    config = load_config("data/demo/region.toml")
    region = load_region(config)
    gaps = analyse_gaps(region, config)
    context = build_access(region, config)
    access = analyse_access(region, config, context=context)
    plan = suggest(region, config, context=context, gaps=gaps)

See ``docs/design.md`` for the module contract.
"""

from coverage.config import RegionConfig, load_config
from coverage.load import load_region
from coverage.problems import ConfigError, InputError, Problem
from coverage.region import Provenance, Region, is_urban, region_from_frames

__all__ = [
    "ConfigError",
    "InputError",
    "Problem",
    "Provenance",
    "Region",
    "RegionConfig",
    "is_urban",
    "load_config",
    "load_region",
    "region_from_frames",
]

__version__ = "0.1.0"
