"""Approval screens: 待我审批 / 我提交的 / 全部, one request's page, approve / reject / withdraw, and the rules
settings page. Thin: parse, call one selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.scoping import require
from zhuli.core.errors import AppError
from zhuli.core.pagination import paginate
from zhuli.web.decorators import admin_required
from zhuli.web.links import query_with

from . import selectors, services
from .models import ApprovalStatus, StepRole
from .registry import doc_type_choices
from .selectors import decorate_rows, step_labels

PAGE_SIZE = 20
COUNT_CAP = 10000
TABS = ("waiting", "mine", "all")


def _safe_next(request, default: str) -> str:
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


@require_GET
def approval_list_view(request):
    actor = request.actor
    require(actor, "approvals.view")
    tab = request.GET.get("tab") or "waiting"
    if tab not in TABS:
        tab = "waiting"
    status = request.GET.get("status", "")
    status = status if status in ApprovalStatus.values else ""
    doc_type = request.GET.get("doc_type", "")
    doc_type = doc_type if doc_type in dict(doc_type_choices()) else ""
    qs = selectors.approval_list(actor=actor, tab=tab, status=status, doc_type=doc_type)
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + PAGE_SIZE - 1) // PAGE_SIZE)
    try:
        page_number = min(max(1, int(request.GET.get("page") or 1)), pages)
    except ValueError:
        page_number = 1
    page = paginate(selectors.approval_rows(qs), page=page_number, page_size=PAGE_SIZE, count=shown)
    page.items = decorate_rows(actor, list(page.items))
    waiting_count = count if tab == "waiting" else None
    return render(request, "approvals/list.html", {
        "page_title": _("审批"), "page": page, "tab": tab, "status": status, "doc_type": doc_type,
        "count": shown, "count_capped": count > COUNT_CAP, "waiting_count": waiting_count,
        "tabs": [(t, label, query_with(request, tab=t, page=None, status=None)) for t, label in (
            ("waiting", _("待我审批")), ("mine", _("我提交的")), ("all", _("全部")))],
        "statuses": ApprovalStatus.choices, "doc_types": doc_type_choices(),
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
    })


@require_GET
def approval_detail(request, pk: int):
    actor = request.actor
    approval = selectors.approval_get(actor=actor, request_id=pk)
    row = decorate_rows(actor, [{
        "doc_type": approval.doc_type, "object_id": approval.object_id, "status": approval.status,
        "steps": approval.steps, "current_step": approval.current_step, "current_role": approval.current_role,
        "submitted_by_id": approval.submitted_by_id,
        "submitted_by__department__path": getattr(approval.submitted_by.department, "path", None),
    }])[0]
    approval.decision_list = selectors.approval_decisions(actor=actor, request_id=approval.pk)
    return render(request, "approvals/detail.html", {
        "page_title": f"{row['doc_type_label']} {approval.object_label}", "approval": approval, "row": row,
        "approval_history": [approval],
        "approval_request": approval if approval.status == ApprovalStatus.PENDING else None,
        "can_decide": row["can_decide"],
        "can_withdraw": approval.status == ApprovalStatus.PENDING and approval.submitted_by_id == actor.user_id,
    })


@require_POST
def approval_decide_view(request, pk: int):
    """From the list, the request's page or a document's history panel; back to where it came from."""
    actor = request.actor
    decision = request.POST.get("decision", "")
    raw_step = request.POST.get("step", "")
    step = int(raw_step) if raw_step.isdigit() and len(raw_step) < 5 else None
    back = _safe_next(request, "/approvals/")
    try:
        services.approval_decide(actor=actor, request_id=pk, decision=decision,
                                 comment=request.POST.get("comment", "")[:2000], step=step)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已同意") if decision == "approve" else _("已驳回"))
    return redirect(back)


@require_POST
def approval_withdraw_view(request, pk: int):
    actor = request.actor
    back = _safe_next(request, "/approvals/?tab=mine")
    try:
        services.approval_withdraw(actor=actor, request_id=pk)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回"))
    return redirect(back)


def _rule_data(post) -> dict:
    return {"doc_type": post.get("doc_type", ""), "name": post.get("name", ""),
            "min_amount": post.get("min_amount", ""), "min_discount": post.get("min_discount", ""),
            "steps": [s for s in post.getlist("steps") if s], "order": post.get("order", "") or 0}


@admin_required
@require_http_methods(["GET", "POST"])
def rules_settings(request):
    """Add, edit, (de)activate and delete approval rules; steps are chosen from the approver roles."""
    actor = request.actor
    errors, typed = {}, {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        rule_id = request.POST.get("rule_id")
        try:
            if action == "create":
                services.approval_rule_create(actor=actor, data=_rule_data(request.POST))
                messages.success(request, _("审批规则已添加"))
            elif action == "update":
                services.approval_rule_update(actor=actor, rule_id=rule_id, data=_rule_data(request.POST))
                messages.success(request, _("已保存"))
            elif action in ("activate", "deactivate"):
                services.approval_rule_set_active(actor=actor, rule_id=rule_id, active=action == "activate")
                messages.success(request, _("已保存"))
            elif action == "delete":
                services.approval_rule_delete(actor=actor, rule_id=rule_id)
                messages.success(request, _("审批规则已删除"))
            return redirect("approvals:rules")
        except AppError as exc:
            if exc.status in (403, 404):
                raise
            errors = getattr(exc, "errors", None) or {"__all__": [exc.message]}
            typed = {"target": rule_id if action == "update" else "new", **_rule_data(request.POST)}
    rules = selectors.approval_rules(actor=actor)
    labels = dict(doc_type_choices())
    for rule in rules:
        rule.doc_type_label = labels.get(rule.doc_type, rule.doc_type)
        rule.step_labels = step_labels(rule.steps)
        rule.step_slots = [(rule.steps[i] if i < len(rule.steps) else "") for i in range(services.STEPS_MAX)]
    new_steps = typed.get("steps", []) if typed.get("target") == "new" else []
    return render(request, "approvals/rules.html", {
        "page_title": _("审批规则"), "rules": rules, "doc_types": doc_type_choices(), "roles": StepRole.choices,
        "errors": errors, "general_errors": errors.get("__all__", []), "typed": typed, "slots": range(services.STEPS_MAX),
        "new_slots": [(new_steps[i] if i < len(new_steps) else "") for i in range(services.STEPS_MAX)],
    })
