"""Many counties in one run on :mod:`dask.distributed`.

Each county is one Dask task.  The worker reads the county's files from their paths, runs the
whole pipeline (:func:`coverage.pipeline.run`) into the batch's output folder and sends back a
small :class:`~coverage.batch._county.CountyOutcome`; the county tables the city roll-up needs
are written beside its outputs and read from there.  The same code runs on a
:class:`~distributed.LocalCluster` (the default: one single-threaded worker process per core,
each with a memory limit) and on an existing cluster (``scheduler="tcp://host:8786"``): the
output folder must then be on a file system that the client and every worker share.

The batch's output folder::

    OUT/
      counties/CODE/     each county's folder, as `coverage run` writes it, plus
                         batch_summary.json (its tables in codes) and batch_manifest.json
      summary.xlsx       the city's workbook; report.html, report.docx; city_map.html
      batch.json         every county's outcome (done, skipped, failed with its problems)
      .batch/            surveys (outlines and built sites) and clipped road files, cached
      _split/CODE/       split mode ([split]): each county's copies of the city-wide files and
                         its region.toml (coverage.batch._split), cached by content

Faults: a county whose input is bad fails alone, with its problem list in ``batch.json`` and
the summary; an error that is not the county's input is retried (``retries``) and then
reported as failed; a worker that dies mid-task is replaced and its task rerun by the
scheduler (up to ``distributed.scheduler.allowed-failures`` times).  Resumption: a rerun skips
a county whose fingerprint (config, input contents, neighbours' sites, batch settings) is
unchanged and whose folder is complete (see :mod:`coverage.batch._manifest`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd

from coverage._outdir import OutputLock
from coverage.batch._county import CountyJob, CountyOutcome, county_config, run_county
from coverage.batch._manifest import FileHashes, fingerprint, input_hashes, is_complete
from coverage.batch._survey import Surveys, neighbour_sites, site_fingerprint, survey_all
from coverage.batch.config import BatchConfig, CountyEntry, load_batch_config
from coverage.config import RegionConfig
from coverage.outputs import write_json
from coverage.present import city as p_city
from coverage.problems import InputError, Problem

__all__ = ["BatchResult", "run_batch"]

log = logging.getLogger(__name__)
Echo = Callable[[str], None]

#: outcome codes, worst first (the batch's exit code follows the worst one)
FAILED, DONE, SKIPPED = "failed", "done", "skipped"


@dataclass(frozen=True)
class BatchResult:
    """What :func:`run_batch` did.

    Attributes
    ----------
    config
        The batch config.
    out_dir
        The batch's output folder.
    outcomes
        One per county of the run (``--only`` narrows it), in the config's order.
    files
        The city outputs (``summary.xlsx``, ``report.html`` …) by name.
    dashboard
        The Dask dashboard's address (None when there was no county work or no dashboard).
    seconds
        Wall time of the whole batch.
    workers
        How many workers the cluster had.
    """

    config: BatchConfig
    out_dir: Path
    outcomes: tuple[CountyOutcome, ...]
    files: Mapping[str, Path] = field(default_factory=dict)
    dashboard: str | None = None
    seconds: float = 0.0
    workers: int = 0
    #: wall time of each phase: ``survey``, ``counties``, ``outputs`` (seconds)
    timings: Mapping[str, float] = field(default_factory=dict)
    #: split mode: every row of the city-wide files left out or guessed (warnings)
    problems: tuple[Problem, ...] = ()

    def by_status(self, status: str) -> tuple[CountyOutcome, ...]:
        """The outcomes with this status code (``done``, ``skipped``, ``failed``)."""
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> tuple[CountyOutcome, ...]:
        """Counties that failed (bad input: ``problems``; anything else: ``error``)."""
        return self.by_status(FAILED)


def run_batch(config: BatchConfig | str | Path, *, out: Path | str | None = None,
              scheduler: str | None = None, workers: int | None = None,
              memory_limit: str | float | None = "auto", only: Sequence[str] | None = None,
              overwrite: bool = False, retries: int = 1, echo: Echo | None = None,
              hook: Callable[[str], None] | None = None) -> BatchResult:
    """Run every county of a batch on Dask, then the city roll-up and its outputs.

    Parameters
    ----------
    config
        A batch config or the path of its TOML.
    out
        The batch's output folder (default ``coverage-batch``); reused by a rerun, which
        skips the counties that are up to date.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default: a
        ``LocalCluster`` on this machine.
    workers
        Worker processes of the local cluster (default: the number of cores).
    memory_limit
        Memory limit per local worker (``"4GB"``, bytes, or ``"auto"``: the machine's memory
        shared evenly).
    only
        County codes to run (the others' folders are left as they are and still rolled up).
    overwrite
        Rerun the counties even when they are up to date.
    retries
        How often a county whose task raised something other than bad input is retried.
    echo
        Receives the progress lines and the dashboard link.
    hook
        Called on the worker with the county code before each county runs (instrumentation,
        fault-injection tests); it must be picklable.

    Returns
    -------
    BatchResult
        Every county's outcome and the city outputs.

    Raises
    ------
    ConfigError
        The batch config has problems, or ``only`` names a county it does not have.
    """
    t0 = time.perf_counter()
    say: Echo = echo or (lambda _: None)
    cfg = config if isinstance(config, BatchConfig) else load_batch_config(config)
    if cfg.split is None:
        cfg.select(only)  # an unknown county is a config error before anything is written
    target = Path(out or "coverage-batch")
    _check_folder(target)
    split_problems: tuple[Problem, ...] = ()
    with OutputLock(target):
        target.mkdir(parents=True, exist_ok=True)
        if cfg.split is not None:  # one set of city-wide files: cut it into counties first
            from coverage.batch._split import split_city

            cfg, split_problems = split_city(cfg, out=target)
        selected = cfg.select(only)
        hashes = FileHashes()
        configs, failed = _county_configs(cfg)
        outcomes: dict[str, CountyOutcome] = {c.code: failed[c.code] for c in selected
                                              if c.code in failed}
        plan = {c.code: _inputs_fingerprint(cfg, configs[c.code], hashes)
                for c in cfg.counties if c.code in configs}
        dashboard, n_workers = None, 0
        with contextlib.ExitStack() as stack:
            client: Any = None

            def connect() -> Any:
                nonlocal client, dashboard, n_workers
                if client is None:
                    client = stack.enter_context(_client(scheduler, workers, memory_limit))
                    dashboard = getattr(client, "dashboard_link", None)
                    n_workers = len(client.scheduler_info()["workers"])
                    say(p_city.workers_line(n_workers, dashboard))
                return client

            surveys = Surveys(target / ".batch" / "survey")
            need_survey = cfg.roads is not None or (cfg.cross_border and len(cfg.counties) > 1)
            timings: dict[str, float] = {}
            t1 = time.perf_counter()
            if need_survey:
                problems = survey_all(cfg, plan, surveys, connect, retries=retries, echo=say,
                                      again={c.code for c in selected} if overwrite else ())
                for code, probs in problems.items():
                    if code in {c.code for c in selected}:
                        outcomes[code] = CountyOutcome(code=code, name=cfg.county(code).name,
                                                       status=FAILED, problems=probs)
            timings["survey"] = round(time.perf_counter() - t1, 2)
            t1 = time.perf_counter()
            sites = (surveys.all_sites(plan) if cfg.cross_border and len(cfg.counties) > 1
                     else None)
            jobs = []
            for entry in selected:
                if entry.code in outcomes:
                    continue
                job = _job(cfg, entry, target, plan[entry.code], surveys, sites)
                if not overwrite and is_complete(job.out, job.fingerprint):
                    outcomes[entry.code] = CountyOutcome(code=entry.code, name=entry.name,
                                                         status=SKIPPED, out_dir=job.out)
                    continue
                jobs.append(replace(job, hook=hook))
            if jobs:
                say(p_city.plan_line(len(jobs), sum(o.status == SKIPPED
                                                    for o in outcomes.values())))
                outcomes.update(_run_jobs(connect(), jobs, retries=retries, echo=say))
            timings["counties"] = round(time.perf_counter() - t1, 2)
        ordered = tuple(outcomes[c.code] for c in selected)
        from coverage.batch.outputs import write_city_outputs

        t1 = time.perf_counter()
        files = write_city_outputs(cfg, target, ordered, problems=split_problems)
        timings["outputs"] = round(time.perf_counter() - t1, 2)
        log.info("batch %s: %s", cfg.code, timings)
    return BatchResult(config=cfg, out_dir=target, outcomes=ordered, files=files,
                       dashboard=dashboard, seconds=round(time.perf_counter() - t0, 2),
                       workers=n_workers, timings=timings, problems=split_problems)


def _check_folder(target: Path) -> None:
    """A batch writes into an empty folder or one of its own previous runs, nothing else."""
    if target.exists() and not target.is_dir():
        raise InputError.single("the output path is a file, not a folder", file=str(target),
                                column="--out", fix="give --out a folder name")
    if target.is_dir() and any(target.iterdir()) and not (
            (target / "batch.json").exists() or (target / "counties").is_dir()
            or (target / "_split").is_dir()):
        raise InputError.single(
            "the output folder holds other files, not a previous batch", file=str(target),
            column="--out", fix="choose an empty or new folder for --out (a batch reuses its "
                                "own folder to skip the counties that are up to date)")


def _county_configs(cfg: BatchConfig) -> tuple[dict[str, RegionConfig],
                                                dict[str, CountyOutcome]]:
    """Every county's effective config; a county whose TOML is broken fails here, alone."""
    ok: dict[str, RegionConfig] = {}
    failed: dict[str, CountyOutcome] = {}
    for c in cfg.counties:
        try:
            ok[c.code] = county_config(c.config, preset=cfg.preset)
        except InputError as exc:
            failed[c.code] = CountyOutcome(code=c.code, name=c.name, status=FAILED,
                                           problems=tuple(exc.problems))
    return ok, failed


def config_inputs(cfg: RegionConfig) -> list[Path]:
    """The files a county's run reads (its TOML, boundaries, layers, 台账, roads)."""
    paths: list[Path] = [Path(cfg.path)] if cfg.path is not None else []
    paths += [Path(a.file) for a in cfg.admin]
    for lc in cfg.layers.values():
        paths.append(Path(lc.file))
        if lc.ledger is not None:
            paths.append(Path(lc.ledger.file))
    if cfg.access.network is not None:
        paths.append(Path(cfg.access.network))
    return list(dict.fromkeys(paths))


def _inputs_fingerprint(batch: BatchConfig, cfg: RegionConfig, hashes: FileHashes) -> str:
    """What a county's own data are: its effective config and its input files' contents."""
    return fingerprint({"config": dict(cfg.raw),
                        "inputs": input_hashes(config_inputs(cfg), hashes),
                        "roads": hashes(batch.roads) if batch.roads else None})


def _job(cfg: BatchConfig, entry: CountyEntry, target: Path, inputs_fp: str,
         surveys: Surveys, all_sites: gpd.GeoDataFrame | None) -> CountyJob:
    survey = surveys.get(entry.code, inputs_fp)
    sites = None
    if all_sites is not None and survey is not None and survey.outline_wkt is not None:
        sites = neighbour_sites(entry.code, survey.outline_wkt, all_sites,
                                buffer_km=cfg.buffer_km)
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool = version("coverage-planner")
    except PackageNotFoundError:  # pragma: no cover - a source tree
        tool = "source"
    fp = fingerprint({"inputs": inputs_fp, "neighbour_sites": site_fingerprint(sites),
                      "light": cfg.county_outputs == "light", "buffer_km": cfg.buffer_km,
                      "cross_border": cfg.cross_border, "tool": tool})
    return CountyJob(code=entry.code, name=entry.name, config=entry.config,
                     out=target / "counties" / entry.code, fingerprint=fp, preset=cfg.preset,
                     light=cfg.county_outputs == "light", roads=cfg.roads,
                     buffer_km=cfg.buffer_km, cache_dir=target / ".batch" / "roads",
                     outline_wkt=survey.outline_wkt if survey else None,
                     neighbour_sites=sites)


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None,
            memory_limit: str | float | None) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler``, or of a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
            client.wait_for_workers(1, timeout=120)
        except (OSError, TimeoutError) as exc:
            raise InputError.single(
                f"cannot reach the Dask scheduler: {exc}", column="--scheduler",
                value=scheduler, fix="start it with `dask scheduler` and give its address "
                "(tcp://HOST:8786) and at least one `dask worker` for it, or leave out "
                "--scheduler to use this machine") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    nanny = logging.getLogger("distributed.nanny")
    nanny.addFilter(_orderly_shutdown)
    try:
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          memory_limit=memory_limit, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
    finally:
        nanny.removeFilter(_orderly_shutdown)


def _orderly_shutdown(record: logging.LogRecord) -> bool:
    """Drop the nanny's note that it ended a worker which took over 4 s to stop when the
    cluster is closed (every task had finished by then): not a warning for the planner.
    Other nanny warnings (a worker over its memory limit, restarted) still reach the
    report."""
    return not str(record.msg).startswith("Worker process still alive after")


def _run_jobs(client: Any, jobs: Sequence[CountyJob], *, retries: int, echo: Echo
              ) -> dict[str, CountyOutcome]:
    """Submit one task per county; collect outcomes as they finish, with a progress line."""
    from distributed import as_completed

    futures = {client.submit(run_county, job, key=f"county-{job.code}-{job.fingerprint[:8]}",
                             retries=retries, pure=False): job for job in jobs}
    out: dict[str, CountyOutcome] = {}
    counts = {DONE: 0, FAILED: 0}
    slots = max(1, sum(client.nthreads().values()))  # tasks that can run at once
    for fut in as_completed(futures):
        job = futures[fut]
        try:
            outcome: CountyOutcome = fut.result()
        except Exception as exc:  # a bug or a lost worker, after Dask's retries
            log.warning("county %s: %s: %s", job.code, type(exc).__name__, exc)
            outcome = CountyOutcome(code=job.code, name=job.name, status=FAILED,
                                    error=f"{type(exc).__name__}: {exc}")
        out[job.code] = outcome
        counts[DONE if outcome.status == DONE else FAILED] += 1
        left = len(jobs) - counts[DONE] - counts[FAILED]
        running = min(left, slots)
        echo(p_city.progress_line(outcome.code, outcome.name, outcome.status,
                                  done=counts[DONE], failed=counts[FAILED], running=running,
                                  waiting=left - running, seconds=outcome.seconds,
                                  suggest_feasible=outcome.suggest_feasible))
    return out


def outcome_record(o: CountyOutcome) -> dict[str, Any]:
    """One county's outcome as JSON-able data (``batch.json``)."""
    return {"code": o.code, "name": o.name, "status": o.status,
            "out_dir": str(o.out_dir) if o.out_dir else None, "error": o.error,
            "seconds": o.seconds, "peak_memory_mb": o.peak_memory_mb, "worker": o.worker,
            "suggest_feasible": o.suggest_feasible,
            "cross_border_points": o.cross_border_points,
            "problems": [problem_record(p) for p in o.problems]}


def problem_record(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
            "value": None if p.value is None else str(p.value), "message": p.message,
            "fix": p.fix, "severity": p.severity, "code": p.code}


def write_batch_record(cfg: BatchConfig, target: Path, outcomes: Sequence[CountyOutcome]
                       ) -> Path:
    """``batch.json``: the batch and every county's outcome."""
    return write_json({"batch": {"code": cfg.code, "name": cfg.name,
                                 "config": str(cfg.path) if cfg.path else None},
                       "counties": [outcome_record(o) for o in outcomes]},
                      target / "batch.json")

