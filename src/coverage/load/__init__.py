"""Load and validate a region: every file a region TOML names, every problem at once.

:func:`load_region` reads every file a :class:`~coverage.config.RegionConfig` names, converts
every coordinate to WGS84 (EPSG:4326) through :mod:`coverage.crs`, places each row in its
township and village, and checks everything a planner gets wrong — collecting every problem
into one :class:`~coverage.problems.InputError` with file, sheet, Excel row, column letter,
the value as typed and the fix.

The steps, one module each:

* boundaries (:mod:`.admin`): county outline and township/village polygons; without an
  outline the county is the union of the townships (said in a warning);
* layers (:mod:`.layers`, cells in :mod:`._values`, locations in :mod:`._points`): rows
  without coordinates are kept as 未定位 rows;
* townships: given polygons are measured against the outline (:mod:`._tiling`: gaps,
  overlaps, pieces beyond it, up to ``[region] tiling_tolerance``); without township
  polygons they come from the 12-digit codes with approximate areas (:mod:`._hierarchy`);
* placing (:mod:`._assign`): every row in its township, cross-checked with its code and its
  所属乡镇; what was decided is kept in :attr:`Region.diagnostics` for a check map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import shapely

from coverage import crs as crs_mod
from coverage.config import RegionConfig, load_config
from coverage.load._assign import place_layers
from coverage.load._extra import add_extra_candidates
from coverage.load._frame import LoadContext
from coverage.load._hierarchy import (
    check_county_prefix,
    read_division_codes,
    townships_from_codes,
)
from coverage.load._tiling import Tiling, measure_tiling
from coverage.load.admin import county_from_townships, link_parents, load_admin
from coverage.load.layers import LedgerUse, ParsedLayer, TableCache, load_layer
from coverage.problems import Problem, Problems
from coverage.region import LoadDiagnostics, Provenance, Region

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
        The validated region, all geometries in EPSG:4326; its warnings in
        :attr:`Region.problems`, its boundary measurements in :attr:`Region.diagnostics`.

    Raises
    ------
    InputError
        Listing every problem found in every file.
    """
    cfg = config if isinstance(config, RegionConfig) else load_config(config)
    strict = cfg.region.strict if strict is None else strict
    title = _title(cfg)
    problems = Problems()
    max_bytes = int(cfg.region.max_file_mb * 2**20)

    admin: dict[str, gpd.GeoDataFrame] = {}
    for a in cfg.admin:
        gdf = load_admin(a, problems, max_bytes=max_bytes, region_code=cfg.region.code,
                         region_name=cfg.region.name)
        if gdf is not None:
            admin[a.level] = gdf
    if any(a.level not in admin for a in cfg.admin if a.level in ("county", "township")):
        problems.raise_if_errors(strict=strict, title=title)
    county_source = "file"
    if "county" not in admin:
        county_source = "townships"
        admin["county"] = county_from_townships(admin["township"], code=cfg.region.code,
                                                name=cfg.region.name)
        problems.add(
            "no county outline is given: the county is the union of the township polygons, so "
            "gaps between the townships and the county's edge cannot be checked",
            column="admin", severity="warning", code="county_from_townships",
            fix="add [[admin]] level = \"county\" with the official outline",
        )
    county = shapely.union_all(admin["county"].geometry.to_numpy())
    if county.is_empty:
        problems.add("the county outline is empty", column="admin", code="empty_county",
                     fix="check the county boundary file")
        problems.raise_if_errors(strict=strict, title=title)
    metric = (crs_mod.metric_crs_for(admin["county"]) if cfg.region.metric_crs == "auto"
              else crs_mod.parse_crs(cfg.region.metric_crs).crs)
    assert metric is not None
    ctx = LoadContext(region_code=cfg.region.code, county=county, metric=metric,
                      max_bytes=max_bytes)

    parsed = _load_layers(cfg, ctx, problems)

    tiling: Tiling | None = None
    if "township" in admin:
        township_source = "polygon"
        tfile = cfg.admin_level("township")
        tiling = measure_tiling(county, admin["township"], metric=metric,
                                tolerance=cfg.region.tiling_tolerance,
                                file=str(tfile.file) if tfile else None, problems=problems)
        check_county_prefix(parsed, ctx, problems, severity="warning")
    else:
        township_source = "village" if "village" in admin else "code"
        listed = (read_division_codes(cfg.region.division_codes, region_code=cfg.region.code,
                                      max_bytes=max_bytes, problems=problems)
                  if cfg.region.division_codes else {})
        code = admin["county"]["code"].iloc[0]
        admin["township"] = townships_from_codes(
            parsed, ctx, county_code=cfg.region.code if code is None or str(code) == "<NA>"
            else str(code), listed=listed, villages=admin.get("village"), problems=problems)
    admin = {lv: admin[lv] for lv in ("county", "township", "village") if lv in admin}
    link_parents(cfg, admin, problems)
    approximate = township_source == "code"
    placed = place_layers(parsed, admin["township"], admin.get("village"), ctx,
                          approximate=approximate, problems=problems)
    layers = add_extra_candidates(placed.layers, cfg.optimize.extra_candidates,
                                  towns=admin["township"], county=county, metric=metric,
                                  problems=problems)

    problems.raise_if_errors(strict=strict, title=title)
    diagnostics = LoadDiagnostics(
        county_source=county_source, township_source=township_source,
        tiling_tolerance=cfg.region.tiling_tolerance,
        points_outside=placed.points_outside, assigned=placed.assigned,
        code_mismatches=placed.code_mismatches, unlocated=placed.unlocated,
        **({} if tiling is None else {"county_area_km2": tiling.county_area_km2,
                                      "gaps": tiling.gaps, "overlaps": tiling.overlaps,
                                      "beyond": tiling.beyond}),
    )
    return Region(
        name=cfg.region.name, code=cfg.region.code, admin=admin, layers=layers,
        metric_crs=metric, problems=tuple(problems.warnings),
        approximate_townships=approximate, diagnostics=diagnostics,
        provenance=Provenance(data_date=cfg.region.data_date, source=cfg.region.source,
                              organisation=cfg.region.organisation,
                              config_file=str(cfg.path) if cfg.path else None),
    )


def _load_layers(cfg: RegionConfig, ctx: LoadContext, problems: Problems
                 ) -> dict[str, ParsedLayer]:
    """Every layer; 台账 codes no layer used are reported once all are read."""
    cache: TableCache = {}
    ledgers: dict[tuple[str, str, str], LedgerUse] = {}
    users = Counter((str(lc.ledger.file), lc.ledger.sheet) for lc in cfg.layers.values()
                    if lc.ledger is not None)
    parsed: dict[str, ParsedLayer] = {}
    for kind, lc in cfg.layers.items():
        exclusive = lc.ledger is not None and users[(str(lc.ledger.file), lc.ledger.sheet)] == 1
        layer = load_layer(lc, ctx, problems, cache=cache, ledgers=ledgers,
                           exclusive_ledger=exclusive)
        if layer is not None:
            parsed[kind] = layer
    _unused_ledger_codes(ledgers, cfg, problems)
    return parsed


def _unused_ledger_codes(ledgers: Mapping[tuple[str, str, str], LedgerUse], cfg: RegionConfig,
                         problems: Problems) -> None:
    for (_file, sheet, _key), use in ledgers.items():
        kinds = [k for k, lc in cfg.layers.items()
                 if lc.ledger is not None and str(lc.ledger.file) == use.source.file
                 and lc.ledger.sheet == sheet]
        for i, k in enumerate(use.keys):
            if k and k not in use.used:
                problems.items.append(Problem(
                    use.source.file, int(use.rows[i]), use.source.header, k,
                    "code in the 台账 matches no point of any layer; its data are not used",
                    "check the code against the point files; this 台账 sheet feeds several "
                    f"layers ({', '.join(kinds)}), so the row cannot be given to one of them "
                    "without its point", "warning", sheet=use.source.sheet,
                    cell=use.source.letter, code="ledger_code_unused"))


def _title(cfg: RegionConfig) -> str:
    return f"区域数据有问题 (region data problems) — {cfg.region.name} ({cfg.path})"

