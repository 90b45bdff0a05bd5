"""Built-in vocabularies that turn a planner's cell values into canonical values.

Ledgers say 是/否, 已建成/在建/未建, 1/0, √ … for the same thing; schools are 小学, 初中,
九年一贯制学校; hospitals are 综合医院, 中医医院, 精神病防治院.  A region config can replace
any vocabulary (``status_values``, ``subtype_values``); these are the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "DEFAULT_STATUS_VALUES",
    "DEFAULT_SUBTYPE_VALUES",
    "normalize_cell",
    "parse_bool",
    "parse_grade",
    "township_key",
]

DEFAULT_STATUS_VALUES: dict[str, tuple[str, ...]] = {
    "built": ("是", "已建成", "已建", "建成", "有", "已设立", "已开设", "开设", "1", "y", "yes",
              "true", "√", "✓", "built"),
    "under_construction": ("在建", "建设中", "正在建设", "under_construction"),
    "planned": ("规划", "计划", "拟建", "规划中", "计划建设", "planned"),
    "none": ("否", "未建", "无", "没有", "未设立", "未开设", "0", "n", "no", "false", "×", "",
             "none"),
}

DEFAULT_SUBTYPE_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "school": {
        "primary": ("小学", "完全小学", "中心小学", "primary"),
        "middle": ("初中", "初级中学", "middle"),
        "high": ("高中", "高级中学", "普通高中", "high"),
        "secondary": ("九年一贯制", "九年一贯制学校", "完全中学", "十二年一贯制", "secondary"),
        "vocational": ("职业中专", "中等职业学校", "职业高中", "职业学校", "职教中心",
                       "vocational"),
        "college": ("高校", "职业学院", "职业技术学院", "高等职业学校", "大学", "学院", "college"),
    },
    "hospital": {
        "general": ("综合医院", "人民医院", "general"),
        "tcm": ("中医院", "中医医院", "中西医结合医院", "tcm"),
        "maternal": ("妇幼保健院", "妇幼保健计划生育服务中心", "maternal"),
        "psychiatric": ("精神专科医院", "精神病医院", "精神病防治院", "精神卫生中心",
                        "心理健康中心", "psychiatric"),
    },
    "health_center": {
        "township_hc": ("乡镇卫生院", "卫生院", "中心卫生院", "township_hc"),
        "community_hc": ("社区卫生服务中心", "community_hc"),
    },
}

_GRADE_WORDS = {"三": 3, "二": 2, "一": 1, "3": 3, "2": 2, "1": 1}


def normalize_cell(value: object) -> str:
    """Strip, fold full-width spaces and lower-case a cell for vocabulary matching."""
    text = "" if value is None else str(value)
    return text.replace("\u3000", " ").strip().lower()


def parse_grade(value: str) -> int | None:
    """Parse a hospital grade: 三级甲等 → 3, 二级 → 2, "2" → 2, 未定级 → 0.

    Returns ``None`` when the text is not a grade.
    """
    text = normalize_cell(value)
    if text in ("", "未定级", "无", "0"):
        return 0
    m = re.match(r"^([一二三123])\s*级?", text)
    if m:
        return _GRADE_WORDS[m.group(1)]
    return None


def parse_bool(value: str) -> bool | None:
    """Parse a yes/no cell; ``None`` when it is not one."""
    text = normalize_cell(value)
    if text in ("是", "1", "y", "yes", "true", "√", "✓", "示范点", "有"):
        return True
    if text in ("否", "0", "n", "no", "false", "×", "", "无"):
        return False
    return None


_SUFFIXES = ("街道办事处", "办事处", "街道", "镇", "乡", "人民政府")


def township_key(name: str) -> str:
    """Normalise a township name for matching: 泉林镇 / 泉林 / 泉林镇人民政府 → 泉林."""
    text = normalize_cell(name).replace(" ", "")
    changed = True
    while changed:
        changed = False
        for s in _SUFFIXES:
            if text.endswith(s) and len(text) > len(s):
                text = text[: -len(s)]
                changed = True
    return text


def build_lookup(vocab: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert ``canonical -> raw values`` into ``normalized raw -> canonical``."""
    out: dict[str, str] = {}
    for canon, raws in vocab.items():
        for raw in raws:
            out.setdefault(normalize_cell(raw), canon)
    return out
