"""Fuzzing the region TOML parser (issue 19, item 5).

Two ways in: :func:`coverage.config.parse_config` on mappings — a valid region with one
value replaced, removed or added anywhere, or structures made from scratch — and
:func:`coverage.config.load_config` on the bytes of a file — the valid TOML with garbage
inserted, cut short, re-encoded or with a value replaced by an odd TOML literal.  The only
exception allowed is :class:`~coverage.problems.ConfigError`, every problem names the file
and the key, the mapping or file given is unchanged, and scenarios apply or fail the same
way.  Budget: the ``coverage-fuzz`` profile of conftest (200 examples, no database).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.config import RegionConfig, apply_scenario, load_config, parse_config
from coverage.problems import ConfigError

FUZZ = settings.get_profile("coverage-fuzz-explore" if os.environ.get("COVERAGE_FUZZ")
                            == "explore" else "coverage-fuzz")
TINY = Path(__file__).parent / "fixtures" / "tiny"
_COUNTER = itertools.count()

#: The tiny region plus the sections it leaves to defaults, so every parser branch is hit.
_EXTRA = """
[targets]
preset = "wuzhong_2023"
[targets.overrides.village_room_rate]
target = 0.9

[access]
snap_limit_m = 800.0
max_minutes = 45.0
[access.speeds_kmh]
track = 15.0
[[access.services]]
id = "counselling"
name = "咨询室"
site_layers = ["village"]
demand_layers = ["village"]
urban = { mode = "walk", minutes = 15.0 }
rural = { mode = "drive", minutes = 30.0 }

[optimize]
model = "quota"
p = 4
phases = 2

[map]
basemap = "none"
title = "测试"

[scenarios."少建两处"]
optimize = { model = "mclp", p = 2 }
"""


def _base_text() -> str:
    return (TINY / "region.toml").read_text(encoding="utf-8") + _EXTRA


_BASE = tomllib.loads(_base_text())

_SCALAR = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "village", "built", "EPSG:4527", "gcj02", "mclp", "../../x", "CON",
                     "a\u0007b", "370999", "３７０９９９", "village_room_rate", "none"]),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


_ALL_PATHS = _paths(_BASE)[1:]


@st.composite
def mutated_config(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(_BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_ALL_PATHS))
        parent: Any = data
        try:
            for k in path[:-1]:
                parent = parent[k]
            action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = draw(_VALUE)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(max_size=8))] = draw(_VALUE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the path
    return data


def _check(data: Any, path: Path | None) -> RegionConfig | None:
    before = copy.deepcopy(data)
    try:
        cfg = parse_config(data, base_dir=TINY, path=path)
    except ConfigError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.message and p.file == (str(path) if path else None)
        if path is not None:
            assert str(path) in str(exc)
        cfg = None
    assert data == before or _has_nan(before)  # nan != nan: compare the rest by repr
    if _has_nan(before):
        assert repr(data) == repr(before)
    return cfg


def _has_nan(obj: Any) -> bool:
    if isinstance(obj, float):
        return obj != obj
    if isinstance(obj, dict):
        return any(_has_nan(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_nan(v) for v in obj)
    return False


@FUZZ
@given(data=mutated_config())
def test_parse_config_on_mutated_regions(data: dict[str, Any]) -> None:
    cfg = _check(data, TINY / "region.toml")
    if cfg is not None:
        for name in cfg.scenarios:
            try:
                apply_scenario(cfg, name)
            except ConfigError as exc:
                assert exc.problems


@FUZZ
@given(data=st.dictionaries(
    st.sampled_from(["region", "admin", "layers", "targets", "access", "optimize", "suggest",
                     "map", "scenarios", "other"]), _VALUE, max_size=6))
def test_parse_config_on_structures_from_scratch(data: dict[str, Any]) -> None:
    _check(data, None)


# ------------------------------------------------------------------------------ bytes

_LITERALS = ["inf", "-inf", "nan", "1e999", '"\\u0007"', "[", "{", "'''", '"""', "0x7fffffff",
             "1979-05-27T07:32:00Z", "07:32:00", "[[1], ['a']]", "{ a = { b = [] } }", "true",
             "-0", "+0.0", '"\\ud800"', "9" * 40, '"../../../etc/passwd"', '""']


@st.composite
def toml_bytes(draw: st.DrawFn) -> bytes:
    text = _base_text()
    kind = draw(st.sampled_from(["literal", "literal", "insert", "cut", "encode", "bom"]))
    if kind == "literal":
        lines = text.split("\n")
        candidates = [i for i, line in enumerate(lines) if " = " in line]
        i = draw(st.sampled_from(candidates))
        key = lines[i].split(" = ", 1)[0]
        lines[i] = f"{key} = {draw(st.sampled_from(_LITERALS))}"
        return "\n".join(lines).encode("utf-8")
    data = text.encode("utf-8")
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == "cut":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "encode":
        return text.encode(draw(st.sampled_from(["gbk", "gb18030", "utf-16-le", "utf-32",
                                                 "latin-1"])), errors="replace")
    return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xef\xbb\xbf\xef\xbb\xbf",
                                 b"\x00"])) + data


@pytest.fixture(scope="module")
def region_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzzcfg") / "tiny"
    shutil.copytree(TINY, folder)
    return folder


@FUZZ
@given(data=toml_bytes())
def test_load_config_on_damaged_files(region_folder: Path, data: bytes) -> None:
    path = region_folder / f"r{next(_COUNTER)}.toml"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert exc.problems and str(path) in str(exc)
        assert all(p.file == str(path) for p in exc.problems)
    else:
        assert cfg.region.code.isdigit() and len(cfg.region.code) == 6
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_the_fuzz_base_is_valid() -> None:
    """The mutations start from a region the parser accepts (else they test nothing)."""
    cfg = parse_config(copy.deepcopy(_BASE), base_dir=TINY, path=TINY / "region.toml")
    assert cfg.targets.preset == "wuzhong_2023" and cfg.optimize.p == 4
    assert apply_scenario(cfg, "少建两处").optimize.p == 2
