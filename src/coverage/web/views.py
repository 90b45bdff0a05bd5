"""What the pages show, computed from the library's own objects (no HTML here).

The wizard's drop-downs come from :mod:`coverage.scaffold` (its guesses, reasons and
alternatives) and :mod:`coverage.vocabulary` (the labels); the problem tables from
:class:`coverage.problems.Problem` (the same texts as the CLI); the results from the run's own
output tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from coverage.config import RegionConfig
from coverage.problems import Problem
from coverage.scaffold import Choices, SourceSurvey, reason_text
from coverage.vocabulary import (
    ADMIN_LEVEL,
    CANONICAL_FIELDS,
    COORD_SOURCE,
    KIND,
    SCAFFOLD_USE,
)

__all__ = ["COORD_QUESTION", "ProblemRow", "admin_outlines", "choices_from_form",
           "column_options", "problem_rows", "read_csv_rows", "source_view", "use_options"]

#: The coordinate question in the planner's words: answer code → what to show.
COORD_QUESTION: tuple[tuple[str, str], ...] = (
    ("amap", "高德 / 腾讯地图（GCJ-02）"),
    ("baidu", "百度地图（BD-09）"),
    ("gps", "GPS / 天地图（WGS84 / CGCS2000）"),
    ("projected", "投影坐标（米，填写 EPSG 代码）"),
)
_COORD = re.compile(r"(-?\d{2,3}\.\d+)\s*,\s*(-?\d{1,2}\.\d+)")


def use_options() -> list[tuple[str, str]]:
    """``(target, label)`` of every use a source can have (``layer:village`` …)."""
    out = [(f"layer:{k}", f"{SCAFFOLD_USE.label('layer')}：{KIND.label(k)}") for k in KIND]
    out += [(f"admin:{lv}", f"{SCAFFOLD_USE.label('admin')}：{ADMIN_LEVEL.label(lv)}")
            for lv in ADMIN_LEVEL]
    out += [(u, SCAFFOLD_USE.label(u)) for u in ("ledger", "division_codes", "network", "ignore")]
    return out


def column_options(source: SourceSurvey) -> list[tuple[str, str]]:
    """``(role, label)`` a column of ``source`` can take; ``""`` = not read."""
    roles: Iterable[str] = (("id", "name", "parent") if source.use.use == "admin"
                            else CANONICAL_FIELDS)
    labels = {"parent": "上级代码"}
    return [("", "（不读取）")] + [
        (r, f"{labels.get(r) or CANONICAL_FIELDS[r][1]}（{r}）") for r in roles]


def source_view(source: SourceSurvey, index: int) -> dict[str, Any]:
    """One source of the survey as the wizard shows it."""
    return {
        "index": index, "id": source.id, "path": source.path.as_posix(),
        "sheet": source.sheet, "layer": source.layer, "format": source.format,
        "visible": source.visible, "header_row": source.header_row, "title": source.title,
        "geometry": source.geometry, "n_rows": source.n_rows,
        "use": source.use.target, "use_confidence": round(source.use.confidence * 100),
        "use_reasons": "；".join(reason_text(r) for r in source.use.reasons),
        "columns": [{"index": j, "header": c.header, "letter": c.letter, "role": c.role or "",
                     "confidence": round(c.confidence * 100), "reason": reason_text(c.reason),
                     "samples": list(c.samples[:3])}
                    for j, c in enumerate(source.columns)],
        "options": column_options(source),
        "preview": [list(r) for r in source.preview[:5]],
        "crs_units": source.crs.units, "crs": source.crs.crs,
        "crs_reason": reason_text(source.crs.reason),
        "crs_needs_answer": source.crs.needs_answer,
        "problems": [p for p in source.problems],
    }


def choices_from_form(form: Mapping[str, str], sources: Sequence[SourceSurvey]) -> Choices:
    """The planner's answers on the wizard page as :class:`Choices` (only what was changed).

    Field names: ``use_I``, ``header_I``, ``role_I_J`` (source I, column J), ``coord_I``
    (source I's coordinate source, when it differs from the others), ``coord`` (the
    coordinate question), ``epsg`` (for projected coordinates), ``region_name``,
    ``region_code`` (with ``*_guess``: what was shown).
    """
    data: dict[str, Any] = {"uses": {}, "roles": {}, "header_rows": {}}
    for i, s in enumerate(sources):
        use = form.get(f"use_{i}")
        if use and use != s.use.target:
            data["uses"][s.id] = use
        header = (form.get(f"header_{i}") or "").strip()
        if header and s.header_row is not None and header != str(s.header_row):
            data["header_rows"][s.id] = int(header) if header.isdigit() else header
        roles = {}
        for j, c in enumerate(s.columns):
            role = form.get(f"role_{i}_{j}")
            if role is not None and role != (c.role or ""):
                roles[c.header] = role
        if roles:
            data["roles"][s.id] = roles
        answer = form.get(f"coord_{i}") or ""
        if answer:
            data.setdefault("sources", {})[s.id] = answer
    coord = form.get("coord") or ""
    if coord == "projected":
        epsg = (form.get("epsg") or "").strip()
        if epsg:
            data["source"] = epsg if epsg.upper().startswith("EPSG:") else f"EPSG:{epsg}"
    elif coord:
        data["source"] = coord
    for key in ("region_name", "region_code"):
        # only what the planner changed: an accepted guess stays a guess in the TOML
        if form.get(key) and form.get(key) != form.get(f"{key}_guess"):
            data[key] = str(form[key])
    return Choices.from_mapping(data)


@dataclass(frozen=True)
class ProblemRow:
    """One row of a problem table."""

    severity: str
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    message: str
    fix: str
    point: tuple[float, float] | None = None


def _relative(file: str | None, roots: Sequence[Path]) -> str:
    if not file:
        return ""
    path = Path(file)
    for root in roots:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
    return path.name if path.is_absolute() else file


def _value_point(value: object) -> tuple[float, float] | None:
    m = _COORD.search(str(value or ""))
    if not m:
        return None
    lon, lat = float(m.group(1)), float(m.group(2))
    if 70 <= lon <= 140 and 0 <= lat <= 56:
        return lon, lat
    if 70 <= lat <= 140 and 0 <= lon <= 56:
        return lat, lon
    return None


def _row_points(config: RegionConfig | None, problems: Sequence[Problem]
                ) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(file, sheet, Excel row) → WGS84 lon/lat of the problem rows of point tables."""
    if config is None:
        return {}
    import geopandas as gpd

    from coverage.crs import to_wgs84
    from coverage.problems import InputError
    from coverage.readers import read_table

    wanted = {(str(Path(p.file).resolve()), p.sheet or "") for p in problems
              if p.file and p.row is not None}
    out: dict[tuple[str, str, int], tuple[float, float]] = {}
    for layer in config.layers.values():
        lon_col, lat_col = layer.columns.get("lon"), layer.columns.get("lat")
        key = (str(Path(layer.file).resolve()), layer.sheet or "")
        if not lon_col or not lat_col or not any(k[0] == key[0] for k in wanted):
            continue
        try:
            table = read_table(layer.file, sheet=layer.sheet or None,
                               header_row=layer.header_row, encoding=layer.encoding)
            frame = table.frame
            lon = pd.to_numeric(frame[lon_col], errors="coerce")
            lat = pd.to_numeric(frame[lat_col], errors="coerce")
            ok = lon.notna() & lat.notna()
            pts = gpd.GeoDataFrame(
                {"row": [table.rows[i] for i in range(len(frame)) if ok.iloc[i]]},
                geometry=gpd.points_from_xy(lon[ok], lat[ok]), crs=None)
            pts = to_wgs84(pts, source=layer.crs, file=str(layer.file))
        except (InputError, KeyError, ValueError, OSError):
            continue
        for row, geom in zip(pts["row"], pts.geometry, strict=True):
            if geom is not None and math.isfinite(geom.x) and math.isfinite(geom.y):
                out[(key[0], table.sheet or "", int(row))] = (round(geom.x, 6),
                                                             round(geom.y, 6))
    return out


def problem_rows(problems: Sequence[Problem], *, roots: Sequence[Path],
                 config: RegionConfig | None = None) -> list[ProblemRow]:
    """The problems as table rows: file names relative to the project, errors first, with
    the point on the map when the row's coordinates (or the value) give one."""
    points = _row_points(config, problems)
    rows = []
    for p in problems:
        point = None
        if p.file and p.row is not None:
            point = points.get((str(Path(p.file).resolve()), p.sheet or "", p.row))
        if point is None:
            point = _value_point(p.value)
        column = p.column or ""
        if p.cell:
            column = f"{column}（{p.cell}列）"
        rows.append(ProblemRow(p.severity, _relative(p.file, roots), p.sheet or "", p.row,
                               column, "" if p.value is None else str(p.value), p.message,
                               p.fix, point))
    rows.sort(key=lambda r: (r.severity != "error", r.file, r.sheet, r.row or 0))
    return rows


def read_csv_rows(path: Path, columns: Mapping[str, str], *, limit: int = 500,
                  formats: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Rows of an output CSV: ``columns`` maps the CSV's column → the page's key.

    ``formats`` maps a key to ``pct`` (a share shown as 62.5%), ``int`` or ``min`` (one
    decimal).
    """
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    out = []
    for rec in frame.head(limit).to_dict("records"):
        row = {}
        for col, key in columns.items():
            text = str(rec.get(col, ""))
            kind = (formats or {}).get(key)
            if text and kind:
                try:
                    num = float(text)
                except ValueError:
                    pass
                else:
                    text = (f"{num * 100:.1f}%" if kind == "pct" else f"{num:,.0f}"
                            if kind == "int" else f"{num:.1f}")
            row[key] = text
        out.append(row)
    return out


def coord_label(code: str) -> str:
    """The coordinate source's label (高德地图（GCJ-02） …)."""
    return COORD_SOURCE.label(code)


def admin_outlines(config: RegionConfig | None) -> dict[str, Any]:
    """The county and township outlines as simplified WGS84 GeoJSON (the problem map's
    background); an empty collection when the files cannot be read (their problems are in
    the table already)."""
    features: list[dict[str, Any]] = []
    if config is None:
        return {"type": "FeatureCollection", "features": features}
    import json

    from coverage.crs import to_wgs84
    from coverage.problems import InputError
    from coverage.readers import read_vector

    for admin in config.admin:
        if admin.level not in ("county", "township"):
            continue
        try:
            gdf = read_vector(admin.file, layer=admin.layer or None,
                              encoding=admin.encoding or None)
            gdf = to_wgs84(gdf, source=admin.crs or None, file=str(admin.file))
        except (InputError, OSError, ValueError):
            continue
        shapes = gdf.geometry.simplify(0.0005)
        shapes = shapes[shapes.notna() & ~shapes.is_empty]
        data = json.loads(shapes.to_json())
        for f in data["features"]:
            f["properties"] = {"level": admin.level}
            features.append(f)
    return {"type": "FeatureCollection", "features": features}
