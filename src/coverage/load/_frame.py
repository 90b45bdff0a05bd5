"""A layer's table while it is being loaded: canonical fields, and where each cell came from.

Every problem about a cell names the file, the sheet, the Excel row, the header and its
column letter, and the value as typed — from the layer's own file or from the 台账 the
field was joined from.  :class:`LayerFrame` keeps that address for every cell and
:meth:`LayerFrame.report` writes it into the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage.problems import Problems, Severity

__all__ = ["LayerFrame", "LoadContext", "Source"]


@dataclass(frozen=True)
class LoadContext:
    """What every layer's checks need to know about the region.

    Attributes
    ----------
    region_code
        The 6-digit county code of ``[region] code``.
    county
        The county outline in EPSG:4326 (the union of the townships when none was given).
    metric
        The metric CRS of the region.
    max_bytes
        The size limit of each input file.
    """

    region_code: str
    county: shapely.Geometry
    metric: pyproj.CRS
    max_bytes: int

    @property
    def chinese(self) -> bool:
        """The region code is a Chinese county code (provinces 11–82)."""
        code = self.region_code
        return len(code) == 6 and code.isdigit() and 11 <= int(code[:2]) <= 82

    @property
    def centre_lon(self) -> float:
        """Longitude of the centre of the county's bounding box."""
        minx, _, maxx, _ = self.county.bounds
        return (minx + maxx) / 2.0


@dataclass(frozen=True)
class Source:
    """Where a canonical field's cells are: file, sheet, header, column letter.

    ``ledger`` is True for a field joined from the 台账 (its rows are the 台账's rows).
    """

    file: str
    header: str
    sheet: str | None = None
    letter: str | None = None
    ledger: bool = False


@dataclass
class LayerFrame:
    """A layer's table with canonical columns, and the address of every cell.

    Attributes
    ----------
    data
        Canonical field → cell text, normalised (NFKC for codes, stripped).
    raw
        Canonical field → the cell as typed (what the messages show).
    rows
        Excel row of each row in the layer's own file.
    file, sheet
        The layer's file (and sheet).
    sources
        Canonical field → :class:`Source` (its file may be the 台账).
    geometry
        The geometries of a vector layer (None for a table).
    ledger_rows
        Excel row of each row's 台账 row (0: none).
    ledger_only
        Rows that exist only in the 台账 (no row in the layer's file).
    """

    data: pd.DataFrame
    raw: pd.DataFrame
    rows: np.ndarray
    file: str
    sheet: str | None
    sources: dict[str, Source]
    geometry: gpd.GeoSeries | None = None
    ledger_rows: np.ndarray | None = None
    ledger_only: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ledger: Source | None = None

    def __len__(self) -> int:
        return len(self.data)

    def where(self, field_: str, i: int) -> dict[str, object]:
        """File, sheet, row, column and cell letter of ``field_`` in row ``i``."""
        src = self.sources.get(field_)
        only_ledger = bool(len(self.ledger_only) and self.ledger_only[i])
        if only_ledger and self.ledger is not None and field_ == "id":
            src = self.ledger
        in_ledger = only_ledger or (src is not None and src.ledger)
        if in_ledger and self.ledger is not None and self.ledger_rows is not None \
                and self.ledger_rows[i] > 0:
            file, sheet, row = self.ledger.file, self.ledger.sheet, int(self.ledger_rows[i])
            if src is not None and not src.ledger:
                src = None  # a layer-file field of a row that only the 台账 has
        else:
            file, sheet, row = self.file, self.sheet, int(self.rows[i])
        return {"file": file, "sheet": sheet, "row": row,
                "column": src.header if src else field_, "cell": src.letter if src else None}

    def typed(self, field_: str, i: int) -> str:
        """The cell of ``field_`` in row ``i`` as typed."""
        return str(self.raw[field_].iloc[i]) if field_ in self.raw else ""

    def report(self, problems: Problems, field_: str, i: int, message: str, fix: str, *,
               value: object = None, severity: Severity = "error", code: str = "") -> None:
        """Add a problem about the cell of ``field_`` in row ``i`` (value: as typed)."""
        shown = self.typed(field_, i) if value is None else value
        problems.add(message, value=shown, fix=fix, severity=severity, code=code,
                     **self.where(field_, i))  # type: ignore[arg-type]

    def report_column(self, problems: Problems, field_: str, rows: np.ndarray, message: str,
                      fix: str, *, severity: Severity = "warning", code: str = "",
                      example: object = None) -> None:
        """One problem about several rows of a column (rows listed, first one addressed)."""
        idx = [int(i) for i in rows]
        if not idx:
            return
        first = self.where(field_, idx[0])
        excel = [int(self.where(field_, i)["row"]) for i in idx]  # type: ignore[call-overload]
        shown = ", ".join(map(str, excel[:20])) + (" …" if len(excel) > 20 else "")
        problems.add(f"{message} (rows {shown})", value=example, fix=fix, severity=severity,
                     code=code, **first)  # type: ignore[arg-type]
