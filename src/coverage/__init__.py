"""coverage — a geospatial service-coverage planner for the 社会心理服务体系.

The public API, in the order data flows through it::

    from coverage import load_config, load_region
    region = load_region("data/demo/region.toml")

See ``docs/design.md`` for the module contract.
"""

from coverage._errors import ConfigError, InputError
from coverage._validate import Problem
from coverage.config import RegionConfig, load_config
from coverage.region import Region, is_urban, load_region, region_from_frames

__all__ = [
    "ConfigError",
    "InputError",
    "Problem",
    "Region",
    "RegionConfig",
    "is_urban",
    "load_config",
    "load_region",
    "region_from_frames",
]

__version__ = "0.1.0"
