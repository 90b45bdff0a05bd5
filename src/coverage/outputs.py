"""Output files written atomically, and text cells that cannot turn into formulas.

Every output goes through :func:`atomic_write` or :func:`atomic_path`, so an interrupted run
never leaves a half-written file in place of a good one.  Every text cell written to a CSV or
workbook goes through :func:`safe_text`: a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return would be run as a formula by Excel or WPS (OWASP "CSV injection"),
so it gets a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import tempfile
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
    "safe_frame",
    "safe_text",
    "sha256_file",
    "write_csv",
    "write_json",
]

#: Leading characters that make Excel, WPS or LibreOffice read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula.

    Full-width ``＝＋－＠`` are included: some spreadsheet versions fold them to ASCII.
    """
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are passed through :func:`safe_text`."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(lambda v: safe_text(v) if isinstance(v, str) else v)
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
