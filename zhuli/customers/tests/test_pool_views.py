"""The pool screens: 公海 page (scope, filters, claim by htmx, bulk assign, query count), the customer view's
领取 / 放入公海 / 分配 actions and its pool section, the list's bulk release, the workbench cards and the
settings page (admin only)."""
from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhuli.customers.models import Customer, CustomerCap, OwnerChange, Pool, PoolRule
from zhuli.customers.services import customer_create, customer_release, pool_create, pool_default
from zhuli.preferences.models import DictionaryItem

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_user(client, org):
    def login(key):
        client.force_login(org[key])
        return client
    return login


def in_pool(org, name, pool=None):
    return customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": name, "to_pool": True},
                           pool=pool).customer


def owned(org, key, name):
    return customer_create(actor=org.actor(key), data={"kind": "enterprise", "name": name}).customer


def test_pool_page_lists_visible_pool_customers_with_reason(as_user, org):
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                          "department_ids": [org.department("销售二部").pk]})
    in_pool(org, "默认公海的公司")
    in_pool(org, "二部公海的公司", pool=team2)
    released = owned(org, "sales1", "放弃了的公司")
    customer_release(actor=org.actor("sales1"), customer_ids=[released.pk], reason="联系不上")
    owned(org, "sales1", "有主的公司")
    html = as_user("sales1").get("/customers/pool/").content.decode()
    assert "默认公海的公司" in html and "放弃了的公司" in html and "联系不上" in html
    assert "二部公海的公司" not in html and "有主的公司" not in html
    assert 'data-zl-claim' in html and 'id="bulk-assign"' not in html
    html = as_user("manager2").get("/customers/pool/", {"pool": team2.pk}).content.decode()
    assert "二部公海的公司" in html and "默认公海的公司" not in html
    # manager2 oversees the 二部 pool and may assign, but claims only from pools they are a member of
    assert 'id="bulk-assign"' in html
    html = as_user("sales1").get("/customers/pool/", {"q": "放弃"}).content.decode()
    assert "放弃了的公司" in html and "默认公海的公司" not in html


def test_claim_by_htmx_returns_the_claimed_row(as_user, org):
    customer = in_pool(org, "等人领的公司")
    response = as_user("sales1").post(f"/customers/{customer.pk}/claim/", **HTMX)
    assert response.status_code == 200
    assert "data-zl-claimed" in response.content.decode()
    customer.refresh_from_db()
    assert customer.owner == org["sales1"]
    # the second claimer (a boss, who still sees it) gets the reason as a toast text, status 409
    response = as_user("boss").post(f"/customers/{customer.pk}/claim/", **HTMX)
    assert response.status_code == 409 and org["sales1"].name in response.content.decode()


def test_claim_without_htmx_redirects_to_the_customer(as_user, org):
    customer = in_pool(org, "表单领取的公司")
    response = as_user("sales2").post(f"/customers/{customer.pk}/claim/")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"


def test_bulk_assign_from_the_pool_page(as_user, org):
    a, b = in_pool(org, "甲"), in_pool(org, "乙")
    response = as_user("manager1").post("/customers/pool/assign/", {"customer_ids": [a.pk, b.pk],
                                                                    "owner_id": org["sales3"].pk,
                                                                    "next": "/customers/pool/"})
    assert response.status_code == 302
    assert set(Customer.objects.filter(owner=org["sales3"]).values_list("pk", flat=True)) == {a.pk, b.pk}
    before = OwnerChange.objects.count()
    response = as_user("sales1").post("/customers/pool/assign/", {"customer_ids": [a.pk], "owner_id": org["sales1"].pk})
    assert response.status_code == 403 and OwnerChange.objects.count() == before


def test_detail_actions_follow_the_predicates(as_user, org):
    free = in_pool(org, "公海里的公司")
    mine = owned(org, "sales1", "我的公司")
    html = as_user("sales1").get(f"/customers/{free.pk}/").content.decode()
    assert "data-zl-claim" in html and 'id="release-dialog"' not in html and 'id="assign-box"' not in html
    assert 'data-zl-pool-info' in html and "在公海中" in html
    html = as_user("sales1").get(f"/customers/{mine.pk}/").content.decode()
    assert 'id="release-dialog"' in html and "data-zl-claim" not in html
    html = as_user("manager1").get(f"/customers/{free.pk}/").content.decode()
    assert 'id="assign-box"' in html


def test_release_from_the_customer_view_and_the_list(as_user, org):
    mine = owned(org, "sales1", "我的公司")
    other = owned(org, "sales1", "另一家公司")
    client = as_user("sales1")
    # no reason: refused with the message, nothing changed
    response = client.post("/customers/release/", {"customer_ids": [mine.pk], "reason": "",
                                                   "next": f"/customers/{mine.pk}/"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.owner == org["sales1"]
    response = client.post("/customers/release/", {"customer_ids": [mine.pk, other.pk], "reason": "没有预算",
                                                   "next": "/customers/"}, follow=True)
    assert "已将 2 个客户放入公海" in response.content.decode()
    assert OwnerChange.objects.filter(kind="release", reason="没有预算").count() == 2
    html = client.get(f"/customers/{mine.pk}/").content.decode()
    assert "没有预算" in html and 'data-zl-kind="release"' in html


def test_list_offers_bulk_release_to_salespeople(as_user, org):
    owned(org, "sales1", "我的公司")
    html = as_user("sales1").get("/customers/").content.decode()
    assert "data-zl-release" in html and 'name="to_user_id"' not in html


def test_pool_page_query_count_is_flat(as_user, org):
    level = DictionaryItem.objects.filter(kind="level").first()
    client = as_user("manager1")

    def run(rows):
        for i in range(rows):
            c = owned(org, "sales1", f"退回的公司{rows}-{i}")
            Customer.objects.filter(pk=c.pk).update(level=level, province_id="44", city_id="4401")
            customer_release(actor=org.actor("sales1"), customer_ids=[c.pk], reason=f"原因{i}")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/customers/pool/")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.get("/customers/pool/")
    few, many = run(3), run(17)
    assert few == many <= 16
    assert as_user("manager1").get("/customers/pool/").content.decode().count("原因") >= 20


def test_workbench_cards(as_user, org):
    import zoneinfo

    zone = zoneinfo.ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2026, 1, 1, 10, tzinfo=zone), tick=False):
        owned(org, "sales1", "快要退回的公司")
        free = in_pool(org, "分给我的公司")
    from zhuli.customers.services import customer_assign

    with time_machine.travel(datetime.datetime(2026, 1, 29, 10, tzinfo=zone), tick=False):
        customer_assign(actor=org.actor("manager1"), customer_ids=[free.pk], owner_id=org["sales1"].pk, reason="重点跟进")
        html = as_user("sales1").get("/").content.decode()
    assert 'id="card-customers.returning"' in html and "快要退回的公司" in html and "3 天后退回" in html
    assert 'id="card-customers.assigned"' in html and "分给我的公司" in html and "重点跟进" in html


def test_pool_settings_page_is_admin_only_and_saves(as_user, org):
    pool_default()
    before = (Pool.objects.count(), PoolRule.objects.count(), CustomerCap.objects.count())
    client = as_user("manager1")
    assert client.get("/customers/pool/settings/").status_code == 403
    assert client.post("/customers/pool/settings/new/", {"name": "偷建的公海"}).status_code == 403
    assert (Pool.objects.count(), PoolRule.objects.count(), CustomerCap.objects.count()) == before
    client = as_user("admin")
    html = client.get("/customers/pool/settings/").content.decode()
    assert "自动回收规则" in html and "客户上限" in html
    response = client.post("/customers/pool/settings/new/", {"name": "二部公海", "warn_days": "5",
                                                             "department_ids": [org.department("销售二部").pk]})
    assert response.status_code == 302
    team2 = Pool.objects.get(name="二部公海")
    assert team2.warn_days == 5 and team2.members.count() == 1
    level = DictionaryItem.objects.filter(kind="level").first()
    client.post(f"/customers/pool/settings/{team2.pk}/rules/", {"no_followup_days": "15", "no_deal_days": ""})
    client.post(f"/customers/pool/settings/{team2.pk}/rules/", {"level_id": level.pk, "mode": "exempt"})
    rules = {r.level_id: (r.no_followup_days, r.no_deal_days) for r in PoolRule.objects.filter(pool=team2)}
    assert rules == {None: (15, None), level.pk: (None, None)}
    client.post(f"/customers/pool/settings/{team2.pk}/rules/", {"level_id": level.pk, "mode": "inherit"})
    assert not PoolRule.objects.filter(pool=team2, level=level).exists()
    response = client.post(f"/customers/pool/settings/{team2.pk}/rules/", {"no_followup_days": "abc"}, follow=True)
    assert "天数应为" in response.content.decode()
    client.post("/customers/pool/settings/caps/", {"role": "sales", "limit": "50"})
    client.post("/customers/pool/settings/caps/", {"user_id": org["sales1"].pk, "limit": "80"})
    assert {(c.role, c.user_id, c.limit) for c in CustomerCap.objects.all()} == {("sales", None, 50),
                                                                                 ("", org["sales1"].pk, 80)}
    response = client.post(f"/customers/pool/settings/{pool_default().pk}/delete/", follow=True)
    assert "默认公海不能删除" in response.content.decode()
    client.post(f"/customers/pool/settings/{team2.pk}/delete/")
    assert not Pool.objects.filter(pk=team2.pk).exists()
