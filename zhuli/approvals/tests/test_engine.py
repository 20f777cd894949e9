"""The approval engine: rules, steps, who may decide, callbacks, skipping, races, visibility."""
from __future__ import annotations

from decimal import Decimal

import pytest

from zhuli.access.actor import Actor
from zhuli.approvals import selectors
from zhuli.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalRule
from zhuli.approvals.services import (
    approval_decide,
    approval_rule_create,
    approval_rule_update,
    approval_rules_install_defaults,
    approval_submit,
    approval_withdraw,
    rule_matches,
)
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.deals.models import Agreement
from zhuli.tenancy.context import tenant_context

from .conftest import make_doc, make_rule


def submit(org, doc, who="sales1", doc_type="test_doc"):
    return approval_submit(actor=org.actor(who), doc_type=doc_type, obj=doc)


def decide(org, request, who, decision="approve", comment="", step=None):
    return approval_decide(actor=org.fresh_actor(who), request_id=request.pk, decision=decision, comment=comment,
                           step=step)


def test_no_rule_means_approved_at_once(org, doc_type):
    doc = make_doc(org)
    assert submit(org, doc) is None
    assert not ApprovalRequest.objects.exists()


def test_below_the_amount_and_inactive_rules_do_not_match(org, doc_type):
    make_rule(min_amount="100000")
    make_rule(min_amount="0", active=False, order=1)
    assert submit(org, make_doc(org, amount="99999.99")) is None
    assert submit(org, make_doc(org, amount="100000.00")) is not None  # ≥: the threshold itself needs approval


def test_rule_conditions():
    rule = ApprovalRule(min_amount=Decimal("100000"), min_discount=Decimal("20"))
    assert rule_matches(rule, amount=Decimal("100000"), discount=Decimal("20.01"))
    assert not rule_matches(rule, amount=Decimal("100000"), discount=Decimal("20"))  # 折扣超过: strictly more
    assert not rule_matches(rule, amount=Decimal("99999.99"), discount=Decimal("50"))
    assert rule_matches(ApprovalRule(), amount=None, discount=None)  # neither condition: always
    assert rule_matches(ApprovalRule(min_discount=Decimal("20")), amount=Decimal("1"), discount=Decimal("25"))


def test_the_first_matching_rule_by_order_decides_the_steps(org, doc_type):
    make_rule(steps=["boss"], min_amount="500000", order=1)
    make_rule(steps=["manager", "boss"], min_amount="100000", order=2)
    assert submit(org, make_doc(org, amount="600000")).steps == ["boss"]
    assert submit(org, make_doc(org, amount="200000")).steps == ["manager", "boss"]


def test_two_steps_manager_then_boss(org, doc_type, calls):
    make_rule()
    doc = make_doc(org)
    request = submit(org, doc)
    assert (request.status, request.current_step, request.current_role) == ("pending", 0, "manager")
    assert request.amount == Decimal("150000.00") and request.object_label == str(doc)
    waiting = {k: list(selectors.approvals_waiting_for(org.actor(k))) for k in
               ("manager1", "director", "manager2", "boss", "sales2", "finance", "admin")}
    assert waiting["manager1"] == [request] and waiting["director"] == [request]
    assert not any(waiting[k] for k in ("manager2", "boss", "sales2", "finance", "admin"))

    decide(org, request, "manager1", comment="同意，价格合理")
    request.refresh_from_db()
    assert (request.status, request.current_step, request.current_role) == ("pending", 1, "boss")
    assert calls == [] and list(selectors.approvals_waiting_for(org.actor("boss"))) == [request]
    assert not selectors.approvals_waiting_for(org.actor("manager1")).exists()

    decide(org, request, "boss")
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_at is not None and request.current_role == ""
    assert calls == [("approved", doc.pk, org["boss"].pk)]
    assert Agreement.objects.get(pk=doc.pk).status == "active"
    decisions = list(ApprovalDecision.objects.filter(request=request).order_by("step").values_list(
        "step", "approver_id", "decision", "comment"))
    assert decisions == [(0, org["manager1"].pk, "approve", "同意，价格合理"), (1, org["boss"].pk, "approve", "")]
    actions = list(AuditEvent.objects.filter(target_type="approvals.approvalrequest", target_id=request.pk)
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["approval.submit", "approval.approve", "approval.approve"]


def test_reject_returns_the_document_to_draft(org, doc_type, calls):
    make_rule()
    doc = make_doc(org)
    request = submit(org, doc)
    with pytest.raises(InvalidInput) as exc:  # the submitter must learn what to change
        decide(org, request, "manager1", "reject", comment="  ")
    assert "comment" in exc.value.errors and calls == []
    decide(org, request, "manager1", "reject", comment="折扣太大，请重新报价")
    request.refresh_from_db()
    assert request.status == "rejected" and request.current_role == ""
    assert calls == [("rejected", doc.pk, "折扣太大，请重新报价")]
    assert Agreement.objects.get(pk=doc.pk).status == "draft"
    with pytest.raises(Conflict, match="已处理完毕"):
        decide(org, request, "director")


def test_nobody_approves_their_own_submission(org, doc_type, calls):
    make_rule()
    request = submit(org, make_doc(org, "manager1"), who="manager1")
    assert request.current_role == "manager"  # the director is above manager1; manager1 is left out
    with pytest.raises(Conflict, match="不能审批自己提交的单据"):
        decide(org, request, "manager1")
    request.refresh_from_db()
    assert (request.status, request.current_step) == ("pending", 0)
    assert not ApprovalDecision.objects.exists() and calls == []
    assert not selectors.approvals_waiting_for(org.actor("manager1")).exists()
    assert list(selectors.approvals_waiting_for(org.actor("director"))) == [request]


@pytest.mark.parametrize("who", ["boss", "finance", "admin"])
def test_a_visible_but_wrong_approver_is_refused(org, doc_type, who):
    """The boss and finance see every agreement, the admin flag sees the company: none of them is a manager."""
    make_rule()
    request = submit(org, make_doc(org))
    with pytest.raises(Conflict, match="不是当前步骤的审批人"):
        decide(org, request, who)
    assert not ApprovalDecision.objects.exists()


@pytest.mark.parametrize("who", ["manager2", "sales2"])
def test_someone_who_cannot_see_the_request_gets_404(org, doc_type, who):
    make_rule()
    request = submit(org, make_doc(org))
    with pytest.raises(NotFound):
        decide(org, request, who)


def test_another_tenant_gets_404(org, other_org, doc_type):
    make_rule()
    request = submit(org, make_doc(org))
    with tenant_context(other_org.tenant), pytest.raises(NotFound):
        approval_decide(actor=Actor.for_user(other_org["boss"]), request_id=request.pk, decision="approve")


def test_a_step_nobody_can_decide_is_skipped(org, doc_type):
    make_rule(steps=["finance", "boss"])
    org["finance"].is_active = False
    org["finance"].save(update_fields=["is_active"])
    request = submit(org, make_doc(org))
    assert (request.current_step, request.current_role) == (1, "boss")


def test_every_step_skipped_is_approved_at_once_and_kept(org, doc_type, calls):
    """The only boss submitting under a boss-only rule: nobody else could decide."""
    make_rule(steps=["manager", "boss"])
    doc = make_doc(org, "boss")
    assert submit(org, doc, who="boss") is None
    request = ApprovalRequest.objects.get(object_id=doc.pk)
    assert request.status == "approved" and request.decided_at is not None
    assert calls == []  # None tells the caller to put the document in force itself


def test_approving_skips_later_steps_without_approvers(org, doc_type, calls):
    make_rule(steps=["manager", "finance"])
    request = submit(org, make_doc(org))
    org["finance"].is_active = False
    org["finance"].save(update_fields=["is_active"])
    decide(org, request, "manager1")
    request.refresh_from_db()
    assert request.status == "approved" and calls.kinds() == ["approved"]


def test_a_decision_on_a_step_someone_else_moved_on_is_refused(org, doc_type):
    """manager1 and the director both see step 0; the second to press gets a 409, not a second decision."""
    make_rule()
    request = submit(org, make_doc(org))
    decide(org, request, "manager1", step=0)
    with pytest.raises(Conflict, match="已被他人处理"):
        decide(org, request, "director", step=0)
    assert ApprovalDecision.objects.filter(request=request).count() == 1


def test_a_second_submission_while_pending_is_refused(org, doc_type):
    make_rule()
    doc = make_doc(org)
    submit(org, doc)
    with pytest.raises(Conflict, match="正在审批中"):
        submit(org, doc)


def test_submitting_an_invisible_document_is_404(org, doc_type):
    make_rule()
    with pytest.raises(NotFound):
        submit(org, make_doc(org, "sales4"), who="sales1")


def test_withdraw_by_the_submitter_only(org, doc_type, calls):
    make_rule()
    doc = make_doc(org)
    request = submit(org, doc)
    with pytest.raises(Conflict, match="只有提交人"):
        approval_withdraw(actor=org.actor("manager1"), request_id=request.pk)
    approval_withdraw(actor=org.actor("sales1"), request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "withdrawn" and calls == [("rejected", doc.pk, "")]
    with pytest.raises(Conflict):
        approval_withdraw(actor=org.actor("sales1"), request_id=request.pk)
    with pytest.raises(Conflict):
        decide(org, request, "manager1")


def test_bad_decision_and_long_comment_are_422(org, doc_type):
    make_rule()
    request = submit(org, make_doc(org))
    with pytest.raises(InvalidInput) as exc:
        decide(org, request, "manager1", decision="maybe")
    assert "decision" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        decide(org, request, "manager1", comment="长" * 501)
    assert "comment" in exc.value.errors
    assert not ApprovalDecision.objects.exists()


def test_who_sees_a_request(org, doc_type):
    make_rule()
    request = submit(org, make_doc(org))
    decide(org, request, "manager1")  # now at the boss; manager1 keeps seeing it through the decision
    seen = {k: selectors.approval_list(actor=org.actor(k), tab="all").filter(pk=request.pk).exists()
            for k in ("sales1", "manager1", "director", "boss", "finance", "sales2", "manager2", "sales4")}
    assert seen == {"sales1": True, "manager1": True, "director": True, "boss": True, "finance": True,
                    "sales2": False, "manager2": False, "sales4": False}
    assert [r["id"] for r in selectors.approval_rows(selectors.approval_list(actor=org.actor("sales1"), tab="mine"))] \
        == [request.pk]


def test_history_and_panel(org, doc_type):
    make_rule()
    doc = make_doc(org)
    first = submit(org, doc)
    decide(org, first, "manager1", "reject", comment="补充附件")
    Agreement.objects.filter(pk=doc.pk).update(status="pending")
    second = submit(org, doc)
    history = selectors.approval_history("test_doc", doc.pk)
    assert [r.pk for r in history] == [second.pk, first.pk]
    assert [d.comment for d in history[1].decision_list] == ["补充附件"]
    panel = selectors.approval_panel(actor=org.actor("manager1"), doc_type="test_doc", object_id=doc.pk)
    assert panel["approval_request"] == second and panel["can_decide"] and not panel["can_withdraw"]
    mine = selectors.approval_panel(actor=org.actor("sales1"), doc_type="test_doc", object_id=doc.pk)
    assert not mine["can_decide"] and mine["can_withdraw"]
    assert selectors.approval_pending_for("test_doc", doc.pk) == second


def test_default_rules_for_a_new_company(org):
    approval_rules_install_defaults(tenant=org.tenant)
    approval_rules_install_defaults(tenant=org.tenant)  # idempotent: seed_demo runs the setup steps again
    rules = {r.doc_type: (r.min_amount, r.min_discount, r.steps) for r in ApprovalRule.objects.all()}
    assert rules == {
        "contract": (Decimal("100000.00"), None, ["manager", "boss"]),
        "order": (None, Decimal("20.00"), ["manager", "boss"]),
        "invoice": (Decimal("50000.00"), None, ["manager"]),
    }


def test_create_tenant_installs_the_default_rules(db):
    from zhuli.accounts.provisioning import tenant_create

    tenant, _boss = tenant_create(code="rules-co", name="规则公司", admin_login="boss@rules.test",
                                  password="Zhuli-Passw0rd-9", check_password=False)
    with tenant_context(tenant):
        assert set(ApprovalRule.objects.values_list("doc_type", flat=True)) == {"contract", "order", "invoice"}


def test_rule_services_validate_and_are_admin_only(org):
    admin = org.actor("admin")
    with pytest.raises(Forbidden):
        approval_rule_create(actor=org.actor("boss"), data={"doc_type": "contract", "name": "x", "steps": ["boss"]})
    with pytest.raises(InvalidInput) as exc:
        approval_rule_create(actor=admin, data={"doc_type": "nope", "name": "", "min_amount": "-1",
                                                "min_discount": "130", "steps": ["ceo"]})
    assert set(exc.value.errors) == {"doc_type", "name", "min_amount", "min_discount", "steps"}
    with pytest.raises(InvalidInput) as exc:
        approval_rule_create(actor=admin, data={"doc_type": "contract", "name": "x", "min_amount": "1.005",
                                                "steps": []})
    assert exc.value.errors["min_amount"] == ["最多两位小数"] and "steps" in exc.value.errors
    assert not ApprovalRule.objects.exists()
    rule = approval_rule_create(actor=admin, data={"doc_type": "contract", "name": "大额合同", "min_amount": "1,000,000",
                                                   "steps": ["manager", "boss", "finance"]})
    assert rule.min_amount == Decimal("1000000.00") and rule.steps == ["manager", "boss", "finance"]
    approval_rule_update(actor=admin, rule_id=rule.pk, data={"doc_type": "contract", "name": "大额合同",
                                                             "min_amount": "", "steps": ["boss"]})
    rule.refresh_from_db()
    assert rule.min_amount is None and rule.steps == ["boss"]


def test_a_rule_change_leaves_requests_in_progress_alone(org, doc_type):
    rule = make_rule(steps=["manager", "boss"])
    request = submit(org, make_doc(org))
    ApprovalRule.objects.filter(pk=rule.pk).update(steps=["finance"])
    decide(org, request, "manager1")
    request.refresh_from_db()
    assert request.current_role == "boss"


def test_a_read_only_company_cannot_decide(org, doc_type):
    make_rule()
    request = submit(org, make_doc(org))
    org.tenant.status = "expired"
    org.tenant.save(update_fields=["status"])
    actor = org.fresh_actor("manager1")
    actor.tenant.refresh_from_db()
    with pytest.raises(Forbidden):
        approval_decide(actor=actor, request_id=request.pk, decision="approve")
    assert not ApprovalDecision.objects.exists()


def test_skipped_steps_are_audited(org, doc_type):
    make_rule(steps=["manager", "finance", "boss"])
    request = submit(org, make_doc(org))
    org["finance"].is_active = False
    org["finance"].save(update_fields=["is_active"])
    decide(org, request, "manager1")
    request.refresh_from_db()
    assert request.current_role == "boss"
    event = AuditEvent.objects.filter(action="approval.approve", target_id=request.pk).get()
    assert event.changes["skipped"] == ["finance"]
