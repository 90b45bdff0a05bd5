"""Solve a :class:`~coverage.optimize.problem.LocationProblem` with a named model.

:func:`solve` is the single entry point: it looks the model up in :data:`MODELS`, checks
every option against what that model accepts (one :class:`~coverage.problems.InputError`
naming each rejected option and the model), and runs it.

=========  ===============================================  ===========  =================
model      what it does                                     matrix       ``p``
=========  ===============================================  ===========  =================
mclp       most demand weight covered by ``p`` new sites    coverage     required*
lscp       fewest new sites (or least build cost) covering  coverage     rejected
           all coverable demand, or a ``share`` of it
lscpb      LSCP minimum, then most demand covered twice     coverage     rejected
pmedian    least total weighted travel (``capacity``:       travel       required*
           capacitated, single assignment)
pcenter    least worst travel                               travel       required*
quota      township minimums of new sites, then most        objective    optional
           coverage (``objective="coverage"``) or least
           travel (``objective="travel"``)
=========  ===============================================  ===========  =================

\\* or a budget: ``p`` is the number of new sites, exact without a budget and a maximum
with one; with a budget and no ``p`` as many sites as the budget allows.  ``p`` at least
the number of allowed candidates builds them all (note ``all_candidates``).

Options and problem fields each model accepts (anything else is an input error naming the
option and the model):

* every model: ``time_limit``, ``warm_start``, ``existing``/``forced``/``excluded``,
  ``site_cost`` with ``budget``, ``group``/``min_new`` (township minimums);
* ``mip_gap``: every model but ``pcenter`` (its binary search is exact);
* ``share`` (in ``(0, 1]``): ``lscp``;
* ``objective``: ``lscp`` (``"sites"`` or ``"cost"``, the summed ``site_cost``) and
  ``quota`` (``"coverage"`` or ``"travel"``);
* ``capacity``: ``pmedian``;
* ``group``/``min_new`` are required by ``quota``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from coverage.optimize.lscp import lscp_model, lscpb_model
from coverage.optimize.mclp import coverage_model
from coverage.optimize.pcenter import pcenter_model
from coverage.optimize.pmedian import median_model
from coverage.optimize.problem import LocationProblem
from coverage.optimize.quota import quota_model
from coverage.optimize.results import LocationResult
from coverage.problems import InputError, Problem

__all__ = ["MODELS", "ModelSpec", "SolveOptions", "solve"]


@dataclass(frozen=True)
class SolveOptions:
    """The solver options of one :func:`solve` call (already checked for the model)."""

    p: int | None
    time_limit: float | None
    mip_gap: float
    objective: str | None
    share: float | None
    warm_start: bool


@dataclass(frozen=True)
class ModelSpec:
    """What a model needs and accepts.

    Attributes
    ----------
    name
        The model's name in :data:`MODELS`.
    summary
        One line on what it optimizes.
    run
        ``run(problem, options) -> LocationResult``.
    matrix
        ``"coverage"``, ``"travel"`` or ``"objective"`` (chosen by ``objective``).
    p
        ``"required"`` (unless a budget is given), ``"optional"`` or ``"rejected"``.
    options
        Accepted options beyond ``p``, ``time_limit`` and ``warm_start``: any of
        ``"mip_gap"``, ``"share"``, ``"objective"``.
    fields
        Accepted optional problem fields beyond the site lists and ``budget``: any of
        ``"group"``, ``"capacity"``.
    objectives
        Values of ``objective`` (first = default) when ``"objective"`` is accepted.
    requires_groups
        ``group``/``min_new`` must be given.
    """

    name: str
    summary: str
    run: Callable[[LocationProblem, SolveOptions], LocationResult]
    matrix: Literal["coverage", "travel", "objective"]
    p: Literal["required", "optional", "rejected"]
    options: frozenset[str]
    fields: frozenset[str]
    objectives: tuple[str, ...] = ()
    requires_groups: bool = False


def _run_mclp(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return coverage_model("mclp", problem, o.p, time_limit=o.time_limit, mip_gap=o.mip_gap,
                          warm_start=o.warm_start)


def _run_lscp(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return lscp_model(problem, share=1.0 if o.share is None else o.share,
                      by_cost=o.objective == "cost", time_limit=o.time_limit,
                      mip_gap=o.mip_gap, warm_start=o.warm_start)


def _run_lscpb(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return lscpb_model(problem, time_limit=o.time_limit, mip_gap=o.mip_gap,
                       warm_start=o.warm_start)


def _run_pmedian(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return median_model("pmedian", problem, o.p, time_limit=o.time_limit, mip_gap=o.mip_gap,
                        warm_start=o.warm_start)


def _run_pcenter(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return pcenter_model(problem, o.p, time_limit=o.time_limit, warm_start=o.warm_start)


def _run_quota(problem: LocationProblem, o: SolveOptions) -> LocationResult:
    return quota_model(problem, o.p, objective="travel" if o.objective == "travel"
                       else "coverage", time_limit=o.time_limit, mip_gap=o.mip_gap,
                       warm_start=o.warm_start)


_GAP = frozenset({"mip_gap"})

MODELS: Mapping[str, ModelSpec] = MappingProxyType({
    spec.name: spec
    for spec in (
        ModelSpec("mclp", "most demand weight covered by p new sites", _run_mclp,
                  "coverage", "required", _GAP, frozenset({"group"})),
        ModelSpec("lscp", "fewest new sites (or least build cost) covering the demand",
                  _run_lscp, "coverage", "rejected", _GAP | {"share", "objective"},
                  frozenset({"group"}), ("sites", "cost")),
        ModelSpec("lscpb", "LSCP minimum, then most demand covered twice", _run_lscpb,
                  "coverage", "rejected", _GAP, frozenset({"group"})),
        ModelSpec("pmedian", "least total weighted travel to the nearest open site",
                  _run_pmedian, "travel", "required", _GAP,
                  frozenset({"group", "capacity"})),
        ModelSpec("pcenter", "least worst travel to the nearest open site", _run_pcenter,
                  "travel", "required", frozenset(), frozenset({"group"})),
        ModelSpec("quota", "township minimums of new sites, then coverage or travel",
                  _run_quota, "objective", "optional", _GAP | {"objective"},
                  frozenset({"group"}), ("coverage", "travel"), requires_groups=True),
    )
})
"""Model name -> :class:`ModelSpec`."""


def _err(option: str, message: str, fix: str, value: object = None) -> Problem:
    return Problem(None, None, option, value, message, fix, "error")


def _check(
    spec: ModelSpec, problem: LocationProblem, o: SolveOptions
) -> list[Problem]:
    """Every option or problem field the model rejects or misses (empty when all fine)."""
    out: list[Problem] = []
    name = spec.name
    if spec.p == "rejected" and o.p is not None:
        out.append(_err("p", f"p is not an option of model {name}: it finds the number of "
                        "sites itself", f"leave p out for {name}", o.p))
    if spec.p == "required" and o.p is None and problem.budget is None:
        out.append(_err("p", f"model {name} needs p (the number of new sites) or a budget",
                        "give p, or site_cost with a budget"))
    if o.p is not None and (isinstance(o.p, bool) or int(o.p) != o.p or o.p < 0):
        out.append(_err("p", "p must be a whole number >= 0", "give the number of new sites",
                        o.p))
    if o.time_limit is not None and not o.time_limit > 0:
        out.append(_err("time_limit", "time_limit must be > 0 seconds",
                        "give seconds, or None for no limit", o.time_limit))
    if o.mip_gap and "mip_gap" not in spec.options:
        out.append(_err("mip_gap", f"mip_gap is not an option of model {name}: its search "
                        "is exact", "leave mip_gap at 0", o.mip_gap))
    elif not 0.0 <= o.mip_gap < 1.0:
        out.append(_err("mip_gap", "mip_gap must be in [0, 1)",
                        "e.g. 0.01 to stop within 1 % of the optimum", o.mip_gap))
    if o.share is not None:
        if "share" not in spec.options:
            out.append(_err("share", f"share is not an option of model {name}",
                            "share is an option of lscp only", o.share))
        elif not 0.0 < o.share <= 1.0:
            out.append(_err("share", f"share must be in (0, 1], got {o.share}",
                            "e.g. share=0.95 for 95 % of demand", o.share))
    if o.objective is not None:
        if "objective" not in spec.options:
            out.append(_err("objective", f"objective is not an option of model {name}",
                            "objective is an option of lscp and quota", o.objective))
        elif o.objective not in spec.objectives:
            out.append(_err("objective", f"model {name} has no objective {o.objective!r}",
                            "use " + " or ".join(repr(x) for x in spec.objectives),
                            o.objective))
    objective = o.objective or (spec.objectives[0] if spec.objectives else None)
    if name == "lscp" and objective == "cost" and problem.site_cost is None:
        out.append(_err("objective", "lscp with objective 'cost' needs site_cost",
                        "give each site's build cost in site_cost"))
    if problem.has_groups and "group" not in spec.fields:
        out.append(_err("group", f"group minimums are not an option of model {name}",
                        "drop group/min_new"))
    if spec.requires_groups and not problem.has_groups:
        out.append(_err("group", f"model {name} needs group and min_new (the township "
                        "minimums of new sites)", "give a group per site and min_new"))
    if problem.capacity is not None and "capacity" not in spec.fields:
        out.append(_err("capacity", f"capacity is not an option of model {name}",
                        "capacities are used by pmedian only; drop capacity"))
    matrix = spec.matrix
    if matrix == "objective":
        matrix = "travel" if objective == "travel" else "coverage"
    if matrix == "coverage" and problem.coverage is None:
        out.append(_err("coverage", f"model {name} needs the coverage matrix",
                        "give coverage (demand x sites within the service standard)"))
    if matrix == "travel" and problem.travel is None:
        out.append(_err("travel", f"model {name} needs the travel matrix",
                        "give travel (demand x site travel costs)"))
    return out


def solve(
    problem: LocationProblem,
    *,
    model: str,
    p: int | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    objective: str | None = None,
    share: float | None = None,
    warm_start: bool = True,
) -> LocationResult:
    """Solve ``problem`` with the model ``model``.

    Parameters
    ----------
    problem
        The data and site rules.
    model
        A name in :data:`MODELS`: ``mclp``, ``lscp``, ``lscpb``, ``pmedian``, ``pcenter``
        or ``quota``.
    p
        Number of new sites (existing sites not counted): exact without a budget, a maximum
        with one.  Required by mclp, pmedian and pcenter unless a budget is given; optional
        for quota (default: the sum of the group minimums, or the budget decides); rejected
        by lscp and lscpb.
    time_limit
        Seconds for the whole run; the best selection and its proven gap are returned.
    mip_gap
        Relative gap at which to stop (0 = prove optimality).
    objective
        lscp: ``"sites"`` (default) or ``"cost"``; quota: ``"coverage"`` (default) or
        ``"travel"``.
    share
        lscp: share of the total demand weight to cover, in ``(0, 1]`` (default 1: every
        coverable demand point).
    warm_start
        Start from the model's heuristic solution.

    Returns
    -------
    LocationResult
        Status, stop reason, objective, bound, gap, the selection and, when the rules
        cannot be met, the reasons as data.

    Raises
    ------
    InputError
        Unknown model, or options the model does not accept (each named with the model).
    """
    spec = MODELS.get(model)
    if spec is None:
        raise InputError.single(f"unknown model {model!r}", column="model",
                                fix="use one of " + ", ".join(MODELS), value=model)
    opts = SolveOptions(p=p, time_limit=time_limit, mip_gap=float(mip_gap),
                        objective=objective, share=share, warm_start=warm_start)
    problems = _check(spec, problem, opts)
    if problems:
        raise InputError(problems, title=f"model {model}: options not accepted")
    if p is not None:
        opts = SolveOptions(p=int(p), time_limit=time_limit, mip_gap=float(mip_gap),
                            objective=objective, share=share, warm_start=warm_start)
    return spec.run(problem, opts)
