"""The opportunity screens: list (filters, query count), create from the list and from a customer, the
opportunity page (stage bar, days in stage, actions, history, follow-ups), the customer section and stages
settings."""
from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhuli.activities.models import FollowUp
from zhuli.activities.services import followup_create
from zhuli.core.errors import InvalidInput
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, Stage
from zhuli.sales.services import opportunity_create

HOSTILE = "<img src=x onerror=alert(1)>机会"


@pytest.fixture
def customer(org):
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "阿里巴巴有限公司"}).customer


@pytest.fixture
def as_user(client, org):
    def login(key):
        client.force_login(org[key])
        return client
    return login


def make(org, customer, who="sales1", **data):
    return opportunity_create(actor=org.actor(who), data={"customer_id": customer.pk, "title": "ERP", **data})


def titles(html: str) -> list[str]:
    return re.findall(r'href="/opportunities/\d+/">([^<]+)</a>', html)


def test_list_filters_and_escaping(as_user, org, customer, stages):
    make(org, customer, title=HOSTILE, amount="5000")
    make(org, customer, title="云服务", amount="100", close_date="2026-05-01")
    client = as_user("sales1")
    html = client.get("/opportunities/").content.decode()
    assert "<img src=x" not in html and "&lt;img" in html
    assert titles(client.get("/opportunities/", {"q": "alibaba"}).content.decode()).__len__() == 2
    assert titles(client.get("/opportunities/", {"amount_min": "1000"}).content.decode()) == [
        "&lt;img src=x onerror=alert(1)&gt;机会"]
    assert titles(client.get("/opportunities/", {"close_to": "2026-06-01"}).content.decode()) == ["云服务"]
    assert client.get("/opportunities/", {"amount_min": "abc", "close_from": "2026-13-01"}).status_code == 200
    assert titles(as_user("sales2").get("/opportunities/").content.decode()) == []


def test_list_page_query_count_does_not_grow(as_user, org, customer, stages):
    client = as_user("manager1")
    make(org, customer)
    client.get("/opportunities/")
    with CaptureQueriesContext(connection) as few:
        client.get("/opportunities/")
    for i in range(30):
        make(org, customer, title=f"机会{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/opportunities/")
    assert response.status_code == 200 and len(titles(response.content.decode())) == 20
    assert len(many) == len(few)
    assert len(many) <= 15


def test_create_from_customer_page_presets_customer(as_user, org, customer, stages):
    client = as_user("sales1")
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/opportunities/new/?customer={customer.pk}" in detail
    form = client.get(f"/opportunities/new/?customer={customer.pk}").content.decode()
    assert f'<option value="{customer.pk}" selected>' in form
    r = client.post(f"/opportunities/new/?customer={customer.pk}", {
        "customer_id": customer.pk, "title": "新项目", "stage_id": stages["需求确认"].pk, "amount": "1.234"})
    assert r.status_code == 200 and "金额最多两位小数" in r.content.decode()
    assert not Opportunity.objects.exists()
    r = client.post("/opportunities/new/", {"customer_id": customer.pk, "title": "新项目",
                                            "stage_id": stages["需求确认"].pk, "amount": "1200.50",
                                            "close_date": "2026-07-01"})
    opp = Opportunity.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/opportunities/{opp.pk}/"
    assert (opp.probability, opp.amount, opp.owner_id) == (30, 1200.50, org["sales1"].pk)
    # The customer view's section lists it.
    assert "新项目" in client.get(f"/customers/{customer.pk}/").content.decode()


def test_edit_keeps_hand_set_probability_unless_stage_changes(as_user, org, customer, stages):
    opp = make(org, customer)
    client = as_user("sales1")
    base = {"title": "ERP", "stage_id": opp.stage_id, "probability": "10", "amount": "0.00"}
    client.post(f"/opportunities/{opp.pk}/edit/", {**base, "probability": "25"})
    opp.refresh_from_db()
    assert opp.probability == 25
    client.post(f"/opportunities/{opp.pk}/edit/", {**base, "probability": "25", "stage_id": stages["方案报价"].pk})
    opp.refresh_from_db()
    assert (opp.stage_id, opp.probability) == (stages["方案报价"].pk, 60)


def test_detail_page_header_actions_history_and_followups(as_user, org, customer, stages):
    opp = make(org, customer, amount="10000")
    Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=12))
    client = as_user("sales1")
    html = client.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "已停留 12 天" in html and "10%" in html and "10,000.00" in html
    assert "加权 ¥1,000.00" in html
    assert "赢单" in html and "lose-dialog" in html and "阶段历史" in html
    r = client.post(f"/opportunities/{opp.pk}/move/", {"stage_id": stages["商务谈判"].pk, "note": "谈价格"})
    assert r.status_code == 302
    html = client.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "初步接洽 → 商务谈判" in html and "谈价格" in html and "在上一阶段 12 天" in html
    # 输单 without a reason is refused with a message, nothing changes.
    client.post(f"/opportunities/{opp.pk}/lose/", {})
    opp.refresh_from_db()
    assert opp.status == "tracking"
    reason = DictionaryItem.objects.filter(kind=DictionaryKind.LOST_REASON).first()
    client.post(f"/opportunities/{opp.pk}/lose/", {"lost_reason_id": reason.pk})
    opp.refresh_from_db()
    assert (opp.status, opp.probability) == ("lost", 0)
    # Follow-up quick-add on the opportunity page.
    r = client.post(f"/followups/opportunity/{opp.pk}/add/", {"ofu-content": "客户说预算砍了"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "客户说预算砍了" in r.content.decode()
    followup = FollowUp.objects.get()
    assert (followup.customer_id, followup.opportunity_id) == (customer.pk, opp.pk)
    opp.refresh_from_db()
    assert opp.last_followup_at == followup.occurred_at
    # …and on the customer's timeline with its tag.
    assert "机会：ERP" in client.get(f"/customers/{customer.pk}/").content.decode()


def test_others_get_404_and_finance_no_actions(as_user, org, customer, stages):
    opp = make(org, customer)
    assert as_user("sales2").get(f"/opportunities/{opp.pk}/").status_code == 404
    assert as_user("sales2").post(f"/opportunities/{opp.pk}/win/").status_code == 404
    finance = as_user("finance")
    html = finance.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "opportunity-actions" not in html
    assert finance.post(f"/opportunities/{opp.pk}/win/").status_code == 403
    opp.refresh_from_db()
    assert opp.status == "tracking"


def test_followup_opportunity_must_be_same_customer(org, customer, stages):
    other = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "另一家"}).customer
    opp = make(org, other)
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                        data={"content": "x", "opportunity_id": opp.pk})
    assert "不属于该客户" in exc.value.errors["opportunity_id"][0] and not FollowUp.objects.exists()
    colleague = customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "同事"}).customer
    hidden = make(org, colleague, who="sales2")
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                        data={"content": "x", "opportunity_id": hidden.pk})
    assert "opportunity_id" in exc.value.errors


def test_stages_settings_page(as_user, org, customer, stages):
    assert as_user("boss").get("/opportunities/stages/").status_code == 403
    client = as_user("admin")
    html = client.get("/opportunities/stages/").content.decode()
    assert "已有机会的赢率不会被改写" in html
    client.post("/opportunities/stages/", {"action": "create", "name": "试用", "probability": "45"})
    assert Stage.objects.filter(name="试用", probability=45).exists()
    make(org, customer)
    r = client.post("/opportunities/stages/", {"action": "delete", "stage_id": stages["初步接洽"].pk}, follow=True)
    assert "不能删除" in r.content.decode() and Stage.objects.filter(pk=stages["初步接洽"].pk).exists()
    client.post("/opportunities/stages/", {"action": "update", "stage_id": stages["初步接洽"].pk, "name": "接洽",
                                           "probability": "15"})
    assert Stage.objects.get(pk=stages["初步接洽"].pk).name == "接洽"
    assert Opportunity.objects.get().probability == 10


def test_settings_lists_the_stages_page_and_the_menu_has_opportunities(as_user, org, stages):
    assert "/opportunities/stages/" in as_user("admin").get("/settings/").content.decode()
    html = as_user("sales1").get("/").content.decode()
    assert 'href="/opportunities/"' in html
    assert 'href="/opportunities/"' not in as_user("keeper").get("/").content.decode()


def test_pool_customer_page_offers_no_new_opportunity_and_form_refuses(as_user, org, customer, stages):
    from zhuli.customers.services import customer_release

    customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="不跟了")
    client = as_user("boss")
    detail = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/opportunities/new/?customer={customer.pk}" not in detail
    r = client.post("/opportunities/new/", {"customer_id": customer.pk, "title": "新项目",
                                            "stage_id": stages["需求确认"].pk, "amount": "100"})
    assert r.status_code == 200 and "请先领取该客户，再创建销售机会" in r.content.decode()
    assert not Opportunity.objects.exists()


def test_the_new_opportunity_form_lists_no_pool_customers(as_user, org, customer, stages):
    from zhuli.customers.services import customer_release
    from zhuli.customers.tests.factories import CustomerFactory

    kept = CustomerFactory(owner=org["sales1"], name="还在跟的客户")
    customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="不跟了")
    html = as_user("sales1").get("/opportunities/new/").content.decode()
    assert f'<option value="{kept.pk}">{kept.name}</option>' in html and customer.name not in html
