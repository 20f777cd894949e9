"""Approvals over the API: the list (DESIGN §5 contract), one request with its decisions, approve / reject /
withdraw. Refusals (own submission, not an approver of the current step, already decided) are 409."""
from __future__ import annotations

import datetime
from typing import Literal

from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from zhuli.access.scoping import require
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Id, Out, PageParams, Ref, local, owner_ref, page_of

from . import selectors, services
from .selectors import decorate_rows, step_labels

router = Router(tags=["approvals"])
StatusCode = Literal["pending", "approved", "rejected", "withdrawn"]


class ApprovalRow(Out):
    id: int
    doc_type: str = Field(description="contract | order | invoice")
    doc_type_label: str
    object_id: int
    object_label: str
    url: str = Field(description="单据页面（调用者看得到单据时）")
    amount: str | None
    status: StatusCode
    steps: list[str] = Field(description="审批角色，依次：manager（部门主管）/ boss / finance")
    current_step: int
    current_role: str = Field(description="审批中时当前步骤的角色，否则为空")
    submitted_by: Ref
    submitted_at: datetime.datetime
    decided_at: datetime.datetime | None
    can_decide: bool = Field(description="调用者可以审批当前步骤")


class ApprovalList(Out):
    items: list[ApprovalRow]
    count: int


class DecisionOut(Out):
    step: int
    role: str
    approver: Ref
    decision: Literal["approve", "reject"]
    comment: str
    created_at: datetime.datetime


class ApprovalOut(ApprovalRow):
    step_labels: list[str]
    decisions: list[DecisionOut]


class ApprovalQuery(PageParams):
    status: StatusCode | Literal[""] = ""
    mine: bool = Field(default=False, description="只看我提交的")
    waiting: bool = Field(default=False, description="只看等我审批的")
    doc_type: str = Field(default="", max_length=20)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=500)
    step: int | None = Field(default=None, ge=0, le=100, description="看到的步骤；已被他人处理时 409")


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def _row(r: dict) -> dict:
    return {
        "id": r["id"], "doc_type": r["doc_type"], "doc_type_label": r["doc_type_label"], "object_id": r["object_id"],
        "object_label": r["object_label"], "url": r["url"], "amount": _money(r["amount"]), "status": r["status"],
        "steps": r["steps"], "current_step": r["current_step"], "current_role": r["current_role"],
        "submitted_by": owner_ref(r["submitted_by_id"], r["submitted_by__name"], r["submitted_by__is_active"]),
        "submitted_at": local(r["submitted_at"]), "decided_at": local(r["decided_at"]), "can_decide": r["can_decide"],
    }


def _detail(actor, request_id: int) -> dict:
    rows = list(selectors.approval_rows(selectors.approval_list(actor=actor, tab="all").filter(pk=request_id)))
    if not rows:
        selectors.approval_get(actor=actor, request_id=request_id)  # the same 404 as every other door
    row = _row(decorate_rows(actor, rows)[0])
    labels = step_labels(row["steps"])
    row["step_labels"] = labels
    row["decisions"] = [{
        "step": d.step, "role": labels[d.step] if d.step < len(labels) else "",
        "approver": owner_ref(d.approver_id, d.approver.name, d.approver.is_active), "decision": d.decision,
        "comment": d.comment, "created_at": local(d.created_at),
    } for d in selectors.approval_decisions(actor=actor, request_id=request_id)]
    return row


@router.get("/approvals", response=responses(200, ApprovalList, 422), summary="审批列表")
def approvals_list(request, query: Query[ApprovalQuery]):
    """`waiting=true`: 待我审批 (oldest first); `mine=true`: 我提交的; otherwise every request the caller sees."""
    actor = actor_of(request)
    require(actor, "approvals.view")
    tab = "waiting" if query.waiting else "mine" if query.mine else "all"
    qs = selectors.approval_list(actor=actor, tab=tab, status=query.status, doc_type=query.doc_type, sort=query.sort)
    page = page_of(selectors.approval_rows(qs), query, counted=qs)
    page["items"] = [_row(r) for r in decorate_rows(actor, page["items"])]
    return page


@router.get("/approvals/{approval_id}", response=responses(200, ApprovalOut, 404), summary="审批详情")
def approval_detail(request, approval_id: Id):
    return _detail(actor_of(request), approval_id)


def _decide(request, approval_id: int, decision: str, body: DecisionIn | None) -> dict:
    actor = actor_of(request)
    body = body or DecisionIn()
    services.approval_decide(actor=actor, request_id=approval_id, decision=decision, comment=body.comment,
                             step=body.step)
    return _detail(actor, approval_id)


@router.post("/approvals/{approval_id}/approve", response=responses(200, ApprovalOut, 403, 404, 409, 422),
             summary="同意")
def approval_approve(request, approval_id: Id, body: DecisionIn | None = None):
    return _decide(request, approval_id, "approve", body)


@router.post("/approvals/{approval_id}/reject", response=responses(200, ApprovalOut, 403, 404, 409, 422), summary="驳回")
def approval_reject(request, approval_id: Id, body: DecisionIn | None = None):
    return _decide(request, approval_id, "reject", body)


@router.post("/approvals/{approval_id}/withdraw", response=responses(200, ApprovalOut, 403, 404, 409), summary="撤回")
def approval_withdraw(request, approval_id: Id):
    actor = actor_of(request)
    services.approval_withdraw(actor=actor, request_id=approval_id)
    return _detail(actor, approval_id)

