"""Defects a fresh-eyes pass found in payments, plans and invoices, each held by the right value."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from zhuli.billing import rollup, selectors, services
from zhuli.billing.models import Invoice, Payment, PaymentPlan
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.deals.models import Agreement, AgreementLine

from .conftest import make_agreement

D = Decimal


def test_an_invoice_is_not_dated_in_the_future_and_its_number_is_used_once(org):
    a = make_agreement(org, amount="1000.00")
    sales, finance = org.actor("sales1"), org.actor("finance")
    one, two = (services.invoice_request(actor=sales, agreement_id=a.pk, data={"amount": "100", "tax_rate": "13"})
                for _ in range(2))
    tomorrow = org.tenant.today() + datetime.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        services.invoice_issue(actor=finance, invoice_id=one.pk, invoice_number="12345678",
                               invoice_date=tomorrow.isoformat())
    assert exc.value.errors["invoice_date"] == ["开票日期不能晚于今天"]
    services.invoice_issue(actor=finance, invoice_id=one.pk, invoice_number="12345678",
                           invoice_date=org.tenant.today().isoformat())
    with pytest.raises(InvalidInput) as exc:
        services.invoice_issue(actor=finance, invoice_id=two.pk, invoice_number="12345678",
                               invoice_date=org.tenant.today().isoformat())
    assert one.request_number in exc.value.errors["invoice_number"][0]
    assert Invoice.objects.get(pk=two.pk).status == "approved"


def test_no_invoice_is_issued_on_a_cancelled_order(org):
    a = make_agreement(org, amount="1000.00")
    invoice = services.invoice_request(actor=org.actor("sales1"), agreement_id=a.pk,
                                       data={"amount": "100", "tax_rate": "13"})
    Agreement.objects.filter(pk=a.pk).update(status="cancelled")  # as an older version let it be
    with pytest.raises(Conflict):
        services.invoice_issue(actor=org.actor("finance"), invoice_id=invoice.pk, invoice_number="1",
                               invoice_date=org.tenant.today().isoformat())


def test_a_returned_payment_keeps_its_reason(org, client):
    a = make_agreement(org, amount="1000.00")
    payment = services.payment_record(actor=org.actor("sales1"), agreement_id=a.pk,
                                      data={"paid_on": "2026-02-01", "amount": "100"})
    services.payment_reject(actor=org.actor("finance"), payment_id=payment.pk, reason="没到账")
    assert Payment.objects.get(pk=payment.pk).reject_reason == "没到账"
    rows = list(selectors.payment_list(actor=org.actor("sales1")).values(*selectors.PAYMENT_COLUMNS))
    assert rows[0]["reject_reason"] == "没到账"


def test_overdue_instalments_are_those_owed(org):
    today = org.tenant.today()
    sign = today - datetime.timedelta(days=90)
    owed = make_agreement(org, amount="100.00", kind="contract", sign_date=sign)
    ended = make_agreement(org, amount="100.00", kind="contract", sign_date=sign)
    for a in (owed, ended):
        services.plan_add(actor=org.actor("finance"), agreement_id=a.pk,
                          data={"due_date": (sign + datetime.timedelta(days=10)).isoformat(), "amount": "100"})
    Agreement.objects.filter(pk=ended.pk).update(status="terminated")
    rollup.refresh_agreement(Agreement.objects.get(pk=ended.pk))  # past the agreements services
    overdue = selectors.plan_list(actor=org.actor("boss"), filters=selectors.BillingFilters(status="overdue"))
    assert [p.agreement_id for p in overdue] == [owed.pk]
    assert selectors.receivables_summary(actor=org.actor("boss"))["overdue"] == D("100.00")


def test_the_overpayment_mark_stays_only_on_what_goes_beyond(org):
    a = make_agreement(org, amount="100.00")
    p = services.payment_record(actor=org.actor("finance"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-01", "amount": "10", "is_overpayment": True})
    assert not Payment.objects.get(pk=p.pk).is_overpayment
    p = services.payment_record(actor=org.actor("finance"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-01", "amount": "95", "is_overpayment": True})
    assert Payment.objects.get(pk=p.pk).is_overpayment


def test_percentages_split_like_the_equal_split_and_take_chinese_commas(org):
    assert services.split_percentages(D("5.47"), [D(50), D(50)]) == [D("2.74"), D("2.73")]
    a = make_agreement(org, amount="5.47")
    plans = services.plan_generate(actor=org.actor("finance"), agreement_id=a.pk, percentages="30，40、30",
                                   first_due="2026-02-01")
    assert [p.amount for p in plans] == [D("1.65"), D("2.18"), D("1.64")]
    assert sum(PaymentPlan.objects.filter(agreement=a).values_list("amount", flat=True)) == D("5.47")


def test_per_line_tax_says_so_and_keeps_a_common_rate(org):
    from zhuli.tenancy.services import tenant_features_set

    tenant_features_set(actor=org.actor("admin"), data={"invoice_tax_method": "line"})
    org.tenant.refresh_from_db()
    mixed = make_agreement(org, amount="200.00")
    AgreementLine.objects.bulk_create([
        AgreementLine(tenant=org.tenant, agreement=mixed, name="a", quantity=1, unit_price=100, amount=100,
                      tax_rate=6, position=1),
        AgreementLine(tenant=org.tenant, agreement=mixed, name="b", quantity=1, unit_price=100, amount=100,
                      tax_rate=13, position=2)])
    one = make_agreement(org, amount="100.00")
    AgreementLine.objects.create(tenant=org.tenant, agreement=one, name="c", quantity=1, unit_price=100, amount=100,
                                 tax_rate=9, position=1)
    actor = org.actor("sales1")
    a = services.invoice_request(actor=actor, agreement_id=mixed.pk, data={"amount": "10.00", "tax_rate": "13"})
    b = services.invoice_request(actor=actor, agreement_id=one.pk, data={"amount": "10.00", "tax_rate": "13"})
    assert (a.per_line, b.per_line, b.tax_rate) == (True, True, D("9"))
    assert a.tax_amount == D("0.86")  # 5.00 at 6 % (0.28) + 5.00 at 13 % (0.58)


def test_a_receipt_carries_no_vat(org):
    a = make_agreement(org, amount="1000.00")
    receipt = services.invoice_request(actor=org.actor("sales1"), agreement_id=a.pk,
                                       data={"amount": "100", "tax_rate": "13", "invoice_type": "receipt"})
    assert (receipt.tax_amount, receipt.net_amount, receipt.tax_rate) == (D("0.00"), D("100.00"), D("0"))


def test_receivables_count_one_set_of_owners_when_the_two_scopes_differ(org):
    """回款 at 全部 but 合同/订单 at 本人 for sales: the aging still adds up to the outstanding, and 其中逾期 covers
    only the agreements counted (the colleague's instalments stay out of both)."""
    from zhuli.access.actor import Actor
    from zhuli.access.services import permission_set

    permission_set(actor=org.actor("admin"), role="sales", module="payments", scope="all",
                   actions={"view", "create", "edit"})
    today = org.tenant.today()
    sign = today - datetime.timedelta(days=60)
    mine = make_agreement(org, "sales1", amount="300.00", sign_date=sign)
    theirs = make_agreement(org, "sales2", amount="500.00", sign_date=sign)
    for a, amount in ((mine, "100"), (theirs, "500")):
        services.plan_add(actor=org.actor("finance"), agreement_id=a.pk,
                          data={"due_date": (sign + datetime.timedelta(days=5)).isoformat(), "amount": amount})
    sales1 = Actor.for_user(org["sales1"])
    for filters in (None, {"customer": mine.customer_id}, {"customer": theirs.customer_id}):
        summary = selectors.receivables_summary(actor=sales1, filters=filters)
        aging = selectors.receivables_aging(actor=sales1, filters=filters)
        assert aging["total"] == summary["outstanding"], filters
        assert aging["overdue"] == summary["overdue"], filters
    summary = selectors.receivables_summary(actor=sales1)
    assert (summary["outstanding"], summary["overdue"]) == (D("300.00"), D("100.00"))
