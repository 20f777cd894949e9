"""The foundation's main job in a real browser: a boss signs in, imports the shared data file,
finds a customer by pinyin, logs a phone call with the quick-add and sees the planned follow-up on
the workbench. And a salesperson's browser gets the 404 page for a colleague's customer."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_org
from zhuli.customers.services import customer_create
from zhuli.tenancy.context import tenant_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # whitenoise looks for collected files; the live server serves static files from the apps instead.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SZSE = Path(__file__).resolve().parents[2] / "zhuli" / "imports" / "tests" / "fixtures" / "szse-listed-companies.csv"
SZSE_ROWS = 1589
JINGXIN = "浙江京新药业股份有限公司"
CONTENT = "电话沟通合作意向"
PHONE = 375
# Each of the preview and the import runs the 1,589 rows inside the request (about 15-20 s each).
IMPORT_TIMEOUT = 120_000


def login(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def assert_assets_loaded(page: Page) -> None:
    """CSS applied and the scripts running: htmx drives the list search and the quick-add."""
    assert page.evaluate("typeof window.htmx === 'object' && typeof window.bootstrap === 'object'")
    # Bootstrap's reboot sets the body margin to 0 (a bare page keeps the browser's 8px).
    expect(page.locator("body")).to_have_css("margin-top", "0px")


def assert_chinese_renders(page: Page, text: str) -> None:
    """A CJK font is installed: with none, every character is drawn as the same empty box."""
    shapes = page.evaluate(
        """text => {
             const canvas = document.createElement('canvas');
             canvas.width = canvas.height = 40;
             const g = canvas.getContext('2d');
             g.font = '32px ' + getComputedStyle(document.body).fontFamily;
             return [...text].map(ch => { g.clearRect(0, 0, 40, 40); g.fillText(ch, 2, 34); return canvas.toDataURL(); });
           }""", text)
    assert len(set(shapes)) == len(set(text)), f"the characters of {text!r} all look alike: no CJK font?"


@pytest.fixture
def company():
    """A tenant with the demo organisation. The clock starts at 10:00 today in the tenant's zone and
    runs on, so 'today at 18:00' is still ahead and still today whenever CI runs."""
    org = make_org("e2e")
    zone = org.tenant.zone
    ten = datetime.datetime.combine(org.tenant.today(), datetime.time(10, 0), tzinfo=zone)
    with time_machine.travel(ten, tick=True):
        yield org


def test_boss_imports_finds_by_pinyin_logs_a_call_and_sees_it_on_the_workbench(company, new_page):
    page, shot = new_page()
    today = company.tenant.today()

    # 1. Sign in: the workbench greets the boss.
    login(page, "boss@e2e.test")
    expect(page.get_by_role("heading", level=1)).to_contain_text(company["boss"].name)
    assert_assets_loaded(page)
    assert_chinese_renders(page, "京新药业")
    shot("workbench-empty")

    # 2. Import the shared data file: upload → automatic mapping → preview → import → result.
    page.goto("/imports/")
    page.get_by_label("选择文件").set_input_files(str(SZSE))
    shot("import-upload")
    page.get_by_role("button", name="上传并继续").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))
    expect(page.get_by_text(f"共 {SZSE_ROWS} 行数据")).to_be_visible()
    expect(page.get_by_role("combobox", name="公司全称", exact=True)).to_have_value("name")
    shot("import-mapping")
    page.get_by_role("button", name="预览导入结果").click(timeout=IMPORT_TIMEOUT)
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.get_by_text("预览完成，尚未保存任何数据")).to_be_visible()
    expect(page.locator("[data-count=created]")).to_have_text(str(SZSE_ROWS))
    shot("import-preview")
    page.get_by_role("button", name="确认导入").click(timeout=IMPORT_TIMEOUT)
    # Small files finish within the request; a progress bar polls only when one is still running.
    expect(page.get_by_text("导入完成")).to_be_visible(timeout=IMPORT_TIMEOUT)
    expect(page.locator("[data-count=created]")).to_have_text(str(SZSE_ROWS))
    expect(page.locator("[data-count=failed]")).to_have_text("0")
    shot("import-result")

    # 3. Global search in the top bar by full pinyin: the dropdown offers the company.
    page.get_by_role("searchbox", name="全局搜索").fill("jingxin")
    suggestion = page.locator("#zl-search-results").get_by_role("option", name=JINGXIN)
    expect(suggestion).to_be_visible()
    shot("global-search")

    # 4. The customer list searched by pinyin initials (htmx swaps the results in).
    page.goto("/customers/")
    search = page.get_by_role("searchbox", name="搜索客户")
    search.fill("jxyy")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/customers/\?.*q=jxyy"))
    link = page.locator("#customer-results").get_by_role("link", name=JINGXIN, exact=True)
    expect(link).to_be_visible()
    shot("customer-list-jxyy")
    link.click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(JINGXIN)
    assert_assets_loaded(page)
    shot("customer-view")

    # 5. Quick-add a phone call with the next follow-up today; the section updates in place.
    detail_url = page.url
    page.evaluate("window.zhuliE2eNoReload = true")
    quick = page.locator("#quick-add")
    quick.locator("label", has_text="电话").click()
    expect(quick.get_by_role("radio", name="电话")).to_be_checked()
    quick.get_by_placeholder("聊了什么？").fill(CONTENT)
    quick.get_by_label("下次跟进", exact=True).fill(today.isoformat())
    quick.get_by_label("时间", exact=True).fill("18:00")
    quick.get_by_role("button", name="记录跟进").click()
    expect(page.get_by_role("status").filter(has_text="已记录")).to_be_visible()
    entry = page.locator("[data-zl-timeline] li").filter(has_text=CONTENT)
    expect(entry).to_be_visible()
    expect(entry.locator("strong")).to_have_text("电话")
    expect(page.locator("[data-zl-open-todos]")).to_contain_text(f"{today.isoformat()} 18:00")
    assert page.url == detail_url
    assert page.evaluate("window.zhuliE2eNoReload === true"), "the quick-add reloaded the page"
    shot("customer-followup-added")

    # 6. The workbench lists the customer under today's follow-ups.
    page.get_by_role("navigation").get_by_role("link", name="工作台").click()
    expect(page).to_have_url(re.compile(r"/$"))
    today_bucket = page.locator("#bucket-today")
    expect(today_bucket.get_by_role("link", name=JINGXIN)).to_be_visible()
    expect(today_bucket).to_contain_text("18:00")
    shot("workbench-today")

    # 7. The same workbench on a phone (375 px): the menu folds away, the todo stays readable.
    phone, phone_shot = new_page({"width": PHONE, "height": 812})
    login(phone, "boss@e2e.test")
    expect(phone.locator("#bucket-today").get_by_role("link", name=JINGXIN)).to_be_visible()
    expect(phone.get_by_role("button", name="打开菜单")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE, "the page scrolls sideways"
    phone_shot("workbench-phone")


def test_salesperson_gets_404_for_a_colleagues_customer(company, new_page):
    with tenant_context(company.tenant):
        theirs = customer_create(actor=company.actor("sales4"), data={"kind": "enterprise",
                                                                      "name": "杭州二部客户有限公司"}).customer
        mine = customer_create(actor=company.actor("sales1"), data={"kind": "enterprise",
                                                                    "name": "南京一部客户有限公司"}).customer
    page, shot = new_page()
    login(page, "sales1@e2e.test")

    page.goto(f"/customers/{mine.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("南京一部客户有限公司")

    response = page.goto(f"/customers/{theirs.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.get_by_text("页面不存在，或您无权查看")).to_be_visible()
    expect(page.get_by_text("杭州二部客户有限公司")).to_have_count(0)
    shot("customer-404")

    # Nor does search reveal it.
    page.goto("/customers/?q=杭州二部")
    expect(page.get_by_text("没有符合条件的客户。")).to_be_visible()
