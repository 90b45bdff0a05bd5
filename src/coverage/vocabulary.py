"""Every code the stages use, with its Chinese and English label: the project's one glossary.

Stages compute and store **codes** (``built``, ``met``, ``covered``, ``optimal`` …); only the
presentation layer (:mod:`coverage.present`, the maps, the report) turns them into words, and
it does so through this module.  Nothing in the stages branches on a display word, and each
label is defined exactly once, here.

Each group is a :class:`Terms` mapping ``code -> Term(zh, en)``::

    from coverage.vocabulary import GAP_STATUS, label
    GAP_STATUS["unmet"].zh          # '未达标'
    label(GAP_STATUS, "unmet")      # '未达标'
    label(GAP_STATUS, "unmet", lang="en")   # 'not met'

This module sits at the bottom of the package: it imports nothing from ``coverage``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACCESS_STATUS",
    "ADMIN_LEVEL",
    "ADMIN_LEVELS",
    "CANONICAL_FIELDS",
    "COLUMNS",
    "GAP_STATUS",
    "INDICATOR_KIND",
    "KIND",
    "KNOWN_KINDS",
    "LOCATION_STATUS",
    "MODE",
    "MODEL",
    "NETWORK_FIT",
    "SCOPE",
    "SOLVER_STATUS",
    "STATUS",
    "STATUSES",
    "SUBTYPE",
    "SUGGEST_REASON",
    "TOWNSHIP_SOURCE",
    "YES_NO",
    "Lang",
    "Term",
    "Terms",
    "label",
]

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Term:
    """The words for one code."""

    zh: str
    en: str

    def __call__(self, lang: Lang = "zh") -> str:
        return self.zh if lang == "zh" else self.en


class Terms(Mapping[str, Term]):
    """An ordered, read-only group of codes with their labels.

    Unknown codes are a programming error (``KeyError``); :meth:`label` falls back to the
    code itself for values that come from user data (e.g. a custom subtype).
    """

    def __init__(self, name: str, items: Mapping[str, tuple[str, str]]) -> None:
        self.name = name
        self._items = {code: Term(zh, en) for code, (zh, en) in items.items()}

    def __getitem__(self, code: str) -> Term:
        return self._items[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Terms({self.name!r}, {list(self._items)})"

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes, in order."""
        return tuple(self._items)

    def label(self, code: object, lang: Lang = "zh") -> str:
        """The label of ``code``; the code itself (as text) when it is not in the group."""
        term = self._items.get(str(code)) if code is not None else None
        return term(lang) if term is not None else ("" if code is None else str(code))

    def labels(self, lang: Lang = "zh") -> dict[str, str]:
        """``code -> label`` for the whole group."""
        return {code: term(lang) for code, term in self._items.items()}


def label(terms: Terms, code: object, lang: Lang = "zh") -> str:
    """The label of ``code`` in ``terms`` (the code itself when unknown)."""
    return terms.label(code, lang)


# ------------------------------------------------------------------------------- places

ADMIN_LEVEL = Terms("admin_level", {
    "county": ("县（市、区）", "county"),
    "township": ("乡镇（街道）", "township"),
    "village": ("村（社区）", "village/community"),
})
ADMIN_LEVELS: tuple[str, ...] = ADMIN_LEVEL.codes

KIND = Terms("kind", {
    "village": ("行政村", "village"),
    "community": ("城市社区", "urban community"),
    "school": ("学校", "school"),
    "health_center": ("乡镇卫生院/社区卫生服务中心", "health centre"),
    "hospital": ("医院", "hospital"),
    "service_site": ("心理服务站点", "psychological service site"),
    "governance_center": ("综治中心", "social governance centre"),
    "petition_office": ("信访接待场所", "petition office"),
    "institution": ("机关企事业单位", "institution or enterprise"),
    "rehab": ("社区康复机构", "community rehabilitation facility"),
})
KNOWN_KINDS: tuple[str, ...] = KIND.codes

#: Status of the psychological service room at a unit.
STATUS = Terms("status", {
    "built": ("已建成", "built"),
    "under_construction": ("在建", "under construction"),
    "planned": ("规划", "planned"),
    "none": ("未建", "not built"),
})
STATUSES: tuple[str, ...] = STATUS.codes

SUBTYPE = Terms("subtype", {
    "primary": ("小学", "primary school"),
    "middle": ("初中", "middle school"),
    "high": ("高中", "high school"),
    "secondary": ("九年一贯制/完全中学", "combined secondary school"),
    "vocational": ("中等职业学校", "vocational school"),
    "college": ("高等院校", "college"),
    "general": ("综合医院", "general hospital"),
    "tcm": ("中医院", "TCM hospital"),
    "maternal": ("妇幼保健院", "maternal and child hospital"),
    "psychiatric": ("精神专科医院", "psychiatric hospital"),
    "township_hc": ("乡镇卫生院", "township health centre"),
    "community_hc": ("社区卫生服务中心", "community health centre"),
})

#: Whether a row of a 台账 could be placed on the map.
LOCATION_STATUS = Terms("location_status", {
    "located": ("已定位", "located"),
    "unlocated": ("未定位", "not located"),
})

#: Where a point's township came from.
TOWNSHIP_SOURCE = Terms("township_source", {
    "polygon": ("乡镇边界", "township polygon"),
    "nearest": ("最近乡镇（位于边界缝隙）", "nearest township (point in a gap)"),
    "overlap": ("重叠区按代码归属", "overlap resolved by code"),
    "code": ("统计用区划代码", "division code"),
    "table": ("台账所属乡镇", "ledger township column"),
})

YES_NO = Terms("yes_no", {"yes": ("是", "yes"), "no": ("否", "no")})

#: canonical field -> (type, 中文 label).  "str" fields stay text; "float" are parsed numbers.
CANONICAL_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("str", "代码"),
    "name": ("str", "名称"),
    "lon": ("coord", "经度"),
    "lat": ("coord", "纬度"),
    "wkt": ("wkt", "WKT几何"),
    "township": ("str", "所属乡镇"),
    "status": ("status", "建设状态"),
    "population": ("float", "人口"),
    "ur_code": ("str", "城乡分类代码"),
    "subtype": ("subtype", "类别"),
    "grade": ("grade", "等级"),
    "enrolment": ("float", "在校学生数"),
    "counsellors": ("float", "心理咨询员"),
    "social_workers": ("float", "社会工作者"),
    "psychiatrists": ("float", "精神科医师"),
    "psych_teachers": ("float", "心理健康教育教师"),
    "professionals": ("float", "心理服务专业人员"),
    "demonstration": ("bool", "示范点"),
    "cost": ("float", "建设成本(万元)"),
    "capacity": ("float", "服务能力"),
}

# ------------------------------------------------------------------------------- targets

INDICATOR_KIND = Terms("indicator_kind", {
    "rate": ("建成率/覆盖率", "rate"),
    "count": ("数量", "count"),
    "per_population": ("每N人口配比", "per population"),
    "staff_ratio": ("人员配比", "staff ratio"),
})
SCOPE = Terms("scope", {
    "county": ("县级", "county"),
    "township": ("每个乡镇(街道)", "every township"),
    "village": ("每个单位(村居/机构)", "every unit"),
})
#: Outcome of one indicator for one unit.
GAP_STATUS = Terms("gap_status", {
    "met": ("达标", "met"),
    "unmet": ("未达标", "not met"),
    "no_data": ("无数据", "no data"),
    "not_applicable": ("不适用", "not applicable"),
})

# ------------------------------------------------------------------------------- access

MODE = Terms("mode", {"walk": ("步行", "walk"), "drive": ("驾车", "drive")})
ACCESS_STATUS = Terms("access_status", {
    "covered": ("已覆盖", "covered"),
    "beyond_threshold": ("超出标准时间", "beyond the time standard"),
    "unreachable": ("路网不可达", "not reachable on the road network"),
    "off_network": ("距路网过远", "too far from the road network"),
    "no_site": ("无服务站点", "no service site"),
})
NETWORK_FIT = Terms("network_fit", {
    "ok": ("路网覆盖全县", "the road network covers the region"),
    "partial": ("路网只覆盖部分地区", "the road network covers part of the region"),
    "disjoint": ("路网不在本地区", "the road network does not cover the region"),
})

# ------------------------------------------------------------------------------- suggest

MODEL = Terms("model", {
    "mclp": ("最大覆盖模型 (MCLP)", "maximal covering (MCLP)"),
    "lscp": ("集合覆盖模型 (LSCP)", "set covering (LSCP)"),
    "lscpb": ("备份覆盖模型 (LSCP-B)", "backup covering (LSCP-B)"),
    "pmedian": ("p-中位模型 (p-median)", "p-median"),
    "pcenter": ("p-中心模型 (p-center)", "p-center"),
    "quota": ("乡镇达标配额 + 最大覆盖", "township quotas + maximal covering"),
})
SOLVER_STATUS = Terms("solver_status", {
    "optimal": ("已证明最优", "proven optimal"),
    "feasible": ("可行解（未证明最优）", "feasible, not proven optimal"),
    "infeasible": ("无可行方案", "infeasible"),
    "no_solution": ("未找到可行解", "no solution found"),
})
SUGGEST_REASON = Terms("suggest_reason", {
    "quota": ("满足乡镇达标", "meets a township quota"),
    "coverage": ("扩大服务覆盖", "adds coverage"),
    "both": ("乡镇达标并扩大覆盖", "meets a quota and adds coverage"),
})

# ------------------------------------------------------------------------------- columns

#: Column code -> (中文表头, English header) for every table the tool writes.
COLUMNS = Terms("columns", {
    # places
    "kind": ("类别", "kind"),
    "kind_label": ("类别", "kind"),
    "id": ("代码", "code"),
    "name": ("名称", "name"),
    "status": ("状态", "status"),
    "status_label": ("建设状态", "room status"),
    "township_code": ("乡镇代码", "township code"),
    "township_name": ("乡镇（街道）", "township"),
    "village_code": ("村（社区）代码", "village code"),
    "population": ("人口", "population"),
    "urban": ("城镇", "urban"),
    "lon": ("经度", "longitude"),
    "lat": ("纬度", "latitude"),
    "located": ("是否定位", "located"),
    "unlocated": ("未定位", "not located"),
    # gaps
    "indicator_id": ("指标代码", "indicator id"),
    "indicator_name": ("指标", "indicator"),
    "scope": ("考核层级", "scope"),
    "unit_level": ("单位层级", "unit level"),
    "unit_code": ("区划代码", "unit code"),
    "unit_name": ("单位名称", "unit"),
    "numerator": ("现有", "have"),
    "denominator": ("应有", "should have"),
    "rate": ("现状", "current"),
    "target": ("目标", "target"),
    "per": ("每", "per"),
    "met": ("是否达标", "met"),
    "shortfall": ("缺口", "shortfall"),
    "shortfall_unit": ("缺口单位", "shortfall unit"),
    "in_pipeline": ("在建+规划", "in the pipeline"),
    "under_construction": ("在建", "under construction"),
    "planned": ("规划", "planned"),
    "met_if_pipeline": ("在建规划完成后达标", "met once the pipeline is built"),
    "binding": ("考核口径", "binding"),
    "gap_status": ("状态", "status"),
    "deadline": ("完成期限", "deadline"),
    "note": ("说明", "note"),
    "citation": ("政策依据", "citation"),
    "rank": ("排名", "rank"),
    "site_shortfall": ("站点缺口合计", "site shortfall"),
    "staff_shortfall": ("人员缺口合计", "staff shortfall"),
    "binding_site_shortfall": ("考核指标站点缺口", "binding site shortfall"),
    "unmet_binding": ("未达标考核指标数", "unmet binding indicators"),
    "unmet_all": ("未达标指标数(含参考)", "unmet indicators"),
    "no_data": ("无数据指标数", "indicators without data"),
    "unmet_indicators": ("未达标指标", "unmet indicators"),
    "layer": ("图层", "layer"),
    "need": ("缺口", "need"),
    "detail": ("说明", "detail"),
    # access
    "service_id": ("服务代码", "service id"),
    "service_name": ("服务", "service"),
    "mode": ("出行方式", "travel mode"),
    "threshold_min": ("标准（分钟）", "standard (min)"),
    "time_min": ("用时（分钟）", "time (min)"),
    "walk_min": ("步行（分钟）", "walk (min)"),
    "drive_min": ("驾车（分钟）", "drive (min)"),
    "walk_m": ("步行距离（米）", "walk distance (m)"),
    "drive_m": ("驾车距离（米）", "drive distance (m)"),
    "line_m": ("直线距离（米）", "straight line (m)"),
    "snap_m": ("到路网距离（米）", "distance to road (m)"),
    "covered": ("是否覆盖", "covered"),
    "access_status": ("可达状态", "access status"),
    "access_per_100k": ("每10万人服务人员（2SFCA）", "staff per 100,000 (2SFCA)"),
    "points": ("村居数", "points"),
    "covered_points": ("覆盖村居数", "covered points"),
    "covered_population": ("覆盖人口", "covered population"),
    "covered_share": ("覆盖率", "covered share"),
    "staff": ("服务人员", "staff"),
    "reach_population": ("服务范围内人口", "population in reach"),
    "ratio_per_100k": ("每10万人服务人员", "staff per 100,000"),
    "method": ("计算方法", "method"),
    # suggest
    "phase": ("建设年度", "build year"),
    "reason": ("建设理由", "reason"),
    "gain_population": ("新增覆盖人口", "newly covered population"),
    "gain_units": ("新增覆盖村居", "newly covered units"),
    "minutes_saved": ("人均缩短（分钟）", "minutes saved"),
    "target_effect": ("助力达标", "effect on the township target"),
    "explanation": ("说明", "explanation"),
    "units": ("村居数", "units"),
    "built_before": ("现有已建", "built before"),
    "rate_before": ("现状建成率", "rate before"),
    "quota": ("达标最少新建", "quota"),
    "new_sites": ("建议新建", "new sites"),
    "rate_after": ("建成后建成率", "rate after"),
    "met_after": ("建成后是否达标", "met after"),
    "covered_before": ("现状覆盖人口", "covered before"),
    "covered_after": ("建成后覆盖人口", "covered after"),
    "share_before": ("现状覆盖率", "covered share before"),
    "share_after": ("建成后覆盖率", "covered share after"),
    "candidates": ("候选点数", "candidates"),
})
