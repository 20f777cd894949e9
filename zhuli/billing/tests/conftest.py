"""Agreements for billing tests, made with the ORM (the agreements services are another app's)."""
import datetime
from decimal import Decimal

import pytest

from zhuli.billing import rollup
from zhuli.customers.services import customer_create
from zhuli.deals.models import Agreement

SIGNED = datetime.date(2026, 1, 10)
_numbers = iter(range(1, 10**6))


def make_agreement(org, owner_key="sales1", *, amount="10000.00", kind="order", status=None, sign_date=SIGNED,
                   customer=None, **extra) -> Agreement:
    owner = org[owner_key]
    if customer is None:
        customer = customer_create(actor=org.actor(owner_key),
                                   data={"kind": "enterprise", "name": f"回款测试客户{next(_numbers)}有限公司"}).customer
    fields = {"shipping_state": "none"} if kind == "order" else {"shipping_state": ""}
    agreement = Agreement.objects.create(
        kind=kind, number=f"T-{next(_numbers):06d}", title="测试", customer=customer, owner=owner,
        status=status or ("confirmed" if kind == "order" else "active"), sign_date=sign_date,
        amount=Decimal(amount), **{"foreign_amount": Decimal(amount), **fields, **extra})
    rollup.refresh_agreement(agreement)  # created past the agreements services, which keep the rollups
    return agreement


@pytest.fixture
def agreement(org):
    return make_agreement(org)
