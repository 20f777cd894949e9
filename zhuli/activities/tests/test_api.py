"""/api/v1/followups and /api/v1/todos: logging, planning, scope, validation, pages, queries."""
import datetime

import pytest
from django.utils import timezone

from zhuli.activities.models import FollowUp, Todo
from zhuli.activities.services import followup_create, todo_create
from zhuli.api.testing import ApiClient
from zhuli.customers.models import Customer
from zhuli.customers.services import contact_create, customer_create
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.unscoped import for_tenant


def make(org, key, name):
    return customer_create(actor=org.actor(key), data={"kind": "enterprise", "name": name}).customer


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


def phone_type():
    return DictionaryItem.objects.get(kind="followup_type", code="phone")


# ---- follow-ups -------------------------------------------------------------------------------------------


def test_log_a_followup_with_a_next_step(org, api):
    customer = make(org, "sales1", "甲公司")
    contact = contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": "李经理"})
    response = api("sales1").post("/followups", {
        "customer_id": customer.pk, "content": "电话沟通报价", "type_id": phone_type().pk, "contact_id": contact.pk,
        "occurred_at": "2024-05-01T10:30:00+08:00", "next_at": "2030-01-02", "next_action": "发送合同",
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer"] == {"id": customer.pk, "name": "甲公司"}
    assert body["contact"] == {"id": contact.pk, "name": "李经理"}
    assert body["type"] == {"id": phone_type().pk, "name": "电话"}
    assert body["owner"] == {"id": org["sales1"].pk, "name": "王小明"}
    assert body["occurred_at"] == "2024-05-01T10:30:00+08:00"
    assert api("sales1").get(f"/followups/{body['id']}").json() == body
    todo = Todo.objects.get()
    assert todo.content == "发送合同"
    assert timezone.localtime(todo.due_at).isoformat() == "2030-01-02T09:00:00+08:00"  # a day alone means 9:00
    detail = api("sales1").get(f"/customers/{customer.pk}").json()
    assert detail["next_followup_at"] == "2030-01-02T09:00:00+08:00"
    assert detail["last_followup_at"] == "2024-05-01T10:30:00+08:00"


def test_occurred_at_defaults_to_now(org, api):
    customer = make(org, "sales1", "甲公司")
    before = timezone.now()
    body = api("sales1").post("/followups", {"customer_id": customer.pk, "content": "拜访"}).json()
    assert datetime.datetime.fromisoformat(body["occurred_at"]) >= before - datetime.timedelta(seconds=1)
    assert body["type"] is None and body["contact"] is None


MINE = object()


@pytest.mark.parametrize("payload, field", [
    ({"content": "x"}, "customer_id"),
    ({"customer_id": None, "content": "x"}, "customer_id"),
    ({"customer_id": MINE, "content": ""}, "content"),
    ({"customer_id": MINE}, "content"),
    ({"customer_id": MINE, "content": "x", "occurred_at": "yesterday"}, "occurred_at"),
    ({"customer_id": MINE, "content": "x", "occurred_at": "2999-01-01T00:00:00"}, "occurred_at"),
    ({"customer_id": MINE, "content": "x", "next_at": "2024-02-30"}, "next_at"),
    ({"customer_id": MINE, "content": "x", "occurred_at": "2024-05-02", "next_at": "2024-05-01"}, "next_at"),
    ({"customer_id": MINE, "content": "x", "type_id": "phone"}, "type_id"),
    ({"customer_id": MINE, "content": "x", "type_id": 10**12}, "type_id"),
    ({"customer_id": MINE, "content": "x", "contact_id": 10**12}, "contact_id"),
])
def test_followup_validation_names_the_field(org, api, payload, field):
    customer = make(org, "sales1", "甲公司")
    body = {k: customer.pk if v is MINE else v for k, v in payload.items()}
    response = api("sales1").post("/followups", body)
    assert response.status_code == 422, response.json()
    assert field in response.json()["errors"]
    assert not FollowUp.objects.exists()


def test_foreign_ids_in_the_payload_never_succeed(org, other_org, api):
    mine = make(org, "sales1", "甲公司")
    theirs = make(org, "sales4", "乙公司")
    their_contact = contact_create(actor=org.actor("sales4"), customer_id=theirs.pk, data={"name": "王五"})
    with tenant_context(other_org.tenant):
        foreign = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "外"}).customer
    foreign_type = for_tenant(DictionaryItem, other_org.tenant).get(kind="followup_type", code="phone")
    client = api("sales1")
    for customer_id in (theirs.pk, foreign.pk):
        response = client.post("/followups", {"customer_id": customer_id, "content": "x"})
        assert response.status_code == 422 and "customer_id" in response.json()["errors"]
    wrong_type = client.post("/followups", {"customer_id": mine.pk, "content": "x", "type_id": foreign_type.pk})
    assert wrong_type.status_code == 422 and "type_id" in wrong_type.json()["errors"]
    source = DictionaryItem.objects.filter(kind="source").first()
    not_a_followup_type = client.post("/followups", {"customer_id": mine.pk, "content": "x", "type_id": source.pk})
    assert not_a_followup_type.status_code == 422
    other_contact = client.post("/followups", {"customer_id": mine.pk, "content": "x", "contact_id": their_contact.pk})
    assert other_contact.status_code == 422 and "contact_id" in other_contact.json()["errors"]
    assert not FollowUp.objects.exists()


def test_followups_outside_scope_are_404(org, other_org, api):
    theirs = followup_create(actor=org.actor("sales4"), customer_id=make(org, "sales4", "乙公司").pk,
                             data={"content": "杨静的跟进"})
    with tenant_context(other_org.tenant):
        foreign_customer = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "外"})
        foreign = followup_create(actor=other_org.actor("sales1"), customer_id=foreign_customer.customer.pk,
                                  data={"content": "外面的"})
    client = api("sales1")
    for followup in (theirs, foreign):
        assert client.get(f"/followups/{followup.pk}").status_code == 404
        assert client.patch(f"/followups/{followup.pk}", {"content": "改"}).status_code == 404
        assert client.delete(f"/followups/{followup.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.content == "杨静的跟进"


def test_edit_and_delete_own_followups_only(org, api):
    customer = make(org, "sales1", "甲公司")
    mine = followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "我的"})
    by_manager = followup_create(actor=org.actor("manager1"), customer_id=customer.pk, data={"content": "经理的"})
    client = api("sales1")
    patched = client.patch(f"/followups/{mine.pk}", {"content": "改过", "type_id": phone_type().pk})
    assert patched.status_code == 200
    assert patched.json()["content"] == "改过" and patched.json()["type"]["name"] == "电话"
    assert client.patch(f"/followups/{mine.pk}", {"content": ""}).status_code == 422
    assert client.patch(f"/followups/{by_manager.pk}", {"content": "改经理的"}).status_code == 403
    assert client.delete(f"/followups/{by_manager.pk}").status_code == 403
    assert FollowUp.objects.filter(pk=by_manager.pk, content="经理的").exists()
    assert client.delete(f"/followups/{mine.pk}").status_code == 204
    assert not FollowUp.objects.filter(pk=mine.pk).exists()
    assert api("manager1").patch(f"/followups/{by_manager.pk}", {"content": "经理改"}).status_code == 200


def test_roles_without_the_action_get_403(org, api):
    customer = make(org, "sales1", "甲公司")
    followup = followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "x"})
    assert api("finance").post("/followups", {"customer_id": customer.pk, "content": "财务"}).status_code == 403
    assert api("finance").get(f"/followups/{followup.pk}").status_code == 200
    assert api("service").delete(f"/followups/{followup.pk}").status_code == 403
    assert api("service").post("/followups", {"customer_id": customer.pk, "content": "客服回访"}).status_code == 201


def test_followup_list_filters_and_sort(org, api):
    a, b = make(org, "sales1", "甲公司"), make(org, "sales2", "乙公司")
    tz = timezone.get_current_timezone()
    old = followup_create(actor=org.actor("sales1"), customer_id=a.pk,
                          data={"content": "五月", "occurred_at": datetime.datetime(2024, 5, 1, 23, 30, tzinfo=tz)})
    new = followup_create(actor=org.actor("sales2"), customer_id=b.pk,
                          data={"content": "六月", "occurred_at": datetime.datetime(2024, 6, 1, 8, 0, tzinfo=tz)})
    manager = api("manager1")
    rows = manager.get("/followups").json()
    assert rows["count"] == 2 and [r["id"] for r in rows["items"]] == [new.pk, old.pk]
    assert set(rows["items"][0]) == {"id", "customer", "contact", "opportunity", "type", "occurred_at", "content",
                                     "owner", "created_at", "updated_at"}
    assert [r["id"] for r in manager.get("/followups", sort="occurred_at").json()["items"]] == [old.pk, new.pk]
    assert [r["id"] for r in manager.get("/followups", customer=a.pk).json()["items"]] == [old.pk]
    assert [r["id"] for r in manager.get("/followups", owner=org["sales2"].pk).json()["items"]] == [new.pk]
    assert [r["id"] for r in api("sales1").get("/followups", owner="me").json()["items"]] == [old.pk]
    # Dates are the tenant's days: 23:30 on 1 May in Shanghai is 1 May, whatever UTC says.
    assert [r["id"] for r in manager.get("/followups", date_from="2024-05-01", date_to="2024-05-01").json()["items"]
            ] == [old.pk]
    assert [r["id"] for r in manager.get("/followups", date_from="2024-05-02").json()["items"]] == [new.pk]
    bad = manager.get("/followups", date_from="May", owner="x")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"date_from", "owner"}
    assert api("sales1").get("/followups").json()["count"] == 1


@pytest.mark.parametrize("rows", [2, 30])
def test_followup_list_queries_do_not_grow(org, api, rows, django_assert_max_num_queries):
    customer = make(org, "sales1", "甲公司")
    contact = contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": "李"})
    for i in range(rows):
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                        data={"content": f"第{i}次", "type_id": phone_type().pk, "contact_id": contact.pk})
    client = api("manager1")
    client.get("/me")
    with django_assert_max_num_queries(6):
        response = client.get("/followups", page_size=200)
    assert response.json()["count"] == rows


def test_pages_of_followups_never_repeat(org, api):
    customer = make(org, "sales1", "甲公司")
    same_time = timezone.now() - datetime.timedelta(hours=1)
    for i in range(15):
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                        data={"content": f"{i}", "occurred_at": same_time})
    seen = []
    for page in (1, 2, 3, 4):
        seen += [r["id"] for r in api("sales1").get("/followups", page=page, page_size=4).json()["items"]]
    assert len(seen) == len(set(seen)) == 15


# ---- todos ---------------------------------------------------------------------------------------------------


def test_todo_lifecycle(org, api):
    customer = make(org, "sales1", "甲公司")
    client = api("sales1")
    created = client.post("/todos", {"customer_id": customer.pk, "due_at": "2030-03-01T15:00:00+08:00",
                                     "content": "回访"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["is_open"] is True and body["done_at"] is None and body["due_at"] == "2030-03-01T15:00:00+08:00"
    assert body["owner"] == {"id": org["sales1"].pk, "name": "王小明"}
    assert Customer.objects.get(pk=customer.pk).next_followup_at is not None
    listed = client.get("/todos").json()
    assert listed["count"] == 1 and listed["items"][0] == body
    done = client.post(f"/todos/{body['id']}/complete")
    assert done.status_code == 200 and done.json()["is_open"] is False and done.json()["done_at"]
    assert client.get("/todos").json()["count"] == 0
    assert client.get("/todos", open="false").json()["count"] == 1
    assert Customer.objects.get(pk=customer.pk).next_followup_at is None
    assert client.get(f"/todos/{body['id']}").status_code == 200
    assert client.delete(f"/todos/{body['id']}").status_code == 204
    assert client.get(f"/todos/{body['id']}").status_code == 404


def test_followup_completes_a_planned_todo(org, api):
    customer = make(org, "sales1", "甲公司")
    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=timezone.now())
    response = api("sales1").post("/followups", {"customer_id": customer.pk, "content": "按计划回访",
                                                 "todo_id": todo.pk})
    assert response.status_code == 201
    todo.refresh_from_db()
    assert todo.done_at is not None


def test_todo_validation_and_scope(org, other_org, api):
    mine = make(org, "sales1", "甲公司")
    theirs = make(org, "sales4", "乙公司")
    their_todo = todo_create(actor=org.actor("sales4"), customer_id=theirs.pk, due_at=timezone.now())
    client = api("sales1")
    missing = client.post("/todos", {"customer_id": mine.pk})
    assert missing.status_code == 422 and "due_at" in missing.json()["errors"]
    bad = client.post("/todos", {"customer_id": mine.pk, "due_at": "someday", "content": 5})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"due_at", "content"}
    hidden = client.post("/todos", {"customer_id": theirs.pk, "due_at": "2030-01-01"})
    assert hidden.status_code == 422 and "customer_id" in hidden.json()["errors"]
    assert client.get(f"/todos/{their_todo.pk}").status_code == 404
    assert client.post(f"/todos/{their_todo.pk}/complete").status_code == 404
    assert client.delete(f"/todos/{their_todo.pk}").status_code == 404
    their_todo.refresh_from_db()
    assert their_todo.done_at is None
    assert api("finance").post("/todos", {"customer_id": mine.pk, "due_at": "2030-01-01"}).status_code == 403


def test_todo_list_filters(org, api):
    a, b = make(org, "sales1", "甲公司"), make(org, "sales2", "乙公司")
    ta = todo_create(actor=org.actor("sales1"), customer_id=a.pk, due_at=timezone.now() + datetime.timedelta(days=2))
    tb = todo_create(actor=org.actor("sales2"), customer_id=b.pk, due_at=timezone.now() + datetime.timedelta(days=1))
    manager = api("manager1")
    assert [r["id"] for r in manager.get("/todos").json()["items"]] == [tb.pk, ta.pk]  # earliest first
    assert [r["id"] for r in manager.get("/todos", owner=org["sales1"].pk).json()["items"]] == [ta.pk]
    assert [r["id"] for r in manager.get("/todos", customer=b.pk).json()["items"]] == [tb.pk]
    assert [r["id"] for r in api("sales2").get("/todos", owner="me").json()["items"]] == [tb.pk]
    assert manager.get("/todos", open="maybe").status_code == 422


@pytest.mark.parametrize("rows", [2, 30])
def test_todo_list_queries_do_not_grow(org, api, rows, django_assert_max_num_queries):
    customer = make(org, "sales1", "甲公司")
    for i in range(rows):
        todo_create(actor=org.actor("sales1"), customer_id=customer.pk,
                    due_at=timezone.now() + datetime.timedelta(hours=i))
    client = api("manager1")
    client.get("/me")
    with django_assert_max_num_queries(6):
        assert client.get("/todos", page_size=200).json()["count"] == rows


def test_followup_against_an_opportunity(org, api):
    from zhuli.sales.models import Opportunity
    from zhuli.sales.services import opportunity_create

    a, other = make(org, "sales1", "甲公司"), make(org, "sales1", "乙公司")
    opp = opportunity_create(actor=org.actor("sales1"), data={"customer_id": a.pk, "title": "ERP"})
    client = api("sales1")
    r = client.post("/followups", {"customer_id": other.pk, "content": "x", "opportunity_id": opp.pk})
    assert r.status_code == 422 and "不属于该客户" in r.json()["errors"]["opportunity_id"][0]
    r = client.post("/followups", {"customer_id": a.pk, "content": "聊了报价", "opportunity_id": opp.pk})
    assert r.status_code == 201 and r.json()["opportunity"] == {"id": opp.pk, "name": "ERP"}
    assert Opportunity.objects.get(pk=opp.pk).last_followup_at is not None
    assert [row["id"] for row in client.get("/followups", opportunity=opp.pk).json()["items"]] == [r.json()["id"]]
    # Moving it off the opportunity clears the opportunity's last follow-up.
    client.patch(f"/followups/{r.json()['id']}", {"opportunity_id": None})
    assert Opportunity.objects.get(pk=opp.pk).last_followup_at is None
