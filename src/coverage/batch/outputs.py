"""The batch's own files: ``batch.json``, the city workbook, report and map.

Everything is rolled up from the county summaries on disk (``counties/CODE/
batch_summary.json``), so counties skipped as up to date, and counties that ``--only`` left
out but that an earlier run finished, are in the city's figures exactly as fresh ones.  A
county that failed in this run is left out of the figures (its outcome and problems are
listed).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from coverage.batch._county import CountyOutcome, read_summary
from coverage.batch._manifest import SUMMARY
from coverage.batch.config import BatchConfig
from coverage.batch.rollup import CityRollup, roll_up
from coverage.outputs import write_csv, write_json
from coverage.present import city as p_city
from coverage.present.report import write_docx_report, write_html_report
from coverage.present.workbook import write_workbook
from coverage.problems import Problem

__all__ = ["city_summaries", "write_city_outputs"]


def city_summaries(cfg: BatchConfig, target: Path, outcomes: Sequence[CountyOutcome]
                   ) -> list[Mapping[str, Any]]:
    """The summaries of every county of the batch that has a finished folder (in order)."""
    failed = {o.code for o in outcomes if o.status == "failed"}
    out = []
    for c in cfg.counties:
        folder = target / "counties" / c.code
        if c.code not in failed and (folder / SUMMARY).is_file():
            out.append(read_summary(folder))
    return out


def write_city_outputs(cfg: BatchConfig, target: Path, outcomes: Sequence[CountyOutcome],
                       *, problems: Sequence[Problem] = ()) -> dict[str, Path]:
    """Write ``batch.json``, ``summary.xlsx`` (+ CSVs), ``report.html/.docx`` and
    ``city_map.html`` into ``target``; return them by name.  ``problems``: the split mode's
    rows left out or guessed, listed in ``batch.json`` under ``split_problems``."""
    from coverage.batch.runner import outcome_record, problem_record

    records = [outcome_record(o) for o in outcomes]
    for r in records:
        r["folder"] = (os.path.relpath(r["out_dir"], target) if r["out_dir"] else "")
    files: dict[str, Path] = {"batch.json": write_json(
        {"batch": {"code": cfg.code, "name": cfg.name, "preset": cfg.preset,
                   "config": str(cfg.path) if cfg.path else None},
         "counties": records,
         "split_problems": [problem_record(p) for p in problems]}, target / "batch.json")}
    summaries = city_summaries(cfg, target, outcomes)
    rollup = roll_up(summaries, code=cfg.code, name=cfg.name)
    outcome_table = p_city.outcome_frame(records)
    tables = target / "tables"
    tables.mkdir(exist_ok=True)
    for name, frame in (("city", rollup.city), ("counties", rollup.counties),
                        ("townships", rollup.townships), ("access", rollup.access),
                        ("suggested_sites", rollup.sites)):
        files[f"tables/{name}.csv"] = write_csv(frame, tables / f"{name}.csv")
    files["summary.xlsx"] = write_workbook(p_city.sheets(rollup, outcome_table),
                                           target / "summary.xlsx")
    reports = {str(s["county_name"]): f"counties/{s['county_code']}/report.html"
               for s in summaries
               if (target / "counties" / str(s["county_code"]) / "report.html").is_file()}
    preset = str(summaries[0]["preset"]) if summaries else ""
    content = p_city.report_content(rollup, outcome_table, preset_name=_preset_name(preset),
                                    county_reports=reports)
    files["report.html"] = write_html_report(content, target / "report.html")
    files["report.docx"] = write_docx_report(content, target / "report.docx")
    files["city_map.html"] = _city_map(cfg, target, rollup, summaries, preset=preset)
    return files


def _preset_name(preset_id: str) -> str:
    if not preset_id:
        return ""
    from coverage.targets import load_preset

    return load_preset(preset_id).name


def _room_indicator(preset_id: str) -> str | None:
    """The preset's room indicator: what the county maps and reports lead with."""
    if not preset_id:
        return None
    from coverage.targets import load_preset

    room = load_preset(preset_id).room_indicator()
    return room.id if room is not None else None


def _city_map(cfg: BatchConfig, target: Path, rollup: CityRollup,
              summaries: Sequence[Mapping[str, Any]], *, preset: str) -> Path:
    from coverage.maps.city import write_city_map

    rows = []
    for s in summaries:
        code = str(s["county_code"])
        link = f"counties/{code}/maps/resource_map.html"
        rows.append({"county_code": code, "county_name": s["county_name"],
                     "link": link if (target / link).is_file() else "",
                     "geometry": shapely.from_wkt(s["outline_wkt"])})
    counties = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else \
        gpd.GeoDataFrame({"county_code": [], "county_name": [], "link": []}, geometry=[],
                         crs=4326)
    outline = None
    if cfg.outline is not None:
        frame = gpd.read_file(cfg.outline)
        outline = shapely.union_all(frame.to_crs(4326).geometry.to_numpy())
    indicators = rollup.counties.assign(status_label=p_city.status_labels(rollup.counties))
    return write_city_map(target / "city_map.html", title=p_city.map_title(cfg.name),
                          counties=counties, indicators=indicators, access=rollup.access,
                          townships=rollup.townships, words=p_city.map_words(),
                          outline=outline, default_indicator=_room_indicator(preset))
