"""``coverage serve``: the 规划工作台, a local web app over the library for planners who never
open a terminal.

Projects live on disk (:mod:`coverage.web.workspace`); the pages are
:mod:`coverage.web.pages_data` (upload → wizard → validate) and
:mod:`coverage.web.pages_runs` (run → progress → results → compare); runs go to a worker
(:mod:`coverage.web.jobs`); the guards are in :mod:`coverage.web.security`.  Everything the
pages need is served from the package: no CDN, no network.

>>> from coverage.web import create_app            # doctest: +SKIP
>>> app = create_app("~/coverage-projects")        # an ASGI app (uvicorn, TestClient)
"""

from __future__ import annotations

import logging
import threading
import webbrowser
from pathlib import Path

from coverage.problems import InputError
from coverage.web.app import create_app
from coverage.web.workspace import DEFAULT_MAX_UPLOAD_MB, Project, Workspace

__all__ = ["DEFAULT_WORKSPACE", "Project", "Workspace", "create_app", "serve"]

DEFAULT_WORKSPACE = Path("~/coverage-projects")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

log = logging.getLogger("coverage.web")


def serve(*, host: str = "127.0.0.1", port: int = 8765, workspace: str | Path | None = None,
          token: str | None = None, open_browser: bool = False,
          max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB) -> None:
    """Run the workbench until interrupted.

    Parameters
    ----------
    host
        Address to bind; anything but the loopback address needs ``token``.
    port
        TCP port.
    workspace
        Projects folder (default ``~/coverage-projects``).
    token
        Access token every page then asks for.
    open_browser
        Open the start page in the default browser.
    max_upload_mb
        Largest file accepted (MB).

    Raises
    ------
    InputError
        Another address without a token, a token too short, a bad port.
    """
    import uvicorn

    if host not in _LOOPBACK and not token:
        raise InputError.single(
            "绑定到其他地址需要访问令牌 (binding another address needs a token)",
            column="--host", value=host, code="token_required",
            fix="add --token with a long random text, e.g. --token $(openssl rand -hex 16)")
    if token is not None and len(token) < 8:
        raise InputError.single("访问令牌太短 (the token is too short)", column="--token",
                                code="token_short", fix="use at least 8 characters")
    if not 0 < port < 65536:
        raise InputError.single("端口号无效 (bad port)", column="--port", value=port,
                                code="bad_port", fix="e.g. --port 8765")
    loopback = ("127.0.0.1", "localhost", "[::1]") if host in _LOOPBACK else None
    app = create_app(workspace or DEFAULT_WORKSPACE, token=token, max_upload_mb=max_upload_mb,
                     allowed_hosts=loopback)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}/"
    if token:
        url += f"?token={token}"
    log.info("coverage 规划工作台: %s (workspace %s)", url.split("?")[0],
             app.state.settings.workspace.root)
    print(f"coverage 规划工作台: {url}\n项目文件夹 workspace: "
          f"{app.state.settings.workspace.root}\n按 Ctrl+C 停止 (Ctrl+C stops it)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
