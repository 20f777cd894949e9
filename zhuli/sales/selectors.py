"""Reads of opportunities and stages, always through visible()."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from zhuli.access.actor import Actor
from zhuli.access.roles import Scope
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.models import Department, User
from zhuli.core import text
from zhuli.core.pagination import order_by_param

from .models import Opportunity, OpportunityStatus, Stage, StageChange

# API sort names → columns; `id` is always the tie-breaker.
SORTS = {
    "id": "id", "title": "title", "amount": "amount", "probability": "probability", "close_date": "close_date",
    "created_at": "created_at", "updated_at": "updated_at", "last_followup_at": "last_followup_at",
    "stage": "stage__order", "stage_entered_at": "stage_entered_at",
}
DEFAULT_SORT = "-id"
# What a list row shows, joined once (DESIGN §7).
LIST_COLUMNS = (
    "id", "title", "customer_id", "customer__name", "stage_id", "stage__name", "stage__kind", "probability", "amount",
    "close_date", "status", "owner_id", "owner__name", "owner__is_active", "lost_reason_id", "lost_reason__name",
    "source_id", "source__name", "category_id", "category__name", "stage_entered_at", "last_followup_at",
    "created_at", "updated_at",
)


@dataclass
class OpportunityFilters:
    q: str = ""
    owner: str = ""  # id | me | none (opportunities always have an owner: none → nothing)
    department: int | None = None
    stage: int | None = None
    status: str = ""
    customer: int | None = None
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None
    closed_from: datetime.date | None = None  # won / lost on or after this day (the tenant's)
    closed_to: datetime.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    stale_days: int | None = None


def stages_all(actor: Actor) -> list[Stage]:
    """The tenant's pipeline in order, inactive stages included (installed on first use if missing)."""
    stages = list(visible(Stage, actor).order_by("order", "id"))
    if not stages and actor.can("opportunities", "view"):
        from .services import stages_ensure

        stages_ensure()
        stages = list(visible(Stage, actor).order_by("order", "id"))
    return stages


def stages_active(actor: Actor) -> list[Stage]:
    return [s for s in stages_all(actor) if s.is_active]


def owned_by(qs: QuerySet, actor: Actor, *, owner: str = "", department_id: int | None = None) -> QuerySet:
    """The owner filter (`me` or a user id; anything else matches nothing) and the department filter (the
    department and those below it), shared by the list, the board and the funnel."""
    if owner == "me":
        qs = qs.filter(owner_id=actor.user_id)
    elif owner:
        try:
            qs = qs.filter(owner_id=int(owner))
        except ValueError:
            qs = qs.none()
    if department_id:
        path = visible(Department, actor).filter(pk=department_id).values_list("path", flat=True).first()
        qs = qs.filter(owner__department__path__startswith=path) if path else qs.none()
    return qs


def opportunity_list(*, actor: Actor, filters: OpportunityFilters | None = None, sort: str | None = None) -> QuerySet:
    """The visible opportunities matching the filters, ordered with a unique tie-breaker.

    `stale_days=N`: still open (tracking) with neither a follow-up nor a stage change for N days."""
    f = filters or OpportunityFilters()
    qs = visible(Opportunity, actor)
    needle = text.normalize_query(f.q)
    if needle:
        qs = qs.filter(Q(search_text__contains=needle) | Q(customer__search_text__contains=needle))
    # Opportunities always have an owner: owner=none (the pool) matches nothing.
    qs = owned_by(qs, actor, owner=f.owner, department_id=f.department)
    if f.stage:
        qs = qs.filter(stage_id=f.stage)
    if f.status:
        qs = qs.filter(status=f.status) if f.status in OpportunityStatus.values else qs.none()
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.close_from:
        qs = qs.filter(close_date__gte=f.close_from)
    if f.close_to:
        qs = qs.filter(close_date__lte=f.close_to)
    zone = actor.tenant.zone
    if f.closed_from:
        qs = qs.filter(closed_at__gte=datetime.datetime.combine(f.closed_from, datetime.time.min, tzinfo=zone))
    if f.closed_to:
        qs = qs.filter(closed_at__lt=datetime.datetime.combine(f.closed_to + datetime.timedelta(days=1),
                                                               datetime.time.min, tzinfo=zone))
    if f.amount_min is not None:
        qs = qs.filter(amount__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount__lte=f.amount_max)
    if f.stale_days is not None:
        cutoff = timezone.now() - datetime.timedelta(days=max(0, f.stale_days))
        qs = qs.filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True),
                       status=OpportunityStatus.TRACKING, stage_entered_at__lt=cutoff)
    return qs.order_by(*order_by_param(sort, SORTS, DEFAULT_SORT))


def opportunity_rows(qs: QuerySet) -> QuerySet:
    """Only the columns lists and exports show, as dicts, in one query."""
    return qs.values(*LIST_COLUMNS)


def opportunity_get(*, actor: Actor, opportunity_id) -> Opportunity:
    qs = visible(Opportunity, actor).select_related("customer", "stage", "owner", "lost_reason", "source", "category",
                                                    "created_by")
    return get_visible_or_404(Opportunity, actor, opportunity_id, queryset=qs)


def stage_history(*, actor: Actor, opportunity_id: int) -> list[StageChange]:
    return list(visible(StageChange, actor).filter(opportunity_id=opportunity_id)
                .select_related("from_stage", "to_stage", "changed_by").order_by("-changed_at", "-id"))


CUSTOMER_OPPORTUNITIES_MAX = 100


def customer_opportunities(*, actor: Actor, customer_id: int) -> list[Opportunity]:
    """A customer's visible opportunities, newest first; read once per request (the customer view's section
    and the follow-up form's picker share it through the actor's memo)."""
    key = ("sales.customer_opportunities", customer_id)
    if key not in actor.memo:
        actor.memo[key] = list(visible(Opportunity, actor).filter(customer_id=customer_id)
                               .select_related("stage", "owner").order_by("-created_at", "-id")
                               [:CUSTOMER_OPPORTUNITIES_MAX])
    return actor.memo[key]


def opportunity_choices(*, actor: Actor, customer_id: int) -> list[tuple[int, str]]:
    """A customer's visible opportunities for a follow-up form's picker (tracking ones first)."""
    rows = customer_opportunities(actor=actor, customer_id=customer_id)
    ordered = sorted(rows, key=lambda o: (o.status != OpportunityStatus.TRACKING, -o.pk))
    return [(o.pk, o.title) for o in ordered]


def days_in_stage(entered_at) -> int:
    return max(0, (timezone.now() - entered_at).days) if entered_at else 0


# ---- filter options of the board and the funnel -----------------------------------------------------

def owner_choices(*, actor: Actor) -> list:
    """Salespeople the viewer may filter the board and the funnel by: those whose opportunities they see (none for own-records
    scopes, where the funnel is theirs anyway); people who left come last, marked."""
    grant = actor.grant("opportunities")
    if grant is None or grant.scope == Scope.OWN:
        return []
    owner_ids = actor.owner_ids(grant.scope)
    qs = visible(User, actor).only("id", "name", "is_active").order_by("-is_active", "name", "id")
    return [u for u in qs if owner_ids is None or u.pk in owner_ids]


def department_choices(*, actor: Actor) -> list[Department]:
    """Departments the viewer may filter by: all of the tenant's for a whole-company scope, their own
    department tree for department scopes, none for own-records scopes."""
    grant = actor.grant("opportunities")
    if grant is None or grant.scope == Scope.OWN:
        return []
    qs = visible(Department, actor).only("id", "name", "depth", "path").order_by("path")
    if actor.owner_ids(grant.scope) is not None:
        path = actor.department_path
        if not path:
            return []
        qs = qs.filter(path__startswith=path)
    departments = list(qs)
    for d in departments:
        d.indent = "\u3000" * d.depth
    return departments
