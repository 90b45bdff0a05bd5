"""Indicator engine: where each admin unit stands against each target, and the shortfall.

Rounding rule (stated once, used everywhere).  Targets are exact fractions (see
:mod:`coverage.targets._model`) and counts are integers, so every comparison is exact:

* ``rate``:            shortfall = max(0, ceil(target × denominator) − numerator)
  (80% of 23 villages needs ceil(18.4) = 19 built; 80% of 25 needs exactly 20, not 21);
* ``count``:           shortfall = max(0, target − numerator);
* ``per_population``:  shortfall = max(0, ceil(target × population / per − numerator));
* ``staff_ratio``:     the same on staff sums (1:4000 with 9,000 students needs 3 teachers).
  With ``scope = "village"`` the rule is applied to each unit and the needs are added up.

Scopes: ``county`` — the county row is the binding result and township rows are informative
("if each township had to meet it"); ``township`` — every township must meet it and the
county is met only if all applicable townships are (its shortfall is their sum);
``village`` — every unit (village, school, hospital …) must meet it; the units that do not
are listed one by one in :attr:`GapResult.flags`.

Missing inputs are never counted as zero: an absent layer that the indicator needs (when no
listed layer is present), or a needed column that is absent or entirely empty in a present
layer, makes the indicator ``无数据`` with the layer/column named in ``note``.  Units with a
zero denominator get rate NA and status ``不适用``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from coverage._errors import InputError
from coverage.config import STATUS_LABELS, STATUSES
from coverage.region import is_urban
from coverage.targets._model import Condition, Indicator, Selector, TargetPreset

__all__ = [
    "MET",
    "NOT_APPLICABLE",
    "NO_DATA",
    "STATUS_VALUES",
    "UNMET",
    "GapResult",
    "compute_gaps",
    "shortfall_count",
    "shortfall_rate",
    "shortfall_ratio",
]

logger = logging.getLogger(__name__)

MET = "达标"
UNMET = "未达标"
NO_DATA = "无数据"
NOT_APPLICABLE = "不适用"
STATUS_VALUES: tuple[str, ...] = (MET, UNMET, NO_DATA, NOT_APPLICABLE)
PIPELINE_STATUSES: tuple[str, ...] = ("under_construction", "planned")

TABLE_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator_name", "kind", "scope", "unit_level", "unit_code",
    "unit_name", "numerator", "denominator", "rate", "target", "per", "met", "shortfall",
    "shortfall_unit", "in_pipeline", "under_construction", "planned", "met_if_pipeline",
    "binding", "status", "deadline", "note", "citation",
)
FLAG_COLUMNS: tuple[str, ...] = (
    "indicator_id", "indicator_name", "layer", "id", "name", "township_code",
    "township_name", "status", "status_label", "need", "detail",
)
RANKING_COLUMNS: tuple[str, ...] = (
    "rank", "township_code", "township_name", "site_shortfall", "staff_shortfall",
    "binding_site_shortfall", "unmet_binding", "unmet_all", "no_data", "unmet_indicators",
)


# --------------------------------------------------------------------------- shortfall rules


def shortfall_rate(numerator: int, denominator: int, target: Fraction) -> int:
    """Smallest number of extra counted units so that numerator / denominator ≥ target.

    >>> shortfall_rate(15, 25, Fraction(4, 5))   # 0.8 × 25 = 20 exactly
    5
    >>> shortfall_rate(15, 23, Fraction(4, 5))   # 0.8 × 23 = 18.4 -> 19
    4
    """
    return max(0, math.ceil(target * denominator) - numerator)


def shortfall_count(numerator: int, target: Fraction) -> int:
    """Extra sites so that the count reaches the target (a whole number)."""
    return max(0, math.ceil(target - numerator))


def shortfall_ratio(numerator: Fraction, denominator: Fraction, target: Fraction,
                    per: int) -> int:
    """Extra staff (or sites) so that numerator / denominator × per ≥ target.

    >>> shortfall_ratio(Fraction(1), Fraction(9000), Fraction(1), 4000)  # 1:4000, 9000 students
    2
    """
    return max(0, math.ceil(target * denominator / per - numerator))


def _exact(x: object) -> Fraction:
    """Exact fraction of a number via its decimal text (12.3 -> 123/10)."""
    if isinstance(x, float | np.floating):
        return Fraction(repr(float(x)))
    return Fraction(int(x))  # type: ignore[call-overload]


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class GapResult:
    """Completion rates, targets and shortfalls per indicator and admin unit.

    Attributes
    ----------
    table
        One row per indicator × unit (county and every township); columns
        :data:`TABLE_COLUMNS` (English snake_case; ``status`` is 达标/未达标/无数据/不适用).
    flags
        One row per unit that fails a ``scope = "village"`` indicator; :data:`FLAG_COLUMNS`.
    ranking
        Townships ranked by total site shortfall; :data:`RANKING_COLUMNS`.
    summary
        JSON-able dict: county result per indicator (``summary["indicators"][id]``).
    preset
        The preset (with overrides) that was evaluated.
    """

    table: pd.DataFrame
    flags: pd.DataFrame
    ranking: pd.DataFrame
    summary: dict[str, Any]
    preset: TargetPreset
    county_code: str
    county_name: str

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()

    def county(self) -> pd.DataFrame:
        """The county rows of :attr:`table`, one per indicator."""
        return self.table[self.table["unit_level"] == "county"].reset_index(drop=True)


# --------------------------------------------------------------------------- internals


@dataclass
class _Cell:
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
    notes: list[str] = field(default_factory=list)


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
        if gdf is None:
            absent.append(kind)
            continue
        df = pd.DataFrame(index=range(len(gdf)))
        for col in base:
            df[col] = gdf[col].to_numpy() if col in gdf else pd.NA
        df["kind"] = df["kind"].fillna(kind)
        df["_layer"] = kind
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
        columns=[*base, "_layer", *columns])
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


def _no_data_note(gathered: _Gathered, kinds: Sequence[str]) -> str | None:
    """Why the indicator cannot be computed, or None."""
    if len(gathered.absent_layers) == len(kinds):
        return "缺少数据：需要图层 " + " 或 ".join(kinds)
    if gathered.missing:
        return "缺少数据：需要列 " + "、".join(gathered.missing)
    return None


def _fmt_count(n: int, what: str) -> str:
    return f"{n}个单位{what}"


class _Evaluator:
    """Evaluate one indicator for the county and each township."""

    def __init__(self, ind: Indicator, layers: Mapping[str, pd.DataFrame],
                 townships: pd.DataFrame) -> None:
        self.ind = ind
        self.layers = layers
        self.codes: list[str] = townships["code"].astype(str).tolist()
        self.names: dict[str, str] = dict(zip(self.codes, townships["name"].astype(str),
                                              strict=True))
        self.county_notes: list[str] = []
        self.flags: list[dict[str, Any]] = []

    # -- helpers
    def _assign(self, frame: pd.DataFrame) -> pd.Series:
        """Township code per row, NA where the unit is not in any known township."""
        tc = frame["township_code"]
        known = tc.isin(self.codes).fillna(False).astype(bool)
        n_out = int((~known).sum())
        if n_out:
            self.county_notes.append(_fmt_count(n_out, "未落入已知乡镇(街道)，只计入县级"))
        return tc.where(known, pd.NA)

    def _frame(self, kinds: Sequence[str], cols: list[str]) -> pd.DataFrame | str:
        """Rows of ``kinds`` with ``cols``, or the 无数据 note when the inputs are missing."""
        g = _gather(self.layers, kinds, cols)
        why = _no_data_note(g, kinds)
        if why:
            return why
        if g.absent_layers:
            self.county_notes.append("未提供图层 " + "、".join(g.absent_layers))
        return g.frame

    def no_data(self, note: str) -> tuple[_Cell, dict[str, _Cell]]:
        cells = {c: _Cell(status=NO_DATA, notes=[note]) for c in self.codes}
        return _Cell(status=NO_DATA, notes=[note]), cells

    # -- kinds
    def run(self) -> tuple[_Cell, dict[str, _Cell]]:
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

    def _rate(self) -> tuple[_Cell, dict[str, _Cell]]:
        ind, den, num = self.ind, self.ind.denominator, self.ind.numerator
        assert den is not None
        cols = list(dict.fromkeys(_selector_columns(den) + _selector_columns(num)))
        f = self._frame(den.layers, cols)
        if isinstance(f, str):
            return self.no_data(f)
        in_den, den_unknown = _where_mask(f, den.where)
        if den_unknown.any():
            self.county_notes.append(_fmt_count(int(den_unknown.sum()),
                                                "筛选列缺失，未计入分母"))
        f = f[in_den].reset_index(drop=True)
        num_ok, num_unknown = _where_mask(f, num.where)
        pipe_ok = num_ok.copy()
        if num.statuses:
            status = f["status"]
            st_unknown = status.isna().to_numpy()
            num_ok &= status.isin(num.statuses).fillna(False).to_numpy(dtype=bool)
            if st_unknown.any():
                self.county_notes.append(_fmt_count(int(st_unknown.sum()),
                                                    "状态未知，按未建成计"))
            uc = pipe_ok & (status == "under_construction").fillna(False).to_numpy(bool)
            pl = pipe_ok & (status == "planned").fillna(False).to_numpy(bool)
            uc &= ~num_ok
            pl &= ~num_ok
        else:
            uc = pl = None
        if num_unknown.any():
            cols_txt = "/".join(c.column for c in num.where)
            self.county_notes.append(_fmt_count(int(num_unknown.sum()),
                                                f"{cols_txt} 缺失，按不达标计"))
        tc = self._assign(f)
        work = pd.DataFrame({"tc": tc, "num": num_ok.astype(int), "one": 1})
        work["uc"] = uc.astype(int) if uc is not None else 0
        work["pl"] = pl.astype(int) if pl is not None else 0
        has_pipe = uc is not None

        def cell(sub: pd.DataFrame) -> _Cell:
            d, n = int(sub["one"].sum()), int(sub["num"].sum())
            u, p = int(sub["uc"].sum()), int(sub["pl"].sum())
            return _rate_cell(n, d, ind.target, u if has_pipe else None,
                              p if has_pipe else None)

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
                details.append("数据缺失")
            self.flags.append({
                "indicator_id": ind.id, "indicator_name": ind.name,
                "layer": row["_layer"], "id": _text(row["id"]), "name": _text(row["name"]),
                "township_code": _text(row["township_code"]),
                "township_name": _text(row["township_name"]) or self.names.get(
                    _text(row["township_code"]) or "", None),
                "status": status,
                "status_label": STATUS_LABELS.get(status, "未知") if status else "未知",
                "need": 1, "detail": "；".join(details),
            })

    def _township_coverage(self) -> tuple[_Cell, dict[str, _Cell]]:
        """Rate over townships: share of townships with ≥1 counted site."""
        ind, num = self.ind, self.ind.numerator
        f = self._frame(num.layers, _selector_columns(num))
        if isinstance(f, str):
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

        def cell(codes: Sequence[str]) -> _Cell:
            n = sum(c in covered for c in codes)
            u = sum(c in building for c in codes)
            p = sum(c in planning for c in codes)
            return _rate_cell(n, len(codes), ind.target, u, p)

        return cell(self.codes), {c: cell([c]) for c in self.codes}

    def _count(self) -> tuple[_Cell, dict[str, _Cell]]:
        ind, num = self.ind, self.ind.numerator
        f = self._frame(num.layers, _selector_columns(num))
        if isinstance(f, str):
            return self.no_data(f)
        ok, unknown = _where_mask(f, num.where)
        if unknown.any():
            self.county_notes.append(_fmt_count(int(unknown.sum()), "筛选列缺失，未计入"))
        pipe_ok = ok.copy()
        if num.statuses:
            st = f["status"]
            ok &= st.isin(num.statuses).fillna(False).to_numpy(dtype=bool)
            uc = pipe_ok & (st == "under_construction").fillna(False).to_numpy(bool) & ~ok
            pl = pipe_ok & (st == "planned").fillna(False).to_numpy(bool) & ~ok
        else:
            uc = pl = None
        tc = self._assign(f)

        def cell(mask: np.ndarray) -> _Cell:
            n = int((ok & mask).sum())
            u = int((uc & mask).sum()) if uc is not None else None
            p = int((pl & mask).sum()) if pl is not None else None
            return _count_cell(n, ind.target, u, p)

        everything = np.ones(len(f), dtype=bool)
        county = cell(everything)
        towns = {c: cell((tc == c).fillna(False).to_numpy(bool)) for c in self.codes}
        return county, towns

    def _sum_by(self, sel: Selector, default_column: str | None
                ) -> tuple[pd.DataFrame | None, str | None]:
        """Per-row value (column or 1) of a selector, lenient about missing layers/columns."""
        column = sel.column or default_column
        where_cols = _selector_columns(Selector(where=sel.where, statuses=sel.statuses))
        g = _gather(self.layers, sel.layers, [*where_cols, *([column] if column else [])])
        if len(g.absent_layers) == len(sel.layers):
            return None, "缺少数据：需要图层 " + " 或 ".join(sel.layers)
        where_missing = [m for m in g.missing if m.split(".", 1)[1] in where_cols]
        if where_missing:
            return None, "缺少数据：需要列 " + "、".join(where_missing)
        val_missing = [m for m in g.missing if column and m.endswith("." + column)]
        present = [k for k in sel.layers if k not in g.absent_layers]
        if column and len(val_missing) == len(present):
            return None, "缺少数据：需要列 " + "、".join(f"{k}.{column}" for k in present)
        if g.absent_layers:
            self.county_notes.append("未提供图层 " + "、".join(g.absent_layers))
        if val_missing:
            self.county_notes.append("以下图层无该列，未计入：" + "、".join(val_missing))
        f = g.frame
        ok, unknown = _where_mask(f, sel.where)
        if unknown.any():
            self.county_notes.append(_fmt_count(int(unknown.sum()), "筛选列缺失，未计入"))
        if sel.statuses:
            ok &= f["status"].isin(sel.statuses).fillna(False).to_numpy(dtype=bool)
        f = f[ok].reset_index(drop=True)
        if column:
            values = pd.to_numeric(f[column], errors="coerce")
            has_col = ~f["_layer"].isin([m.split(".", 1)[0] for m in val_missing])
            n_na = int((values.isna() & has_col).sum())
            if n_na:
                self.county_notes.append(_fmt_count(n_na, f"{column} 缺失，按0计"))
            values = values.fillna(0.0)
        else:
            values = pd.Series(1.0, index=f.index)
        return pd.DataFrame({"tc": self._assign(f), "v": values}), None

    def _per_population(self) -> tuple[_Cell, dict[str, _Cell]]:
        ind = self.ind
        assert ind.denominator is not None and ind.per is not None
        num, why = self._sum_by(ind.numerator, None)
        if num is None:
            return self.no_data(why or "")
        den, why = self._sum_by(ind.denominator, "population")
        if den is None:
            return self.no_data(why or "")
        per = ind.per

        def total(df: pd.DataFrame, code: str | None) -> Fraction:
            vals = df["v"] if code is None else df.loc[df["tc"] == code, "v"]
            return sum((_exact(v) for v in vals), Fraction(0))

        county = _ratio_cell(total(num, None), total(den, None), ind.target, per)
        towns = {c: _ratio_cell(total(num, c), total(den, c), ind.target, per)
                 for c in self.codes}
        return county, towns

    def _staff_ratio(self) -> tuple[_Cell, dict[str, _Cell]]:
        ind = self.ind
        den_sel = ind.denominator
        assert den_sel is not None and den_sel.column and ind.per
        num_col = ind.numerator.column
        assert num_col
        cols = list(dict.fromkeys([*_selector_columns(den_sel), num_col,
                                   *(c.column for c in ind.numerator.where)]))
        f = self._frame(den_sel.layers, cols)
        if isinstance(f, str):
            return self.no_data(f)
        ok, unknown = _where_mask(f, den_sel.where)
        if unknown.any():
            self.county_notes.append(_fmt_count(int(unknown.sum()), "筛选列缺失，未计入"))
        f = f[ok].reset_index(drop=True)
        nv = pd.to_numeric(f[num_col], errors="coerce")
        dv = pd.to_numeric(f[den_sel.column], errors="coerce")
        nw, nw_unknown = _where_mask(f, ind.numerator.where)
        nv = nv.where(pd.Series(nw | nw_unknown), 0.0)  # numerator where: staff that count
        known = (nv.notna() & dv.notna()).to_numpy()
        if (~known).any():
            self.county_notes.append(_fmt_count(int((~known).sum()),
                                                f"{num_col}或{den_sel.column}缺失，未计入"))
        tc = self._assign(f)
        target, per = ind.target, ind.per
        needs = [shortfall_ratio(_exact(n), _exact(d), target, per) if k else 0
                 for n, d, k in zip(nv.fillna(0), dv.fillna(0), known, strict=True)]
        work = pd.DataFrame({"tc": tc, "n": nv.fillna(0), "d": dv.fillna(0),
                             "need": needs, "known": known})

        def cell(sub: pd.DataFrame) -> _Cell:
            sub = sub[sub["known"]]
            n = sum((_exact(v) for v in sub["n"]), Fraction(0))
            d = sum((_exact(v) for v in sub["d"]), Fraction(0))
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
                    "status": None, "status_label": "",
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


def _rate_cell(n: int, d: int, target: Fraction, uc: int | None, pl: int | None) -> _Cell:
    cell = _Cell(numerator=Fraction(n), denominator=Fraction(d), under_construction=uc,
                 planned=pl)
    if d == 0:
        cell.status = NOT_APPLICABLE
        cell.notes.append("无相关单位")
        return cell
    cell.rate = n / d
    cell.shortfall = shortfall_rate(n, d, target)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    if uc is not None and pl is not None:
        cell.met_if_pipeline = shortfall_rate(n + uc + pl, d, target) == 0
    return cell


def _count_cell(n: int, target: Fraction, uc: int | None, pl: int | None) -> _Cell:
    cell = _Cell(numerator=Fraction(n), under_construction=uc, planned=pl)
    cell.shortfall = shortfall_count(n, target)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    if uc is not None and pl is not None:
        cell.met_if_pipeline = shortfall_count(n + uc + pl, target) == 0
    return cell


def _ratio_cell(n: Fraction, d: Fraction, target: Fraction, per: int) -> _Cell:
    cell = _Cell(numerator=n, denominator=d)
    if d == 0:
        cell.status = NOT_APPLICABLE
        cell.notes.append("分母为0")
        return cell
    cell.rate = float(n / d * per)
    cell.shortfall = shortfall_ratio(n, d, target, per)
    cell.met = cell.shortfall == 0
    cell.status = MET if cell.met else UNMET
    return cell


def _roll_up(county: _Cell, towns: Mapping[str, _Cell]) -> _Cell:
    """County result of a township/village-scope indicator: every township must meet it."""
    if county.status == NO_DATA:
        return county
    applicable = [c for c in towns.values() if c.status in (MET, UNMET)]
    out = _Cell(numerator=county.numerator, denominator=county.denominator, rate=county.rate,
                under_construction=county.under_construction, planned=county.planned,
                notes=list(county.notes))
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
    out.notes.append(f"县级达标需每个乡镇(街道)均达标：{n_met}/{len(applicable)}个达标")
    return out


def _cell_note_for_scope(ind: Indicator) -> str:
    if ind.scope == "county":
        return "参考：县级指标，按本乡镇(街道)单独计算"
    if ind.scope == "township":
        return f"每个乡镇(街道)须达到{ind.target_text}"
    return "每个单位须达标"


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


def _rows(ind: Indicator, preset: TargetPreset, county_code: str, county_name: str,
          county: _Cell, towns: Mapping[str, _Cell], names: Mapping[str, str]
          ) -> list[dict[str, Any]]:
    staff = ind.kind == "staff_ratio" or (ind.kind == "per_population"
                                          and ind.numerator.column is not None)
    common = {
        "indicator_id": ind.id, "indicator_name": ind.name, "kind": ind.kind,
        "scope": ind.scope, "target": float(ind.target), "per": ind.per,
        "shortfall_unit": "人" if staff else "个",
        "deadline": ind.deadline.isoformat() if ind.deadline else None,
        "citation": _citation_text(ind, preset),
    }
    rows: list[dict[str, Any]] = []

    def row(level: str, code: str, name: str, cell: _Cell, binding: bool,
            extra_note: str = "") -> dict[str, Any]:
        pipe = None
        if cell.under_construction is not None and cell.planned is not None:
            pipe = cell.under_construction + cell.planned
        notes = [*cell.notes]
        if extra_note and cell.status in (MET, UNMET):
            notes.insert(0, extra_note)
        if ind.note and level == "county":
            notes.append(ind.note)
        return {
            **common, "unit_level": level, "unit_code": code, "unit_name": name,
            "numerator": _num_out(cell.numerator), "denominator": _num_out(cell.denominator),
            "rate": cell.rate, "met": bool(cell.met), "shortfall": cell.shortfall,
            "in_pipeline": pipe, "under_construction": cell.under_construction,
            "planned": cell.planned, "met_if_pipeline": cell.met_if_pipeline,
            "binding": binding, "status": cell.status, "note": "；".join(notes),
        }

    county_binding = True
    rows.append(row("county", county_code, county_name, county, county_binding))
    town_binding = ind.scope != "county"
    town_note = _cell_note_for_scope(ind) if ind.scope == "county" else ""
    total_only = ind.kind == "count" and ind.scope == "county"
    for code, cell in towns.items():
        r = row("township", code, names[code], cell, town_binding, town_note)
        if total_only and cell.status != NO_DATA:
            # a county total (≥40 sites in the county) says nothing about one township
            r.update(target=None, met=False, shortfall=None, met_if_pipeline=None,
                     status=NOT_APPLICABLE, note="县级总量指标：此处仅列本乡镇(街道)现有数量")
        rows.append(r)
    return rows


def _integral(series: pd.Series) -> pd.Series:
    """Int64 when every value is whole, else Float64."""
    s = pd.to_numeric(series, errors="coerce").astype("Float64")
    vals = s.dropna()
    if (vals == vals.round()).all():
        return s.round().astype("Int64")
    return s


def _make_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for col in ("numerator", "denominator"):
        table[col] = _integral(table[col])
    for col in ("rate", "target"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Float64")
    for col in ("per", "shortfall", "in_pipeline", "under_construction", "planned"):
        table[col] = pd.to_numeric(table[col], errors="coerce").astype("Int64")
    table["met"] = table["met"].astype(bool)
    table["binding"] = table["binding"].astype(bool)
    table["met_if_pipeline"] = table["met_if_pipeline"].astype("boolean")
    for col in ("indicator_id", "indicator_name", "kind", "scope", "unit_level",
                "unit_code", "unit_name", "shortfall_unit", "status", "deadline", "note",
                "citation"):
        table[col] = table[col].astype("string")
    return table


def _make_ranking(table: pd.DataFrame, townships: pd.DataFrame) -> pd.DataFrame:
    t = table[table["unit_level"] == "township"]
    out: list[dict[str, Any]] = []
    for code, name in zip(townships["code"].astype(str), townships["name"].astype(str),
                          strict=True):
        rows = t[t["unit_code"] == code]
        valid = rows[rows["status"].isin([MET, UNMET])]
        short = valid["shortfall"].fillna(0)
        sites = valid["shortfall_unit"] == "个"
        unmet = valid[valid["status"] == UNMET]
        out.append({
            "township_code": code, "township_name": name,
            "site_shortfall": int(short[sites].sum()),
            "staff_shortfall": int(short[~sites].sum()),
            "binding_site_shortfall": int(short[sites & valid["binding"]].sum()),
            "unmet_binding": int(unmet["binding"].sum()),
            "unmet_all": len(unmet),
            "no_data": int((rows["status"] == NO_DATA).sum()),
            "unmet_indicators": "、".join(unmet["indicator_id"].astype(str)),
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


def _make_summary(table: pd.DataFrame, preset: TargetPreset, county_code: str,
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
            "planned", "met_if_pipeline", "status", "deadline", "note")}
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


def _check_townships(townships: pd.DataFrame) -> None:
    missing = [c for c in ("code", "name") if c not in townships.columns]
    if missing:
        raise InputError.single(
            "township table needs columns code and name", column=", ".join(missing),
            fix="pass Region.townships (columns code, name)")
    dup = townships["code"].astype(str).duplicated()
    if dup.any():
        raise InputError.single(
            "duplicate township codes", column="code",
            value=", ".join(townships["code"].astype(str)[dup].unique()),
            fix="each 乡镇(街道) must have one unique code")


def compute_gaps(
    *,
    layers: Mapping[str, pd.DataFrame],
    townships: pd.DataFrame,
    preset: TargetPreset,
    county_code: str,
    county_name: str,
) -> GapResult:
    """Compute every enabled indicator of ``preset`` for the county and each township.

    Parameters
    ----------
    layers
        Canonical layers by kind (``Region.layers``); GeoDataFrames or plain DataFrames with
        the canonical columns (geometry is not used).
    townships
        The townships (``Region.townships``): columns ``code`` and ``name``.
    preset
        The targets, e.g. ``apply_overrides(load_preset("national_2018"), ...)``.
    county_code, county_name
        The county row's code and name.

    Returns
    -------
    GapResult
        Tidy table, village/unit flags, township ranking and a JSON-able summary.

    Raises
    ------
    InputError
        The township table lacks ``code``/``name`` or has duplicate codes.
    """
    _check_townships(townships)
    names = dict(zip(townships["code"].astype(str), townships["name"].astype(str),
                     strict=True))
    rows: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    for ind in preset.enabled:
        ev = _Evaluator(ind, layers, townships)
        county, towns = ev.run()
        county.notes = list(dict.fromkeys([*county.notes, *ev.county_notes]))
        if ind.scope != "county":
            county = _roll_up(county, towns)
        rows += _rows(ind, preset, county_code, county_name, county, towns, names)
        flags += ev.flags
        logger.debug("indicator %s: %s", ind.id, county.status)
    table = _make_table(rows)
    flag_frame = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    flag_frame["need"] = pd.to_numeric(flag_frame["need"], errors="coerce").astype("Int64")
    ranking = _make_ranking(table, townships)
    summary = _make_summary(table, preset, county_code, county_name)
    return GapResult(table=table, flags=flag_frame, ranking=ranking, summary=summary,
                     preset=preset, county_code=county_code, county_name=county_name)
