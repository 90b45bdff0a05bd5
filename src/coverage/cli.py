"""The ``coverage`` command.  Thin: parse arguments, call the API, map errors to exit codes.

Exit codes: 0 done; 2 bad input (the full problem report on stderr, never a traceback);
3 done, but the suggest stage found no feasible plan (the outputs are written and say why);
1 an internal error (a short message; the traceback only with ``--verbose``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from coverage.problems import InputError

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
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="load and check a region; print counts per layer")
    _add_region(p)
    p.set_defaults(func=_cmd_validate)

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

    p = sub.add_parser("demo", help="run everything on the built-in synthetic demo county")
    _add_out(p, "coverage-demo")
    p.set_defaults(func=_cmd_demo)

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


def _out_dir(args: argparse.Namespace, stage: str) -> Path:
    from coverage._outdir import prepare_output_dir

    base = args.out or Path(f"coverage-{stage}")
    return prepare_output_dir(base, overwrite=args.overwrite)


def _cmd_validate(args: argparse.Namespace) -> int:
    from coverage.load import load_region
    from coverage.present.region import summary_table

    region = load_region(args.region, strict=args.strict)
    print(f"✓ {region.name} ({region.code}): 数据检查通过 (no errors)")
    print(f"  度量坐标系 metric CRS: {region.metric_crs.name} (EPSG:{region.metric_crs.to_epsg()})")
    print(summary_table(region).to_string(index=False))
    if region.problems:
        from coverage.problems import format_problems

        print()
        print(format_problems(region.problems, title="警告 (warnings)"))
    return 0


def _cmd_gaps(args: argparse.Namespace) -> int:
    from coverage.pipeline import gaps_stage

    gaps_stage(args.region, strict=args.strict, preset=args.preset,
               out=_out_dir(args, "gaps") if args.out else None, echo=print)
    return 0


def _cmd_access(args: argparse.Namespace) -> int:
    from coverage.pipeline import access_stage

    access_stage(args.region, strict=args.strict,
                 out=_out_dir(args, "access") if args.out else None, echo=print)
    return 0


#: exit code of a run whose suggest stage found no feasible plan
EXIT_INFEASIBLE = 3


def _cmd_suggest(args: argparse.Namespace) -> int:
    from coverage.pipeline import suggest_stage

    result = suggest_stage(args.region, strict=args.strict, model=args.model, p=args.p,
                           service=args.service, time_limit=args.time_limit,
                           budget=args.budget, force=args.force, exclude=args.exclude,
                           out=_out_dir(args, "suggest") if args.out else None, echo=print)
    if result.feasible:
        return 0
    from coverage.present.suggest import notes_text

    print("选址优化无可行方案 (no feasible plan): "
          + (notes_text(result.infeasible) or result.solver.message), file=sys.stderr)
    return EXIT_INFEASIBLE


def _cmd_map(args: argparse.Namespace) -> int:
    from coverage.pipeline import map_stage

    map_stage(args.region, strict=args.strict, out=_out_dir(args, "map"), echo=print)
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from coverage.pipeline import run

    result = run(args.region, out=args.out, overwrite=args.overwrite, strict=args.strict,
                 scenario=args.scenario, progress=not args.quiet)
    return _finished(result, f"输出目录 output folder: {result.out_dir}")


def _finished(result: object, message: str) -> int:
    """Print the closing line of a run; 3 when its suggest stage found no feasible plan."""
    from coverage.present.suggest import notes_text

    sug = result.suggestion  # type: ignore[attr-defined]
    if sug.feasible:
        print(f"✓ {message}")
        return 0
    print(f"! {message}", file=sys.stderr)
    print("选址优化无可行方案 (no feasible plan): "
          + (notes_text(sug.infeasible) or sug.solver.message), file=sys.stderr)
    return EXIT_INFEASIBLE


def _cmd_compare(args: argparse.Namespace) -> int:
    from coverage.pipeline import compare

    result = compare(args.region, out=args.out, overwrite=args.overwrite, strict=args.strict,
                     progress=not args.quiet)
    print(result.text)
    print(f"✓ 输出目录 output folder: {result.out_dir}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from coverage.datasets import demo_config_path
    from coverage.pipeline import run

    result = run(demo_config_path(), out=args.out, overwrite=args.overwrite,
                 progress=not args.quiet)
    return _finished(result, f"示例县（虚构数据）运行完成 demo finished: {result.out_dir}")


def _cmd_targets_list(args: argparse.Namespace) -> int:
    from coverage.present.gaps import format_preset_list

    print(format_preset_list())
    return 0


def _cmd_targets_show(args: argparse.Namespace) -> int:
    from coverage.present.gaps import format_target

    print(format_target(args.id))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in ("osmnx", "matplotlib", "fontTools", "PIL"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return func(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        # a folder that cannot be written, a disk that is full, a file locked by Excel …
        where = exc.filename or "?"
        print(f"coverage: cannot read or write {where}: {exc.strerror or exc}\n"
              "修改建议 fix: close the file if it is open in Excel or WPS, check the folder's "
              "permissions and free space, or choose another --out folder.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"coverage: internal error: {type(exc).__name__}: {exc}\n"
              "Run again with --verbose for details and report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
