"""Resumption: a manifest per county says what its output folder was made from.

A county's folder ``OUT/counties/CODE/`` is complete when its manifest
(``batch_manifest.json``, written last) exists, names the same *fingerprint* and every output
file it lists is there with the size it had.  The fingerprint is a SHA-256 over everything the
county's result depends on: the county's effective config (after the batch's overrides), the
content hashes of its input files (the region TOML, boundaries, layers, 台账, roads), the
batch settings that reach the county, and the sites of other counties it may be served by.
A rerun skips a county whose fingerprint is unchanged and whose folder is complete.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage.outputs import sha256_file, write_json

__all__ = ["MANIFEST", "SUMMARY", "FileHashes", "fingerprint", "is_complete", "read_manifest",
           "write_manifest"]

#: The manifest's file name inside a county's output folder.
MANIFEST = "batch_manifest.json"
#: The county's summary tables (codes, not words) that the city roll-up reads.
SUMMARY = "batch_summary.json"
_VERSION = 1


@dataclass
class FileHashes:
    """SHA-256 of files, each read once per batch (a shared road file is hashed once)."""

    known: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def __call__(self, path: Path) -> str:
        """The file's hash (``"missing"`` for a file that is not there)."""
        try:
            st = path.stat()
        except OSError:
            return "missing"
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if key not in self.known:
            self.known[key] = sha256_file(path)
        return self.known[key]


def fingerprint(parts: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-able mapping (keys sorted, so the order of building it is free)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hashes(paths: Iterable[Path], hashes: FileHashes) -> dict[str, str]:
    """Path -> content hash of each input file."""
    return {str(p): hashes(Path(p)) for p in dict.fromkeys(paths)}


def write_manifest(folder: Path, *, code: str, fingerprint: str) -> Path:
    """Write the manifest of a finished county folder (every file in it, with its size)."""
    files = {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    return write_json({"version": _VERSION, "county": code, "fingerprint": fingerprint,
                       "files": files}, folder / MANIFEST)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a county folder (None when there is none or it cannot be read)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == _VERSION else None


def is_complete(folder: Path, expected: str) -> bool:
    """Whether ``folder`` holds a finished county made from ``expected`` (a fingerprint)."""
    data = read_manifest(folder)
    if data is None or data.get("fingerprint") != expected:
        return False
    files = data.get("files")
    if not isinstance(files, dict) or SUMMARY not in files:
        return False
    for rel, size in files.items():
        p = folder / rel
        try:
            if p.stat().st_size != size:
                return False
        except OSError:
            return False
    return True
