"""/api/v1/opportunities and /api/v1/stages: shapes, filters, actions, refusals, queries."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhuli.api.testing import ApiClient
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, Stage
from zhuli.sales.services import opportunity_create, stages_ensure
from zhuli.tenancy.context import tenant_context


@pytest.fixture
def customer(org):
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "华为技术有限公司"}).customer


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


def make(org, customer, who="sales1", **data):
    return opportunity_create(actor=org.actor(who), data={"customer_id": customer.pk, "title": "ERP", **data})


def test_create_returns_the_detail_shape(org, api, customer, stages):
    r = api("sales1").post("/opportunities", {"customer_id": customer.pk, "title": "云服务", "amount": "12.5",
                                              "close_date": "2026-06-30"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["customer"] == {"id": customer.pk, "name": "华为技术有限公司"}
    assert body["stage"]["name"] == "初步接洽" and body["probability"] == 10
    assert (body["amount"], body["weighted_amount"], body["close_date"], body["status"]) == ("12.50", "1.25",
                                                                                           "2026-06-30", "tracking")
    assert body["owner"] == {"id": org["sales1"].pk, "name": org["sales1"].name}
    assert body["days_in_stage"] == 0
    assert api("sales1").get(f"/opportunities/{body['id']}").json() == body


@pytest.mark.parametrize("field,value", [("amount", -1), ("amount", "1.234"), ("amount", "abc"),
                                         ("close_date", "2026-13-01"), ("probability", 120)])
def test_bad_fields_are_422_naming_the_field(org, api, customer, stages, field, value):
    r = api("sales1").post("/opportunities", {"customer_id": customer.pk, "title": "X", field: value})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not Opportunity.objects.exists()


def test_foreign_stage_and_customer_are_422(org, other_org, api, customer, stages):
    with tenant_context(other_org.tenant):
        stages_ensure()
        foreign_stage = Stage.objects.first().pk
        foreign_customer = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "B"})
    opp = make(org, customer)
    r = api("sales1").post(f"/opportunities/{opp.pk}/move", {"stage_id": foreign_stage})
    assert r.status_code == 422 and r.json()["errors"] == {"stage_id": ["阶段不存在"]}
    r = api("sales1").post("/opportunities", {"customer_id": foreign_customer.customer.pk, "title": "X"})
    assert r.status_code == 422 and "customer_id" in r.json()["errors"]


def test_actions_and_refusals(org, api, customer, stages):
    opp = make(org, customer)
    assert api("sales2").post(f"/opportunities/{opp.pk}/win").status_code == 404
    assert api("finance").post(f"/opportunities/{opp.pk}/win").status_code == 403
    assert api("finance").get(f"/opportunities/{opp.pk}").status_code == 200
    r = api("sales1").post(f"/opportunities/{opp.pk}/lose", {})
    assert r.status_code == 422 and "lost_reason_id" in r.json()["errors"]
    reason = DictionaryItem.objects.filter(kind=DictionaryKind.LOST_REASON).first()
    r = api("sales1").post(f"/opportunities/{opp.pk}/lose", {"lost_reason_id": reason.pk})
    assert r.status_code == 200 and r.json()["status"] == "lost" and r.json()["probability"] == 0
    assert r.json()["lost_reason"] == {"id": reason.pk, "name": reason.name}
    assert api("sales1").post(f"/opportunities/{opp.pk}/win").status_code == 409
    r = api("sales1").post(f"/opportunities/{opp.pk}/move", {"stage_id": stages["方案报价"].pk})
    assert r.json()["status"] == "tracking" and r.json()["probability"] == 60
    r = api("sales1").post(f"/opportunities/{opp.pk}/win")
    assert r.status_code == 200 and r.json()["probability"] == 100
    assert api("sales1").post(f"/opportunities/{opp.pk}/status", {"status": "on_hold"}).status_code == 409
    assert api("sales1").delete(f"/opportunities/{opp.pk}").status_code == 403
    assert api("manager1").delete(f"/opportunities/{opp.pk}").status_code == 204


def test_patch_and_mass_update(org, api, customer, stages):
    a, b = make(org, customer, title="A"), make(org, customer, title="B")
    r = api("sales1").patch(f"/opportunities/{a.pk}", {"probability": 45, "amount": 100})
    assert (r.status_code, r.json()["probability"], r.json()["amount"]) == (200, 45, "100.00")
    assert api("sales1").patch(f"/opportunities/{a.pk}", {"owner_id": org["sales2"].pk}).status_code == 403
    r = api("sales1").post("/opportunities/mass-update", {"ids": [a.pk, b.pk], "stage_id": stages["商务谈判"].pk})
    assert r.status_code == 200 and r.json() == {"updated": 2}
    assert set(Opportunity.objects.values_list("probability", flat=True)) == {80}
    r = api("sales1").post("/opportunities/mass-update", {"ids": [a.pk, 999999], "status": "on_hold"})
    assert r.status_code == 422
    assert set(Opportunity.objects.values_list("status", flat=True)) == {"tracking"}


def test_list_filters_and_owner_param(org, api, customer, stages):
    a = make(org, customer, title="ERP 升级", amount="5000", close_date="2026-03-01")
    b = make(org, customer, who="manager1", title="云服务", amount="200")
    c = customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "同事客户"}).customer
    make(org, c, who="sales2", title="别人的")

    def ids(who="manager1", **params):
        r = api(who).get("/opportunities", **params)
        assert r.status_code == 200, r.content
        return [row["id"] for row in r.json()["items"]]

    assert len(ids()) == 3 and ids("sales1") == [a.pk]
    assert ids(q="huawei") == ids(q="华为")
    assert ids(q="ERP") == [a.pk]
    assert ids(owner="me") == [b.pk]
    assert ids(owner="none") == []
    assert ids(amount_min="1000") == [a.pk]
    assert ids(close_from="2026-01-01", close_to="2026-12-31") == [a.pk]
    assert ids(sort="amount") == sorted(ids(), key=lambda i: Opportunity.objects.get(pk=i).amount)
    assert api("manager1").get("/opportunities", amount_min="x").status_code == 422
    assert api("manager1").get("/opportunities", stale_days=0).json()["count"] == 3


def test_stages_endpoint(org, api, stages):
    body = api("sales1").get("/stages").json()
    assert [s["name"] for s in body["items"]] == ["初步接洽", "需求确认", "方案报价", "商务谈判", "赢单", "输单"]
    assert body["items"][-1]["kind"] == "lost"


def test_list_endpoint_queries_do_not_grow_with_rows(org, api, customer, stages):
    client = api("manager1")
    make(org, customer)
    client.get("/opportunities")  # warm the token/auth caches
    with CaptureQueriesContext(connection) as few:
        client.get("/opportunities")
    for i in range(25):
        make(org, customer, title=f"机会{i}")
    with CaptureQueriesContext(connection) as many:
        r = client.get("/opportunities")
    assert r.json()["count"] == 26
    assert len(many) <= len(few) + 1  # + the count query of a full page
