"""Money as typed by people and sent by programs: one parser that never raises decimal errors (NaN, Infinity,
1e999, 27 digits …), and the one rounding rule (ROUND_HALF_UP to the cent)."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from zhuli.core.text import _CN_DIGITS, _cn_integer

CENT = Decimal("0.01")
# The largest amount stored (DecimalField max_digits=14, decimal_places=2).
AMOUNT_MAX = Decimal("999999999999.99")
_RAW_MAX = 60  # longer text is no amount anyone typed


class MoneyError(ValueError):
    """`kind` is "invalid" (not a number) or "too_large" (beyond AMOUNT_MAX, ±Infinity included)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def to_decimal(value) -> Decimal:
    """A finite Decimal of at most AMOUNT_MAX in size from text ('1,200.50', '¥1200'), int or float.
    Booleans, NaN/sNaN and garbage raise MoneyError("invalid"); ±Infinity and anything beyond AMOUNT_MAX
    (checked by exponent, before any quantize) raise MoneyError("too_large")."""
    if isinstance(value, bool):
        raise MoneyError("invalid")
    typed = isinstance(value, str)
    if isinstance(value, Decimal):
        number = value
    else:
        if isinstance(value, float):
            if math.isnan(value):
                raise MoneyError("invalid")
            value = repr(value)
        raw = str(value).strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
        if len(raw) > _RAW_MAX:
            raise MoneyError("too_large" if raw.lstrip("+-").isdigit() else "invalid")
        try:
            number = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise MoneyError("invalid") from None
    if number.is_nan():
        raise MoneyError("invalid")
    if number.is_infinite() or (number and number.adjusted() > AMOUNT_MAX.adjusted()) or abs(number) > AMOUNT_MAX:
        raise MoneyError("too_large")
    if typed and "e" in raw.lower():
        raise MoneyError("invalid")  # "1e3" is no way to type an amount: refused rather than read as 1000
    return number


def round_cents(value) -> Decimal:
    """ROUND_HALF_UP to the cent (None → 0.00)."""
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def weighted_amount(amount, probability) -> Decimal:
    """加权金额 of one opportunity: amount × probability / 100, rounded half-up to the cent
    (12345.65 × 10% = 1234.565 → 1234.57). A sum over many (a board column, the funnel) is the SUM of the
    unrounded products, rounded once: `weighted_sum`."""
    return round_cents(Decimal(amount or 0) * Decimal(probability or 0) / 100)


def weighted_sum(sum_of_amount_times_probability) -> Decimal:
    """Σ amount × probability (as SQL sums it, unrounded) / 100, rounded half-up to the cent once."""
    return round_cents(Decimal(sum_of_amount_times_probability or 0) / 100)


def line_amount(quantity, unit_price, discount=0) -> Decimal:
    """A priced line, tax included (含税): quantity × unit_price × (1 − discount/100), ROUND_HALF_UP to the cent.
    A quote's or an agreement's total is the sum of its lines rounded this way (never the rounded sum of raw
    products), so header, print, export and reports agree to the cent."""
    raw = Decimal(quantity or 0) * Decimal(unit_price or 0) * (1 - Decimal(discount or 0) / 100)
    return round_cents(raw)


# ---- 大写 (amounts in Chinese capitals, for printed documents) ------------------------------------------

# Integer parts up to 仟万亿 (16 digits): well beyond AMOUNT_MAX, so every stored amount can be written.
WORDS_MAX = Decimal("9999999999999999.99")


def amount_in_words(value) -> str:
    """An amount in Chinese capitals (大写) as cheques, receipts and contracts write it, after the PBOC rules for
    filling in bills (《支付结算办法》附件《正确填写票据和结算凭证的基本规定》):

    * 壹拾 is written out (10 → 壹拾元整); a run of zeros inside the number is one 零 (1,005.00 → 壹仟零伍元整,
      6,007.14 → 陆仟零柒元壹角肆分, 100,005 → 壹拾万零伍元整); zeros at the end of a 万 / 亿 section write
      nothing (1,000,000 → 壹佰万元整).
    * Where the rules allow a mark or not, we write it, since each mark makes the amount harder to alter:
      元位 is 0 and 角 follows → 元零 (1,680.32 → 壹仟陆佰捌拾元零叁角贰分, 100,000.50 → 壹拾万元零伍角整);
      no 角 but 分 → 元零 (325.04 → 叁佰贰拾伍元零肆分); 整 after 元 (no 角 or 分) and after 角 (no 分):
      10.30 → 壹拾元零叁角整. Nothing follows 分. Less than a yuan has no 元: 0.05 → 伍分; 0 → 零元整.

    Refuses (ValueError) negative, non-finite, more than two decimals and beyond WORDS_MAX; floats (TypeError)."""
    if isinstance(value, bool | float):
        raise TypeError("amount_in_words takes a Decimal, an int or a decimal string")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite() or number < 0 or number > WORDS_MAX:
        raise ValueError(f"no capitals for {value!r}")
    if number != number.quantize(CENT):
        raise ValueError(f"{value!r} has more than two decimals")
    cents = int(number.quantize(CENT) * 100)
    integer, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    # The integer part is core.text's writer (core/tests/test_text.py covers every zero-inside case).
    text = _cn_integer(integer) + "元" if integer else ""
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        if integer and integer % 10 == 0:
            text += "零"
        text += _CN_DIGITS[jiao] + "角"
        return text + (_CN_DIGITS[fen] + "分" if fen else "整")
    return text + ("零" if integer else "") + _CN_DIGITS[fen] + "分"
