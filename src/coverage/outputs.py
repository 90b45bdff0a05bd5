"""Output files written atomically, and text cells that cannot turn into formulas.

Every output goes through :func:`atomic_write` or :func:`atomic_path`, so an interrupted run
never leaves a half-written file in place of a good one.  Every text cell written to a CSV or
workbook goes through :func:`safe_text`: a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab, CR or LF (also after spaces or in full-width form) would be run as a formula by Excel,
WPS or LibreOffice (OWASP "CSV injection"), so it gets a leading apostrophe; numbers stay
numbers.  :func:`write_csv` escapes every text cell, header and index label of a frame
(:func:`safe_frame`); the one workbook writer (:mod:`coverage.present.workbook`) escapes
every text cell and writes strings as strings, never as formulas.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "atomic_path",
    "atomic_write",
    "formula_like",
    "safe_frame",
    "safe_text",
    "sha256_file",
    "write_csv",
    "write_json",
    "xml_text",
]

#: Leading characters that make Excel, WPS or LibreOffice read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: A cell that is a plain (signed) number, a percentage, or a lone sign: never a formula.
_INERT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?%?|[+-]")
#: Characters XML 1.0 (so XLSX and DOCX) cannot hold: C0 controls but tab/LF/CR, and lone
#: surrogates (a broken UTF-16 pair decoded from JSON ``\\ud800`` escapes).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _shown_as(match: re.Match[str]) -> str:
    """A control character as its visible Unicode "control picture" (BEL → ␇), else U+FFFD."""
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\ufffd"


def xml_text(value: str) -> str:
    """``value`` with the characters XML 1.0 cannot hold made visible.

    C0 control characters other than tab, LF and CR become their Unicode control pictures
    (BEL → ``␇``), lone surrogates ``�``.  For every writer of XML-based files (XLSX, DOCX):
    a stray control character in a name must not make the file unwritable.
    """
    return _UNWRITABLE.sub(_shown_as, value)


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could read ``value`` as a formula (see :func:`safe_text`)."""
    if _INERT.fullmatch(value):
        return False
    if value.startswith(FORMULA_PREFIXES):
        return True
    # leading spaces (ASCII, NBSP, ideographic) and compatibility forms (＝, ﹦, ⁼ …) are
    # folded by some importers ("trim spaces", NFKC) before they look for a formula
    head = unicodedata.normalize("NFKC", value[:32]).lstrip()
    return head.startswith(("=", "+", "-", "@")) and not _INERT.fullmatch(head)


def safe_text(value: str) -> str:
    """``value`` as a cell text that a spreadsheet shows and never runs.

    * A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, CR or LF — also after leading
      spaces, and in full-width or other compatibility forms (``＝``, ``﹢``) that some
      spreadsheet versions fold to ASCII — gets a leading apostrophe (OWASP "CSV injection").
      Plain numbers (``-3``, ``+1.5e3``, ``-12%``) and a lone sign stay as they are.
    * Characters that XML 1.0 cannot hold (C0 controls other than tab/LF/CR, lone surrogates)
      are shown as their control pictures (BEL → ``␇``) or ``�``, so that a stray control
      character in a name cannot make the workbook or report unwritable.

    Examples
    --------
    >>> print(safe_text('=HYPERLINK("http://x","y")'))
    '=HYPERLINK("http://x","y")
    >>> safe_text("-2+3"), safe_text("-2.5"), safe_text("河东街道")
    ("'-2+3", '-2.5', '河东街道')
    """
    value = xml_text(value)
    return "'" + value if formula_like(value) else value


def _safe_cell(value: object) -> object:
    if isinstance(value, str):
        return safe_text(value)
    if value is None or isinstance(value, int | float | bool | complex | np.generic
                                   | dt.date | dt.time | dt.timedelta | pd.Timestamp):
        return value
    try:
        missing = pd.isna(value)
    except (TypeError, ValueError):
        missing = False
    if isinstance(missing, bool | np.bool_) and missing:
        return value
    # tuples, lists, objects: the CSV writer would write str(value); escape that text
    return safe_text(str(value))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index are passed through
    :func:`safe_text` (numbers, booleans, dates and missing values stay as they are)."""
    out = df.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s)
                or pd.api.types.is_timedelta64_dtype(s)):
            continue
        out.isetitem(i, s.astype(object).map(_safe_cell))
    out.columns = pd.Index([_safe_cell(c) for c in out.columns], dtype=object) \
        if not isinstance(out.columns, pd.MultiIndex) else out.columns
    if not isinstance(out.index, pd.MultiIndex) and not (
            pd.api.types.is_numeric_dtype(out.index)
            or pd.api.types.is_datetime64_any_dtype(out.index)):
        out.index = pd.Index([_safe_cell(v) for v in out.index], dtype=object,
                             name=out.index.name)
    return out


# --- atomic output --------------------------------------------------------------------


def _final_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(
    path: str | Path,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
) -> Iterator[IO[Any]]:
    """Open a file for writing that replaces ``path`` only when the block succeeds.

    Writes to a temporary file in the same folder, then flushes, fsyncs and
    ``os.replace``\\ s it over ``path``.  If the block raises, the temporary file is removed
    and an existing ``path`` is left untouched.

    Parameters
    ----------
    path
        The final file.
    mode
        ``"w"`` (text) or ``"wb"`` (binary).
    encoding, newline
        For text mode, as in :func:`open`.

    Examples
    --------
    >>> with atomic_write(tmp / "out.txt") as f:  # doctest: +SKIP
    ...     f.write("完成")
    """
    if mode not in ("w", "wb", "wt"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    binary = "b" in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    handle: IO[Any]
    try:
        if binary:
            handle = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path (same folder and suffix) that replaces ``path`` on success.

    For libraries that want a file name (``gdf.to_file``, ``fig.savefig``,
    ``folium.Map.save``); the suffix is kept so they infer the format.  Only for formats
    that are a single file (not shapefiles).

    Raises
    ------
    FileNotFoundError
        The block finished without creating the temporary file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp} for {path}")
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_csv(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``df`` as CSV in UTF-8 with a BOM (so Excel shows Chinese), atomically.

    Text cells that a spreadsheet would read as formulas are escaped (:func:`safe_text`).
    """
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8-sig", newline="") as handle:
        safe_frame(df).to_csv(handle, index=index, lineterminator="\r\n")
    return path


def _json_default(obj: object) -> object:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, dt.date | dt.datetime | dt.time):
        return obj.isoformat()
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, set | frozenset | tuple):
        return sorted(obj) if isinstance(obj, set | frozenset) else list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_json(obj: object, path: str | Path) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable), atomically.

    numpy scalars/arrays, dates and paths are converted; NaN is written as ``null``.
    """
    path = Path(path)
    text = json.dumps(_nan_to_none(obj), ensure_ascii=False, indent=2, default=_json_default)
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text + "\n")
    return path


def _nan_to_none(obj: object) -> object:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    return obj


def sha256_file(path: str | Path) -> str:
    """Return the hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
