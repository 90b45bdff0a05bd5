"""Page geometry of the printed sheets: boxes in millimetres, the page plan and block packing.

Everything on a sheet is placed in page millimetres (origin at the lower-left corner of the
paper), measured with the renderer before it is placed, so furniture never overlaps by
construction: the map frame takes the county's shape, the rest of the body becomes one or
two *panels* (below the map, beside it), and legends, the locator, the inset and the tables
are packed into the panels in columns.  :func:`plan_page` tries both orientations and both
panel sides and keeps the plan that shows the county largest with every block in place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

__all__ = ["A4_MM", "Block", "Box", "PagePlan", "mm_per_px", "new_figure", "pack", "plan_page",
           "scratch_figure", "wrap_text"]

#: A4 short and long side in millimetres.
A4_MM = (210.0, 297.0)
MM_PER_INCH = 25.4
#: Neat line (outer frame) distance from the paper edge.
MARGIN_MM = 9.0
#: Inner padding between the neat line and the content.
PAD_MM = 4.0
#: Gap between blocks and between the map and the panels.
GAP_MM = 4.0


@dataclass(frozen=True)
class Box:
    """A rectangle in page millimetres (``x0 < x1``, ``y0 < y1``, origin lower left)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    def frac(self, page_w: float, page_h: float) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) as fractions of the page (for ``add_axes``)."""
        return (self.x0 / page_w, self.y0 / page_h, self.w / page_w, self.h / page_h)

    def intersects(self, other: Box, tol: float = 1e-6) -> bool:
        return (self.x0 < other.x1 - tol and other.x0 < self.x1 - tol
                and self.y0 < other.y1 - tol and other.y0 < self.y1 - tol)

    def contains(self, other: Box, tol: float = 1e-6) -> bool:
        return (self.x0 - tol <= other.x0 and other.x1 <= self.x1 + tol
                and self.y0 - tol <= other.y0 and other.y1 <= self.y1 + tol)


@dataclass(frozen=True)
class Block:
    """Something to pack into a panel.

    Attributes
    ----------
    key
        Name of the block (``legend:status``, ``locator``, ``inset``, ``table`` …).
    w, h
        Size in millimetres.  A *square* block (the inset) may shrink down to ``min_side``.
    min_side
        Smallest acceptable side of a flexible square block (0: fixed size).
    optional
        May be left out when it does not fit (the caller is told which were left out).
    """

    key: str
    w: float
    h: float
    min_side: float = 0.0
    optional: bool = False

    def sizes(self) -> list[tuple[float, float]]:
        """Sizes to try, largest first."""
        out = [(self.w, self.h)]
        if self.min_side > 0:
            w, h = self.w, self.h
            while min(w, h) - 5.0 >= self.min_side - 1e-9:
                w, h = w - 5.0, h - 5.0
                out.append((w, h))
        return out


@dataclass(frozen=True)
class PagePlan:
    """Where everything goes on one page."""

    w_mm: float
    h_mm: float
    neat: Box
    title: Box
    footer: Box
    map: Box
    panels: tuple[Box, ...]
    placed: dict[str, Box]
    left_out: tuple[str, ...]

    @property
    def landscape(self) -> bool:
        return self.w_mm > self.h_mm


def mm_per_px(dpi: float) -> float:
    """Millimetres per renderer pixel at ``dpi``."""
    return MM_PER_INCH / dpi


def pack(blocks: Sequence[Block], panels: Sequence[Box]) -> tuple[dict[str, Box], list[str]]:
    """Pack ``blocks`` into ``panels`` in columns, in order; flexible blocks shrink to fit.

    Each panel is filled column by column from its upper-left corner: a block goes below the
    previous one while the column has height left, else it starts a new column to the right.
    A flexible block (an inset, a table chunk) takes the largest size that fits; when that
    leaves no room for a later required block, the packing is retried with the flexible
    blocks one step smaller.  An optional block that fits nowhere is left out; a required
    one makes the packing fail (``ValueError``).

    Returns
    -------
    (placed, left_out)
        Block key → box, and the keys of the optional blocks left out.
    """
    caps = {b.key: 0 for b in blocks}  # how many sizes to skip per flexible block
    while True:
        try:
            return _pack_once(blocks, panels, caps)
        except _NoRoomError as exc:
            flexible = [b for b in blocks[:exc.index]
                        if len(b.sizes()) > caps[b.key] + 1]
            if not flexible:
                raise ValueError(str(exc)) from None
            caps[flexible[0].key] += 1


class _NoRoomError(Exception):
    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def _pack_once(blocks: Sequence[Block], panels: Sequence[Box],
               caps: dict[str, int]) -> tuple[dict[str, Box], list[str]]:
    placed: dict[str, Box] = {}
    left_out: list[str] = []
    cursors = [_Cursor(p) for p in panels]
    for i, block in enumerate(blocks):
        box = None
        for w, h in block.sizes()[caps[block.key]:]:
            for cur in cursors:
                box = cur.take(w, h)
                if box is not None:
                    break
            if box is not None:
                break
        if box is None:
            if block.optional:
                left_out.append(block.key)
                continue
            raise _NoRoomError(
                f"block {block.key} ({block.w:.0f}×{block.h:.0f} mm) does not fit", i)
        placed[block.key] = box
    return placed, left_out


class _Cursor:
    """Column-flow cursor inside one panel."""

    def __init__(self, panel: Box) -> None:
        self.panel = panel
        self.col_x = panel.x0
        self.col_w = 0.0
        self.y = panel.y1  # next block's top

    def take(self, w: float, h: float) -> Box | None:
        p = self.panel
        if w > p.w + 1e-6 or h > p.h + 1e-6:
            return None
        # below the previous block in this column
        if self.col_w > 0 and self.y - GAP_MM - h >= p.y0 - 1e-6 \
                and self.col_x + w <= p.x1 + 1e-6:
            top = self.y - GAP_MM
            box = Box(self.col_x, top - h, self.col_x + w, top)
            self.y = box.y0
            self.col_w = max(self.col_w, w)
            return box
        # a new column
        x = self.col_x + (self.col_w + GAP_MM if self.col_w > 0 else 0.0)
        if x + w > p.x1 + 1e-6:
            return None
        box = Box(x, p.y1 - h, x + w, p.y1)
        self.col_x, self.col_w, self.y = x, w, box.y0
        return box


def plan_page(
    extent_w: float,
    extent_h: float,
    *,
    title_h: float,
    footer_h: float,
    blocks: Sequence[Block],
    min_panel: float = 48.0,
    orientations: Sequence[str] = ("portrait", "landscape"),
) -> PagePlan:
    """The page plan that shows an ``extent_w × extent_h`` map largest with every block placed.

    Tries portrait and landscape A4, with the panel below the map or to its right and panel
    thicknesses from ``min_panel`` up, packs ``blocks`` (plus the space the map leaves
    beside itself) and keeps the largest map scale; ties favour portrait.
    """
    best: tuple[float, PagePlan] | None = None
    aspect = extent_w / extent_h if extent_h > 0 else 1.0
    for orient in orientations:
        w_mm, h_mm = A4_MM if orient == "portrait" else A4_MM[::-1]
        neat = Box(MARGIN_MM, MARGIN_MM, w_mm - MARGIN_MM, h_mm - MARGIN_MM)
        inner = Box(neat.x0 + PAD_MM, neat.y0 + PAD_MM, neat.x1 - PAD_MM, neat.y1 - PAD_MM)
        title = Box(inner.x0, inner.y1 - title_h, inner.x1, inner.y1)
        footer = Box(inner.x0, inner.y0, inner.x1, inner.y0 + footer_h)
        body = Box(inner.x0, footer.y1 + GAP_MM, inner.x1, title.y0 - GAP_MM)
        for side in ("below", "right"):
            limit = body.h if side == "below" else body.w
            thickness = min_panel
            while thickness <= limit * 0.7:
                plan = _try(body, side, thickness, aspect, blocks, w_mm, h_mm, neat, title,
                            footer)
                thickness += 6.0
                if plan is None:
                    continue
                scale = plan.map.w / extent_w if extent_w > 0 else plan.map.w
                missed = sum(1 for k in plan.left_out if not k.startswith("table"))
                used = sum(b.w * b.h for b in plan.placed.values()) / (w_mm * h_mm)
                score = scale * 0.85 ** missed * (1 + 0.1 * used) \
                    * (1.0 if orient == "portrait" else 0.97)
                if best is None or score > best[0]:
                    best = (score, plan)
    if best is None:
        raise ValueError("the legends and tables do not fit on an A4 page")
    return best[1]


def _try(body: Box, side: str, thickness: float, aspect: float, blocks: Sequence[Block],
         w_mm: float, h_mm: float, neat: Box, title: Box, footer: Box) -> PagePlan | None:
    if side == "below":
        area = Box(body.x0, body.y0 + thickness + GAP_MM, body.x1, body.y1)
    else:
        area = Box(body.x0, body.y0, body.x1 - thickness - GAP_MM, body.y1)
    if area.w <= 20 or area.h <= 20:
        return None
    map_w = min(area.w, area.h * aspect)
    map_h = map_w / aspect
    panels: list[Box] = []
    if side == "below":
        # the map sits at the top left; what it leaves beside it joins the panels
        mbox = Box(area.x0, area.y1 - map_h, area.x0 + map_w, area.y1)
        if area.x1 - mbox.x1 - GAP_MM >= 30.0:
            panels.append(Box(mbox.x1 + GAP_MM, mbox.y0, area.x1, area.y1))
        else:  # centre the map over the panel
            dx = (area.w - map_w) / 2
            mbox = Box(mbox.x0 + dx, mbox.y0, mbox.x1 + dx, mbox.y1)
        panels.append(Box(body.x0, body.y0, body.x1, mbox.y0 - GAP_MM))
    else:
        mbox = Box(area.x0, area.y1 - map_h, area.x0 + map_w, area.y1)
        panels.append(Box(mbox.x1 + GAP_MM, body.y0, body.x1, body.y1))
        if mbox.y0 - GAP_MM - body.y0 >= 30.0:
            panels.append(Box(body.x0, body.y0, mbox.x1, mbox.y0 - GAP_MM))
    try:
        placed, left_out = pack(blocks, panels)
    except ValueError:
        return None
    return PagePlan(w_mm, h_mm, neat, title, footer, mbox, tuple(panels), placed,
                    tuple(left_out))


def wrap_text(text: str, width_mm: float, prop: FontProperties, renderer: RendererBase,
              dpi: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width_mm`` (CJK: between any characters).

    Latin words are kept whole when they fit a line; existing newlines are kept.
    """
    scale = mm_per_px(dpi)
    widths: dict[str, float] = {}

    def width(s: str) -> float:
        # the sum of the widths of the characters (kerning is negligible for CJK text);
        # each distinct character is measured once
        total = 0.0
        for ch in s:
            if ch not in widths:
                w, _, _ = renderer.get_text_width_height_descent(ch, prop, ismath=False)
                widths[ch] = float(w) * scale
            total += widths[ch]
        return total

    lines: list[str] = []
    for para in text.split("\n"):
        current = ""
        for token in _tokens(para):
            trial = current + token
            if current and width(trial) > width_mm:
                # no line starts with closing punctuation (禁则): carry the last
                # character of the full line down with it
                while token[:1] in _NO_LINE_START and len(current) > 1:
                    current, token = current[:-1], current[-1] + token
                lines.append(current.rstrip())
                current = token.lstrip()
                while width(current) > width_mm and len(current) > 1:  # a very long word
                    cut = max(1, math.floor(len(current) * width_mm / width(current)))
                    lines.append(current[:cut])
                    current = current[cut:]
            else:
                current = trial
        lines.append(current)
    return lines


#: Characters that must not begin a line in Chinese typesetting.
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…—·,.;:?!)%")


def _tokens(text: str) -> list[str]:
    """Latin words (with their trailing space) and single CJK characters."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        if ch.isspace() and out:
            out[-1] += ch
        else:
            out.append(ch)
    if word:
        out.append(word)
    return out


def new_figure(w_mm: float, h_mm: float, dpi: float = 100.0) -> Figure:
    """A figure on an Agg canvas that is drawn only when saved.

    GeoDataFrame.plot calls ``canvas.draw_idle()`` after every layer, which on a plain Agg
    canvas renders the whole page each time (70 full renders per run); the pages are drawn
    once, when they are saved.
    """
    fig = Figure(figsize=(w_mm / MM_PER_INCH, h_mm / MM_PER_INCH), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return fig



def scratch_figure(dpi: float = 100.0) -> tuple[Figure, Any]:
    """An A4 figure and its renderer, for measuring text and legends before layout."""
    fig = new_figure(*A4_MM, dpi=dpi)
    return fig, fig.canvas.get_renderer()  # type: ignore[attr-defined]

