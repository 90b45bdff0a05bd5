"""The 规划工作台 application: FastAPI, Jinja templates from the package, nothing from a CDN.

:func:`create_app` builds the app over a :class:`~coverage.web.workspace.Workspace`; the
pages live in :mod:`coverage.web.pages_data` (upload, wizard, validate) and
:mod:`coverage.web.pages_runs` (run, progress, results, compare, downloads).  Every error a
planner can cause is shown as a Chinese page listing the problems with the CLI's texts
(file, sheet, row, column, value, fix); an internal error shows a short message, never a
stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, RedirectResponse, Response

from coverage.problems import InputError, Problem
from coverage.web import security
from coverage.web.views import problem_rows
from coverage.web.workspace import DEFAULT_MAX_UPLOAD_MB, Workspace

__all__ = ["Settings", "checked_form", "create_app", "render"]

log = logging.getLogger("coverage.web")

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("coverage.web", "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True,
    undefined=jinja2.StrictUndefined)
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: problem codes and the HTTP status their page gets
_STATUS = {"no_project": 404, "no_run": 404, "outside_project": 404, "run_busy": 409,
           "upload_too_large": 413, "csrf": 403, "cross_site": 403}


@dataclass(frozen=True)
class Settings:
    """How the workbench was started."""

    workspace: Workspace
    token: str | None = None
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    #: host names the pages may be addressed by (None: any); on loopback, the loopback names,
    #: so that a web page elsewhere cannot reach the workbench by DNS rebinding
    allowed_hosts: tuple[str, ...] | None = None


def render(request: Request, template: str, status_code: int = 200, /, **context: Any
           ) -> HTMLResponse:
    """Render ``template`` (autoescaped) with the page's CSRF value."""
    context.setdefault("title", "规划工作台")
    context.setdefault("step", "")
    html = _TEMPLATES.get_template(template).render(
        request=request, csrf=request.state.csrf, **context)
    return HTMLResponse(html, status_code=status_code)


def settings(request: Request) -> Settings:
    """The app's :class:`Settings`."""
    found: Settings = request.app.state.settings
    return found


async def checked_form(request: Request) -> FormData:
    """The POSTed form, after its CSRF token was checked (an :class:`InputError` if not)."""
    form = await request.form(max_part_size=4 * 2**20)
    request.state.forms = [*getattr(request.state, "forms", []), form]  # closed by the guard
    sent = form.get("csrf") or request.headers.get("x-csrf-token")
    if not security.csrf_matches(request, sent if isinstance(sent, str) else None):
        raise InputError.single(
            "表单已过期或来自其他网站，未执行 (the form is stale or came from another site)",
            code="csrf", fix="reload the page and submit the form again")
    return form


def _problems_page(request: Request, exc: InputError) -> Response:
    status = max((_STATUS.get(p.code, 400) for p in exc.problems), default=400)
    s = settings(request)
    rows = problem_rows(exc.problems, roots=[s.workspace.root])
    title = exc.title or ("有问题需要处理" if len(exc.problems) != 1 else "出了问题")
    if request.headers.get("accept", "").startswith("application/json"):
        from starlette.responses import JSONResponse

        return JSONResponse({"ok": False, "title": title,
                             "problems": [r.__dict__ for r in rows]}, status_code=status)
    return render(request, "error.html", status, heading=title, problems=rows)


def _message(request: Request, status: int, heading: str, text: str) -> HTMLResponse:
    rows = problem_rows([Problem(None, None, None, None, text, "")], roots=[])
    return render(request, "error.html", status, heading=heading, problems=rows)


def create_app(workspace: str | Path, *, token: str | None = None,
               max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
               allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:
    """The workbench over the projects in ``workspace``.

    Parameters
    ----------
    workspace
        The projects folder (created when missing).
    token
        When set, every page needs it (asked once, then kept in a cookie).
    max_upload_mb
        Largest file accepted (MB).
    allowed_hosts
        Host names (without port) requests may carry in ``Host``; None accepts any.
    """
    from coverage.web import pages_data, pages_runs

    app = FastAPI(title="coverage 规划工作台", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = Settings(Workspace(workspace), token or None, float(max_upload_mb),
                                  tuple(h.lower() for h in allowed_hosts)
                                  if allowed_hosts is not None else None)

    @app.middleware("http")
    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        cookie = security.csrf_value(request)
        request.state.csrf = cookie or security.new_csrf()
        try:
            response = await _guarded(request, call_next)
        finally:
            for form in getattr(request.state, "forms", []):
                await form.close()
        for k, v in security.SECURITY_HEADERS.items():
            if k == "X-Frame-Options" or k == "Content-Security-Policy":
                response.headers.setdefault(k, v)
            else:
                response.headers[k] = v
        if not cookie:
            response.set_cookie(security.CSRF_COOKIE, request.state.csrf, httponly=True,
                                samesite="strict", path="/")
        return response

    async def _guarded(request: Request,
                       call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        s = settings(request)
        path = request.url.path
        if s.allowed_hosts is not None and security.host_name(request) not in s.allowed_hosts:
            log.warning("refused a request addressed to another host name")
            return _message(request, 400, "地址不对",
                            "请用 coverage serve 显示的地址打开工作台 (open the workbench by the "
                            "address coverage serve printed)")
        if request.method not in _SAFE_METHODS and not security.same_origin(request):
            log.warning("refused a cross-site %s to %s", request.method, path)
            return _message(request, 403, "跨站请求被拒绝",
                            "只接受来自本工作台页面的提交 (only forms of this workbench's own "
                            "pages are accepted)")
        if s.token and path != "/login" and not security.token_ok(request, s.token):
            if request.method in _SAFE_METHODS:
                return render(request, "login.html", 401, next=path, wrong=False)
            return _message(request, 401, "需要访问令牌", "请先输入访问令牌 (enter the token)")
        if s.token and request.method == "GET" and "token" in request.query_params:
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = path + ("?" + urlencode(rest) if rest else "")
            response: Response = RedirectResponse(target, status_code=303)
            response.set_cookie(security.TOKEN_COOKIE, s.token, httponly=True,
                                samesite="strict", path="/")
            return response
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > s.max_upload_mb * 2**20 + 2**20:
            return _problems_page(request, InputError.single(
                f"文件超过大小上限 {s.max_upload_mb:g} MB (the upload is larger than "
                f"{s.max_upload_mb:g} MB)", code="upload_too_large",
                fix="split the file, or start the workbench with a larger --max-upload-mb"))
        return await call_next(request)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return _problems_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            return _message(request, 404, "页面不存在", "没有这个页面 (no such page)")
        if exc.status_code == 405:
            return _message(request, 405, "不支持的操作",
                            "该页面不接受这种请求 (method not allowed)")
        return _message(request, exc.status_code, "请求有误", "请求无法处理 (bad request)")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return _message(request, 400, "请求有误", "表单内容不完整或格式不对，请返回重新填写 "
                        "(the form is incomplete)")

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> HTMLResponse:
        log.error("internal error on %s %s: %s", request.method, request.url.path,
                  type(exc).__name__)
        return _message(request, 500, "内部错误",
                        f"工作台内部出错（{type(exc).__name__}），请查看服务器日志并报告 "
                        "(internal error; see the server log)")

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request) -> HTMLResponse:
        return render(request, "login.html", next="/", wrong=False)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await checked_form(request)
        s = settings(request)
        given = str(form.get("token") or "")
        target = str(form.get("next") or "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        import hmac

        if not s.token or not hmac.compare_digest(given.encode(), s.token.encode()):
            return render(request, "login.html", 401, next=target, wrong=True)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(security.TOKEN_COOKIE, s.token, httponly=True, samesite="strict",
                            path="/")
        return response

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        ws = settings(request).workspace
        return render(request, "index.html", projects=ws.projects(), workspace=str(ws.root))

    @app.post("/projects")
    async def create_project(request: Request) -> Response:
        form = await checked_form(request)
        project = settings(request).workspace.create(str(form.get("name") or ""))
        log.info("project %s created", project.slug)
        return RedirectResponse(f"/p/{project.slug}/upload", status_code=303)

    app.include_router(pages_data.router)
    app.include_router(pages_runs.router)
    return app
