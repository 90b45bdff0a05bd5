"""Output folders: never destroy a previous run silently, never let two runs write one folder.

* :func:`prepare_output_dir` chooses the folder a run writes into: ``base`` when it does not
  exist or is empty; when it holds a previous run a new timestamped sibling
  (``base-20261123-184501``) unless ``overwrite=True``, in which case the old folder is
  replaced only once the new one is complete (:func:`replace_dir`) — and only when it holds
  a previous run (its ``run.json``): ``--out . --overwrite`` in a data folder is refused, not
  a way to lose the data.  A file, or the root of a drive, is refused as ``--out``.
* :class:`OutputLock` is an exclusive OS lock (``fcntl.flock``; ``msvcrt.locking`` on Windows)
  on a hidden file beside the folder (``.NAME.lock``).  The operating system releases it when
  the process ends, however it ends, so a crash or ``kill -9`` never leaves a stale lock.  A
  second writer fails at once with :class:`OutputBusyError` (an :class:`InputError`: exit 2)
  naming the process that holds it.  Failing fast rather than waiting: a run takes minutes,
  and a command that silently queues behind another one looks hung and then writes a
  timestamped sibling nobody asked for.
* :meth:`OutputLock.staged` is the whole life of a staged run: remove what killed runs left
  behind, choose the folder, write into a hidden sibling ``.NAME.staging-PID`` and move it
  into place at the end.  A staging folder is stale when nobody holds its folder's lock: its
  run was killed.  Removing it (and restoring a previous run caught half-way through a
  replacement) is logged as a warning, so the command says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType

from coverage.problems import InputError, Problem

__all__ = [
    "RUN_RECORD",
    "OutputBusyError",
    "OutputLock",
    "lock_path",
    "locked_target",
    "prepare_output_dir",
    "remove_stale_staging",
    "replace_dir",
    "staging_dir",
]

log = logging.getLogger(__name__)

_STAMP = r"-\d{8}-\d{6}(?:-\d+)?"


#: The file every finished run writes (``present.run.write_run_record``): a folder holding it
#: is a previous run, the only kind of non-empty folder ``--overwrite`` replaces.
RUN_RECORD = "run.json"


def _not_a_folder(base: Path) -> InputError:
    return InputError([Problem(
        str(base), None, "--out", None,
        "输出路径是一个文件，不是文件夹 (the output path is a file, not a folder)",
        "give --out a folder name (it is created when missing)", code="out_not_folder")])


def prepare_output_dir(base: Path, *, overwrite: bool = False, now: datetime | None = None
                       ) -> Path:
    """Choose the folder a run writes into (see module docstring).

    Raises
    ------
    InputError
        ``base`` is a file.
    """
    base = Path(base)
    if base.exists() and not base.is_dir():
        raise _not_a_folder(base)
    if not base.exists() or not any(base.iterdir()):
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


def _trash(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def replace_dir(staging: Path, target: Path) -> None:
    """Move a finished ``staging`` folder to ``target``, replacing it only at the end.

    An existing ``target`` is first renamed to ``.NAME.old`` and removed after the new folder
    is in place; a run killed between the two renames is repaired by the next one
    (:func:`remove_stale_staging` puts ``.NAME.old`` back).
    """
    if target.exists() and any(target.iterdir()):
        trash = _trash(target)
        if trash.exists():
            shutil.rmtree(trash)
        target.rename(trash)
        staging.rename(target)
        shutil.rmtree(trash)
    else:
        if target.exists():
            target.rmdir()
        staging.rename(target)


def lock_path(folder: Path) -> Path:
    """The lock file of an output folder: ``.NAME.lock`` beside it."""
    folder = Path(folder)
    return folder.with_name(f".{folder.name}.lock")


def staging_dir(target: Path, pid: int | None = None) -> Path:
    """The hidden folder a run writes into before it is moved to ``target``."""
    return target.with_name(f".{target.name}.staging-{os.getpid() if pid is None else pid}")


class OutputBusyError(InputError):
    """Another process is writing the output folder (exit 2 in the CLI)."""


def _lock_fd(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock_fd(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


class OutputLock:
    """An exclusive OS lock on one output folder (see the module docstring).

    Use as a context manager (``with OutputLock(out):``), which raises
    :class:`OutputBusyError` when another process holds the lock, or call
    :meth:`try_acquire` / :meth:`release`.  Locks are not re-entrant: a second
    ``OutputLock`` on the same folder in the same process is refused too.

    Parameters
    ----------
    folder
        The output folder (it need not exist; its parent is created).
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(os.path.abspath(folder))
        if not self.folder.name:
            raise InputError([Problem(
                str(folder), None, "--out", None,
                "不能把输出写到根目录 (the output cannot be the root of a drive)",
                "give --out a folder name, e.g. coverage-output", code="out_not_folder")])
        # one lock per physical folder, however it is spelled (relative, via a symlink)
        self.path = lock_path(Path(os.path.realpath(self.folder)))
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock without waiting; False when another run holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _lock_fd(fd):
                os.close(fd)
                return False
            # the previous holder unlinks the file when it lets go: make sure the file we
            # locked is still the one at the path, else lock the new one
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            _unlock_fd(fd)
            os.close(fd)
        self._fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            stamp = datetime.now().astimezone().isoformat(timespec="seconds")
            os.write(fd, f"{os.getpid()} {stamp}\n".encode())
        return True

    def acquire(self) -> None:
        """Take the lock or raise :class:`OutputBusyError` naming the holder."""
        if not self.try_acquire():
            raise self._busy()

    def release(self) -> None:
        """Let go of the lock (and remove the lock file when nobody else has it open)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform != "win32":
            with contextlib.suppress(OSError):
                self.path.unlink()  # while still locked: nobody can be between open and lock
        _unlock_fd(fd)
        os.close(fd)
        if sys.platform == "win32":
            with contextlib.suppress(OSError):
                self.path.unlink()

    def holder(self) -> str:
        """``"PID 1234, since 2026-12-02T09:20:01+08:00"`` of the holder, or ``""``."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace").split()
        except OSError:
            return ""
        if len(text) >= 2 and text[0].isdigit():
            return f"PID {text[0]}, since {text[1]}"
        return ""

    def _busy(self) -> OutputBusyError:
        who = self.holder()
        return OutputBusyError([Problem(
            str(self.folder), None, None, None,
            "另一个运行正在写入这个输出目录 (another run is writing to this output folder"
            + (f": {who}" if who else "") + ")",
            "wait until that run has finished, or give this one another --out folder",
            code="output_busy",
        )])

    def staged(self, *, overwrite: bool = False) -> contextlib.AbstractContextManager[
            tuple[Path, Path]]:
        """Write a run into a staging folder and move it into place when the block succeeds.

        Removes stale staging folders first (:func:`remove_stale_staging`), chooses the
        folder (:func:`prepare_output_dir`) and locks it too when it is a timestamped
        sibling.  Yields ``(target, staging)``; when the block raises, the staging folder is
        removed and ``target`` is left as it was.
        """
        return _staged(self, overwrite=overwrite)

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


@contextlib.contextmanager
def _staged(lock: OutputLock, *, overwrite: bool) -> Iterator[tuple[Path, Path]]:
    if not lock.held:
        raise RuntimeError(f"the output lock of {lock.folder} is not held")
    remove_stale_staging(lock)
    with locked_target(lock, overwrite=overwrite) as target:
        if any(target.iterdir()) and not (target / RUN_RECORD).is_file():
            raise InputError([Problem(
                str(target), None, "--overwrite", None,
                f"这个文件夹不是 coverage 的输出，不会被替换 (the folder holds no {RUN_RECORD}: "
                "it is not the output of a previous run, and --overwrite only replaces those)",
                "choose another --out folder, or empty this one yourself",
                code="out_not_a_run")])
        staging = staging_dir(target)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        try:
            yield target, staging
            replace_dir(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


@contextlib.contextmanager
def locked_target(lock: OutputLock, *, overwrite: bool = False) -> Iterator[Path]:
    """Choose the folder (:func:`prepare_output_dir`) under ``lock`` and hold its lock too.

    For commands that write straight into the folder (``coverage gaps --out``) and for
    :meth:`OutputLock.staged`.
    """
    if not lock.held:
        raise RuntimeError(f"the output lock of {lock.folder} is not held")
    target = prepare_output_dir(lock.folder, overwrite=overwrite)
    if target == lock.folder:
        yield target
        return
    with OutputLock(target):
        yield target


def remove_stale_staging(lock: OutputLock) -> list[Path]:
    """Clean up after runs on ``lock.folder`` that were killed; return what was removed.

    * ``.NAME.staging-PID`` and ``.NAME-STAMP.staging-PID`` folders whose own folder lock
      is free (the lock is the truth, not the PID, which the system may have reused);
    * ``.NAME.old`` left by a run killed while replacing ``NAME``: put back when ``NAME``
      is missing (the previous run is restored), removed when ``NAME`` is in place.

    Each action is logged as a warning.  ``lock`` must be held.
    """
    if not lock.held:
        raise RuntimeError(f"the output lock of {lock.folder} is not held")
    base = lock.folder
    parent = base.parent
    if not parent.is_dir():
        return []
    pattern = re.compile(rf"\.(?P<name>{re.escape(base.name)}(?:{_STAMP})?)"
                         rf"\.staging-(?P<pid>\d+)")
    removed: list[Path] = []
    for entry in sorted(parent.iterdir()):
        m = pattern.fullmatch(entry.name)
        if m is None or not entry.is_dir():
            continue
        target = parent / m.group("name")
        other = None if target == base else OutputLock(target)
        if other is not None and not other.try_acquire():
            continue  # that folder's run is alive
        try:
            shutil.rmtree(entry)
            if target.is_dir() and not any(target.iterdir()):
                target.rmdir()  # the empty folder the killed run had reserved
            removed.append(entry)
            log.warning("removed the unfinished output of an interrupted run (process %s): "
                        "%s", m.group("pid"), entry)
            _repair_trash(target)
        finally:
            if other is not None:
                other.release()
    _repair_trash(base)
    return removed


def _repair_trash(target: Path) -> None:
    trash = _trash(target)
    if not trash.is_dir():
        return
    if target.exists() and any(target.iterdir()):
        shutil.rmtree(trash)
        log.warning("removed the previous output an interrupted run was replacing: %s", trash)
    else:
        if target.exists():
            target.rmdir()
        trash.rename(target)
        log.warning("an interrupted run was replacing %s: its previous output was put back",
                    target)
