"""Offline assets: Leaflet's script and stylesheet read from the ``xstatic-leaflet`` package.

The interactive map must open on a government-intranet PC without internet, so nothing it
needs may come from a CDN.  :func:`leaflet_inline` returns the ``<style>`` and ``<script>``
blocks to put in the page's ``<head>``; the images the stylesheet refers to (the layer-control
icon, the default marker) become ``data:`` URIs, and source-map comments are removed so even
developer tools fetch nothing.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from coverage.problems import InputError

__all__ = ["leaflet_inline", "leaflet_version"]

_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)
_CSS_IMAGE = re.compile(r"url\(\s*['\"]?images/([A-Za-z0-9_.-]+\.png)['\"]?\s*\)")


def _leaflet_dir() -> Path:
    try:
        import xstatic.pkg.leaflet as xs_leaflet
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError.single(
            "Leaflet files not found (the Python package xstatic-leaflet is not installed)",
            fix="pip install xstatic-leaflet",
        ) from exc
    return Path(xs_leaflet.BASE_DIR)


def leaflet_version() -> str:
    """The version of the inlined Leaflet (from ``xstatic-leaflet``)."""
    import xstatic.pkg.leaflet as xs_leaflet

    return str(xs_leaflet.VERSION)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _safe_for_tag(text: str, tag: str) -> str:
    """Make ``text`` unable to close its ``<tag>`` element early."""
    return re.sub(rf"</(?={tag})", r"<\\/", text, flags=re.IGNORECASE)


@functools.cache
def leaflet_inline() -> str:
    """The ``<style>`` + ``<script>`` blocks that make Leaflet work without a network.

    Returns
    -------
    str
        HTML for the document head.
    """
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    images = base / "images"
    css = _CSS_IMAGE.sub(lambda m: f'url("{_data_uri(images / m.group(1))}")', css)
    js = _SOURCE_MAP.sub("", (base / "leaflet.js").read_text(encoding="utf-8"))
    return (f"<style>\n{_safe_for_tag(css, 'style')}\n</style>\n"
            f"<script>\n{_safe_for_tag(js, 'script')}\n</script>\n")
