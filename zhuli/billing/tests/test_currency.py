"""A foreign-currency agreement paid or invoiced in full in its currency is paid or invoiced in full in CNY, to the
cent, however the parts round; what is owed is judged in the agreement's currency."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhuli.billing import services
from zhuli.billing.models import Payment
from zhuli.core.errors import InvalidInput
from zhuli.deals.models import Agreement

from .conftest import make_agreement

D = Decimal


def usd(org, foreign="1000.00", rate="7.1234") -> Agreement:
    amount = (D(foreign) * D(rate)).quantize(D("0.01"))
    return make_agreement(org, amount=str(amount), currency="USD", exchange_rate=D(rate), foreign_amount=D(foreign))


def test_three_usd_payments_settle_the_cny_amount_exactly(org):
    a = usd(org)
    finance = org.actor("finance")
    services.plan_generate(actor=finance, agreement_id=a.pk, count=3, first_due="2026-02-01")
    bases = [services.payment_record(actor=finance, agreement_id=a.pk,
                                     data={"paid_on": "2026-02-02", "amount": part}).base_amount
             for part in ("333.33", "333.33", "333.34")]
    a.refresh_from_db()
    # Converted alone, 2374.44 + 2374.44 + 2374.51 = 7123.39, a fen short: each takes round(total so far × rate)
    # minus what came before (2374.44, 4748.89 − 2374.44, 7123.40 − 4748.89).
    assert bases == [D("2374.44"), D("2374.45"), D("2374.51")]
    assert a.received_amount == a.amount == D("7123.40") and a.outstanding_amount == 0
    assert not a.plans.exclude(status="paid").exists()


def test_what_is_owed_is_judged_in_the_agreements_currency(org):
    a = usd(org)
    finance = org.actor("finance")
    services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-02-02", "amount": "999.99"})
    with pytest.raises(InvalidInput) as exc:
        services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-02-02", "amount": "0.02"})
    assert "USD 0.01" in exc.value.errors["amount"][0]
    last = services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-02-02", "amount": "0.01"})
    a.refresh_from_db()
    assert last.base_amount == D("0.07") and a.received_amount == a.amount  # 7123.40 − round(999.99 × 7.1234)


def test_confirmed_out_of_order_the_completing_payment_still_takes_the_rest(org):
    a = usd(org)
    sales, finance = org.actor("sales1"), org.actor("finance")
    first = services.payment_record(actor=sales, agreement_id=a.pk, data={"paid_on": "2026-02-02", "amount": "500.01"})
    second = services.payment_record(actor=sales, agreement_id=a.pk, data={"paid_on": "2026-02-03", "amount": "499.99"})
    services.payment_confirm(actor=finance, payment_id=second.pk)
    services.payment_confirm(actor=finance, payment_id=first.pk)
    a.refresh_from_db()
    assert a.received_amount == a.amount
    assert Payment.objects.get(pk=first.pk).base_amount == a.amount - Payment.objects.get(pk=second.pk).base_amount


def test_usd_invoices_in_full_reach_the_cny_amount_and_no_further(org):
    a = usd(org, foreign="100.00", rate="6.8888")  # ¥688.88
    sales = org.actor("sales1")
    for part in ("33.33", "33.33", "33.34"):
        services.invoice_request(actor=sales, agreement_id=a.pk, data={"amount": part, "tax_rate": "13"})
    a.refresh_from_db()
    assert a.invoiced_amount == a.amount
    with pytest.raises(InvalidInput) as exc:
        services.invoice_request(actor=sales, agreement_id=a.pk, data={"amount": "0.01", "tax_rate": "13"})
    assert "USD 0.00" in exc.value.errors["amount"][0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.decimals(min_value=D("1"), max_value=D("30"), places=4),
       cuts=st.lists(st.integers(1, 9999), min_size=1, max_size=5, unique=True))
def test_any_split_of_a_usd_amount_settles_exactly(org, rate, cuts):
    """At rates of 1 and more every part converts to at least one fen (below that, see the next test)."""
    foreign = D("100.00")
    a = usd(org, foreign=str(foreign), rate=str(rate))
    points = sorted(cuts)
    parts = [D(b - c) / 100 for c, b in zip([0, *points], [*points, 10000], strict=True)]
    finance = org.actor("finance")
    for part in parts:
        services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-02-02", "amount": str(part)})
    a.refresh_from_db()
    assert a.received_amount == a.amount and a.outstanding_amount == 0


def test_a_part_worth_less_than_a_fen_is_refused(org):
    """Below a rate of 1 a part of a cent or two may add nothing in CNY: refused, nothing written."""
    a = usd(org, foreign="1000.00", rate="0.047")  # JPY-like
    with pytest.raises(InvalidInput) as exc:
        services.payment_record(actor=org.actor("finance"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-02", "amount": "0.05"})
    assert "不足" in exc.value.errors["amount"][0]
    assert not Payment.objects.exists()
