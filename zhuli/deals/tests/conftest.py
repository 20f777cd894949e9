"""Shared records for the deals tests: customers, a won opportunity and products in tenant A."""
from __future__ import annotations

from decimal import Decimal

import pytest

from zhuli.catalog.models import Product
from zhuli.customers.services import customer_create
from zhuli.sales.services import opportunity_create, opportunity_win


def make_customer(org, owner_key="sales1", name="杭州甲方科技有限公司"):
    return customer_create(actor=org.actor(owner_key), data={"kind": "enterprise", "name": name}).customer


def make_won(org, customer, owner_key="sales1", title="年度服务", amount="120000"):
    actor = org.actor(owner_key)
    opp = opportunity_create(actor=actor, data={"customer_id": customer.pk, "title": title, "amount": amount})
    return opportunity_win(actor=actor, opportunity_id=opp.pk)


@pytest.fixture
def customer(org):
    return make_customer(org)


@pytest.fixture
def service_product(org):
    return Product.objects.create(code="SRV-1", name="实施服务", kind="service", list_price=Decimal("5000.00"),
                                  tax_rate=Decimal("6"))


@pytest.fixture
def physical_product(org):
    return Product.objects.create(code="HW-1", name="扫码枪", kind="physical", list_price=Decimal("399.00"),
                                  tax_rate=Decimal("13"), specification="X1")
