"""The interactive 社会心理服务资源一张图: one self-contained, offline HTML file.

The file opens from a USB stick on an intranet PC: Leaflet is inlined from ``xstatic-leaflet``,
no font, icon or stylesheet is fetched, and with ``basemap="none"`` (the default) no request
leaves the machine.  The map's data is one compact JSON document (each place stored once, in
columnar arrays: :mod:`coverage.maps._webdata`); the page script draws it on canvases, so
50,000 villages stay light and fast (``web/core.js``, :mod:`coverage.maps._webassets`),
and gives planners the controls of a 一张图 platform — township drill-down, indicator
switcher, build-year slider, search by name, code or pinyin initials, CSV export, PNG and
print, distance measuring (``web/ui.js``).

Every user-supplied text reaches the page through ``textContent``; only the whitelisted fields
of :mod:`coverage.maps._style` are written — never personal fields such as 负责人 or 电话
that a ledger may carry.
"""

from __future__ import annotations

import html
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from coverage import crs as crs_mod
from coverage.config import BASEMAPS
from coverage.maps._assets import leaflet_inline
from coverage.maps._data import MapLayers
from coverage.maps._webassets import APP_CSS, BODY_HTML, CORE_JS, UI_JS
from coverage.maps._webdata import build_payload
from coverage.outputs import atomic_write
from coverage.problems import InputError

__all__ = [
    "InteractiveMap",
    "build_interactive_map",
    "render_interactive_html",
    "script_json",
    "write_interactive_map",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InteractiveMap:
    """A rendered interactive map.

    Attributes
    ----------
    html
        The complete, self-contained HTML document.
    payload_bytes
        Size of the embedded data (UTF-8 bytes), for reporting.
    """

    html: str
    payload_bytes: int

    def save(self, path: Path | str) -> Path:
        """Write the HTML file atomically; returns the path."""
        path = Path(path)
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(self.html)
        return path

    def _repr_html_(self) -> str:
        """Inline display in Jupyter (an isolated iframe)."""
        return ('<iframe style="width:100%;height:640px;border:1px solid #ccc" '
                f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>')


# --------------------------------------------------------------------------------------------
# public API


def build_interactive_map(layers: MapLayers, *, basemap: str = "none",
                          tianditu_key: str = "") -> InteractiveMap:
    """Build the interactive map.

    Parameters
    ----------
    layers
        What to show (see :class:`~coverage.maps.MapLayers`).
    basemap
        ``"none"`` (default: the run's own roads, water and place names on a plain
        background, fully offline), ``"osm"`` (OpenStreetMap), ``"tianditu"`` (天地图 vec_w +
        cva_w; needs ``tianditu_key``) or ``"amap"`` (高德; its tiles are GCJ-02, so every
        overlay is shifted with :func:`coverage.crs.wgs84_to_gcj02` to line up).
    tianditu_key
        The 天地图 key (``tk``) for ``basemap="tianditu"``.

    Returns
    -------
    InteractiveMap
        The HTML document (display it in Jupyter, or :meth:`InteractiveMap.save` it).

    Raises
    ------
    InputError
        Unknown basemap, or 天地图 without a key.
    """
    tiles = _tile_layers(basemap, tianditu_key)
    shift = _gcj_shift if basemap == "amap" else None
    payload = build_payload(layers, shift=shift)
    payload["tiles"] = [{"url": u, "attr": a, "sub": _SUBDOMAINS[basemap]} for u, a in tiles]
    data = script_json(payload)
    title = html.escape(layers.meta.title)
    text = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n{leaflet_inline()}<style>{APP_CSS}</style>\n</head>\n"
        f"<body>\n{BODY_HTML}\n"
        f'<script type="application/json" id="cov-data">{data}</script>\n'
        f"<script>{CORE_JS}\n{UI_JS}</script>\n</body>\n</html>\n"
    )
    return InteractiveMap(html=text, payload_bytes=len(data.encode("utf-8")))


def render_interactive_html(layers: MapLayers, **kw: Any) -> str:
    """The map's complete HTML text (keywords as for :func:`build_interactive_map`)."""
    return build_interactive_map(layers, **kw).html


def write_interactive_map(layers: MapLayers, path: Path, **kw: Any) -> Path:
    """Write the map as one self-contained HTML file, atomically.

    Parameters
    ----------
    layers
        What to show.
    path
        The ``.html`` file to write (replaced only when complete).
    **kw
        ``basemap`` and ``tianditu_key`` as for :func:`build_interactive_map`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    t0 = time.perf_counter()
    built = build_interactive_map(layers, **kw)
    out = built.save(path)
    logger.info("wrote %s (%.2f MB, data %.2f MB) in %.1f s", out,
                len(built.html.encode("utf-8")) / 1e6, built.payload_bytes / 1e6,
                time.perf_counter() - t0)
    return out


def script_json(obj: object) -> str:
    """JSON safe to embed in a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c`` … so neither ``</script>`` nor ``<!--`` can
    appear; U+2028/U+2029 are escaped for old JavaScript parsers.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, safe in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                      ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, safe)
    return text


# --------------------------------------------------------------------------------------------
# basemaps

_SUBDOMAINS = {"none": "abc", "osm": "abc", "tianditu": "01234567", "amap": "1234"}


def _tile_layers(basemap: str, key: str) -> list[tuple[str, str]]:
    """(URL template, attribution) of the tile layers of ``basemap``."""
    if basemap not in BASEMAPS:
        raise InputError.single(f"unknown basemap '{basemap}'", column="map.basemap",
                                value=basemap, fix="use one of: " + ", ".join(BASEMAPS))
    if basemap == "none":
        return []
    if basemap == "osm":
        return [("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                 "© OpenStreetMap contributors")]
    if basemap == "amap":
        return [("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                 "&style=8&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi")]
    if not key.strip():
        raise InputError.single(
            "天地图 needs a key (tk)", column="map.tianditu_key",
            fix="apply for a key at console.tianditu.gov.cn and set map.tianditu_key, "
            'or use basemap = "none"')
    tk = quote(key.strip(), safe="")
    wmts = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")
    attribution = "© 天地图 国家地理信息公共服务平台"
    return [(wmts % ("vec", "vec") + tk, attribution),
            (wmts % ("cva", "cva") + tk, attribution)]


def _gcj_shift(coords: np.ndarray) -> np.ndarray:
    lon, lat = crs_mod.wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])
