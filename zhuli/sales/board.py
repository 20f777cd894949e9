"""Reads for the kanban board (销售看板) and the shared opportunity filters of the board and the funnel.

Everything starts from visible(Opportunity, actor). A column's header (count, amount, weighted amount) comes
from ONE query grouped by stage; the cards of every column from ONE more query (a window numbering the rows
of each stage, the first CARDS_PER_COLUMN kept), so the query count does not grow with the columns."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, Case, Count, F, Q, QuerySet, Sum, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

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


CARD_COLUMNS = ("id", "title", "amount", "close_date", "closed_at", "stage_id", "status", "probability",
                "stage_entered_at", "customer_id", "customer__name", "owner_id", "owner__name", "owner__is_active")


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
    closed_at: datetime.datetime | None
    stage_id: int
    status: str
    probability: int
    stage_entered_at: datetime.datetime
    customer: Named
    owner: Named

    @classmethod
    def of(cls, row: dict) -> Card:
        return cls(pk=row["id"], title=row["title"], amount=row["amount"], close_date=row["close_date"],
                   closed_at=row["closed_at"], stage_id=row["stage_id"], status=row["status"],
                   probability=row["probability"], stage_entered_at=row["stage_entered_at"],
                   customer=Named(row["customer_id"], row["customer__name"]),
                   owner=Named(row["owner_id"], row["owner__name"],
                               owner_display(row["owner__name"], row["owner__is_active"])))


def closed_day(card, zone) -> datetime.date | None:
    """The day (the tenant's) a won or lost card (a Card or an Opportunity) closed; None for an open one."""
    if card.status in (OpportunityStatus.WON, OpportunityStatus.LOST) and card.closed_at is not None:
        return timezone.localtime(card.closed_at, zone).date()
    return None


def is_overdue(card, today: datetime.date) -> bool:
    """An open card whose expected close date has passed."""
    return bool(card.close_date and card.close_date < today
                and card.status not in (OpportunityStatus.WON, OpportunityStatus.LOST))


def card_order(stage: Stage) -> tuple:
    """Cards of an open column by expected close date (soonest first, none last); of 赢单 / 输单 by when they
    closed, the latest first. Each is a range of one index, (tenant, stage, status, close_date, id) or
    (tenant, stage, closed_at, id): walking close dates for a month's wins read 45,000 index rows at 100,000."""
    if stage.kind == StageKind.OPEN:
        return F("close_date").asc(nulls_last=True), F("id").asc()
    # Plain DESC (nulls first) is the index read backwards; the closed period leaves no NULL closed_at anyway.
    return F("closed_at").desc(), F("id").desc()


def card_sort_key(stage: Stage):
    """card_order in Python, for the cards of one column once fetched."""
    if stage.kind == StageKind.OPEN:
        return lambda c: (c.close_date is None, c.close_date or datetime.date.min, c.pk)
    return lambda c: (c.closed_at is None, -(c.closed_at.timestamp() if c.closed_at else 0), -c.pk)


# A stage id no row has: it marks where a column's stage goes in the SQL compiled for its kind.
_STAGE_SLOT = -7_301_985_431


def _card_union(actor: Actor, f: BoardFilters, stages: list[Stage], limit: int) -> list[dict]:
    """PostgreSQL: one LIMITed select per column (and per status when an open column shows every not-closed
    status: status IN (…) would sort the whole column), joined by UNION ALL.

    The selects of one kind differ only in their stage, so each kind is compiled once by the ORM, from
    the same scoped queryset, with a marker where the stage goes, and the union is that SQL repeated with
    each column's stage bound there. Compiling every part cost 0.9 ms each (5.6 ms for six columns, 13 ms
    with every status) against 3 ms for running the whole query at 100,000 opportunities."""
    base = owned_by(visible(Opportunity, actor), actor, owner=f.owner, department_id=f.department)
    open_q, closed_q = _kind_conditions(actor, f)
    statuses = OPEN_STATUSES if f.status == "all" else (None,)
    compiled: dict[tuple, tuple[str, list, int]] = {}
    sql_parts, params = [], []
    for stage in stages:
        is_open = stage.kind == StageKind.OPEN
        for status in statuses if is_open else (None,):
            key = (is_open, status)
            if key not in compiled:
                qs = (base.filter(Q(stage_id=_STAGE_SLOT) & (open_q if is_open else closed_q),
                                  **({"status": status} if status else {}))
                      .values(*CARD_COLUMNS).order_by(*card_order(stage))[:limit])
                sql, part_params = qs.query.get_compiler(using=qs.db).as_sql()
                part_params = list(part_params)
                if part_params.count(_STAGE_SLOT) != 1:
                    raise AssertionError("the board's card query must bind the stage exactly once")
                compiled[key] = (sql, part_params, part_params.index(_STAGE_SLOT))
            sql, part_params, slot = compiled[key]
            sql_parts.append(f"({sql})")
            params += [*part_params[:slot], stage.pk, *part_params[slot + 1:]]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql_parts), params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _card_rows(actor: Actor, f: BoardFilters, stages: list[Stage], limit: int) -> list[dict]:
    """The first `limit` cards of every column (card_order) in ONE query: on PostgreSQL a UNION ALL of one
    LIMITed select per column (each one index range that stops after `limit` rows); elsewhere a window
    numbering each column's rows."""
    if connection.features.supports_slicing_ordering_in_compound:
        return _card_union(actor, f, stages, limit)
    # SQLite (the demo's and the tests' sizes): one window for both kinds; in a column of one kind the other
    # kind's key is NULL on every row.
    closed = [s.pk for s in stages if s.kind != StageKind.OPEN]
    open_key = Case(When(stage_id__in=closed, then=None), default=F("close_date"))
    closed_key = Case(When(stage_id__in=closed, then=F("closed_at")), default=None)
    tie = Case(When(stage_id__in=closed, then=-F("id")), default=F("id"), output_field=BigIntegerField())
    order = [open_key.asc(nulls_last=True), closed_key.desc(nulls_last=True), tie.asc()]
    ranked = (board_queryset(actor=actor, filters=f, stages=stages)
              .annotate(rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=order))
              .filter(rank__lte=limit))
    return list(ranked.values(*CARD_COLUMNS))


def board(*, actor: Actor, filters: BoardFilters | None = None, cards_per_column: int = CARDS_PER_COLUMN) -> list[Column]:
    """The columns of the board with their totals and first cards (card_order)."""
    f = filters or BoardFilters()
    stages = board_stages(actor=actor)
    columns = {s.pk: Column(stage=s) for s in stages}
    if not columns:
        return []
    # Grouped by probability too, so the weighted sum is Σ probability × Σ amount (no per-row multiplication).
    # One query: the two parts' GROUP BYs joined by UNION ALL, each still its own index range.
    grouped = [part.order_by().values("stage_id", "probability").annotate(n=Count("id"), sum_amount=Sum("amount"))
               for part in board_parts(actor=actor, filters=f, stages=stages)]
    totals = list(grouped[0].union(*grouped[1:], all=True)) if len(grouped) > 1 else list(grouped[0]) if grouped else []
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
            column.cards = sorted(column.cards, key=card_sort_key(column.stage))[:cards_per_column]
    return list(columns.values())


def board_totals(*, actor: Actor, filters: BoardFilters) -> list[Column]:
    """The column headers only (after a move): one query for the stages, one grouped query for the numbers."""
    return board(actor=actor, filters=filters, cards_per_column=0)
