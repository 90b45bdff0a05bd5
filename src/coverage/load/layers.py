"""Loading the point layers: tables or vector files, 台账 joins, codes, coordinates, values.

:func:`load_layer` reads one ``[layers.KIND]`` table (and its 台账) into a
:class:`ParsedLayer`: canonical columns, a point per located row and an empty geometry for
rows without coordinates (未定位: they count in completion rates).  Townships are assigned
later, once every layer is read (:mod:`coverage.load._assign`), because approximate
township areas are drawn from all village and community points together.

When a 台账 feeds only this layer, its rows that match no point of the layer's file are
added as 未定位 rows: a partly geocoded 台账 still counts in full.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from coverage import crs as crs_mod
from coverage import readers
from coverage.config import LayerConfig
from coverage.load._frame import LayerFrame, LoadContext, Source
from coverage.load._points import parse_points
from coverage.load._values import check_codes, check_names, normalise_codes, typed_columns
from coverage.load.admin import missing_columns
from coverage.problems import InputError, Problems
from coverage.readers import Table

__all__ = ["ParsedLayer", "TableCache", "load_layer"]

_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: Read tables, keyed by (file, sheet, header_row): a 台账 sheet shared by several layers is
#: read (and its notes reported) once.
TableCache = MutableMapping[tuple[str, str, int], Table]


@dataclass
class ParsedLayer:
    """A layer read and checked, before townships are assigned.

    Attributes
    ----------
    kind
        The layer kind.
    frame
        The cells and their addresses (for messages).
    gdf
        ``id``, ``name``, ``kind``, ``status``, the typed canonical columns, ``source_row``
        and a geometry per row (a Point, or empty for 未定位 rows) in EPSG:4326.
    located
        Rows with a point.
    failed
        Rows whose coordinates are wrong (an error was reported).
    township_text
        The 所属乡镇 cells, normalised ("" when absent or not mapped).
    """

    kind: str
    frame: LayerFrame
    gdf: gpd.GeoDataFrame
    located: np.ndarray
    failed: np.ndarray
    township_text: np.ndarray


def _formula_cells(table: Table, headers: Mapping[str, str], problems: Problems) -> bool:
    """Report mapped columns holding formulas without saved values; True if any."""
    bad = False
    for header in dict.fromkeys(headers.values()):
        cells = table.uncached.get(header)
        if not cells:
            continue
        bad = True
        rows = ", ".join(str(r) for r, _ in cells[:15]) + (" …" if len(cells) > 15 else "")
        problems.add(
            f"{len(cells)} 个公式单元格没有保存的值 ({len(cells)} cells hold formulas without a "
            f"saved value, e.g. {cells[0][1]}: rows {rows})",
            file=str(table.path), sheet=table.sheet, row=cells[0][0], column=header,
            cell=table.letters.get(header), value=cells[0][1], code="formula_without_value",
            fix="open the workbook in Excel or WPS and save it (保存), so the computed values "
                "are stored with the formulas — a workbook written by a program has none",
        )
    return bad


def _read_table(file: object, *, sheet: str, header_row: int, encoding: str,
                expect: list[str], ctx: LoadContext, cache: TableCache,
                problems: Problems) -> Table | None:
    key = (str(file), sheet, header_row)
    if key in cache:
        return cache[key]
    try:
        table = readers.read_table(file, sheet=sheet or None,  # type: ignore[arg-type]
                                   header_row=header_row, encoding=encoding, expect=expect,
                                   max_bytes=ctx.max_bytes)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(table.notes)
    cache[key] = table
    return table


def _attribute_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Vector attributes as text: whole floats without ``.0`` (codes stay codes)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            s = s.map(lambda v: "" if pd.isna(v) else
                      str(int(v)) if float(v).is_integer() and abs(v) < 1e16 else repr(float(v)))
        out[col] = s.astype("string").fillna("")
    return pd.DataFrame(out, index=frame.index)


def _read_frame(lc: LayerConfig, ctx: LoadContext, cache: TableCache, problems: Problems
                ) -> LayerFrame | None:
    fname = str(lc.file)
    cols = dict(lc.columns)
    geometry = None
    if lc.file.suffix.lower() in _TABLE_SUFFIXES:
        table = _read_table(lc.file, sheet=lc.sheet, header_row=lc.header_row,
                            encoding=lc.encoding, expect=list(cols.values()), ctx=ctx,
                            cache=cache, problems=problems)
        if table is None:
            return None
        frame, sheet, letters = table.frame, table.sheet, dict(table.letters)
        rows = np.asarray([table.excel_row(i) for i in range(len(frame))], dtype=int)
        if missing_columns(list(frame.columns), cols, fname, f"layers.{lc.kind}.columns",
                           problems, row=table.header_row, sheet=sheet):
            return None
        if _formula_cells(table, cols, problems):
            return None
    else:
        notes: list = []
        try:
            gdf = readers.read_vector(lc.file, layer=lc.layer or None, max_bytes=ctx.max_bytes,
                                      notes=notes)
            problems.extend(notes)
            gdf = crs_mod.to_wgs84(gdf, source=None if lc.crs == "EPSG:4326" and gdf.crs
                                   else lc.crs, file=fname)
        except InputError as exc:
            problems.extend(exc.problems)
            return None
        frame = _attribute_text(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)))
        sheet, letters = None, {}
        rows = np.arange(1, len(frame) + 1)
        geometry = gdf.geometry.reset_index(drop=True)
        for k in ("lon", "lat", "wkt"):
            cols.pop(k, None)
        if missing_columns(list(frame.columns), cols, fname, f"layers.{lc.kind}.columns",
                           problems):
            return None
    raw = pd.DataFrame({k: frame[h].astype("string").fillna("").to_numpy()
                        for k, h in cols.items()}, dtype=object)
    data = raw.apply(lambda s: s.str.strip()) if len(raw.columns) else raw.copy()
    sources = {k: Source(fname, h, sheet, letters.get(h)) for k, h in cols.items()}
    return LayerFrame(data=data.reset_index(drop=True), raw=raw.reset_index(drop=True),
                      rows=rows, file=fname, sheet=sheet, sources=sources, geometry=geometry,
                      ledger_only=np.zeros(len(frame), dtype=bool))


@dataclass
class LedgerUse:
    """The 台账 codes of one (file, sheet, key), and the codes the layers used."""

    keys: pd.Series
    rows: np.ndarray
    source: Source
    used: set[str]


def _join_ledger(lc: LayerConfig, fr: LayerFrame, ctx: LoadContext, cache: TableCache,
                 problems: Problems, *, exclusive: bool) -> LedgerUse | None:
    led = lc.ledger
    if led is None:
        return None
    lname = str(led.file)
    first_read = (lname, led.sheet, led.header_row) not in cache
    table = _read_table(led.file, sheet=led.sheet, header_row=led.header_row,
                        encoding=led.encoding, expect=[led.key, *led.columns.values()],
                        ctx=ctx, cache=cache, problems=problems if first_read else Problems())
    if table is None:
        return None
    frame = table.frame
    want = {"key": led.key, **led.columns}
    if missing_columns(list(frame.columns), want, lname, f"layers.{lc.kind}.ledger", problems,
                       row=table.header_row, sheet=table.sheet):
        return None
    if _formula_cells(table, want, problems if first_read else Problems()):
        return None
    key_src = Source(lname, led.key, table.sheet, table.letters.get(led.key), ledger=True)
    raw_keys = frame[led.key].astype(str)
    excel_rows = np.asarray([table.excel_row(i) for i in range(len(frame))], dtype=int)
    keys = normalise_codes(raw_keys, key_src, excel_rows, problems if first_read else Problems())
    if first_read:
        dup = keys.duplicated(keep=False) & (keys != "")
        for k in keys[dup].unique():
            rows = excel_rows[(keys == k).to_numpy()].tolist()
            problems.add(f"the 台账 lists this code on rows {rows}", file=lname,
                         sheet=table.sheet, row=rows[1], column=led.key, cell=key_src.letter,
                         value=k, fix="keep one row per unit in the 台账", code="duplicate_code")
        for i in map(int, np.flatnonzero((keys == "").to_numpy())):
            problems.add("empty code in the 台账", file=lname, sheet=table.sheet,
                         row=int(excel_rows[i]), column=led.key, cell=key_src.letter,
                         fix="fill in the unit's code", code="empty_code")
    fr.ledger = key_src
    ids = fr.data["id"] if "id" in fr.data else pd.Series([], dtype=object)
    pos = {k: i for i, k in enumerate(keys) if k}
    take = np.array([pos.get(k, -1) for k in ids], dtype=int)
    for j in np.flatnonzero(take < 0):
        fr.report(problems, "id", int(j), "this point has no row in the 台账; its ledger "
                  "fields are empty", f"add the unit to {lname}", severity="warning",
                  code="no_ledger_row")
    if exclusive:
        have = set(ids)
        first: dict[str, int] = {}
        for k, key in enumerate(keys):
            if key and key not in have:
                first.setdefault(key, k)
        extra = np.array(sorted(first.values()), dtype=int)
        _append_ledger_rows(fr, keys, raw_keys, extra)
        take = np.concatenate([take, extra])
    for field_, header in led.columns.items():
        col = frame[header].astype(str).to_numpy()
        vals = np.where(take >= 0, col[np.maximum(take, 0)] if len(col) else "", "")
        fr.raw[field_] = vals
        fr.data[field_] = pd.Series(vals, dtype=object).str.strip().to_numpy()
        fr.sources[field_] = Source(lname, header, table.sheet, table.letters.get(header),
                                    ledger=True)
    fr.ledger_rows = np.where(take >= 0, excel_rows[np.maximum(take, 0)]
                              if len(excel_rows) else 0, 0)
    return LedgerUse(keys, excel_rows, key_src, set(ids[take[: len(ids)] >= 0]))


def _append_ledger_rows(fr: LayerFrame, keys: pd.Series, raw_keys: pd.Series,
                        extra: np.ndarray) -> None:
    """Add the 台账 rows without a point as rows of the layer (未定位)."""
    if not len(extra):
        return
    blank = {c: [""] * len(extra) for c in fr.data.columns}
    data_new = pd.DataFrame({**blank, "id": keys.to_numpy()[extra]}, dtype=object)
    raw_new = pd.DataFrame({**blank, "id": raw_keys.to_numpy()[extra]}, dtype=object)
    fr.data = pd.concat([fr.data, data_new], ignore_index=True)
    fr.raw = pd.concat([fr.raw, raw_new], ignore_index=True)
    fr.rows = np.concatenate([fr.rows, np.zeros(len(extra), dtype=int)])
    fr.ledger_only = np.concatenate([fr.ledger_only, np.ones(len(extra), dtype=bool)])
    if fr.geometry is not None:
        fr.geometry = gpd.GeoSeries(list(fr.geometry) + [None] * len(extra), crs="EPSG:4326")


def load_layer(lc: LayerConfig, ctx: LoadContext, problems: Problems, *, cache: TableCache,
               ledgers: dict[tuple[str, str, str], LedgerUse], exclusive_ledger: bool
               ) -> ParsedLayer | None:
    """Read and check one layer (and its 台账).

    Parameters
    ----------
    lc
        The ``[layers.KIND]`` table.
    ctx
        The region's county, metric CRS, code and size limit.
    problems
        Collects every problem.
    cache
        Tables already read (a 台账 sheet shared by several layers is read once).
    ledgers
        Collects the 台账 codes each layer used (codes no layer used are reported once all
        layers are read).
    exclusive_ledger
        The 台账 (file and sheet) feeds only this layer: its rows without a point become
        未定位 rows of the layer.

    Returns
    -------
    ParsedLayer or None
        None when the layer could not be read at all (the problems say why).
    """
    fr = _read_frame(lc, ctx, cache, problems)
    if fr is None:
        return None
    if "id" in fr.data:
        fr.data["id"] = normalise_codes(fr.raw["id"], fr.sources["id"], fr.rows, problems)
    use = _join_ledger(lc, fr, ctx, cache, problems, exclusive=exclusive_ledger)
    if use is not None and lc.ledger is not None:
        entry = ledgers.setdefault((use.source.file, lc.ledger.sheet, use.source.header), use)
        entry.used.update(use.used)
    n = len(fr)
    if n == 0:
        problems.add(f"图层为空 (the layer is empty: {fr.file} has headers but no rows)",
                     file=fr.file, sheet=fr.sheet, column=f"layers.{lc.kind}",
                     code="empty_layer", severity="warning",
                     fix=f"fill in the table, or remove [layers.{lc.kind}] from the region TOML")
    ids = check_codes(fr, problems)
    check_names(fr, problems)
    geoms, located, failed = parse_points(lc, fr, ctx, problems)
    typed = typed_columns(lc, fr, problems)

    gdf = gpd.GeoDataFrame(
        {"id": ids.to_numpy(), "name": fr.data["name"].to_numpy() if "name" in fr.data
         else np.full(n, ""), "kind": lc.kind},
        geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"), crs="EPSG:4326",
    )
    gdf["name"] = gdf["name"].replace("", pd.NA)
    gdf["status"] = (typed.pop("status") if "status" in typed
                     else pd.Series(pd.NA, index=range(n), dtype="string")).to_numpy()
    for k, v in typed.items():
        gdf[k] = v.to_numpy()
    gdf = gdf.astype({"id": "string", "name": "string", "status": "string"})
    gdf["source_row"] = np.where(fr.ledger_only, fr.ledger_rows if fr.ledger_rows is not None
                                 else 0, fr.rows)
    town = (fr.data["township"].map(lambda t: str(t).strip()).to_numpy(dtype=object)
            if "township" in fr.data else np.full(n, "", dtype=object))
    return ParsedLayer(kind=lc.kind, frame=fr, gdf=gdf, located=located, failed=failed,
                       township_text=town)
