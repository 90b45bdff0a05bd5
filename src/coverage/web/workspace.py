"""The workbench's workspace on disk: one folder per project, nothing kept only in memory.

::

    WORKSPACE/                     ~/coverage-projects or ``coverage serve --workspace DIR``
      澄河县/                        a project (its folder name is its sanitised name)
        project.json               name and creation time
        uploads/                   the planner's files, as uploaded (the folder ``coverage init``
                                   surveys)
        choices.json               the wizard's last answers (coverage.scaffold.Choices)
        region.toml                the region, in the CLI's format (``coverage run region.toml``)
        history/                   earlier region.toml versions (never silently lost)
        runs/RUN-ID/               one run: params.json, status.json, events.jsonl,
                                   summary.json and ``out/`` (the pipeline's output folder)

File names are sanitised once, here (:func:`safe_filename`): no folder parts, no ``..``, no
control or reserved characters, Chinese kept.  Every path handed out is checked to be inside
its project (:meth:`Project.inside`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from coverage.problems import InputError

__all__ = [
    "ALLOWED_SUFFIXES",
    "DEFAULT_MAX_UPLOAD_MB",
    "Project",
    "Workspace",
    "safe_filename",
    "write_json",
]

DEFAULT_MAX_UPLOAD_MB = 200.0
#: what the wizard accepts: tables, vector files and their sidecars, OSM road files
ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".tsv", ".zip", ".shp", ".shx", ".dbf",
                    ".prj", ".cpg", ".geojson", ".json", ".gpkg", ".osm", ".pbf", ".bz2")
#: first bytes of the binary formats: a file whose content does not match is refused
_MAGIC = {".xlsx": (b"PK\x03\x04",), ".xlsm": (b"PK\x03\x04",), ".zip": (b"PK\x03\x04",),
          ".gpkg": (b"SQLite format 3\x00",), ".bz2": (b"BZh",)}
_RESERVED = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                  *(f"lpt{i}" for i in range(1, 10))}
_MAX_NAME_BYTES = 180


def safe_filename(name: str) -> str:
    """A file or folder name safe to create: the last path part, no reserved characters.

    Chinese and other letters are kept (NFC); folder parts (``../``, ``C:\\``), control
    characters and ``<>:"/\\|?*`` are dropped; leading dots and spaces removed; the name is
    cut to 180 bytes keeping its suffix.

    Raises
    ------
    InputError
        Nothing usable is left (``..``, ``/``, an empty name, a Windows device name).
    """
    text = unicodedata.normalize("NFC", str(name))
    text = re.split(r"[/\\]", text)[-1]
    text = _RESERVED.sub("", text).strip().lstrip(". ").rstrip(". ")
    stem, dot, suffix = text.rpartition(".")
    if dot and len(suffix.encode()) < 16:
        while len(text.encode()) > _MAX_NAME_BYTES and stem:
            stem = stem[:-1]
            text = f"{stem}.{suffix}"
    while len(text.encode()) > _MAX_NAME_BYTES:
        text = text[:-1]
    if not text or text.split(".")[0].lower() in _WINDOWS_NAMES:
        raise InputError.single(
            "文件名不可用 (the file name cannot be used)", value=name, code="bad_filename",
            fix="rename the file (letters, digits, Chinese characters) and upload it again")
    return text


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as UTF-8 JSON atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in ``path``, or ``default`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _too_large(name: str, limit_mb: float) -> InputError:
    return InputError.single(
        f"文件超过大小上限 {limit_mb:g} MB (the file is larger than {limit_mb:g} MB)",
        file=name, code="upload_too_large",
        fix="split the file, remove columns not needed, or start the workbench with a larger "
            "--max-upload-mb")


@dataclass(frozen=True)
class Project:
    """One project folder (see the module docstring)."""

    root: Path

    @property
    def slug(self) -> str:
        """The folder name (also the project's address in the workbench)."""
        return self.root.name

    @property
    def name(self) -> str:
        """The name the planner gave."""
        return str(read_json(self.root / "project.json", {}).get("name") or self.slug)

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def toml(self) -> Path:
        return self.root / "region.toml"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def choices_path(self) -> Path:
        return self.root / "choices.json"

    def inside(self, path: Path) -> Path:
        """``path`` resolved, or an :class:`InputError` if it leaves the project folder."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise InputError.single("路径不在项目内 (the path is outside the project)",
                                    value=str(path), code="outside_project",
                                    fix="open files from the project's own pages")
        return resolved

    def files(self) -> list[Path]:
        """The uploaded files, by name."""
        if not self.uploads.is_dir():
            return []
        return sorted(p for p in self.uploads.iterdir() if p.is_file())

    def save_upload(self, name: str, stream: BinaryIO, *, max_mb: float = DEFAULT_MAX_UPLOAD_MB
                    ) -> Path:
        """Store an uploaded file under its sanitised name (replacing an earlier upload).

        The file is written beside its target and moved into place only when complete,
        within the size limit and of the type its suffix says.

        Raises
        ------
        InputError
            Bad name, unsupported type, content not matching the suffix, too large.
        """
        clean = safe_filename(name)
        lower = clean.lower()
        suffix = Path(lower).suffix
        if suffix not in ALLOWED_SUFFIXES:
            raise InputError.single(
                f"不支持的文件类型 {suffix or '（无后缀）'} (unsupported file type)", file=clean,
                code="upload_type",
                fix="upload Excel (.xlsx), CSV, shapefiles (.zip or .shp/.shx/.dbf/.prj), "
                    "GeoJSON, GeoPackage or OSM (.osm/.osm.bz2/.osm.pbf) files; save .xls "
                    "and .et files as .xlsx first")
        self.uploads.mkdir(parents=True, exist_ok=True)
        limit = int(max_mb * 2**20)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload.", suffix=".part", dir=self.uploads)
        tmp = Path(tmp_name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(2**20):
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(clean, max_mb)
                    out.write(chunk)
            magic = _MAGIC.get(suffix)
            if magic is not None:
                with tmp.open("rb") as fh:
                    head = fh.read(16)
                if not any(head.startswith(m) for m in magic):
                    raise InputError.single(
                        f"文件内容与后缀 {suffix} 不符 (the content is not a {suffix} file)",
                        file=clean, code="upload_type",
                        fix="save the file again from Excel/WPS or your GIS and upload it")
            if size == 0:
                raise InputError.single("文件是空的 (the file is empty)", file=clean,
                                        code="upload_empty", fix="upload the file again")
            target = self.inside(self.uploads / clean)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return target

    def remove_upload(self, name: str) -> None:
        """Delete one uploaded file (by its sanitised name)."""
        target = self.inside(self.uploads / safe_filename(name))
        with contextlib.suppress(FileNotFoundError):
            target.unlink()

    def save_toml(self, text: str) -> Path:
        """Write ``region.toml`` atomically; the previous version goes to ``history/``."""
        if self.toml.exists():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            (self.root / "history").mkdir(exist_ok=True)
            shutil.copy2(self.toml, self.root / "history" / f"region-{stamp}.toml")
        fd, tmp = tempfile.mkstemp(prefix=".region.", suffix=".tmp", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, self.toml)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return self.toml

    def runs(self) -> list[str]:
        """Run ids, newest first."""
        if not self.runs_dir.is_dir():
            return []
        return sorted((p.name for p in self.runs_dir.iterdir()
                       if p.is_dir() and (p / "params.json").exists()), reverse=True)

    def run_dir(self, run_id: str) -> Path:
        """The folder of run ``run_id`` (an :class:`InputError` when there is none)."""
        if not re.fullmatch(r"[0-9]{8}-[0-9]{6}(-[0-9]+)?", run_id):
            raise InputError.single("没有这次运行 (no such run)", value=run_id, code="no_run",
                                    fix="pick a run from the project's page")
        path = self.runs_dir / run_id
        if not (path / "params.json").exists():
            raise InputError.single("没有这次运行 (no such run)", value=run_id, code="no_run",
                                    fix="pick a run from the project's page")
        return path

    def new_run_dir(self) -> tuple[str, Path]:
        """A new, empty run folder named by the time (created here, never reused)."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for i in range(1, 1000):
            run_id = stamp if i == 1 else f"{stamp}-{i}"
            path = self.runs_dir / run_id
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return run_id, path
        raise InputError.single("too many runs in one second", code="run_busy",
                                fix="wait a moment and start the run again")


class Workspace:
    """The folder of all projects (created when missing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def projects(self) -> list[Project]:
        """Every project, by name."""
        return sorted((Project(p) for p in self.root.iterdir()
                       if p.is_dir() and (p / "project.json").exists()),
                      key=lambda p: p.slug)

    def project(self, slug: str) -> Project:
        """The project in folder ``slug`` (an :class:`InputError` when there is none)."""
        clean = safe_filename(slug)
        path = self.root / clean
        if clean != slug or not (path / "project.json").exists():
            raise InputError.single("没有这个项目 (no such project)", value=slug,
                                    code="no_project", fix="pick a project on the start page")
        return Project(path)

    def create(self, name: str) -> Project:
        """A new project named ``name`` (its folder: the sanitised name, made unique)."""
        label = " ".join(str(name).split())
        if not label:
            raise InputError.single("请填写项目名称 (give the project a name)",
                                    code="bad_filename", fix="e.g. 澄河县2026年规划")
        base = safe_filename(label)
        for i in range(1, 1000):
            slug = base if i == 1 else f"{base}-{i}"
            path = self.root / slug
            try:
                path.mkdir()
            except FileExistsError:
                continue
            (path / "uploads").mkdir()
            write_json(path / "project.json", {
                "name": label, "created": datetime.now().astimezone().isoformat(
                    timespec="seconds")})
            return Project(path)
        raise InputError.single("同名项目太多 (too many projects with this name)", value=label,
                                code="bad_filename", fix="choose another name")

    def __iter__(self) -> Iterator[Project]:
        return iter(self.projects())
