"""An opportunity in a real browser on a 375 px phone: the list, the page with its stage bar, moving a stage,
logging a follow-up on it, and losing it through the reason dialog."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_org
from zhuli.customers.services import customer_create
from zhuli.sales.models import Opportunity
from zhuli.sales.services import opportunity_create
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


def fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_work_an_opportunity_on_a_phone(new_page):
    org = make_org("opp-e2e")
    with tenant_context(org.tenant):
        sales1 = org.actor("sales1")
        customer = customer_create(actor=sales1, data={"kind": "enterprise", "name": "杭州机会测试有限公司"}).customer
        opp = opportunity_create(actor=sales1, data={"customer_id": customer.pk, "title": "智慧园区一期",
                                                     "amount": "380000", "close_date": "2026-12-31"})
    page, shot = new_page(PHONE)
    login(page, "sales1@opp-e2e.test")
    page.goto("/opportunities/")
    expect(page.locator(f"[data-zl-opportunity='{opp.pk}']")).to_contain_text("智慧园区一期")
    assert fits(page), "the list scrolls sideways"
    shot("list")
    page.get_by_role("link", name="智慧园区一期").click()
    expect(page.locator("[data-zl-probability]")).to_have_text("10%")
    expect(page.locator("[data-zl-days-in-stage]")).to_contain_text("已停留 0 天")
    assert fits(page), "the opportunity page scrolls sideways"
    shot("detail")
    page.get_by_label("移到阶段").select_option(label="方案报价（60%）")
    page.get_by_role("button", name="推进阶段").click()
    expect(page.locator("[data-zl-probability]")).to_have_text("60%")
    expect(page.locator("#stage-history")).to_contain_text("初步接洽 → 方案报价")
    # A follow-up on the opportunity (htmx) shows in its timeline.
    page.locator("#opportunity-quick-add textarea").fill("客户要求下周出方案")
    page.locator("#opportunity-quick-add").get_by_role("button", name="记录跟进").click()
    expect(page.locator("#opportunity-followups [data-zl-timeline]")).to_contain_text("客户要求下周出方案")
    # 输单 through its dialog: a reason is needed.
    page.get_by_role("button", name="输单").click()
    dialog = page.locator("#lose-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("说明").fill("预算取消")
    dialog.get_by_role("button", name="确认输单").click()
    expect(page.locator("[data-zl-status]")).to_have_attribute("data-zl-status", "lost")
    expect(page.locator("[data-zl-probability]")).to_have_text("0%")
    shot("lost")
    with tenant_context(org.tenant):
        opp = Opportunity.objects.get(pk=opp.pk)
    assert (opp.status, opp.probability, opp.last_followup_at is not None) == ("lost", 0, True)


def test_find_any_customer_by_pinyin_when_creating_an_opportunity(new_page):
    """More customers than the form lists: the search box above the select finds one by its pinyin initials."""
    org = make_org("picker-e2e")
    with tenant_context(org.tenant):
        sales1 = org.actor("sales1")
        wanted = customer_create(actor=sales1, data={"kind": "enterprise", "name": "宁波海曙拼音测试有限公司"}).customer
        Customer = type(wanted)
        Customer.objects.filter(pk=wanted.pk).update(updated_at="2000-01-01T00:00:00Z")  # the oldest of all
        for i in range(5):
            customer_create(actor=sales1, data={"kind": "enterprise", "name": f"近期客户{i}有限公司"})
    page, shot = new_page(PHONE)
    login(page, "sales1@picker-e2e.test")
    page.goto("/opportunities/new/")
    box = page.locator("[data-zl-search-box]")
    box.fill("nbhs")
    select = page.locator("select[name=customer_id]")
    expect(select).to_have_value(str(wanted.pk))
    expect(select.locator("option:checked")).to_have_text("宁波海曙拼音测试有限公司")
    assert fits(page), "the form scrolls sideways"
    shot("customer-picker")
    page.get_by_label("机会名称").fill("海曙项目")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("海曙项目")
    with tenant_context(org.tenant):
        assert Opportunity.objects.get(title="海曙项目").customer_id == wanted.pk
