"""Short forms of Chinese administrative region names (pure Python, no Django).

``short_region_name("广西壮族自治区") == "广西"``, ``short_region_name("深圳市") == "深圳"``,
``short_region_name("延边朝鲜族自治州") == "延边"``.

Rules:

* one administrative suffix is removed (longest match first): 特别行政区,
  自治区/州/县/旗, 地区, 新区, 矿区, 特区, 省, 市, 区, 县, 盟, 旗;
* after an autonomous suffix (自治…), trailing ethnic-group names
  ("壮族", "土家族苗族", "哈萨克", "维吾尔", …) are removed as well;
* nothing is ever stripped if fewer than 2 characters would remain
  ("城区", "沛县", "矿区", "内蒙古", "西藏" are therefore safe);
* functional zones that are not administrative units ("…开发区", "…管理区",
  "…工业园区", "…示范区") are returned unchanged, as is anything without a known suffix.

Short names are unique among provinces and among the level-2 entries of one
province, but not necessarily among the districts of one city (临夏市 and
临夏县 are both "临夏"), so use them for display and fuzzy matching only.
"""

from __future__ import annotations

__all__ = ["short_region_name"]

MIN_LENGTH = 2

# Explicit short forms where the generic rules would be wrong.
_EXCEPTIONS = {
    "神农架林区": "神农架",  # "林区" is not a generic suffix (万柏林区 → 万柏林)
}

# Names ending like this are functional zones; keep them whole.
# (Not plain "园区": 下花园区, 绿园区 and 梁园区 are ordinary districts.)
_KEEP_WHOLE_SUFFIXES = (
    "开发区",
    "管理区",
    "工业园区",
    "产业园区",
    "创意园区",
    "示范区",
    "试验区",
    "合作区",
    "保税区",
)

_AUTONOMOUS_SUFFIXES = ("自治区", "自治州", "自治县", "自治旗")
_SUFFIXES = tuple(
    sorted(
        (
            "特别行政区",
            *_AUTONOMOUS_SUFFIXES,
            "地区",
            "新区",
            "矿区",
            "特区",
            "省",
            "市",
            "区",
            "县",
            "盟",
            "旗",
        ),
        key=len,
        reverse=True,
    )
)

# The 56 officially recognised ethnic groups (without the trailing 族) plus 各族
# ("龙胜各族自治县").  Autonomous-area names use them with or without 族
# ("伊犁哈萨克自治州", "博尔塔拉蒙古自治州").
_ETHNIC_GROUPS = (
    "汉",
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "各",
)
# "X族" forms, plus bare forms of at least two characters (a bare single
# character such as "藏" or "京" is too ambiguous to strip).
_ETHNIC_SUFFIXES = tuple(
    sorted(
        {g + "族" for g in _ETHNIC_GROUPS} | {g for g in _ETHNIC_GROUPS if len(g) >= 2},
        key=len,
        reverse=True,
    )
)
_ETHNIC_WITH_ZU = frozenset(g + "族" for g in _ETHNIC_GROUPS)


def _strip_ethnic(base: str) -> str:
    """Remove trailing ethnic-group names while at least MIN_LENGTH chars remain."""
    changed = True
    while changed:
        changed = False
        for suffix in _ETHNIC_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= MIN_LENGTH:
                base = base[: -len(suffix)]
                changed = True
                break
    # "东乡族自治县" / "鄂温克族自治旗": the whole remainder is an ethnic name;
    # drop just the 族 ("东乡", "鄂温克").
    if base in _ETHNIC_WITH_ZU and len(base) - 1 >= MIN_LENGTH:
        base = base[:-1]
    return base


def short_region_name(name: str) -> str:
    """Return the common short form of a province/city/district name.

    Examples: 广东省→广东, 内蒙古自治区→内蒙古, 香港特别行政区→香港, 北京市→北京,
    延边朝鲜族自治州→延边, 朝阳区→朝阳, 大兴安岭地区→大兴安岭; 城区 stays 城区.
    """
    if not name:
        return name
    name = name.strip()
    if name in _EXCEPTIONS:
        return _EXCEPTIONS[name]
    if name.endswith(_KEEP_WHOLE_SUFFIXES):
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_LENGTH:
            base = name[: -len(suffix)]
            if suffix in _AUTONOMOUS_SUFFIXES:
                base = _strip_ethnic(base)
            return base
    return name
