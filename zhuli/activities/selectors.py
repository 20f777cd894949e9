from __future__ import annotations

from django.db.models import QuerySet

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible

from .models import FollowUp, Todo

FOLLOWUP_SORTS = {"id": "id", "occurred_at": "occurred_at", "created_at": "created_at"}


def followup_list(*, actor: Actor, customer_id: int | None = None, owner: str = "", sort: str | None = None,
                  date_from=None, date_to=None, opportunity_id: int | None = None) -> QuerySet:
    from zhuli.core.pagination import order_by_param

    qs = visible(FollowUp, actor).select_related("customer", "contact", "type", "owner", "opportunity")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if opportunity_id:
        qs = qs.filter(opportunity_id=opportunity_id)
    if owner == "me":
        qs = qs.filter(owner_id=actor.user_id)
    elif owner:
        try:
            qs = qs.filter(owner_id=int(owner))
        except ValueError:
            qs = qs.none()
    if date_from:
        qs = qs.filter(occurred_at__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__lt=date_to)
    return qs.order_by(*order_by_param(sort, FOLLOWUP_SORTS, "-occurred_at"))


def todo_list(*, actor: Actor, owner_id: int | None = None, customer_id: int | None = None,
              open_only: bool = True) -> QuerySet:
    qs = visible(Todo, actor).select_related("customer", "owner")
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if open_only:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("due_at", "id")
