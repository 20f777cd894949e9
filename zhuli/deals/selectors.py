"""Reads of contracts, orders and quotes, always through visible()."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.core import text
from zhuli.core.pagination import order_by_param

from .models import DEFAULT_PATTERNS, Agreement, AgreementStatus, Attachment, NumberingRule, Quote

SORTS = {
    "id": "id", "number": "number", "title": "title", "amount": "amount", "sign_date": "sign_date",
    "end_date": "end_date", "received_amount": "received_amount", "created_at": "created_at",
    "updated_at": "updated_at",
}
QUOTE_SORTS = {"id": "id", "number": "number", "title": "title", "total": "total", "quote_date": "quote_date",
               "valid_until": "valid_until", "created_at": "created_at"}
DEFAULT_SORT = "-id"
# What a list row shows, joined once (DESIGN §7).
LIST_COLUMNS = (
    "id", "kind", "number", "title", "status", "customer_id", "customer__name", "opportunity_id",
    "opportunity__title", "owner_id", "owner__name", "owner__is_active", "sign_date", "start_date", "end_date",
    "currency", "exchange_rate", "foreign_amount", "amount", "received_amount", "invoiced_amount",
    "planned_amount", "shipping_state", "created_at", "updated_at",
)
QUOTE_COLUMNS = (
    "id", "number", "title", "status", "customer_id", "customer__name", "opportunity_id", "opportunity__title",
    "owner_id", "owner__name", "owner__is_active", "quote_date", "valid_until", "total", "created_at",
)


@dataclass
class AgreementFilters:
    q: str = ""
    owner: str = ""  # id | me (agreements always have an owner: none → nothing)
    status: str = ""
    customer: int | None = None
    opportunity: int | None = None
    sign_from: datetime.date | None = None
    sign_to: datetime.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    end_from: datetime.date | None = None
    end_to: datetime.date | None = None


def _owned(qs: QuerySet, actor: Actor, owner: str) -> QuerySet:
    if owner == "me":
        return qs.filter(owner_id=actor.user_id)
    if owner == "none":
        return qs.none()
    if owner:
        try:
            return qs.filter(owner_id=int(owner))
        except ValueError:
            return qs.none()
    return qs


def _search(qs: QuerySet, q: str, *fields: str) -> QuerySet:
    raw = text.clean_text(q)[:100]
    if not raw:
        return qs
    needle = text.normalize_query(raw)
    condition = Q(customer__search_text__contains=needle) if needle else Q()
    for f in fields:
        condition |= Q(**{f"{f}__icontains": raw})
    return qs.filter(condition)


def agreement_list(*, actor: Actor, kind: str, filters: AgreementFilters | None = None,
                   sort: str | None = None) -> QuerySet:
    """The visible contracts (or orders) matching the filters, ordered with `id` as the tie-breaker."""
    f = filters or AgreementFilters()
    qs = visible(Agreement, actor).filter(kind=kind)
    qs = _search(qs, f.q, "number", "title")
    qs = _owned(qs, actor, f.owner)
    if f.status:
        qs = qs.filter(status=f.status) if f.status in AgreementStatus.values else qs.none()
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.opportunity:
        qs = qs.filter(opportunity_id=f.opportunity)
    if f.sign_from:
        qs = qs.filter(sign_date__gte=f.sign_from)
    if f.sign_to:
        qs = qs.filter(sign_date__lte=f.sign_to)
    if f.end_from:
        qs = qs.filter(end_date__gte=f.end_from)
    if f.end_to:
        qs = qs.filter(end_date__lte=f.end_to)
    if f.amount_min is not None:
        qs = qs.filter(amount__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount__lte=f.amount_max)
    return qs.order_by(*order_by_param(sort, SORTS, DEFAULT_SORT))


def agreement_rows(qs: QuerySet) -> QuerySet:
    return qs.values(*LIST_COLUMNS)


def agreement_get(*, actor: Actor, agreement_id, kind: str | None = None) -> Agreement:
    qs = visible(Agreement, actor).select_related("customer", "opportunity", "owner", "our_signer", "quote",
                                                  "created_by")
    if kind:
        qs = qs.filter(kind=kind)
    return get_visible_or_404(Agreement, actor, agreement_id, queryset=qs)


def agreement_lines(agreement: Agreement) -> list:
    return list(agreement.lines.select_related("product").order_by("position", "id"))


def agreement_attachments(agreement: Agreement) -> list[Attachment]:
    return list(agreement.attachments.select_related("uploaded_by").order_by("-uploaded_at", "-id"))


def attachment_get(*, actor: Actor, attachment_id, agreement_id) -> Attachment:
    qs = visible(Attachment, actor).filter(agreement_id=agreement_id)
    return get_visible_or_404(Attachment, actor, attachment_id, queryset=qs)


def quote_list(*, actor: Actor, filters: AgreementFilters | None = None, sort: str | None = None) -> QuerySet:
    f = filters or AgreementFilters()
    qs = visible(Quote, actor)
    qs = _search(qs, f.q, "number", "title")
    qs = _owned(qs, actor, f.owner)
    if f.status:
        qs = qs.filter(status=f.status) if f.status in Quote.Status.values else qs.none()
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.opportunity:
        qs = qs.filter(opportunity_id=f.opportunity)
    if f.sign_from:
        qs = qs.filter(quote_date__gte=f.sign_from)
    if f.sign_to:
        qs = qs.filter(quote_date__lte=f.sign_to)
    if f.amount_min is not None:
        qs = qs.filter(total__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(total__lte=f.amount_max)
    return qs.order_by(*order_by_param(sort, QUOTE_SORTS, DEFAULT_SORT))


def quote_rows(qs: QuerySet) -> QuerySet:
    return qs.values(*QUOTE_COLUMNS)


def quote_get(*, actor: Actor, quote_id) -> Quote:
    qs = visible(Quote, actor).select_related("customer", "opportunity", "owner", "created_by")
    return get_visible_or_404(Quote, actor, quote_id, queryset=qs)


def quote_lines(quote: Quote) -> list:
    return list(quote.lines.select_related("product").order_by("position", "id"))


CUSTOMER_ROWS_MAX = 50


def customer_agreements(*, actor: Actor, customer_id: int, kinds: tuple[str, ...]) -> list[dict]:
    """A customer's visible contracts / orders, newest first (the customer view's section)."""
    return list(visible(Agreement, actor).filter(customer_id=customer_id, kind__in=kinds)
                .order_by("-sign_date", "-id").values(*LIST_COLUMNS)[:CUSTOMER_ROWS_MAX])


def opportunity_agreement(*, actor: Actor, opportunity_id: int) -> dict | None:
    """The live agreement a (won) opportunity converted into, if the actor may see it (a cancelled order frees the
    opportunity for another)."""
    return visible(Agreement, actor).filter(opportunity_id=opportunity_id).exclude(status="cancelled").values(
        "id", "kind", "number", "status").first()


def contracts_ending(*, actor: Actor, days: int = 30, limit: int = 10) -> tuple[list[dict], int]:
    """Contracts in force whose end date falls within `days` from today (the tenant's), soonest first."""
    today = actor.tenant.today()
    qs = visible(Agreement, actor).filter(kind="contract", status=AgreementStatus.ACTIVE, end_date__gte=today,
                                          end_date__lte=today + datetime.timedelta(days=days))
    rows = list(qs.order_by("end_date", "id").values("id", "number", "title", "customer__name", "end_date",
                                                     "amount")[:limit])
    count = len(rows) if len(rows) < limit else qs.count()
    for r in rows:
        r["days_left"] = (r["end_date"] - today).days
    return rows, count


def agreement_suggest(*, actor: Actor, q: str, limit: int = 8) -> list[dict]:
    """Global search by number or title (either kind the tenant uses)."""
    raw = text.clean_text(q)[:100]
    if not raw:
        return []
    qs = visible(Agreement, actor).filter(Q(number__icontains=raw) | Q(title__icontains=raw))
    setting = actor.tenant.feature("agreements") or "both"
    if setting != "both":
        qs = qs.filter(kind=setting)
    return list(qs.order_by("-id").values("id", "kind", "number", "title", "customer__name")[:limit])


def numbering_rules(actor: Actor) -> dict[str, str]:
    """Every document type's pattern (the default where the tenant set none)."""
    rows = dict(visible(NumberingRule, actor).values_list("doc_type", "pattern"))
    return {str(k): rows.get(str(k)) or v for k, v in DEFAULT_PATTERNS.items()}
