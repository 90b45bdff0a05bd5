"""Load and validate a region: every file a region TOML names, every problem at once.

:func:`load_region` reads every file a :class:`~coverage.config.RegionConfig` names, converts
every coordinate to WGS84 (EPSG:4326) through :mod:`coverage.crs`, joins each point to its
township and village, and checks everything a planner gets wrong — collecting every problem
into one :class:`~coverage.problems.InputError` with file, sheet, Excel row, column, value
and fix.  Boundaries are :mod:`coverage.load.admin`'s, point layers
:mod:`coverage.load.layers`'.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage import crs as crs_mod
from coverage.config import RegionConfig, load_config
from coverage.load.admin import check_tiling, link_parents, load_admin
from coverage.load.layers import load_layer
from coverage.problems import InputError, Problems
from coverage.region import Provenance, Region

__all__ = ["load_region"]


def load_region(config: RegionConfig | str | Path, *, strict: bool | None = None) -> Region:
    """Load and validate every file of a region.

    Parameters
    ----------
    config
        A :class:`RegionConfig` or the path of a region TOML file.
    strict
        Treat warnings as errors (default: the config's ``region.strict``).

    Returns
    -------
    Region
        The validated region, all geometries in EPSG:4326.

    Raises
    ------
    InputError
        Listing every problem found in every file.
    """
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    strict = cfg.region.strict if strict is None else strict
    problems = Problems()

    admin: dict[str, gpd.GeoDataFrame] = {}
    for a in cfg.admin:
        gdf = load_admin(a, problems)
        if gdf is not None:
            admin[a.level] = gdf
    if "county" not in admin or "township" not in admin:
        problems.raise_if_errors(strict=strict, title=_title(cfg))
        raise InputError(problems.items, title=_title(cfg))  # pragma: no cover - defensive
    link_parents(cfg, admin, problems)
    check_tiling(admin, cfg, problems)

    county_geom = shapely.union_all(admin["county"].geometry.to_numpy())
    metric = (crs_mod.metric_crs_for(admin["county"]) if cfg.region.metric_crs == "auto"
              else crs_mod.parse_crs(cfg.region.metric_crs).crs)
    assert metric is not None
    layers: dict[str, gpd.GeoDataFrame] = {}
    ledgers: dict[tuple[str, str, str], tuple[pd.Series, np.ndarray, set[str]]] = {}
    for kind, lc in cfg.layers.items():
        gdf = load_layer(lc, admin, county_geom, metric, problems, ledgers)
        if gdf is not None:
            layers[kind] = gdf
    for (lname, _sheet, key), (keys, rows, used) in ledgers.items():
        for i, k in enumerate(keys):
            if k and k not in used:
                problems.add(
                    "code in the 台账 matches no point of any layer; its data are not used",
                    file=lname, row=int(rows[i]), column=key, value=k,
                    fix="check the code against the point files", severity="warning",
                )

    problems.raise_if_errors(strict=strict, title=_title(cfg))
    return Region(
        name=cfg.region.name, code=cfg.region.code, admin=admin, layers=layers,
        metric_crs=metric, problems=tuple(problems.warnings),
        provenance=Provenance(data_date=cfg.region.data_date, source=cfg.region.source,
                              organisation=cfg.region.organisation,
                              config_file=str(cfg.path) if cfg.path else None),
    )


def _title(cfg: RegionConfig) -> str:
    return f"区域数据有问题 (region data problems) — {cfg.region.name} ({cfg.path})"
