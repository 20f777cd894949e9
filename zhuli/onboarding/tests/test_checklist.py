"""Getting-started checklist: ticks from real state, manual ticks, the workbench card and its queries, the API."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhuli.accounts.services import user_create
from zhuli.api.testing import ApiClient
from zhuli.core.errors import Forbidden, InvalidInput
from zhuli.customers.services import customer_create
from zhuli.onboarding.selectors import checklist
from zhuli.onboarding.services import (
    checklist_dismiss,
    checklist_tick,
    document_create,
    document_publish,
    setup_step_save,
)

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def done(actor) -> dict[str, bool]:
    return {i.key: i.done for i in checklist(actor=actor).items}


def test_a_new_company_starts_with_nothing_done(new_company):
    assert done(new_company.actor()) == {"setup": False, "logo": False, "users": False, "training": False,
                                         "norms": False, "policies": False, "data": False}


def test_items_tick_from_real_state(new_company):
    actor = new_company.actor()
    user_create(actor=actor, data={"name": "小王", "email": "wang@new-co.test", "password": "Zhuli-Passw0rd-9"})
    customer_create(actor=actor, data={"kind": "enterprise", "name": "第一个客户有限公司"})
    norm = document_create(actor=actor, data={"kind": "norm", "title": "规范", "body": "每次拜访当天记录跟进"})
    assert done(actor)["norms"] is False  # a draft is not a norm everyone follows yet
    document_publish(actor=actor, document_id=norm.pk)
    actor.tenant.logo = "logos/x.png"  # what tenant_logo_set leaves behind
    for step in ("customers", "agreements", "tracking", "inventory", "company", "users"):
        setup_step_save(actor=actor, step=step, data={"customer_kinds": "both", "agreements": "both",
                                                      "tracking_style": "both", "inventory": False, "name": "新开公司"})
    state = done(actor)
    assert state == {"setup": True, "logo": True, "users": True, "training": False, "norms": True,
                     "policies": False, "data": True}


def test_training_and_policies_are_ticked_by_hand(new_company):
    actor = new_company.actor()
    checklist_tick(actor=actor, item="training", done=True)
    checklist_tick(actor=actor, item="policies", done=True)
    assert done(actor)["training"] and done(actor)["policies"]
    checklist_tick(actor=actor, item="training", done=False)
    assert not done(actor)["training"]
    with pytest.raises(InvalidInput):
        checklist_tick(actor=actor, item="logo", done=True)


def test_a_published_policy_ticks_policies(new_company):
    actor = new_company.actor()
    doc = document_create(actor=actor, data={"kind": "policy", "title": "考核", "body": "每周 20 条跟进"})
    document_publish(actor=actor, document_id=doc.pk)
    assert done(actor)["policies"] is True


def test_the_page_lists_the_steps_and_the_import_templates(new_company):
    client = logged_in(new_company.boss)
    html = client.get("/getting-started/").content.decode()
    for title in ("完成初始设置", "上传公司标志", "创建用户", "培训同事", "制定操作规范", "配套制度", "准备数据"):
        assert title in html
    assert "/imports/template/customers/" in html and "客户导入模板" in html
    assert "/help/" in html
    response = client.post("/getting-started/training/tick/", {"done": "1"})
    assert response.status_code == 302
    assert 'data-zl-item="training" data-done="1"' in client.get("/getting-started/").content.decode()
    assert client.post("/getting-started/logo/tick/", {"done": "1"}).status_code == 404


def test_only_the_boss_and_admins_use_the_checklist(org):
    assert logged_in(org["boss"]).get("/getting-started/").status_code == 200
    assert logged_in(org["admin"]).get("/getting-started/").status_code == 200
    sales = logged_in(org["sales1"])
    assert sales.get("/getting-started/").status_code == 403
    assert sales.post("/getting-started/training/tick/", {"done": "1"}).status_code == 403
    assert sales.post("/getting-started/dismiss/").status_code == 403
    with pytest.raises(Forbidden):
        checklist_tick(actor=org.actor("sales1"), item="training", done=True)


def test_the_workbench_card_shows_until_dismissed(new_company):
    from zhuli.onboarding.services import setup_skip

    actor = new_company.actor()
    setup_skip(actor=actor)
    client = logged_in(new_company.boss)
    html = client.get("/").content.decode()
    assert 'id="card-onboarding.checklist"' in html and "已完成 0 / 7 步" in html
    assert client.post("/getting-started/dismiss/")["Location"] == "/"
    assert 'id="card-onboarding.checklist"' not in client.get("/").content.decode()
    assert new_company.refresh().feature("checklist_open") is False


def test_the_card_hides_when_everything_is_done(new_company):
    from zhuli.onboarding.services import setup_skip

    actor = new_company.actor()
    setup_skip(actor=actor)
    client = logged_in(new_company.boss)
    assert 'id="card-onboarding.checklist"' in client.get("/").content.decode()
    from zhuli.onboarding import selectors

    original = selectors.Checklist.all_done
    selectors.Checklist.all_done = property(lambda self: True)
    try:
        assert 'id="card-onboarding.checklist"' not in client.get("/").content.decode()
    finally:
        selectors.Checklist.all_done = original


def test_the_card_is_for_the_boss_and_admins_only(new_company):
    from zhuli.onboarding.services import setup_skip

    setup_skip(actor=new_company.actor())
    sales = user_create(actor=new_company.actor(), data={"name": "小王", "email": "wang@new-co.test",
                                                          "password": "Zhuli-Passw0rd-9", "role": "sales"})
    assert 'id="card-onboarding.checklist"' not in logged_in(sales).get("/").content.decode()


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_card_costs_four_queries_and_nothing_once_closed(new_company):
    from zhuli.onboarding.services import setup_skip

    actor = new_company.actor()
    setup_skip(actor=actor)
    client = logged_in(new_company.boss)
    with_card = _count(client, "/")
    checklist_dismiss(actor=actor)
    without = _count(client, "/")
    # The state row, active users, any customer, published documents; 0 when the flag is off.
    assert with_card - without == 4


def test_the_api_reports_the_checklist(new_company):
    api = ApiClient(new_company.boss)
    body = api.get("/onboarding").json()
    assert body["setup"]["status"] == "pending" and body["setup"]["step"] == "customers"
    assert body["features"] == {"customer_kinds": "both", "agreements": "both", "tracking_style": "both",
                                "inventory": False}
    assert body["total"] == 7 and body["done_count"] == 0 and body["dismissed"] is False
    assert [i["key"] for i in body["items"]] == ["setup", "logo", "users", "training", "norms", "policies", "data"]
    checklist_tick(actor=new_company.actor(), item="training", done=True)
    assert api.get("/onboarding").json()["done_count"] == 1


def test_the_api_refuses_salespeople(org):
    assert ApiClient(org["sales1"]).get("/onboarding").status_code == 403
    assert ApiClient(org["boss"]).get("/onboarding").json()["setup"]["status"] == "pending"


def test_every_listed_import_template_downloads(new_company):
    from zhuli.onboarding.selectors import import_templates

    templates = import_templates(actor=new_company.actor())
    assert "customers" in [t["key"] for t in templates]
    client = logged_in(new_company.boss)
    for t in templates:
        response = client.get(t["template_url"])
        assert response.status_code == 200 and response["Content-Type"].startswith(
            "application/vnd.openxmlformats"), t["key"]
