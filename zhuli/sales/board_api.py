"""GET /api/v1/opportunities/board: the kanban board's columns (totals and first cards) as JSON, from the same
selector as the page; moving a card is POST /api/v1/opportunities/{id}/move (sales/api.py)."""
from __future__ import annotations

import datetime
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import BaseModel, Field

from zhuli.access.scoping import require
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Day, Id, Out, Ref
from zhuli.core.errors import InvalidInput

from .board import BoardFilters, board, closed_day, closed_period, is_overdue
from .models import OpportunityStatus

router = Router(tags=["opportunities"])


class BoardParams(BaseModel):
    owner: str = Field("", pattern=r"^(|me|[0-9]{1,18})$", max_length=18)
    department: Id | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    status: Literal["", "tracking", "on_hold", "invalid", "all"] = Field(
        "tracking", description="开放阶段列显示的状态；all = 全部未关闭；空 = tracking（与页面一致）")
    cards: int = Field(30, ge=0, le=100, description="每列最多返回的卡片数（0–100）")


class CardOut(Out):
    id: int
    title: str
    customer: Ref
    owner: Ref
    amount: str
    probability: int
    close_date: datetime.date | None = Field(description="预计成交日期")
    closed_on: datetime.date | None = Field(description="赢单 / 输单的日期（公司时区）；赢单、输单列按它倒序")
    status: str
    days_in_stage: int
    overdue: bool


class ColumnOut(Out):
    stage: Ref
    kind: str
    probability: int
    count: int
    amount: str
    weighted_amount: str
    cards: list[CardOut]


class BoardOut(Out):
    closed_from: datetime.date | None = Field(description="赢单、输单列统计的关闭日期起；null = 不限")
    closed_to: datetime.date | None = Field(description="关闭日期止（含）；null = 不限")
    columns: list[ColumnOut]


@router.get("/opportunities/board", response=responses(200, BoardOut, 403, 422),
            summary="销售看板：每个启用阶段一列，含数量、金额、加权金额和前 N 张卡片"
                    "（开放阶段按预计成交日期，赢单、输单按关闭时间倒序）")
def board_api(request, params: Query[BoardParams]):
    actor = actor_of(request)
    require(actor, "opportunities.view")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise InvalidInput({"date_to": _("结束日期不能早于开始日期")})
    f = BoardFilters(owner=params.owner, department=params.department, date_from=params.date_from,
                     date_to=params.date_to, status=params.status or OpportunityStatus.TRACKING)
    columns = board(actor=actor, filters=f, cards_per_column=params.cards)
    today, now, zone = actor.tenant.today(), timezone.now(), actor.tenant.zone
    closed_from, closed_to = closed_period(actor, f)
    return {
        # The open end of a one-sided range is null, not a sentinel date no other filter accepts.
        "closed_from": closed_from if closed_from.year > 1900 else None,
        "closed_to": closed_to if closed_to.year < 9999 else None,
        "columns": [{
            "stage": {"id": c.stage.pk, "name": c.stage.name}, "kind": c.stage.kind,
            "probability": c.stage.probability, "count": c.count, "amount": str(c.amount),
            "weighted_amount": str(c.weighted),
            "cards": [{
                "id": k.pk, "title": k.title, "customer": {"id": k.customer.pk, "name": k.customer.name},
                "owner": {"id": k.owner.pk, "name": k.owner.display_name}, "amount": f"{k.amount:.2f}",
                "probability": k.probability, "close_date": k.close_date, "status": k.status,
                "closed_on": closed_day(k, zone),
                "days_in_stage": max(0, (now - k.stage_entered_at).days),
                "overdue": is_overdue(k, today),
            } for k in c.cards],
        } for c in columns],
    }
