"""Pages of a project's data: overview, upload, the ``coverage init`` wizard, validation.

The wizard is :mod:`coverage.scaffold` behind a form: :func:`~coverage.scaffold.survey` reads
the uploaded files and guesses every column's role, each source's use and coordinate system;
the planner's changes come back as :class:`~coverage.scaffold.Choices` (saved in
``choices.json``); :func:`~coverage.scaffold.draft_config` renders ``region.toml`` — the same
file ``coverage init`` writes, so the planner can switch to the command line at any time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from coverage.problems import InputError
from coverage.scaffold import Choices, check_draft, draft_config, plan_region, survey
from coverage.web.app import checked_form, render, settings
from coverage.web.views import (
    COORD_QUESTION,
    admin_outlines,
    choices_from_form,
    problem_rows,
    source_view,
    use_options,
)
from coverage.web.workspace import Project, read_json, write_json

__all__ = ["router"]

log = logging.getLogger("coverage.web")
router = APIRouter()


def project_of(request: Request, slug: str) -> Project:
    """The project at ``/p/SLUG`` (a Chinese "no such project" page when absent)."""
    return settings(request).workspace.project(slug)


def _choices(project: Project) -> Choices:
    data = read_json(project.choices_path, {}) or {}
    try:
        return Choices.from_mapping(data)
    except InputError:
        return Choices()


@router.get("/p/{slug}/", response_class=HTMLResponse)
@router.get("/p/{slug}", response_class=HTMLResponse)
async def project_page(request: Request, slug: str) -> HTMLResponse:
    from coverage.web.jobs import run_state

    project = project_of(request, slug)
    runs = []
    for run_id in project.runs():
        params = read_json(project.runs_dir / run_id / "params.json", {}) or {}
        runs.append({"id": run_id, "label": params.get("label", ""),
                     "state": run_state(project, run_id).get("state", "")})
    return render(request, "project.html", project=project, files=project.files(),
                  has_toml=project.toml.exists(), runs=runs)


@router.get("/p/{slug}/upload", response_class=HTMLResponse)
async def upload_page(request: Request, slug: str) -> HTMLResponse:
    project = project_of(request, slug)
    return render(request, "upload.html", project=project, files=project.files(),
                  max_mb=settings(request).max_upload_mb)


@router.post("/p/{slug}/upload")
async def upload(request: Request, slug: str) -> Response:
    """Store the uploaded files (one or many per request)."""
    project = project_of(request, slug)
    form = await checked_form(request)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        raise InputError.single("没有选择文件 (no file was chosen)", code="upload_empty",
                                fix="drag the files onto the page or click 选择文件")
    saved = []
    for f in files:
        path = await asyncio.to_thread(project.save_upload, f.filename or "", f.file,
                                       max_mb=settings(request).max_upload_mb)
        saved.append(path.name)
    log.info("project %s: %d file(s) uploaded", project.slug, len(saved))
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"ok": True, "saved": saved})
    return RedirectResponse(f"/p/{project.slug}/upload", status_code=303)


@router.post("/p/{slug}/files/delete")
async def delete_file(request: Request, slug: str) -> Response:
    project = project_of(request, slug)
    form = await checked_form(request)
    project.remove_upload(str(form.get("name") or ""))
    return RedirectResponse(f"/p/{project.slug}/upload", status_code=303)


def _wizard_context(project: Project, choices: Choices) -> dict[str, Any]:
    sv = survey(project.uploads, source=choices.source)
    plan = plan_region(sv, choices=choices)
    sources = [source_view(s, i) for i, s in enumerate(plan.survey.sources)]
    coord = ""
    if choices.source in ("amap", "tencent"):
        coord = "amap"
    elif choices.source in ("baidu",):
        coord = "baidu"
    elif choices.source in ("gps", "wgs84", "tianditu", "cgcs2000"):
        coord = "gps"
    elif choices.source:
        coord = "projected"
    questions = problem_rows(plan.questions, roots=[project.uploads, project.root])
    return {"sources": sources, "plan": plan, "coord": coord, "coord_question": COORD_QUESTION,
            "epsg": choices.source if coord == "projected" else "",
            "needs_coord": any(s.crs.needs_answer for s in plan.survey.sources),
            "uses": use_options(), "questions": questions,
            "coord_answers": dict(choices.sources),
            "survey_problems": problem_rows(list(sv.problems),
                                            roots=[project.uploads, project.root])}


@router.get("/p/{slug}/wizard", response_class=HTMLResponse)
async def wizard_page(request: Request, slug: str) -> HTMLResponse:
    project = project_of(request, slug)
    if not project.files():
        return RedirectResponse(f"/p/{project.slug}/upload",  # type: ignore[return-value]
                                status_code=303)
    context = await asyncio.to_thread(_wizard_context, project, _choices(project))
    return render(request, "wizard.html", project=project, **context)


def _save_draft(project: Project, form: dict[str, str]) -> tuple[Any, Any]:
    old = _choices(project)
    sv = survey(project.uploads, source=old.source)
    current = plan_region(sv, choices=old).survey.sources
    new = choices_from_form(form, current)
    # what was chosen before stays chosen unless changed now
    merged = Choices.from_mapping({
        "source": new.source or old.source,
        "sources": {**old.sources, **new.sources}, "uses": {**old.uses, **new.uses},
        "roles": {**{k: dict(v) for k, v in old.roles.items()},
                  **{k: {**dict(old.roles.get(k, {})), **dict(v)}
                     for k, v in new.roles.items()}},
        "header_rows": {**old.header_rows, **new.header_rows},
        "ledgers": {k: list(v) for k, v in old.ledgers.items()},
        "region_name": new.region_name or old.region_name,
        "region_code": new.region_code or old.region_code})
    write_json(project.choices_path, merged.to_dict())
    plan = plan_region(sv, choices=merged)
    text = draft_config(sv, choices=merged, toml_dir=project.root)
    check = check_draft(text, toml_path=project.toml, plan=plan)
    return plan, (text, check)


@router.post("/p/{slug}/wizard")
async def wizard_save(request: Request, slug: str) -> Response:
    """Apply the planner's answers; write region.toml when nothing blocks it."""
    project = project_of(request, slug)
    form = {k: v for k, v in (await checked_form(request)).items() if isinstance(v, str)}
    plan, (text, check) = await asyncio.to_thread(_save_draft, project, form)
    errors = [p for p in plan.problems if p.severity == "error"]
    if errors or form.get("action") == "refresh":
        return RedirectResponse(f"/p/{project.slug}/wizard", status_code=303)
    project.save_toml(text)
    log.info("project %s: region.toml written (checked: %s)", project.slug, check.ok)
    return RedirectResponse(f"/p/{project.slug}/validate", status_code=303)


def _validate(project: Project) -> dict[str, Any]:
    from coverage.config import load_config
    from coverage.load import load_region

    roots = [project.uploads, project.root]
    config = None
    try:
        config = load_config(project.toml)
        region = load_region(config)
    except InputError as exc:
        return {"ok": False, "problems": problem_rows(exc.problems, roots=roots, config=config),
                "counts": [], "outlines": admin_outlines(config)}
    from coverage.region import located_mask
    from coverage.vocabulary import KIND

    counts = [{"kind": KIND.label(k), "n": len(g), "located": int(located_mask(g).sum())}
              for k, g in region.layers.items()]
    return {"ok": True, "problems": problem_rows(region.problems, roots=roots, config=config),
            "counts": counts, "townships": len(region.townships), "name": region.name,
            "outlines": admin_outlines(config) if region.problems else {}}


@router.get("/p/{slug}/validate", response_class=HTMLResponse)
async def validate_page(request: Request, slug: str) -> HTMLResponse:
    from coverage.maps._assets import leaflet_inline

    project = project_of(request, slug)
    if not project.toml.exists():
        return RedirectResponse(f"/p/{project.slug}/wizard",  # type: ignore[return-value]
                                status_code=303)
    result = await asyncio.to_thread(_validate, project)
    points = [{"i": i, "lon": r.point[0], "lat": r.point[1], "severity": r.severity,
               "label": f"{r.file} 第{r.row}行" if r.row else r.file}
              for i, r in enumerate(result["problems"]) if r.point is not None]
    return render(request, "validate.html", project=project, leaflet=leaflet_inline(),
                  points=points, **result)
