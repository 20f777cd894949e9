"""Agreements coming into force move their customer's lifecycle forward (DESIGN §9): submitted without an approval
rule, or approved at the last step."""
from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from conftest import make_org
from zhuli.core.errors import AppError
from zhuli.customers.models import Customer, Lifecycle
from zhuli.deals import services
from zhuli.deals.models import Agreement
from zhuli.deals.tests.conftest import make_customer
from zhuli.tenancy.context import tenant_context

FIRST = datetime.date(2026, 5, 20)


def lifecycle(customer) -> tuple[str, datetime.date | None]:
    return tuple(Customer.objects.filter(pk=customer.pk).values_list("lifecycle", "first_signed_on").get())


def draft(org, customer, kind="contract", sign_date=FIRST, product=None):
    data = {"customer_id": customer.pk, "title": "年度运维", "sign_date": sign_date.isoformat(), "amount": "1000.00"}
    lines = None
    if kind == "order":
        data.pop("amount")
        lines = [{"product_id": product.pk, "quantity": "1", "unit_price": "399.00"}]
    return services.agreement_create(actor=org.actor("sales1"), kind=kind, data=data, lines=lines)


def test_a_first_contract_signs_the_customer_and_a_second_order_makes_it_a_repeat_buyer(org, customer,
                                                                                         physical_product):
    actor = org.actor("sales1")
    assert lifecycle(customer) == (Lifecycle.POTENTIAL, None)
    first = draft(org, customer)
    assert lifecycle(customer) == (Lifecycle.POTENTIAL, None)  # a draft is not signed
    services.agreement_submit(actor=actor, agreement_id=first.pk)
    assert Agreement.objects.get(pk=first.pk).status == "active"
    assert lifecycle(customer) == (Lifecycle.SIGNED, FIRST)

    second = draft(org, customer, kind="order", sign_date=FIRST + datetime.timedelta(days=30),
                   product=physical_product)
    services.agreement_submit(actor=actor, agreement_id=second.pk)
    assert Agreement.objects.get(pk=second.pk).status == "confirmed"
    assert lifecycle(customer) == (Lifecycle.REPEAT, FIRST)


def test_the_final_approval_signs_the_customer_and_a_completed_agreement_still_counts(org, customer):
    done = draft(org, customer, sign_date=FIRST + datetime.timedelta(days=5))
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=done.pk)
    services.agreement_complete(actor=org.actor("sales1"), agreement_id=done.pk)
    Customer.objects.filter(pk=customer.pk).update(lifecycle=Lifecycle.POTENTIAL, first_signed_on=None)

    pending = draft(org, customer)
    Agreement.objects.filter(pk=pending.pk).update(status="pending")
    services.agreement_on_approved(actor=org.actor("manager1"), obj=pending)
    assert lifecycle(customer) == (Lifecycle.REPEAT, FIRST)


def test_a_pending_or_rejected_agreement_does_not_sign_and_other_customers_stay_put(org, customer):
    bystander = make_customer(org, name="宁波乙方贸易有限公司")
    c = draft(org, customer)
    Agreement.objects.filter(pk=c.pk).update(status="pending")
    services.agreement_on_rejected(actor=org.actor("manager1"), obj=c, comment="价格太低")
    assert lifecycle(customer) == (Lifecycle.POTENTIAL, None)
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    assert lifecycle(customer) == (Lifecycle.SIGNED, FIRST)
    assert lifecycle(bystander) == (Lifecycle.POTENTIAL, None)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_two_contracts_coming_into_force_at_once_count_each_other():
    org = make_org("race-signing")

    def race(contracts) -> list:
        barrier, results = threading.Barrier(len(contracts)), []

        def submit(agreement):
            try:
                with tenant_context(org.tenant):
                    barrier.wait(timeout=10)
                    services.agreement_submit(actor=org.actor("sales1"), agreement_id=agreement.pk)
                    results.append("ok")
            except AppError as exc:
                results.append(exc.message)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(c,)) for c in contracts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        return results

    for n in range(5):
        with tenant_context(org.tenant):
            customer = make_customer(org, name=f"并发签约公司{n}")
            contracts = [draft(org, customer, sign_date=FIRST + datetime.timedelta(days=i)) for i in range(2)]
        assert race(contracts) == ["ok", "ok"]
        with tenant_context(org.tenant):
            assert lifecycle(customer) == (Lifecycle.REPEAT, FIRST)
