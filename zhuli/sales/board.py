"""Reads for the kanban board (销售看板) and the shared opportunity filters of the board and the funnel.

Everything starts from visible(Opportunity, actor). A column's header (count, amount, weighted amount) comes
from ONE query grouped by stage; the cards of every column from ONE more query (a window numbering the rows
of each stage, the first CARDS_PER_COLUMN kept), so the query count does not grow with the columns."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible
from zhuli.accounts.models import owner_display
from zhuli.core.money import round_cents, weighted_sum

from .models import Opportunity, OpportunityStatus, Stage, StageKind
from .selectors import owned_by

CARDS_PER_COLUMN = 30
CENT = Decimal("0.01")
# Open-stage columns show one status (跟踪 by default) or every not-closed status.
OPEN_STATUSES = (OpportunityStatus.TRACKING, OpportunityStatus.ON_HOLD, OpportunityStatus.INVALID)
BOARD_STATUSES = (*(s.value for s in OPEN_STATUSES), "all")


def money(value) -> Decimal:
    """ROUND_HALF_UP to the cent (zhuli.core.money.round_cents)."""
    return round_cents(value)


def weighted(amount_times_probability) -> Decimal:
    """A column's (or funnel row's) weighted amount: the SQL sum of amount × probability (unrounded products),
    divided by 100 and rounded half-up to the cent once (zhuli.core.money.weighted_sum). A single
    opportunity's own value is zhuli.core.money.weighted_amount, the same rule on one row."""
    return weighted_sum(amount_times_probability)


def period_bounds(zone, date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[midnight of date_from, midnight after date_to) in the tenant's zone."""
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return start, end


def month_range(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    return first, (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def board_stages(*, actor: Actor) -> list[Stage]:
    """The active stages in board order: the open ones by their order, then 赢单, then 输单."""
    rank = {StageKind.OPEN: 0, StageKind.WON: 1, StageKind.LOST: 2}
    stages = list(visible(Stage, actor).filter(is_active=True).order_by("order", "id"))
    return sorted(stages, key=lambda s: (rank.get(s.kind, 0), s.order, s.pk))


@dataclass
class BoardFilters:
    owner: str = ""  # "" | me | user id
    department: int | None = None
    date_from: datetime.date | None = None  # expected close date of open ones; closing date of won/lost
    date_to: datetime.date | None = None
    status: str = OpportunityStatus.TRACKING  # of the open-stage columns; "all" = every not-closed status


@dataclass
class Column:
    stage: Stage
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    cards: list = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.count > len(self.cards)


def closed_period(actor: Actor, f: BoardFilters) -> tuple[datetime.date, datetime.date]:
    """Won/lost columns cover the filter's date range, or this month (the tenant's) without one."""
    if f.date_from or f.date_to:
        return f.date_from or datetime.date(1900, 1, 1), f.date_to or datetime.date(9999, 12, 30)
    return month_range(actor.tenant.today())


def _kind_conditions(actor: Actor, f: BoardFilters) -> tuple[Q, Q]:
    """Which opportunities the columns hold: open stages by status and expected close date, won/lost stages by
    the date they closed (closed_period)."""
    open_q = Q(status__in=OPEN_STATUSES) if f.status == "all" else Q(status=f.status or OpportunityStatus.TRACKING)
    if f.date_from:
        open_q &= Q(close_date__gte=f.date_from)
    if f.date_to:
        open_q &= Q(close_date__lte=f.date_to)
    start, end = period_bounds(actor.tenant.zone, *closed_period(actor, f))
    return open_q, Q(closed_at__gte=start, closed_at__lt=end)


def _stage_conditions(actor: Actor, f: BoardFilters, stages: list[Stage]) -> dict[int, Q]:
    open_q, closed_q = _kind_conditions(actor, f)
    return {s.pk: Q(stage_id=s.pk) & (open_q if s.kind == StageKind.OPEN else closed_q) for s in stages}


def board_queryset(*, actor: Actor, filters: BoardFilters, stages: list[Stage]) -> QuerySet:
    """Every opportunity the board counts (all columns): one condition per kind of stage, not per stage."""
    f = filters
    open_q, closed_q = _kind_conditions(actor, f)
    open_ids = [s.pk for s in stages if s.kind == StageKind.OPEN]
    closed_ids = [s.pk for s in stages if s.kind != StageKind.OPEN]
    qs = owned_by(visible(Opportunity, actor), actor, owner=f.owner, department_id=f.department)
    return qs.filter((Q(stage_id__in=open_ids) & open_q) | (Q(stage_id__in=closed_ids) & closed_q))


def board_parts(*, actor: Actor, filters: BoardFilters, stages: list[Stage]) -> list[QuerySet]:
    """board_queryset split by kind of stage. Totalled apart, each part is one index range (the covering
    sales_opp_board_totals index for the open stages) instead of an OR that sends PostgreSQL to the table."""
    open_q, closed_q = _kind_conditions(actor, filters)
    qs = owned_by(visible(Opportunity, actor), actor, owner=filters.owner, department_id=filters.department)
    parts = []
    for ids, condition in (([s.pk for s in stages if s.kind == StageKind.OPEN], open_q),
                           ([s.pk for s in stages if s.kind != StageKind.OPEN], closed_q)):
        if ids:
            parts.append(qs.filter(Q(stage_id__in=ids) & condition))
    return parts


CARD_COLUMNS = ("id", "title", "amount", "close_date", "stage_id", "status", "probability", "stage_entered_at",
                "customer_id", "customer__name", "owner_id", "owner__name", "owner__is_active")


@dataclass
class Named:
    pk: int
    name: str
    display_name: str = ""


@dataclass
class Card:
    """A card of the board: what it shows, read with values() (no model instances for 30 × N rows)."""

    pk: int
    title: str
    amount: Decimal
    close_date: datetime.date | None
    stage_id: int
    status: str
    probability: int
    stage_entered_at: datetime.datetime
    customer: Named
    owner: Named

    @classmethod
    def of(cls, row: dict) -> Card:
        return cls(pk=row["id"], title=row["title"], amount=row["amount"], close_date=row["close_date"],
                   stage_id=row["stage_id"], status=row["status"], probability=row["probability"],
                   stage_entered_at=row["stage_entered_at"],
                   customer=Named(row["customer_id"], row["customer__name"]),
                   owner=Named(row["owner_id"], row["owner__name"],
                               owner_display(row["owner__name"], row["owner__is_active"])))


def _card_rows(actor: Actor, f: BoardFilters, stages: list[Stage], limit: int) -> list[dict]:
    """The first `limit` cards of every column (by expected close date, id) in ONE query: on PostgreSQL a
    UNION ALL of one LIMITed select per column (each walks the (tenant, close_date, id) index and stops);
    elsewhere a window numbering each column's rows."""
    base = owned_by(visible(Opportunity, actor), actor, owner=f.owner, department_id=f.department)
    conditions = _stage_conditions(actor, f, stages)
    order = (F("close_date").asc(nulls_last=True), F("id").asc())
    if connection.features.supports_slicing_ordering_in_compound:
        parts = [base.filter(conditions[s.pk]).values(*CARD_COLUMNS).order_by(*order)[:limit] for s in stages]
        return list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    ranked = (board_queryset(actor=actor, filters=f, stages=stages)
              .annotate(rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=list(order)))
              .filter(rank__lte=limit))
    return list(ranked.values(*CARD_COLUMNS).order_by(*order))


def board(*, actor: Actor, filters: BoardFilters | None = None, cards_per_column: int = CARDS_PER_COLUMN) -> list[Column]:
    """The columns of the board with their totals and first cards (by expected close date, id)."""
    f = filters or BoardFilters()
    stages = board_stages(actor=actor)
    columns = {s.pk: Column(stage=s) for s in stages}
    if not columns:
        return []
    # Grouped by probability too, so the weighted sum is Σ probability × Σ amount (no per-row multiplication).
    totals = [row for part in board_parts(actor=actor, filters=f, stages=stages)
              for row in part.order_by().values("stage_id", "probability").annotate(n=Count("id"),
                                                                                    sum_amount=Sum("amount"))]
    weighted_sums: dict[int, Decimal] = {}
    for row in totals:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count += row["n"]
            column.amount += row["sum_amount"] or 0
            weighted_sums[column.stage.pk] = (weighted_sums.get(column.stage.pk, Decimal(0))
                                              + (row["sum_amount"] or 0) * row["probability"])
    for column in columns.values():
        column.amount = money(column.amount)
        column.weighted = weighted(weighted_sums.get(column.stage.pk))
    busy = [s for s in stages if columns[s.pk].count]
    if cards_per_column and busy:
        for row in _card_rows(actor, f, busy, cards_per_column):
            columns[row["stage_id"]].cards.append(Card.of(row))
        for column in columns.values():
            column.cards.sort(key=lambda c: (c.close_date is None, c.close_date or datetime.date.min, c.pk))
    return list(columns.values())


def board_totals(*, actor: Actor, filters: BoardFilters) -> list[Column]:
    """The column headers only (after a move): one query for the stages, one grouped query for the numbers."""
    return board(actor=actor, filters=filters, cards_per_column=0)
