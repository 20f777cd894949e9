"""Tests for zhuli.core.text (pure Python: run with -p no:django)."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from zhuli.core.money import amount_in_words
from zhuli.core.text import (
    SEP,
    USCC_CHARSET,
    USCC_WEIGHTS,
    bigrams,
    clean_text,
    digits,
    name_core,
    name_key,
    normalize_query,
    phone_key,
    pinyin_keys,
    query_bigrams,
    search_text,
    uscc_check_char,
    validate_uscc,
    website_host,
)

# Hypothesis tests that build pinyin have no deadline: the first example pays for importing pypinyin.
# Characters chosen to exercise polyphones (行 长 重 乐 …), phrases, full-width and compatibility forms.
CHINESE = "北京沃力森信息技术有限公司平安银行重庆长安汽车华为深圳中国人民乐行会还都得地的了着没说大和不朝调传发数藏曾单解一〇"
MIXED_ALPHABET = (
    CHINESE + "abcXYZ019ＡＢ１（）()【】[]“”‘’「」『』\"' \u3000\t\n-_.,，。·&\u200b\uf900𠀀é\u0301ß"
)

chinese_text = st.text(alphabet=CHINESE, min_size=1, max_size=20)
mixed_text = st.text(alphabet=MIXED_ALPHABET, max_size=30)


# ---------------------------------------------------------------- name_key / name_core


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("北京沃力森信息技术有限公司 ", "北京沃力森信息技术有限公司"),
        ("ABC（北京）有限公司", "abc(北京)有限公司"),
        ("北京 沃力森\u3000信息\t技术\n有限公司", "北京沃力森信息技术有限公司"),
        ("华为【深圳】", "华为(深圳)"),
        ("华为[深圳]", "华为(深圳)"),
        ("华为〔深圳〕", "华为(深圳)"),
        ("华为［深圳］", "华为(深圳)"),
        ("“小米”科技", '"小米"科技'),
        ("‘小米’科技", '"小米"科技'),
        ("「小米」科技", '"小米"科技'),
        ("『小米』科技", '"小米"科技'),
        ("'小米'科技", '"小米"科技'),
        ("＂小米＂科技", '"小米"科技'),
        ("ＴＣＬ科技", "tcl科技"),
        ("Straße GmbH", "STRASSE gmbh"),
        ("沃力\u200b森", "沃力森"),
        ("\ufeff沃力森", "沃力森"),
    ],
)
def test_name_key_equal(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_key_values() -> None:
    assert name_key("ABC（北京）有限公司") == "abc(北京)有限公司"
    assert name_key("【华为】“技术”") == '(华为)"技术"'
    assert name_key("") == ""
    assert name_key(None) == ""


def test_name_key_keeps_meaningful_differences() -> None:
    assert name_key("华为技术有限公司") != name_key("华为科技有限公司")
    assert name_key("华为(深圳)") != name_key("华为深圳")


@given(mixed_text)
def test_name_key_is_idempotent_and_canonical(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    assert not any(c.isspace() for c in key)
    assert not set(key) & set("（）【】[]〔〕“”‘’「」『』'")
    # Compare after NFKC: casefold("ẗ") is "t" + U+0308, which NFKC recomposes.
    assert key == unicodedata.normalize("NFKC", key.casefold())


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("华为技术(深圳)有限公司", "华为技术有限公司"),
        ("华为技术（深圳）有限公司", "华为技术有限公司"),
        ("华为技术【深圳】有限公司", "华为技术有限公司"),
        ("ABC (Beijing) Co., Ltd.", "abcco.,ltd."),
        ("中国(北京(朝阳))有限公司", "中国有限公司"),
        ("中国(北京)(朝阳)有限公司", "中国有限公司"),
        ("华为技术(深圳有限公司", "华为技术深圳有限公司"),
        ("华为技术)有限公司", "华为技术有限公司"),
        ("(北京)", "北京"),
        ("()", ""),
        ("", ""),
    ],
)
def test_name_core(name: str, core: str) -> None:
    assert name_core(name) == core


def test_name_core_matches_key_of_unbracketed_name() -> None:
    assert name_core("华为技术(深圳)有限公司") == name_key("华为技术有限公司")
    assert name_core("华为技术有限公司") == name_key("华为技术有限公司")


@given(mixed_text)
def test_name_core_has_no_brackets(name: str) -> None:
    core = name_core(name)
    assert "(" not in core
    assert ")" not in core


# ---------------------------------------------------------------- digits / phone_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138-0013-8000", "13800138000"),
        ("１３８ ００１３ ８０００", "13800138000"),
        ("(010) 6512-3456 转 8001", "010651234568001"),
        ("abc", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_digits(raw: str | None, expected: str) -> None:
    assert digits(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "+86-13800138000",
        "+８６ １３８００１３８０００",
        "0086 138 0013 8000",
        "8613800138000",
        "(+86)13800138000",
    ],
)
def test_phone_key_mobile_variants_compare_equal(raw: str) -> None:
    assert phone_key(raw) == "13800138000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Not a mobile after the prefix, so nothing is dropped.
        ("010-6512-3456", "01065123456"),
        ("+86 10 6512 3456", "861065123456"),
        ("86 021 1234 5678", "8602112345678"),
        # 86 followed by 10 digits is not "86 + mobile".
        ("861380013800", "861380013800"),
        ("400-810-8888", "4008108888"),
        ("", ""),
        (None, ""),
    ],
)
def test_phone_key_non_mobile(raw: str | None, expected: str) -> None:
    assert phone_key(raw) == expected


# ---------------------------------------------------------------- website_host


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("HTTP://www.Bank.PingAn.com/abc?x", "bank.pingan.com"),
        ("www.vanke.com", "vanke.com"),
        ("", ""),
        (None, ""),
        ("   ", ""),
        ("https://vanke.com", "vanke.com"),
        ("https://vanke.com/", "vanke.com"),
        ("vanke.com:8080/path", "vanke.com"),
        ("http://www.vanke.com:8080", "vanke.com"),
        ("https://WWW.VANKE.COM?utm=1", "vanke.com"),
        ("https://vanke.com#top", "vanke.com"),
        ("//cdn.vanke.com/a.js", "cdn.vanke.com"),
        ("https://user:pw@www.vanke.com/x", "vanke.com"),
        ("  https://www.vanke.com/  ", "vanke.com"),
        ("vanke.com.", "vanke.com"),
        ("https://shop.vanke.com", "shop.vanke.com"),
        ("www.com", "www.com"),
        ("ｗｗｗ．ｖａｎｋｅ．ｃｏｍ", "vanke.com"),
        ("www。vanke。com", "vanke.com"),
        ("https://www.例子.中国/路径", "例子.中国"),
        ("https://xn--fsqu00a.xn--fiqs8s/", "xn--fsqu00a.xn--fiqs8s"),
        ("http://[2001:db8::1]:8080/", "2001:db8::1"),
        ("http://192.168.1.10:8000/", "192.168.1.10"),
    ],
)
def test_website_host(url: str | None, host: str) -> None:
    assert website_host(url) == host


# ---------------------------------------------------------------- pinyin_keys


def _reference_pinyin(text: str) -> tuple[str, str]:
    """What lazy_pinyin on the whole folded text gives, filtered the documented way."""
    folded = normalize_query(text)

    def keep(chunks: list[str]) -> str:
        return "".join(c for chunk in chunks for c in chunk if c.isalnum()).lower()

    return keep(lazy_pinyin(folded)), keep(lazy_pinyin(folded, style=Style.FIRST_LETTER))


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("北京沃力森", ("beijingwolisen", "bjwls")),
        # pypinyin's phrase dictionary resolves these polyphones.
        ("平安银行", ("pinganyinhang", "payh")),
        ("重庆长安汽车", ("chongqingchanganqiche", "cqcaqc")),
        ("绿地", ("lvdi", "ld")),
        ("TCL科技", ("tclkeji", "tclkj")),
        ("3M中国", ("3mzhongguo", "3mzg")),
        ("ＡＢＣ（北京）有限公司", ("abcbeijingyouxiangongsi", "abcbjyxgs")),
        ("北京·沃力森, Inc.", ("beijingwoliseninc", "bjwlsinc")),
        ("〇", ("ling", "l")),
        ("Apple", ("apple", "apple")),
        ("", ("", "")),
        ("!!! ", ("", "")),
        (None, ("", "")),
    ],
)
def test_pinyin_keys(text: str | None, keys: tuple[str, str]) -> None:
    assert pinyin_keys(text) == keys


@pytest.mark.parametrize(
    "text",
    [
        "行长",
        "银行行长",
        "乐行",
        "音乐",
        "快乐",
        "重要",
        "重庆",
        "长大",
        "长城",
        "都市",
        "首都",
        "会计",
        "还款",
    ],
)
def test_pinyin_keys_polyphones_follow_pypinyin(text: str) -> None:
    assert pinyin_keys(text) == _reference_pinyin(text)


@given(mixed_text)
@settings(max_examples=300, deadline=None)
def test_pinyin_keys_matches_lazy_pinyin_on_whole_text(text: str) -> None:
    assert pinyin_keys(text) == _reference_pinyin(text)


def test_pinyin_keys_matches_lazy_pinyin_per_character() -> None:
    for cp in range(0x4E00, 0x9FFF, 7):
        c = chr(cp)
        assert pinyin_keys(c) == _reference_pinyin(c), c


# ---------------------------------------------------------------- search_text


def test_search_text_pieces() -> None:
    text = search_text("北京沃力森信息技术有限公司", None, "TCL", "tcl", " 张 三 ", "")
    assert text.split(SEP) == [
        "北京沃力森信息技术有限公司",
        "beijingwolisenxinxijishuyouxiangongsi",
        "bjwlsxxjsyxgs",
        "tcl",
        "张三",
        "zhangsan",
        "zs",
    ]


def test_search_text_non_chinese_parts_have_no_pinyin_pieces() -> None:
    assert search_text("Apple Inc.", "13800138000") == "appleinc." + SEP + "13800138000"


def test_search_text_empty() -> None:
    assert search_text() == ""
    assert search_text(None, "", "  ") == ""


def test_search_text_normalises() -> None:
    assert search_text("ＡＢＣ（北京）") == SEP.join(["abc(北京)", "abcbeijing", "abcbj"])


def test_search_text_strips_separator_from_content() -> None:
    assert search_text("a\x1fb") == "ab"


@given(st.lists(st.one_of(st.none(), mixed_text), max_size=4))
@settings(deadline=None)
def test_search_text_pieces_are_distinct_normalised_and_non_empty(parts: list[str | None]) -> None:
    text = search_text(*parts)
    if not text:
        assert all(not normalize_query(p) for p in parts)
        return
    pieces = text.split(SEP)
    assert len(pieces) == len(set(pieces))
    assert all(pieces)
    for piece in pieces:
        assert normalize_query(piece) == piece
    for part in parts:
        if normalize_query(part):
            assert normalize_query(part) in pieces


# ---------------------------------------------------------------- bigrams / query_bigrams / normalize_query


def test_bigrams() -> None:
    assert bigrams("abc") == ["ab", "bc"]
    assert bigrams("abab") == ["ab", "ba"]
    assert bigrams("ab" + SEP + "cd") == ["ab", "cd"]
    assert bigrams("沃力森" + SEP + "w" + SEP + "ls") == ["ls", "w", "力森", "沃力"]
    assert bigrams("") == []
    assert bigrams("a") == ["a"]


def test_bigrams_never_contain_separator() -> None:
    text = search_text("北京沃力森", "TCL", "x")
    assert all(SEP not in g for g in bigrams(text))


def test_query_bigrams() -> None:
    assert query_bigrams("沃力 森") == ["力森", "沃力"]
    assert query_bigrams("ＢＪ") == ["bj"]
    assert query_bigrams("北") == []
    assert query_bigrams(" 北 ") == []
    assert query_bigrams("") == []
    assert query_bigrams(None) == []


def test_normalize_query() -> None:
    assert normalize_query(" 北京 沃力森\u3000") == "北京沃力森"
    assert normalize_query("ＡＢＣ　Ｄ") == "abcd"
    assert normalize_query("Straße") == "strasse"
    assert normalize_query(None) == ""


def test_query_finds_name_by_chinese_pinyin_and_initials() -> None:
    text = search_text("北京沃力森信息技术有限公司")
    for q in ["沃力森", "wolisen", "WLS", "bj wls", "信息技术", "xinxi"]:
        assert normalize_query(q) in text
        assert set(query_bigrams(q)) <= set(bigrams(text))
    assert not set(query_bigrams("华为")) <= set(bigrams(text))


@given(mixed_text)
def test_normalize_query_is_idempotent(q: str) -> None:
    once = normalize_query(q)
    assert normalize_query(once) == once
    assert not any(c.isspace() for c in once)
    assert SEP not in once


@given(st.lists(st.one_of(mixed_text, st.text(), chinese_text), min_size=1, max_size=3), st.data())
@settings(max_examples=400, deadline=None)
def test_bigram_prefilter_never_misses_a_substring_match(parts: list[str], data: st.DataObject) -> None:
    text = search_text(*parts)
    pieces = [p for p in text.split(SEP) if len(p) >= 2]
    assume(pieces)
    piece = data.draw(st.sampled_from(pieces))
    start = data.draw(st.integers(0, len(piece) - 2))
    end = data.draw(st.integers(start + 2, len(piece)))
    q = piece[start:end]
    # The GIN pre-filter must keep every row the LIKE recheck would match.
    assert normalize_query(q) in text
    assert set(query_bigrams(q)) <= set(bigrams(text))


@given(st.text(), st.data())
@settings(deadline=None)
def test_bigram_prefilter_for_arbitrary_substrings_of_raw_text(t: str, data: st.DataObject) -> None:
    norm = normalize_query(t)
    assume(len(norm) >= 2)
    start = data.draw(st.integers(0, len(norm) - 2))
    end = data.draw(st.integers(start + 2, len(norm)))
    assert set(query_bigrams(norm[start:end])) <= set(bigrams(search_text(t)))


# ---------------------------------------------------------------- validate_uscc

# Hand computation for 91110108551385082Q (charset index: digits 0-9, A=10 … Q=24 … Y=30):
#   9*1 + 1*3 + 1*9 + 1*27 + 0*19 + 1*26 + 0*16 + 8*17 + 5*20 + 5*29 + 1*25 + 3*13 + 8*8 + 5*24 + 0*10
#   + 8*30 + 2*28 = 9+3+9+27+0+26+0+136+100+145+25+39+64+120+0+240+56 = 999
#   999 = 31*32 + 7  ->  (31 - 7) % 31 = 24  ->  charset[24] = "Q"  ✓
# Hand computation for 91350100M000100Y43 (M=21, Y=30):
#   9*1 + 1*3 + 3*9 + 5*27 + 0*19 + 1*26 + 0*16 + 0*17 + 21*20 + 0*29 + 0*25 + 0*13 + 1*8 + 0*24 + 0*10
#   + 30*30 + 4*28 = 9+3+27+135+26+420+8+900+112 = 1640
#   1640 = 31*52 + 28  ->  (31 - 28) % 31 = 3  ->  charset[3] = "3"  ✓
VALID_USCC = [
    "91110108551385082Q",
    "91350100M000100Y43",
    "914403001922038216",  # sum 831 = 31*26 + 25 -> 6
    "9144030071526726XG",  # sum 1782 = 31*57 + 15 -> 16 = G
    "91440300708461136T",  # sum 966 = 31*31 + 5 -> 26 = T
    "91110108717743469K",  # sum 1221 = 31*39 + 12 -> 19 = K
]


def _check_char_by_hand(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def test_uscc_constants() -> None:
    assert len(USCC_CHARSET) == 31
    assert not set(USCC_CHARSET) & set("IOSVZ")
    assert tuple(3**i % 31 for i in range(17)) == USCC_WEIGHTS


@pytest.mark.parametrize("code", VALID_USCC)
def test_validate_uscc_valid(code: str) -> None:
    assert _check_char_by_hand(code[:17]) == code[17]
    assert uscc_check_char(code[:17]) == code[17]
    assert validate_uscc(code)


def test_uscc_check_char_hand_sums() -> None:
    assert uscc_check_char("91110108551385082") == "Q"
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "code",
    [
        "9144030071526726xg",
        " 9144 0300 7152 6726 XG ",
        "９１４４０３００７１５２６７２６ＸＧ",
        "914403007152\u30006726XG\n",
    ],
)
def test_validate_uscc_normalises_input(code: str) -> None:
    assert validate_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "",
        None,
        "91110108551385082R",  # wrong check character
        "91110108551385082",  # 17 characters
        "91110108551385082QQ",  # 19 characters
        "9111010855138508IQ",  # I is not in the charset
        "91110108551385O82Q",  # O is not in the charset
        "91110108-551385082Q",  # hyphen is not stripped
        "911101085513850822",
    ],
)
def test_validate_uscc_invalid(code: str | None) -> None:
    assert not validate_uscc(code)


uscc_body = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)


@given(uscc_body)
def test_generated_uscc_is_valid(body: str) -> None:
    assert validate_uscc(body + _check_char_by_hand(body))
    assert validate_uscc((body + uscc_check_char(body)).lower())


@given(uscc_body, st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_uscc_single_character_mutation_is_rejected(body: str, pos: int, replacement: str) -> None:
    code = body + uscc_check_char(body)
    assume(code[pos] != replacement)
    mutated = code[:pos] + replacement + code[pos + 1 :]
    # 31 is prime and no weight is 0 mod 31, so every substitution changes the checksum.
    assert not validate_uscc(mutated)


@given(uscc_body, st.integers(0, 15))
def test_uscc_adjacent_transposition_in_body_is_rejected(body: str, pos: int) -> None:
    code = body + uscc_check_char(body)
    assume(code[pos] != code[pos + 1])
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    # Neighbouring weights differ by -2*3**pos, never 0 mod 31, so the sum changes.
    assert not validate_uscc(swapped)


# ------------------------------------------- amount_in_words (core.money, over core.text's integer writer)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("1005.00", "壹仟零伍元整"),
        ("100000", "壹拾万元整"),
        ("0.5", "伍角整"),
        ("10.05", "壹拾元零伍分"),
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("100010001.01", "壹亿零壹万零壹元零壹分"),
        ("1000000", "壹佰万元整"),
        ("20000300", "贰仟万零叁佰元整"),
        ("1010000", "壹佰零壹万元整"),
        # Examples from the PBOC 《支付结算办法》 rules for 中文大写金额.
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),
        ("11", "壹拾壹元整"),
        ("101", "壹佰零壹元整"),
        ("110", "壹佰壹拾元整"),
        ("1001", "壹仟零壹元整"),
        ("1010", "壹仟零壹拾元整"),
        ("1100", "壹仟壹佰元整"),
        ("10001", "壹万零壹元整"),
        ("10010", "壹万零壹拾元整"),
        ("10100", "壹万零壹佰元整"),
        ("11000", "壹万壹仟元整"),
        ("1001000", "壹佰万壹仟元整"),
        ("1000100", "壹佰万零壹佰元整"),
        ("100000000", "壹亿元整"),
        ("100000001", "壹亿零壹元整"),
        ("101000000", "壹亿零壹佰万元整"),
        ("100100000", "壹亿零壹拾万元整"),
        ("110000000", "壹亿壹仟万元整"),
        ("1000000010", "壹拾亿零壹拾元整"),
        ("200000010000", "贰仟亿零壹万元整"),
        ("1000000000000", "壹万亿元整"),
        ("1000000000001", "壹万亿零壹元整"),
        ("1000100000000", "壹万零壹亿元整"),
        ("1000010000000", "壹万亿壹仟万元整"),
        ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("0.05", "伍分"),
        ("0.01", "壹分"),
        ("0.55", "伍角伍分"),
        ("1.01", "壹元零壹分"),
        ("1.10", "壹元壹角整"),
        ("100000.10", "壹拾万元零壹角整"),
        ("100000.01", "壹拾万元零壹分"),
        ("1E+3", "壹仟元整"),
    ],
)
def test_amount_in_words(value: str, words: str) -> None:
    assert amount_in_words(Decimal(value)) == words


def test_amount_in_words_accepts_int_and_str() -> None:
    assert amount_in_words(1005) == "壹仟零伍元整"
    assert amount_in_words("12345.67") == "壹万贰仟叁佰肆拾伍元陆角柒分"


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-Infinity", "1E16", "9999999999999999.995", "-1E20", "abc"]
)
def test_amount_in_words_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        amount_in_words(Decimal(value) if value != "abc" else value)


_DIGIT_VALUES = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _parse_amount(words: str) -> Decimal:
    """Independent reader of 大写 amounts, used as a round-trip oracle."""
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负").removesuffix("整")
    integer, _, fraction = words.rpartition("元") if "元" in words else ("", "", words)
    yi = wan = cur = num = 0
    for ch in integer:
        if ch in _DIGIT_VALUES:
            num = _DIGIT_VALUES[ch]
        elif ch in "拾佰仟":
            cur += num * 10 ** ("拾佰仟".index(ch) + 1)
            num = 0
        elif ch == "万":
            wan += (cur + num) * 10**4
            cur = num = 0
        elif ch == "亿":
            yi = (yi + wan + cur + num) * 10**8
            wan = cur = num = 0
        else:
            raise AssertionError(ch)
    cents = (yi + wan + cur + num) * 100
    num = 0
    for ch in fraction:
        if ch in _DIGIT_VALUES:
            num = _DIGIT_VALUES[ch]
        elif ch == "角":
            cents += num * 10
            num = 0
        elif ch == "分":
            cents += num
            num = 0
        else:
            raise AssertionError(ch)
    return sign * Decimal(cents).scaleb(-2)


def _reference_integer(n: int) -> str:
    """Digit-by-digit writer: one 零 per zero run, zeros just before a 万/亿 unit are absorbed."""
    s = str(n)
    out: list[str] = []
    zero = False
    for i, ch in enumerate(s):
        pos = len(s) - 1 - i
        d = int(ch)
        if d:
            if zero:
                out.append("零")
                zero = False
            out.append("零壹贰叁肆伍陆柒捌玖"[d] + ("", "拾", "佰", "仟")[pos % 4])
        elif out:
            zero = True
        if pos == 8:
            out.append("亿")
            zero = False
        elif pos in (4, 12) and int(s[max(0, i - 3) : i + 1]):
            out.append("万")
            zero = False
    return "".join(out)


amounts = st.decimals(
    min_value=Decimal("0"),
    max_value=Decimal("9999999999999999.99"),
    allow_nan=False,
    allow_infinity=False,
    places=2,
)
sparse_amounts = st.builds(
    lambda ds, cents: Decimal(int("".join(ds) or "0")) + Decimal(cents).scaleb(-2),
    st.lists(st.sampled_from("0000000123456789"), max_size=16),
    st.integers(0, 99),
)


@given(st.one_of(amounts, sparse_amounts))
@settings(max_examples=500)
def test_amount_in_words_properties(value: Decimal) -> None:
    words = amount_in_words(value)
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert _parse_amount(words) == rounded
    assert "零零" not in words
    assert "零元" not in words or words == "零元整"
    assert not words.removeprefix("负").startswith("零") or words == "零元整"
    assert "零亿" not in words and "零万" not in words
    assert words.endswith(("整", "角", "分"))
    assert words.startswith("负") == (rounded < 0)
    yuan = int(abs(rounded))
    if yuan:
        assert words.removeprefix("负").startswith(_reference_integer(yuan) + "元")
    else:
        assert "元" not in words or words == "零元整"


# ---------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  北京沃力森  ", "北京沃力森"),
        ("\u3000北京沃力森\u3000", "北京沃力森"),
        ("line1\nline2", "line1\nline2"),
        ("col1\tcol2", "col1\tcol2"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\x00b\x07c\x1bd\x7fe\x85f", "abcdef"),
        ("\x00  text \x0b", "text"),
        ("ＡＢＣ（北京）", "ＡＢＣ（北京）"),
        ("e\u0301", "e\u0301"),
        ("a\ud800b", "ab"),
        ("\u200b\u200b", ""),
        ("\u202e公司\u2066", "公司"),
        ("\ufeff北京\u00ad沃力森", "北京沃力森"),
        ("\u200d 👨\u200d👩 \u200c", "👨\u200d👩"),
        (12345, "12345"),
        (Decimal("1.50"), "1.50"),
    ],
)
def test_clean_text(value: object, expected: str) -> None:
    assert clean_text(value) == expected


@given(st.text())
def test_clean_text_properties(value: str) -> None:
    cleaned = clean_text(value)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    for c in cleaned:
        assert c in "\n\t\u200c\u200d" or unicodedata.category(c) not in ("Cc", "Cs", "Cf")
    assert not cleaned.startswith(("\u200c", "\u200d")) and not cleaned.endswith(("\u200c", "\u200d"))


def test_clean_text_drops_exactly_the_format_characters_but_joiners() -> None:
    kept = {chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF
            and unicodedata.category(chr(c)) == "Cf" and clean_text("a" + chr(c) + "b") == "a" + chr(c) + "b"}
    assert kept == {"\u200c", "\u200d"}
