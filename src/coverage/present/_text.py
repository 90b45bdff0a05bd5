"""Plain-text tables that line up in a terminal with Chinese text (CJK is 2 columns wide)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pandas as pd

__all__ = ["display_width", "frame_text", "pad", "text_table"]


def display_width(text: object) -> int:
    """Columns a text takes on screen: East Asian wide/full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in str(text))


def pad(text: str, width: int, *, right: bool = False) -> str:
    """Pad ``text`` with spaces to ``width`` display columns (left-aligned by default)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               right: Sequence[bool] | None = None) -> list[str]:
    """Header, a rule and the rows, columns padded to their widest cell."""
    right = right if right is not None else [False] * len(header)
    widths = [max([display_width(h)] + [display_width(r[i]) for r in rows])
              for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(pad(c, w, right=rt)
                         for c, w, rt in zip(cells, widths, right, strict=True)).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def frame_text(frame: pd.DataFrame) -> str:
    """A DataFrame as an aligned text table (missing values blank)."""
    rows = [["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
             for v in row] for row in frame.itertuples(index=False)]
    return "\n".join(text_table([str(c) for c in frame.columns], rows))
