"""The bodies of ``coverage batch`` and ``coverage demo --city`` (the CLI only parses).

Exit codes follow :mod:`coverage.cli`, applied to the worst county: 0 every county done (or
up to date); 3 done, but some county's suggest stage found no feasible plan; 2 some county
failed on its input (its problem list is printed and in ``batch.json``; the other counties
are written and rolled up); 1 some county failed on something else (an internal error).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from coverage.batch.runner import BatchResult, run_batch
from coverage.problems import format_problems

__all__ = ["EXIT_FAILED_INPUT", "EXIT_INFEASIBLE", "EXIT_INTERNAL", "batch_command",
           "demo_city_command", "exit_code"]

EXIT_INTERNAL = 1
EXIT_FAILED_INPUT = 2
EXIT_INFEASIBLE = 3

Say = Callable[..., None]


def exit_code(result: BatchResult) -> int:
    """The batch's exit code (see the module docstring)."""
    failed = result.failed
    if any(not o.problems for o in failed):
        return EXIT_INTERNAL
    if failed:
        return EXIT_FAILED_INPUT
    if any(o.suggest_feasible is False for o in result.outcomes):
        return EXIT_INFEASIBLE
    return 0


def _report(result: BatchResult, say: Say) -> int:
    from coverage.present import city as p_city
    from coverage.present.city import BATCH_STATUS

    for o in result.failed:
        head = f"✗ {o.code} {o.name}: {BATCH_STATUS.label('failed')} (failed)"
        if o.problems:
            say(head + "\n" + format_problems(o.problems), err=True)
        else:
            say(f"{head}: {o.error}", err=True)
    if result.problems:  # split mode: rows of the city-wide files left out or guessed
        say(format_problems(result.problems), err=True)
    counts = {s: len(result.by_status(s)) for s in ("done", "skipped", "failed")}
    say("  ".join(f"{BATCH_STATUS.label(s)} {s}: {n}" for s, n in counts.items()))
    for name in ("summary.xlsx", "report.html", "city_map.html"):
        if name in result.files:
            say(f"  {result.files[name]}")
    code = exit_code(result)
    say(p_city.folder_line(result.out_dir, result.seconds, ok=code == 0), err=code != 0)
    return code


def _memory(text: str) -> str | float | None:
    return None if text in ("", "none", "0") else text


def batch_command(args: argparse.Namespace, *, say: Say) -> int:
    """``coverage batch CITY.toml``."""
    result = run_batch(args.config, out=args.out, scheduler=args.scheduler,
                       workers=args.workers, memory_limit=_memory(args.memory_limit),
                       only=args.only, overwrite=args.overwrite, echo=say)
    return _report(result, say)


def demo_city_command(args: argparse.Namespace, *, say: Say) -> int:
    """``coverage demo --city``: the synthetic city (generated once into a cache), batched."""
    from coverage.datasets.city import city_batch_path

    say("the synthetic city (synthetic demo data): generated on first use, then cached")
    toml = city_batch_path()
    # the single demo's default folder is not a batch folder: the city gets its own
    out = Path("coverage-demo-city") if args.out in (None, Path("coverage-demo")) else args.out
    result = run_batch(toml, out=out,
                       scheduler=args.scheduler, workers=args.workers,
                       memory_limit=_memory(args.memory_limit), only=args.only,
                       overwrite=args.overwrite, echo=say)
    return _report(result, say)
