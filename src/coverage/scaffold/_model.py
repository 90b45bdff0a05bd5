"""What ``coverage init`` found in a folder: frozen records of codes, numbers and cell texts.

A :class:`Survey` holds one :class:`SourceSurvey` per file or worksheet; every guess in it
carries a confidence (0–1), a reason code (labels in
:data:`coverage.vocabulary.SCAFFOLD_NOTE`) and the alternatives, so that a form can show
them as drop-downs and a report can say why.  :meth:`Survey.to_dict` is the JSON a web form
or a report reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.problems import Problem

__all__ = [
    "CRSGuess",
    "ColumnGuess",
    "Reason",
    "RoleGuess",
    "SourceSurvey",
    "Survey",
    "UseGuess",
    "problem_dict",
]


@dataclass(frozen=True)
class Reason:
    """Why a guess was made: a :data:`~coverage.vocabulary.SCAFFOLD_NOTE` code and its values."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, /, **params: object) -> Reason:
        """``Reason.of("header_exact", synonym="经度")``."""
        return cls(code, tuple((k, str(v)) for k, v in params.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, **dict(self.params)}


@dataclass(frozen=True)
class RoleGuess:
    """One role a column could play: a canonical field (``id``, ``lon`` …) or ``parent``."""

    role: str
    confidence: float
    reason: Reason

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "confidence": round(self.confidence, 2),
                "reason": self.reason.to_dict()}


@dataclass(frozen=True)
class ColumnGuess:
    """A column of a table and the role guessed for it.

    Attributes
    ----------
    header
        The header as the file has it.
    letter
        Its column letter in Excel (``"C"``); ``None`` for CSV and vector files.
    role
        The canonical field it is read as, ``parent`` (boundary files), or ``None`` when it
        is not placed (see ``reason``: ``unknown_header``, ``ignored_header``,
        ``crs_evidence``, ``taken``, ``unused_role``).
    confidence
        Of the role (0 when unplaced).
    reason
        Why.
    alternatives
        Other roles it could play, best first.
    samples
        Its first non-empty values, as typed.
    filled
        Share of rows with a value.
    """

    header: str
    letter: str | None
    role: str | None
    confidence: float
    reason: Reason
    alternatives: tuple[RoleGuess, ...] = ()
    samples: tuple[str, ...] = ()
    filled: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"header": self.header, "letter": self.letter, "role": self.role,
                "confidence": round(self.confidence, 2), "reason": self.reason.to_dict(),
                "alternatives": [a.to_dict() for a in self.alternatives],
                "samples": list(self.samples), "filled": round(self.filled, 3)}


@dataclass(frozen=True)
class CRSGuess:
    """The coordinate system of a source.

    Attributes
    ----------
    units
        ``degrees``, ``metres`` or ``none`` (no coordinates at all).
    crs
        What the draft writes as ``crs`` (``"gcj02"``, ``"EPSG:4527"`` …); ``""`` to use the
        file's own declared CRS.
    reason
        How it was decided (``declared_prj``, ``declared_text``, ``answer``, ``gk_prefix``,
        ``gk_no_prefix``, ``gk_unknown_zone``, ``degrees_ambiguous``, ``no_coordinates``).
    confidence
        0–1.
    needs_answer
        Degrees whose source (高德/腾讯 → gcj02, 百度 → bd09, GPS/天地图 → WGS84/CGCS2000)
        nobody answered, or metres whose zone is unknown: the report asks.
    evidence
        The text that declared the system (a title row, a 坐标系 cell, the .prj's name).
    bounds
        ``(minx, miny, maxx, maxy)`` of the coordinates as given (None without any).
    epsg
        The EPSG code when the system is one (4527 …), else None.
    """

    units: str
    crs: str
    reason: Reason
    confidence: float
    needs_answer: bool = False
    evidence: str = ""
    bounds: tuple[float, float, float, float] | None = None
    epsg: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"units": self.units, "crs": self.crs, "reason": self.reason.to_dict(),
                "confidence": round(self.confidence, 2), "needs_answer": self.needs_answer,
                "evidence": self.evidence, "epsg": self.epsg,
                "bounds": list(self.bounds) if self.bounds else None}


@dataclass(frozen=True)
class UseGuess:
    """What a source is for.

    Attributes
    ----------
    use
        ``layer``, ``admin``, ``ledger``, ``division_codes`` or ``ignore``
        (:data:`~coverage.vocabulary.SCAFFOLD_USE`).
    kind
        The layer kind (``village`` …) for a layer, the admin level for boundaries, the kinds
        a ledger feeds (``;``-separated) for a ledger, else ``""``.
    confidence
        0–1.
    reasons
        Why, strongest first.
    alternatives
        ``(use, kind, confidence)`` of the other readings, best first.
    """

    use: str
    kind: str
    confidence: float
    reasons: tuple[Reason, ...] = ()
    alternatives: tuple[tuple[str, str, float], ...] = ()

    @property
    def target(self) -> str:
        """``"layer:school"``, ``"admin:county"``, ``"ledger"``, ``"ignore"`` …"""
        return f"{self.use}:{self.kind}" if self.use in ("layer", "admin") else self.use

    def to_dict(self) -> dict[str, Any]:
        return {"use": self.use, "kind": self.kind, "target": self.target,
                "confidence": round(self.confidence, 2),
                "reasons": [r.to_dict() for r in self.reasons],
                "alternatives": [{"use": u, "kind": k, "confidence": round(c, 2)}
                                 for u, k, c in self.alternatives]}


@dataclass(frozen=True)
class SourceSurvey:
    """One file, worksheet or vector layer and everything guessed about it.

    Attributes
    ----------
    id
        Stable key: the path relative to the folder, ``#sheet`` for a worksheet
        (``"台账.xlsx#村居"``); choices refer to it.
    path
        The file, relative to the surveyed folder.
    format
        ``csv``, ``xlsx`` or ``vector``.
    sheet
        The worksheet (xlsx), else None.
    layer
        The GeoPackage layer or the shapefile inside a zip, else None.
    visible
        False for a hidden worksheet (never used unless chosen).
    header_row
        1-based header row as Excel shows it (tables), None for vector files.
    header_reason, header_confidence
        How the header row was found.
    title
        Text above the header row (a 台账's title), "" if none.
    encoding
        The text encoding (CSV; the .dbf of a shapefile), else None.
    geometry
        ``point``, ``polygon``, ``line`` or None (a table).
    n_rows
        Data rows (features).
    columns
        Every column with its guessed role.
    crs
        The coordinate system.
    use
        What the source is for.
    code_digits
        The usual length of the codes in its id column (12 for villages …), 0 if not digits.
    county_code
        The county code its codes point to (first 6 digits), "" if none.
    preview
        Its first rows (as typed), in the order of ``columns``.
    problems
        What is wrong with it or what to check (warnings; errors for unreadable files).
    """

    id: str
    path: Path
    format: str
    sheet: str | None
    layer: str | None
    visible: bool
    header_row: int | None
    header_reason: Reason
    header_confidence: float
    title: str
    encoding: str | None
    geometry: str | None
    n_rows: int
    columns: tuple[ColumnGuess, ...]
    crs: CRSGuess
    use: UseGuess
    code_digits: int = 0
    county_code: str = ""
    preview: tuple[tuple[str, ...], ...] = ()
    problems: tuple[Problem, ...] = ()
    #: the ids (codes) of the rows, for joins between sources (not serialised)
    codes: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    #: the values of each column as typed (first rows), for re-guessing roles
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False,
                                                   compare=False)

    @property
    def roles(self) -> dict[str, str]:
        """Role → header of the placed columns."""
        return {c.role: c.header for c in self.columns if c.role}

    @property
    def unplaced(self) -> tuple[ColumnGuess, ...]:
        """Columns not read into any field."""
        return tuple(c for c in self.columns if c.role is None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "path": self.path.as_posix(), "format": self.format,
            "sheet": self.sheet, "layer": self.layer, "visible": self.visible,
            "header_row": self.header_row, "header_reason": self.header_reason.to_dict(),
            "header_confidence": round(self.header_confidence, 2), "title": self.title,
            "encoding": self.encoding, "geometry": self.geometry, "n_rows": self.n_rows,
            "columns": [c.to_dict() for c in self.columns], "crs": self.crs.to_dict(),
            "use": self.use.to_dict(), "code_digits": self.code_digits,
            "county_code": self.county_code, "preview": [list(r) for r in self.preview],
            "unplaced": [c.header for c in self.unplaced],
            "problems": [problem_dict(p) for p in self.problems],
        }


@dataclass(frozen=True)
class Survey:
    """Everything found in a folder (:func:`coverage.scaffold.survey`).

    Attributes
    ----------
    folder
        The folder surveyed (absolute).
    sources
        One per file, worksheet or vector layer, in folder order.
    source_answer
        The planner's answer to "where do the lon/lat come from" (``amap`` …), if given.
    problems
        Files that could not be read or are not inputs (warnings and errors with the fix).
    max_file_mb
        The size limit files were read with.
    """

    folder: Path
    sources: tuple[SourceSurvey, ...]
    source_answer: str | None = None
    problems: tuple[Problem, ...] = ()
    max_file_mb: float = 256.0

    def source(self, source_id: str) -> SourceSurvey:
        """The source with this id (``KeyError`` listing the ids when unknown)."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"no source {source_id!r}; sources: {[s.id for s in self.sources]}")

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "source_answer": self.source_answer,
                "sources": [s.to_dict() for s in self.sources],
                "problems": [problem_dict(p) for p in self.problems]}


def problem_dict(p: Problem) -> dict[str, Any]:
    """A problem as JSON-able data."""
    return {"severity": p.severity, "code": p.code, "file": p.file, "sheet": p.sheet,
            "row": p.row, "column": p.column, "cell": p.cell,
            "value": None if p.value is None else str(p.value), "message": p.message,
            "fix": p.fix}
