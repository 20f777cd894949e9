"""Tests for zhuli.core.regions_names and the regions.json data file.

Pure Python; runs without Django: ``pytest -p no:django zhuli/core/tests/test_regions_names.py``.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from zhuli.core.regions_names import short_region_name

REGIONS_JSON = Path(__file__).resolve().parents[1] / "data" / "regions.json"


@pytest.fixture(scope="module")
def regions():
    return json.loads(REGIONS_JSON.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "short"),
    [
        # provinces
        ("广东省", "广东"),
        ("广西壮族自治区", "广西"),
        ("内蒙古自治区", "内蒙古"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("西藏自治区", "西藏"),
        ("香港特别行政区", "香港"),
        ("澳门特别行政区", "澳门"),
        ("台湾省", "台湾"),
        ("北京市", "北京"),
        ("黑龙江省", "黑龙江"),
        # prefecture level
        ("深圳市", "深圳"),
        ("延边朝鲜族自治州", "延边"),
        ("大兴安岭地区", "大兴安岭"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("恩施土家族苗族自治州", "恩施"),
        ("伊犁哈萨克自治州", "伊犁"),
        ("博尔塔拉蒙古自治州", "博尔塔拉"),
        ("克孜勒苏柯尔克孜自治州", "克孜勒苏"),
        ("海西蒙古族藏族自治州", "海西"),
        ("神农架林区", "神农架"),
        # county level
        ("朝阳区", "朝阳"),
        ("某某县", "某某"),
        ("浦东新区", "浦东"),
        ("六枝特区", "六枝"),
        ("积石山保安族东乡族撒拉族自治县", "积石山"),
        ("双江拉祜族佤族布朗族傣族自治县", "双江"),
        ("龙胜各族自治县", "龙胜"),
        ("三都水族自治县", "三都"),
        ("东乡族自治县", "东乡"),
        ("鄂温克族自治旗", "鄂温克"),
        ("鄂伦春自治旗", "鄂伦春"),
        ("莫力达瓦达斡尔族自治旗", "莫力达瓦"),
        ("塔什库尔干塔吉克自治县", "塔什库尔干"),
        ("达拉特旗", "达拉特"),
        ("沙市区", "沙市"),
        ("市中区", "市中"),
        ("新市区", "新市"),
        ("清新区", "清新"),
        ("万柏林区", "万柏林"),
        ("下花园区", "下花园"),
        # fewer than 2 characters would remain: keep as-is
        ("城区", "城区"),
        ("郊区", "郊区"),
        ("矿区", "矿区"),
        ("东区", "东区"),
        ("沛县", "沛县"),
        ("芒市", "芒市"),
        # functional zones / no known suffix: unchanged
        ("苏州工业园区", "苏州工业园区"),
        ("长春经济技术开发区", "长春经济技术开发区"),
        ("龙感湖管理区", "龙感湖管理区"),
        ("西沙群岛", "西沙群岛"),
        ("虎门镇", "虎门镇"),
        ("", ""),
    ],
)
def test_short_region_name(name, short):
    assert short_region_name(name) == short


def test_idempotent_on_all_regions(regions):
    for _code, name, _parent, _level in regions:
        once = short_region_name(name)
        assert short_region_name(once) == once, name


def test_regions_json_shape(regions):
    counts = Counter(level for *_rest, level in regions)
    assert counts[1] == 34
    assert 330 <= counts[2] <= 380
    assert counts[3] >= 2900
    codes = {}
    for code, name, parent, level in regions:
        assert code not in codes
        assert level in (1, 2, 3)
        if level == 1:
            assert parent is None
        else:
            assert codes[parent] == level - 1  # parent exists, precedes child, one level up
        codes[code] = level


def test_municipalities_have_single_city(regions):
    by_code = {r[0]: r for r in regions}
    for pcode, name in (("11", "北京市"), ("12", "天津市"), ("31", "上海市"), ("50", "重庆市")):
        cities = [r for r in regions if r[2] == pcode]
        assert cities == [[pcode + "01", name, pcode, 2]]
    assert not [
        r for r in regions if r[1] in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")
    ]
    # 北京市 / 北京市 / 朝阳区
    chaoyang = next(r for r in regions if r[1] == "朝阳区" and r[2] == "1101")
    assert by_code[chaoyang[2]][1] == "北京市"
    # 重庆: former "县" children hang under 5001 too
    assert by_code["500229"][2] == "5001"  # 城口县
    # province-administered county-level city directly under the province
    xiantao = next(r for r in regions if r[1] == "仙桃市")
    assert xiantao[2:] == ["42", 2]


def test_hk_mo_tw_present_without_children(regions):
    provinces = {r[0]: r[1] for r in regions if r[3] == 1}
    assert provinces["71"] == "台湾省"
    assert provinces["81"] == "香港特别行政区"
    assert provinces["82"] == "澳门特别行政区"
    assert not [r for r in regions if r[2] in ("71", "81", "82")]


def test_province_short_names_distinct(regions):
    shorts = Counter(short_region_name(r[1]) for r in regions if r[3] == 1)
    assert [s for s, n in shorts.items() if n > 1] == []
    assert len(shorts) == 34


def test_city_short_names_distinct_within_province(regions):
    by_province = defaultdict(list)
    for code, name, parent, level in regions:
        if level == 2:
            by_province[parent].append(name)
    assert by_province
    for parent, names in by_province.items():
        shorts = Counter(short_region_name(n) for n in names)
        dupes = {s: [n for n in names if short_region_name(n) == s] for s, c in shorts.items() if c > 1}
        assert dupes == {}, f"province {parent}: {dupes}"


def test_short_name_is_prefix_and_not_too_short(regions):
    for _code, name, _parent, _level in regions:
        short = short_region_name(name)
        assert name.startswith(short)
        assert len(short) >= 2 or short == name
