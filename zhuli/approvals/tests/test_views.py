"""/approvals/ pages: the lists, deciding from the list, the request page, the rules settings, the workbench card."""
from __future__ import annotations

import pytest
from django.test import Client

from zhuli.approvals.models import ApprovalRequest, ApprovalRule
from zhuli.approvals.services import approval_submit

from .conftest import make_doc, make_rule


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pending(org, doc_type):
    make_rule()
    return approval_submit(actor=org.actor("sales1"), doc_type=doc_type, obj=make_doc(org))


def test_waiting_list_shows_the_request_with_its_buttons(org, pending):
    r = login(org["manager1"]).get("/approvals/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-zl-approval="{pending.pk}"' in html and f'data-zl-decide="{pending.pk}"' in html
    assert pending.object_label in html and "150,000.00" in html and f'href="/contracts/{pending.object_id}/"' in html
    empty = login(org["manager2"]).get("/approvals/").content.decode()
    assert f'data-zl-approval="{pending.pk}"' not in empty and "没有等您审批的单据" in empty


def test_mine_tab_has_no_buttons_for_the_submitter(org, pending):
    html = login(org["sales1"]).get("/approvals/?tab=mine").content.decode()
    assert f'data-zl-approval="{pending.pk}"' in html and "data-zl-decide" not in html
    assert login(org["sales1"]).get("/approvals/?tab=bogus&status=nope&doc_type=x&page=abc").status_code == 200


def test_the_waiting_list_keeps_its_queries(org, doc_type, django_assert_max_num_queries):
    make_rule()
    for _ in range(25):
        approval_submit(actor=org.actor("sales1"), doc_type=doc_type, obj=make_doc(org))
    client = login(org["manager1"])
    client.get("/approvals/")  # warm the session and the actor's caches like a signed-in user
    with django_assert_max_num_queries(10):
        r = client.get("/approvals/")
    assert r.content.decode().count("data-zl-decide=") == 20
    with django_assert_max_num_queries(10):
        assert client.get("/approvals/?tab=all&page=2").status_code == 200


def test_approve_and_reject_from_the_list(org, pending):
    r = login(org["manager1"]).post(f"/approvals/{pending.pk}/decide/", {
        "decision": "approve", "comment": "可以", "step": "0", "next": "/approvals/"})
    assert r.status_code == 302 and r["Location"] == "/approvals/"
    pending.refresh_from_db()
    assert pending.current_role == "boss"
    # A stale page (step 0 again) is told so, nothing changes.
    r = login(org["director"]).post(f"/approvals/{pending.pk}/decide/", {"decision": "reject", "step": "0"}, follow=True)
    assert "已被他人处理" in r.content.decode()
    login(org["boss"]).post(f"/approvals/{pending.pk}/decide/", {"decision": "reject", "comment": "暂缓"})
    pending.refresh_from_db()
    assert pending.status == "rejected"


def test_own_submission_from_the_web_is_refused_with_a_message(org, doc_type):
    make_rule()
    request = approval_submit(actor=org.actor("manager1"), doc_type=doc_type, obj=make_doc(org, "manager1"))
    r = login(org["manager1"]).post(f"/approvals/{request.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能审批自己提交的单据" in r.content.decode()
    assert ApprovalRequest.objects.get(pk=request.pk).current_step == 0


def test_an_offsite_next_is_ignored(org, pending):
    r = login(org["manager1"]).post(f"/approvals/{pending.pk}/decide/", {"decision": "approve",
                                                                          "next": "https://evil.example/"})
    assert r["Location"] == "/approvals/"


def test_request_page_and_404s(org, other_org, pending):
    r = login(org["sales1"]).get(f"/approvals/{pending.pk}/")
    assert r.status_code == 200 and "data-zl-approvals" in r.content.decode() and "撤回" in r.content.decode()
    assert "data-zl-decide" in login(org["manager1"]).get(f"/approvals/{pending.pk}/").content.decode()
    assert login(org["sales2"]).get(f"/approvals/{pending.pk}/").status_code == 404
    assert login(other_org["boss"]).get(f"/approvals/{pending.pk}/").status_code == 404
    assert login(org["sales2"]).post(f"/approvals/{pending.pk}/decide/", {"decision": "approve"}).status_code == 404
    assert login(org["sales2"]).post(f"/approvals/{pending.pk}/withdraw/").status_code == 404


def test_withdraw_from_the_web(org, pending):
    r = login(org["sales1"]).post(f"/approvals/{pending.pk}/withdraw/", {"next": f"/approvals/{pending.pk}/"})
    assert r.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "withdrawn"


def test_rules_page_is_for_admins(org):
    assert login(org["boss"]).get("/approvals/rules/").status_code == 403
    admin = login(org["admin"])
    assert admin.get("/approvals/rules/").status_code == 200
    r = admin.post("/approvals/rules/", {"action": "create", "doc_type": "order", "name": "大折扣订单",
                                         "min_discount": "30", "steps": ["manager", "", "boss"], "order": "5"})
    assert r.status_code == 302
    rule = ApprovalRule.objects.get(name="大折扣订单")
    assert rule.steps == ["manager", "boss"] and str(rule.min_discount) == "30.00"
    r = admin.post("/approvals/rules/", {"action": "create", "doc_type": "order", "name": "坏规则",
                                         "min_discount": "130", "steps": []})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-zl-error="min_discount"' in html and 'data-zl-error="steps"' in html
    assert 'value="坏规则"' in html  # what was typed stays
    admin.post("/approvals/rules/", {"action": "deactivate", "rule_id": rule.pk})
    assert not ApprovalRule.objects.get(pk=rule.pk).is_active
    admin.post("/approvals/rules/", {"action": "update", "rule_id": rule.pk, "doc_type": "order", "name": "改名",
                                     "min_discount": "25", "steps": ["boss"], "order": "1"})
    assert ApprovalRule.objects.get(pk=rule.pk).name == "改名"
    admin.post("/approvals/rules/", {"action": "delete", "rule_id": rule.pk})
    assert not ApprovalRule.objects.filter(pk=rule.pk).exists()


def test_workbench_card_for_approvers(org, pending):
    html = login(org["manager1"]).get("/").content.decode()
    assert 'id="card-approvals.waiting"' in html and 'data-zl-waiting-count="1"' in html
    assert pending.object_label in html
    assert 'id="card-approvals.waiting"' not in login(org["sales1"]).get("/").content.decode()
    assert 'data-zl-waiting-count="0"' in login(org["boss"]).get("/").content.decode()


def test_menu_has_the_approvals_entry(org):
    assert 'href="/approvals/"' in login(org["sales1"]).get("/approvals/?tab=mine").content.decode()
