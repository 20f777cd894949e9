"""The customer screens: list (filters, sort, pages in the URL, query count), create / edit with 查重,
the customer view with its sections, contacts partials, transfer, escaping of hostile names."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_org
from zhuli.core.text import uscc_check_char
from zhuli.customers.models import Contact, Customer, OwnerChange, RecentView
from zhuli.customers.services import customer_create, customer_transfer
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import tenant_context

HOSTILE = ["<img src=x onerror=alert(1)>测试客户", '"><svg onload=alert(2)>']
HTMX = {"HTTP_HX_REQUEST": "true"}


def make(org, who, name, **data):
    return customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": name, **data}).customer


def item(kind, index=0):
    return DictionaryItem.objects.filter(kind=kind).order_by("order", "id")[index]


def uscc(first17="91110000100000000"):
    return first17 + uscc_check_char(first17)


@pytest.fixture
def as_user(client, org):
    def login(key):
        client.force_login(org[key])
        return client
    return login


def names_in(html: str) -> list[str]:
    return re.findall(r'href="/customers/\d+/">([^<]+)</a>', html)


# ---- list ---------------------------------------------------------------------------------------------

def test_list_shows_only_own_and_pool_for_sales(as_user, org):
    make(org, "sales1", "甲公司")
    make(org, "sales4", "乙公司")
    customer_create(actor=org.actor("manager1"), data={"kind": "enterprise", "name": "公海客户", "to_pool": True})
    html = as_user("sales1").get("/customers/").content.decode()
    assert "甲公司" in html and "公海客户" in html and "乙公司" not in html


def test_filters_sort_and_page_live_in_the_url(as_user, org):
    level_a, level_b = item(DictionaryKind.LEVEL, 0), item(DictionaryKind.LEVEL, 1)
    for i in range(25):
        make(org, "sales1", f"客户{i:02d}", level_id=level_a.pk)
    make(org, "sales1", "另一级别", level_id=level_b.pk)
    client = as_user("sales1")
    page2 = client.get("/customers/", {"owner": "me", "level": level_a.pk, "sort": "name", "page": 2})
    html = page2.content.decode()
    assert names_in(html) == [f"客户{i:02d}" for i in range(20, 25)]
    assert "共 25 个客户" in html
    # The links reproduce the state: previous page keeps the filters; the header flips the order.
    assert f"?owner=me&amp;level={level_a.pk}&amp;sort=name&amp;page=1" in html
    assert f"?owner=me&amp;level={level_a.pk}&amp;page=2&amp;sort=-name" in html or "sort=-name" in html
    desc = client.get("/customers/", {"level": level_a.pk, "sort": "-name"}).content.decode()
    assert names_in(desc)[:2] == ["客户24", "客户23"]
    # A page number past the end lands on the last page instead of an empty one.
    assert names_in(client.get("/customers/", {"level": level_a.pk, "sort": "name", "page": 99}).content.decode()) \
        == [f"客户{i:02d}" for i in range(20, 25)]
    # Bad values are ignored, not a 500.
    for params in ({"level": "abc", "page": "x", "sort": "evil", "next_from": "2025-13-01"},
                   {"level": "9" * 30, "department": "9" * 25, "page": "9" * 40, "page_size": "-1"},
                   {"next_to": "9999-12-31", "next_from": "0001-01-01", "owner": "9" * 30, "province": "x" * 99}):
        assert client.get("/customers/", params).status_code == 200
    assert client.post(reverse("customers:transfer"), {"customer_ids": ["9" * 30], "to_user_id": "1"}).status_code \
        in (302, 403)


def test_search_kind_tag_region_and_days_filters(as_user, org):
    make(org, "sales1", "华为技术有限公司", tags="重点,华南", province_id="44", city_id="4403")
    make(org, "sales1", "北京沃力森信息技术有限公司", province_id="11")
    customer_create(actor=org.actor("sales1"), data={"kind": "individual", "name": "王德生", "mobile": "13800138000"})
    client = as_user("sales1")

    def names(**params):
        return sorted(names_in(client.get("/customers/", params).content.decode()))

    assert names(q="华为") == ["华为技术有限公司"]
    assert names(q="hwjs") == ["华为技术有限公司"]
    assert names(q="13800138000") == ["王德生"]
    assert names(kind="individual") == ["王德生"]
    assert names(tag="华南") == ["华为技术有限公司"]
    assert names(province="44", city="4403") == ["华为技术有限公司"]
    assert names(no_followup_days="3") == sorted(["华为技术有限公司", "北京沃力森信息技术有限公司", "王德生"])
    html = client.get("/customers/", {"province": "44"}).content.decode()
    assert '<option value="4403" selected>' not in html and "深圳市" in html  # city picker of the province


def test_department_and_next_followup_filters(as_user, org):
    import datetime

    from django.utils import timezone

    from zhuli.activities.services import todo_create

    mine = make(org, "sales1", "一部客户")
    make(org, "sales4", "二部客户")
    day = timezone.localdate() + datetime.timedelta(days=2)
    todo_create(actor=org.actor("sales1"), customer_id=mine.pk, due_at=day)
    client = as_user("boss")

    def names(**params):
        return sorted(names_in(client.get("/customers/", params).content.decode()))

    assert names(department=org.department("销售二部").pk) == ["二部客户"]
    assert names(department=org.department("销售中心").pk) == ["一部客户", "二部客户"]
    assert names(next_from=day.isoformat(), next_to=day.isoformat()) == ["一部客户"]
    assert names(next_to=(day - datetime.timedelta(days=1)).isoformat()) == []
    # Sales (own scope) get no department picker.
    assert 'name="department"' not in as_user("sales1").get("/customers/").content.decode()


def test_list_query_count_is_flat(as_user, org):
    level, status, source = item(DictionaryKind.LEVEL), item(DictionaryKind.STATUS), item(DictionaryKind.SOURCE)
    client = as_user("manager1")

    def run():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/customers/", {"page_size": 50})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        make(org, f"sales{1 + i % 3}", f"少量{i}", level_id=level.pk, status_id=status.pk, source_id=source.pk,
             province_id="44", city_id="4401")
    few = run()
    for i in range(27):
        make(org, f"sales{1 + i % 3}", f"大量{i}", level_id=level.pk, status_id=status.pk, source_id=source.pk,
             province_id="44", city_id="4401")
    many = run()
    assert many == few
    assert many <= 12


def test_departed_owner_shows_as_departed(as_user, org):
    make(org, "sales2", "离职交接客户")
    org["sales2"].is_active = False
    org["sales2"].save(update_fields=["is_active"])
    html = as_user("manager1").get("/customers/").content.decode()
    assert "陈晓红(已离职)" in html


def test_export_buttons_follow_the_permission_and_keep_filters(as_user, org):
    boss_html = as_user("boss").get("/customers/", {"q": "华为", "owner": "me"}).content.decode()
    assert "format=xlsx" in boss_html and "format=csv" in boss_html
    assert re.search(r'href="[^"]*export/customers/\?q=%E5%8D%8E%E4%B8%BA&amp;owner=me&amp;format=xlsx"', boss_html)
    sales_html = as_user("sales1").get("/customers/").content.decode()
    assert "format=xlsx" not in sales_html


def test_bulk_transfer_for_roles_that_may(as_user, org):
    a, b = make(org, "sales1", "转移甲"), make(org, "sales1", "转移乙")
    client = as_user("manager1")
    html = client.get("/customers/").content.decode()
    assert 'name="customer_ids"' in html
    response = client.post(reverse("customers:transfer"), {"customer_ids": [a.pk, b.pk], "to_user_id": org["sales2"].pk,
                                                           "reason": "调整", "next": "/customers/?owner=me"})
    assert response.status_code == 302 and response["Location"] == "/customers/?owner=me"
    assert set(Customer.objects.filter(pk__in=[a.pk, b.pk]).values_list("owner_id", flat=True)) == {org["sales2"].pk}
    assert OwnerChange.objects.filter(customer=a, to_owner=org["sales2"]).exists()
    # Sales have no transfer right: no transfer picker (their checkboxes serve 放入公海 only), and the POST is
    # refused without changing anything.
    sales = as_user("sales2")
    assert 'name="to_user_id"' not in sales.get("/customers/").content.decode()
    refused = sales.post(reverse("customers:transfer"), {"customer_ids": [a.pk], "to_user_id": org["sales3"].pk})
    assert refused.status_code == 403
    assert Customer.objects.get(pk=a.pk).owner_id == org["sales2"].pk


# ---- create / edit ----------------------------------------------------------------------------------

def test_kind_is_chosen_first_and_decides_the_fields(as_user):
    client = as_user("sales1")
    choice = client.get("/customers/new/").content.decode()
    assert "?kind=enterprise" in choice and "?kind=individual" in choice
    enterprise = client.get("/customers/new/?kind=enterprise").content.decode()
    assert 'name="credit_code"' in enterprise and 'name="gender"' not in enterprise
    individual = client.get("/customers/new/?kind=individual").content.decode()
    assert 'name="gender"' in individual and 'name="birthday"' in individual and 'name="credit_code"' not in individual


def test_create_enterprise(as_user, org):
    industry, source = item(DictionaryKind.INDUSTRY, 2), item(DictionaryKind.SOURCE)
    code = uscc()
    response = as_user("sales1").post("/customers/new/?kind=enterprise", {
        "kind": "enterprise", "name": "北京沃力森信息技术有限公司", "short_name": "沃力森", "credit_code": code,
        "industry_id": industry.pk, "source_id": source.pk, "phone": "010-62672828", "website": "www.xtools.cn",
        "province_id": "11", "city_id": "1101", "district_id": "110108", "tags": "重点，老客户", "gender": "male",
    })
    assert response.status_code == 302
    customer = Customer.objects.get(name="北京沃力森信息技术有限公司")
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.kind, customer.credit_code, customer.industry_id, customer.owner_id) == (
        "enterprise", code, industry.pk, org["sales1"].pk)
    assert customer.district_id == "110108" and customer.tags == "重点,老客户" and customer.gender == ""


def test_create_individual(as_user):
    response = as_user("sales1").post("/customers/new/", {
        "kind": "individual", "name": "王德生", "gender": "male", "mobile": "138 0013 8000", "birthday": "1980-05-01",
        "wechat": "wds1980", "credit_code": "junk",
    })
    assert response.status_code == 302
    customer = Customer.objects.get(name="王德生")
    assert (customer.kind, customer.gender, customer.mobile, str(customer.birthday), customer.credit_code) == (
        "individual", "male", "138 0013 8000", "1980-05-01", "")


def test_invalid_uscc_shows_the_error_next_to_the_field(as_user):
    response = as_user("sales1").post("/customers/new/", {"kind": "enterprise", "name": "代码错误公司",
                                                          "credit_code": "91110000100000000X"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "统一社会信用代码无效" in html
    assert re.search(r'name="credit_code"[^>]*is-invalid|is-invalid[^>]*name="credit_code"', html)
    assert not Customer.objects.filter(name="代码错误公司").exists()


def test_duplicate_blocks_with_owner_and_no_link_outside_scope(as_user, org):
    theirs = make(org, "sales4", "北京沃力森信息技术有限公司")
    response = as_user("sales1").post("/customers/new/", {"kind": "enterprise", "name": "北京沃力森信息技术有限公司"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "已存在：北京沃力森信息技术有限公司（负责人：杨静）" in html
    assert f"/customers/{theirs.pk}/" not in html
    assert 'name="allow_duplicate"' not in html  # sales may not override
    # A crafted override from sales changes nothing.
    as_user("sales1").post("/customers/new/", {"kind": "enterprise", "name": "北京沃力森信息技术有限公司",
                                               "allow_duplicate": "on"})
    assert Customer.objects.filter(name="北京沃力森信息技术有限公司").count() == 1


def test_managers_may_save_a_duplicate_anyway(as_user, org):
    make(org, "sales4", "重复名称有限公司")
    client = as_user("manager1")
    first = client.post("/customers/new/", {"kind": "enterprise", "name": "重复名称有限公司"}).content.decode()
    assert 'name="allow_duplicate"' in first
    saved = client.post("/customers/new/", {"kind": "enterprise", "name": "重复名称有限公司", "allow_duplicate": "on"})
    assert saved.status_code == 302
    assert Customer.objects.filter(name="重复名称有限公司").count() == 2


def test_similar_names_warn_after_save(as_user, org):
    make(org, "sales1", "华为技术有限公司（深圳）")
    response = as_user("sales1").post("/customers/new/", {"kind": "enterprise", "name": "华为技术有限公司"}, follow=True)
    assert "疑似重复" in response.content.decode()


def test_live_duplicate_check(as_user, org):
    mine, theirs = make(org, "sales1", "我的重名公司"), make(org, "sales4", "别人的重名公司")
    client = as_user("sales1")
    own = client.get("/customers/duplicates/", {"name": "我的重名公司"}, **HTMX).content.decode()
    assert "已存在：" in own and f"/customers/{mine.pk}/" in own
    other = client.get("/customers/duplicates/", {"name": "别人的重名公司"}, **HTMX).content.decode()
    assert "已存在：别人的重名公司（负责人：杨静）" in other and f"/customers/{theirs.pk}/" not in other
    assert client.get("/customers/duplicates/", {"name": "我的重名公司", "exclude": mine.pk}).content.strip() == b""
    assert client.get("/customers/duplicates/", {"name": "a"}).content == b""
    assert client.get("/customers/duplicates/", {"name": "我的重名公司", "exclude": "9" * 30}).status_code == 200


def test_edit_keeps_kind_and_saves(as_user, org):
    customer = make(org, "sales1", "编辑前公司")
    client = as_user("sales1")
    form = client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'value="编辑前公司"' in form
    response = client.post(f"/customers/{customer.pk}/edit/", {"name": "编辑后公司", "phone": "020-1234567",
                                                                 "kind": "individual"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.kind) == ("编辑后公司", "020-1234567", "enterprise")
    assert as_user("sales2").get(f"/customers/{customer.pk}/edit/").status_code == 404


def test_region_options(as_user):
    client = as_user("sales1")
    html = client.get("/customers/regions/", {"level": 2, "province_id": "44"}).content.decode()
    assert '<option value="4401">广州市</option>' in html
    assert "东城区" in client.get("/customers/regions/", {"level": 3, "city": "1101"}).content.decode()
    assert client.get("/customers/regions/", {"level": 2, "province": "x"}).content.decode().count("<option") == 1


# ---- the customer view ------------------------------------------------------------------------------

def test_customer_view_for_the_owner(as_user, org):
    customer = make(org, "sales1", "视图测试公司", phone="010-1234567")
    customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales1"].pk)
    from zhuli.customers.services import contact_create

    contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": "李经理", "mobile": "13900000000",
                                                                            "is_primary": True})
    response = as_user("sales1").get(f"/customers/{customer.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "视图测试公司" in html and "李经理" in html and "首要" in html
    assert 'id="followups-section"' in html and 'id="quick-add"' in html
    assert 'id="section-contacts"' in html
    assert RecentView.objects.filter(user=org["sales1"], customer=customer).exists()


def test_owner_history_section_after_transfer(as_user, org):
    customer = make(org, "sales1", "变更记录公司")
    customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales2"].pk,
                      reason="客户要求")
    html = as_user("manager1").get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="section-owner_history"' in html and "客户要求" in html and "王小明" in html


def test_sections_come_from_the_registry(as_user, org):
    from django.utils.html import format_html

    from zhuli.core.registry import Section, customer_sections

    customer = make(org, "sales1", "扩展点公司")
    customer_sections.register("probe", Section("探针", lambda request, c: format_html("<p>探针：{}</p>", c.name)))
    try:
        html = as_user("sales1").get(f"/customers/{customer.pk}/").content.decode()
    finally:
        customer_sections.entries.pop("probe")
    assert 'id="section-probe"' in html and "探针：扩展点公司" in html


def test_customer_view_is_404_outside_the_scope(as_user, org):
    theirs = make(org, "sales4", "销售四的客户")
    assert as_user("sales1").get(f"/customers/{theirs.pk}/").status_code == 404
    assert as_user("manager1").get(f"/customers/{theirs.pk}/").status_code == 404
    assert as_user("manager2").get(f"/customers/{theirs.pk}/").status_code == 200
    assert as_user("sales1").get("/customers/999999/").status_code == 404


def test_customer_view_is_404_for_another_tenant(client, org):
    customer = make(org, "sales1", "租户甲的客户")
    other = make_org("tenant-other")
    client.force_login(other["boss"])
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/customers/{customer.pk}/edit/").status_code == 404
    with tenant_context(other.tenant):
        assert "租户甲的客户" not in client.get("/customers/").content.decode()


def test_contacts_inline_create_edit_delete(as_user, org):
    customer = make(org, "sales1", "联系人公司")
    client = as_user("sales1")
    form = client.get(f"/customers/{customer.pk}/contacts/new/", **HTMX).content.decode()
    assert 'id="contacts-section"' in form and 'name="contact-name"' in form
    bad = client.post(f"/customers/{customer.pk}/contacts/new/", {"contact-name": "", "contact-email": "x"}, **HTMX)
    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    created = client.post(f"/customers/{customer.pk}/contacts/new/",
                          {"contact-name": "张三", "contact-mobile": "13712345678", "contact-is_primary": "on"}, **HTMX)
    assert "张三" in created.content.decode()
    contact = Contact.objects.get(customer=customer)
    assert contact.is_primary
    edited = client.post(f"/customers/contacts/{contact.pk}/edit/",
                         {"contact-name": "张三丰", "contact-has_left": "on"}, **HTMX)
    assert "张三丰" in edited.content.decode() and "已离职" in edited.content.decode()
    # The contact's name now finds the customer.
    assert "联系人公司" in client.get("/customers/", {"q": "张三丰"}).content.decode()
    assert client.post(f"/customers/contacts/{contact.pk}/delete/", **HTMX).status_code == 200
    assert not Contact.objects.filter(pk=contact.pk).exists()
    # Someone else's customer's contact: 404, untouched.
    theirs = make(org, "sales4", "别人的联系人公司")
    from zhuli.customers.services import contact_create

    other = contact_create(actor=org.actor("sales4"), customer_id=theirs.pk, data={"name": "王五"})
    assert client.post(f"/customers/contacts/{other.pk}/delete/", **HTMX).status_code == 404
    assert Contact.objects.filter(pk=other.pk).exists()


# ---- hostile names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_escaped(as_user, org, name):
    customer = make(org, "sales1", name)
    client = as_user("sales1")
    raw_tags = ("<img src=x", "<svg onload")
    pages = [client.get("/customers/").content.decode(), client.get(f"/customers/{customer.pk}/").content.decode(),
             client.get("/customers/duplicates/", {"name": name}).content.decode()]
    for html in pages:
        assert not any(tag in html for tag in raw_tags)
        assert "&lt;" in html


def test_search_provider_returns_visible_customers_only(org):
    from zhuli.core.registry import search_providers

    make(org, "sales1", "搜索甲公司", phone="010-88886666")
    make(org, "sales4", "搜索乙公司")
    provider = search_providers.get("customers")
    rows = provider(org.actor("sales1"), "搜索", 8)
    assert [r["label"] for r in rows] == ["搜索甲公司"]
    assert rows[0]["url"].startswith("/customers/") and "王小明" in rows[0]["hint"] and "010-88886666" in rows[0]["hint"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_escaped_in_search_results(as_user, org, name):
    make(org, "sales1", name)
    query = "测试客户" if "测试客户" in name else "svg"
    response = as_user("sales1").get("/search/", {"q": query}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in html and "<svg onload" not in html


def test_customer_view_query_count_does_not_grow(as_user, org, django_assert_max_num_queries):
    import datetime

    from django.utils import timezone

    from zhuli.activities.services import followup_create
    from zhuli.customers.services import contact_create

    customer = make(org, "sales1", "查询次数公司")
    for i in range(15):
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                        data={"content": f"第{i}次", "next_at": timezone.now() + datetime.timedelta(days=i + 1)})
        contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": f"联系人{i}"})
    client = as_user("manager1")
    # One query per section: 销售机会 1, 合同/订单 1, and the three billing sections 4 (summary 2, payments, invoices).
    with django_assert_max_num_queries(26):
        assert client.get(f"/customers/{customer.pk}/").status_code == 200
