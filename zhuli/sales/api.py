"""Opportunities (销售机会) and stages over the API (DESIGN §5)."""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from zhuli.access.scoping import require
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import (
    Day,
    Id,
    Out,
    OwnerParam,
    PageParams,
    Ref,
    local,
    owner_ref,
    page_of,
    query_text,
    ref,
)
from zhuli.core.errors import InvalidInput, NotFound
from zhuli.core.money import weighted_amount

from .models import Opportunity
from .selectors import (
    OpportunityFilters,
    days_in_stage,
    opportunity_get,
    opportunity_list,
    opportunity_rows,
    stages_all,
)
from .services import (
    opportunity_create,
    opportunity_delete,
    opportunity_lose,
    opportunity_mass_update,
    opportunity_move,
    opportunity_set_status,
    opportunity_update,
    opportunity_win,
    parse_amount_filter,
)

router = Router(tags=["opportunities"])

PROBABILITY_RULE = ("赢率规则：赢率取阶段的赢率；阶段每次变更时赢率变为新阶段的赢率；手工设定的赢率（0–100）保留到下一次"
                    "阶段变更为止（与阶段在同一次请求中给出时以手工值为准）；赢单恒为 100，输单恒为 0。")
StatusCode = Literal["tracking", "won", "lost", "on_hold", "invalid"]


def _not_bool(kind: str) -> BeforeValidator:
    """JSON true/false is no number (pydantic would read true as 1)."""
    def check(value):
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "booleans are not numbers")
        return value
    return BeforeValidator(check)


IdIn = Annotated[Id, _not_bool("int_type")]
# Money and dates are checked by the services, so each bad value gets the same Chinese message everywhere.
MoneyIn = Annotated[str | int | float | None, _not_bool("decimal_type"),
                    Field(description="金额，≥ 0，最多两位小数，如 \"12000.50\"")]
ProbabilityIn = Annotated[int | str | None, _not_bool("int_type")]
# Writes refuse fields they do not know (read-only ones such as weighted_amount included), naming them.
STRICT = ConfigDict(extra="forbid")
DateIn = Annotated[str | None, Field(default=None, max_length=30, description="YYYY-MM-DD")]


def money(value) -> str:
    return f"{Decimal(value):.2f}"


def weighted(amount, probability) -> str:
    return money(weighted_amount(amount, probability))


class OpportunityRow(Out):
    id: int
    title: str
    customer: Ref
    stage: Ref
    probability: int = Field(description=PROBABILITY_RULE)
    amount: str
    weighted_amount: str = Field(description="预计金额 × 赢率")
    close_date: datetime.date | None
    status: StatusCode
    owner: Ref | None
    lost_reason: Ref | None
    source: Ref | None
    category: Ref | None
    days_in_stage: int = Field(description="在当前阶段停留的天数")
    last_followup_at: datetime.datetime | None
    created_at: datetime.datetime


class OpportunityList(Out):
    items: list[OpportunityRow]
    count: int


class OpportunityOut(OpportunityRow):
    competitors: str
    remarks: str
    stage_entered_at: datetime.datetime
    closed_at: datetime.datetime | None
    updated_at: datetime.datetime


def _row(r: dict) -> dict:
    return {
        "id": r["id"], "title": r["title"], "customer": {"id": r["customer_id"], "name": r["customer__name"]},
        "stage": {"id": r["stage_id"], "name": r["stage__name"]}, "probability": r["probability"],
        "amount": money(r["amount"]), "weighted_amount": weighted(r["amount"], r["probability"]),
        "close_date": r["close_date"], "status": r["status"],
        "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
        "lost_reason": ref(r["lost_reason_id"], r["lost_reason__name"]), "source": ref(r["source_id"], r["source__name"]),
        "category": ref(r["category_id"], r["category__name"]), "days_in_stage": days_in_stage(r["stage_entered_at"]),
        "last_followup_at": local(r["last_followup_at"]), "created_at": local(r["created_at"]),
    }


def _obj(o) -> dict | None:
    return None if o is None else {"id": o.pk, "name": o.name}


def _detail(o: Opportunity) -> dict:
    return {
        "id": o.pk, "title": o.title, "customer": _obj(o.customer), "stage": _obj(o.stage),
        "probability": o.probability, "amount": money(o.amount), "weighted_amount": weighted(o.amount, o.probability),
        "close_date": o.close_date, "status": o.status,
        "owner": owner_ref(o.owner_id, o.owner.name, o.owner.is_active), "lost_reason": _obj(o.lost_reason),
        "source": _obj(o.source), "category": _obj(o.category), "days_in_stage": days_in_stage(o.stage_entered_at),
        "last_followup_at": local(o.last_followup_at), "created_at": local(o.created_at),
        "competitors": o.competitors, "remarks": o.remarks, "stage_entered_at": local(o.stage_entered_at),
        "closed_at": local(o.closed_at), "updated_at": local(o.updated_at),
    }


def _fresh(actor, opp: Opportunity) -> dict:
    """The saved record as the caller now sees it (after a hand-over it may be out of their scope)."""
    try:
        return _detail(opportunity_get(actor=actor, opportunity_id=opp.pk))
    except NotFound:
        return _detail(opp)




class OpportunityQuery(PageParams):
    q: str = Field(default="", max_length=100, description="机会名称或客户名称（含拼音）")
    owner: OwnerParam = Field(default="", description="负责人 id 或 me；none 得到空列表（机会总有负责人）")
    department: Id | None = Field(default=None, description="负责人所在部门（含下级部门）")
    stage: Id | None = None
    status: StatusCode | None = None
    customer: Id | None = None
    close_from: Day | None = Field(default=None, description="预计成交日期起（含）")
    close_to: Day | None = Field(default=None, description="预计成交日期止（含）")
    closed_from: Day | None = Field(default=None, description="赢单/输单日期起（含，租户时区）")
    closed_to: Day | None = Field(default=None, description="赢单/输单日期止（含，租户时区）")
    amount_min: str | None = Field(default=None, max_length=20, description="预计金额下限（含）")
    amount_max: str | None = Field(default=None, max_length=20, description="预计金额上限（含）")
    stale_days: int | None = Field(default=None, ge=0, le=36500,
                                   description="跟踪中且 N 天内既无跟进也无阶段变更")


def filters_from(query) -> OpportunityFilters:
    errors: dict = {}
    amount_min = parse_amount_filter(query.amount_min, errors, "amount_min")
    amount_max = parse_amount_filter(query.amount_max, errors, "amount_max")
    if errors:
        raise InvalidInput(errors)
    return OpportunityFilters(
        q=query_text(query.q), owner=query.owner, department=query.department, stage=query.stage,
        status=query.status or "", customer=query.customer, close_from=query.close_from, close_to=query.close_to,
        closed_from=query.closed_from, closed_to=query.closed_to, amount_min=amount_min, amount_max=amount_max, stale_days=query.stale_days,
    )


@router.get("/opportunities", response=responses(200, OpportunityList, 422))
def opportunity_items(request, filters: Query[OpportunityQuery]):
    """Opportunities in the caller's scope. `sort`: id, title, amount, probability, close_date, created_at,
    updated_at, last_followup_at, stage, stage_entered_at (prefix `-` for descending); default `-id`."""
    qs = opportunity_list(actor=actor_of(request), filters=filters_from(filters), sort=filters.sort)
    return page_of(opportunity_rows(qs.select_related(None)), filters, _row, counted=qs)


@router.get("/opportunities/{int:opportunity_id}", response=responses(200, OpportunityOut, 404))
def opportunity_detail(request, opportunity_id: int):
    return _detail(opportunity_get(actor=actor_of(request), opportunity_id=opportunity_id))


class OpportunityFields(BaseModel):
    model_config = STRICT

    stage_id: IdIn | None = Field(default=None, description="默认为第一个进行中的阶段；编辑时给出当前阶段（即使已停用）视为不变")
    probability: ProbabilityIn = Field(default=None, description=PROBABILITY_RULE)
    amount: MoneyIn = None
    close_date: DateIn = None
    status: StatusCode | None = Field(default=None, description="won/lost 会移到赢单/输单阶段")
    lost_reason_id: IdIn | None = Field(default=None, description="输单原因（字典 lost_reason）")
    source_id: IdIn | None = Field(default=None, description="机会来源（字典 source）")
    category_id: IdIn | None = Field(default=None, description="机会类型（字典 opportunity_type）")
    competitors: str | None = Field(default=None, max_length=2000)
    remarks: str | None = Field(default=None, max_length=20000)
    owner_id: IdIn | None = Field(default=None, description="负责人，默认为创建者；指定他人需要转移权限")
    note: str | None = Field(default=None, max_length=2000, description="阶段说明（随阶段变更记录）")


class OpportunityIn(OpportunityFields):
    customer_id: IdIn
    title: str = Field(max_length=2000)


class OpportunityPatch(OpportunityFields):
    title: str | None = Field(default=None, max_length=2000)
    customer_id: IdIn | None = Field(default=None, description="不可修改；给出时须与原值相同")


def _payload(payload: BaseModel) -> dict:
    data = payload.model_dump(exclude_unset=True)
    return {k: ("" if v is None and k in ("close_date", "competitors", "remarks") else v) for k, v in data.items()}


@router.post("/opportunities", response=responses(201, OpportunityOut, 403, 422))
def opportunity_new(request, payload: OpportunityIn):
    """Needs `customer_id` and `title`; the stage defaults to the first open one and the owner to the caller."""
    actor = actor_of(request)
    opp = opportunity_create(actor=actor, data=_payload(payload))
    return Status(201, _fresh(actor, opp))


@router.patch("/opportunities/{int:opportunity_id}", response=responses(200, OpportunityOut, 403, 404, 409, 422))
def opportunity_edit(request, opportunity_id: int, payload: OpportunityPatch):
    """Changes the fields given; the customer cannot change. A refused status change answers 409."""
    actor = actor_of(request)
    return _fresh(actor, opportunity_update(actor=actor, opportunity_id=opportunity_id, data=_payload(payload)))


@router.delete("/opportunities/{int:opportunity_id}", response=responses(204, None, 403, 404))
def opportunity_remove(request, opportunity_id: int):
    opportunity_delete(actor=actor_of(request), opportunity_id=opportunity_id)
    return Status(204, None)


class MassUpdateIn(BaseModel):
    """Only these fields; any other (amount, probability …) is refused naming it."""

    model_config = STRICT

    ids: list[IdIn] = Field(min_length=1, max_length=500)
    stage_id: IdIn | None = None
    owner_id: IdIn | None = None
    status: StatusCode | None = None
    close_date: DateIn = None
    lost_reason_id: IdIn | None = None


class UpdatedOut(Out):
    updated: int


@router.post("/opportunities/mass-update", response=responses(200, UpdatedOut, 403, 409, 422))
def opportunity_mass(request, payload: MassUpdateIn):
    """Sets stage, owner, status and/or close date on many at once; all or nothing."""
    data = payload.model_dump(exclude_unset=True, exclude={"ids"})
    return {"updated": opportunity_mass_update(actor=actor_of(request), ids=payload.ids, data=data)}


class MoveIn(BaseModel):
    model_config = STRICT

    stage_id: IdIn
    note: str = Field(default="", max_length=2000)
    lost_reason_id: IdIn | None = Field(default=None, description="移到输单阶段时：输单原因（或填写 note）")


@router.post("/opportunities/{int:opportunity_id}/move", response=responses(200, OpportunityOut, 403, 404, 409, 422))
def opportunity_move_to(request, opportunity_id: int, payload: MoveIn):
    """Moves to another active stage; probability becomes the stage's (won 100, lost 0)."""
    actor = actor_of(request)
    opp = opportunity_move(actor=actor, opportunity_id=opportunity_id, stage_id=payload.stage_id, note=payload.note,
                           lost_reason_id=payload.lost_reason_id)
    return _fresh(actor, opp)


@router.post("/opportunities/{int:opportunity_id}/win", response=responses(200, OpportunityOut, 403, 404, 409))
def opportunity_won(request, opportunity_id: int):
    """赢单 (no body): to the won stage, probability 100, closed now. Refused (409) for lost or invalid ones."""
    actor = actor_of(request)
    return _fresh(actor, opportunity_win(actor=actor, opportunity_id=opportunity_id))


class LoseIn(BaseModel):
    model_config = STRICT

    lost_reason_id: IdIn | None = Field(default=None, description="输单原因（字典 lost_reason）；或填写 note")
    note: str = Field(default="", max_length=2000)


@router.post("/opportunities/{int:opportunity_id}/lose", response=responses(200, OpportunityOut, 403, 404, 409, 422))
def opportunity_lost(request, opportunity_id: int, payload: LoseIn):
    """输单: needs a lost reason or a note; to the lost stage, probability 0. Refused (409) for won ones."""
    actor = actor_of(request)
    opp = opportunity_lose(actor=actor, opportunity_id=opportunity_id, lost_reason_id=payload.lost_reason_id,
                           note=payload.note)
    return _fresh(actor, opp)


class StatusIn(BaseModel):
    model_config = STRICT

    status: Literal["on_hold", "invalid", "tracking"]


@router.post("/opportunities/{int:opportunity_id}/status", response=responses(200, OpportunityOut, 403, 404, 409, 422))
def opportunity_status(request, opportunity_id: int, payload: StatusIn):
    """搁置 (on_hold), 失效 (invalid) or back to tracking."""
    actor = actor_of(request)
    return _fresh(actor, opportunity_set_status(actor=actor, opportunity_id=opportunity_id, status=payload.status))


class StageOut(Out):
    id: int
    name: str
    probability: int
    kind: Literal["open", "won", "lost"]
    order: int
    is_active: bool


class StageList(Out):
    items: list[StageOut]
    count: int


@router.get("/stages", response=responses(200, StageList, 403), tags=["stages"])
def stage_items(request):
    """The tenant's pipeline in order (inactive stages included, marked)."""
    actor = actor_of(request)
    require(actor, "opportunities.view")
    rows = [{"id": s.pk, "name": s.name, "probability": s.probability, "kind": s.kind, "order": s.order,
             "is_active": s.is_active} for s in stages_all(actor)]
    return {"items": rows, "count": len(rows)}

