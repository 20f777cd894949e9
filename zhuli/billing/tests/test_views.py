"""The billing screens: lists, finance pages, quick-action forms, sections, cards, settings."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from zhuli.billing import services
from zhuli.billing.models import Payment, PaymentPlan
from zhuli.deals.models import Agreement

from .conftest import make_agreement


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def money(org):
    a = make_agreement(org, "sales1", amount="1000.00")
    services.plan_generate(actor=org.actor("sales1"), agreement_id=a.pk, count=2, first_due="2026-02-01")
    services.payment_record(actor=org.actor("sales1"), agreement_id=a.pk, data={"paid_on": "2026-02-01",
                                                                                "amount": "300", "payer": "付款人甲"})
    services.invoice_request(actor=org.actor("sales1"), agreement_id=a.pk, data={"amount": "500", "tax_rate": "13"})
    return a


@pytest.mark.parametrize("url", ["/payment-plans/", "/payments/", "/invoices/", "/finance/receivables/",
                                 "/finance/payments-to-confirm/", "/finance/invoices-to-issue/"])
def test_pages_answer_for_finance_and_sales(org, money, url):
    for who in ("finance", "sales1", "sales4", "boss"):
        r = login(org[who]).get(url)
        assert r.status_code == 200, (who, url)
    assert "付款人甲" not in login(org["sales4"]).get("/payments/").content.decode()


def test_finance_confirms_from_the_list(org, money):
    payment = Payment.objects.get()
    page = login(org["finance"]).get("/finance/payments-to-confirm/").content.decode()
    assert f'/payments/{payment.pk}/confirm/' in page
    r = login(org["sales1"]).post(f"/payments/{payment.pk}/confirm/")
    assert r.status_code == 403 and Payment.objects.get().status == "recorded"
    r = login(org["finance"]).post(f"/payments/{payment.pk}/confirm/", {"next": "/finance/payments-to-confirm/"})
    assert r.status_code == 302 and r["Location"] == "/finance/payments-to-confirm/"
    assert Agreement.objects.get(pk=money.pk).received_amount == Decimal("300.00")


def test_record_payment_form_shows_errors_next_to_the_field(org, money):
    client = login(org["sales1"])
    assert client.get(f"/payments/record/{money.pk}/").status_code == 200
    r = client.post(f"/payments/record/{money.pk}/", {"paid_on": "2026-01-01", "amount": "1.001"})
    body = r.content.decode()
    assert r.status_code == 200 and "最多两位小数" in body and "不能早于签约日期" in body
    assert Payment.objects.count() == 1
    r = client.post(f"/payments/record/{money.pk}/", {"paid_on": "2026-02-05", "amount": "100"})
    assert r.status_code == 302 and Payment.objects.count() == 2
    assert login(org["sales4"]).get(f"/payments/record/{money.pk}/").status_code == 404


def test_plan_forms(org, money):
    client = login(org["sales1"])
    r = client.post(f"/payment-plans/add/{money.pk}/", {"due_date": "2026-05-01", "amount": "1"})
    assert r.status_code == 200 and "最多还可计划 ¥0.00" in r.content.decode()
    plan = PaymentPlan.objects.order_by("number").last()
    r = client.post(f"/payment-plans/{plan.pk}/edit/", {"due_date": "2026-06-01", "amount": "400"})
    assert r.status_code == 302
    assert client.post(f"/payment-plans/add/{money.pk}/", {"due_date": "2026-07-01", "amount": "100"}).status_code == 302
    r = client.post(f"/payment-plans/generate/{money.pk}/", {"count": "4", "first_due": "2026-02-01",
                                                            "interval_months": "1"})
    assert r.status_code == 302 and PaymentPlan.objects.filter(agreement=money).count() == 4


def test_invoice_page_issue_and_cancel(org, money):
    invoice = money.invoices.get()
    page = login(org["finance"]).get(f"/invoices/{invoice.pk}/").content.decode()
    assert "确认开具" in page and "¥500.00" in page
    assert "确认开具" not in login(org["sales1"]).get(f"/invoices/{invoice.pk}/").content.decode()
    login(org["finance"]).post(f"/invoices/{invoice.pk}/issue/", {"invoice_number": "", "invoice_date": "2026-02-01"})
    invoice.refresh_from_db()
    assert invoice.status == "approved"
    login(org["finance"]).post(f"/invoices/{invoice.pk}/issue/", {"invoice_number": "0440", "invoice_date": "2026-02-01"})
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert login(org["sales4"]).get(f"/invoices/{invoice.pk}/").status_code == 404


def test_receivables_page_totals(org, money):
    services.payment_confirm(actor=org.actor("finance"), payment_id=Payment.objects.get().pk)
    body = login(org["finance"]).get("/finance/receivables/").content.decode()
    assert "¥700.00" in body and "aging-chart" in body


def test_sections_and_cards(org, money):
    from django.test import RequestFactory

    from zhuli.core.registry import agreement_sections, customer_sections, workbench_cards

    request = RequestFactory().get("/")
    request.actor = org.actor("finance")
    request.user = org["finance"]
    html = "".join(e.value.render(request, money) for e in agreement_sections.items() if e.key in
                   ("plans", "payments", "invoices"))
    assert "登记回款" in html and "生成回款计划" in html and "申请开票" in html
    customer = money.customer
    html = "".join(customer_sections.get(k).render(request, customer) for k in ("receivables", "payments", "invoices"))
    assert "¥1,000.00" in html and "待确认" in html
    cards = "".join(workbench_cards.get(k).render(request, request.actor) for k in
                    ("billing.plans_due", "billing.to_confirm", "billing.to_issue"))
    assert "笔回款等待确认" in cards and "待开具" in cards


def test_list_query_counts(org, django_assert_max_num_queries):
    for _ in range(4):
        a = make_agreement(org, "sales1", amount="100")
        services.plan_generate(actor=org.actor("finance"), agreement_id=a.pk, count=2, first_due="2026-02-01")
        services.payment_record(actor=org.actor("sales1"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-01", "amount": "10"})
    client = login(org["finance"])
    client.get("/payments/")
    for url in ("/payment-plans/", "/payments/", "/invoices/", "/finance/receivables/"):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200


def test_tax_method_setting(org):
    client = login(org["admin"])
    assert client.get("/settings/invoices/").status_code == 200
    client.post("/settings/invoices/", {"invoice_tax_method": "line"})
    org.tenant.refresh_from_db()
    assert org.tenant.feature("invoice_tax_method") == "line"
    assert login(org["sales1"]).get("/settings/invoices/").status_code == 403


def test_customer_invoice_profile_in_the_form_api_and_view(org):
    from zhuli.api.testing import ApiClient

    api = ApiClient(org["sales1"])
    r = api.post("/customers", {"kind": "enterprise", "name": "开票信息测试有限公司", "invoice_title": "开票信息测试有限公司",
                                "invoice_tax_number": "91110000XXXXXXXX1X", "invoice_bank": "工商银行"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["invoice_tax_number"], body["invoice_bank"]) == ("91110000XXXXXXXX1X", "工商银行")
    r = api.patch(f"/customers/{body['id']}", {"invoice_tax_number": "x" * 21})
    assert r.status_code == 422 and "invoice_tax_number" in r.json()["errors"]
    client = login(org["sales1"])
    assert "91110000XXXXXXXX1X" in client.get(f"/customers/{body['id']}/").content.decode()
    assert 'name="invoice_title"' in client.get(f"/customers/{body['id']}/edit/").content.decode()


def test_generate_form_names_the_instalment_bound(org, money):
    r = login(org["sales1"]).post(f"/payment-plans/generate/{money.pk}/", {"count": "10000", "first_due": "2026-02-01",
                                                                           "interval_months": "100"})
    body = r.content.decode()
    assert r.status_code == 200 and "期数应为 1 到 60 的整数" in body and "间隔月数应为 1 到 24 的整数" in body
    assert "字符" not in body


def test_receivables_page_shows_unplanned_and_leaves_paid_agreements_out(org, money):
    finance = org.actor("finance")
    services.payment_confirm(actor=finance, payment_id=Payment.objects.get().pk)
    paid = make_agreement(org, "sales1", amount="80.00")
    services.payment_record(actor=finance, agreement_id=paid.pk, data={"paid_on": "2026-02-01", "amount": "80"})
    make_agreement(org, "sales1", amount="40.00")
    body = login(org["finance"]).get("/finance/receivables/").content.decode()
    assert "未计划" in body and "¥40.00" in body and "¥740.00" in body
    assert paid.customer.name not in body and "1 份" not in body and "2 份" in body
