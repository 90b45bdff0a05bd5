"""Output folders: a second run never clobbers the first, one writer per folder, and what a
killed run left behind is cleaned up by the next one."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from coverage._outdir import (
    OutputBusyError,
    OutputLock,
    lock_path,
    locked_target,
    prepare_output_dir,
    remove_stale_staging,
    replace_dir,
    staging_dir,
)
from coverage.problems import InputError


def test_new_and_empty_folders_are_used(tmp_path: Path) -> None:
    assert prepare_output_dir(tmp_path / "a") == tmp_path / "a"
    (tmp_path / "b").mkdir()
    assert prepare_output_dir(tmp_path / "b") == tmp_path / "b"


def test_existing_run_gets_timestamped_sibling(tmp_path: Path) -> None:
    base = tmp_path / "out"
    base.mkdir()
    (base / "run.json").write_text("{}")
    now = datetime(2026, 11, 23, 18, 45, 1)
    first = prepare_output_dir(base, now=now)
    assert first.name == "out-20261123-184501"
    second = prepare_output_dir(base, now=now)
    assert second.name == "out-20261123-184501-2"
    assert (base / "run.json").exists()
    assert prepare_output_dir(base, overwrite=True) == base


def test_replace_dir_swaps_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    staging = tmp_path / ".staging"
    staging.mkdir()
    (staging / "new.txt").write_text("new")
    replace_dir(staging, target)
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert not staging.exists()


# ------------------------------------------------------------------------------ the lock


def test_second_lock_is_refused_with_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputLock(out) as first:
        assert first.held and lock_path(out).is_file()
        assert not OutputLock(out).try_acquire()  # not re-entrant, not even in-process
        with pytest.raises(OutputBusyError) as info:
            OutputLock(out).acquire()
        err = info.value
        assert isinstance(err, InputError)  # exit 2 in the CLI
        text = str(err)
        assert "another run is writing" in text and f"PID {os.getpid()}" in text
        assert str(out) in text and "another --out folder" in text
        assert err.problems[0].code == "output_busy"
    assert not lock_path(out).exists()  # released and tidied
    with OutputLock(out):
        pass


_HOLD = """
import sys, time
from coverage._outdir import OutputLock
lock = OutputLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(120)
"""


def _env() -> dict[str, str]:
    import coverage

    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(coverage.__file__).resolve().parents[1])
    env.pop("CI", None)
    return env


def test_lock_dies_with_its_process(tmp_path: Path) -> None:
    """An OS lock, not a marker file: kill -9 of the holder frees the folder at once."""
    out = tmp_path / "out"
    with subprocess.Popen([sys.executable, "-c", _HOLD, str(out)], env=_env(),
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            other = OutputLock(out)
            assert not other.try_acquire()
            assert f"PID {holder.pid}" in other.holder()
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            assert lock_path(out).exists()  # the file survives the crash …
            assert other.try_acquire()      # … but the lock does not
            other.release()
        finally:
            holder.kill()


def test_locked_target_locks_a_timestamped_sibling_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text("{}")
    with OutputLock(out) as lock, locked_target(lock) as target:
        assert target != out and target.name.startswith("out-")
        # a run given that sibling explicitly as --out is refused while this one writes
        assert not OutputLock(target).try_acquire()
    assert OutputLock(target).try_acquire()


def test_one_lock_per_physical_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    with OutputLock(tmp_path / "real" / "out"):
        assert not OutputLock(Path("real") / "out").try_acquire()      # relative spelling
        assert not OutputLock(tmp_path / "link" / "out").try_acquire()  # through a symlink
        assert not OutputLock(Path("real") / ".." / "real" / "out").try_acquire()


def test_a_file_or_the_root_is_no_output_folder(tmp_path: Path) -> None:
    file = tmp_path / "region.toml"
    file.write_text("[region]\n")
    with pytest.raises(InputError, match="the output path is a file, not a folder"):
        prepare_output_dir(file, overwrite=True)
    assert file.read_text() == "[region]\n"
    with pytest.raises(InputError, match="cannot be the root"):
        OutputLock(Path("/"))


def test_overwrite_replaces_only_a_previous_run(tmp_path: Path) -> None:
    data = tmp_path / "data"  # `--out data --overwrite` in the planner's data folder
    data.mkdir()
    (data / "台账.xlsx").write_bytes(b"PK")
    with OutputLock(data) as lock:
        with pytest.raises(InputError, match="only replaces those") as info, \
                lock.staged(overwrite=True):
            raise AssertionError("the block must not run")
        assert info.value.problems[0].code == "out_not_a_run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert (data / "台账.xlsx").read_bytes() == b"PK"
    previous = tmp_path / "out"
    previous.mkdir()
    (previous / "run.json").write_text("{}")
    (previous / "report.html").write_text("old")
    with OutputLock(previous) as lock, lock.staged(overwrite=True) as (target, staging):
        (staging / "run.json").write_text('{"new": true}')
    assert target == previous and sorted(p.name for p in previous.iterdir()) == ["run.json"]


# ---------------------------------------------------------------- what killed runs left


def test_stale_staging_is_removed_and_said(tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "out"
    out.mkdir()  # the empty folder the killed run had reserved
    stale = staging_dir(out, pid=999_999)
    (stale / "maps").mkdir(parents=True)
    (stale / "maps" / "half.png").write_bytes(b"\x89PNG")
    sibling = tmp_path / "out-20261123-184501"
    stale_sibling = staging_dir(sibling, pid=999_998)
    stale_sibling.mkdir()
    unrelated = tmp_path / ".outer.staging-1"
    unrelated.mkdir()
    with caplog.at_level(logging.WARNING, logger="coverage._outdir"), OutputLock(out) as lock:
        removed = remove_stale_staging(lock)
    assert set(removed) == {stale, stale_sibling}
    assert not stale.exists() and not stale_sibling.exists() and not out.exists()
    assert unrelated.exists()  # another folder's business
    assert "removed the unfinished output of an interrupted run (process 999999)" in caplog.text


def test_staging_of_a_live_run_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sibling = tmp_path / "out-20261123-184501"
    live = staging_dir(sibling, pid=12345)
    live.mkdir()
    with OutputLock(sibling), OutputLock(out) as lock:  # that sibling's run is alive
        assert remove_stale_staging(lock) == []
    assert live.exists()


def test_a_run_killed_while_replacing_gets_its_previous_output_back(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = tmp_path / "out"
    trash = tmp_path / ".out.old"  # killed between the two renames of replace_dir
    trash.mkdir()
    (trash / "run.json").write_text("previous")
    staging_dir(out, pid=999_999).mkdir()
    with caplog.at_level(logging.WARNING, logger="coverage._outdir"), OutputLock(out) as lock:
        remove_stale_staging(lock)
    assert (out / "run.json").read_text() == "previous" and not trash.exists()
    assert "its previous output was put back" in caplog.text
    # killed after the new folder was in place: the old one is just removed
    trash.mkdir()
    with OutputLock(out) as lock:
        remove_stale_staging(lock)
    assert not trash.exists() and (out / "run.json").read_text() == "previous"


def test_staged_moves_into_place_or_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputLock(out) as lock:
        with pytest.raises(RuntimeError), lock.staged() as (target, staging):
            (staging / "half.txt").write_text("x")
            raise RuntimeError("stage failed")
        assert not staging.exists()
        with lock.staged() as (target, staging):
            (staging / "run.json").write_text("{}")
    assert target == out and (out / "run.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ------------------------------------------------------------------ real coverage runs


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", folder)
    toml = folder / "region.toml"
    toml.write_text(toml.read_text(encoding="utf-8")
                    + '\n[optimize]\nmodel = "quota"\np = 4\n\n'
                    '[scenarios."少建两处"]\noptimize = { model = "mclp", p = 2 }\n',
                    encoding="utf-8")
    return toml


def _coverage(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "coverage.cli", *args], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate: object, proc: subprocess.Popen[str], what: str,
              timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _checksums_hold(out: Path) -> None:
    import hashlib
    import json

    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["outputs"]
    for item in record["outputs"]:
        digest = hashlib.sha256((out / item["path"]).read_bytes()).hexdigest()
        assert digest == item["sha256"], item["path"]


@pytest.mark.slow
def test_two_runs_on_one_out(tiny_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with _coverage("-q", "run", str(tiny_copy), "--out", str(out)) as first:
        try:
            _wait_for(lambda: f"{first.pid} " in _read(lock_path(out)), first, "the first lock")
            with _coverage("-q", "run", str(tiny_copy), "--out", str(out),
                           "--scenario", "少建两处") as second:
                _, err = second.communicate(timeout=120)
            assert second.returncode == 2, err
            assert "another run is writing" in err and f"PID {first.pid}" in err
            assert "Traceback" not in err
            _, err = first.communicate(timeout=300)
            assert first.returncode == 0, err
        finally:
            if first.poll() is None:
                first.kill()
    _checksums_hold(out)  # the first run's files are whole and its own
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def _has_files(folder: Path) -> bool:
    try:
        return any(p.is_file() for p in folder.rglob("*"))
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


@pytest.mark.slow
def test_a_killed_run_is_cleaned_up_by_the_next(tiny_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with _coverage("-q", "run", str(tiny_copy), "--out", str(out)) as victim:
        staging = staging_dir(out, pid=victim.pid)
        try:
            # killed midway: some of its files are written, the rest are not
            _wait_for(lambda: _has_files(staging), victim, "a file in the staging folder")
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
        finally:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL
    assert staging.is_dir()  # the killed run's half-written output …
    with _coverage("run", str(tiny_copy), "--out", str(out)) as again:
        text, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f"removed the unfinished output of an interrupted run (process {victim.pid})" in err
    assert f"输出目录 output folder: {out}" in text  # the folder itself, not a sibling
    _checksums_hold(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny"]  # nothing left over
