"""Colours, Chinese labels, classes and the per-layer field whitelists shared by both maps.

Everything a planner sees is decided here once, so the interactive map and the printed sheets
tell the same story with the same colours.  Only the fields listed in the ``*_FIELDS`` tables
ever reach a popup or a label: personal data (负责人, 联系人, 电话, 身份证 …) that a ledger may
carry is never shown because it is never selected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from coverage.vocabulary import GAP_STATUS, KIND, STATUS

__all__ = [
    "DEMAND_FIELDS",
    "FACILITY_FIELDS",
    "ISOCHRONE_FIELDS",
    "KIND_MARKER",
    "KIND_SHAPE",
    "LAYER_TITLES",
    "RATE_CLASSES",
    "STATUS_STYLE",
    "SUBTYPE_LABELS",
    "SUGGESTION_COLOR",
    "SUGGESTION_FIELDS",
    "TIME_CLASSES",
    "TOWNSHIP_RATE_FIELDS",
    "fmt_value",
    "phase_colors",
    "rate_class",
    "time_class",
]

#: Layer-control names: what the layer shows for the 社会心理服务体系, not just the unit type.
LAYER_TITLES: dict[str, str] = {
    "village": "村（社区）心理咨询室",
    "community": "城市社区心理咨询室",
    "school": "学校心理辅导室",
    "health_center": "卫生院/社区卫生服务中心心理咨询室",
    "hospital": "医院心理门诊",
    "service_site": "心理服务站点",
    "governance_center": "综治中心心理咨询室",
    "petition_office": "信访接待场所心理服务室",
    "institution": "机关企事业单位心理服务站点",
    "rehab": "社区康复机构",
}

#: Marker radius (px) per kind: county-level facilities larger than village rooms.
KIND_RADIUS: dict[str, float] = {
    "village": 4.5, "community": 4.5, "school": 4.5, "institution": 4.5,
    "health_center": 6.0, "governance_center": 6.0, "petition_office": 6.0, "rehab": 6.0,
    "hospital": 7.5, "service_site": 7.5,
}

#: One marker shape per facility kind (both maps): matplotlib marker codes.  The
#: interactive map draws the same shapes on its canvas (:data:`KIND_SHAPE`).
KIND_MARKER: dict[str, str] = {
    "village": "o", "community": "p", "school": "s", "health_center": "^",
    "hospital": "P", "service_site": "*", "governance_center": "D", "petition_office": "v",
    "institution": "h", "rehab": "X",
}
#: The same shapes by name, for the browser (``circle``, ``pentagon`` …).
KIND_SHAPE: dict[str, str] = {
    "village": "circle", "community": "pentagon", "school": "square",
    "health_center": "triangle", "hospital": "plus", "service_site": "star",
    "governance_center": "diamond", "petition_office": "triangle_down",
    "institution": "hexagon", "rehab": "cross",
}

# The palette is colour-blind safe, gives each colour one meaning in both maps (the
# interactive 一张图 and the printed sheets), and keeps its classes apart in greyscale print:
# blue = a room exists (built points dark blue; townships that meet their target pale blue),
# orange = behind target (light and dark orange townships, dark orange rings for uncovered
# people), purple = in the pipeline (在建 light purple fill, 规划 white fill, both with a dark
# purple ring), a black ring = no room, magenta = suggested new sites (first year darkest),
# viridis = travel time.  There is no red/green pair and no green fill.

#: Status → (stroke, fill or None for hollow, label).  NA status is "未填报".  The fills differ
#: in lightness (L* ≈ 35 / 78 / 100 / hollow), so built and 在建 stay apart in greyscale.
STATUS_STYLE: dict[str, tuple[str, str | None, str]] = {
    "built": ("#08306b", "#2166ac", STATUS.label("built")),
    "under_construction": ("#3f007d", "#bcbddc", STATUS.label("under_construction")),
    "planned": ("#54278f", "#ffffff", STATUS.label("planned")),
    "none": ("#1a1a1a", None, STATUS.label("none")),
    "na": ("#737373", "#d9d9d9", "未填报"),
}

SUBTYPE_LABELS: dict[str, str] = {
    "primary": "小学", "middle": "初中", "high": "高中", "secondary": "九年一贯制/完全中学",
    "vocational": "中等职业学校", "college": "高等院校",
    "general": "综合医院", "tcm": "中医院", "maternal": "妇幼保健院",
    "psychiatric": "精神专科医院",
    "township_hc": "乡镇卫生院", "community_hc": "社区卫生服务中心",
}

#: (column, 中文标签) shown in facility popups, in this order.  Nothing else is shown.
FACILITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("kind", "类别"), ("subtype", "类型"), ("status", "建设状态"),
    ("township_name", "所属乡镇（街道）"), ("id", "代码"), ("population", "常住人口"),
    ("grade", "医院等级"), ("enrolment", "在校学生数"), ("counsellors", "心理咨询员"),
    ("social_workers", "社会工作者"), ("psychiatrists", "精神科医师"),
    ("psych_teachers", "心理健康教育教师"), ("professionals", "心理服务专业人员"),
    ("demonstration", "示范点"),
)
DEMAND_FIELDS: tuple[tuple[str, str], ...] = (
    ("kind", "类别"), ("township_name", "所属乡镇（街道）"), ("population", "常住人口"),
    ("service_name", "服务"), ("time_min", "出行时间"), ("dist_m", "距离"),
    ("covered", "是否覆盖"),
)
ISOCHRONE_FIELDS: tuple[tuple[str, str], ...] = (
    ("service_name", "服务"), ("minutes", "时间阈值"), ("mode", "出行方式"),
)
SUGGESTION_FIELDS: tuple[tuple[str, str], ...] = (
    ("rank", "建议顺序"), ("township_name", "所属乡镇（街道）"), ("phase", "建设年度"),
    ("gain_population", "新增覆盖人口"), ("explanation", "理由"),
)
TOWNSHIP_RATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("indicator_name", "指标"), ("rate", "完成率"), ("target", "目标"),
    ("numerator", "已建成"), ("denominator", "应建"), ("shortfall", "缺口"),
    ("citation", "依据"),
)

#: Township completion classes: key → (fill, label).  Met light blue, near light orange, far
#: dark orange (CIE L* ≈ 86 / 77 / 58: the further from the target the darker, also in
#: greyscale); no data very light grey (hatched in print).
RATE_CLASSES: dict[str, tuple[str, str]] = {
    "met": ("#c6dbef", GAP_STATUS.label("met")),
    "near": ("#fdae6b", "差距较小（10个百分点以内）"),
    "far": ("#e6550d", "差距较大"),
    "nodata": ("#f0f0f0", GAP_STATUS.label("no_data")),
}

#: Travel-time classes: key → (upper bound in minutes, colour, label).
#: (viridis: ordered, colour-blind safe, not confused with the status colours)
TIME_CLASSES: dict[str, tuple[float, str, str]] = {
    "t15": (15.0, "#2a788e", "≤15 分钟"),
    "t30": (30.0, "#22a884", "15–30 分钟"),
    "t45": (45.0, "#a5db36", "30–45 分钟"),
    "t45p": (math.inf, "#fde725", ">45 分钟"),
    "unreach": (math.nan, "#440154", "不可达"),
}

#: Outline of every travel-time point (keeps the pale class visible on a light map).
TIME_EDGE = "#5d4037"
UNCOVERED_COLOR = "#d55e00"
COUNTY_COLOR = "#37474f"
TOWNSHIP_COLOR = "#607d8b"
VILLAGE_COLOR = "#b0bec5"
ISOCHRONE_COLORS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef")

_MODE_LABELS = {"walk": "步行", "drive": "驾车", "bike": "骑行", "cycle": "骑行"}
#: Suggested sites by build year: one magenta ramp, the first year darkest (apart in
#: greyscale by lightness); text on a badge: white on dark, ink on light.
PHASE_PALETTE: tuple[str, ...] = ("#7a0177", "#c51b8a", "#f768a1", "#fa9fb5", "#fcc5c0",
                                  "#feebe2")
PHASE_TEXT: tuple[str, ...] = ("white", "white", "#1b1b1b", "#1b1b1b", "#1b1b1b", "#1b1b1b")
#: matplotlib box style of the rank badge per phase (the shape tells the phase in print too).
PHASE_BADGE: tuple[str, ...] = ("circle", "square", "round4", "circle", "square", "round4")
_PHASE_PALETTE = PHASE_PALETTE
#: A suggested site without a build year.
SUGGESTION_COLOR = PHASE_PALETTE[0]


def rate_class(rate: object, target: object) -> str:
    """Class of a completion rate against its target: ``met``, ``near``, ``far``, ``nodata``.

    ``near`` means below the target by at most 10 percentage points.
    """
    if _missing(rate) or _missing(target):
        return "nodata"
    r, t = float(rate), float(target)  # type: ignore[arg-type]
    if r >= t - 1e-9:
        return "met"
    return "near" if t - r <= 0.10 + 1e-9 else "far"


def time_class(minutes: object) -> str:
    """Travel-time class key of :data:`TIME_CLASSES` (NaN/NA → ``unreach``)."""
    if _missing(minutes):
        return "unreach"
    m = float(minutes)  # type: ignore[arg-type]
    for key, (upper, _, _) in TIME_CLASSES.items():
        if m <= upper:
            return key
    return "unreach"  # pragma: no cover - inf catches every finite value


def phase_label(phase: object) -> str:
    """Legend text of a build phase: 1 → 第1年建设, "2027年" → 2027年建设."""
    text = str(phase)
    return f"第{text}年建设" if text.isdigit() else f"{text}建设"


def phase_colors(phases: Sequence[object]) -> dict[str, str]:
    """Colour per distinct phase (text), earliest phase first and darkest."""
    keys = sorted({str(p) for p in phases if not _missing(p)},
                  key=lambda k: (0, int(k), "") if k.isdigit() else (1, 0, k))
    return {k: _PHASE_PALETTE[i % len(_PHASE_PALETTE)] for i, k in enumerate(keys)}


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return False


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def fmt_value(column: str, value: object) -> str | None:
    """Human Chinese text for one whitelisted field value; ``None`` when missing.

    Examples
    --------
    >>> fmt_value("rate", 0.8567)
    '85.7%'
    >>> fmt_value("status", "under_construction")
    '在建'
    """
    if _missing(value):
        return None
    if column == "kind":
        return KIND.label(str(value))
    if column == "status":
        return STATUS_STYLE.get(str(value), ("", "", str(value)))[2]
    if column == "subtype":
        return SUBTYPE_LABELS.get(str(value), str(value))
    if column == "mode":
        return _MODE_LABELS.get(str(value), str(value))
    if column in ("rate", "target"):
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if column == "time_min":
        return f"{float(value):.1f} 分钟"  # type: ignore[arg-type]
    if column == "minutes":
        return f"{float(value):g} 分钟"  # type: ignore[arg-type]
    if column == "dist_m":
        d = float(value)  # type: ignore[arg-type]
        return f"{d / 1000:.1f} 公里" if d >= 1000 else f"{d:.0f} 米"
    if column in ("population", "gain_population"):
        return _number(float(value)) + " 人"  # type: ignore[arg-type]
    if column in ("covered", "demonstration"):
        return "是" if bool(value) else "否"
    if column == "grade":
        g = int(float(value))  # type: ignore[arg-type]
        return {0: "未定级", 1: "一级", 2: "二级", 3: "三级"}.get(g, str(g))
    if column in ("numerator", "denominator", "shortfall", "enrolment", "counsellors",
                  "social_workers", "psychiatrists", "psych_teachers", "professionals"):
        v = float(value)  # type: ignore[arg-type]
        return _number(v) if v.is_integer() else _number(v, 1)
    if column == "phase":
        text = str(value)
        if isinstance(value, float | np.floating) and float(value).is_integer():
            text = str(int(value))
        return text + ("年" if text.isdigit() and len(text) == 4 else "")
    if column == "rank":
        return str(int(float(value)))  # type: ignore[arg-type]
    text = str(value).strip()
    return text or None


#: Reference roads: road_class → (colour, width pt, legend group).  Muted: they sit under
#: the thematic layers.
ROAD_STYLE: dict[str, tuple[str, float, str]] = {
    "motorway": ("#a1887f", 1.6, "高速公路、国道"),
    "trunk": ("#a1887f", 1.3, "高速公路、国道"),
    "primary": ("#bcaaa4", 1.0, "省道、主干道"),
    "secondary": ("#bcaaa4", 0.8, "省道、主干道"),
    "tertiary": ("#cfc8c4", 0.6, "县乡道路"),
    "minor": ("#d9d4d0", 0.4, "县乡道路"),
    "track": ("#e0dcd8", 0.3, "其他道路"),
    "path": ("#e0dcd8", 0.3, "其他道路"),
}
#: Water: lines (river, canal …) and areas (lake, reservoir …).
WATER_LINE = "#5b9bd5"
WATER_FILL = "#cfe3f3"
WATER_LABEL = "河流、水面"
