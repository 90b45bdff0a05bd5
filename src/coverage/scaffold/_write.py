"""Writing the draft: never over an existing file, atomically, and checked before it is handed over.

Each file is written to a temporary file in the target folder, synced, then *linked* to its
name — which fails if the name exists, so a planner's own ``region.toml`` is never replaced,
not even by a second ``coverage init`` running at the same moment.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from coverage.config import parse_config
from coverage.problems import InputError
from coverage.region import located_mask
from coverage.scaffold._choices import Choices
from coverage.scaffold._model import Survey
from coverage.scaffold._plan import Plan, plan_region
from coverage.scaffold._report import DraftCheck, report_dict, report_text
from coverage.scaffold._toml import render_toml

__all__ = ["DraftFiles", "check_draft", "draft_config", "write_draft"]


@dataclass(frozen=True)
class DraftFiles:
    """What :func:`write_draft` wrote.

    Attributes
    ----------
    toml
        The draft region TOML.
    report
        The text report beside it (``NAME.report.txt``).
    report_json
        The same report as JSON (``NAME.report.json``).
    plan
        The plan the draft describes.
    check
        ``coverage validate`` on the draft (``ran`` False when questions must be answered
        first, or when checking was switched off).
    """

    toml: Path
    report: Path
    report_json: Path
    plan: Plan
    check: DraftCheck


def draft_config(survey: Survey, *, choices: Choices | None = None,
                 toml_dir: Path | None = None) -> str:
    """The draft region TOML for ``survey`` with the planner's ``choices``.

    Parameters
    ----------
    survey
        From :func:`coverage.scaffold.survey`.
    choices
        Overrides of any guess (:class:`Choices`).
    toml_dir
        Where the TOML will live (paths are written relative to it); default the surveyed
        folder.

    Returns
    -------
    str
        The TOML text, commented.
    """
    plan = plan_region(survey, choices=choices)
    return render_toml(plan, toml_dir=toml_dir or survey.folder)


def check_draft(text: str, *, toml_path: Path, plan: Plan | None = None) -> DraftCheck:
    """Load the region a draft describes, as ``coverage validate`` would, without writing it.

    Not run (``ran`` False) while the plan has unanswered errors (a boundary file without
    code and name fields, no county code …): loading could only repeat them.
    """
    from coverage.load import load_region

    if plan is not None:
        errors = [p for p in plan.problems if p.severity == "error"]
        if errors:
            return DraftCheck(False, False, reason=f"{len(errors)} 个问题需先解决 (answer the "
                              f"{len(errors)} questions marked 错误 first)")
    try:
        config = parse_config(tomllib.loads(text), base_dir=toml_path.parent, path=toml_path)
        region = load_region(config)
    except InputError as exc:
        return DraftCheck(True, False, problems=tuple(exc.problems))
    layers = tuple((k, len(g), int(located_mask(g).sum())) for k, g in region.layers.items())
    return DraftCheck(True, True, layers, len(region.townships),
                      region.approximate_townships, tuple(region.problems))


def _finite(obj: object) -> object:
    """NaN and infinities as null (JSON has none)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _free_names(folder: Path, stem: str) -> tuple[Path, Path, Path]:
    for i in range(1, 1000):
        name = stem if i == 1 else f"{stem}.draft" if i == 2 else f"{stem}.draft-{i - 1}"
        paths = (folder / f"{name}.toml", folder / f"{name}.report.txt",
                 folder / f"{name}.report.json")
        if not any(p.exists() for p in paths):
            return paths
    raise InputError.single("too many drafts in the folder", file=str(folder),
                            fix="delete old drafts or give --out")


def _create(path: Path, text: str) -> None:
    """Write ``text`` to the new file ``path`` atomically; ``FileExistsError`` if it exists."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, path)
        except OSError as exc:
            if isinstance(exc, FileExistsError) or exc.errno == errno.EEXIST:
                raise
            # no hard links here (FAT, some network drives): claim the name, then replace it
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_draft(folder: str | Path, survey: Survey | None = None, *,
                choices: Choices | None = None, out: str | Path | None = None,
                source: str | None = None, check: bool = True) -> DraftFiles:
    """Survey ``folder`` (unless a survey is given), write the draft TOML and its report.

    Parameters
    ----------
    folder
        The planner's folder.
    survey
        A survey of ``folder`` made before (e.g. shown in a form); surveyed now if None.
    choices
        The planner's overrides.
    out
        The draft's path; an existing file is never replaced (an :class:`InputError`).
        Default ``FOLDER/region.toml``, or ``region.draft.toml``, ``region.draft-2.toml`` …
        when that exists.  The reports go beside it (``NAME.report.txt`` / ``.json``).
    source
        The coordinate-source answer when surveying now (see :func:`survey`).
    check
        Load the draft as ``coverage validate`` would and put the result in the report.

    Returns
    -------
    DraftFiles

    Raises
    ------
    InputError
        Nothing usable in the folder; ``out`` exists; bad choices.
    """
    from coverage.scaffold._survey import survey as survey_folder

    root = Path(folder)
    sv = survey if survey is not None else survey_folder(root, source=source)
    plan = plan_region(sv, choices=choices)
    if out is not None:
        toml = Path(out)
        if toml.suffix.lower() != ".toml":
            toml = toml.with_name(toml.name + ".toml")
        stem = toml.name[: -len(".toml")]
        paths = (toml, toml.with_name(f"{stem}.report.txt"),
                 toml.with_name(f"{stem}.report.json"))
        taken = [p for p in paths if p.exists()]
        if taken:
            raise InputError.single(
                "文件已存在，不会覆盖 (the file exists and is not replaced)", file=str(taken[0]),
                code="draft_exists", fix="give another --out, or move the existing file away")
        if not toml.parent.is_dir():
            raise InputError.single("文件夹不存在 (the folder does not exist)",
                                    file=str(toml.parent), code="not_a_folder",
                                    fix="create it first, or give another --out")
    else:
        paths = _free_names(sv.folder, "region")
    toml, report, report_json = paths
    text = render_toml(plan, toml_dir=toml.parent.resolve())
    result = (check_draft(text, toml_path=toml.resolve(), plan=plan) if check
              else DraftCheck(False, False, reason="checking was switched off"))
    try:
        _create(toml, text)
    except FileExistsError:
        raise InputError.single("文件已存在，不会覆盖 (the file exists and is not replaced)",
                                file=str(toml), code="draft_exists",
                                fix="give another --out, or move the existing file away"
                                ) from None
    _create(report, report_text(plan, draft=toml, check=result))
    data = report_dict(plan, draft=toml, check=result)
    _create(report_json, json.dumps(_finite(data), ensure_ascii=False, indent=2) + "\n")
    return DraftFiles(toml, report, report_json, plan, result)
