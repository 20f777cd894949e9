"""The one tax method of invoices (发票), so header, print, export and reports agree to the cent.

Amounts on invoices include tax (价税合计). Per document (tenant feature `invoice_tax_method` = "document", the
default): net = round(gross / (1 + rate)), tax = gross − net. Per line ("line"): the gross is shared over the
agreement's lines in proportion to their amounts (largest remainder, so the shares sum to the gross exactly),
each share is taxed at its line's rate as above, and the invoice's tax is the sum. Either way net = gross − tax.
"""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from zhuli.core.money import CENT, round_cents

DOCUMENT, LINE = "document", "line"
TAX_METHODS = (DOCUMENT, LINE)


def tax_of(gross: Decimal, rate: Decimal) -> Decimal:
    """The tax inside a tax-included amount at `rate` percent: gross − round(gross / (1 + rate/100))."""
    gross = Decimal(gross)
    return gross - round_cents(gross / (1 + Decimal(rate) / 100))


def share(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` split in proportion to `weights`, to the cent, summing exactly (largest remainder)."""
    weight_sum = sum(weights, Decimal(0))
    if not weights or weight_sum <= 0:
        return [total] + [Decimal("0.00")] * (len(weights) - 1) if weights else []
    exact = [total * w / weight_sum for w in weights]
    parts = [x.quantize(CENT, rounding=ROUND_FLOOR) for x in exact]
    left = int((total - sum(parts, Decimal(0))) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += CENT
    return parts


def invoice_tax(gross: Decimal, rate: Decimal, *, method: str = DOCUMENT,
                lines: list[tuple[Decimal, Decimal]] | None = None) -> tuple[Decimal, Decimal]:
    """(tax, net) of an invoice of `gross`; `lines` are the agreement's (amount, tax rate) for the line method
    (without lines the document method applies)."""
    gross = round_cents(gross)
    if method == LINE and lines:
        parts = share(gross, [Decimal(amount) for amount, _rate in lines])
        tax = sum((tax_of(part, line_rate) for part, (_amount, line_rate) in zip(parts, lines, strict=True)),
                  Decimal("0.00"))
    else:
        tax = tax_of(gross, rate)
    return tax, gross - tax
