"""The workbench's guards: the access token, cross-site requests, the size of a request.

* **Token.**  Bound to 127.0.0.1 the workbench is the planner's own; bound to any other address
  it needs ``--token``, and then every page asks for it once (a form) and keeps it in an
  HttpOnly, SameSite=Strict cookie.  ``?token=…`` in a link works too (the address
  ``coverage serve`` prints).
* **Cross-site requests.**  Every POST must come from the workbench's own pages: its
  ``Origin`` (or, without one, its ``Referer``) must be the workbench's own address, and its
  form must carry the CSRF token of the page (double-submit: the same random value in a
  SameSite=Strict cookie and in a hidden field or the ``X-CSRF-Token`` header).
* **Host.**  Bound to the loopback address, only requests addressed to ``127.0.0.1``,
  ``localhost`` or ``[::1]`` are answered: a web page elsewhere cannot reach the workbench by
  pointing its own host name at 127.0.0.1 (DNS rebinding).
* **Size.**  A request whose ``Content-Length`` is above the upload limit is refused before
  its body is read (the upload page sends one file per request).
* **Headers.**  A Content-Security-Policy that allows only the workbench's own address
  (inline scripts and styles of its own pages; ``data:``/``blob:`` images), no framing by
  other sites, no MIME sniffing, no referrer to elsewhere.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

__all__ = ["CSRF_COOKIE", "SECURITY_HEADERS", "TOKEN_COOKIE", "csrf_matches", "csrf_value",
           "host_name", "new_csrf", "same_origin", "token_ok"]

TOKEN_COOKIE = "coverage_token"
CSRF_COOKIE = "coverage_csrf"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def token_ok(request: Request, token: str | None) -> bool:
    """Whether the request carries the server's token (always true without one)."""
    if not token:
        return True
    given = request.cookies.get(TOKEN_COOKIE) or request.query_params.get("token") or ""
    return hmac.compare_digest(given.encode(), token.encode())


def host_name(request: Request) -> str:
    """The host name the request was addressed to (``Host`` without the port), lower case."""
    host = request.headers.get("host", "").lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(request: Request) -> bool:
    """Whether an unsafe request was sent by the workbench's own pages.

    The ``Origin`` header (``Referer`` when a browser sends none) must name the address the
    request was sent to (its ``Host``); a request carrying neither is refused.
    """
    host = request.headers.get("host", "").lower()
    own = f"{request.url.scheme}://{host}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() == own
    referer = request.headers.get("referer")
    return referer is not None and _origin_of(referer) == own


def new_csrf() -> str:
    """A fresh random CSRF value (set as a cookie on the first page)."""
    return secrets.token_urlsafe(24)


def csrf_value(request: Request) -> str:
    """The CSRF value of this browser (its cookie), "" if it has none yet."""
    return request.cookies.get(CSRF_COOKIE, "")


def csrf_matches(request: Request, sent: str | None) -> bool:
    """Whether the value a form sent equals the browser's cookie."""
    cookie = csrf_value(request)
    return bool(cookie) and bool(sent) and hmac.compare_digest(cookie.encode(),
                                                               str(sent).encode())
