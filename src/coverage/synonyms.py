"""What planners type: the words and headers their files use, mapped to the tool's codes.

Ledgers say 是/否, 已建成/在建/未建, 1/0, √ … for the same room status; schools are 小学, 初中,
九年一贯制学校; a column of village codes is headed 村居代码, 统计用区划代码 or code.  These
tables turn such input into codes (:mod:`coverage.vocabulary` holds the codes' own labels); a
region config can replace the status and type vocabularies per layer.  Like the glossary, this
module imports nothing from ``coverage``.
"""

from __future__ import annotations

__all__ = [
    "COORD_SOURCE_CRS",
    "COORD_SOURCE_SYNONYMS",
    "HEADER_SYNONYMS",
    "IGNORED_HEADERS",
    "KIND_HINTS",
    "LEVEL_HINTS",
    "STATUS_SYNONYMS",
    "SUBTYPE_SYNONYMS",
]


#: What planners type for each room status (matched after normalisation).
STATUS_SYNONYMS: dict[str, tuple[str, ...]] = {
    "built": ("是", "已建成", "已建", "建成", "有", "已设立", "已开设", "开设", "1", "y", "yes",
              "true", "√", "✓", "built"),
    "under_construction": ("在建", "建设中", "正在建设", "under_construction"),
    "planned": ("规划", "计划", "拟建", "规划中", "计划建设", "planned"),
    "none": ("否", "未建", "无", "没有", "未设立", "未开设", "0", "n", "no", "false", "×", "",
             "none"),
}

#: What planners type for school, hospital and health-centre types.
SUBTYPE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
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

#: What planners' files call each canonical field (``coverage init`` reads headers with these,
#: compared after NFKC folding, lower-casing and removing spaces and brackets): a header equal
#: to a synonym is a sure match, one containing it (心理咨询室建设情况 ⊃ 建设情况) a likely one.
#: ``parent`` is the parent unit's code in a boundary file (上级代码).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("代码", "编码", "编号", "村居代码", "社区代码", "村代码", "统计用区划代码", "区划代码",
           "行政区划代码", "行政代码", "单位代码", "机构代码", "站点代码", "学校代码", "学校标识码",
           "标识码", "统一社会信用代码", "组织机构代码", "code", "adcode", "id", "gb"),
    "name": ("名称", "名字", "村居名称", "社区名称", "村名", "村名称", "单位名称", "机构名称",
             "学校名称", "站点名称", "医院名称", "场所名称", "村居", "行政村", "name", "mc"),
    "lon": ("经度", "东经", "经度坐标", "lng", "lon", "long", "longitude", "x", "x坐标", "横坐标"),
    "lat": ("纬度", "北纬", "纬度坐标", "lat", "latitude", "y", "y坐标", "纵坐标"),
    "wkt": ("wkt", "几何", "geometry", "geom", "shape"),
    "township": ("所属乡镇", "乡镇", "街道", "乡镇街道", "街道乡镇", "所属街道", "所属乡镇街道",
                 "所属街道乡镇", "乡镇名称", "街道名称", "镇街", "所属镇街", "town", "township"),
    "status": ("建设情况", "建设状态", "是否建成", "建成情况", "状态", "建设进度", "是否设立",
               "是否建立", "是否开设", "心理咨询室", "心理辅导室", "心理门诊", "社会工作室",
               "心理服务站", "status"),
    "population": ("常住人口", "户籍人口", "人口", "人口数", "总人口", "常住人口数", "户籍人口数",
                   "population", "pop"),
    "ur_code": ("城乡分类代码", "城乡分类", "城乡属性", "城乡代码", "ur_code", "urcode"),
    "subtype": ("类别", "类型", "学校类型", "学段", "办学类型", "机构类别", "机构类型", "站点类别",
                "站点类型", "医院类别", "医院类型", "type", "category"),
    "grade": ("医院等级", "等级", "级别", "医院级别", "grade", "level"),
    "enrolment": ("在校学生数", "在校生数", "学生数", "在校生", "学生人数", "enrolment"),
    "counsellors": ("心理咨询员", "心理咨询员数", "咨询员", "心理咨询师", "心理咨询师数",
                    "counsellors"),
    "social_workers": ("社会工作者", "社会工作者数", "社工", "社工数", "持证社工"),
    "psychiatrists": ("精神科医师", "精神科医师数", "精神科医生", "精神科执业医师"),
    "psych_teachers": ("心理健康教育教师", "专职心理健康教育教师", "专职心理教师", "心理教师",
                       "心理健康教师", "psych_teachers"),
    "professionals": ("心理服务专业人员", "专业人员", "心理专业人员", "professionals"),
    "demonstration": ("示范点", "是否示范点", "是否示范", "示范校", "是否示范校", "示范"),
    "cost": ("建设成本", "成本", "投资", "预算", "建设经费", "投资额", "cost"),
    "capacity": ("服务能力", "容量", "接待能力", "capacity"),
    "parent": ("上级代码", "上级区划代码", "所属代码", "父级代码", "parent", "parent_code"),
}

#: Headers deliberately not read (row numbers, notes, personal data): reported as such.
IGNORED_HEADERS: tuple[str, ...] = (
    "序号", "备注", "说明", "数据说明", "联系人", "联系电话", "电话", "手机", "负责人", "身份证",
    "身份证号", "填表人", "填报人", "填报日期", "审核人", "fid", "objectid", "index", "remark",
)

#: Words in a file or sheet name (or a title row) that say which layer it holds.
KIND_HINTS: dict[str, tuple[str, ...]] = {
    "village": ("行政村", "村委会", "村庄", "村点", "村", "village"),
    "community": ("社区", "居委会", "community", "communities"),
    "school": ("学校", "中小学", "小学", "中学", "school"),
    "health_center": ("卫生院", "卫生服务中心", "社区卫生", "health_center", "health"),
    "hospital": ("医院", "hospital"),
    "service_site": ("心理服务站", "心理服务站点", "心理健康中心", "心灵驿站", "站点", "service"),
    "governance_center": ("综治中心", "综治", "网格", "governance"),
    "petition_office": ("信访", "来访接待", "petition"),
    "institution": ("机关", "企事业", "事业单位", "企业", "单位", "institution"),
    "rehab": ("康复", "阳光家园", "rehab"),
}

#: Words in a boundary file's name that say its admin level.
LEVEL_HINTS: dict[str, tuple[str, ...]] = {
    "county": ("县界", "区界", "县域", "县", "区县", "outline", "fence", "county", "district",
               "boundary", "边界", "行政区"),
    "township": ("乡镇", "街道", "镇界", "乡界", "township", "town", "street"),
    "village": ("村界", "村级", "村", "社区", "village", "community"),
}

#: The ``crs`` a coordinate source means in the region TOML.
COORD_SOURCE_CRS: dict[str, str] = {
    "amap": "gcj02", "tencent": "gcj02", "baidu": "bd09", "gps": "EPSG:4326",
    "tianditu": "EPSG:4490", "wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490",
}

#: What planners write for a coordinate source (answers, title rows, a 坐标系 column).
COORD_SOURCE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "amap": ("高德", "高德地图", "火星坐标", "gcj02", "gcj-02", "gcj", "amap", "gaode"),
    "tencent": ("腾讯", "腾讯地图", "qq地图", "tencent"),
    "baidu": ("百度", "百度地图", "bd09", "bd-09", "bd09ll", "baidu"),
    "gps": ("gps", "北斗", "实测", "手持gps"),
    "tianditu": ("天地图", "tianditu"),
    "wgs84": ("wgs84", "wgs-84", "wgs 84", "wgs1984", "epsg:4326", "4326"),
    "cgcs2000": ("cgcs2000", "国家2000", "2000国家大地坐标系", "epsg:4490", "4490"),
}
