"""From a won opportunity to money in a real browser (issue 4 part 16): the salesperson wins it, converts it to an
order with a product picked in the line editor, submits it and records part of the payment; finance confirms the
payment and sees the receivable drop by exactly that amount."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_org
from zhuli.billing.models import Payment
from zhuli.catalog.services import product_create
from zhuli.customers.services import customer_create
from zhuli.deals.models import Agreement
from zhuli.sales.services import opportunity_create
from zhuli.tenancy.context import tenant_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

ORDER_TOTAL = Decimal("3990.00")  # 10 × ¥399.00, no discount
PAID = Decimal("1000.00")


def login(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def yuan(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def receivable(page: Page) -> Decimal:
    page.goto("/finance/receivables/")
    return yuan(page.locator("[data-zl-summary] [data-zl-outstanding]").inner_text())


def test_win_order_pay_and_see_the_receivable_drop(new_page):
    org = make_org("deals-e2e")
    with tenant_context(org.tenant):
        sales1 = org.actor("sales1")
        customer = customer_create(actor=sales1, data={"kind": "enterprise", "name": "宁波扫码设备采购有限公司"}).customer
        product_create(actor=org.actor("boss"), data={"code": "HW-E2E", "name": "扫码枪", "kind": "physical",
                                                      "list_price": "399.00", "tax_rate": "13", "specification": "X1"})
        opp = opportunity_create(actor=sales1, data={"customer_id": customer.pk, "title": "门店扫码枪采购",
                                                     "amount": "3990", "close_date": "2026-12-31"})
    page, shot = new_page()
    login(page, "sales1@deals-e2e.test")
    page.goto(f"/opportunities/{opp.pk}/")
    page.get_by_role("button", name="赢单").click()
    convert = page.locator("#opportunity-convert")
    expect(convert).to_contain_text("恭喜赢单")
    shot("won")
    convert.get_by_role("button", name="转为订单").click()
    expect(page.locator("[data-zl-expected-amount]")).to_contain_text("门店扫码枪采购")
    row = page.locator("#line-editor [data-zl-line]").first
    row.locator("[data-field=name]").press_sequentially("扫码")
    row.locator("[data-zl-product-results]").get_by_role("button", name=re.compile("扫码枪")).click()
    expect(row.locator("[data-field=unit_price]")).to_have_value(re.compile(r"^399(\.00?)?$"))
    row.locator("[data-field=quantity]").fill("10")
    expect(page.locator("[data-zl-lines-total]")).to_have_text("¥3,990.00")
    shot("order-form")
    page.locator("#agreement-form").get_by_role("button", name="保存").click()
    expect(page.locator("[data-zl-number]")).to_be_visible()
    expect(page.locator("#agreement-header [data-zl-amount]")).to_have_text("¥3,990.00")
    page.locator("#agreement-actions").get_by_role("button", name="提交").click()
    expect(page.locator("#agreement-header [data-zl-status]")).to_have_attribute("data-zl-status", "confirmed")
    expect(page.locator("#agreement-header [data-zl-status]")).to_have_text("已确认")
    order_url = page.url
    with tenant_context(org.tenant):
        order = Agreement.objects.get(opportunity_id=opp.pk)
    assert (order.kind, order.status, order.amount, order.received_amount) == ("order", "confirmed", ORDER_TOTAL, 0)
    shot("order-confirmed")

    # Finance's receivable before the payment includes the whole order.
    finance_page, finance_shot = new_page()
    login(finance_page, "finance@deals-e2e.test")
    before = receivable(finance_page)
    finance_shot("receivables-before")
    assert before == ORDER_TOTAL, "the company's only order is its whole receivable"

    # The salesperson records part of it; it waits for finance, so nothing is received yet.
    page.locator("#agreement-payments").get_by_role("link", name="登记回款").click()
    page.get_by_label("回款金额", exact=True).fill(str(PAID))
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(order_url)
    payments = page.locator("#agreement-payments")
    expect(payments.locator("[data-zl-payment]")).to_have_count(1)
    expect(payments.locator("[data-zl-outstanding]")).to_contain_text("未回款 ¥3,990.00")
    shot("payment-recorded")
    with tenant_context(org.tenant):
        payment = Payment.objects.get(agreement_id=order.pk)
    assert payment.status == "recorded"
    assert receivable(finance_page) == before

    # Finance confirms it on the order page.
    finance_page.goto(order_url)
    finance_page.locator(f"[data-zl-payment='{payment.pk}']").get_by_role("button", name="确认").click()
    expect(finance_page.locator("#agreement-header [data-zl-received]")).to_have_text("¥1,000.00")
    expect(finance_page.locator("#agreement-header [data-zl-outstanding]")).to_have_text("¥2,990.00")
    finance_shot("payment-confirmed")
    after = receivable(finance_page)
    finance_shot("receivables-after")
    assert (before - after, after) == (PAID, ORDER_TOTAL - PAID)
    with tenant_context(org.tenant):
        order.refresh_from_db()
        payment.refresh_from_db()
    assert (payment.status, order.received_amount, order.outstanding_amount) == (
        "confirmed", PAID, ORDER_TOTAL - PAID)


PHONE = {"width": 375, "height": 812}


def test_the_line_editor_is_usable_on_a_phone(new_page):
    """At 375 px each line is a card: the quantity field is wide enough to read 12345.67, picking products, the
    running total and removing a line work as on the desktop table, and the saved line keeps what was typed."""
    org = make_org("deals-phone")
    with tenant_context(org.tenant):
        customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "温州收银纸业有限公司"}).customer
        boss = org.actor("boss")
        product_create(actor=boss, data={"code": "HW-P1", "name": "扫码枪", "kind": "physical", "list_price": "399.00",
                                         "tax_rate": "13"})
        product_create(actor=boss, data={"code": "HW-P2", "name": "热敏纸", "kind": "physical", "list_price": "2.50",
                                         "tax_rate": "13", "specification": "57×50mm"})
    page, shot = new_page(PHONE)
    login(page, "sales1@deals-phone.test")
    page.goto("/orders/new/")
    page.locator("#agreement-form [name=customer_id]").select_option(label=customer.name)
    page.locator("#agreement-form [name=title]").fill("收银耗材")
    editor = page.locator("#line-editor")
    expect(editor.locator("thead")).to_be_hidden()
    rows = editor.locator("[data-zl-line-rows] > [data-zl-line]")
    for n, (typed, product) in enumerate([("扫码", "扫码枪"), ("热敏", "热敏纸")]):
        if n:
            editor.locator("[data-zl-add-line]").click()
        rows.nth(n).locator("[data-field=name]").press_sequentially(typed)
        rows.nth(n).locator("[data-zl-product-results]").get_by_role("button", name=re.compile(product)).click()
    expect(rows.nth(1).locator("[data-field=specification]")).to_have_value("57×50mm")
    quantity = rows.nth(1).locator("[data-field=quantity]")
    quantity.fill("12345.67")
    expect(rows.nth(1).get_by_text("数量", exact=True)).to_be_visible()
    width, inner, scrolled = quantity.evaluate("e => [e.getBoundingClientRect().width, e.clientWidth, e.scrollWidth]")
    assert width >= 80 and scrolled <= inner, (width, inner, scrolled)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(rows.nth(1).locator("[data-zl-line-amount]")).to_have_text("30,864.18")  # 12345.67 × 2.50, half-up
    expect(editor.locator("[data-zl-lines-total]")).to_have_text("¥31,263.18")
    shot("phone-lines")
    rows.nth(0).locator("[data-zl-remove-line]").click()
    expect(rows).to_have_count(1)
    expect(editor.locator("[data-zl-lines-total]")).to_have_text("¥30,864.18")
    page.locator("#agreement-form").get_by_role("button", name="保存").click()
    expect(page.locator("#agreement-header [data-zl-amount]")).to_have_text("¥30,864.18")
    with tenant_context(org.tenant):
        order = Agreement.objects.get(title="收银耗材")
        assert [(line.name, line.quantity) for line in order.lines.all()] == [("热敏纸", Decimal("12345.67"))]
