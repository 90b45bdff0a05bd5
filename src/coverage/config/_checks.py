"""Guards of a region TOML before and around parsing: its bytes, and values no key may hold.

* :func:`config_text`: the file's text — UTF-8 with or without a byte-order mark (Windows
  Notepad writes one and :mod:`tomllib` refuses it), UTF-16 with its mark; a folder, a device,
  a file larger than :data:`MAX_CONFIG_BYTES` or another encoding (GBK is recognised and
  named) is a :class:`~coverage.problems.ConfigError` with the fix.
* :func:`check_values`: anywhere in the file, numbers are finite (TOML allows ``inf`` and
  ``nan``) and texts hold no control characters (reports and workbooks cannot show them).
* :func:`check_region_code`: ``region.code`` is the 6-digit county code.
* :func:`folder_name_problem`: a scenario name is also a folder name (``coverage compare``).

The checks report through a callback ``err(key, message, *, value=, fix=)`` (the parser's
``_Reader.err``), so every problem carries its TOML key path.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from coverage.problems import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "check_region_code",
    "check_values",
    "config_text",
    "folder_name_problem",
]


class Err(Protocol):
    """The parser's problem callback."""

    def __call__(self, key: str, message: str, *, value: object = None, fix: str = ""
                 ) -> None: ...


#: A region TOML is a few kilobytes; anything this large is not one (or is a device).
MAX_CONFIG_BYTES = 4 * 1024 * 1024

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def read_toml(p: Path, *, syntax_hint: str = "tables are [name]") -> dict[str, object]:
    """A TOML file's tables (read by :func:`config_text`); a syntax error is a
    :class:`ConfigError` naming the file and the line, with ``syntax_hint`` in the fix."""
    try:
        return tomllib.loads(config_text(p))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.single(
            f"not valid TOML: {exc}", file=str(p),
            fix=f"fix the syntax at the line shown (strings need quotes; {syntax_hint})",
        ) from None


def config_text(p: Path) -> str:
    """The text of a region TOML: UTF-8, with or without a byte-order mark (Notepad writes
    one), or UTF-16 with its mark (Notepad's "Unicode"); anything else is a clear error."""
    file = str(p)
    if p.is_dir():
        raise ConfigError.single(
            "this is a folder, not a region TOML file", file=file,
            fix="pass the path of the .toml file inside it (e.g. data/demo/region.toml)")
    if not p.exists():
        raise ConfigError.single(
            f"region config not found: {p}", file=file,
            fix="pass the path of a region TOML file (see data/demo/region.toml for an example)")
    if not p.is_file():
        raise ConfigError.single(
            "not a regular file (a device, pipe or socket)", file=file,
            fix="pass the path of a region TOML file")
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError.single(
            f"cannot read the region config: {exc.strerror or exc}", file=file,
            fix="check the file's permissions") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError.single(
            f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB: not a region TOML", file=file,
            fix="pass the region TOML (a few KB), not a data file")
    encoding = "utf-8"
    for bom, enc in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom):], enc
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("gbk")
            looks = "; it looks like GBK (ANSI), as Windows Notepad saves by default"
        except UnicodeDecodeError:
            looks = ""
        raise ConfigError.single(
            f"the TOML file is not {encoding.upper()} ({exc.reason} at byte {exc.start}, "
            f"line {line}){looks}",
            file=file,
            fix="save the region TOML as UTF-8 (Notepad: 另存为 → 编码 UTF-8; VS Code: "
                "Save with Encoding → UTF-8)",
        ) from None


_REGION_CODE = re.compile(r"[1-9][0-9]{5}")


def check_region_code(err: Err, value: object) -> None:
    """``region.code`` is the 6-digit county code (统计用区划代码 of the 县级 unit)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return  # the type error is reported by the parser
    text = str(value)
    if _REGION_CODE.fullmatch(text):
        return
    folded = unicodedata.normalize("NFKC", text).strip()
    if _REGION_CODE.fullmatch(folded):
        fix = f'write it with plain digits and no spaces: code = "{folded}"'
    elif folded.isdigit() and len(folded) in (9, 12) and _REGION_CODE.fullmatch(folded[:6]):
        fix = (f"that is a township or village code; the county's code is its first six "
               f'digits: code = "{folded[:6]}"')
    elif folded.isdigit() and len(folded) < 6:
        fix = ("a county code has 6 digits (e.g. \"370831\"); if it starts with zeros, "
               "write it in quotes as a string")
    else:
        fix = 'the 6-digit county code of 统计用区划代码, e.g. code = "370831"'
    err("region.code", "the region code must be the 6-digit county code", value=value,
          fix=fix)


#: Characters a report, workbook or map cannot show (C0 controls but tab/LF/CR).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def folder_name_problem(name: str) -> str:
    """Why ``name`` cannot be a folder name on every system, or ``""``."""
    if not name.strip():
        return "it is empty"
    if name in (".", "..") or name.startswith("."):
        return "it starts with a dot"
    bad = sorted({c for c in name if c in '/\\:*?"<>|' or ord(c) < 32})
    if bad:
        return "it holds " + " ".join(repr(c) for c in bad)
    if name != name.strip() or name.endswith("."):
        return "it ends with a space or a dot"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        return "it is a reserved device name on Windows"
    if len(name.encode("utf-8")) > 200:
        return "it is too long"
    return ""


def check_values(err: Err, value: object, key: str) -> None:
    """Every number finite and every text printable, anywhere in the file."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            sub = f"{key}.{k}" if key else str(k)
            if isinstance(k, str) and _CONTROL.search(k):
                err(sub, "a key contains a control character", value=k,
                      fix="retype the key")
            check_values(err, v, sub)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_values(err, v, f"{key}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        err(key, "must be a finite number (TOML's inf and nan are not allowed here)",
              value=value, fix="write the number itself, e.g. 30.0")
    elif isinstance(value, str) and _CONTROL.search(value):
        bad = _CONTROL.search(value)
        assert bad is not None
        err(key, f"contains the control character U+{ord(bad.group()):04X}, which reports "
              "and workbooks cannot show", value=value,
              fix="remove it (it usually comes from copying text out of another program)")
