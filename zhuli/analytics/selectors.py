"""Read-only figures over other apps' data, always within the viewer's data scope (visible()).

The funnel's counting rule, shown on the page too: an opportunity still being followed (跟踪) counts in its
stage when its expected close date falls in the period (those without a close date are left out); a won or
lost one counts in its stage when it was closed (closed_at, in the tenant's zone) in the period; 搁置 and 失效
ones are left out. Win rate = won / (won + lost) among those closed in the period."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible
from zhuli.sales.board import board_stages, money, period_bounds, weighted
from zhuli.sales.models import Opportunity, OpportunityStatus, StageKind
from zhuli.sales.selectors import owned_by

PRESETS = ("month", "quarter", "year", "custom")


def preset_range(preset: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """本月 / 本季度 / 本年 of the tenant's `today`."""
    if preset == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    if preset == "quarter":
        first_month = (today.month - 1) // 3 * 3 + 1
        start = today.replace(month=first_month, day=1)
    else:
        start = today.replace(day=1)
    months = 3 if preset == "quarter" else 1
    following = datetime.date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


@dataclass
class FunnelRow:
    stage: object
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")
    amount_times_probability: Decimal = Decimal("0")  # unrounded Σ amount × probability, for the total


@dataclass
class Funnel:
    date_from: datetime.date
    date_to: datetime.date
    rows: list[FunnelRow] = field(default_factory=list)
    won: int = 0
    lost: int = 0

    @property
    def win_rate(self) -> Decimal | None:
        """Percent with one decimal; None when nothing closed in the period."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(self.won * 100) / closed).quantize(Decimal("0.1"))

    @property
    def total(self) -> FunnelRow:
        """合计 of the pipeline still worth something: the open stages and 赢单; 输单 is left out (its amount is
        no business). The weighted total is the rounded sum of the unrounded products (zhuli.core.money)."""
        counted = [r for r in self.rows if r.stage.kind != StageKind.LOST]
        raw = sum((r.amount_times_probability for r in counted), Decimal("0"))
        return FunnelRow(stage=None, count=sum(r.count for r in counted),
                         amount=money(sum((r.amount for r in counted), Decimal("0.00"))), weighted=weighted(raw),
                         amount_times_probability=raw)


def funnel(*, actor: Actor, date_from: datetime.date, date_to: datetime.date, department_id: int | None = None,
           owner: str = "") -> Funnel:
    """Per stage (board order) count, amount and weighted amount, plus the win rate, in one grouped query."""
    result = Funnel(date_from=date_from, date_to=date_to)
    stages = board_stages(actor=actor)
    if not stages:
        return result
    start, end = period_bounds(actor.tenant.zone, date_from, date_to)
    qs = owned_by(visible(Opportunity, actor), actor, owner=owner, department_id=department_id)
    qs = qs.filter(Q(status=OpportunityStatus.TRACKING, close_date__gte=date_from, close_date__lte=date_to)
                   | Q(status__in=(OpportunityStatus.WON, OpportunityStatus.LOST), closed_at__gte=start,
                       closed_at__lt=end))
    # Grouped by probability too, so the weighted sum is Σ probability × Σ amount (no per-row multiplication).
    rows = qs.order_by().values("stage_id", "status", "probability").annotate(n=Count("id"), sum_amount=Sum("amount"))
    by_stage: dict[int, list] = {}
    for row in rows:
        by_stage.setdefault(row["stage_id"], []).append(row)
        if row["status"] == OpportunityStatus.WON:
            result.won += row["n"]
        elif row["status"] == OpportunityStatus.LOST:
            result.lost += row["n"]
    for stage in stages:
        found = by_stage.get(stage.pk, [])
        raw = sum(((r["sum_amount"] or 0) * r["probability"] for r in found), Decimal("0"))
        result.rows.append(FunnelRow(
            stage=stage, count=sum(r["n"] for r in found), amount=money(sum((r["sum_amount"] or 0 for r in found), 0)),
            weighted=weighted(raw), amount_times_probability=raw,
        ))
    return result


def funnel_chart_rows(result: Funnel) -> list[FunnelRow]:
    """The stages a funnel chart draws: the open ones and 赢单 (输单 is in the table only)."""
    return [r for r in result.rows if r.stage.kind != StageKind.LOST]
