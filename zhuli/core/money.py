"""Money as typed by people and sent by programs: one parser that never raises decimal errors (NaN, Infinity,
1e999, 27 digits …), and the one rounding rule (ROUND_HALF_UP to the cent)."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
