"""core.money.amount_in_words: the 大写 printed on contracts, orders, quotes and receipts. Hand-checked cases
(the PBOC examples among them) and properties over every amount a document can hold."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhuli.core.money import WORDS_MAX, amount_in_words


@pytest.mark.parametrize(("value", "words"), [
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("1005.00", "壹仟零伍元整"),
    ("100000.50", "壹拾万元零伍角整"),
    ("0.05", "伍分"),
    ("10.30", "壹拾元零叁角整"),
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.50", "伍角整"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("10", "壹拾元整"),
    ("11.11", "壹拾壹元壹角壹分"),
    ("1.01", "壹元零壹分"),
    ("1.10", "壹元壹角整"),
    ("20.00", "贰拾元整"),
    ("101", "壹佰零壹元整"),
    ("110.10", "壹佰壹拾元零壹角整"),
    ("100000.01", "壹拾万元零壹分"),
    ("100005", "壹拾万零伍元整"),
    ("1000000", "壹佰万元整"),
    ("1010000", "壹佰零壹万元整"),
    ("20000300", "贰仟万零叁佰元整"),
    ("100000000", "壹亿元整"),
    ("100010000", "壹亿零壹万元整"),
    ("1000000000000", "壹万亿元整"),
    ("1200000000000", "壹万贰仟亿元整"),
    # 《正确填写票据和结算凭证的基本规定》's own examples, in the form that writes every optional mark.
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "壹拾万柒仟元零伍角叁分"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_hand_checked(value, words):
    assert amount_in_words(Decimal(value)) == words


def test_int_and_text_are_accepted():
    assert amount_in_words(1005) == "壹仟零伍元整"
    assert amount_in_words("10.30") == "壹拾元零叁角整"


@pytest.mark.parametrize("value", [Decimal("-0.01"), Decimal("-1005"), Decimal("1.005"), Decimal("NaN"),
                                   Decimal("Infinity"), Decimal("1E16"), "abc", "12,00"])
def test_refused(value):
    with pytest.raises(ValueError):
        amount_in_words(value)


@pytest.mark.parametrize("value", [1.5, True])
def test_floats_and_booleans_are_no_amounts(value):
    with pytest.raises(TypeError):
        amount_in_words(value)


_DIGITS = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}


def read_words(words: str) -> Decimal:
    """An independent reader of 大写, the round-trip oracle."""
    body = words.removesuffix("整")
    integer, _, fraction = body.partition("元") if "元" in body else ("", "", body)
    total = section = number = 0
    for ch in integer:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in "拾佰仟":
            section += number * 10 ** ("拾佰仟".index(ch) + 1)
            number = 0
        elif ch == "万":
            section = (section + number) * 10 ** 4
            number = 0
        elif ch == "亿":
            total = (total + section + number) * 10 ** 8
            section = number = 0
        else:
            raise AssertionError(ch)
    cents = (total + section + number) * 100
    number = 0
    for ch in fraction:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in "角分":
            cents += number * (10 if ch == "角" else 1)
            number = 0
        else:
            raise AssertionError(ch)
    return Decimal(cents).scaleb(-2)


amounts = st.one_of(
    st.decimals(min_value=0, max_value=WORDS_MAX, places=2, allow_nan=False, allow_infinity=False),
    # Sparse digits: zeros inside, at section ends, around 元 and 角.
    st.builds(lambda ds, cents: Decimal(int("".join(ds) or "0")) + Decimal(cents).scaleb(-2),
              st.lists(st.sampled_from("00000000123456789"), max_size=16), st.sampled_from([0, 1, 5, 10, 30, 99])),
)


@given(amounts)
@settings(max_examples=600)
def test_properties(value):
    words = amount_in_words(value)
    cents = int(value * 100)
    integer, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    assert read_words(words) == value
    assert set(words) <= set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    assert "零零" not in words and "零万" not in words and "零亿" not in words and "零元" not in words[1:]
    assert words.endswith("整") == (fen == 0)  # 整 after 元 or 角, never after 分
    assert ("元" in words) == (integer > 0 or cents == 0)
    assert not words.startswith("零") or words == "零元整"
    if integer and (jiao or fen) and (integer % 10 == 0 or not jiao):
        assert "元零" in words  # 元位 0 before 角, or no 角 before 分: the 零 is written
    if integer and jiao and integer % 10:
        assert "元零" not in words


def test_amounts_are_typed_as_plain_numbers():
    from zhuli.core.money import MoneyError, to_decimal

    for typed in ("1e3", "1E3", "2.5e2"):
        with pytest.raises(MoneyError) as exc:
            to_decimal(typed)
        assert exc.value.args[0] == "invalid", typed
    with pytest.raises(MoneyError) as exc:
        to_decimal("1e999")
    assert exc.value.args[0] == "too_large"
    assert to_decimal("¥1,200.50") == Decimal("1200.50") and to_decimal(1e-05) == Decimal("0.00001")
