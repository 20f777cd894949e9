"""The audit log over the API (issue 5 part 9): the company admin's list and export; 403 for everyone else."""
from __future__ import annotations

import datetime
from typing import Any

from ninja import Query, Router
from pydantic import Field

from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Day, Id, Out, PageParams, Ref, local, page_of, query_text
from zhuli.imports.http import download
from zhuli.imports.services import export_build

from . import selectors
from .labels import GROUPS

router = Router(tags=["audit"])

ACTION_HELP = "操作类别（" + "、".join(f"{g.key} {g.label}" for g in GROUPS) + "）或一个操作代码，如 customer.transfer"


class AuditQuery(PageParams):
    q: str = Field(default="", max_length=100, description="对象名称、操作名称或 IP 地址")
    action: str = Field(default="", max_length=60, description=ACTION_HELP)
    actor: Id | None = Field(default=None, description="操作人（用户 id；登录记录按登录的用户）")
    date_from: Day | None = Field(default=None, description="日期起（含，租户时区）")
    date_to: Day | None = Field(default=None, description="日期止（含，租户时区）")
    target_type: str = Field(default="", max_length=60, description="对象类型，如 customers.customer")


class ChangeOut(Out):
    field: str
    before: str | None
    after: str


class AuditEventOut(Out):
    id: int
    created_at: datetime.datetime
    action: str
    action_label: str
    actor: Ref | None
    actor_label: str
    target_type: str
    target_type_label: str
    target_id: int | None
    target_label: str
    changes: dict[str, Any]
    change_items: list[ChangeOut]
    ip: str | None


class AuditEventList(Out):
    items: list[AuditEventOut]
    count: int


def _row(r: dict) -> dict:
    actor = None
    if r["actor_id"] is not None:
        actor = {"id": r["actor_id"], "name": r["actor__name"] or ""}
    return {
        "id": r["id"], "created_at": local(r["created_at"]), "action": r["action"], "action_label": r["action_label"],
        "actor": actor, "actor_label": str(r["actor_label"]), "target_type": r["target_type"],
        "target_type_label": r["target_type_label"], "target_id": r["target_id"], "target_label": r["target_label"],
        "changes": r["changes"] if isinstance(r["changes"], dict) else {}, "change_items": r["change_items"],
        "ip": r["ip"],
    }


class _Rows:
    """A page of values() rows, labelled in one pass (one query for the user names the page mentions)."""

    def __init__(self, actor, qs):
        self.actor, self.qs = actor, qs

    def __getitem__(self, window):
        return selectors.audit_rows(actor=self.actor, rows=list(self.qs[window]))

    def count(self) -> int:
        return self.qs.count()


@router.get("/audit-events", response=responses(200, AuditEventList, 403, 422))
def audit_event_items(request, filters: Query[AuditQuery]):
    """The company's audit log, newest first unless `sort=created_at|-created_at|id|-id` (company admins only).
    `count` is exact."""
    actor = actor_of(request)
    qs = selectors.audit_event_list(actor=actor, filters=selectors.AuditFilters(
        q=query_text(filters.q), action=filters.action.strip(), actor=filters.actor, date_from=filters.date_from,
        date_to=filters.date_to, target_type=filters.target_type.strip(), sort=filters.sort))
    return page_of(_Rows(actor, qs.values(*selectors.LIST_COLUMNS)), filters, _row, counted=qs)


@router.get("/exports/audit-events", response=responses(200, None, 403, 422))
def export_audit_events(request):
    """The audit log as `format=xlsx|csv` (default xlsx), with the filters of `GET /audit-events`."""
    filename, content_type, body = export_build(actor=actor_of(request), resource="audit-events",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)
