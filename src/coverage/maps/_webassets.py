"""The browser side of the interactive map: JavaScript, CSS and the page body, as package data.

``web/core.js`` decodes the page's data (one JSON document built by
:mod:`coverage.maps._webdata`) and draws: thematic polygons on one non-interactive canvas,
reference roads and water under them, every point and label on a canvas above that ignores
the mouse, and identifies what lies under the cursor itself (points first, then village,
isochrone and township polygons).  ``web/ui.js`` is the planner's controls (township
drill-down, indicator switcher, build-year slider, legend, search by name, code and pinyin
initials, CSV export with formula-safe cells, PNG export, print layout, measuring, the
Chinese scale bar).  ``web/app.css`` and ``web/body.html`` are the page's style and layout.
Every text from the data reaches the page through ``textContent``.  The files ship with the
package (``[tool.setuptools.package-data]``) and are inlined into the one HTML file.
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["APP_CSS", "BODY_HTML", "CORE_JS", "UI_JS", "asset"]


@functools.cache
def asset(name: str) -> str:
    """The text of ``coverage/maps/web/NAME``."""
    return (resources.files("coverage.maps") / "web" / name).read_text(encoding="utf-8")


CORE_JS = asset("core.js")
UI_JS = asset("ui.js")
APP_CSS = asset("app.css")
BODY_HTML = asset("body.html")
