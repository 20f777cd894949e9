"""Two eligible approvers pressing 同意 on the same step at the same moment, with real threads and connections:
exactly one decision is recorded and the request moves on once. (SQLite's immediate transactions serialise
writers, so the race cannot happen there; this needs PostgreSQL.)"""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from conftest import make_org
from zhuli.access.actor import Actor
from zhuli.approvals.models import ApprovalDecision, ApprovalRequest
from zhuli.approvals.services import approval_decide, approval_submit
from zhuli.core.errors import AppError
from zhuli.tenancy.context import tenant_context

from .conftest import make_doc, make_rule

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")


def _race(tenant, calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=10)
                call()
                results[i] = "ok"
        except AppError as exc:
            results[i] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_approvers_of_one_step_decide_once(doc_type):
    org = make_org("race-approvals")
    with tenant_context(org.tenant):
        make_rule(steps=["manager", "boss"])
        requests = [approval_submit(actor=Actor.for_user(org["sales1"]), doc_type=doc_type, obj=make_doc(org))
                    for _ in range(3)]
    for request in requests:
        results = _race(org.tenant, [
            lambda r=request: approval_decide(actor=Actor.for_user(org["manager1"]), request_id=r.pk,
                                              decision="approve", step=0),
            lambda r=request: approval_decide(actor=Actor.for_user(org["director"]), request_id=r.pk,
                                              decision="reject", step=0),
        ])
        assert results.count("ok") == 1, results
        with tenant_context(org.tenant):
            assert ApprovalDecision.objects.filter(request_id=request.pk).count() == 1
            fresh = ApprovalRequest.objects.get(pk=request.pk)
            assert (fresh.status, fresh.current_step) in (("pending", 1), ("rejected", 0))
