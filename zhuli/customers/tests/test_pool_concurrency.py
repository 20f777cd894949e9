"""Claims racing on PostgreSQL with real threads and connections: exactly one of two claimers gets the customer,
and one person claiming two customers at once at cap − 1 ends at the cap. (SQLite's immediate transactions
serialise writers, so the race cannot happen there; these tests need PostgreSQL.)"""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from conftest import make_org
from zhuli.access.actor import Actor
from zhuli.core.errors import AppError
from zhuli.customers.models import Customer, OwnerChange
from zhuli.customers.services import customer_cap_set, customer_claim, customer_create
from zhuli.tenancy.context import tenant_context

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")


def _race(calls) -> list:
    """Runs each call in its own thread (own connection), started together; returns 'ok' or the error message."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, tenant, call):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=10)
                call()
                results[i] = "ok"
        except AppError as exc:
            results[i] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, tenant, call)) for i, (tenant, call) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_claimers_exactly_one_wins():
    org = make_org("race-a")
    tenant = org.tenant
    with tenant_context(tenant):
        customers = [customer_create(actor=Actor.for_user(org["boss"]), data={
            "kind": "enterprise", "name": f"抢手公司{i}", "to_pool": True}).customer for i in range(5)]
    for customer in customers:
        results = _race([
            (tenant, lambda c=customer: customer_claim(actor=Actor.for_user(org["sales1"]), customer_id=c.pk)),
            (tenant, lambda c=customer: customer_claim(actor=Actor.for_user(org["sales2"]), customer_id=c.pk)),
        ])
        assert results.count("ok") == 1, results
        loser = next(r for r in results if r != "ok")
        assert "已有负责人" in loser or "记录不存在" in loser
        with tenant_context(tenant):
            assert OwnerChange.objects.filter(customer_id=customer.pk, kind="claim").count() == 1
            assert Customer.objects.get(pk=customer.pk).owner_id in (org["sales1"].pk, org["sales2"].pk)


@pytest.mark.django_db(transaction=True)
def test_cap_holds_when_one_person_claims_two_at_once():
    org = make_org("race-b")
    tenant = org.tenant
    with tenant_context(tenant):
        customer_cap_set(actor=Actor.for_user(org["admin"]), role="sales", limit=3)
        for i in range(2):
            customer_create(actor=Actor.for_user(org["sales1"]), data={"kind": "enterprise", "name": f"已有{i}"})
        boss = Actor.for_user(org["boss"])
        a, b = (customer_create(actor=boss, data={"kind": "enterprise", "name": name, "to_pool": True}).customer
                for name in ("甲公司", "乙公司"))
    results = _race([
        (tenant, lambda: customer_claim(actor=Actor.for_user(org["sales1"]), customer_id=a.pk)),
        (tenant, lambda: customer_claim(actor=Actor.for_user(org["sales1"]), customer_id=b.pk)),
    ])
    assert sorted(results, key=lambda r: r != "ok") == ["ok", "您已有 3 个客户，已达上限 3，不能再领取"], results
    with tenant_context(tenant):
        assert Customer.objects.filter(owner=org["sales1"]).count() == 3
