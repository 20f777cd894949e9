"""The receivables rollups stay exactly what a recount from the agreements and instalments gives, through every
write path that moves money, status, owner or due dates — and the report read from them equals the report read
from the rows."""
from __future__ import annotations

import datetime
import random
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import make_org
from zhuli.billing import rollup, selectors, services
from zhuli.billing.models import Payment, PaymentPlan, ReceivableDue, ReceivableTotal
from zhuli.core.errors import AppError
from zhuli.customers.models import Customer
from zhuli.deals import services as deals
from zhuli.deals.models import Agreement
from zhuli.tenancy.context import tenant_context

from .conftest import SIGNED, make_agreement

D = Decimal


def rows() -> tuple[dict, dict]:
    totals = {(r.owner_id, r.customer_id, r.kind): {f: getattr(r, f) for f in rollup.TOTAL_VALUES}
              for r in ReceivableTotal.objects.all()}
    dues = {(r.owner_id, r.kind, r.due_date): {"balance": r.balance} for r in ReceivableDue.objects.all()}
    return totals, dues


def recount() -> tuple[dict, dict]:
    return (rollup._total_figures(rollup.open_agreements()), rollup._due_figures(rollup.open_instalments()))


def assert_exact(org) -> None:
    assert rows() == recount()
    boss = org.actor("boss")
    as_of = datetime.date(2026, 6, 1)
    summary = selectors.receivables_summary(actor=boss, as_of=as_of)
    per_customer = [selectors.receivables_summary(actor=boss, as_of=as_of, filters={"customer": pk})
                    for pk in Customer.objects.values_list("pk", flat=True)]
    for key in ("agreements", "amount", "received", "invoiced", "outstanding", "overdue"):
        assert summary[key] == sum(s[key] for s in per_customer), key
    aging = selectors.receivables_aging(actor=boss, as_of=as_of)
    assert aging["total"] == summary["outstanding"]


def contract(org, customer, amount="60000.00", who="sales1") -> Agreement:
    c = deals.agreement_create(actor=org.actor(who), kind="contract", data={
        "customer_id": customer.pk, "title": "年度运维", "sign_date": SIGNED.isoformat(), "amount": amount})
    return deals.agreement_submit(actor=org.actor(who), agreement_id=c.pk)


def test_every_write_path_keeps_the_rollups_exact(org):
    finance, sales1 = org.actor("finance"), org.actor("sales1")
    first = make_agreement(org, "sales1", amount="1000.00")
    customer = first.customer
    assert_exact(org)
    a = contract(org, customer)
    assert a.status == "active"
    assert_exact(org)
    services.plan_generate(actor=sales1, agreement_id=a.pk, count=3, first_due="2026-02-01")
    assert_exact(org)
    services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-02-03", "amount": "10000"})
    assert_exact(org)
    pending = services.payment_record(actor=sales1, agreement_id=a.pk, data={"paid_on": "2026-03-01", "amount": "5000"})
    assert_exact(org)  # recorded, not yet received
    services.payment_confirm(actor=finance, payment_id=pending.pk)
    assert_exact(org)
    third = PaymentPlan.objects.get(agreement=a, number=3)
    services.plan_update(actor=sales1, plan_id=third.pk, data={"due_date": "2026-09-30"})
    assert_exact(org)
    services.plan_delete(actor=sales1, plan_id=third.pk)
    assert_exact(org)
    services.plan_add(actor=sales1, agreement_id=a.pk, data={"due_date": "2026-07-15", "amount": "100"})
    assert_exact(org)
    invoice = services.invoice_request(actor=sales1, agreement_id=a.pk, data={"amount": "20000", "tax_rate": "6"})
    assert_exact(org)
    services.invoice_cancel(actor=sales1, invoice_id=invoice.pk)
    assert_exact(org)
    deals.agreement_update(actor=org.actor("manager1"), agreement_id=a.pk, data={"owner_id": org["sales2"].pk})
    assert ReceivableTotal.objects.filter(owner=org["sales2"]).exists()
    assert not ReceivableDue.objects.filter(owner=org["sales1"], kind="contract").exists()
    assert_exact(org)
    deals.agreements_transfer_all(actor=org.actor("admin"), from_user=org["sales2"], to_user=org["sales3"])
    assert set(ReceivableTotal.objects.filter(kind="contract").values_list("owner_id", flat=True)) == {org["sales3"].pk}
    assert_exact(org)
    confirmed = Payment.objects.filter(agreement=a, status="confirmed").first()
    services.payment_delete(actor=finance, payment_id=confirmed.pk)
    assert_exact(org)
    paid = contract(org, customer, amount="800.00")
    services.payment_record(actor=finance, agreement_id=paid.pk, data={"paid_on": "2026-02-01", "amount": "800"})
    assert not ReceivableTotal.objects.filter(owner=org["sales1"], kind="contract").exists()  # fully paid: out
    assert_exact(org)
    deals.contract_terminate(actor=org.actor("sales3"), agreement_id=a.pk, reason="客户破产")
    assert not ReceivableTotal.objects.filter(kind="contract").exists()
    assert_exact(org)
    before = rows()
    call_command("receivables_rebuild", tenant=org.tenant.code, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rows() == before


@pytest.mark.parametrize("seed", range(12))
def test_a_random_day_of_work_keeps_the_rollups_exact(org, seed):
    """Many agreements of a few customers and owners, then random payments, reversals, plan moves and invoices."""
    rng = random.Random(seed)
    finance = org.actor("finance")
    customers = [make_agreement(org, who).customer for who in ("sales1", "sales2", "sales4")]
    agreements = []
    for i in range(9):
        customer = customers[i % 3]
        agreement = make_agreement(org, "sales1" if i % 3 == 0 else "sales2" if i % 3 == 1 else "sales4",
                                   amount=f"{rng.randint(1, 900) * 100}.00", kind=rng.choice(["order", "contract"]),
                                   customer=customer)
        services.plan_generate(actor=finance, agreement_id=agreement.pk, count=rng.randint(1, 4),
                               first_due=f"2026-0{rng.randint(1, 5)}-1{rng.randint(0, 9)}")
        agreements.append(agreement)
    for _step in range(40):
        agreement = Agreement.objects.get(pk=rng.choice(agreements).pk)
        move = rng.choice(["pay", "pay", "reverse", "due", "invoice"])
        try:
            if move == "pay":
                owed = agreement.amount - agreement.received_amount
                amount = max(D("0.01"), (owed * D(rng.random())).quantize(D("0.01")))
                services.payment_record(actor=finance, agreement_id=agreement.pk, data={
                    "paid_on": "2026-03-01", "amount": str(amount), "is_overpayment": owed <= 0})
            elif move == "reverse":
                payment = Payment.objects.filter(agreement=agreement, status="confirmed").first()
                if payment:
                    services.payment_delete(actor=finance, payment_id=payment.pk)
            elif move == "due":
                plan = rng.choice(list(PaymentPlan.objects.filter(agreement=agreement).order_by("id")))
                services.plan_update(actor=finance, plan_id=plan.pk,
                                     data={"due_date": f"2026-0{rng.randint(2, 8)}-0{rng.randint(1, 9)}"})
            else:
                services.invoice_request(actor=finance, agreement_id=agreement.pk,
                                         data={"amount": "1.00", "tax_rate": "13"})
        except AppError:
            pass  # refused moves (nothing left to invoice, a date before signing) change nothing
        assert rows() == recount(), move
    assert_exact(org)


def test_the_report_reads_the_rollups_for_the_whole_company(org, django_assert_max_num_queries):
    make_agreement(org, "sales1", amount="500.00")
    boss = org.actor("boss")
    # One aggregate over the totals rollup and one over the aging rollup (plus the tenant's today).
    with django_assert_max_num_queries(3) as captured:
        selectors.receivables_summary(actor=boss)
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "billing_receivabletotal" in sql and "billing_receivabledue" in sql and "deals_agreement" not in sql


def test_the_migration_fills_the_rollups_of_existing_rows(org):
    a = make_agreement(org, "sales1", amount="300.00")
    services.plan_generate(actor=org.actor("finance"), agreement_id=a.pk, count=2, first_due="2026-02-01")
    expected = rows()
    ReceivableTotal.objects.all().delete()
    ReceivableDue.objects.all().delete()
    import importlib

    migration = importlib.import_module("zhuli.billing.migrations.0004_receivables_rollups")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL_TOTALS)
        cursor.execute(migration.FILL_DUES)
    assert rows() == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_on_one_customer_keep_the_rollup_exact():
    """Two agreements with the same rollup key, paid at the same moment from two connections, ten times: the
    second transaction waits on the rollup row and counts what the first committed."""
    org = make_org("race-rollup")
    with tenant_context(org.tenant):
        one = make_agreement(org, "sales1", amount="1000.00")
        two = make_agreement(org, "sales1", amount="1000.00", customer=one.customer)
        for a in (one, two):
            services.plan_generate(actor=org.actor("finance"), agreement_id=a.pk, count=2, first_due="2026-02-01")
    for _round in range(10):
        # Recorded first (their numbers come from one locked sequence, which would queue them), confirmed at once.
        with tenant_context(org.tenant):
            pending = [services.payment_record(actor=org.actor("sales1"), agreement_id=a.pk,
                                               data={"paid_on": "2026-02-02", "amount": "10"}).pk for a in (one, two)]
        barrier = threading.Barrier(2)
        errors: list = []

        def confirm(payment_id):
            try:
                with tenant_context(org.tenant):
                    barrier.wait(timeout=10)
                    services.payment_confirm(actor=org.actor("finance"), payment_id=payment_id)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=confirm, args=(pk,)) for pk in pending]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
    with tenant_context(org.tenant):
        assert rows() == recount()
        total = ReceivableTotal.objects.get()
        assert total.received == D("200.00") and total.outstanding == D("1800.00")
