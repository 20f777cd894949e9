"""An approval doc type registered by the tests themselves on real Agreement rows (made with the ORM), so the
engine is tested without the agreements app's services."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from zhuli.approvals.models import ApprovalRule
from zhuli.approvals.registry import ApprovalDocType, register_doc_type, unregister_doc_type
from zhuli.customers.services import customer_create
from zhuli.deals.models import Agreement

DOC = "test_doc"
_numbers = iter(range(1, 10**6))


class Calls(list):
    def kinds(self) -> list[str]:
        return [c[0] for c in self]


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def doc_type(calls):
    """The doc type `test_doc`: a contract whose callbacks move its status as the agreements app would."""
    def approved(*, actor, obj):
        calls.append(("approved", obj.pk, actor.user_id))
        Agreement.objects.filter(pk=obj.pk).update(status="active")

    def rejected(*, actor, obj, comment):
        calls.append(("rejected", obj.pk, comment))
        Agreement.objects.filter(pk=obj.pk).update(status="draft")

    register_doc_type(DOC, ApprovalDocType(
        label="测试合同", model=Agreement, amount=lambda o: o.amount, discount=lambda o: o.max_discount,
        on_approved=approved, on_rejected=rejected, url=lambda o: f"/contracts/{o.pk}/"))
    yield DOC
    unregister_doc_type(DOC)


def make_doc(org, owner_key="sales1", *, amount="150000.00", discount="0") -> Agreement:
    owner = org[owner_key]
    customer = customer_create(actor=org.actor(owner_key),
                               data={"kind": "enterprise", "name": f"审批测试客户{next(_numbers)}有限公司"}).customer
    return Agreement.objects.create(
        kind="contract", number=f"HT-T-{next(_numbers):06d}", title="年度服务合同", customer=customer, owner=owner,
        status="pending", sign_date=datetime.date(2026, 3, 1), amount=Decimal(amount),
        foreign_amount=Decimal(amount), max_discount=Decimal(discount), shipping_state="")


def make_rule(*, steps=("manager", "boss"), min_amount="100000", min_discount=None, order=10, active=True,
              doc_type=DOC) -> ApprovalRule:
    return ApprovalRule.objects.create(
        doc_type=doc_type, name="测试规则", steps=list(steps), order=order, is_active=active,
        min_amount=Decimal(min_amount) if min_amount is not None else None,
        min_discount=Decimal(min_discount) if min_discount is not None else None)
