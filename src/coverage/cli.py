"""The ``coverage`` command.  Thin: parse arguments, call the API, map errors to exit codes.

Exit codes: 0 done; 2 bad input (the full problem report on stderr, never a traceback) or an
output folder another run is writing; 3 done, but the suggest stage found no feasible plan
(the outputs are written and say why); 1 an internal error (a short message; the traceback
only with ``--verbose``); 130 interrupted.  A reader that goes away (``coverage gaps … | head``)
is not an error: the command finishes its files quietly and exits 0.

What the command prints: results on stdout; warnings (data warnings of the region and
anything the stages logged) grouped by file on stderr at the end; errors on stderr.  ``-q``
drops the progress bar and the warnings, never the errors.  ``--verbose`` logs every step
with timestamps.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar, TextIO

from coverage.problems import InputError, Problem, format_problems

__all__ = ["main"]

log = logging.getLogger("coverage")

_DESCRIPTION = """\
coverage — 社会心理服务体系 服务覆盖规划工具 (service-coverage planner).

Typical use:
  coverage validate REGION.toml          check every input file, list every problem
  coverage gaps REGION.toml              completion rates vs policy targets, shortfalls
  coverage access REGION.toml            travel time to the nearest service site, coverage
  coverage suggest REGION.toml           where to build next (exact optimisation)
  coverage map REGION.toml               the 资源一张图 (interactive HTML) and report maps
  coverage run REGION.toml --out DIR     all stages, one output folder with the report
  coverage demo                          everything on the built-in synthetic demo county
  coverage batch CITY.toml --out DIR     many counties at once on Dask (a city, a province)
  coverage demo --city                   the batch on a synthetic city of five counties
"""


def _add_region(p: argparse.ArgumentParser) -> None:
    p.add_argument("region", type=Path, help="region TOML file")
    p.add_argument("--strict", action="store_true", default=None,
                   help="treat warnings as errors")


def _add_out(p: argparse.ArgumentParser, default: str | None = None) -> None:
    p.add_argument("--out", type=Path, default=Path(default) if default else None,
                   help="output folder" + (f" (default: {default})" if default else ""))
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing output folder (default: a new timestamped folder)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coverage", description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"coverage {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress display and no warnings; only results and errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="load and check a region; print counts per layer")
    _add_region(p)
    _add_out(p)
    p.set_defaults(func=_cmd_validate)

    _add_init_parsers(sub)

    p = sub.add_parser("gaps", help="completion rates vs targets and shortfalls per township")
    _add_region(p)
    p.add_argument("--preset", help="target preset (default: the config's [targets] preset)")
    _add_out(p)
    p.set_defaults(func=_cmd_gaps)

    p = sub.add_parser("access", help="travel time/distance to the nearest site; coverage")
    _add_region(p)
    _add_out(p)
    p.set_defaults(func=_cmd_access)

    p = sub.add_parser("suggest", help="suggest where to build new sites (optimisation)")
    _add_region(p)
    p.add_argument("--model", choices=["mclp", "lscp", "pmedian", "pcenter", "quota"])
    p.add_argument("--p", type=int, help="number of new sites")
    p.add_argument("--service", help="access service id (default: the config's)")
    p.add_argument("--time-limit", type=float, help="solver time limit in seconds")
    p.add_argument("--budget", type=float, help="total budget (万元)")
    p.add_argument("--force", type=_codes, metavar="CODE,…",
                   help="candidates that must be built (locked sites), comma-separated codes")
    p.add_argument("--exclude", type=_codes, metavar="CODE,…",
                   help="candidates that must not be built (e.g. 该村无场地)")
    _add_out(p)
    p.set_defaults(func=_cmd_suggest)

    p = sub.add_parser("map", help="the 资源一张图 (HTML) and static report maps")
    _add_region(p)
    p.add_argument("--per-township", action="store_true",
                   help="also one A4 sheet per township (township_CODE.png/svg/pdf)")
    _add_out(p)
    p.set_defaults(func=_cmd_map)

    p = sub.add_parser("run", help="all stages into one output folder with a report")
    _add_region(p)
    _add_out(p, "coverage-output")
    p.add_argument("--scenario", help="run a named [scenarios.NAME] of the config")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("compare", help="run the config's scenarios and compare them")
    _add_region(p)
    _add_out(p, "coverage-compare")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("serve", help="the 规划工作台: a local web app over all of this")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address (another than 127.0.0.1 "
                   "needs --token)")
    p.add_argument("--token", help="access token every page then asks for")
    p.add_argument("--workspace", type=Path, help="projects folder (default: ~/coverage-projects)")
    p.add_argument("--max-upload-mb", type=float, default=200.0, help="largest file (MB)")
    p.add_argument("--open", action="store_true", help="open the page in the browser")

    def _serve(a: argparse.Namespace) -> int:
        from coverage.web import serve

        serve(host=a.host, port=a.port, workspace=a.workspace, token=a.token,
              open_browser=a.open, max_upload_mb=a.max_upload_mb)
        return 0

    p.set_defaults(func=_serve)

    p = sub.add_parser("demo", help="run everything on the built-in synthetic demo county")
    _add_out(p, "coverage-demo")
    p.set_defaults(func=_cmd_demo)
    _add_batch_parsers(sub, demo=p)

    p = sub.add_parser("targets", help="list or show the policy target presets")
    tsub = p.add_subparsers(dest="targets_command", metavar="ACTION")
    t = tsub.add_parser("list", help="list presets and their indicators")
    t.set_defaults(func=_cmd_targets_list)
    t = tsub.add_parser("show", help="show one preset or indicator with its citation")
    t.add_argument("id", help="preset name or indicator id")
    t.set_defaults(func=_cmd_targets_show)
    return parser


def _codes(text: str) -> tuple[str, ...]:
    """``"a,b, c"`` -> ``("a", "b", "c")`` (also full-width commas)."""
    return tuple(c.strip() for c in text.replace("，", ",").split(",") if c.strip())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coverage-planner")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


@contextlib.contextmanager
def _out_dir(args: argparse.Namespace, stage: str, *, required: bool = False
             ) -> Iterator[Path | None]:
    """The locked output folder of a stage command (None without ``--out``, unless required)."""
    if args.out is None and not required:
        yield None
        return
    from coverage._outdir import OutputLock, locked_target, remove_stale_staging

    with OutputLock(args.out or Path(f"coverage-{stage}")) as lock:
        remove_stale_staging(lock)
        with locked_target(lock, overwrite=args.overwrite) as target:
            yield target


def _cmd_validate(args: argparse.Namespace) -> int:
    from coverage.load import load_region
    from coverage.present.region import summary_table

    if args.out is not None:
        return _cmd_check_map(args, validate=True)
    region = load_region(args.region, strict=args.strict)
    say(f"✓ {region.name} ({region.code}): 数据检查通过 (no errors)")
    say(f"  度量坐标系 metric CRS: {region.metric_crs.name} (EPSG:{region.metric_crs.to_epsg()})")
    say(summary_table(region).to_string(index=False))
    found = [*region.problems, *_LOG.drain()]
    if found:
        say()
        say(grouped_warnings(found))
    return 0


def _add_init_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="draft a region TOML from a folder of the planner's files")
    p.add_argument("folder", type=Path, help="folder of XLSX/CSV tables and boundary files")
    p.add_argument("--source", action="append", default=[], metavar="[FILE=]SOURCE",
                   help="where the longitudes/latitudes come from: amap or tencent (GCJ-02), "
                        "baidu (BD-09), gps or wgs84, tianditu or cgcs2000; or EPSG:45xx for "
                        "metres without a zone number; FILE=SOURCE answers for one file or "
                        "sheet (repeatable)")
    p.add_argument("--name", default="", help="the region's name (default: from the files)")
    p.add_argument("--code", default="", help="the 6-digit county code (default: from codes)")
    p.add_argument("--choices", type=Path, metavar="JSON",
                   help="overrides of any guess, as JSON (see coverage.scaffold.Choices)")
    p.add_argument("--out", type=Path, help="the draft TOML (default FOLDER/region.toml; an "
                   "existing file is never replaced)")
    p.add_argument("--no-check", action="store_true", help="do not load the draft to check it")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("check-map", help="HTML and PNG map of the boundary gaps, overlaps and "
                                         "point placements the loader found")
    _add_region(p)
    _add_out(p, "coverage-check")
    p.set_defaults(func=_cmd_check_map)


def _cmd_init(args: argparse.Namespace) -> int:
    import json

    from coverage.scaffold import Choices, report_text, survey, write_draft

    data: dict[str, object] = {}
    if args.choices is not None:
        try:
            data = json.loads(args.choices.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InputError.single(f"cannot read the choices: {exc}", file=str(args.choices),
                                    fix="give a JSON file such as {\"source\": \"amap\"}"
                                    ) from None
    per_file = dict(data.get("sources") or {})  # type: ignore[call-overload]
    for answer in args.source:
        target, eq, value = answer.rpartition("=")
        if eq:
            per_file[target] = value
        else:
            data["source"] = value
    data["sources"] = per_file
    for key, value in (("region_name", args.name), ("region_code", args.code)):
        if value:
            data[key] = value
    choices = Choices.from_mapping(data)
    sv = survey(args.folder, source=choices.source)
    files = write_draft(args.folder, sv, choices=choices, out=args.out,
                        check=not args.no_check)
    say(report_text(files.plan, draft=files.toml, check=files.check, brief=True))
    say(f"✓ 草稿 (draft): {files.toml}")
    say(f"  报告 (report): {files.report}  ·  {files.report_json}")
    return 0


def _cmd_check_map(args: argparse.Namespace, *, validate: bool = False) -> int:
    from coverage.load import load_region
    from coverage.present.checkmap import region_for_check_map, write_check_map

    error: InputError | None = None
    region = None
    if validate:
        try:
            region = load_region(args.region, strict=args.strict)
            tolerance = region.diagnostics.tiling_tolerance
        except InputError as exc:
            if not any(p.code.startswith("tiling_") for p in exc.problems):
                raise
            error = exc  # drawn first: the gaps above the tolerance are what to look at
    if region is None:
        region, tolerance = region_for_check_map(args.region)
    with _out_dir(args, "check", required=True) as out:
        assert out is not None
        files = write_check_map(region, out, tolerance=tolerance)
    say(f"✓ 检查图 (check map): {files.html}  ·  {files.png}")
    if error is not None:
        raise error
    if validate:
        from coverage.present.region import summary_table

        say(f"✓ {region.name} ({region.code}): 数据检查通过 (no errors)")
        say(summary_table(region).to_string(index=False))
        found = [*region.problems, *_LOG.drain()]
        if found:
            say()
            say(grouped_warnings(found))
    return 0


def _cmd_gaps(args: argparse.Namespace) -> int:
    from coverage.pipeline import gaps_stage

    with _out_dir(args, "gaps") as out:
        gaps_stage(args.region, strict=args.strict, preset=args.preset, out=out, echo=say,
                   warn=_LOG.add)
    return 0


def _cmd_access(args: argparse.Namespace) -> int:
    from coverage.pipeline import access_stage

    with _out_dir(args, "access") as out:
        access_stage(args.region, strict=args.strict, out=out, echo=say, warn=_LOG.add)
    return 0


#: exit code of a run whose suggest stage found no feasible plan
EXIT_INFEASIBLE = 3


def _cmd_suggest(args: argparse.Namespace) -> int:
    from coverage.pipeline import suggest_stage

    with _out_dir(args, "suggest") as out:
        result = suggest_stage(args.region, strict=args.strict, model=args.model, p=args.p,
                               service=args.service, time_limit=args.time_limit,
                               budget=args.budget, force=args.force, exclude=args.exclude,
                               out=out, echo=say, warn=_LOG.add)
    if result.feasible:
        return 0
    from coverage.present.suggest import notes_text

    say("选址优化无可行方案 (no feasible plan): "
        + (notes_text(result.infeasible) or result.solver.message), err=True)
    return EXIT_INFEASIBLE


def _cmd_map(args: argparse.Namespace) -> int:
    from coverage.pipeline import map_stage

    with _out_dir(args, "map", required=True) as out:
        assert out is not None
        map_stage(args.region, strict=args.strict, out=out, per_township=args.per_township,
                  echo=say, warn=_LOG.add)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from coverage.pipeline import run

    result = run(args.region, out=args.out, overwrite=args.overwrite, strict=args.strict,
                 scenario=args.scenario, progress=not args.quiet)
    return _finished(result, f"输出目录 output folder: {result.out_dir}", quiet=args.quiet)


def _finished(result: object, message: str, *, quiet: bool) -> int:
    """Print the closing line of a run; 3 when its suggest stage found no feasible plan."""
    from coverage.present.suggest import notes_text

    found = [*result.region.problems, *_LOG.drain()]  # type: ignore[attr-defined]
    if found and not quiet:
        say(grouped_warnings(found), err=True)
    sug = result.suggestion  # type: ignore[attr-defined]
    if sug.feasible:
        say(f"✓ {message}")
        return 0
    say(f"! {message}", err=True)
    say("选址优化无可行方案 (no feasible plan): "
        + (notes_text(sug.infeasible) or sug.solver.message), err=True)
    return EXIT_INFEASIBLE


def _cmd_compare(args: argparse.Namespace) -> int:
    from coverage.pipeline import compare

    result = compare(args.region, out=args.out, overwrite=args.overwrite, strict=args.strict,
                     progress=not args.quiet)
    say(result.text)
    if result.infeasible:
        names = "、".join(n or "基准方案" for n in result.infeasible)
        say(f"! 输出目录 output folder: {result.out_dir}", err=True)
        say(f"选址优化无可行方案 (no feasible plan) in: {names}", err=True)
        return EXIT_INFEASIBLE
    say(f"✓ 输出目录 output folder: {result.out_dir}")
    return 0


# ---------------------------------------------------------------- batch (coverage.batch)


def _add_batch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://HOST:8786); default: this machine")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes on this machine (default: one per core)")
    p.add_argument("--memory-limit", default="auto", metavar="SIZE",
                   help="memory limit per local worker, e.g. 4GB (default: shared evenly)")
    p.add_argument("--only", type=_codes, metavar="CODE,…",
                   help="run only these counties (comma-separated codes)")


def _add_batch_parsers(sub: argparse._SubParsersAction, *, demo: argparse.ArgumentParser
                       ) -> None:
    p = sub.add_parser("batch", help="many counties at once (a city, a province) on Dask")
    p.add_argument("config", type=Path, help="batch TOML ([batch] and [[counties]])")
    p.add_argument("--out", type=Path, help="output folder (default: coverage-batch); a "
                   "rerun skips the counties that are up to date")
    p.add_argument("--overwrite", action="store_true",
                   help="rerun every county, even those that are up to date")
    _add_batch_options(p)
    p.set_defaults(func=_cmd_batch)
    demo.add_argument("--city", action="store_true",
                      help="the synthetic city of five counties, as a batch")
    _add_batch_options(demo)


def _cmd_batch(args: argparse.Namespace) -> int:
    from coverage.batch.commands import batch_command

    return batch_command(args, say=say)


def _cmd_demo(args: argparse.Namespace) -> int:
    from coverage.datasets import demo_config_path
    from coverage.pipeline import run

    if args.city:
        from coverage.batch.commands import demo_city_command

        return demo_city_command(args, say=say)

    result = run(demo_config_path(), out=args.out, overwrite=args.overwrite,
                 progress=not args.quiet)
    return _finished(result, f"示例县（虚构数据）运行完成 demo finished: {result.out_dir}",
                     quiet=args.quiet)


def _cmd_targets_list(args: argparse.Namespace) -> int:
    from coverage.present.gaps import format_preset_list

    say(format_preset_list())
    return 0


def _cmd_targets_show(args: argparse.Namespace) -> int:
    from coverage.present.gaps import format_target

    say(format_target(args.id))
    return 0


# ------------------------------------------------------------------ terminal output


class _Streams:
    """stdout/stderr that a reader going away (``| head``) cannot break."""

    gone: ClassVar[set[str]] = set()

    @classmethod
    def write(cls, text: str, name: str) -> None:
        if name in cls.gone:
            return
        stream: TextIO = getattr(sys, name)
        try:
            stream.write(text + "\n")
            stream.flush()
        except BrokenPipeError:
            cls.close(name)

    @classmethod
    def close(cls, name: str) -> None:
        """The reader has gone: send the rest of this stream to the null device."""
        cls.gone.add(name)
        stream: TextIO = getattr(sys, name)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)


def say(text: str = "", *, err: bool = False) -> None:
    """Print a line of the command's output (stdout; ``err``: stderr)."""
    _Streams.write(text, "stderr" if err else "stdout")


class _WarningLog(logging.Handler):
    """Collects what the stages log as warnings, for the grouped report at the end.

    Errors are printed at once (they are never hidden, not even by ``-q``).
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.problems: list[Problem] = []

    def add(self, problems: Sequence[Problem]) -> None:
        """Keep a loaded region's warnings for the report at the end."""
        self.problems.extend(problems)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            say(f"错误 ERROR: {record.getMessage()}", err=True)
        else:
            self.records.append(record)

    def drain(self) -> list[Problem]:
        """The collected warnings as problems (each message once), and forget them."""
        out: list[Problem] = list(self.problems)
        self.problems.clear()
        seen: dict[str, int] = {}
        for r in self.records:
            msg = r.getMessage().strip()
            if r.name == "py.warnings":  # "file:line: Category: message\n  source"
                msg = msg.splitlines()[0] if msg else msg
            seen[msg] = seen.get(msg, 0) + 1
        for msg, n in seen.items():
            out.append(Problem(None, None, None, None, msg + (f" (×{n})" if n > 1 else ""),
                               severity="warning"))
        self.records.clear()
        return out


_LOG = _WarningLog()


def grouped_warnings(problems: Sequence[Problem]) -> str:
    """Warnings grouped by file (and sheet), the same kind folded, as one report."""
    groups: dict[tuple[str | None, str | None], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.file, p.sheet), []).append(p)
    n_warn = sum(p.severity == "warning" for p in problems)
    lines = [f"警告 (warnings): {n_warn}"]
    for (file, sheet), items in sorted(groups.items(), key=lambda kv: (kv[0][0] is None,
                                                                        str(kv[0][0]),
                                                                        str(kv[0][1]))):
        head = file or "运行 (run)"
        if sheet:
            head += f" — 工作表 '{sheet}'"
        lines.append(f"{head}: {len(items)}")
        body = format_problems([dataclasses.replace(p, file=None, sheet=None) for p in items])
        lines.extend("  " + line for line in body.splitlines()[1:])
    return "\n".join(lines)


@contextlib.contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """Route log records: warnings to the report, errors to stderr; ``-v`` logs everything."""
    root = logging.getLogger()
    level = root.level
    stream: logging.Handler | None = None
    _LOG.drain()
    root.addHandler(_LOG)
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
        root.setLevel(logging.DEBUG)
    else:
        root.setLevel(logging.WARNING)
    quiet = {}
    if not verbose:
        for noisy in ("osmnx", "matplotlib", "fontTools", "PIL"):
            quiet[noisy] = logging.getLogger(noisy).level
            logging.getLogger(noisy).setLevel(logging.ERROR)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(_LOG)
        if stream is not None:
            root.removeHandler(stream)
        root.setLevel(level)
        for name, lvl in quiet.items():
            logging.getLogger(name).setLevel(lvl)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    _Streams.gone.clear()
    with _logging(args.verbose):
        code = _call(func, args)
        found = _LOG.drain()
        if found and not args.quiet and args.command != "validate":
            say(grouped_warnings(found), err=True)
    return code


def _call(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; map what it raises to an exit code and a message."""
    try:
        return func(args)
    except InputError as exc:
        say(str(exc), err=True)
        return 2
    except BrokenPipeError:
        # the reader of our output went away before the command finished printing
        _Streams.close("stdout")
        return 0
    except OSError as exc:
        # a folder that cannot be written, a disk that is full, a file locked by Excel …
        where = exc.filename or "?"
        say(f"coverage: cannot read or write {where}: {exc.strerror or exc}\n"
            "修改建议 fix: close the file if it is open in Excel or WPS, check the folder's "
            "permissions and free space, or choose another --out folder.", err=True)
        return 2
    except KeyboardInterrupt:
        say("interrupted", err=True)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        say(f"coverage: internal error: {type(exc).__name__}: {exc}\n"
            "Run again with --verbose for details and report it.", err=True)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
