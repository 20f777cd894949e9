"""What the workbench shows, computed in the tenant's calendar (a todo at 00:10 on the 11th in
Asia/Shanghai is due on the 11th whatever the server's zone). Reads only through other apps'
selectors and visible(); each team figure is one query grouped by owner."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from zhuli.access.actor import Actor
from zhuli.access.roles import MANAGING_ROLES, Role
from zhuli.access.scoping import visible
from zhuli.accounts.models import User
from zhuli.activities.models import FollowUp
from zhuli.activities.selectors import todo_list
from zhuli.customers.models import Customer
from zhuli.customers.selectors import recent_customers
from zhuli.sales.board import month_range
from zhuli.sales.models import Opportunity, OpportunityStatus

UPCOMING_DAYS = 7
OVERDUE_SHOWN = 30
UPCOMING_SHOWN = 200
# Whose row the team table shows even with nothing this month: the people who sell.
TEAM_ROLES = (Role.MANAGER, Role.SALES)


def day_bounds(zone, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight of `day` and of the next day in `zone` (aware datetimes, compared in UTC by the DB)."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def month_bounds(zone, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return (datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(following, datetime.time.min, tzinfo=zone))


@dataclass
class TodoBuckets:
    day: datetime.date
    overdue: list = field(default_factory=list)
    today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    overdue_count: int = 0


def _my_open_todos(actor: Actor):
    return todo_list(actor=actor, owner_id=actor.user_id).only(
        "id", "due_at", "content", "customer_id", "owner_id", "tenant_id", "customer__id", "customer__name",
        "owner__id", "owner__name", "owner__is_active",
    )


def todo_buckets(*, actor: Actor) -> TodoBuckets:
    """My open todos: overdue (latest first), due today, and the next seven days."""
    tenant = actor.tenant
    today = tenant.today()
    start, tomorrow = day_bounds(tenant.zone, today)
    # Day arithmetic on dates, not timedeltas on datetimes: a DST zone's days are not all 24 hours.
    horizon = datetime.datetime.combine(today + datetime.timedelta(days=UPCOMING_DAYS + 1), datetime.time.min,
                                        tzinfo=tenant.zone)
    base = _my_open_todos(actor)
    overdue_qs = base.filter(due_at__lt=start)
    overdue = list(overdue_qs.order_by("-due_at", "-id")[:OVERDUE_SHOWN])
    overdue_count = len(overdue) if len(overdue) < OVERDUE_SHOWN else overdue_qs.count()
    coming = list(base.filter(due_at__gte=start, due_at__lt=horizon)[:UPCOMING_SHOWN])
    return TodoBuckets(
        day=today, overdue=overdue, overdue_count=overdue_count,
        today=[t for t in coming if t.due_at < tomorrow], upcoming=[t for t in coming if t.due_at >= tomorrow],
    )


def my_numbers(*, actor: Actor) -> dict:
    """This month (the tenant's month): customers I own that were created, follow-ups I logged."""
    tenant = actor.tenant
    start, end = month_bounds(tenant.zone, tenant.today())
    new = visible(Customer, actor).filter(owner_id=actor.user_id, created_at__gte=start, created_at__lt=end)
    logged = visible(FollowUp, actor).filter(owner_id=actor.user_id, occurred_at__gte=start, occurred_at__lt=end)
    return {"month": start.date(), "new_customers": new.count(), "followups": logged.count()}


def shows_team(actor: Actor) -> bool:
    return actor.system or actor.role in MANAGING_ROLES


def team_numbers(*, actor: Actor) -> list[dict] | None:
    """Per person in the actor's customer scope: new customers and follow-ups this month.
    None for roles without people under them."""
    if not shows_team(actor) or actor.grant("customers") is None:
        return None
    tenant = actor.tenant
    start, end = month_bounds(tenant.zone, tenant.today())
    owner_ids = actor.owner_ids(actor.grant("customers").scope)
    customers = visible(Customer, actor).filter(created_at__gte=start, created_at__lt=end, owner__isnull=False)
    followups = visible(FollowUp, actor).filter(occurred_at__gte=start, occurred_at__lt=end, owner__isnull=False)
    people = visible(User, actor)
    if owner_ids is not None:
        # Pool customers are visible to the team; their follow-ups by outsiders are not the team's.
        customers = customers.filter(owner_id__in=owner_ids)
        followups = followups.filter(owner_id__in=owner_ids)
        people = people.filter(pk__in=owner_ids)
    new_by = dict(customers.order_by().values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    logged_by = dict(followups.order_by().values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    rows = []
    for user in people.only("id", "name", "is_active", "role").order_by("name", "id"):
        new, logged = new_by.get(user.pk, 0), logged_by.get(user.pk, 0)
        if not (new or logged) and not (user.is_active and user.role in TEAM_ROLES):
            continue
        rows.append({"user": {"id": user.pk, "name": user.display_name}, "new_customers": new, "followups": logged})
    rows.sort(key=lambda r: (-r["followups"], -r["new_customers"], r["user"]["name"]))
    return rows


def workbench_summary(*, actor: Actor) -> dict:
    """Everything the workbench page shows, for the page and GET /api/v1/workbench alike."""
    return {
        "todos": todo_buckets(actor=actor) if actor.can("followups", "view") else None,
        "recent": recent_customers(actor=actor) if actor.can("customers", "view") else [],
        "mine": my_numbers(actor=actor) if actor.can("customers", "view") else None,
        "team": team_numbers(actor=actor),
    }


# ---- opportunity cards (registered in extensions.py; opportunity-style companies only) -------------------

CARD_ROWS = 5
STALE_DAYS = 14


def opportunities_closing(*, actor: Actor, limit: int = CARD_ROWS) -> dict:
    """本月预计成交: visible opportunities in 跟踪 whose expected close date is in the tenant's month, with
    their count and sum (one aggregate query, one for the first rows)."""
    first, last = month_range(actor.tenant.today())
    qs = visible(Opportunity, actor).filter(status=OpportunityStatus.TRACKING, close_date__gte=first,
                                            close_date__lte=last)
    totals = qs.order_by().aggregate(n=Count("id"), total=Sum("amount"))
    rows = list(qs.select_related("customer", "owner", "stage")
                .only("id", "title", "amount", "close_date", "customer__id", "customer__name", "owner__id",
                      "owner__name", "owner__is_active", "stage__id", "stage__name")
                .order_by("close_date", "id")[:limit]) if totals["n"] else []
    return {"first": first, "last": last, "count": totals["n"], "amount": totals["total"] or 0, "rows": rows}


def opportunities_stale(*, actor: Actor, days: int = STALE_DAYS, limit: int = CARD_ROWS) -> dict:
    """停滞的机会: visible opportunities in 跟踪 with neither a follow-up nor a stage change for `days` days,
    stalest first (by their latest sign of life)."""
    cutoff = timezone.now() - datetime.timedelta(days=days)
    qs = (visible(Opportunity, actor).filter(status=OpportunityStatus.TRACKING, stage_entered_at__lt=cutoff)
          .filter(Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=cutoff)))
    count = qs.order_by().count()
    rows = list(qs.annotate(last_sign=Greatest("stage_entered_at", Coalesce("last_followup_at", "stage_entered_at")))
                .select_related("customer", "owner", "stage")
                .only("id", "title", "amount", "stage_entered_at", "last_followup_at", "customer__id",
                      "customer__name", "owner__id", "owner__name", "owner__is_active", "stage__id", "stage__name")
                .order_by("last_sign", "id")[:limit]) if count else []
    now = timezone.now()
    for row in rows:
        row.idle_days = (now - row.last_sign).days
    return {"days": days, "count": count, "rows": rows}
