"""The demo's products, agreements and money (issue 4 part 14) keep every invariant the billing services keep."""
from __future__ import annotations

import datetime
import re
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from zhuli.billing.models import Invoice, InvoiceStatus, Payment, PaymentPlan, PaymentStatus, PlanStatus
from zhuli.billing.tax import invoice_tax
from zhuli.catalog.models import Product, ProductCategory
from zhuli.core.management.commands.seed_demo import DEMO_CODE
from zhuli.core.models import Sequence
from zhuli.customers.models import Customer, Lifecycle
from zhuli.deals.models import DEFAULT_PATTERNS, Agreement, AgreementLine, DocType
from zhuli.deals.numbering import render
from zhuli.deals.services import SIGNED_STATUSES
from zhuli.sales.models import Opportunity
from zhuli.tenancy.models import Tenant
from zhuli.tenancy.unscoped import for_tenant

ZERO = Decimal("0.00")
COUNTED = (InvoiceStatus.REQUESTED, InvoiceStatus.APPROVED, InvoiceStatus.ISSUED)


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--size", "small", stdout=StringIO())
    return Tenant.objects.get(code=DEMO_CODE)


def rows(model, tenant):
    return for_tenant(model, tenant)


def test_catalogue(demo):
    products = rows(Product, demo)
    assert products.count() >= 200
    assert set(products.values_list("kind", flat=True)) == {"service", "physical"}
    assert not products.filter(category=None).exists() and not products.filter(unit=None).exists()
    paths = dict(rows(ProductCategory, demo).values_list("pk", "path"))
    for c in rows(ProductCategory, demo):
        assert c.path == (paths[c.parent_id] if c.parent_id else "/") + f"{c.pk}/"
    assert all(p.search_text for p in products)


def test_agreements_follow_their_opportunities_and_lines(demo):
    agreements = list(rows(Agreement, demo))
    kinds = {a.kind for a in agreements}
    assert kinds == {"contract", "order"}
    assert any(a.opportunity_id is None for a in agreements)
    opportunities = {o.pk: o for o in rows(Opportunity, demo)}
    lines = defaultdict(list)
    for line in rows(AgreementLine, demo).select_related("product"):
        lines[line.agreement_id].append(line)
    assert {a.currency for a in agreements} > {"CNY"}  # export orders too
    for a in agreements:
        assert a.foreign_amount == sum((ln.amount for ln in lines[a.pk]), ZERO)
        assert a.amount == (a.foreign_amount * a.exchange_rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert (a.currency == "CNY") == (a.exchange_rate == 1)
        wanted = "service" if a.kind == "contract" else "physical"
        assert {ln.product.kind for ln in lines[a.pk]} == {wanted}
        if a.opportunity_id:
            opp = opportunities[a.opportunity_id]
            assert (opp.status, opp.customer_id, opp.owner_id, opp.amount) == ("won", a.customer_id, a.owner_id,
                                                                              a.amount)
    # The lifecycle as customer_mark_signed keeps it: 首次签约日期 = the earliest sign date of a signed agreement.
    signed = defaultdict(list)
    for a in agreements:
        if a.status in SIGNED_STATUSES:
            signed[a.customer_id].append(a.sign_date)
    assert signed
    for pk, lifecycle, first_signed_on in rows(Customer, demo).values_list("pk", "lifecycle", "first_signed_on"):
        assert first_signed_on == (min(signed[pk]) if signed[pk] else None)
        wanted = {0: Lifecycle.POTENTIAL, 1: Lifecycle.SIGNED}.get(len(signed[pk]), Lifecycle.REPEAT)
        assert lifecycle == wanted


def test_money_invariants(demo):
    payments, plans, invoices = defaultdict(list), defaultdict(list), defaultdict(list)
    for p in rows(Payment, demo):
        payments[p.agreement_id].append(p)
    for p in rows(PaymentPlan, demo):
        plans[p.agreement_id].append(p)
    for i in rows(Invoice, demo):
        invoices[i.agreement_id].append(i)
    lines = defaultdict(list)
    for ln in rows(AgreementLine, demo).order_by("position"):
        lines[ln.agreement_id].append((ln.amount, ln.tax_rate))
    overpaid = 0
    statuses = set()
    for a in rows(Agreement, demo):
        confirmed = [p for p in payments[a.pk] if p.status == PaymentStatus.CONFIRMED]
        assert a.received_amount == sum((p.base_amount for p in confirmed), ZERO)
        # As the services count a foreign payment: round(total so far × rate) − CNY so far.
        paid = based = ZERO
        for p in sorted(confirmed, key=lambda p: (p.confirmed_at, p.pk)):
            paid += p.amount
            assert p.base_amount == (paid * a.exchange_rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") - based
            based += p.base_amount
        assert a.planned_amount == sum((p.amount for p in plans[a.pk]), ZERO) <= a.amount
        assert a.invoiced_amount == sum((i.base_amount for i in invoices[a.pk] if i.status in COUNTED), ZERO)
        assert a.invoiced_amount <= a.amount
        assert a.outstanding_amount >= 0
        if a.received_amount > a.amount:
            overpaid += 1
            assert any(p.is_overpayment for p in confirmed)
        for plan in plans[a.pk]:
            got = sum((p.base_amount for p in confirmed if p.plan_id == plan.pk), ZERO)
            assert plan.received_amount == got <= plan.amount
            assert plan.status == (PlanStatus.PAID if got >= plan.amount else PlanStatus.PARTIAL if got else
                                   PlanStatus.UNPAID)
            assert plan.due_date >= a.sign_date
            statuses.add(plan.status)
        for p in payments[a.pk]:
            assert p.paid_on >= a.sign_date and (p.customer_id, p.owner_id) == (a.customer_id, a.owner_id)
        for i in invoices[a.pk]:
            assert i.tax_amount + i.net_amount == i.amount
            if i.invoice_type == "receipt":
                assert (i.tax_amount, i.net_amount) == (ZERO, i.amount)
                continue
            assert (i.tax_amount, i.net_amount) == invoice_tax(i.amount, i.tax_rate,
                                                               method=demo.feature("invoice_tax_method"),
                                                               lines=lines[a.pk])
    assert 1 <= overpaid <= 2
    assert statuses == {PlanStatus.PAID, PlanStatus.PARTIAL, PlanStatus.UNPAID}
    assert rows(Payment, demo).filter(status=PaymentStatus.RECORDED).exists()
    assert rows(Invoice, demo).filter(status=InvoiceStatus.ISSUED).exists()


def test_numbers_match_the_patterns_and_the_sequences_are_ahead(demo):
    sequences = dict(rows(Sequence, demo).values_list("name", "value"))
    checks = [(DocType.CONTRACT, rows(Agreement, demo).filter(kind="contract").values_list("number", flat=True)),
              (DocType.ORDER, rows(Agreement, demo).filter(kind="order").values_list("number", flat=True)),
              (DocType.PAYMENT, rows(Payment, demo).values_list("number", flat=True)),
              (DocType.INVOICE_REQUEST, rows(Invoice, demo).values_list("request_number", flat=True))]
    for doc_type, numbers in checks:
        numbers = list(numbers)
        assert numbers and len(set(numbers)) == len(numbers)
        prefix = render(DEFAULT_PATTERNS[doc_type], datetime.date(2000, 1, 1), None)[:3]
        for number in numbers:
            match = re.fullmatch(re.escape(prefix) + r"(\d{6})-(\d{4})", number)
            assert match, number
            name = f"{doc_type}:{prefix}{match.group(1)}-"
            assert sequences[name] >= int(match.group(2))
