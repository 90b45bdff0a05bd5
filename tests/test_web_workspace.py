"""The workbench's workspace on disk: safe names, upload limits and types, nothing in memory,
and one run at a time per project (:mod:`coverage.web.workspace`, :mod:`coverage.web.jobs`)."""

from __future__ import annotations

import hashlib
import io
import shutil
import threading
from pathlib import Path

import pytest

from coverage.problems import InputError
from coverage.web import jobs
from coverage.web.jobs import RunParams, run_state, start_run, wait_for
from coverage.web.workspace import Workspace, safe_filename

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny"


@pytest.mark.parametrize(("given", "expected"), [
    ("台账.xlsx", "台账.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\win.ini", "win.ini"),
    ("/abs/path/村居 点位.csv", "村居 点位.csv"),
    ("a<b>c:d\"e|f?g*.csv", "abcdefg.csv"),
    ("..hidden.csv", "hidden.csv"),
    ("名单\x00.csv", "名单.csv"),
])
def test_safe_filename_keeps_chinese_drops_folders(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


@pytest.mark.parametrize("bad", ["..", "/", "", "CON.csv", "...", "a/.."])
def test_unusable_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError) as exc:
        safe_filename(bad)
    assert exc.value.problems[0].code == "bad_filename"


def test_long_names_are_cut_keeping_the_suffix() -> None:
    name = safe_filename("村" * 200 + ".xlsx")
    assert name.endswith(".xlsx") and len(name.encode()) <= 180


def test_upload_lands_inside_the_project_and_survives_a_restart(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    project = ws.create("澄河县 2026")
    saved = project.save_upload("../../../outside.csv", io.BytesIO("代码,名称\n1,甲\n".encode()))
    assert saved.parent == project.uploads.resolve()
    assert not (tmp_path / "outside.csv").exists()
    again = Workspace(tmp_path / "ws")  # a new server process: everything is on disk
    assert [p.name for p in again.projects()] == ["澄河县 2026"]
    assert [p.name for p in again.project("澄河县 2026").files()] == ["outside.csv"]


def test_oversized_upload_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    project = Workspace(tmp_path).create("p")
    with pytest.raises(InputError) as exc:
        project.save_upload("big.csv", io.BytesIO(b"x" * (2 * 2**20 + 1)), max_mb=2)
    assert exc.value.problems[0].code == "upload_too_large"
    assert list(project.uploads.iterdir()) == []


@pytest.mark.parametrize(("name", "content"), [
    ("table.xlsx", b"<html>not a workbook</html>"),
    ("boundary.zip", b"plain text"),
    ("script.exe", b"MZ\x90\x00"),
    ("page.html", b"<script>alert(1)</script>"),
])
def test_wrong_types_are_refused(tmp_path: Path, name: str, content: bytes) -> None:
    project = Workspace(tmp_path).create("p")
    with pytest.raises(InputError) as exc:
        project.save_upload(name, io.BytesIO(content))
    assert exc.value.problems[0].code == "upload_type"
    assert list(project.uploads.iterdir()) == []


def test_project_and_run_names_cannot_leave_the_workspace(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    project = ws.create("../evil")
    assert project.root.parent == ws.root
    for slug in ("..", "../ws", "evil/../.."):
        with pytest.raises(InputError):
            ws.project(slug)
    for run_id in ("../../x", "20260101-000000/../..", "x"):
        with pytest.raises(InputError):
            project.run_dir(run_id)


def _tiny_project(tmp_path: Path):  # type: ignore[no-untyped-def]
    project = Workspace(tmp_path / "ws").create("测试县")
    for f in TINY.iterdir():
        if f.suffix != ".toml":
            shutil.copy(f, project.uploads / f.name)
    text = (TINY / "region.toml").read_text(encoding="utf-8")
    for f in TINY.iterdir():
        text = text.replace(f'"{f.name}"', f'"uploads/{f.name}"')
    project.save_toml(text)
    return project


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_run_of_a_project_is_refused_while_the_first_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's run lock: the second start fails at once; nothing is overwritten."""
    import coverage.pipeline

    project = _tiny_project(tmp_path)
    before = _digest(project.uploads)
    release = threading.Event()
    entered = threading.Event()

    def slow_run(cfg, *, out, scenario, on_stage):  # type: ignore[no-untyped-def]
        entered.set()
        assert release.wait(30)
        # the run's own config carries the planner's locks and exclusions as a scenario
        assert cfg.scenarios[scenario]["optimize"]["exclude"] == ["370999101202"]
        raise InputError.single("stopped by the test", code="test_stop")

    monkeypatch.setattr(coverage.pipeline, "run", slow_run)
    config = __import__("coverage.config", fromlist=["load_config"]).load_config(project.toml)
    params = RunParams.defaults(config)
    params = RunParams(**{**params.__dict__, "exclude": ("370999101202",)})
    first = start_run(project, params)
    assert entered.wait(30)
    with pytest.raises(InputError) as exc:
        start_run(project, params)
    assert exc.value.problems[0].code == "run_busy"
    assert run_state(project, first)["state"] == "running"
    assert project.runs() == [first]  # the refused run left no folder
    release.set()
    state = wait_for(project, first, timeout=30)
    assert state["state"] == "failed"
    assert state["problems"][0]["message"] == "stopped by the test"
    assert _digest(project.uploads) == before
    # the lock is free again: the next run starts
    release.set()
    second = start_run(project, params)
    assert wait_for(project, second, timeout=30)["state"] == "failed"
    assert set(project.runs()) == {first, second}


def test_a_run_killed_with_the_server_is_shown_interrupted(tmp_path: Path) -> None:
    project = _tiny_project(tmp_path)
    run_id, folder = project.new_run_dir()
    jobs.write_json(folder / "params.json", {"label": "x"})
    jobs.write_json(folder / "status.json", {"state": "running"})
    assert run_state(project, run_id) == {"state": "interrupted"}
