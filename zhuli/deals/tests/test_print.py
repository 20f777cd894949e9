"""Print pages: contract, order, quote and the payment receipt render with lines, totals and 大写, and answer
404 outside the reader's scope (a colleague's, another tenant's, the other kind's id)."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from zhuli.billing.models import Payment
from zhuli.customers.services import customer_create
from zhuli.deals.models import Agreement, AgreementLine, Quote, QuoteLine

_numbers = iter(range(1, 10**6))


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer(org):
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "杭州印刷测试有限公司"}).customer


def agreement(org, customer, kind="contract", **extra) -> Agreement:
    fields = {"shipping_state": "none"} if kind == "order" else {"shipping_state": ""}
    doc = Agreement.objects.create(
        kind=kind, number=f"{'HT' if kind == 'contract' else 'DD'}-202603-{next(_numbers):04d}", title="年度运维服务",
        customer=customer, owner=org["sales1"], status=extra.pop("status", "active" if kind == "contract" else "confirmed"),
        sign_date=datetime.date(2026, 3, 1), start_date=datetime.date(2026, 3, 1),
        end_date=datetime.date(2027, 2, 28), customer_signer="王经理", our_signer=org["sales1"],
        amount=Decimal("12345.67"), foreign_amount=Decimal("12345.67"), delivery_address="杭州市西湖区文三路 1 号",
        **fields, **extra)
    AgreementLine.objects.create(agreement=doc, name="运维服务", unit="年", quantity=Decimal("1"),
                                 unit_price=Decimal("10000.00"), amount=Decimal("10000.00"), tax_rate=Decimal("6"))
    AgreementLine.objects.create(agreement=doc, name="巡检", unit="次", quantity=Decimal("3"),
                                 unit_price=Decimal("781.89"), amount=Decimal("2345.67"), tax_rate=Decimal("6"), position=1)
    return doc


def test_contract_print(org, customer):
    doc = agreement(org, customer)
    r = login(org["sales1"]).get(f"/contracts/{doc.pk}/print/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "壹万贰仟叁佰肆拾伍元陆角柒分" in html and "12,345.67" in html and doc.number in html
    assert html.count("data-zl-line") == 2 and "运维服务" in html and "王经理" in html
    assert org.tenant.name in html and "zl-sidebar" not in html and "data-zl-print" in html
    assert "@page" in html and "A4" in html


def test_order_print_and_foreign_currency(org, customer):
    doc = agreement(org, customer, kind="order", currency="USD", exchange_rate=Decimal("7.1"),
                    delivery_contact="李四")
    html = login(org["boss"]).get(f"/orders/{doc.pk}/print/").content.decode()
    assert "销售订单" in html and "杭州市西湖区文三路 1 号" in html and "李四" in html
    assert "USD" in html and "7.1" in html and "壹万贰仟叁佰肆拾伍元陆角柒分" in html


def test_quote_print(org, customer):
    quote = Quote.objects.create(number="BJ-202603-0001", title="服务器报价", customer=customer, owner=org["sales1"],
                                 quote_date=datetime.date(2026, 3, 2), total=Decimal("1005.00"), contact_name="张三")
    QuoteLine.objects.create(quote=quote, name="服务器", quantity=Decimal("1"), unit_price=Decimal("1005.00"),
                             amount=Decimal("1005.00"))
    html = login(org["sales1"]).get(f"/quotes/{quote.pk}/print/").content.decode()
    assert "报价单" in html and "壹仟零伍元整" in html and "张三" in html and "1,005.00" in html
    assert login(org["sales2"]).get(f"/quotes/{quote.pk}/print/").status_code == 404


def test_payment_receipt(org, customer):
    doc = agreement(org, customer)
    payment = Payment.objects.create(agreement=doc, customer=customer, owner=org["sales1"], number="HK-202603-0001",
                                     paid_on=datetime.date(2026, 3, 5), amount=Decimal("100000.50"),
                                     base_amount=Decimal("100000.50"), payer="杭州印刷测试有限公司财务部",
                                     recorded_by=org["sales1"])
    r = login(org["finance"]).get(f"/payments/{payment.pk}/receipt/")
    html = r.content.decode()
    assert r.status_code == 200 and "收款收据" in html and "壹拾万元零伍角整" in html and "100,000.50" in html
    assert "data-zl-unconfirmed" in html  # not yet confirmed by finance
    Payment.objects.filter(pk=payment.pk).update(status="confirmed", confirmed_by=org["finance"])
    html = login(org["sales1"]).get(f"/payments/{payment.pk}/receipt/").content.decode()
    assert "data-zl-unconfirmed" not in html and org["finance"].name in html
    assert login(org["sales4"]).get(f"/payments/{payment.pk}/receipt/").status_code == 404


def test_out_of_scope_and_wrong_kind_are_404(org, other_org, customer):
    contract, order = agreement(org, customer), agreement(org, customer, kind="order")
    assert login(org["sales2"]).get(f"/contracts/{contract.pk}/print/").status_code == 404
    assert login(org["manager2"]).get(f"/contracts/{contract.pk}/print/").status_code == 404
    assert login(other_org["boss"]).get(f"/contracts/{contract.pk}/print/").status_code == 404
    assert login(org["sales1"]).get(f"/contracts/{order.pk}/print/").status_code == 404
    assert login(org["sales1"]).get(f"/orders/{contract.pk}/print/").status_code == 404
    assert login(org["manager1"]).get(f"/contracts/{contract.pk}/print/").status_code == 200


def test_drafts_print_with_a_stamp_and_service_receipts_say_service_fee(org, customer):
    draft = agreement(org, customer, status="draft")
    html = login(org["sales1"]).get(f"/contracts/{draft.pk}/print/").content.decode()
    assert "data-zl-draft" in html and "草稿" in html
    active = agreement(org, customer)
    assert "data-zl-draft" not in login(org["sales1"]).get(f"/contracts/{active.pk}/print/").content.decode()
    payment = Payment.objects.create(agreement=active, customer=customer, owner=org["sales1"], number="HK-202603-0009",
                                     paid_on=datetime.date(2026, 3, 5), amount=Decimal("10.00"),
                                     base_amount=Decimal("10.00"), status="rejected", confirmed_by=org["finance"],
                                     reject_reason="没到账", recorded_by=org["sales1"])
    html = login(org["sales1"]).get(f"/payments/{payment.pk}/receipt/").content.decode()
    assert "服务费" in html and "已退回" in html and "没到账" in html
    assert org["finance"].name not in html  # nobody received it


def test_the_favicon_has_an_address(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 302 and r["Location"].endswith(".svg")
