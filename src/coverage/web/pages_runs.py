"""Pages of a project's runs: the run form, live progress, results, re-runs, comparison.

A run is :func:`coverage.pipeline.run` in a worker (:mod:`coverage.web.jobs`); its page follows
the stage events by server-sent events and shows the results when it has finished: the
资源一张图 (the run's own offline HTML in a frame), the gaps, the uncovered villages and the
suggested sites with their explanations.  Locking a suggested site or excluding a candidate
(该村无场地) starts a new run with ``[optimize] force``/``exclude`` — the earlier run stays.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from coverage.problems import InputError
from coverage.web.app import checked_form, render
from coverage.web.jobs import MODELS, RunParams, read_events, run_state, start_run
from coverage.web.pages_data import project_of
from coverage.web.views import problem_rows, read_csv_rows
from coverage.web.workspace import Project, read_json

__all__ = ["router"]

router = APIRouter()

STAGES = (("validate", "数据检查"), ("network", "读取路网"), ("gaps", "指标缺口"),
          ("access", "可达性"), ("suggest", "选址优化"), ("maps", "地图"), ("report", "报告"))


def _codes(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.strip() for c in text.replace("，", ",").replace("\n", ",")
                               .split(",") if c.strip()))


def _number(form: dict[str, str], key: str, default: float, *, low: float = 0.0) -> float:
    text = (form.get(key) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InputError.single("请填写数字 (expected a number)", column=key, value=text,
                                code="bad_number", fix="e.g. 30") from None
    if value < low:
        raise InputError.single(f"不能小于 {low:g} (must be at least {low:g})", column=key,
                                value=text, code="bad_number", fix=f"a number ≥ {low:g}")
    return value


def _params(form: dict[str, str], base: RunParams) -> RunParams:
    model = form.get("model") or base.model
    if model not in MODELS:
        raise InputError.single("未知的模型 (unknown model)", column="model", value=model,
                                code="bad_choice", fix="one of: " + ", ".join(MODELS))
    return RunParams(
        label=(form.get("label") or base.label).strip()[:60] or base.label,
        preset=form.get("preset") or base.preset, model=model,
        p=int(_number(form, "p", base.p, low=1)),
        budget=_number(form, "budget", base.budget),
        urban_minutes=_number(form, "urban_minutes", base.urban_minutes, low=1),
        rural_minutes=_number(form, "rural_minutes", base.rural_minutes, low=1),
        force=_codes(form["force"]) if "force" in form else base.force,
        exclude=_codes(form["exclude"]) if "exclude" in form else base.exclude,
        time_limit=_number(form, "time_limit", base.time_limit, low=1), extra=base.extra)


def _added(form: dict[str, str], *, taken: set[str]
           ) -> list[tuple[str, str, float, float, bool]]:
    """Candidates added on the results page's map: ``add_lon_N``/``add_lat_N``/``add_name_N``
    (and ``add_lock_N`` to lock one) → ``(id, name, lon, lat, locked)`` with new ids."""
    out = []
    n = len(taken)
    for key in sorted((k for k in form if k.startswith("add_lon_")),
                      key=lambda k: int(k.rsplit("_", 1)[1]) if k[8:].isdigit() else 0):
        i = key.rsplit("_", 1)[1]
        lon = _number(form, f"add_lon_{i}", float("nan"), low=-180)
        lat = _number(form, f"add_lat_{i}", float("nan"), low=-90)
        if lon != lon or lat != lat:  # NaN: the row was emptied
            continue
        n += 1
        code = f"新增候选{n}"
        while code in taken:
            n += 1
            code = f"新增候选{n}"
        taken.add(code)
        name = (form.get(f"add_name_{i}") or "").strip()[:40] or code
        out.append((code, name, round(lon, 6), round(lat, 6), bool(form.get(f"add_lock_{i}"))))
    return out


def _defaults(project: Project) -> RunParams:
    from coverage.config import load_config

    if not project.toml.exists():
        raise InputError.single("项目还没有区域配置 (the project has no region.toml yet)",
                                code="no_config", fix="finish the wizard (数据导入) first")
    base = RunParams.defaults(load_config(project.toml),
                              label=f"方案{len(project.runs()) + 1}")
    return base


@router.get("/p/{slug}/run", response_class=HTMLResponse)
async def run_form(request: Request, slug: str) -> HTMLResponse:
    from coverage.targets import list_presets
    from coverage.vocabulary import MODEL

    project = project_of(request, slug)
    params = _defaults(project)
    presets = [(p.id, p.name) for p in list_presets()]
    return render(request, "run.html", project=project, params=params, presets=presets,
                  models=[(m, MODEL.label(m)) for m in MODELS])


def _start(project: Project, form: dict[str, str], base: RunParams) -> str:
    return start_run(project, _params(form, base))


@router.post("/p/{slug}/run")
async def run_start(request: Request, slug: str) -> Response:
    project = project_of(request, slug)
    form = {k: v for k, v in (await checked_form(request)).items() if isinstance(v, str)}
    base = _defaults(project)
    source = form.get("from_run")
    if source:
        base = RunParams.from_dict(read_json(project.run_dir(source) / "params.json", {}))
        base = RunParams(**{**base.__dict__, "label": f"方案{len(project.runs()) + 1}"})
        # the results page: checked boxes add to the earlier run's locks and exclusions
        force = dict.fromkeys([*base.force, *_codes(",".join(
            v for k, v in form.items() if k.startswith("lock_")))])
        exclude = dict.fromkeys([*base.exclude, *_codes(",".join(
            v for k, v in form.items() if k.startswith("exclude_"))),
            *_codes(form.get("exclude_more", ""))])
        extra = list(base.extra)
        for added in _added(form, taken={e[0] for e in extra}):
            extra.append(added[:4])
            if added[4]:
                force[added[0]] = None
        for code in _codes(form.get("unlock", "")):
            force.pop(code, None)
        base = RunParams(**{**base.__dict__, "extra": tuple(extra)})
        form = {"label": form.get("label") or base.label, "force": ",".join(force),
                "exclude": ",".join(c for c in exclude if c not in force)}
    run_id = await asyncio.to_thread(_start, project, form, base)
    return RedirectResponse(f"/p/{project.slug}/runs/{run_id}", status_code=303)


def _results(project: Project, run_id: str) -> dict[str, Any]:
    folder = project.run_dir(run_id)
    out = folder / "out"
    tables = out / "tables"
    params = RunParams.from_dict(read_json(folder / "params.json", {}))
    sites = read_csv_rows(
        tables / "suggested_sites.csv",
        {"rank": "rank", "phase": "phase", "id": "id", "name": "name",
         "township_name": "township", "kind": "kind", "gain_population": "gain",
         "target_effect": "effect", "explanation": "explanation"},
        formats={"gain": "int"})
    for s in sites:
        s["locked"] = "1" if s["id"] in params.force else ""
    gaps = [r for r in read_csv_rows(
        tables / "gaps.csv",
        {"indicator_name": "indicator", "unit_level": "level", "unit_name": "unit",
         "numerator": "num", "denominator": "den", "rate": "rate", "target": "target",
         "shortfall": "shortfall", "status": "status"},
        formats={"rate": "pct", "target": "pct"}, limit=2000)
        if r["level"] in ("county", "township")][:200]
    uncovered = read_csv_rows(
        tables / "access_uncovered.csv",
        {"id": "id", "name": "name", "township_name": "township", "population": "population",
         "time_min": "minutes", "threshold_min": "threshold", "status": "status"},
        formats={"population": "int", "minutes": "min", "threshold": "min"}, limit=300)
    downloads = [(name, label) for name, label in (
        ("report.docx", "报告（Word）"), ("report.html", "报告（网页）"),
        ("tables/tables.xlsx", "工作簿（Excel）"),
        ("maps/resource_map.html", "资源一张图（离线网页）"))
        if (out / name).exists()]
    return {"params": params, "sites": sites, "gaps": gaps, "uncovered": uncovered,
            "downloads": downloads, "summary": read_json(folder / "summary.json", {}) or {},
            "has_map": (out / "maps" / "resource_map.html").exists()}


@router.get("/p/{slug}/runs/{run_id}", response_class=HTMLResponse)
async def run_page(request: Request, slug: str, run_id: str) -> HTMLResponse:
    project = project_of(request, slug)
    state = run_state(project, run_id)
    params = RunParams.from_dict(read_json(project.run_dir(run_id) / "params.json", {}))
    if state.get("state") == "running":
        return render(request, "progress.html", project=project, run_id=run_id,
                      params=params, stages=STAGES)
    if state.get("state") != "done":
        from coverage.problems import Problem

        problems = [Problem(p.get("file"), p.get("row"), p.get("column"), p.get("value"),
                            p.get("message", ""), p.get("fix", ""),
                            p.get("severity", "error"), sheet=p.get("sheet"),
                            cell=p.get("cell"), code=p.get("code", ""))
                    for p in state.get("problems", [])]
        rows = problem_rows(problems, roots=[project.uploads, project.root])
        return render(request, "run_failed.html", project=project, run_id=run_id,
                      params=params, state=state, problems=rows)
    context = await asyncio.to_thread(_results, project, run_id)
    others = [r for r in project.runs() if r != run_id
              and run_state(project, r).get("state") == "done"]
    return render(request, "results.html", project=project, run_id=run_id, state=state,
                  others=others, **context)


@router.get("/p/{slug}/runs/{run_id}/events")
async def run_events(request: Request, slug: str, run_id: str) -> StreamingResponse:
    """Server-sent events: one ``data:`` line per stage event, then ``end``."""
    project = project_of(request, slug)
    project.run_dir(run_id)

    async def stream() -> AsyncIterator[str]:
        seen = 0
        idle = 0.0
        while True:
            events = read_events(project, run_id, start=seen)
            for ev in events:
                yield f"data: {json.dumps(ev, ensure_ascii=False)}\n\n"
            seen += len(events)
            if any(ev.get("stage") == "end" for ev in events):
                return
            if not events and run_state(project, run_id).get("state") != "running":
                yield 'data: {"stage": "end", "state": "end"}\n\n'
                return
            if await request.is_disconnected():
                return
            idle = 0.0 if events else idle + 0.3
            if idle > 15:
                yield ": keep-alive\n\n"
                idle = 0.0
            await asyncio.sleep(0.3)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


def _out_file(project: Project, run_id: str, path: str) -> Path:
    out = project.run_dir(run_id) / "out"
    target = project.inside(out / path)
    if not target.is_relative_to(out.resolve()) or not target.is_file():
        raise InputError.single("没有这个文件 (no such file)", value=path, code="no_run",
                                fix="use the download buttons of the run's page")
    return target


@router.get("/p/{slug}/runs/{run_id}/files/{path:path}")
async def run_file(request: Request, slug: str, run_id: str, path: str) -> Response:
    project = project_of(request, slug)
    target = _out_file(project, run_id, path)
    inline = target.suffix.lower() in (".html", ".png", ".svg")
    response = FileResponse(target, filename=None if inline else target.name)
    if target.name == "resource_map.html":
        # the map is a self-contained page of the run: framed by the results page only
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src data: blob:; font-src data:; frame-ancestors 'self'")
    elif inline:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'self'")
    return response


def _zip(project: Project, run_id: str) -> bytes:
    out = project.run_dir(run_id) / "out"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(out.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(out).as_posix())
    return buf.getvalue()


@router.get("/p/{slug}/runs/{run_id}/zip")
async def run_zip(request: Request, slug: str, run_id: str) -> Response:
    project = project_of(request, slug)
    data = await asyncio.to_thread(_zip, project, run_id)
    from urllib.parse import quote

    name = quote(f"{project.slug}-{run_id}.zip")
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@router.get("/p/{slug}/compare", response_class=HTMLResponse)
async def compare_page(request: Request, slug: str) -> HTMLResponse:
    """The chosen runs' headline figures side by side (``coverage compare``'s table)."""
    project = project_of(request, slug)
    chosen = request.query_params.getlist("runs") or project.runs()[:4]
    rows = []
    for run_id in chosen:
        summary = read_json(project.run_dir(run_id) / "summary.json", None)
        if summary:
            params = RunParams.from_dict(read_json(project.run_dir(run_id) / "params.json", {}))
            summary = {**summary, "服务标准（城镇/农村，分钟）":
                       f"{params.urban_minutes:g} / {params.rural_minutes:g}",
                       "锁定建设": "、".join(params.force) or "—",
                       "排除（该村无场地）": "、".join(params.exclude) or "—"}
            rows.append((run_id, summary))
    keys: list[str] = []
    for _, summary in rows:
        keys += [k for k in summary if k not in keys]
    return render(request, "compare.html", project=project, rows=rows, keys=keys)
