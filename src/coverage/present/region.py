"""Presentation of a loaded region: counts per level, layer and status (``coverage validate``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from coverage.region import Region, located_mask
from coverage.vocabulary import ADMIN_LEVEL, KIND, LOCATION_STATUS, STATUS, STATUSES

__all__ = ["summary_table"]


def summary_table(region: Region) -> pd.DataFrame:
    """Counts per admin level and per layer kind and status, in Chinese."""
    rows: list[dict[str, Any]] = []
    for level, gdf in region.admin.items():
        name = ADMIN_LEVEL.label(level)
        if level == "township" and region.approximate_townships:
            name += "（按代码推算的示意范围）"
        rows.append({"类别": "行政区划", "名称": name, "数量": len(gdf)})
    for kind, gdf in region.layers.items():
        row: dict[str, Any] = {"类别": "点位图层", "名称": KIND.label(kind), "数量": len(gdf)}
        if gdf["status"].notna().any():
            counts = gdf["status"].value_counts()
            for s in STATUSES:
                row[STATUS.label(s)] = int(counts.get(s, 0))
        unlocated = int((~located_mask(gdf)).sum())
        if unlocated:
            row[LOCATION_STATUS.label("unlocated")] = unlocated
        if "population" in gdf:
            row["人口"] = round(float(gdf["population"].sum()))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in frame.columns[2:]:
        frame[col] = frame[col].astype("Int64")
    return frame.astype("string").fillna("")
