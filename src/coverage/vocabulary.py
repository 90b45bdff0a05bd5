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
    "COORD_SOURCE",
    "GAP_NOTE",
    "GAP_STATUS",
    "INDICATOR_KIND",
    "KIND",
    "KNOWN_KINDS",
    "LOCATION_STATUS",
    "MODE",
    "MODEL",
    "NETWORK_FIT",
    "SCAFFOLD_NOTE",
    "SCAFFOLD_USE",
    "SCOPE",
    "SHORTFALL_UNIT",
    "SOLVER_STATUS",
    "SOLVER_STOP",
    "STATUS",
    "STATUSES",
    "SUBTYPE",
    "SUGGEST_NOTE",
    "SUGGEST_REASON",
    "TOWNSHIP_SOURCE",
    "YES_NO",
    "Lang",
    "Note",
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


@dataclass(frozen=True)
class Note:
    """A remark a stage attaches to its result: a code with parameters, never words.

    The code names a template in one of the note groups below (:data:`GAP_NOTE`,
    :data:`SUGGEST_NOTE`); the presentation layer fills it in.  ``params`` are
    ``(name, value)`` pairs; list-valued parameters are tuples.
    """

    code: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, /, **params: object) -> Note:
        """``Note.of("rollup", met=3, total=5)``."""
        return cls(code, tuple(params.items()))

    @property
    def values(self) -> dict[str, object]:
        """The parameters as a dict."""
        return dict(self.params)


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

# ------------------------------------------------------------------------------- input


#: Where lon/lat in degrees came from: the planner's answer to "数据来自哪里？" (``coverage init
#: --source``).  GCJ-02 and WGS84 cannot be told apart from the numbers.
COORD_SOURCE = Terms("coord_source", {
    "amap": ("高德地图（GCJ-02）", "Amap (GCJ-02)"),
    "tencent": ("腾讯地图（GCJ-02）", "Tencent Maps (GCJ-02)"),
    "baidu": ("百度地图（BD-09）", "Baidu Maps (BD-09)"),
    "gps": ("GPS 实测（WGS84）", "GPS (WGS84)"),
    "tianditu": ("天地图（CGCS2000）", "Tianditu (CGCS2000)"),
    "wgs84": ("WGS84 经纬度", "WGS84 longitude/latitude"),
    "cgcs2000": ("CGCS2000 经纬度", "CGCS2000 longitude/latitude"),
})
#: What ``coverage init`` does with each file or sheet it found.
SCAFFOLD_USE = Terms("scaffold_use", {
    "layer": ("点位图层", "point layer"), "admin": ("行政区划边界", "admin boundaries"),
    "ledger": ("台账（按代码关联）", "ledger joined by code"),
    "division_codes": ("区划代码表", "division code list"), "network": ("路网", "road network"),
    "ignore": ("不使用", "not used"),
})
#: Reasons of ``coverage init``'s guesses: code -> (中文, English) templates.
SCAFFOLD_NOTE = Terms("scaffold_note", {
    "header_exact": ("表头与“{synonym}”一致", "the header is \"{synonym}\""),
    "header_partial": ("表头含“{synonym}”", "the header contains \"{synonym}\""),
    "values": ("按数值判断", "judged from the values"),
    "values_contradict": ("数值不符（{detail}）", "the values do not fit ({detail})"),
    "ignored_header": ("不读取（序号、备注或个人信息）", "not read (row number, note, personal)"),
    "crs_evidence": ("用作坐标系说明", "read as a note of the coordinate system"),
    "unknown_header": ("未识别的列", "not recognised"),
    "choice": ("按您的选择", "as you chose"),
    "taken": ("另一列更符合“{role}”", "another column fits \"{role}\" better"),
    "unused_role": ("该类图层不使用此字段", "not used by this kind of layer"),
    "in_layer": ("图层文件已有此项", "the layer's own file has it"),
    "first_row": ("第1行即表头", "the headers are on row 1"),
    "below_title": ("表头上方有标题行", "a title row above the headers"),
    "best_match": ("该行最像表头", "this row looks most like headers"),
    "two_row_header": ("两行表头（合并单元格）", "a two-row header (merged cells)"),
    "declared_prj": ("文件自带坐标系（.prj / crs）", "the file declares its CRS"),
    "declared_text": ("文件中注明“{evidence}”", "the file says \"{evidence}\""),
    "answer": ("按您的回答：{answer}", "as you answered: {answer}"),
    "gk_prefix": ("米制坐标，东坐标带号 {zone}", "metres, eastings carry zone {zone}"),
    "gk_no_prefix": ("米制坐标（无带号），按其他文件的经度取 {zone} 带", "metres; zone {zone}"),
    "gk_unknown_zone": ("米制坐标（无带号），无法判断投影带", "metres without a zone number"),
    "degrees_ambiguous": ("经纬度：无法从数值区分 GCJ-02（高德/腾讯）与 WGS84", "degrees: which?"),
    "no_coordinates": ("没有坐标", "no coordinates"),
    "geometry_polygon": ("面状几何", "polygon geometry"),
    "geometry_point": ("点状几何", "point geometry"),
    "coordinates": ("有经纬度列", "has coordinate columns"),
    "name_hint": ("文件/工作表名含“{word}”", "the file or sheet name contains \"{word}\""),
    "title_hint": ("标题含“{word}”", "the title contains \"{word}\""),
    "column_hint": ("有“{column}”列", "has a \"{column}\" column"),
    "unit_names": ("名称多以“{suffix}”结尾", "most names end in \"{suffix}\""),
    "code_length": ("代码为 {digits} 位", "the codes have {digits} digits"),
    "single_feature": ("只有一个面", "a single polygon"),
    "no_coordinates_status": ("无坐标，有建设情况", "no coordinates, has a status"),
    "code_list": ("只有代码和名称", "codes and names only"),
    "hidden_sheet": ("隐藏工作表", "a hidden sheet"),
    "no_roles": ("找不到代码或名称列", "no code or name column"),
    "osm_file": ("OpenStreetMap 路网文件", "an OpenStreetMap road file"),
    "county_file": ("县界文件的“{column}”", "the county file's \"{column}\""),
    "folder_name": ("文件夹名（请核对）", "the folder's name (check it)"),
})


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
#: Why a solver run ended.
SOLVER_STOP = Terms("solver_stop", {
    "completed": ("求解完成", "completed"),
    "gap_limit": ("达到设定的间隙", "gap limit reached"),
    "time_limit": ("达到时间上限", "time limit reached"),
    "solver_mismatch": ("求解器结果未通过核验，已采用核验过的最好方案",
                        "the solver's answer failed the check; the best checked plan is used"),
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
    "count": ("凑足新建数量（不新增覆盖）", "makes up the number of sites (no new coverage)"),
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
    "rate": ("完成率", "rate"),
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
    "walk_snap_m": ("步行到路网距离（米）", "walk: distance to road (m)"),
    "drive_snap_m": ("驾车到路网距离（米）", "drive: distance to road (m)"),
    "snap_ok": ("已接入路网", "on the network"),
    "line_site_kind": ("直线最近站点类别", "nearest site by straight line: kind"),
    "line_site_id": ("直线最近站点代码", "nearest site by straight line: id"),
    "walk_site_kind": ("步行最近站点类别", "nearest site on foot: kind"),
    "walk_site_id": ("步行最近站点代码", "nearest site on foot: id"),
    "drive_site_kind": ("驾车最近站点类别", "nearest site by car: kind"),
    "drive_site_id": ("驾车最近站点代码", "nearest site by car: id"),
    "covered": ("是否覆盖", "covered"),
    "cross_border": ("跨县服务", "served across the county border"),
    "site_county_code": ("最近站点所在县代码", "county of the nearest site"),
    "county_code": ("县代码", "county code"),
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
    "reaches_target": ("建成后所在乡镇达标", "its township meets the target"),
    "counts": ("计入建成率", "counts in the rate"),
    "met_after": ("建成后是否达标", "met after"),
    "covered_before": ("现状覆盖人口", "covered before"),
    "covered_after": ("建成后覆盖人口", "covered after"),
    "share_before": ("现状覆盖率", "covered share before"),
    "share_after": ("建成后覆盖率", "covered share after"),
    "candidates": ("候选点数", "candidates"),
    # reconciliation and the workbook's 说明 sheet
    "item": ("项目", "item"),
    "count": ("数量", "count"),
    "group": ("类别", "group"),
    "meaning": ("内容", "meaning"),
})

# ------------------------------------------------------------------------------- notes

#: Notes the gap engine attaches to a result: code -> (中文 template, English template).
#: Templates are ``str.format`` strings over the note's parameters.
GAP_NOTE = Terms("gap_note", {
    "no_layer": ("缺少数据：需要图层 {layers}", "no data: needs layer {layers}"),
    "no_column": ("缺少数据：需要列 {columns}", "no data: needs column {columns}"),
    "layers_absent": ("未提供图层 {layers}", "layers not given: {layers}"),
    "outside_townships": ("{n}个单位未落入已知乡镇(街道)，只计入县级",
                          "{n} units lie in no known township; counted at county level only"),
    "den_filter_unknown": ("{n}个单位筛选列缺失，未计入分母",
                           "{n} units lack a filter column; left out of the denominator"),
    "status_unknown": ("{n}个单位状态未知，按未建成计",
                       "{n} units have no status; counted as not built"),
    "num_filter_unknown": ("{n}个单位{columns} 缺失，按不达标计",
                           "{n} units lack {columns}; counted as not meeting"),
    "filter_unknown": ("{n}个单位筛选列缺失，未计入", "{n} units lack a filter column; left out"),
    "column_absent_layers": ("以下图层无该列，未计入：{items}",
                             "these layers lack the column and are left out: {items}"),
    "value_missing_zero": ("{n}个单位{column} 缺失，按0计",
                           "{n} units lack {column}; counted as 0"),
    "staff_missing": ("{n}个单位{num}或{den}缺失，未计入",
                      "{n} units lack {num} or {den}; left out"),
    "no_units": ("无相关单位", "no units"),
    "zero_denominator": ("分母为0", "denominator is 0"),
    "rollup": ("县级达标需每个乡镇(街道)均达标：{met}/{total}个达标",
               "the county meets it only if every township does: {met}/{total} do"),
    "scope_county_reference": ("参考：县级指标，按本乡镇(街道)单独计算",
                               "for reference: a county indicator computed for this township"),
    "scope_township": ("每个乡镇(街道)须达到{target}", "every township must reach {target}"),
    "scope_village": ("每个单位须达标", "every unit must meet it"),
    "county_total_only": ("县级总量指标：此处仅列本乡镇(街道)现有数量",
                          "a county total: this row lists the township's own count only"),
    "unlocated": ("其中{n}个未定位（无坐标），计入完成率，不参与可达性分析",
                  "{n} of them have no coordinates: counted in the rate, not in access"),
    "text": ("{text}", "{text}"),
})

#: Units of a shortfall.
SHORTFALL_UNIT = Terms("shortfall_unit", {"site": ("个", "sites"), "person": ("人", "people")})

#: Notes of the suggest stage: code -> (中文 template, English template).
SUGGEST_NOTE = Terms("suggest_note", {
    "unlocated_demand": ("另有{n}个村（社区）未定位（无坐标），未参与选址计算。",
                         "{n} villages/communities have no coordinates and were left out."),
    "no_population": ("需求点无人口数据，按每个村（社区）权重相同计算。",
                      "no population data: every demand point weighs the same."),
    "cost_default": ("{n}个候选点无建设成本，按每处 1 万元计算。",
                     "{n} candidates have no cost; 1 (10,000 yuan) each is assumed."),
    "quota_without_indicator": ("目标方案中没有村（社区）建成率指标，改用最大覆盖模型。",
                                "the preset has no village/community rate indicator; the "
                                "maximal covering model is used instead."),
    "candidates_outside_indicator": ("候选图层 {layers} 不计入“{indicator}”，在这些点位新建"
                                     "不提高该建成率。",
                                     "candidate layers {layers} do not count in "
                                     "\"{indicator}\"."),
    "p_raised": ("各乡镇达标至少需新建 {need} 处，已将新建数 p 由 {p} 调整为 {need}。",
                 "the townships' quotas need {need} new sites; p was raised from {p}."),
    "build_all": ("要求新建 {p} 处，不少于候选点数 {candidates}，全部候选点均建议新建。",
                  "p = {p} is not less than the {candidates} candidates: all are built."),
    "budget_binds": ("预算 {budget:g} 万元只够新建 {chosen} 处"
                     "（要求 {p} 处，已用 {spent:g} 万元）。",
                     "the budget {budget:g} allows {chosen} of {p} sites (spent {spent:g})."),
    "quota_short": ("{township}需新建 {need} 处才能达标，但只有 {candidates} 个有坐标的候选点"
                    "（另有 {unlocated} 个未定位）。",
                    "{township} needs {need} new sites but has only {candidates} located "
                    "candidates ({unlocated} more without coordinates)."),
    "quota_over_budget": ("各乡镇达标至少需建设成本 {cost:g} 万元，预算只有 {budget:g} 万元。",
                          "meeting every township's quota costs at least {cost:g}; the budget "
                          "is {budget:g}."),
    "quota_exceed_p": ("各乡镇达标至少需新建 {need} 处，超过允许的新建数 {p} 处。",
                       "the townships' quotas need {need} new sites, more than p = {p}."),
    "forced_exceed_p": ("指定必建的候选点有 {forced} 处，超过允许的新建数 {p} 处。",
                        "{forced} locked sites exceed p = {p}."),
    "forced_over_budget": ("指定必建的候选点建设成本 {cost:g} 万元，超过预算 {budget:g} 万元。",
                           "the locked sites cost {cost:g}, more than the budget {budget:g}."),
    "cover_over_budget": ("覆盖全部可覆盖需求至少需建设成本 {cost:g} 万元，"
                          "预算只有 {budget:g} 万元。",
                          "covering every reachable demand point costs at least {cost:g}; "
                          "the budget is {budget:g}."),
    "unreachable_demand": ("{count} 个村（社区）（{weight:,.0f} 人）到不了任何允许的站点。",
                           "{count} demand points ({weight:,.0f} people) reach no allowed "
                           "site."),
    "share_unreachable": ("要覆盖 {share:.0%} 的人口需 {target:,.0f} 人，但服务标准内只有 "
                          "{reachable:,.0f} 人可达。",
                          "covering {share:.0%} needs {target:,.0f} people; only "
                          "{reachable:,.0f} are within reach."),
    "capacity_short": ("需求总量 {demand:,.0f} 超过允许站点的服务能力合计 {capacity:,.0f}。",
                       "total demand {demand:,.0f} exceeds the capacity {capacity:,.0f}."),
    "rules_conflict": ("预算、乡镇配额和指定站点等条件相互冲突，无法同时满足。",
                       "the budget, the quotas and the locked sites cannot all be met "
                       "together."),
    "no_candidates": ("没有可新建的候选点。", "there are no candidate sites."),
    "no_solution": ("在时间上限内未找到满足全部条件的方案（可延长求解时间再试）。",
                    "no plan meeting every rule was found within the time limit."),
    "padded": ("达到最优只需 {useful} 处；为凑足要求的 {p} 处，另增补 {extra} 处，不改变结果。",
               "the optimum needs {useful} sites; {extra} more were added to reach p = {p}."),
    "uncoverable": ("{count} 个村（社区）（{weight:,.0f} 人）在服务标准内没有任何可建站点，"
                    "无论怎样选址都无法覆盖。",
                    "{count} demand points ({weight:,.0f} people) are beyond the standard "
                    "of every allowed site."),
    "stage_one_not_optimal": ("最少站点数在时间上限内未证明最优，备份覆盖按 {n_sites} 处计算。",
                              "the minimum number of sites was not proven; the backup stage "
                              "used {n_sites}."),
})
