"""Output folders that never destroy a previous run silently.

``prepare_output_dir(base)`` returns ``base`` when it does not exist or is empty; when it holds
a previous run it returns a new timestamped sibling (``base-20261123-184501``) unless
``overwrite=True``, in which case the old folder is moved aside and removed only after the
new folder is in place.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

__all__ = ["prepare_output_dir", "replace_dir"]


def prepare_output_dir(base: Path, *, overwrite: bool = False, now: datetime | None = None
                       ) -> Path:
    """Choose the folder a run writes into (see module docstring)."""
    base = Path(base)
    if not base.exists() or (base.is_dir() and not any(base.iterdir())):
        base.mkdir(parents=True, exist_ok=True)
        return base
    if overwrite:
        return base
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = base.with_name(f"{base.name}-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{stamp}-{n}")
    candidate.mkdir(parents=True)
    return candidate


def replace_dir(staging: Path, target: Path) -> None:
    """Move a finished ``staging`` folder to ``target``, replacing it only at the end."""
    if target.exists() and any(target.iterdir()):
        trash = target.with_name(f".{target.name}.old")
        if trash.exists():
            shutil.rmtree(trash)
        target.rename(trash)
        staging.rename(target)
        shutil.rmtree(trash)
    else:
        if target.exists():
            target.rmdir()
        staging.rename(target)
