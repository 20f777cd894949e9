"""Demo approvals: every document the earlier seeders left waiting for approval (待审批 contracts and orders,
requested invoices) gets the request a real submission would have made — submitted by its owner a few days ago
under its type's first rule, at the first step someone can decide — so the demo's managers and boss find work in
待我审批 and on the workbench."""
from __future__ import annotations

import datetime

from zhuli.access.actor import Actor
from zhuli.accounts.models import User
from zhuli.core.demo import DemoContext
from zhuli.core.registry import demo_seeders
from zhuli.tenancy.unscoped import for_tenant

from .models import ApprovalRequest, ApprovalRule, ApprovalStatus
from .registry import get_doc_type
from .selectors import eligible_approvers

# What "waiting for approval" is in each document's own statuses (the seeders that made them say so).
WAITING = {
    "contract": {"kind": "contract", "status": "pending"},
    "order": {"kind": "order", "status": "pending"},
    "invoice": {"status": "requested"},
}


def seed(ctx: DemoContext) -> None:
    tenant, rng = ctx.tenant, ctx.rng
    actor = Actor.system_for(tenant)
    users = {u.pk: u for u in User.objects.filter(tenant=tenant).select_related("department")}
    rules = {}
    for rule in for_tenant(ApprovalRule, tenant).filter(is_active=True).order_by("order", "id"):
        rules.setdefault(rule.doc_type, rule)
    made = []
    for code, lookups in WAITING.items():
        entry, rule = get_doc_type(code), rules.get(code)
        if entry is None or rule is None:
            continue
        for obj in for_tenant(entry.model, tenant).filter(**lookups).order_by("id"):
            submitter = users.get(obj.owner_id)
            if submitter is None:
                continue
            first = next((i for i, role in enumerate(rule.steps)
                          if eligible_approvers(actor=actor, step_role=role, submitter=submitter).exists()), None)
            if first is None:
                continue
            made.append(ApprovalRequest(
                tenant=tenant, doc_type=code, object_id=obj.pk, object_label=str(obj)[:200], rule=rule,
                steps=list(rule.steps), current_step=first, current_role=rule.steps[first],
                status=ApprovalStatus.PENDING, submitted_by_id=submitter.pk,
                amount=entry.amount(obj) if entry.amount else None))
    requests = for_tenant(ApprovalRequest, tenant).bulk_create(made)
    for request in requests:  # auto_now_add stamped them now; a real queue is a few days old
        request.submitted_at = ctx.now - datetime.timedelta(hours=rng.randint(2, 120))
    for_tenant(ApprovalRequest, tenant).bulk_update(requests, ["submitted_at"])
    ctx.say(f"  approvals: {len(requests)} waiting")


demo_seeders.register("approvals", seed, order=40)
