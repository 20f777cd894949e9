"""Sign-up to the first customer in a real browser (issue 5 part 10): the login page's 免费试用 link, the
sign-up form with an inline error, then a new company's boss creating its first customer."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import make_tenant
from zhuli.accounts.models import User
from zhuli.accounts.orgchart import build_demo_org
from zhuli.customers.models import Customer
from zhuli.tenancy.models import TenantKind
from zhuli.tenancy.unscoped import for_tenant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PHONE = {"width": 375, "height": 740}


def fill_signup(page: Page, password: str) -> None:
    page.get_by_label("公司名称").fill("宁波海曙试用贸易有限公司")
    page.get_by_label("您的姓名").fill("陈总")
    page.get_by_label("手机号").fill("13566667777")
    page.get_by_label("邮箱").fill("chen@haishu.example.com")
    page.get_by_label("设置密码").fill(password)


def test_sign_up_then_create_the_first_customer(new_page):
    page, shot = new_page(PHONE)
    page.goto("/login/")
    expect(page.locator("#demo-entry")).to_contain_text("演示")
    page.get_by_role("link", name="免费试用").click()
    expect(page).to_have_url(re.compile(r"/signup/$"))
    fill_signup(page, "12345678")
    page.get_by_role("button", name="免费开通").click()
    # Weak password and no terms: errors next to the fields, what was typed kept.
    expect(page.locator("#signup-form")).to_contain_text("请阅读并同意服务条款")
    expect(page.get_by_label("公司名称")).to_have_value("宁波海曙试用贸易有限公司")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot("signup-errors")
    page.get_by_label("设置密码").fill("Haishu-Trial-2026")
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="免费开通").click()
    expect(page).not_to_have_url(re.compile(r"/signup/"))
    boss = User.objects.select_related("tenant").get(email="chen@haishu.example.com")
    assert boss.tenant.kind == TenantKind.TRIAL and boss.is_admin
    shot("after-signup")
    page.goto("/customers/new/?kind=enterprise")
    page.get_by_label("客户名称").fill("宁波第一位客户有限公司")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("宁波第一位客户有限公司")
    shot("first-customer")
    customer = for_tenant(Customer, boss.tenant).get()
    assert customer.owner_id == boss.pk


def test_a_visitor_enters_the_demo_as_a_salesperson(new_page):
    tenant = make_tenant("demo", name="助理演示科技有限公司", kind=TenantKind.DEMO)
    users = build_demo_org(tenant, domain="demo.example.com", password="zhuli-demo")
    page, shot = new_page()
    page.goto("/")
    entry = page.locator("#demo-entry")
    expect(entry).to_contain_text("体验演示帐户")
    for label in ("老板", "总监", "经理", "销售", "助理", "客服", "财务", "库管"):
        expect(entry.get_by_role("button", name=label, exact=True)).to_be_visible()
    shot("login-desktop")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot("login-phone")
    entry.get_by_role("button", name="销售", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("body")).to_contain_text(users["sales1"].name)
    shot("demo-workbench")
