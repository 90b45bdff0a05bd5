"""What may be read at all: regular files under a size limit, and their text encoding.

Every reader calls :func:`check_file` before it opens anything, so a device (``/dev/zero``),
a named pipe, a folder or a file larger than the limit is refused with a message instead of
filling the memory or blocking forever.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from coverage.problems import InputError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENCODING_FIX",
    "check_file",
    "decode_error_text",
    "detect_bytes_encoding",
    "detect_encoding",
    "read_bytes",
]

#: Default size limit of one input file (``[region] max_file_mb`` = 256).
DEFAULT_MAX_BYTES = 256 * 2**20

ENCODING_FIX = (
    'save it as UTF-8 (Excel: 另存为 "CSV UTF-8") or set encoding = "gbk" / "gb18030" '
    "in the region TOML"
)


def _mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MB"


def check_file(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
               what: str = "file") -> int:
    """Refuse what is not a regular file of at most ``max_bytes``, before reading a byte.

    Parameters
    ----------
    path
        The file.
    max_bytes
        The size limit (``[region] max_file_mb``).
    what
        What the file is, for the message (``"file"``, ``".dbf"`` …).

    Returns
    -------
    int
        The file's size in bytes.

    Raises
    ------
    InputError
        Missing; a folder; a device, pipe or socket (``/dev/zero``, a FIFO); larger than the
        limit.  The message says which and how to fix it.
    """
    p = Path(path)
    file = str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError.single(
            "文件不存在 (file not found)", file=file, code="file_not_found",
            fix="check the path in the region TOML (relative paths start at the TOML's folder)",
        ) from None
    except OSError as exc:
        raise InputError.single(
            f"无法读取文件 (cannot read the {what}): {exc.strerror or exc}", file=file,
            code="file_unreadable", fix="check the path and the permissions",
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError.single(
            f"这是文件夹，不是文件 (a folder, not a {what})", file=file, code="not_a_file",
            fix="give the path of the file inside the folder",
        )
    if not stat.S_ISREG(st.st_mode):
        raise InputError.single(
            f"不是普通文件 (not a regular {what}: a device, pipe or socket)", file=file,
            code="not_a_regular_file",
            fix="copy the data into an ordinary file and give its path",
        )
    if st.st_size > max_bytes:
        raise InputError.single(
            f"文件过大 (the {what} is {_mb(st.st_size)}, more than the limit of "
            f"{_mb(max_bytes)})", file=file, code="file_too_large",
            value=st.st_size,
            fix="check that this is the right file (a county's data is far smaller); if it is, "
                f"raise [region] max_file_mb to at least {st.st_size // 2**20 + 1}",
        )
    return int(st.st_size)


def read_bytes(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a checked file (:func:`check_file` first)."""
    check_file(path, max_bytes=max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError.single(
            f"无法读取文件 (cannot read the file): {exc.strerror or exc}", file=str(path),
            code="file_unreadable", fix="close it in Excel/WPS and check the permissions",
        ) from None
    if len(data) > max_bytes:  # grew while we looked
        raise InputError.single(
            f"文件过大 (more than the limit of {_mb(max_bytes)})", file=str(path),
            code="file_too_large", fix="raise [region] max_file_mb",
        )
    return data


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_error_text(data: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    """Where ``data`` stops being ``encoding``: byte offset, line and the bytes there."""
    bad = data[exc.start : exc.start + 4]
    return (
        f"not valid {encoding}: byte offset {exc.start} (line {_line_of(data, exc.start)}), "
        f"bytes {bad.hex(' ')}"
    )


def detect_bytes_encoding(data: bytes) -> tuple[str | None, list[str]]:
    """Return (encoding, reasons) for ``data``; encoding is None when nothing fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", []
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32", []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", []
    reasons: list[str] = []
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            reasons.append(decode_error_text(data, exc, encoding))
        else:
            return encoding, reasons
    return None, reasons


def detect_encoding(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Detect the text encoding of a file, never guessing blindly.

    Order: a byte-order mark (``utf-8-sig``, ``utf-16``, ``utf-32``); else the whole file
    decodes as strict UTF-8 (``utf-8``); else as strict GBK (``gbk``); else as strict
    GB18030, the superset with the rare characters (``gb18030``).

    Parameters
    ----------
    path
        The file.
    max_bytes
        Size limit (see :func:`check_file`).

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    InputError
        The file decodes as none of them (e.g. Latin-1 or a binary file); the message gives
        the byte offset and line where each decoding failed, and the fix.
    """
    path = Path(path)
    data = read_bytes(path, max_bytes=max_bytes)
    encoding, reasons = detect_bytes_encoding(data)
    if encoding is None:
        raise InputError.single(
            "无法识别文件编码 (unknown text encoding): " + "; ".join(reasons),
            file=str(path), fix=ENCODING_FIX, code="unknown_encoding",
        )
    return encoding
