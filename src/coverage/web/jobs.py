"""Runs in the background: one at a time per project, progress on disk, nothing lost on restart.

A run is started by :func:`start_run`: it takes the project's run lock (an OS lock,
:class:`coverage._outdir.OutputLock` on ``PROJECT/runs``, so a second server on the same
workspace is refused too), creates ``runs/RUN-ID/`` with the parameters and runs
:func:`coverage.pipeline.run` in a worker thread.  Every stage event is appended to
``events.jsonl`` (the page's server-sent events read that file), the outcome goes to
``status.json`` and the headline figures of the existing ``coverage compare`` to
``summary.json``.  A second run on a project whose run is still going is refused at once
with a clear message (:class:`~coverage.problems.InputError`, code ``run_busy``): a run takes
minutes and a queued one would write results nobody is waiting for.

The server log records the project folder, the run id, the stages, their seconds and the
outcome — never file contents, names of people or places, or values from the 台账.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage._outdir import OutputLock
from coverage.config import RegionConfig, load_config
from coverage.problems import InputError
from coverage.web.workspace import Project, read_json, write_json

__all__ = ["MODELS", "RunParams", "read_events", "run_state", "start_run", "wait_for"]

log = logging.getLogger("coverage.web")

MODELS = ("quota", "mclp", "lscp", "pmedian", "pcenter")
_THREADS: dict[str, threading.Thread] = {}


@dataclass(frozen=True)
class RunParams:
    """What the run form (or a re-run from the results page) asks for.

    Attributes
    ----------
    label
        The scenario's name shown side by side (``方案1`` …).
    preset
        The target preset (``[targets] preset``).
    model
        The optimisation model (``[optimize] model``).
    p
        Number of new sites for the models that take one.
    budget
        Total budget in 万元; 0 = none.
    urban_minutes, rural_minutes
        The service standard of the optimised service (``[[access.services]]`` urban/rural).
    force
        Codes of candidates that must be built (locked suggested sites).
    exclude
        Codes of candidates that must not be built (该村无场地).
    time_limit
        Solver time limit in seconds.
    extra
        Candidates the planner added on the map: ``(id, name, lon, lat)``
        (``[[optimize.extra_candidates]]``).
    """

    label: str
    preset: str
    model: str
    p: int
    budget: float
    urban_minutes: float
    rural_minutes: float
    force: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    time_limit: float = 60.0
    extra: tuple[tuple[str, str, float, float], ...] = ()

    @classmethod
    def defaults(cls, config: RegionConfig, *, label: str = "方案1") -> RunParams:
        """The config's own values (the preset, model, budget and service standard)."""
        opt = config.optimize
        svc = config.access.service(opt.service)
        return cls(label=label, preset=config.targets.preset, model=opt.model, p=opt.p,
                   budget=opt.budget, urban_minutes=svc.urban.minutes,
                   rural_minutes=svc.rural.minutes, force=tuple(opt.force),
                   exclude=tuple(opt.exclude), time_limit=opt.time_limit_s,
                   extra=tuple((c.id, c.name, c.lon, c.lat) for c in opt.extra_candidates))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunParams:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["force"] = tuple(values.get("force") or ())
        values["exclude"] = tuple(values.get("exclude") or ())
        values["extra"] = tuple((str(i), str(n), float(x), float(y))
                                for i, n, x, y in values.get("extra") or ())
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "force": list(self.force),
                "exclude": list(self.exclude), "extra": [list(e) for e in self.extra]}

    def overrides(self, config: RegionConfig) -> dict[str, Any]:
        """These parameters as a ``[scenarios.NAME]`` table of the region config."""
        svc_id = config.optimize.service
        services = []
        have = set(config.layers)
        for s in config.access.services:
            # the default services name every kind; written out they name the region's own
            entry: dict[str, Any] = {
                "id": s.id, "name": s.name,
                "site_layers": [k for k in s.site_layers if k in have],
                "demand_layers": [k for k in s.demand_layers if k in have],
                "site_statuses": list(s.site_statuses),
                "urban": {"mode": s.urban.mode, "minutes": s.urban.minutes},
                "rural": {"mode": s.rural.mode, "minutes": s.rural.minutes}}
            if s.staff_column:
                entry["staff_column"] = s.staff_column
            if s.id == svc_id:
                entry["urban"]["minutes"] = float(self.urban_minutes)
                entry["rural"]["minutes"] = float(self.rural_minutes)
            services.append(entry)
        return {"targets": {"preset": self.preset},
                "access": {"services": services},
                "optimize": {"model": self.model, "p": int(self.p), "budget": float(self.budget),
                             "time_limit_s": float(self.time_limit),
                             "force": list(self.force), "exclude": list(self.exclude),
                             "extra_candidates": [{"id": i, "name": n, "lon": x, "lat": y}
                                                  for i, n, x, y in self.extra]}}


@dataclass
class _Events:
    """Appends stage events to ``events.jsonl`` (one JSON object per line)."""

    path: Path
    started: float = field(default_factory=time.perf_counter)

    def add(self, **event: Any) -> None:
        event["t"] = round(time.perf_counter() - self.started, 2)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")


def _lock(project: Project) -> OutputLock:
    return OutputLock(project.runs_dir)


def start_run(project: Project, params: RunParams) -> str:
    """Start a run of ``project`` in a worker thread; return its id.

    Raises
    ------
    InputError
        No region.toml yet (``no_config``), or a run of this project is still going
        (``run_busy``); the config's own problems (``coverage validate``'s texts).
    """
    if not project.toml.exists():
        raise InputError.single("项目还没有区域配置 (the project has no region.toml yet)",
                                code="no_config", fix="finish the wizard (数据导入) first")
    config = load_config(project.toml)
    lock = _lock(project)
    if not lock.try_acquire():
        raise InputError.single(
            "本项目已有一次运行正在进行，请等它结束后再运行（不会覆盖已有结果） "
            "(a run of this project is still going; start the next one when it has finished)",
            file=project.slug, code="run_busy",
            fix="wait for the running run to finish: its page shows its progress")
    try:
        run_id, folder = project.new_run_dir()
        write_json(folder / "params.json", params.to_dict())
        write_json(folder / "status.json", {"state": "running", "started": time.time()})
        scenario = f"web-{run_id}"
        cfg = dataclasses.replace(config, scenarios={**config.scenarios,
                                                     scenario: params.overrides(config)})
    except BaseException:
        lock.release()
        raise
    thread = threading.Thread(target=_work, args=(project, run_id, folder, cfg, scenario,
                                                  params, lock),
                              name=f"coverage-run-{run_id}", daemon=True)
    _THREADS[f"{project.root}/{run_id}"] = thread
    thread.start()
    log.info("run %s of project %s started (model %s)", run_id, project.slug, params.model)
    return run_id


def _work(project: Project, run_id: str, folder: Path, cfg: RegionConfig, scenario: str,
          params: RunParams, lock: OutputLock) -> None:
    from coverage.pipeline import StageEvent, run
    from coverage.present.run import comparison_row
    from coverage.scaffold._model import problem_dict

    events = _Events(folder / "events.jsonl")

    def on_stage(ev: StageEvent) -> None:
        events.add(stage=ev.stage, state=ev.state, done=ev.done, total=ev.total,
                   seconds=ev.seconds)
        if ev.state == "done":
            log.info("run %s of project %s: stage %s %.1f s", run_id, project.slug,
                     ev.stage, ev.seconds)

    state: dict[str, Any]
    try:
        result = run(cfg, out=folder / "out", scenario=scenario, on_stage=on_stage)
        row = comparison_row(params.label, result.gaps, result.access, result.suggestion)
        write_json(folder / "summary.json", row)
        state = {"state": "done", "feasible": result.suggestion.feasible,
                 "finished": time.time(), "timings": dict(result.timings)}
        log.info("run %s of project %s finished (feasible: %s)", run_id, project.slug,
                 result.suggestion.feasible)
    except InputError as exc:
        state = {"state": "failed", "title": exc.title or "",
                 "problems": [problem_dict(p) for p in exc.problems], "finished": time.time()}
        log.info("run %s of project %s stopped: %d input problems", run_id, project.slug,
                 len(exc.problems))
    except Exception as exc:  # the page says so; the log keeps the type, not the data
        state = {"state": "failed", "title": "内部错误 (internal error)",
                 "problems": [{"severity": "error", "message": f"{type(exc).__name__}",
                               "fix": "report it with the server log", "file": None,
                               "sheet": None, "row": None, "column": None, "cell": None,
                               "value": None, "code": "internal"}],
                 "finished": time.time()}
        log.error("run %s of project %s failed: %s", run_id, project.slug,
                  type(exc).__name__)
    try:
        write_json(folder / "status.json", state)
        events.add(stage="end", state=state["state"])
    finally:
        lock.release()


def run_state(project: Project, run_id: str) -> dict[str, Any]:
    """``status.json`` of a run; a run marked running whose lock nobody holds was killed."""
    folder = project.run_dir(run_id)
    state = dict(read_json(folder / "status.json", {}) or {})
    if state.get("state") == "running":
        probe = _lock(project)
        if probe.try_acquire():
            probe.release()
            # the worker writes status.json after releasing: look again before judging
            state = dict(read_json(folder / "status.json", {}) or {})
            if state.get("state") == "running":
                state = {"state": "interrupted"}
    return state


def read_events(project: Project, run_id: str, *, start: int = 0) -> list[dict[str, Any]]:
    """The run's stage events from line ``start`` on."""
    path = project.run_dir(run_id) / "events.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines[start:]:
        try:
            out.append(json.loads(line))
        except ValueError:
            break  # a line being written
    return out


def wait_for(project: Project, run_id: str, timeout: float = 600.0) -> dict[str, Any]:
    """Block until the run has finished (tests, scripts); return its state."""
    thread = _THREADS.get(f"{project.root}/{run_id}")
    if thread is not None:
        thread.join(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = run_state(project, run_id)
        if state.get("state") != "running":
            return state
        time.sleep(0.2)
    return run_state(project, run_id)
