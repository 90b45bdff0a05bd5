"""Fuzzing the readers, the coordinate parser and the cell cleaning (issue 19, item 5).

Property-based tests (Hypothesis) on what a county office's files can hold — CSVs in UTF-8,
GBK, GB18030, UTF-16, Latin-1 or plain garbage bytes; workbooks with text, numbers, booleans,
dates, times, empty cells and formulas without a cached value; coordinates typed every way;
12-digit codes stored as numbers — asserting the contract of the base layer:

* the only exception is the project's :class:`~coverage.problems.InputError` (for the
  coordinate parser, the documented ``ValueError`` with the reason), and every message names
  the file;
* the input file is byte for byte the same afterwards;
* what comes back has the documented shape (every cell a string, headers unique, codes as
  their digits, NaN exactly where an error is reported).

The budget is fixed (profile ``coverage-fuzz`` in conftest: 200 examples per property, the
same examples on every run, no example database); ``COVERAGE_FUZZ=explore`` draws new ones.
Crashes the fuzzing found in the loader's modules are kept below as regular tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage import _clean
from coverage.coordinates import parse_coordinate, parse_coordinates, parse_wkt_column
from coverage.problems import InputError
from coverage.readers import read_table

FUZZ = settings.get_profile("coverage-fuzz-explore" if os.environ.get("COVERAGE_FUZZ")
                            == "explore" else "coverage-fuzz")
_COUNTER = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_error_names_file(exc: InputError, path: Path) -> None:
    assert exc.problems, "an InputError without problems"
    assert str(path) in str(exc)
    assert all(p.file == str(path) for p in exc.problems), [p.file for p in exc.problems]


def _check_table(table: object, path: Path) -> None:
    frame = table.frame  # type: ignore[attr-defined]
    assert table.path == path  # type: ignore[attr-defined]
    headers = list(frame.columns)
    assert all(isinstance(h, str) and h and h == h.strip() for h in headers)
    assert len(set(headers)) == len(headers)
    for column in headers:
        assert all(isinstance(v, str) for v in frame[column].tolist())


# ------------------------------------------------------------------------------ CSV

_SPECIAL = list(',;\t"\'\r\n =+-@．，、°′″度分秒东经北纬NSEW.0123456789０１２３'
                '\u3000\xa0\ufeff\x00')
_CELL = st.text(alphabet=st.one_of(st.sampled_from(_SPECIAL),
                                   st.characters(exclude_categories=("Cs",))), max_size=16)
_ROWS = st.lists(st.lists(_CELL, max_size=6), max_size=8)
_WRITE_ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "latin-1", "utf-16", "cp1252"]
_READ_ENCODINGS = ["auto", "auto", "auto", "", "utf-8", "utf-8-sig", "gbk", "gb18030",
                   "latin-1", "utf-16", "rot13", "base64", "no-such-codec"]


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["quoted", "raw", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    rows = draw(_ROWS)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    if kind == "quoted":
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator=draw(
            st.sampled_from(["\r\n", "\n", "\r"]))).writerows(rows)
        text = buf.getvalue()
    else:  # stray quotes and separators as a hand-edited file has them
        text = "\n".join(delimiter.join(r) for r in rows)
    encoding = draw(st.sampled_from(_WRITE_ENCODINGS))
    data = text.encode(encoding, errors=draw(st.sampled_from(["replace", "ignore"])))
    if draw(st.booleans()):  # a few garbage bytes somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=4)) + data[at:]
    return data


@FUZZ
@given(data=csv_bytes(), encoding=st.sampled_from(_READ_ENCODINGS),
       header_row=st.integers(1, 4), suffix=st.sampled_from([".csv", ".txt", ".tsv"]))
def test_csv_reader_never_crashes(folder: Path, data: bytes, encoding: str, header_row: int,
                                  suffix: str) -> None:
    path = folder / f"t{next(_COUNTER)}{suffix}"
    path.write_bytes(data)
    before = _digest(path)
    try:
        table = read_table(path, encoding=encoding, header_row=header_row)
    except InputError as exc:
        _check_error_names_file(exc, path)
    else:
        _check_table(table, path)
    assert _digest(path) == before


# ------------------------------------------------------------------------------ XLSX

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # what XLSX cannot hold
_XLSX_TEXT = st.text(alphabet=st.one_of(st.sampled_from(_SPECIAL[:-1]),
                                        st.characters(exclude_categories=("Cs",))),
                     max_size=12).filter(lambda s: not _ILLEGAL.search(s))
_XLSX_VALUE = st.one_of(
    st.none(),
    _XLSX_TEXT,
    st.integers(-(2**53), 2**53),
    st.integers(10**11, 10**12 - 1),                      # 12-digit codes stored as numbers
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31)),
    st.times(),
    st.from_regex(r"=(SUM\(A1:B2\)|[A-C][1-9]\+[0-9]|TODAY\(\)|\"x\"&A1)", fullmatch=True),
)


def _write_xlsx(path: Path, sheets: list[list[list[object]]], hidden_first: bool) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for i, grid in enumerate(sheets):
        ws = wb.create_sheet(title=f"表{i + 1}")
        for r, row in enumerate(grid, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)  # "=…" is stored as a formula
        if i == 0 and hidden_first and len(sheets) > 1:
            ws.sheet_state = "hidden"
    wb.save(path)  # formulas are saved without a cached value, as by many tools


@FUZZ
@given(sheets=st.lists(st.lists(st.lists(_XLSX_VALUE, max_size=5), max_size=6),
                       min_size=1, max_size=2),
       hidden_first=st.booleans(),
       sheet=st.sampled_from([None, "", "表1", "表2", "没有这张表"]),
       header_row=st.integers(1, 3))
def test_xlsx_reader_never_crashes(folder: Path, sheets: list[list[list[object]]],
                                   hidden_first: bool, sheet: str | None,
                                   header_row: int) -> None:
    path = folder / f"t{next(_COUNTER)}.xlsx"
    _write_xlsx(path, sheets, hidden_first)
    before = _digest(path)
    try:
        table = read_table(path, sheet=sheet, header_row=header_row)
    except InputError as exc:
        _check_error_names_file(exc, path)
    else:
        _check_table(table, path)
    assert _digest(path) == before


_CODE_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r"),
                     min_size=1, max_size=10).filter(lambda s: not _ILLEGAL.search(s)
                                                     and not s.startswith("="))


@FUZZ
@given(rows=st.lists(st.tuples(st.integers(10**11, 10**12 - 1), _CODE_TEXT, _XLSX_VALUE),
                     min_size=1, max_size=8),
       as_float=st.booleans())
def test_xlsx_codes_and_names_come_back_as_typed(folder: Path,
                                                 rows: list[tuple[int, str, object]],
                                                 as_float: bool) -> None:
    """A 12-digit code saved as a number reads back as its 12 digits; a name as itself."""
    path = folder / f"t{next(_COUNTER)}.xlsx"
    grid: list[list[object]] = [["代码", "名称", "值"]]
    grid += [[float(code) if as_float else code, name, value] for code, name, value in rows]
    _write_xlsx(path, [grid], hidden_first=False)
    table = read_table(path)
    assert table.frame["代码"].tolist() == [str(code) for code, _, _ in rows]
    assert table.frame["名称"].tolist() == [name for _, name, _ in rows]


# ------------------------------------------------------------------------------ coordinates

_COORD = st.one_of(
    st.from_regex(r"(东经|北纬|西经|南纬|[NSEWnsew])?\s?[+-]?[0-9]{1,3}(\.[0-9]{0,8})?"
                  r"([°度˚º]\s?([0-9]{1,2}(\.[0-9]{1,4})?[′'’分]?)?\s?"
                  r"([0-9]{1,2}(\.[0-9]{1,3})?[″\"”秒]?)?)?\s?[NSEWnsew]?", fullmatch=True),
    st.from_regex(r"[0-9]{1,3} [0-9]{1,2}( [0-9]{1,2}(\.[0-9]+)?)?", fullmatch=True),
    st.text(alphabet=st.sampled_from(list("0123456789.,-+ °′″'\"度分秒NSEW东经北纬eE１２．")),
            max_size=16),
    st.text(max_size=12),
    st.floats().map(repr),
    st.integers(-(10**400), 10**400).map(str),
).filter(lambda s: not re.search("[\x1c-\x1f]", s))  # control characters: a test below;
#                                                   drop this filter when it is fixed


@FUZZ
@given(text=_COORD)
def test_parse_coordinate_returns_degrees_or_says_why(text: str) -> None:
    try:
        value = parse_coordinate(text)
    except ValueError as exc:
        assert str(exc)  # the reason, for the problem report
    else:
        assert math.isfinite(value) and abs(value) <= 180.0


@FUZZ
@given(cells=st.lists(st.one_of(_COORD, st.none(), st.floats(), st.integers(-400, 400)),
                      max_size=12))
def test_parse_coordinates_reports_every_nan(cells: list[object]) -> None:
    series = pd.Series(cells, dtype=object, index=[f"r{i}" for i in range(len(cells))])
    values, errors = parse_coordinates(series)
    assert values.shape == (len(cells),)
    failed = {label for label, _ in errors}
    assert len(failed) == len(errors) and failed <= set(series.index)
    for label, v in zip(series.index, values, strict=True):
        assert (label in failed) == bool(np.isnan(v)), (label, v)
        if not np.isnan(v):
            assert abs(v) <= 180.0
    assert all(isinstance(msg, str) and msg for _, msg in errors)


_WKT = st.one_of(
    st.from_regex(r"(POINT|point) ?\( ?-?[0-9]{1,4}(\.[0-9]{1,6})?( -?[0-9]{1,4}(\.[0-9]{1,6})?)?"
                  r"( [0-9]+)? ?\)", fullmatch=True),
    st.sampled_from(["POLYGON ((0 0, 1 0, 1 1, 0 0))", "LINESTRING (0 0)",
                     "SRID=4326;POINT (1 2)", "POINT Z (1 2 3)", "POINT (1 2", "0101000000",
                     "POINT (1 2) trailing", "MULTIPOINT ((1 2), (3 4))", "(", "POINT ()"]),
    st.text(max_size=20),
)


@FUZZ
@given(cells=st.lists(st.one_of(_WKT, st.none()), max_size=8))
def test_parse_wkt_column_reports_every_failure(cells: list[str | None]) -> None:
    series = pd.Series(cells, dtype=object)
    geoms, errors = parse_wkt_column(series)
    assert len(geoms) == len(cells)
    failed = {label for label, _ in errors}
    assert len(failed) == len(errors) and failed <= set(series.index)
    for label in series.index:
        assert (label in failed) == (geoms[label] is None), (label, cells[label])


# ------------------------------------------------------------------------------ cleaning

_ANY_TEXT = st.one_of(st.text(max_size=20),
                      st.text(alphabet=st.sampled_from(list("是否有无√×一二三级甲乙等镇乡街道办事处"
                                                            "人民政府 \u3000\xa0YyNnTtRrUuEe01")),
                              max_size=10))


@FUZZ
@given(value=st.one_of(_ANY_TEXT, st.none(), st.integers(), st.floats(), st.booleans()))
def test_cell_cleaning_is_total(value: object) -> None:
    text = _clean.normalize_cell(value)
    assert isinstance(text, str)
    assert _clean.parse_bool(text) in (True, False, None)
    assert _clean.parse_grade(text) in (0, 1, 2, 3, None)
    key = _clean.township_key(text)
    assert isinstance(key, str) and key == key.strip()


@FUZZ
@given(vocab=st.dictionaries(st.sampled_from(["built", "under_construction", "planned", "none"]),
                             st.lists(_ANY_TEXT, max_size=4).map(tuple), max_size=4))
def test_lookup_maps_every_value_it_was_given(vocab: dict[str, tuple[str, ...]]) -> None:
    lookup = _clean.build_lookup(vocab)
    for canon, raws in vocab.items():
        for raw in raws:
            assert lookup[_clean.normalize_cell(raw)] in vocab
        assert all(isinstance(k, str) for k in lookup)
        del canon


# ------------------------------------------------------------------------------ found


def test_separator_control_character_in_a_coordinate_is_reported() -> None:
    values, errors = parse_coordinates(pd.Series(["\x1f117.5", "117.5"]))
    assert [label for label, _ in errors] == [0] and values[1] == 117.5


def test_wkt_that_is_no_location_is_reported() -> None:
    cells = pd.Series(["POINT (1e400 1)", "POINT (nan nan)", "POINT EMPTY", "POINT (117 35)"])
    geoms, errors = parse_wkt_column(cells)
    assert sorted(label for label, _ in errors) == [0, 1, 2]
    assert geoms[3] is not None


def test_unclosed_quote_in_a_large_csv_is_an_input_error(folder: Path) -> None:
    path = folder / "unclosed.csv"
    path.write_bytes(('名称,人口\n甲村,"1200\n' + "乙村,800\n" * 20_000).encode("utf-8"))
    with pytest.raises(InputError) as info:
        read_table(path)
    assert str(path) in str(info.value)
