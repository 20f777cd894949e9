"""Follow-ups (行动记录) and todos (planned follow-ups) over the API."""
from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, Field

from zhuli.access.scoping import get_visible_or_404
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import (
    Day,
    Id,
    Moment,
    Out,
    OwnerParam,
    PageParams,
    Ref,
    day_start,
    local,
    owner_ref,
    page_of,
    ref,
)
from zhuli.core.errors import InvalidInput, NotFound

from .models import FollowUp, Todo
from .selectors import followup_list, todo_list
from .services import (
    followup_create,
    followup_delete,
    followup_update,
    todo_complete,
    todo_create,
    todo_delete,
)

router = Router(tags=["followups"])


def _customer_field(call):
    """A payload's customer_id outside the caller's scope is a bad field, not a missing page."""
    try:
        return call()
    except NotFound:
        raise InvalidInput({"customer_id": _("客户不存在或无权查看")})


# ---- follow-ups ---------------------------------------------------------------------------------------

FOLLOWUP_COLUMNS = (
    "id", "customer_id", "customer__name", "contact_id", "contact__name", "type_id", "type__name", "occurred_at",
    "content", "owner_id", "owner__name", "owner__is_active", "created_at", "updated_at", "opportunity_id",
    "opportunity__title",
)


class FollowUpOut(Out):
    id: int
    customer: Ref
    contact: Ref | None
    opportunity: Ref | None
    type: Ref | None
    occurred_at: datetime.datetime
    content: str
    owner: Ref | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class FollowUpList(Out):
    items: list[FollowUpOut]
    count: int


def _followup(r: dict) -> dict:
    return {
        "id": r["id"], "customer": {"id": r["customer_id"], "name": r["customer__name"]},
        "contact": ref(r["contact_id"], r["contact__name"]), "type": ref(r["type_id"], r["type__name"]),
        "opportunity": ref(r["opportunity_id"], r["opportunity__title"]),
        "occurred_at": local(r["occurred_at"]), "content": r["content"],
        "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
        "created_at": local(r["created_at"]), "updated_at": local(r["updated_at"]),
    }


class FollowUpQuery(PageParams):
    customer: Id | None = None
    opportunity: Id | None = Field(default=None, description="只看记在该销售机会上的跟进")
    owner: OwnerParam = Field(default="", description="跟进人 id 或 me")
    date_from: Day | None = Field(default=None, description="跟进日期起（含）")
    date_to: Day | None = Field(default=None, description="跟进日期止（含）")


@router.get("/followups", response=responses(200, FollowUpList, 422))
def followup_items(request, filters: Query[FollowUpQuery]):
    """Follow-ups on the customers in the caller's scope; `sort`: occurred_at, created_at, id (default
    `-occurred_at`)."""
    qs = followup_list(
        actor=actor_of(request), customer_id=filters.customer, opportunity_id=filters.opportunity,
        owner="" if filters.owner == "none" else filters.owner, sort=filters.sort,
        date_from=day_start(filters.date_from) if filters.date_from else None,
        date_to=day_start(filters.date_to + datetime.timedelta(days=1)) if filters.date_to else None,
    )
    if filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    return page_of(qs.values(*FOLLOWUP_COLUMNS), filters, _followup, counted=qs)


def _followup_detail(actor, followup_id: int) -> dict:
    return _followup(get_visible_or_404(FollowUp, actor, followup_id,
                                        queryset=followup_list(actor=actor).values(*FOLLOWUP_COLUMNS)))


@router.get("/followups/{int:followup_id}", response=responses(200, FollowUpOut, 404))
def followup_detail(request, followup_id: int):
    return _followup_detail(actor_of(request), followup_id)


class FollowUpFields(BaseModel):
    type_id: Id | None = Field(default=None, description="跟进方式（字典 followup_type）")
    occurred_at: Moment | None = Field(default=None, description="默认为现在；只给日期时按当天 9:00")
    contact_id: Id | None = None
    opportunity_id: Id | None = Field(default=None, description="销售机会：须可见且属于同一客户")


class FollowUpIn(FollowUpFields):
    customer_id: Id
    content: str = Field(max_length=10000)
    next_at: Moment | None = Field(default=None, description="下次跟进时间：会生成一条待办")
    next_action: str = Field(default="", max_length=2000)
    todo_id: Id | None = Field(default=None, description="本次完成的待办")


class FollowUpPatch(FollowUpFields):
    content: str | None = Field(default=None, max_length=10000)


@router.post("/followups", response=responses(201, FollowUpOut, 403, 422))
def followup_new(request, payload: FollowUpIn):
    """Logs a follow-up; `next_at` plans the next one (a todo), `todo_id` marks a planned one done."""
    actor = actor_of(request)
    data = payload.model_dump(exclude_unset=True)
    customer_id = data.pop("customer_id")
    followup = _customer_field(lambda: followup_create(actor=actor, customer_id=customer_id, data=data))
    return Status(201, _followup_detail(actor, followup.pk))


@router.patch("/followups/{int:followup_id}", response=responses(200, FollowUpOut, 403, 404, 422))
def followup_edit(request, followup_id: int, payload: FollowUpPatch):
    actor = actor_of(request)
    followup_update(actor=actor, followup_id=followup_id, data=payload.model_dump(exclude_unset=True))
    return _followup_detail(actor, followup_id)


@router.delete("/followups/{int:followup_id}", response=responses(204, None, 403, 404))
def followup_remove(request, followup_id: int):
    actor = actor_of(request)
    followup_delete(actor=actor, followup_id=followup_id)
    return Status(204, None)


# ---- todos ------------------------------------------------------------------------------------------------

TODO_COLUMNS = ("id", "customer_id", "customer__name", "due_at", "content", "owner_id", "owner__name",
                "owner__is_active", "done_at", "created_at")


class TodoOut(Out):
    id: int
    customer: Ref
    due_at: datetime.datetime
    content: str
    owner: Ref | None
    is_open: bool
    done_at: datetime.datetime | None
    created_at: datetime.datetime


class TodoList(Out):
    items: list[TodoOut]
    count: int


def _todo(r: dict) -> dict:
    return {
        "id": r["id"], "customer": {"id": r["customer_id"], "name": r["customer__name"]},
        "due_at": local(r["due_at"]), "content": r["content"],
        "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
        "is_open": r["done_at"] is None, "done_at": local(r["done_at"]), "created_at": local(r["created_at"]),
    }


class TodoQuery(PageParams):
    owner: OwnerParam = Field(default="", description="负责人 id 或 me；默认范围内全部")
    customer: Id | None = None
    open: bool = Field(default=True, description="false：包括已完成的")


@router.get("/todos", response=responses(200, TodoList, 422), tags=["todos"])
def todo_items(request, filters: Query[TodoQuery]):
    """Planned follow-ups in the caller's scope, earliest first."""
    actor = actor_of(request)
    owner_id = actor.user_id if filters.owner == "me" else (int(filters.owner) if filters.owner.isdigit() else None)
    qs = todo_list(actor=actor, owner_id=owner_id, customer_id=filters.customer, open_only=filters.open)
    if filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    return page_of(qs.values(*TODO_COLUMNS), filters, _todo, counted=qs)


def _todo_detail(actor, todo_id: int) -> dict:
    return _todo(get_visible_or_404(Todo, actor, todo_id,
                                    queryset=todo_list(actor=actor, open_only=False).values(*TODO_COLUMNS)))


@router.get("/todos/{int:todo_id}", response=responses(200, TodoOut, 404), tags=["todos"])
def todo_detail(request, todo_id: int):
    return _todo_detail(actor_of(request), todo_id)


class TodoIn(BaseModel):
    customer_id: Id
    due_at: Moment = Field(description="计划时间；只给日期时按当天 9:00")
    content: str = Field(default="", max_length=2000)


@router.post("/todos", response=responses(201, TodoOut, 403, 422), tags=["todos"])
def todo_new(request, payload: TodoIn):
    actor = actor_of(request)
    todo = _customer_field(lambda: todo_create(actor=actor, customer_id=payload.customer_id, due_at=payload.due_at,
                                               content=payload.content))
    return Status(201, _todo_detail(actor, todo.pk))


@router.post("/todos/{int:todo_id}/complete", response=responses(200, TodoOut, 403, 404), tags=["todos"])
def todo_done(request, todo_id: int):
    actor = actor_of(request)
    todo_complete(actor=actor, todo_id=todo_id)
    return _todo_detail(actor, todo_id)


@router.delete("/todos/{int:todo_id}", response=responses(204, None, 403, 404), tags=["todos"])
def todo_remove(request, todo_id: int):
    actor = actor_of(request)
    todo_delete(actor=actor, todo_id=todo_id)
    return Status(204, None)
