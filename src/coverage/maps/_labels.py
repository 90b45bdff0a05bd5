"""Map labels placed without collisions: point labels around their symbol, area labels inside.

A small cartographic labeller in the spirit of Imhof's rules: each label tries a list of
candidate positions in order of preference (upper right of the point first, then the other
corners and sides, then further rings with a thin leader line) and takes the first whose box
stays inside the map frame and touches no placed label, no point symbol and no furniture.
Labels are placed by priority, so township names win over village names.  Boxes are
measured with the renderer, so what the test checks is what prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.lines import Line2D
from matplotlib.text import Text

__all__ = ["LabelPlacer", "PointLabel"]

#: Unit directions of the candidate positions, in order of preference (Imhof).
_DIRECTIONS = ((1, 1), (-1, 1), (1, -1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1))
#: Score added per ring away from the anchor, in units of "label area covering points".
_RING_PENALTY = 0.35
#: 16 directions for the outer rings (with a leader line).
_RING = tuple((float(np.cos(a)), float(np.sin(a)))
              for a in np.linspace(np.pi / 4, np.pi / 4 + 2 * np.pi, 16, endpoint=False))


@dataclass
class PointLabel:
    """One label to place.

    Attributes
    ----------
    anchors
        Data coordinates the label belongs to.  Point labels use one anchor and go around it;
        area labels (``centred``) give several interior points and sit centred on one.
    text
        The label.
    style
        Keyword arguments of :class:`matplotlib.text.Text` (fontsize, color, bbox …).
    priority
        Lower is placed first.
    radius_px
        Half the size of the point symbol: the label keeps this far from the anchor.
    required
        Place it even when every candidate collides (then at the least-bad position); an
        optional label that does not fit is dropped.
    centred
        An area label: centred on one of the anchors, no leader line.
    gid
        Group id set on the text artist (tests find labels by it).
    """

    anchors: Sequence[tuple[float, float]]
    text: str
    style: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    radius_px: float = 4.0
    required: bool = False
    centred: bool = False
    gid: str = "label"


class LabelPlacer:
    """Places labels on one axes without overlaps.

    Parameters
    ----------
    ax
        The map axes; its limits and position must be final.
    renderer
        The figure's renderer (for text extents).
    obstacles
        Boxes ``(x0, y0, x1, y1)`` in display pixels labels must avoid (point symbols,
        scale bar, north arrow …).
    margin_px
        Free space kept around each label.
    """

    def __init__(self, ax: Axes, renderer: RendererBase, *,
                 obstacles: np.ndarray | None = None, margin_px: float = 1.5) -> None:
        self.ax = ax
        self.renderer = renderer
        self.frame = ax.get_window_extent(renderer)
        self.margin = margin_px
        self._obstacles = (np.asarray(obstacles, dtype=float).reshape(-1, 4)
                           if obstacles is not None else np.empty((0, 4)))
        self._boxes: list[tuple[float, float, float, float]] = []
        self.placed: list[Text] = []
        self.dropped: list[str] = []
        self.forced: list[str] = []

    def add_obstacles(self, boxes: np.ndarray) -> None:
        """More boxes (display pixels) to avoid."""
        boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
        self._obstacles = np.vstack([self._obstacles, boxes])

    @property
    def boxes(self) -> np.ndarray:
        """The placed label boxes (display pixels), one row per label."""
        return np.asarray(self._boxes, dtype=float).reshape(-1, 4)

    def place(self, labels: Sequence[PointLabel]) -> list[Text | None]:
        """Place ``labels`` by priority; returns the text artist of each (None: dropped)."""
        order = sorted(range(len(labels)), key=lambda i: labels[i].priority)
        out: list[Text | None] = [None] * len(labels)
        for i in order:
            out[i] = self._place_one(labels[i])
        return out

    # ------------------------------------------------------------------------------------

    def _place_one(self, lab: PointLabel) -> Text | None:
        style = {"zorder": 30, **lab.style}
        probe = self.ax.text(0, 0, lab.text, ha="left", va="bottom", **style)
        bb = probe.get_window_extent(self.renderer)
        pad = _bbox_pad_px(probe, self.renderer)
        w, h = bb.width + 2 * pad[0], bb.height + 2 * pad[1]
        anchors = self.ax.transData.transform(np.asarray(lab.anchors, dtype=float).reshape(-1, 2))
        f = self.frame
        seen = ((anchors[:, 0] >= f.x0) & (anchors[:, 0] <= f.x1)
                & (anchors[:, 1] >= f.y0) & (anchors[:, 1] <= f.y1))
        if not seen.any():  # the labelled feature is outside this map: nothing to label
            probe.remove()
            return None
        anchors = anchors[seen]
        # among the positions that touch no other label, take the one that covers the
        # least of the point symbols, with a penalty per ring away from the anchor (a
        # label over a point or two reads better than one at the end of a long leader)
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        worst: tuple[float, np.ndarray, np.ndarray] | None = None
        area = max(w * h, 1.0)
        for (ax_, ay_), lead, ring in self._candidates(anchors, w, h, lab):
            box = np.array([ax_, ay_, ax_ + w, ay_ + h])
            clash, covered = self._cost(box)
            if clash > 0:
                if lab.required and clash < 1e9 and (worst is None or clash < worst[0]):
                    worst = (clash, box, lead)
                continue
            score = covered / area + _RING_PENALTY * ring
            if best is None or score < best[0]:
                best = (score, box, lead)
                if score == 0.0:
                    break
        if best is not None:
            return self._commit(probe, best[1], pad, lab, best[2])
        if worst is None:
            probe.remove()
            self.dropped.append(lab.text)
            return None
        self.forced.append(lab.text)
        return self._commit(probe, worst[1], pad, lab, worst[2])

    def _candidates(self, anchors: np.ndarray, w: float, h: float, lab: PointLabel
                    ) -> list[tuple[tuple[float, float], np.ndarray, int]]:
        """Lower-left corners of candidate boxes, the anchor for a leader line (NaN: none)
        and the ring number (0: next to the anchor)."""
        out: list[tuple[tuple[float, float], np.ndarray, int]] = []
        none = np.array([np.nan, np.nan])
        if lab.centred:
            for k, (x, y) in enumerate(anchors):
                for dx, dy in ((0, 0), (0, 0.6), (0, -0.6), (0.35, 0), (-0.35, 0),
                               (0.35, 0.6), (-0.35, 0.6), (0.35, -0.6), (-0.35, -0.6)):
                    ring = 0 if k == 0 and (dx, dy) == (0, 0) else 1
                    out.append(((x - w / 2 + dx * w, y - h / 2 + dy * h), none, ring))
            return out
        x, y = anchors[0]
        r = lab.radius_px + self.margin
        for dx, dy in _DIRECTIONS:
            out.append((_corner(x, y, dx, dy, r, w, h), none, 0))
        step = max(h, 8.0)
        for ring in range(1, 7):
            dist = r + ring * step
            for dx, dy in _RING:
                out.append((_corner(x, y, dx, dy, dist, w, h), np.array([x, y]), ring))
        return out

    def _cost(self, box: np.ndarray) -> tuple[float, float]:
        """(overlap with placed labels, 1e9 outside the frame; overlap with obstacles)."""
        f = self.frame
        m = self.margin
        if box[0] < f.x0 + m or box[1] < f.y0 + m or box[2] > f.x1 - m or box[3] > f.y1 - m:
            return 1e9, 0.0
        grown = box + np.array([-m, -m, m, m])
        clash = _overlap(grown, self.boxes) if self._boxes else 0.0
        covered = _overlap(grown, self._obstacles) if len(self._obstacles) else 0.0
        return clash, covered

    def _commit(self, probe: Text, box: np.ndarray, pad: tuple[float, float],
                lab: PointLabel, lead: np.ndarray) -> Text:
        x, y = self.ax.transData.inverted().transform((box[0] + pad[0], box[1] + pad[1]))
        probe.set_position((x, y))
        probe.set_gid(lab.gid)
        self._boxes.append((float(box[0]), float(box[1]), float(box[2]), float(box[3])))
        self.placed.append(probe)
        if not np.isnan(lead).any():
            # leader from the anchor to the nearest point of the label box
            tx = min(max(lead[0], box[0]), box[2])
            ty = min(max(lead[1], box[1]), box[3])
            ends = np.array([[lead[0], lead[1]], [tx, ty]], dtype=float)
            (x0, y0), (x1, y1) = self.ax.transData.inverted().transform(ends)
            self.ax.add_line(Line2D([x0, x1], [y0, y1], color="#546e7a", linewidth=0.5,
                                    zorder=probe.get_zorder() - 1))
        return probe


def _corner(x: float, y: float, dx: float, dy: float, r: float, w: float,
            h: float) -> tuple[float, float]:
    """Lower-left corner of a ``w × h`` box at distance ``r`` from (x, y) in direction d."""
    cx = x + dx * r + (w / 2) * np.sign(dx) if abs(dx) > 0.3 else x
    cy = y + dy * r + (h / 2) * np.sign(dy) if abs(dy) > 0.3 else y
    return float(cx - w / 2), float(cy - h / 2)


def _overlap(box: np.ndarray, boxes: np.ndarray) -> float:
    """Total overlap area of ``box`` with each row of ``boxes``."""
    ix = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    iy = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float(np.sum(np.clip(ix, 0, None) * np.clip(iy, 0, None)))


def _bbox_pad_px(text: Text, renderer: RendererBase) -> tuple[float, float]:
    """Extra size (x, y) of a text's bbox patch beyond its glyphs, per side."""
    patch = text.get_bbox_patch()
    if patch is None:
        return 0.0, 0.0
    text.update_bbox_position_size(renderer)
    outer = patch.get_window_extent(renderer)
    inner = text.get_window_extent(renderer)
    return (max(0.0, (outer.width - inner.width) / 2),
            max(0.0, (outer.height - inner.height) / 2))
