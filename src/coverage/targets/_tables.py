"""The gap engine's output tables: rows per unit, the township ranking, the JSON summary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from coverage.targets._evaluate import Cell
from coverage.targets._model import Indicator, TargetPreset
from coverage.targets._rules import (
    MET,
    NO_DATA,
    NOT_APPLICABLE,
    RANKING_COLUMNS,
    STATUS_VALUES,
    TABLE_COLUMNS,
    UNMET,
    GapNote,
    note,
)

__all__ = ["make_ranking", "make_summary", "make_table", "rows"]


def _cell_note_for_scope(ind: Indicator) -> GapNote:
    if ind.scope == "county":
        return note("scope_county_reference")
    if ind.scope == "township":
        return note("scope_township", target=ind.target_text)
    return note("scope_village")


def _num_out(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


def _citation_text(ind: Indicator, preset: TargetPreset) -> str:
    """《document title》（number）clause：“quote” — what a planner cites in a report."""
    c = ind.citation
    doc = f"《{preset.name}》" if c.file == preset.source or not c.file else c.file
    if preset.document and c.file == preset.source:
        doc += f"（{preset.document}）"
    clause = f"{c.clause}：" if c.clause else "："
    return f"{doc}{clause}“{c.quote}”"


def rows(ind: Indicator, preset: TargetPreset, county_code: str, county_name: str,
          county: Cell, towns: Mapping[str, Cell], names: Mapping[str, str]
          ) -> list[dict[str, Any]]:
    staff = ind.kind == "staff_ratio" or (ind.kind == "per_population"
                                          and ind.numerator.column is not None)
    common = {
        "indicator_id": ind.id, "indicator_name": ind.name, "kind": ind.kind,
        "scope": ind.scope, "target": float(ind.target), "per": ind.per,
        "shortfall_unit": "person" if staff else "site",
        "deadline": ind.deadline.isoformat() if ind.deadline else None,
        "citation": _citation_text(ind, preset),
    }
    rows: list[dict[str, Any]] = []

    def row(level: str, code: str, name: str, cell: Cell, binding: bool,
            extra_note: GapNote | None = None) -> dict[str, Any]:
        pipe = None
        if cell.under_construction is not None and cell.planned is not None:
            pipe = cell.under_construction + cell.planned
        notes = [*cell.notes]
        if extra_note and cell.status in (MET, UNMET):
            notes.insert(0, extra_note)
        if ind.note and level == "county":
            notes.append(note("text", text=ind.note))
        return {
            **common, "unit_level": level, "unit_code": code, "unit_name": name,
            "numerator": _num_out(cell.numerator), "denominator": _num_out(cell.denominator),
            "rate": cell.rate, "met": bool(cell.met), "shortfall": cell.shortfall,
            "in_pipeline": pipe, "under_construction": cell.under_construction,
            "planned": cell.planned, "met_if_pipeline": cell.met_if_pipeline,
            "binding": binding, "status": cell.status, "notes": tuple(notes),
            "unlocated": cell.unlocated,
        }

    county_binding = True
    rows.append(row("county", county_code, county_name, county, county_binding))
    town_binding = ind.scope != "county"
    town_note = _cell_note_for_scope(ind) if ind.scope == "county" else None
    total_only = ind.kind == "count" and ind.scope == "county"
    for code, cell in towns.items():
        r = row("township", code, names[code], cell, town_binding, town_note)
        if total_only and cell.status != NO_DATA:
            # a county total (≥40 sites in the county) says nothing about one township
            r.update(target=None, met=False, shortfall=None, met_if_pipeline=None,
                     status=NOT_APPLICABLE, notes=(note("county_total_only"),))
        rows.append(r)
    return rows


def _integral(series: pd.Series) -> pd.Series:
    """Int64 when every value is whole, else Float64."""
    s = pd.to_numeric(series, errors="coerce").astype("Float64")
    vals = s.dropna()
    if (vals == vals.round()).all():
        return s.round().astype("Int64")
    return s


def make_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for col in ("numerator", "denominator"):
        table[col] = _integral(table[col])
    for col in ("rate", "target"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Float64")
    for col in ("per", "shortfall", "in_pipeline", "under_construction", "planned",
                "unlocated"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    table["met"] = table["met"].astype(bool)
    table["binding"] = table["binding"].astype(bool)
    table["met_if_pipeline"] = table["met_if_pipeline"].astype("boolean")
    for col in ("indicator_id", "indicator_name", "kind", "scope", "unit_level",
                "unit_code", "unit_name", "shortfall_unit", "status", "deadline", "citation"):
        table[col] = table[col].astype("string")
    return table


def make_ranking(table: pd.DataFrame, townships: pd.DataFrame) -> pd.DataFrame:
    t = table[table["unit_level"] == "township"]
    out: list[dict[str, Any]] = []
    for code, name in zip(townships["code"].astype(str), townships["name"].astype(str),
                          strict=True):
        rows = t[t["unit_code"] == code]
        valid = rows[rows["status"].isin([MET, UNMET])]
        short = valid["shortfall"].fillna(0)
        sites = valid["shortfall_unit"] == "site"
        unmet = valid[valid["status"] == UNMET]
        out.append({
            "township_code": code, "township_name": name,
            "site_shortfall": int(short[sites].sum()),
            "staff_shortfall": int(short[~sites].sum()),
            "binding_site_shortfall": int(short[sites & valid["binding"]].sum()),
            "unmet_binding": int(unmet["binding"].sum()),
            "unmet_all": len(unmet),
            "no_data": int((rows["status"] == NO_DATA).sum()),
            "unmet_indicators": tuple(unmet["indicator_id"].astype(str)),
        })
    ranking = pd.DataFrame(out, columns=[c for c in RANKING_COLUMNS if c != "rank"])
    ranking = ranking.sort_values(
        ["site_shortfall", "binding_site_shortfall", "staff_shortfall", "unmet_all",
         "township_code"],
        ascending=[False, False, False, False, True], kind="stable").reset_index(drop=True)
    ranking.insert(0, "rank", range(1, len(ranking) + 1))
    return ranking


def _jsonable(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.bool_ | bool):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    return v


def make_summary(table: pd.DataFrame, preset: TargetPreset, county_code: str,
                  county_name: str) -> dict[str, Any]:
    indicators: dict[str, Any] = {}
    by_id = {i.id: i for i in preset.indicators}
    county_rows = table[table["unit_level"] == "county"]
    for _, r in county_rows.iterrows():
        ind = by_id[str(r["indicator_id"])]
        towns = table[(table["unit_level"] == "township")
                      & (table["indicator_id"] == ind.id)]
        entry = {k: _jsonable(r[k]) for k in (
            "indicator_name", "kind", "scope", "numerator", "denominator", "rate", "target",
            "per", "met", "shortfall", "shortfall_unit", "in_pipeline", "under_construction",
            "planned", "met_if_pipeline", "status", "deadline")}
        entry["target_text"] = ind.target_text
        entry["townships_met"] = int((towns["status"] == MET).sum())
        entry["townships_unmet"] = int((towns["status"] == UNMET).sum())
        entry["citation"] = {"file": ind.citation.file, "quote": ind.citation.quote,
                             "clause": ind.citation.clause}
        entry["source"] = ind.source
        indicators[ind.id] = entry
    counts = {s: int((county_rows["status"] == s).sum()) for s in STATUS_VALUES}
    return {
        "county_code": county_code, "county_name": county_name,
        "preset": {"id": preset.id, "name": preset.name, "document": preset.document,
                   "source": preset.source},
        "status_counts": counts,
        "indicators": indicators,
        "disabled": [i.id for i in preset.indicators if not i.enabled],
    }
