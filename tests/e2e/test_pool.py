"""The pool (公海) in a real browser: a salesperson on a 375 px phone opens 公海, claims a customer with one tap
(htmx, the button disabled while it runs) and sees it become theirs on the customer page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_org
from zhuli.customers.services import customer_create, customer_release
from zhuli.tenancy.context import tenant_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PHONE = {"width": 375, "height": 740}


def login(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_salesperson_claims_a_pool_customer(new_page):
    org = make_org("pool-e2e")
    with tenant_context(org.tenant):
        sales1 = org.actor("sales1")
        customer = customer_create(actor=sales1, data={"kind": "enterprise", "name": "杭州公海测试有限公司"}).customer
        customer_release(actor=sales1, customer_ids=[customer.pk], reason="暂时没有需求")
    page, shot = new_page(PHONE)
    login(page, "sales2@pool-e2e.test")
    page.goto("/customers/pool/")
    row = page.locator(f"#pool-row-{customer.pk}")
    expect(row).to_contain_text("杭州公海测试有限公司")
    expect(row).to_contain_text("暂时没有需求")
    # Usable at 375 px: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot("pool-list")
    row.get_by_role("button", name="领取").click()
    claimed = page.locator(f"#pool-row-{customer.pk}[data-zl-claimed]")
    expect(claimed).to_contain_text("已领取")
    shot("claimed")
    claimed.get_by_role("link", name="查看客户").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator("[data-zl-owner]")).to_have_text(org["sales2"].name)
    expect(page.locator("#section-owner_history")).to_contain_text("领取")
    with tenant_context(org.tenant):
        customer.refresh_from_db()
    assert customer.owner_id == org["sales2"].pk
