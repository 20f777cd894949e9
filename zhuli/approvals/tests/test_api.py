"""/api/v1/approvals: the list contract, detail with decisions, approve / reject / withdraw and their refusals."""
from __future__ import annotations

import pytest

from zhuli.api.testing import ApiClient
from zhuli.approvals.services import approval_submit

from .conftest import make_doc, make_rule


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


@pytest.fixture
def pending(org, doc_type):
    make_rule()
    return approval_submit(actor=org.actor("sales1"), doc_type=doc_type, obj=make_doc(org))


def test_list_shapes_and_filters(org, api, pending):
    body = api("manager1").get("/approvals", waiting="true").json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["id"] == pending.pk and row["doc_type"] == "test_doc" and row["doc_type_label"] == "测试合同"
    assert (row["amount"], row["status"], row["steps"], row["current_step"], row["current_role"]) == (
        "150000.00", "pending", ["manager", "boss"], 0, "manager")
    assert row["submitted_by"] == {"id": org["sales1"].pk, "name": org["sales1"].name}
    assert row["can_decide"] is True and row["url"] == f"/contracts/{pending.object_id}/"
    assert row["submitted_at"].endswith("+08:00")
    assert api("sales1").get("/approvals", mine="true").json()["items"][0]["can_decide"] is False
    assert api("sales1").get("/approvals", waiting="true").json() == {"items": [], "count": 0}
    assert api("sales2").get("/approvals").json()["count"] == 0
    assert api("boss").get("/approvals", status="approved").json()["count"] == 0
    assert api("boss").get("/approvals", status="pending").json()["count"] == 1
    assert api("boss").get("/approvals", status="bogus").status_code == 422


def test_list_keeps_its_queries(org, api, doc_type, django_assert_max_num_queries):
    make_rule()
    for _ in range(30):
        approval_submit(actor=org.actor("sales1"), doc_type=doc_type, obj=make_doc(org))
    client = api("boss")
    with django_assert_max_num_queries(8):
        body = client.get("/approvals", page_size=25).json()
    assert len(body["items"]) == 25 and body["count"] == 30


def test_approve_then_reject_with_comments(org, api, pending):
    r = api("manager1").post(f"/approvals/{pending.pk}/approve", {"comment": "同意"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["current_role"]) == ("pending", "boss")
    assert [(d["step"], d["role"], d["decision"], d["comment"]) for d in body["decisions"]] == [
        (0, "部门主管", "approve", "同意")]
    r = api("boss").post(f"/approvals/{pending.pk}/reject", {"comment": "预算不足"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert api("boss").get(f"/approvals/{pending.pk}").json()["decisions"][1]["comment"] == "预算不足"


def test_refusals_are_409(org, api, doc_type, pending):
    own = approval_submit(actor=org.actor("manager1"), doc_type=doc_type, obj=make_doc(org, "manager1"))
    r = api("manager1").post(f"/approvals/{own.pk}/approve")
    assert r.status_code == 409 and r.json()["detail"] == "不能审批自己提交的单据"
    r = api("boss").post(f"/approvals/{pending.pk}/approve")
    assert r.status_code == 409 and "不是当前步骤的审批人" in r.json()["detail"]
    api("manager1").post(f"/approvals/{pending.pk}/approve", {"step": 0})
    r = api("director").post(f"/approvals/{pending.pk}/reject", {"step": 0})
    assert r.status_code == 409 and "已被他人处理" in r.json()["detail"]
    api("boss").post(f"/approvals/{pending.pk}/approve")
    r = api("boss").post(f"/approvals/{pending.pk}/approve")
    assert r.status_code == 409 and "已处理完毕" in r.json()["detail"]


def test_404_and_422(org, other_org, api, pending):
    assert api("sales2").get(f"/approvals/{pending.pk}").status_code == 404
    assert api("sales2").post(f"/approvals/{pending.pk}/approve").status_code == 404
    assert ApiClient(other_org["boss"]).post(f"/approvals/{pending.pk}/approve").status_code == 404
    r = api("manager1").post(f"/approvals/{pending.pk}/approve", {"comment": "x", "owner": 1})
    assert r.status_code == 422
    r = api("manager1").post(f"/approvals/{pending.pk}/approve", {"comment": "长" * 501})
    assert r.status_code == 422 and "comment" in r.json()["errors"]
    assert api("manager1").get("/approvals/99999999999").status_code == 404


def test_withdraw(org, api, pending):
    assert api("manager1").post(f"/approvals/{pending.pk}/withdraw").status_code == 409
    r = api("sales1").post(f"/approvals/{pending.pk}/withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
