"""GET /api/v1/analytics/funnel: the funnel page's numbers (one selector), money as decimal strings."""
from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import BaseModel, Field

from zhuli.access.scoping import require
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Day, Id, Out, OwnerParam, Ref
from zhuli.core.errors import InvalidInput
from zhuli.sales.selectors import department_choices

from .selectors import funnel, preset_range

router = Router(tags=["analytics"])


class FunnelParams(BaseModel):
    date_from: Day | None = None
    date_to: Day | None = None
    department: Id | None = None
    owner: OwnerParam = ""


class FunnelStageOut(Out):
    stage: Ref
    kind: str  # open | won | lost
    probability: int
    count: int
    amount: str
    weighted_amount: str


class FunnelTotalOut(Out):
    """合计 of the open stages and 赢单 (输单 not included)."""

    count: int
    amount: str
    weighted_amount: str


class FunnelOut(Out):
    date_from: datetime.date
    date_to: datetime.date
    stages: list[FunnelStageOut]
    total: FunnelTotalOut = Field(description="合计（跟踪中各阶段 + 赢单，不含输单）")
    won: int
    lost: int
    win_rate: str | None  # percent, one decimal, e.g. "33.3"; null when nothing closed in the period


@router.get("/analytics/funnel", response=responses(200, FunnelOut, 403, 422),
            summary="销售漏斗：各阶段数量、金额、加权金额与赢率（默认本月，数据范围内）")
def funnel_api(request, params: Query[FunnelParams]):
    actor = actor_of(request)
    require(actor, "opportunities.view")
    date_from, date_to = params.date_from, params.date_to
    if not (date_from and date_to):
        month_start, month_end = preset_range("month", actor.tenant.today())
        date_from, date_to = date_from or month_start, date_to or month_end
    if date_from > date_to:
        raise InvalidInput({"date_to": _("结束日期不能早于开始日期")})
    department = params.department
    if department is not None and department not in {d.pk for d in department_choices(actor=actor)}:
        raise InvalidInput({"department": _("部门不存在或不在您的数据范围内")})
    if params.owner == "none":
        raise InvalidInput({"owner": _("销售机会总有负责人")})
    result = funnel(actor=actor, date_from=date_from, date_to=date_to, department_id=department, owner=params.owner)
    total = result.total
    return {
        "date_from": result.date_from, "date_to": result.date_to,
        "stages": [{"stage": {"id": r.stage.pk, "name": r.stage.name}, "kind": r.stage.kind,
                    "probability": r.stage.probability, "count": r.count, "amount": str(r.amount),
                    "weighted_amount": str(r.weighted)} for r in result.rows],
        "total": {"count": total.count, "amount": str(total.amount), "weighted_amount": str(total.weighted)},
        "won": result.won, "lost": result.lost,
        "win_rate": None if result.win_rate is None else str(result.win_rate),
    }
