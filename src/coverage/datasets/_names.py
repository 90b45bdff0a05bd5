"""Name pools for the fictional demo county (all combinations are generated, not copied)."""

from __future__ import annotations

import numpy as np

COUNTY_NAME = "澄河县（虚构示例）"
COUNTY_SHORT = "澄河"
COUNTY_CODE = "379901"

#: (short name, kind) — kind: street (街道) | town (镇) | township (乡).  Order fixes the codes.
TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("澄阳", "street"),
    ("文昌", "street"),
    ("河东", "street"),
    ("柳泉", "town"),
    ("石桥", "town"),
    ("龙湾", "town"),
    ("杏林", "town"),
    ("白马", "town"),
    ("青岗", "town"),
    ("双庙", "town"),
    ("枣园", "town"),
    ("东岭", "town"),
    ("云峰", "township"),
)

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "高", "林", "郑", "梁", "宋", "唐", "韩", "冯", "于", "董", "程", "曹", "袁",
    "许", "沈", "彭", "吕", "苏", "卢", "贾", "丁", "魏", "薛", "叶", "孔", "颜", "尹", "岳",
    "姜", "孟", "田", "葛", "齐", "侯", "邵", "石", "牛", "范", "秦", "武", "毛", "邱", "任",
)
SURNAME_SUFFIXES = (
    "家庄", "家村", "庄", "家洼", "家峪", "家岭", "家楼", "官庄", "家集", "家湖", "家营",
    "家店", "家屯", "家沟", "家疃", "家寨", "家坡", "家桥", "家林", "家庙",
)
PREFIXES = ("东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "中")
FEATURES = (
    "石桥", "河口", "柳林", "杏园", "枣林", "桃园", "梨园", "新庄", "高庙", "龙泉", "清泉",
    "双井", "古槐", "石门", "山后", "岭前", "泉头", "河湾", "庙前", "沙沟", "白果", "寨子",
    "榆树", "青石", "黄土岭", "松山", "南湖", "芦庄", "塔山", "莲花", "柏林", "卧牛",
    "马鞍山", "凤凰", "花园", "果庄", "水磨", "渡口", "三里", "五里", "七里", "十里铺",
    "桑园", "葛庄", "槐树", "桥头", "宅科", "峪口", "井峪", "车辋", "瓦屋", "石墙",
)
COMMUNITY_WORDS = (
    "文昌", "澄阳", "滨河", "新华", "建设", "和平", "幸福", "育才", "锦绣", "金桥", "华苑",
    "书院", "东关", "西关", "南关", "北关", "泉城", "翠屏", "康乐", "阳光", "振兴", "惠民",
    "兴隆", "安康", "昌盛", "丰园", "明德", "福兴", "嘉和", "永安", "春晖", "秀水", "望湖",
    "凤鸣", "金泉", "瑞丰", "朝阳", "红星", "光华", "同心",
)
STREET_NAMES_EW = (
    "人民路", "建设路", "文化路", "光明路", "青年路", "解放路", "胜利路", "泉城路", "府前路",
    "学府路", "兴业路", "振华路", "滨河路", "新民路", "康宁路", "繁荣路", "和谐路", "永丰路",
    "长青路", "书院路",
)
STREET_NAMES_NS = (
    "澄阳大街", "文昌街", "东关街", "西关街", "中心街", "民主街", "工农街", "育才街",
    "秀水街", "明德街", "金桥街", "仁和街", "兴华街", "朝阳街", "春晖街", "益民街",
    "健康街", "龙腾街", "振兴街", "丰收街",
)


def village_names(n: int, rng: np.random.Generator, *, taken: set[str]) -> list[str]:
    """``n`` unique village names such as 王家庄村, 东石桥村, 小柳林村."""
    out: list[str] = []
    while len(out) < n:
        u = rng.random()
        if u < 0.55:
            stem = SURNAMES[rng.integers(len(SURNAMES))] + SURNAME_SUFFIXES[
                rng.integers(len(SURNAME_SUFFIXES))]
        elif u < 0.8:
            stem = PREFIXES[rng.integers(len(PREFIXES))] + FEATURES[rng.integers(len(FEATURES))]
        else:
            stem = FEATURES[rng.integers(len(FEATURES))]
            if len(stem) < 3 and rng.random() < 0.5 and stem[-1] not in "庄店屯铺":
                stem += ("庄", "店", "屯", "铺")[rng.integers(4)]
        name = stem if stem.endswith("村") else stem + "村"
        if name in taken:
            continue
        taken.add(name)
        out.append(name)
    return out


def community_names(n: int, rng: np.random.Generator, *, taken: set[str]) -> list[str]:
    """``n`` unique community names such as 文昌社区."""
    out: list[str] = []
    words = list(COMMUNITY_WORDS)
    order = rng.permutation(len(words))
    for i in order:
        if len(out) == n:
            break
        name = words[i] + "社区"
        if name not in taken:
            taken.add(name)
            out.append(name)
    k = 0
    while len(out) < n:  # pragma: no cover - the pool is larger than needed
        name = f"{words[k % len(words)]}{'东西南北'[k // len(words) % 4]}社区"
        k += 1
        if name not in taken:
            taken.add(name)
            out.append(name)
    return out
