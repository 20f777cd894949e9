import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhuli.billing import services
from zhuli.billing.models import Invoice, InvoiceStatus, Payment, PaymentPlan, PaymentStatus
from zhuli.billing.selectors import plan_display_status, receivables_aging, receivables_summary
from zhuli.billing.tax import invoice_tax, share
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.deals.models import Agreement, AgreementLine

from .conftest import make_agreement

D = Decimal


def fresh(agreement) -> Agreement:
    return Agreement.objects.get(pk=agreement.pk)


# ---- money rules -------------------------------------------------------------------------------

def test_equal_split_puts_the_remainder_on_the_first_instalment():
    assert services.split_equal(D("5.47"), 3) == [D("1.83"), D("1.82"), D("1.82")]
    assert services.split_equal(D("100.00"), 3) == [D("33.34"), D("33.33"), D("33.33")]


@given(total=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2), count=st.integers(1, 60))
def test_equal_instalments_always_sum_to_the_amount(total, count):
    parts = services.split_equal(total, count)
    assert sum(parts) == total and len(parts) == count
    assert max(parts) - min(parts) <= D("0.01") * count


@given(total=st.decimals(min_value=D("1.00"), max_value=D("99999999.99"), places=2),
       cuts=st.lists(st.integers(1, 99), min_size=0, max_size=5, unique=True))
def test_percentage_instalments_always_sum_to_the_amount(total, cuts):
    points = sorted(cuts)
    percentages = [D(b - a) for a, b in zip([0, *points], [*points, 100], strict=True)]
    parts = services.split_percentages(total, percentages)
    assert sum(parts) == total


@given(gross=st.decimals(min_value=D("0.01"), max_value=D("999999999.99"), places=2),
       rate=st.decimals(min_value=D("0"), max_value=D("100"), places=2))
def test_tax_plus_net_is_gross_per_document(gross, rate):
    tax, net = invoice_tax(gross, rate)
    assert tax + net == gross and tax >= 0 and net >= 0
    assert net == (gross / (1 + rate / 100)).quantize(D("0.01"), rounding="ROUND_HALF_UP")


@given(gross=st.decimals(min_value=D("0.01"), max_value=D("99999999.99"), places=2),
       lines=st.lists(st.tuples(st.decimals(min_value=D("0"), max_value=D("9999999.99"), places=2),
                                st.sampled_from([D("0"), D("6"), D("9"), D("13")])), min_size=1, max_size=6))
def test_tax_plus_net_is_gross_per_line(gross, lines):
    tax, net = invoice_tax(gross, D("13"), method="line", lines=lines)
    assert tax + net == gross and tax >= 0 and net >= 0
    assert sum(share(gross, [a for a, _r in lines])) == gross


def test_known_tax_figures():
    assert invoice_tax(D("113.00"), D("13")) == (D("13.00"), D("100.00"))
    assert invoice_tax(D("100.00"), D("13")) == (D("11.50"), D("88.50"))
    # Per line: 60 at 13% and 40 at 6% of a 100.00 invoice.
    assert invoice_tax(D("100.00"), D("13"), method="line", lines=[(D("600"), D("13")), (D("400"), D("6"))]) == (
        D("6.90") + D("2.26"), D("100.00") - D("6.90") - D("2.26"))


# ---- plans ---------------------------------------------------------------------------------------

def test_generate_equal_plan(org):
    a = make_agreement(org, amount="5.47")
    plans = services.plan_generate(actor=org.actor("sales1"), agreement_id=a.pk, count=3,
                                   first_due="2026-02-01", interval_months=1)
    assert [p.amount for p in plans] == [D("1.83"), D("1.82"), D("1.82")]
    rows = list(PaymentPlan.objects.filter(agreement=a).order_by("number").values_list("due_date", flat=True))
    assert rows == [datetime.date(2026, 2, 1), datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]
    assert fresh(a).planned_amount == D("5.47")


def test_generate_by_percentages_and_month_ends(org, agreement):
    services.plan_generate(actor=org.actor("sales1"), agreement_id=agreement.pk, percentages=["30", "40", "30"],
                           first_due="2026-01-31")
    plans = list(PaymentPlan.objects.filter(agreement=agreement).order_by("number"))
    assert [p.amount for p in plans] == [D("3000.00"), D("4000.00"), D("3000.00")]
    assert plans[1].due_date == datetime.date(2026, 2, 28)


def test_plan_total_cannot_exceed_the_agreement(org, agreement):
    actor = org.actor("sales1")
    services.plan_add(actor=actor, agreement_id=agreement.pk, data={"due_date": "2026-02-01", "amount": "8000"})
    with pytest.raises(InvalidInput) as exc:
        services.plan_add(actor=actor, agreement_id=agreement.pk, data={"due_date": "2026-03-01", "amount": "2000.01"})
    assert "最多还可计划 ¥2,000.00" in exc.value.errors["amount"][0]
    assert PaymentPlan.objects.filter(agreement=agreement).count() == 1


@pytest.mark.parametrize("data, field, message", [
    ({"due_date": "2026-01-09", "amount": "100"}, "due_date", "不能早于签约日期"),
    ({"due_date": "2026-02-01", "amount": "-1"}, "amount", "负数"),
    ({"due_date": "2026-02-01", "amount": "1.005"}, "amount", "最多两位小数"),
    ({"due_date": "2026-02-01", "amount": "NaN"}, "amount", "应为数字"),
    ({"due_date": "2026-02-01", "amount": "1e999"}, "amount", "过大"),
    ({"due_date": "31/02/2026", "amount": "1"}, "due_date", "日期无效"),
])
def test_bad_instalments_are_refused_naming_the_field(org, agreement, data, field, message):
    with pytest.raises(InvalidInput) as exc:
        services.plan_add(actor=org.actor("sales1"), agreement_id=agreement.pk, data=data)
    assert message in exc.value.errors[field][0]
    assert not PaymentPlan.objects.filter(agreement=agreement).exists()
    assert fresh(agreement).planned_amount == 0


def test_plan_update_and_delete_respect_what_was_received(org, agreement):
    plan = services.plan_add(actor=org.actor("sales1"), agreement_id=agreement.pk,
                             data={"due_date": "2026-02-01", "amount": "5000"})
    services.payment_record(actor=org.actor("finance"), agreement_id=agreement.pk,
                            data={"paid_on": "2026-02-01", "amount": "3000"})
    with pytest.raises(InvalidInput) as exc:
        services.plan_update(actor=org.actor("sales1"), plan_id=plan.pk, data={"amount": "2999.99"})
    assert "已回款 ¥3,000.00" in exc.value.errors["amount"][0]
    with pytest.raises(Conflict):
        services.plan_delete(actor=org.actor("manager1"), plan_id=plan.pk)
    assert PaymentPlan.objects.get(pk=plan.pk).status == "partial"


def test_display_status_shows_overdue():
    plan = PaymentPlan(status="partial", due_date=datetime.date(2026, 3, 1))
    assert plan_display_status(plan, datetime.date(2026, 3, 1)) == "partial"
    assert plan_display_status(plan, datetime.date(2026, 3, 2)) == "overdue"
    assert plan_display_status({"status": "paid", "due_date": datetime.date(2026, 1, 1)},
                               datetime.date(2026, 3, 2)) == "paid"


# ---- payments -------------------------------------------------------------------------------------

def test_sales_records_and_finance_confirms_settling_the_oldest_instalment(org, agreement):
    services.plan_generate(actor=org.actor("sales1"), agreement_id=agreement.pk, count=2, first_due="2026-02-01")
    payment = services.payment_record(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                      data={"paid_on": "2026-02-03", "amount": "6000.00", "payer": "甲方"})
    assert payment.status == PaymentStatus.RECORDED and payment.number.startswith("HK-202602-")
    assert fresh(agreement).received_amount == 0
    services.payment_confirm(actor=org.actor("finance"), payment_id=payment.pk)
    a = fresh(agreement)
    assert a.received_amount == D("6000.00") and a.outstanding_amount == D("4000.00")
    plans = list(PaymentPlan.objects.filter(agreement=agreement).order_by("number"))
    assert [(p.received_amount, p.status) for p in plans] == [(D("5000.00"), "paid"), (D("1000.00"), "partial")]
    assert Payment.objects.get(pk=payment.pk).plan_id == plans[0].pk


def test_sales_cannot_confirm_and_nothing_changes(org, agreement):
    payment = services.payment_record(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                      data={"paid_on": "2026-02-03", "amount": "100"})
    for who in ("sales1", "manager1"):
        with pytest.raises(Forbidden):
            services.payment_confirm(actor=org.actor(who), payment_id=payment.pk)
    assert Payment.objects.get(pk=payment.pk).status == "recorded"
    assert fresh(agreement).received_amount == 0


def test_payment_beyond_what_is_owed_needs_the_overpayment_mark(org, agreement):
    finance = org.actor("finance")
    services.payment_record(actor=finance, agreement_id=agreement.pk, data={"paid_on": "2026-02-01", "amount": "9000"})
    with pytest.raises(InvalidInput) as exc:
        services.payment_record(actor=finance, agreement_id=agreement.pk,
                                data={"paid_on": "2026-02-02", "amount": "1000.01"})
    assert "超出未回款金额 ¥1,000.00" in exc.value.errors["amount"][0]
    over = services.payment_record(actor=finance, agreement_id=agreement.pk,
                                   data={"paid_on": "2026-02-02", "amount": "1500", "is_overpayment": True})
    assert over.is_overpayment and over.status == "confirmed"
    a = fresh(agreement)
    assert a.received_amount == D("10500.00") and a.outstanding_amount == 0


def test_overpayment_is_checked_again_at_confirmation(org, agreement):
    sales = org.actor("sales1")
    first = services.payment_record(actor=sales, agreement_id=agreement.pk, data={"paid_on": "2026-02-01", "amount": "8000"})
    second = services.payment_record(actor=sales, agreement_id=agreement.pk, data={"paid_on": "2026-02-01", "amount": "8000"})
    services.payment_confirm(actor=org.actor("finance"), payment_id=first.pk)
    with pytest.raises(InvalidInput):
        services.payment_confirm(actor=org.actor("finance"), payment_id=second.pk)
    assert Payment.objects.get(pk=second.pk).status == "recorded"


@pytest.mark.parametrize("data, field, message", [
    ({"paid_on": "2026-01-09", "amount": "100"}, "paid_on", "不能早于签约日期"),
    ({"paid_on": "2026-02-01", "amount": "0"}, "amount", "大于 0"),
    ({"paid_on": "2026-02-01", "amount": "-5"}, "amount", "负数"),
    ({"paid_on": "2026-02-01", "amount": "12.345"}, "amount", "最多两位小数"),
    ({"paid_on": "2026-02-01", "amount": "1", "method_id": "999999"}, "method_id", "回款方式"),
    ({"paid_on": "2026-02-01", "amount": "1", "plan_id": "999999"}, "plan_id", "不属于"),
])
def test_bad_payments_are_refused(org, agreement, data, field, message):
    with pytest.raises(InvalidInput) as exc:
        services.payment_record(actor=org.actor("finance"), agreement_id=agreement.pk, data=data)
    assert message in exc.value.errors[field][0]
    assert not Payment.objects.exists()


def test_payments_only_on_signed_agreements(org):
    draft = make_agreement(org, status="draft")
    with pytest.raises(Conflict):
        services.payment_record(actor=org.actor("finance"), agreement_id=draft.pk,
                                data={"paid_on": "2026-02-01", "amount": "1"})


def test_a_colleagues_agreement_is_not_found(org, agreement):
    with pytest.raises(NotFound):
        services.payment_record(actor=org.actor("sales4"), agreement_id=agreement.pk,
                                data={"paid_on": "2026-02-01", "amount": "1"})
    with pytest.raises(NotFound):
        services.plan_add(actor=org.actor("manager2"), agreement_id=agreement.pk,
                          data={"due_date": "2026-02-01", "amount": "1"})


def test_reject_and_delete(org, agreement):
    sales, finance = org.actor("sales1"), org.actor("finance")
    p1 = services.payment_record(actor=sales, agreement_id=agreement.pk, data={"paid_on": "2026-02-01", "amount": "10"})
    services.payment_reject(actor=finance, payment_id=p1.pk, reason="未到账")
    assert Payment.objects.get(pk=p1.pk).status == "rejected"
    confirmed = services.payment_record(actor=finance, agreement_id=agreement.pk,
                                        data={"paid_on": "2026-02-01", "amount": "10"})
    with pytest.raises(Forbidden):
        services.payment_delete(actor=sales, payment_id=confirmed.pk)
    services.payment_delete(actor=finance, payment_id=confirmed.pk)
    assert fresh(agreement).received_amount == 0
    services.payment_delete(actor=sales, payment_id=p1.pk)
    assert not Payment.objects.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["record", "confirm", "reverse"]),
                                st.decimals(min_value=D("0.01"), max_value=D("4000"), places=2), st.booleans()),
                      min_size=1, max_size=8))
def test_outstanding_never_negative_after_any_sequence(org, steps):
    agreement = make_agreement(org, amount="5000.00")
    services.plan_generate(actor=org.actor("sales1"), agreement_id=agreement.pk, count=3, first_due="2026-02-01")
    sales, finance = org.actor("sales1"), org.actor("finance")
    for action, amount, over in steps:
        try:
            if action == "record":
                services.payment_record(actor=sales, agreement_id=agreement.pk,
                                        data={"paid_on": "2026-02-01", "amount": str(amount), "is_overpayment": over})
            else:
                status = "recorded" if action == "confirm" else "confirmed"
                target = Payment.objects.filter(agreement=agreement, status=status).order_by("?").first()
                if target is None:
                    continue
                if action == "confirm":
                    services.payment_confirm(actor=finance, payment_id=target.pk)
                else:
                    services.payment_delete(actor=finance, payment_id=target.pk)
        except InvalidInput:
            pass
        a = fresh(agreement)
        confirmed = sum(Payment.objects.filter(agreement=agreement, status="confirmed")
                        .values_list("base_amount", flat=True), D(0))
        assert a.received_amount == confirmed
        assert a.outstanding_amount >= 0
        plans = list(PaymentPlan.objects.filter(agreement=agreement))
        assert all(0 <= p.received_amount <= p.amount for p in plans)
        assert sum(p.received_amount for p in plans) == min(confirmed, sum(p.amount for p in plans))


# ---- invoices -------------------------------------------------------------------------------------

def test_invoice_request_copies_the_profile_and_is_approved_without_a_rule(org, agreement):
    customer = agreement.customer
    customer.invoice_title, customer.invoice_tax_number = "某某科技有限公司", "91330100MA2XXXXX1"
    customer.save()
    invoice = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                       data={"amount": "1130.00", "tax_rate": "13", "invoice_type": "vat_special"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert (invoice.title, invoice.tax_number) == ("某某科技有限公司", "91330100MA2XXXXX1")
    assert (invoice.tax_amount, invoice.net_amount) == (D("130.00"), D("1000.00"))
    assert fresh(agreement).invoiced_amount == D("1130.00")
    with pytest.raises(Forbidden):
        services.invoice_issue(actor=org.actor("sales1"), invoice_id=invoice.pk, invoice_number="1",
                               invoice_date="2026-02-01")
    services.invoice_issue(actor=org.actor("finance"), invoice_id=invoice.pk, invoice_number="04400123",
                           invoice_date="2026-02-01")
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    with pytest.raises(Forbidden):
        services.invoice_cancel(actor=org.actor("sales1"), invoice_id=invoice.pk)
    services.invoice_cancel(actor=org.actor("finance"), invoice_id=invoice.pk, reason="开错")
    assert fresh(agreement).invoiced_amount == 0


@pytest.mark.parametrize("data, field, message", [
    ({"amount": "10000.01", "tax_rate": "13"}, "amount", "最多还可开票 ¥10,000.00"),
    ({"amount": "100", "tax_rate": "130"}, "tax_rate", "0 到 100"),
    ({"amount": "100", "tax_rate": "-1"}, "tax_rate", "0 到 100"),
    ({"amount": "100.001", "tax_rate": "13"}, "amount", "最多两位小数"),
    ({"amount": "-100", "tax_rate": "13"}, "amount", "负数"),
    ({"amount": "100", "tax_rate": "13", "invoice_type": "vat_special"}, "tax_number", "纳税人识别号"),
    ({"amount": "100", "tax_rate": "13", "invoice_type": "bogus"}, "invoice_type", "无效"),
])
def test_bad_invoice_requests_are_refused(org, agreement, data, field, message):
    with pytest.raises(InvalidInput) as exc:
        services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk, data=data)
    assert message in exc.value.errors[field][0]
    assert not Invoice.objects.exists() and fresh(agreement).invoiced_amount == 0


def test_line_tax_method(org, agreement):
    org.tenant.features = {**org.tenant.features, "invoice_tax_method": "line"}
    org.tenant.save()
    AgreementLine.objects.create(agreement=agreement, name="设备", quantity=1, unit_price=6000, amount=6000, tax_rate=13)
    AgreementLine.objects.create(agreement=agreement, name="服务", quantity=1, unit_price=4000, amount=4000, tax_rate=6)
    actor = org.actor("sales1")
    actor.tenant.refresh_from_db()
    invoice = services.invoice_request(actor=actor, agreement_id=agreement.pk,
                                       data={"amount": "100.00", "tax_rate": "13"})
    assert (invoice.tax_amount, invoice.net_amount) == (D("9.16"), D("90.84"))


def test_the_remaining_invoice_room_counts_requests(org, agreement):
    actor = org.actor("sales1")
    first = services.invoice_request(actor=actor, agreement_id=agreement.pk, data={"amount": "6000", "tax_rate": "13"})
    with pytest.raises(InvalidInput):
        services.invoice_request(actor=actor, agreement_id=agreement.pk, data={"amount": "4000.01", "tax_rate": "13"})
    services.invoice_cancel(actor=actor, invoice_id=first.pk)
    services.invoice_request(actor=actor, agreement_id=agreement.pk, data={"amount": "10000", "tax_rate": "13"})


# ---- owner changes and receivables ----------------------------------------------------------------

def test_rows_follow_the_agreement_owner(org, agreement):
    services.plan_generate(actor=org.actor("sales1"), agreement_id=agreement.pk, count=2, first_due="2026-02-01")
    services.payment_record(actor=org.actor("sales1"), agreement_id=agreement.pk,
                            data={"paid_on": "2026-02-01", "amount": "10"})
    Agreement.objects.filter(pk=agreement.pk).update(owner=org["sales2"])
    assert services.billing_follow_agreement_owner(fresh(agreement)) == 3
    assert set(PaymentPlan.objects.values_list("owner_id", flat=True)) == {org["sales2"].pk}


def test_receivables_add_up_and_respect_scope(org):
    finance = org.actor("finance")
    a1 = make_agreement(org, "sales1", amount="1000.00")
    a2 = make_agreement(org, "sales4", amount="3000.00")
    make_agreement(org, "sales4", amount="500.00", status="draft")
    services.plan_generate(actor=finance, agreement_id=a1.pk, count=2, first_due="2026-01-15")
    services.plan_generate(actor=finance, agreement_id=a2.pk, count=3, first_due="2026-03-01")
    services.payment_record(actor=finance, agreement_id=a1.pk, data={"paid_on": "2026-01-20", "amount": "600"})
    as_of = datetime.date(2026, 3, 20)
    summary = receivables_summary(actor=finance, as_of=as_of)
    assert (summary["amount"], summary["received"], summary["outstanding"]) == (D("4000.00"), D("600.00"),
                                                                                D("3400.00"))
    aging = receivables_aging(actor=finance, as_of=as_of)
    # a1: #2 of 500 due 2026-02-15 with 400 open (33 days late); a2: 1000 due 03-01 (19 days), 2000 not due.
    assert (aging["0_30"], aging["31_60"], aging["not_due"]) == (D("1000.00"), D("400.00"), D("2000.00"))
    assert aging["total"] == summary["outstanding"] == sum(aging[k] for k in ("not_due", "0_30", "31_60", "61_90",
                                                                             "90_plus"))
    mine = receivables_summary(actor=org.actor("sales1"), as_of=as_of)
    assert mine["outstanding"] == D("400.00")
    manager2 = receivables_aging(actor=org.actor("manager2"), as_of=as_of)
    assert manager2["total"] == D("3000.00")


def test_invoice_requests_go_through_the_approval_engine(org, agreement):
    from zhuli.approvals.models import ApprovalRule
    from zhuli.approvals.selectors import approval_pending_for
    from zhuli.approvals.services import approval_decide

    ApprovalRule.objects.all().delete()
    ApprovalRule.objects.create(doc_type="invoice", name="大额开票", min_amount=D("5000"), steps=["manager"])
    small = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                     data={"amount": "100", "tax_rate": "13"})
    assert Invoice.objects.get(pk=small.pk).status == "approved"
    big = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                   data={"amount": "6000", "tax_rate": "13"})
    assert Invoice.objects.get(pk=big.pk).status == "requested"
    pending = approval_pending_for("invoice", big.pk)
    approval_decide(actor=org.actor("manager1"), request_id=pending.pk, decision="reject", comment="金额不对")
    assert Invoice.objects.get(pk=big.pk).status == "rejected"
    assert fresh(agreement).invoiced_amount == D("100.00")
    pending_one = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                           data={"amount": "6000", "tax_rate": "13"})
    services.invoice_cancel(actor=org.actor("sales1"), invoice_id=pending_one.pk)
    assert Invoice.objects.get(pk=pending_one.pk).status == "cancelled"
    assert approval_pending_for("invoice", pending_one.pk) is None
    assert fresh(agreement).invoiced_amount == D("100.00")
    again = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                     data={"amount": "6000", "tax_rate": "13"})
    approval_decide(actor=org.actor("manager1"), request_id=approval_pending_for("invoice", again.pk).pk,
                    decision="approve")
    assert Invoice.objects.get(pk=again.pk).status == "approved"
    withdrawn = services.invoice_request(actor=org.actor("sales1"), agreement_id=agreement.pk,
                                         data={"amount": "3000", "tax_rate": "13"})
    assert Invoice.objects.get(pk=withdrawn.pk).status == "approved"  # below the rule's amount
    services.invoice_cancel(actor=org.actor("sales1"), invoice_id=withdrawn.pk)
    assert fresh(agreement).invoiced_amount == D("6100.00")
