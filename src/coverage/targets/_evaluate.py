"""Evaluating one indicator for the county and each township (the gap engine's core)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage.region import is_urban, located_mask
from coverage.targets._model import Condition, Indicator, Selector
from coverage.targets._rules import (
    MET,
    NO_DATA,
    NOT_APPLICABLE,
    UNIT_COLUMNS,
    UNMET,
    GapNote,
    exact,
    note,
    shortfall_count,
    shortfall_rate,
    shortfall_ratio,
)
from coverage.vocabulary import STATUSES

__all__ = ["Cell", "Evaluator", "roll_up"]




@dataclass
class Cell:
    """Result for one indicator at one unit."""

    numerator: Fraction | None = None
    denominator: Fraction | None = None
    rate: float | None = None
    met: bool = False
    shortfall: int | None = None
    under_construction: int | None = None
    planned: int | None = None
    met_if_pipeline: bool | None = None
    status: str = NO_DATA
    notes: list[GapNote] = field(default_factory=list)
    unlocated: int | None = None


@dataclass
class _Gathered:
    """Rows of the listed layers that are present, plus what was missing."""

    frame: pd.DataFrame
    absent_layers: list[str]
    missing: list[str]  # "layer.column" that are absent or all empty in a present layer


def _gather(layers: Mapping[str, pd.DataFrame], kinds: Sequence[str],
            columns: Sequence[str]) -> _Gathered:
    parts: list[pd.DataFrame] = []
    absent: list[str] = []
    missing: list[str] = []
    base = ["id", "name", "kind", "township_code", "township_name"]
    for kind in kinds:
        gdf = layers.get(kind)
        if gdf is None or len(gdf) == 0:
            # a header-only file cannot say that the county has none: no data, not zero
            absent.append(kind)
            continue
        df = pd.DataFrame(index=range(len(gdf)))
        for col in base:
            df[col] = gdf[col].to_numpy() if col in gdf else pd.NA
        df["kind"] = df["kind"].fillna(kind)
        df["_layer"] = kind
        if isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf:
            df["_located"] = located_mask(gdf)
        else:
            df["_located"] = True
        for col in columns:
            if col == "urban":
                frame = pd.DataFrame({"kind": df["kind"].to_numpy()})
                if "ur_code" in gdf:
                    frame["ur_code"] = gdf["ur_code"].to_numpy()
                df["urban"] = is_urban(frame)
                continue
            if col not in gdf or (len(gdf) > 0 and gdf[col].isna().all()):
                missing.append(f"{kind}.{col}")
                df[col] = pd.NA
            else:
                df[col] = gdf[col].to_numpy()
        if "status" in df:
            df["status"] = df["status"].where(df["status"].isin(STATUSES), pd.NA)
        parts.append(df)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*base, "_layer", "_located", *columns])
    frame["township_code"] = frame["township_code"].astype("string")
    return _Gathered(frame, absent, missing)


def _condition_mask(frame: pd.DataFrame, cond: Condition) -> tuple[np.ndarray, np.ndarray]:
    """(matches, unknown) boolean arrays; unknown rows never match."""
    col = frame[cond.column]
    unknown = col.isna().to_numpy()
    if cond.op in ("ge", "gt", "le", "lt"):
        num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        unknown = unknown | np.isnan(num)
        with np.errstate(invalid="ignore"):
            match = {"ge": num >= cond.value, "gt": num > cond.value,
                     "le": num <= cond.value, "lt": num < cond.value}[cond.op]
    else:
        values = list(cond.value) if isinstance(cond.value, tuple) else [cond.value]
        isin = col.astype(object).isin(values).to_numpy()
        match = ~isin if cond.op in ("ne", "not_in") else isin
    match = np.asarray(match, dtype=bool) & ~unknown
    return match, unknown


def _where_mask(frame: pd.DataFrame, where: Sequence[Condition]) -> tuple[np.ndarray, np.ndarray]:
    match = np.ones(len(frame), dtype=bool)
    unknown = np.zeros(len(frame), dtype=bool)
    for cond in where:
        m, u = _condition_mask(frame, cond)
        match &= m
        unknown |= u
    return match & ~unknown, unknown


def _selector_columns(sel: Selector | None) -> list[str]:
    if sel is None:
        return []
    cols = [c.column for c in sel.where]
    if sel.statuses:
        cols.append("status")
    if sel.column:
        cols.append(sel.column)
    return list(dict.fromkeys(cols))


def _no_datanote(gathered: _Gathered, kinds: Sequence[str]) -> GapNote | None:
    """Why the indicator cannot be computed, or None."""
    if len(gathered.absent_layers) == len(kinds):
        return note("no_layer", layers=tuple(kinds))
    if gathered.missing:
        return note("no_column", columns=tuple(gathered.missing))
    return None


class Evaluator:
    """Evaluate one indicator for the county and each township."""

    def __init__(self, ind: Indicator, layers: Mapping[str, pd.DataFrame],
                 townships: pd.DataFrame) -> None:
        self.ind = ind
        self.layers = layers
        self.codes: list[str] = townships["code"].astype(str).tolist()
        self.names: dict[str, str] = dict(zip(self.codes, townships["name"].astype(str),
                                              strict=True))
        self.county_notes: list[GapNote] = []
        self.flags: list[dict[str, Any]] = []
        self.units: pd.DataFrame | None = None

    # -- helpers
    def _assign(self, frame: pd.DataFrame) -> pd.Series:
        """Township code per row, NA where the unit is not in any known township."""
        tc = frame["township_code"]
        known = tc.isin(self.codes).fillna(False).astype(bool)
        n_out = int((~known).sum())
        if n_out:
            self.county_notes.append(note("outside_townships", n=n_out))
        return tc.where(known, pd.NA)

    def _frame(self, kinds: Sequence[str], cols: list[str]) -> pd.DataFrame | GapNote:
        """Rows of ``kinds`` with ``cols``, or the no-data note when the inputs are missing."""
        g = _gather(self.layers, kinds, cols)
        why = _no_datanote(g, kinds)
        if why:
            return why
        if g.absent_layers:
            self.county_notes.append(note("layers_absent", layers=tuple(g.absent_layers)))
        return g.frame

    def no_data(self, note: GapNote) -> tuple[Cell, dict[str, Cell]]:
        cells = {c: Cell(status=NO_DATA, notes=[note]) for c in self.codes}
        return Cell(status=NO_DATA, notes=[note]), cells

    # -- kinds
    def run(self) -> tuple[Cell, dict[str, Cell]]:
        kind = self.ind.kind
        if kind == "rate" and self.ind.denominator is not None and self.ind.denominator.units:
            return self._township_coverage()
        if kind == "rate":
            return self._rate()
        if kind == "count":
            return self._count()
        if kind == "per_population":
            return self._per_population()
        return self._staff_ratio()

    def _rate(self) -> tuple[Cell, dict[str, Cell]]:
        ind, den, num = self.ind, self.ind.denominator, self.ind.numerator
        assert den is not None
        cols = list(dict.fromkeys(_selector_columns(den) + _selector_columns(num)))
        f = self._frame(den.layers, cols)
        if isinstance(f, GapNote):
            return self.no_data(f)
        in_den, den_unknown = _where_mask(f, den.where)
        if den_unknown.any():
            self.county_notes.append(note("den_filter_unknown", n=int(den_unknown.sum())))
        f = f[in_den].reset_index(drop=True)
        num_ok, num_unknown = _where_mask(f, num.where)
        pipe_ok = num_ok.copy()
        if num.statuses:
            status = f["status"]
            st_unknown = status.isna().to_numpy()
            num_ok &= status.isin(num.statuses).fillna(False).to_numpy(dtype=bool)
            if st_unknown.any():
                self.county_notes.append(note("status_unknown", n=int(st_unknown.sum())))
            uc = pipe_ok & (status == "under_construction").fillna(False).to_numpy(bool)
            pl = pipe_ok & (status == "planned").fillna(False).to_numpy(bool)
            uc &= ~num_ok
            pl &= ~num_ok
        else:
            uc = pl = None
        if num_unknown.any():
            self.county_notes.append(note("num_filter_unknown", n=int(num_unknown.sum()),
                                           columns=tuple(c.column for c in num.where)))
        tc = self._assign(f)
        work = pd.DataFrame({"tc": tc, "num": num_ok.astype(int), "one": 1})
        work["uc"] = uc.astype(int) if uc is not None else 0
        work["pl"] = pl.astype(int) if pl is not None else 0
        has_pipe = uc is not None

        work["unloc"] = (~f["_located"].to_numpy(dtype=bool)).astype(int)
        self.units = pd.DataFrame({
            "indicator_id": ind.id, "layer": f["_layer"].to_numpy(),
            "id": f["id"].to_numpy(), "name": f["name"].to_numpy(),
            "township_code": tc.to_numpy(),
            "status": f["status"].to_numpy() if "status" in f else pd.NA,
            "in_numerator": num_ok, "located": f["_located"].to_numpy(dtype=bool),
        }, columns=list(UNIT_COLUMNS))

        def cell(sub: pd.DataFrame) -> Cell:
            d, n = int(sub["one"].sum()), int(sub["num"].sum())
            u, p = int(sub["uc"].sum()), int(sub["pl"].sum())
            c = _rate_cell(n, d, ind.target, u if has_pipe else None,
                           p if has_pipe else None)
            c.unlocated = int(sub["unloc"].sum())
            return c

        county = cell(work)
        towns = {c: cell(work[work["tc"] == c]) for c in self.codes}
        if ind.scope == "village":
            self._flag_units(f, num_ok, num_unknown)
        return county, towns

    def _flag_units(self, f: pd.DataFrame, ok: np.ndarray, unknown: np.ndarray) -> None:
        ind = self.ind
        bad = f[~ok]
        unk = unknown[~ok]
        for (_, row), is_unknown in zip(bad.iterrows(), unk, strict=True):
            status = row.get("status")
            status = None if status is None or pd.isna(status) else str(status)
            details = [f"{c.column}={_show(row.get(c.column))}" for c in ind.numerator.where]
            if is_unknown:
                details.append("数据缺失")  # user-data detail, not a status word
            self.flags.append({
                "indicator_id": ind.id, "indicator_name": ind.name,
                "layer": row["_layer"], "id": _text(row["id"]), "name": _text(row["name"]),
                "township_code": _text(row["township_code"]),
                "township_name": _text(row["township_name"]) or self.names.get(
                    _text(row["township_code"]) or "", None),
                "status": status,
                "need": 1, "detail": "；".join(details),
            })

    def _township_coverage(self) -> tuple[Cell, dict[str, Cell]]:
        """Rate over townships: share of townships with ≥1 counted site."""
        ind, num = self.ind, self.ind.numerator
        f = self._frame(num.layers, _selector_columns(num))
        if isinstance(f, GapNote):
            return self.no_data(f)
        ok, _ = _where_mask(f, num.where)
        pipe_ok = ok.copy()
        if num.statuses:
            st = f["status"]
            ok &= st.isin(num.statuses).fillna(False).to_numpy(dtype=bool)
            uc_rows = pipe_ok & (st == "under_construction").fillna(False).to_numpy(bool)
            pl_rows = pipe_ok & (st == "planned").fillna(False).to_numpy(bool)
        else:
            uc_rows = pl_rows = np.zeros(len(f), dtype=bool)
        tc = self._assign(f)
        covered = set(tc[ok].dropna())
        building = set(tc[uc_rows].dropna()) - covered
        planning = set(tc[pl_rows].dropna()) - covered - building

        def cell(codes: Sequence[str]) -> Cell:
            n = sum(c in covered for c in codes)
            u = sum(c in building for c in codes)
            p = sum(c in planning for c in codes)
            return _rate_cell(n, len(codes), ind.target, u, p)

        return cell(self.codes), {c: cell([c]) for c in self.codes}

    def _count(self) -> tuple[Cell, dict[str, Cell]]:
        ind, num = self.ind, self.ind.numerator
        f = self._frame(num.layers, _selector_columns(num))
        if isinstance(f, GapNote):
            return self.no_data(f)
        ok, unknown = _where_mask(f, num.where)
        if unknown.any():
            self.county_notes.append(note("filter_unknown", n=int(unknown.sum())))
        pipe_ok = ok.copy()
        if num.statuses:
            st = f["status"]
            ok &= st.isin(num.statuses).fillna(False).to_numpy(dtype=bool)
            uc = pipe_ok & (st == "under_construction").fillna(False).to_numpy(bool) & ~ok
            pl = pipe_ok & (st == "planned").fillna(False).to_numpy(bool) & ~ok
        else:
            uc = pl = None
        tc = self._assign(f)

        def cell(mask: np.ndarray) -> Cell:
            n = int((ok & mask).sum())
            u = int((uc & mask).sum()) if uc is not None else None
            p = int((pl & mask).sum()) if pl is not None else None
            return _count_cell(n, ind.target, u, p)

        everything = np.ones(len(f), dtype=bool)
        county = cell(everything)
        towns = {c: cell((tc == c).fillna(False).to_numpy(bool)) for c in self.codes}
        return county, towns

    def _sum_by(self, sel: Selector, default_column: str | None
                ) -> tuple[pd.DataFrame | None, GapNote | None]:
        """Per-row value (column or 1) of a selector, lenient about missing layers/columns."""
        column = sel.column or default_column
        where_cols = _selector_columns(Selector(where=sel.where, statuses=sel.statuses))
        g = _gather(self.layers, sel.layers, [*where_cols, *([column] if column else [])])
        if len(g.absent_layers) == len(sel.layers):
            return None, note("no_layer", layers=tuple(sel.layers))
        where_missing = [m for m in g.missing if m.split(".", 1)[1] in where_cols]
        if where_missing:
            return None, note("no_column", columns=tuple(where_missing))
        val_missing = [m for m in g.missing if column and m.endswith("." + column)]
        present = [k for k in sel.layers if k not in g.absent_layers]
        if column and len(val_missing) == len(present):
            return None, note("no_column", columns=tuple(f"{k}.{column}" for k in present))
        if g.absent_layers:
            self.county_notes.append(note("layers_absent", layers=tuple(g.absent_layers)))
        if val_missing:
            self.county_notes.append(note("column_absent_layers", items=tuple(val_missing)))
        f = g.frame
        ok, unknown = _where_mask(f, sel.where)
        if unknown.any():
            self.county_notes.append(note("filter_unknown", n=int(unknown.sum())))
        if sel.statuses:
            ok &= f["status"].isin(sel.statuses).fillna(False).to_numpy(dtype=bool)
        f = f[ok].reset_index(drop=True)
        if column:
            values = pd.to_numeric(f[column], errors="coerce")
            has_col = ~f["_layer"].isin([m.split(".", 1)[0] for m in val_missing])
            n_na = int((values.isna() & has_col).sum())
            if n_na:
                self.county_notes.append(note("value_missing_zero", n=n_na, column=column))
            values = values.fillna(0.0)
        else:
            values = pd.Series(1.0, index=f.index)
        return pd.DataFrame({"tc": self._assign(f), "v": values}), None

    def _per_population(self) -> tuple[Cell, dict[str, Cell]]:
        ind = self.ind
        assert ind.denominator is not None and ind.per is not None
        num, why = self._sum_by(ind.numerator, None)
        if num is None:
            assert why is not None
            return self.no_data(why)
        den, why = self._sum_by(ind.denominator, "population")
        if den is None:
            assert why is not None
            return self.no_data(why)
        per = ind.per

        def total(df: pd.DataFrame, code: str | None) -> Fraction:
            vals = df["v"] if code is None else df.loc[df["tc"] == code, "v"]
            return sum((exact(v) for v in vals), Fraction(0))

        county = _ratio_cell(total(num, None), total(den, None), ind.target, per)
        towns = {c: _ratio_cell(total(num, c), total(den, c), ind.target, per)
                 for c in self.codes}
        return county, towns

    def _staff_ratio(self) -> tuple[Cell, dict[str, Cell]]:
        ind = self.ind
        den_sel = ind.denominator
        assert den_sel is not None and den_sel.column and ind.per
        num_col = ind.numerator.column
        assert num_col
        cols = list(dict.fromkeys([*_selector_columns(den_sel), num_col,
                                   *(c.column for c in ind.numerator.where)]))
        f = self._frame(den_sel.layers, cols)
        if isinstance(f, GapNote):
            return self.no_data(f)
        ok, unknown = _where_mask(f, den_sel.where)
        if unknown.any():
            self.county_notes.append(note("filter_unknown", n=int(unknown.sum())))
        f = f[ok].reset_index(drop=True)
        nv = pd.to_numeric(f[num_col], errors="coerce")
        dv = pd.to_numeric(f[den_sel.column], errors="coerce")
        nw, nw_unknown = _where_mask(f, ind.numerator.where)
        nv = nv.where(pd.Series(nw | nw_unknown), 0.0)  # numerator where: staff that count
        known = (nv.notna() & dv.notna()).to_numpy()
        if (~known).any():
            self.county_notes.append(note("staff_missing", n=int((~known).sum()), num=num_col,
                                           den=den_sel.column))
        tc = self._assign(f)
        target, per = ind.target, ind.per
        needs = [shortfall_ratio(exact(n), exact(d), target, per) if k else 0
                 for n, d, k in zip(nv.fillna(0), dv.fillna(0), known, strict=True)]
        work = pd.DataFrame({"tc": tc, "n": nv.fillna(0), "d": dv.fillna(0),
                             "need": needs, "known": known})

        def cell(sub: pd.DataFrame) -> Cell:
            sub = sub[sub["known"]]
            n = sum((exact(v) for v in sub["n"]), Fraction(0))
            d = sum((exact(v) for v in sub["d"]), Fraction(0))
            c = _ratio_cell(n, d, target, per)
            if ind.scope == "village" and c.status != NOT_APPLICABLE:
                c.shortfall = int(sub["need"].sum())
                c.met = c.shortfall == 0
                c.status = MET if c.met else UNMET
            return c

        county = cell(work)
        towns = {c: cell(work[work["tc"] == c]) for c in self.codes}
        if ind.scope == "village":
            for pos, (_, row) in enumerate(f.iterrows()):
                if known[pos] and needs[pos] == 0:
                    continue
                detail = (f"{num_col}={_show(row[num_col])}；"
                          f"{den_sel.column}={_show(row[den_sel.column])}")
                self.flags.append({
                    "indicator_id": ind.id, "indicator_name": ind.name,
                    "layer": row["_layer"], "id": _text(row["id"]),
                    "name": _text(row["name"]), "township_code": _text(row["township_code"]),
                    "township_name": _text(row["township_name"]),
                    "status": None,
                    "need": needs[pos] if known[pos] else None,
                    "detail": detail if known[pos] else detail + "；数据缺失",
                })
        return county, towns


def _text(v: object) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) \
        else str(v)


def _show(v: object) -> str:
    t = _text(v)
    if t is None:
        return "缺失"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return t


def _rate_cell(n: int, d: int, target: Fraction, uc: int | None, pl: int | None) -> Cell:
    cell = Cell(numerator=Fraction(n), denominator=Fraction(d), under_construction=uc,
                 planned=pl)
    if d == 0:
        cell.status = NOT_APPLICABLE
        cell.notes.append(note("no_units"))
        return cell
    cell.rate = n / d
    cell.shortfall = shortfall_rate(n, d, target)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    if uc is not None and pl is not None:
        cell.met_if_pipeline = shortfall_rate(n + uc + pl, d, target) == 0
    return cell


def _count_cell(n: int, target: Fraction, uc: int | None, pl: int | None) -> Cell:
    cell = Cell(numerator=Fraction(n), under_construction=uc, planned=pl)
    cell.shortfall = shortfall_count(n, target)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    if uc is not None and pl is not None:
        cell.met_if_pipeline = shortfall_count(n + uc + pl, target) == 0
    return cell


def _ratio_cell(n: Fraction, d: Fraction, target: Fraction, per: int) -> Cell:
    cell = Cell(numerator=n, denominator=d)
    if d == 0:
        cell.status = NOT_APPLICABLE
        cell.notes.append(note("zero_denominator"))
        return cell
    cell.rate = float(n / d * per)
    cell.shortfall = shortfall_ratio(n, d, target, per)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    return cell


def roll_up(county: Cell, towns: Mapping[str, Cell]) -> Cell:
    """County result of a township/village-scope indicator: every township must meet it."""
    if county.status == NO_DATA:
        return county
    applicable = [c for c in towns.values() if c.status in (MET, UNMET)]
    out = Cell(numerator=county.numerator, denominator=county.denominator, rate=county.rate,
                under_construction=county.under_construction, planned=county.planned,
                notes=list(county.notes), unlocated=county.unlocated)
    if not applicable:
        if county.status == NOT_APPLICABLE:
            out.status = NOT_APPLICABLE
            return out
        # units exist but none could be placed in a township: judge the county on its own
        return county
    n_met = sum(c.met for c in applicable)
    out.shortfall = sum(c.shortfall or 0 for c in applicable)
    out.met = n_met == len(applicable) and county.status != UNMET
    if county.status == UNMET and n_met == len(applicable):
        out.shortfall = max(out.shortfall, county.shortfall or 0)
    out.status = MET if out.met else UNMET
    pipes = [c.met_if_pipeline for c in applicable]
    out.met_if_pipeline = None if any(p is None for p in pipes) else all(pipes)
    out.notes.append(note("rollup", met=n_met, total=len(applicable)))
    return out
