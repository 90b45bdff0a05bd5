"""Survey a folder: every source read, every column, coordinate system and use guessed.

:func:`survey` is the first step of ``coverage init`` (and of a web wizard): it reads, it
guesses, it never writes.  :func:`resurvey` applies a planner's choices (header rows, roles,
uses, coordinate sources) and guesses the rest again.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from coverage.problems import InputError, Problem
from coverage.scaffold._columns import ADMIN_ROLES, LAYER_ROLES, LEDGER_ROLES, assign_roles
from coverage.scaffold._crs import answer_crs, apply_answer, table_crs, vector_crs
from coverage.scaffold._kinds import code_digits, guess_use
from coverage.scaffold._model import (
    ColumnGuess,
    CRSGuess,
    Reason,
    SourceSurvey,
    Survey,
    UseGuess,
)
from coverage.scaffold._read import Loaded, crs_evidence, load_sources
from coverage.vocabulary import KNOWN_KINDS

__all__ = ["build_source", "lon_hint", "survey"]

_USES = ("layer", "admin", "ledger", "division_codes", "ignore", "network")


def survey(folder: str | Path, *, source: str | None = None, max_file_mb: float = 256.0,
           header_rows: Mapping[str, int] | None = None,
           roles: Mapping[str, Mapping[str, str]] | None = None,
           uses: Mapping[str, str] | None = None,
           sources: Mapping[str, str] | None = None) -> Survey:
    """Read every file of ``folder`` and guess what each is.

    Parameters
    ----------
    folder
        The planner's folder: XLSX (title rows, several sheets, hidden sheets), CSV (UTF-8
        or GBK), shapefiles (also zipped; GBK ``.dbf``), GeoJSON, GeoPackage, OSM road files;
        subfolders are read too.
    source
        The answer to "where do the longitudes/latitudes come from": ``amap``/``tencent``
        (GCJ-02), ``baidu`` (BD-09), ``gps``/``wgs84``, ``tianditu``/``cgcs2000``, or a CRS
        such as ``"EPSG:4527"`` for metres without a zone number.  Applies to every source
        it fits; ``sources`` answers per source.
    max_file_mb
        Files larger than this are not read (reported).
    header_rows, roles, uses, sources
        The planner's choices, by source id (see :class:`coverage.scaffold.Choices`).

    Returns
    -------
    Survey

    Raises
    ------
    InputError
        ``folder`` is not a folder; an answer is not a source or CRS; nothing in the folder
        can be used (the message lists what was found and why it was not used).
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise InputError.single(
            "不是文件夹 (not a folder)", file=str(root), code="not_a_folder",
            fix="give the folder holding the region's files: coverage init FOLDER")
    root = root.resolve()
    if source is not None:
        answer_crs(source)
    for answer in (sources or {}).values():
        answer_crs(answer)
    loaded, problems = load_sources(root, max_bytes=int(max_file_mb * 2**20),
                                    header_rows=dict(header_rows or {}))
    _check_keys(loaded, header_rows=header_rows, roles=roles, uses=uses, sources=sources)
    hint = lon_hint(loaded)
    built = tuple(build_source(s, lon_hint=hint, answer=source,
                               own_answer=_for(sources, s), roles=_for(roles, s),
                               use=_for(uses, s)) for s in loaded)
    result = Survey(root, built, source, tuple(problems), max_file_mb)
    if not any(s.use.use in ("layer", "admin", "ledger") for s in built):
        found = [f"{s.id}: {s.use.target}" for s in built] + [
            f"{p.file}: {p.message}" for p in problems]
        why = [p for s in built for p in s.problems] + list(problems)
        raise InputError([*why, Problem(
            str(root), None, None, None,
            "文件夹中没有可用的数据 (nothing in the folder can be used: no point table with "
            "codes and names, no boundary file, no 台账); found: " + ("; ".join(found)
                                                                     or "no files"),
            "put the region's files in this folder: boundaries (GeoJSON/Shapefile/GeoPackage) "
            "and tables of villages, schools … (XLSX/CSV with 名称, 代码 and 经度/纬度 columns)",
            code="nothing_usable")])
    return result


def _check_keys(loaded: list[Loaded], **choices: Mapping[str, object] | None) -> None:
    """Every choice names a source (by id or file) and, for roles, one of its headers."""
    ids = {s.id: s for s in loaded}
    files = {s.path.as_posix() for s in loaded}
    problems = []
    for name, mapping in choices.items():
        for key, value in (mapping or {}).items():
            if key not in ids and key not in files:
                problems.append(Problem(
                    None, None, f"{name}.{key}", key, "没有这个文件或工作表 (no such source)",
                    "use one of: " + ", ".join(ids), code="unknown_source_id"))
            elif name == "roles" and isinstance(value, Mapping):
                headers = {h for s in loaded if key in (s.id, s.path.as_posix())
                           for h in s.headers}
                for header in value:
                    if header not in headers:
                        problems.append(Problem(
                            None, None, f"roles.{key}.{header}", header,
                            "没有这一列 (no such column)",
                            "use one of: " + ", ".join(sorted(headers)), code="unknown_column"))
    if problems:
        raise InputError(problems, title="选择有问题 (choices problems)")


def _for(mapping: Mapping[str, object] | None, src: Loaded) -> object:
    """The choice for a source: by its id, else by its file (all its sheets)."""
    if not mapping:
        return None
    if src.id in mapping:
        return mapping[src.id]
    return mapping.get(src.path.as_posix())


def lon_hint(loaded: list[Loaded]) -> float | None:
    """The longitude of the region from the sources in degrees (picks a zone for metres)."""
    lons: list[float] = []
    for s in loaded:
        if s.bounds is not None and -180 <= s.bounds[0] <= s.bounds[2] <= 180:
            lons.append((s.bounds[0] + s.bounds[2]) / 2)
        for h in s.headers:
            if h.strip().lower() in ("经度", "lon", "lng", "longitude", "东经"):
                for v in s.values.get(h, ())[:500]:
                    try:
                        x = float(v)
                    except ValueError:
                        continue
                    if 73 <= x <= 136:
                        lons.append(x)
    return statistics.median(lons) if lons else None


def _codes(values: tuple[str, ...]) -> list[str]:
    return [v.strip().removesuffix(".0") for v in values if v.strip()]


def build_source(src: Loaded, *, lon_hint: float | None, answer: str | None,
                 own_answer: object = None, roles: object = None, use: object = None
                 ) -> SourceSurvey:
    """Guess the columns, coordinate system and use of one source read by :mod:`._read`."""
    chosen_roles = dict(roles) if isinstance(roles, Mapping) else None
    chosen_use = str(use) if use else None
    if src.format == "osm":
        return _plain(src, UseGuess("network", "", 0.95, (Reason.of("osm_file"),)),
                      CRSGuess("none", "", Reason.of("no_coordinates"), 0.0))
    if not src.readable:
        return _plain(src, UseGuess("ignore", "", 1.0), CRSGuess("none", "", Reason.of(
            "no_coordinates"), 0.0))
    allowed = (ADMIN_ROLES if src.geometry == "polygon" else
               tuple(r for r in LAYER_ROLES if r not in ("lon", "lat", "wkt"))
               if src.geometry else LAYER_ROLES)
    if chosen_use and chosen_use.startswith("admin"):
        allowed = ADMIN_ROLES
    elif chosen_use == "ledger":
        allowed = LEDGER_ROLES
    columns = assign_roles(src.headers, src.values, roles=allowed, letters=src.letters,
                           chosen=chosen_roles)
    placed = {c.role: c.header for c in columns if c.role}
    evidence = crs_evidence(src)
    if src.geometry is not None:
        crs = vector_crs(src.crs, explicit=src.crs_explicit, bounds=src.bounds,
                         evidence=evidence, lon_hint=lon_hint)
    elif "lon" in placed and "lat" in placed:
        crs, swapped = table_crs(src.values[placed["lon"]], src.values[placed["lat"]],
                                 evidence=evidence, lon_hint=lon_hint)
        if swapped:
            columns = _swap(columns, placed["lon"], placed["lat"])
            placed = {c.role: c.header for c in columns if c.role}
    else:
        crs = CRSGuess("none", "", Reason.of("no_coordinates"), 0.0)
    problems = list(src.problems)
    if own_answer is not None:
        crs = apply_answer(crs, str(own_answer), explicit=True)
    elif answer is not None and crs.reason.code == "declared_text":
        # the file itself says where its points come from: that wins over a global answer
        if answer_crs(answer)[1] != crs.crs:
            problems.append(Problem(
                src.path.as_posix(), None, None, crs.evidence,
                f"文件注明“{crs.evidence}”，按 {crs.crs} 读取，未按全局回答 {answer} (the file "
                f"says \"{crs.evidence}\": read as {crs.crs}, not as the global answer)",
                f"if the note is wrong, answer for this file: --source {src.id}={answer}",
                "warning", sheet=src.sheet, code="declared_source_kept"))
    elif answer is not None:
        crs = apply_answer(crs, answer, explicit=False)
    codes = _codes(src.values.get(placed.get("id", ""), ()))
    digits = code_digits(codes)
    county = Counter(c[:6] for c in codes if c.isdigit() and len(c) >= 9).most_common(1)
    guess = guess_use(geometry=src.geometry, roles=placed, values=src.values,
                      names=[src.path.stem, src.sheet or "", src.layer or ""], title=src.title,
                      n_rows=src.n_rows, digits=digits)
    if chosen_use:
        guess = _chosen(chosen_use, guess)
    elif not src.visible and guess.use != "ignore":
        guess = UseGuess("ignore", "", 0.9, (Reason.of("hidden_sheet"),),
                         ((guess.use, guess.kind, guess.confidence), *guess.alternatives))
    preview = tuple(tuple(src.values[h][i] for h in src.headers)
                    for i in range(min(5, src.n_rows)))
    return SourceSurvey(
        id=src.id, path=src.path, format=src.format, sheet=src.sheet, layer=src.layer,
        visible=src.visible, header_row=src.header_row,
        header_reason=Reason.of(src.header_reason), header_confidence=src.header_confidence,
        title=src.title, encoding=src.encoding, geometry=src.geometry, n_rows=src.n_rows,
        columns=columns, crs=crs, use=guess, code_digits=digits,
        county_code=county[0][0] if county else "", preview=preview,
        problems=tuple(problems), codes=frozenset(codes), values=dict(src.values))


def _plain(src: Loaded, use: UseGuess, crs: CRSGuess) -> SourceSurvey:
    return SourceSurvey(
        id=src.id, path=src.path, format=src.format, sheet=src.sheet, layer=src.layer,
        visible=src.visible, header_row=src.header_row,
        header_reason=Reason.of(src.header_reason), header_confidence=src.header_confidence,
        title=src.title, encoding=src.encoding, geometry=src.geometry, n_rows=src.n_rows,
        columns=(), crs=crs, use=use, problems=tuple(src.problems))


def _swap(columns: tuple[ColumnGuess, ...], lon: str, lat: str) -> tuple[ColumnGuess, ...]:
    """The lon and lat roles swapped (northings in the "X" column: surveyors' axes)."""
    out = []
    for c in columns:
        if c.header in (lon, lat):
            role = "lat" if c.header == lon else "lon"
            c = dataclasses.replace(c, role=role, reason=Reason.of("values"))
        out.append(c)
    return tuple(out)


def _chosen(target: str, guess: UseGuess) -> UseGuess:
    """The planner's use (``"layer:school"``, ``"admin:county"``, ``"ledger"`` …)."""
    use, _, kind = target.partition(":")
    if use not in _USES or (use == "layer" and kind not in KNOWN_KINDS) or (
            use == "admin" and kind not in ("county", "township", "village")):
        raise InputError.single(
            f"未知的用途 (unknown use {target!r})", value=target, column="uses",
            code="unknown_use",
            fix="use layer:KIND (" + ", ".join(KNOWN_KINDS) + "), admin:county, "
                "admin:township, admin:village, ledger, division_codes or ignore")
    alts = ((guess.use, guess.kind, guess.confidence), *guess.alternatives)
    return UseGuess(use, kind, 1.0, (Reason.of("choice"),),
                    tuple(a for a in alts if (a[0], a[1]) != (use, kind)))
