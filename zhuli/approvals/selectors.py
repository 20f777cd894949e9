"""Reads of the approval engine, through visible(); who may decide a step is judged here for services,
views and templates alike."""
from __future__ import annotations

from functools import reduce
from operator import or_
from types import SimpleNamespace

from django.db.models import Prefetch, Q, QuerySet

from zhuli.access.actor import Actor
from zhuli.access.roles import Role
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.models import User
from zhuli.core.pagination import order_by_param

from .models import ApprovalDecision, ApprovalRequest, ApprovalRule, ApprovalStatus, StepRole
from .registry import DOC_TYPES, doc_type_label, get_doc_type

MANAGING = (Role.MANAGER, Role.DIRECTOR)
SORTS = {"id": "id", "submitted_at": "submitted_at", "decided_at": "decided_at", "amount": "amount"}
DEFAULT_SORT = "-id"
STATUS_BADGES = {"pending": "warning", "approved": "success", "rejected": "danger", "withdrawn": "secondary"}
LIST_COLUMNS = (
    "id", "doc_type", "object_id", "object_label", "amount", "status", "steps", "current_step", "current_role",
    "submitted_by_id", "submitted_by__name", "submitted_by__is_active", "submitted_at", "decided_at",
    "submitted_by__department__path",
)


def _waiting_q(actor: Actor) -> Q | None:
    """Pending requests whose current step the actor may decide (never their own)."""
    if actor.user is None:
        return None
    parts = []
    if actor.role == Role.BOSS:
        parts.append(Q(current_role=StepRole.BOSS))
    if actor.role == Role.FINANCE:
        parts.append(Q(current_role=StepRole.FINANCE))
    if actor.role in MANAGING and actor.department_path:
        parts.append(Q(current_role=StepRole.MANAGER, submitted_by__department__path__startswith=actor.department_path))
    if not parts:
        return None
    return reduce(or_, parts) & Q(status=ApprovalStatus.PENDING) & ~Q(submitted_by_id=actor.user_id)


def request_scope(qs: QuerySet, actor: Actor) -> QuerySet:
    """A request is seen by its submitter, by whoever decided one of its steps or may decide the current one,
    and by whoever sees the document itself."""
    if actor.system:
        return qs
    condition = Q(submitted_by_id=actor.user_id) | Q(
        pk__in=ApprovalDecision.objects.filter(approver_id=actor.user_id).values("request_id"))
    waiting = _waiting_q(actor)
    if waiting is not None:
        condition |= waiting
    for code, entry in DOC_TYPES.items():
        condition |= Q(doc_type=code, object_id__in=visible(entry.model, actor).values("pk"))
    return qs.filter(condition)


def may_decide(actor: Actor, request: ApprovalRequest, *, submitter_path: str | None) -> bool:
    """The actor is an eligible approver of the request's current step (`submitter_path`: the submitter's
    department path now)."""
    user = actor.user
    if user is None or not getattr(user, "is_active", False) or request.status != ApprovalStatus.PENDING:
        return False
    if request.submitted_by_id == actor.user_id:
        return False
    role = request.current_role
    if role == StepRole.BOSS:
        return actor.role == Role.BOSS
    if role == StepRole.FINANCE:
        return actor.role == Role.FINANCE
    if role == StepRole.MANAGER:
        return (actor.role in MANAGING and bool(actor.department_path) and bool(submitter_path)
                and submitter_path.startswith(actor.department_path))
    return False


def eligible_approvers(*, actor: Actor, step_role: str, submitter: User) -> QuerySet:
    """Everyone who could decide a step of `step_role` for this submitter (the submitter left out)."""
    users = visible(User, actor).filter(is_active=True).exclude(pk=submitter.pk)
    if step_role == StepRole.BOSS:
        return users.filter(role=Role.BOSS)
    if step_role == StepRole.FINANCE:
        return users.filter(role=Role.FINANCE)
    if step_role == StepRole.MANAGER:
        path = submitter.department.path if submitter.department_id else ""
        ancestors = [int(part) for part in path.strip("/").split("/") if part.isdigit()]
        return users.filter(role__in=MANAGING, department_id__in=ancestors) if ancestors else users.none()
    return users.none()


def approval_pending_for(doc_type: str, object_id: int) -> ApprovalRequest | None:
    """The document's request now in progress, if any (the caller has checked it may see the document)."""
    return (ApprovalRequest.objects.filter(doc_type=doc_type, object_id=object_id, status=ApprovalStatus.PENDING)
            .select_related("submitted_by__department").order_by("-id").first())


def approval_history(doc_type: str, object_id: int) -> list[ApprovalRequest]:
    """Every request of a document, newest first, each with its decisions (`decision_list`) in order."""
    decisions = ApprovalDecision.objects.select_related("approver").order_by("step", "id")
    return list(ApprovalRequest.objects.filter(doc_type=doc_type, object_id=object_id)
                .select_related("submitted_by").prefetch_related(Prefetch("decisions", decisions, "decision_list"))
                .order_by("-id"))


def approvals_waiting_for(actor: Actor) -> QuerySet:
    """Pending requests the actor may decide now, oldest first (the workbench card and 待我审批)."""
    waiting = _waiting_q(actor)
    if waiting is None or not actor.can("approvals", "view"):
        return ApprovalRequest.objects.none()
    return visible(ApprovalRequest, actor).filter(waiting).order_by("submitted_at", "id")


def approval_list(*, actor: Actor, tab: str = "waiting", status: str = "", doc_type: str = "",
                  sort: str | None = None) -> QuerySet:
    """tab: waiting (待我审批), mine (我提交的), all (every visible request)."""
    if tab == "waiting":
        qs = approvals_waiting_for(actor)
    else:
        qs = visible(ApprovalRequest, actor)
        if tab == "mine":
            qs = qs.filter(submitted_by_id=actor.user_id)
    if status:
        qs = qs.filter(status=status) if status in ApprovalStatus.values else qs.none()
    if doc_type:
        qs = qs.filter(doc_type=doc_type)
    default = "id" if tab == "waiting" else DEFAULT_SORT
    return qs.order_by(*order_by_param(sort or default, SORTS, default))


def approval_rows(qs: QuerySet) -> QuerySet:
    return qs.values(*LIST_COLUMNS)


def approval_get(*, actor: Actor, request_id) -> ApprovalRequest:
    qs = visible(ApprovalRequest, actor).select_related("submitted_by__department", "rule")
    return get_visible_or_404(ApprovalRequest, actor, request_id, queryset=qs)


def approval_decisions(*, actor: Actor, request_id: int) -> list[ApprovalDecision]:
    return list(visible(ApprovalDecision, actor).filter(request_id=request_id).select_related("approver")
                .order_by("step", "id"))


def documents_by_type(*, actor: Actor, rows) -> dict[tuple[str, int], object]:
    """The visible documents behind a page of requests, one query per doc type on the page."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        wanted.setdefault(row["doc_type"], set()).add(row["object_id"])
    out = {}
    for code, ids in wanted.items():
        entry = DOC_TYPES.get(code)
        if entry is None:
            continue
        for pk, obj in visible(entry.model, actor).in_bulk(list(ids)).items():
            out[(code, pk)] = obj
    return out


def approval_rules(*, actor: Actor) -> list[ApprovalRule]:
    return list(visible(ApprovalRule, actor).order_by("doc_type", "order", "id"))


def approval_panel(*, actor: Actor, doc_type: str, object_id: int) -> dict:
    """Context for `approvals/partials/history.html` on a document's page: approval_history,
    approval_request (the pending one or None), can_decide, can_withdraw."""
    history = approval_history(doc_type, object_id)
    pending = next((r for r in history if r.status == ApprovalStatus.PENDING), None)
    can_decide = False
    if pending is not None:
        submitter = pending.submitted_by
        path = visible(User, actor).filter(pk=submitter.pk).values_list("department__path", flat=True).first()
        can_decide = may_decide(actor, pending, submitter_path=path)
    return {
        "approval_history": history, "approval_request": pending, "can_decide": can_decide,
        "can_withdraw": pending is not None and pending.submitted_by_id == actor.user_id,
    }


def step_labels(steps) -> list[str]:
    """Step role codes as their labels, in order."""
    labels = dict(StepRole.choices)
    return [str(labels.get(s, s)) for s in steps or []]


def decorate_rows(actor, rows: list[dict]) -> list[dict]:
    """Labels, the document's link (when the actor sees it) and whether the actor may decide, for list rows."""
    documents = documents_by_type(actor=actor, rows=rows)
    statuses = dict(ApprovalStatus.choices)
    for row in rows:
        row["doc_type_label"] = doc_type_label(row["doc_type"])
        row["status_label"], row["badge"] = statuses.get(row["status"], ""), STATUS_BADGES.get(row["status"], "light")
        row["step_labels"] = step_labels(row["steps"])
        row["current_label"] = (row["step_labels"][row["current_step"]]
                                if row["status"] == ApprovalStatus.PENDING and row["current_step"] < len(row["steps"])
                                else "")
        obj, entry = documents.get((row["doc_type"], row["object_id"])), get_doc_type(row["doc_type"])
        row["url"] = entry.url(obj) if obj is not None and entry is not None and entry.url else ""
        probe = SimpleNamespace(status=row["status"], submitted_by_id=row["submitted_by_id"],
                                current_role=row["current_role"])
        row["can_decide"] = may_decide(actor, probe, submitter_path=row["submitted_by__department__path"])
    return rows
