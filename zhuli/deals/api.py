"""Contracts, orders (two kinds of one Agreement), quotes and opportunity conversion over the API (DESIGN §5)."""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

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
from zhuli.imports.http import download
from zhuli.imports.services import export_build

from . import selectors, services
from .models import Agreement, AgreementKind, Quote
from .services import AgreementExists

router = Router(tags=["deals"])

MONEY_RULE = "金额为含税金额，两位小数的字符串；明细金额 = 数量 × 单价 × (1 − 折扣/100)，四舍五入到分；合计为各明细金额之和。"


def _not_bool(kind: str) -> BeforeValidator:
    def check(value):
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "booleans are not numbers")
        return value
    return BeforeValidator(check)


IdIn = Annotated[Id, _not_bool("int_type")]
MoneyIn = Annotated[str | int | float | None, _not_bool("decimal_type"), Field(default=None)]
DateIn = Annotated[str | None, Field(default=None, max_length=30, description="YYYY-MM-DD")]
STRICT = ConfigDict(extra="forbid")
AgreementStatusCode = Literal["draft", "pending", "active", "confirmed", "completed", "terminated", "cancelled"]
QuoteStatusCode = Literal["draft", "sent", "accepted", "rejected", "converted"]


def money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def rate(value) -> str:
    return f"{Decimal(value or 0):.6f}"


# ---- shapes ----------------------------------------------------------------------------------------

class AgreementRow(Out):
    id: int
    kind: Literal["contract", "order"]
    number: str
    title: str
    status: AgreementStatusCode
    customer: Ref
    opportunity: Ref | None
    owner: Ref | None
    sign_date: datetime.date | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    currency: str
    exchange_rate: str = Field(description="1 单位外币折合人民币，签约时固定")
    foreign_amount: str = Field(description="原币金额（currency）")
    amount: str = Field(description="本币（人民币）金额 = 原币金额 × 汇率，四舍五入到分")
    received_amount: str
    outstanding_amount: str = Field(description="max(金额 − 已回款, 0)")
    invoiced_amount: str
    planned_amount: str
    shipping_state: Literal["none", "partial", "shipped"] | None = Field(description="订单的发货状态；合同为 null")
    created_at: datetime.datetime


class AgreementList(Out):
    items: list[AgreementRow]
    count: int


class LineOut(Out):
    id: int
    product: Ref | None
    name: str
    specification: str
    unit: str
    quantity: str
    unit_price: str
    discount: str = Field(description="折扣（%）")
    tax_rate: str = Field(description="税率（%）")
    amount: str = Field(description=MONEY_RULE)


class AttachmentOut(Out):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: datetime.datetime


class AgreementOut(AgreementRow):
    customer_signer: str
    our_signer: Ref | None
    delivery_address: str
    delivery_contact: str
    delivery_phone: str
    max_discount: str
    remarks: str
    quote: Ref | None
    lines: list[LineOut]
    attachments: list[AttachmentOut]
    updated_at: datetime.datetime


def _row(r: dict) -> dict:
    return {
        "id": r["id"], "kind": r["kind"], "number": r["number"], "title": r["title"], "status": r["status"],
        "customer": {"id": r["customer_id"], "name": r["customer__name"]},
        "opportunity": ref(r["opportunity_id"], r["opportunity__title"]),
        "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
        "sign_date": r["sign_date"], "start_date": r["start_date"], "end_date": r["end_date"],
        "currency": r["currency"], "exchange_rate": rate(r["exchange_rate"]),
        "foreign_amount": money(r["foreign_amount"]), "amount": money(r["amount"]),
        "received_amount": money(r["received_amount"]),
        "outstanding_amount": money(max(r["amount"] - r["received_amount"], 0)),
        "invoiced_amount": money(r["invoiced_amount"]), "planned_amount": money(r["planned_amount"]),
        "shipping_state": r["shipping_state"] or None, "created_at": local(r["created_at"]),
    }


def _line(line) -> dict:
    return {"id": line.pk, "product": ref(line.product_id, line.product.name if line.product_id else ""),
            "name": line.name, "specification": line.specification, "unit": line.unit,
            "quantity": money(line.quantity), "unit_price": money(line.unit_price), "discount": money(line.discount),
            "tax_rate": money(line.tax_rate), "amount": money(line.amount)}


def _detail(a: Agreement) -> dict:
    row = {
        "id": a.pk, "kind": a.kind, "number": a.number, "title": a.title, "status": a.status,
        "customer": {"id": a.customer_id, "name": a.customer.name},
        "opportunity": ref(a.opportunity_id, a.opportunity.title if a.opportunity_id else ""),
        "owner": owner_ref(a.owner_id, a.owner.name, a.owner.is_active),
        "sign_date": a.sign_date, "start_date": a.start_date, "end_date": a.end_date, "currency": a.currency,
        "exchange_rate": rate(a.exchange_rate), "foreign_amount": money(a.foreign_amount), "amount": money(a.amount),
        "received_amount": money(a.received_amount), "outstanding_amount": money(a.outstanding_amount),
        "invoiced_amount": money(a.invoiced_amount), "planned_amount": money(a.planned_amount),
        "shipping_state": a.shipping_state or None, "created_at": local(a.created_at),
        "customer_signer": a.customer_signer,
        "our_signer": ref(a.our_signer_id, a.our_signer.name if a.our_signer_id else ""),
        "delivery_address": a.delivery_address, "delivery_contact": a.delivery_contact,
        "delivery_phone": a.delivery_phone, "max_discount": money(a.max_discount), "remarks": a.remarks,
        "quote": ref(a.quote_id, a.quote.number if a.quote_id else ""),
        "lines": [_line(line) for line in selectors.agreement_lines(a)],
        "attachments": [{"id": f.pk, "name": f.original_name, "content_type": f.content_type, "size": f.size,
                         "uploaded_at": local(f.uploaded_at)} for f in selectors.agreement_attachments(a)],
        "updated_at": local(a.updated_at),
    }
    return row


def _fresh(actor, agreement: Agreement) -> dict:
    try:
        return _detail(selectors.agreement_get(actor=actor, agreement_id=agreement.pk))
    except NotFound:
        return _detail(agreement)


class AgreementQuery(PageParams):
    q: str = Field(default="", max_length=100, description="编号、标题或客户名称（含拼音）")
    owner: OwnerParam = Field(default="", description="负责人 id 或 me")
    status: AgreementStatusCode | None = None
    customer: Id | None = None
    opportunity: Id | None = None
    sign_from: Day | None = Field(default=None, description="签约日期起（含）")
    sign_to: Day | None = Field(default=None, description="签约日期止（含）")
    end_from: Day | None = Field(default=None, description="结束日期起（含）")
    end_to: Day | None = Field(default=None, description="结束日期止（含）")
    amount_min: str | None = Field(default=None, max_length=20, description="金额下限（含，本币）")
    amount_max: str | None = Field(default=None, max_length=20, description="金额上限（含，本币）")


def filters_from(query) -> selectors.AgreementFilters:
    errors: dict = {}
    amount_min = services.parse_amount_filter(query.amount_min, errors, "amount_min")
    amount_max = services.parse_amount_filter(query.amount_max, errors, "amount_max")
    if errors:
        raise InvalidInput(errors)
    return selectors.AgreementFilters(
        q=query_text(query.q), owner=query.owner, status=query.status or "", customer=query.customer,
        opportunity=query.opportunity, sign_from=query.sign_from, sign_to=query.sign_to,
        end_from=getattr(query, "end_from", None), end_to=getattr(query, "end_to", None),
        amount_min=amount_min, amount_max=amount_max)


class LineIn(BaseModel):
    model_config = STRICT

    product_id: IdIn | None = Field(default=None, description="产品；合同可不选产品（自由文本项目），订单必选实物产品")
    name: str | None = Field(default=None, max_length=2000, description="默认取产品名称")
    specification: str | None = Field(default=None, max_length=2000)
    unit: str | None = Field(default=None, max_length=200)
    quantity: MoneyIn = Field(default=None, description="数量 > 0，最多两位小数；默认 1")
    unit_price: MoneyIn = Field(default=None, description="单价（含税），默认取产品标准价格")
    discount: MoneyIn = Field(default=None, description="折扣（%），0–100")
    tax_rate: MoneyIn = Field(default=None, description="税率（%），0–100，默认取产品税率")


class AgreementFields(BaseModel):
    model_config = STRICT

    opportunity_id: IdIn | None = Field(default=None, description="销售机会（须属于该客户；一个机会只能转一次）")
    owner_id: IdIn | None = Field(default=None, description="负责人，默认为创建者；指定他人需要转移权限")
    sign_date: DateIn = None
    start_date: DateIn = Field(default=None, description="合同")
    end_date: DateIn = Field(default=None, description="合同；不早于开始日期")
    customer_signer: str | None = Field(default=None, max_length=2000, description="合同")
    our_signer_id: IdIn | None = Field(default=None, description="合同")
    delivery_address: str | None = Field(default=None, max_length=2000, description="订单")
    delivery_contact: str | None = Field(default=None, max_length=2000, description="订单")
    delivery_phone: str | None = Field(default=None, max_length=2000, description="订单")
    currency: str | None = Field(default=None, max_length=10, description="CNY、USD、EUR、HKD、JPY 或 GBP")
    exchange_rate: MoneyIn = Field(default=None, description="外币时必填：1 单位外币折合人民币，> 0，最多六位小数")
    amount: MoneyIn = Field(default=None, description="原币金额；有明细时由明细计算（可不填）")
    remarks: str | None = Field(default=None, max_length=20000)
    lines: list[LineIn] | None = Field(default=None, max_length=1000, description=MONEY_RULE)


class AgreementIn(AgreementFields):
    customer_id: IdIn
    title: str = Field(max_length=2000)


class AgreementPatch(AgreementFields):
    customer_id: IdIn | None = None
    title: str | None = Field(default=None, max_length=2000)


BLANKABLE = ("sign_date", "start_date", "end_date", "customer_signer", "delivery_address", "delivery_contact",
             "delivery_phone", "remarks", "our_signer_id", "opportunity_id")


def _payload(payload: BaseModel) -> tuple[dict, list | None]:
    data = payload.model_dump(exclude_unset=True)
    lines = data.pop("lines", None)
    data = {k: ("" if v is None and k in BLANKABLE else v) for k, v in data.items()}
    return data, lines


class CommentIn(BaseModel):
    model_config = STRICT

    comment: str = Field(default="", max_length=500)


class ReasonIn(BaseModel):
    model_config = STRICT

    reason: str = Field(default="", max_length=500)


def _mount(kind: str, plural: str) -> None:
    """The same endpoints for /contracts and /orders (two kinds of one table)."""
    label = "合同" if kind == AgreementKind.CONTRACT else "订单"
    param = f"{kind}_id"

    def items(request, filters: Query[AgreementQuery]):
        qs = selectors.agreement_list(actor=actor_of(request), kind=kind, filters=filters_from(filters),
                                      sort=filters.sort)
        return page_of(selectors.agreement_rows(qs), filters, _row, counted=qs)

    items.__doc__ = (f"{label} in the caller's scope. `sort`: id, number, title, amount, sign_date, end_date, "
                     "received_amount, created_at, updated_at (prefix `-` for descending); default `-id`.")
    router.add_api_operation(f"/{plural}", ["GET"], items, response=responses(200, AgreementList, 422),
                             url_name=f"{kind}_items", operation_id=f"{kind}_items", tags=[plural])

    def create(request, payload: AgreementIn):
        actor = actor_of(request)
        data, lines = _payload(payload)
        try:
            agreement = services.agreement_create(actor=actor, kind=kind, data=data, lines=lines)
        except AgreementExists as exc:
            return Status(409, _exists(exc))
        return Status(201, _fresh(actor, agreement))

    create.__doc__ = f"A draft {kind}: needs `customer_id` and `title`; the number comes from the numbering rule."
    router.add_api_operation(f"/{plural}", ["POST"], create, response=responses(201, AgreementOut, 403, 409, 422),
                             url_name=f"{kind}_create", operation_id=f"{kind}_create", tags=[plural])

    def detail(request, **kw):
        return _detail(selectors.agreement_get(actor=actor_of(request), agreement_id=kw[param], kind=kind))

    def edit(request, payload: AgreementPatch, **kw):
        actor = actor_of(request)
        data, lines = _payload(payload)
        try:
            agreement = services.agreement_update(actor=actor, agreement_id=kw[param], data=data, lines=lines,
                                                  kind=kind)
        except AgreementExists as exc:
            return Status(409, _exists(exc))
        return _fresh(actor, agreement)

    def remove(request, **kw):
        services.agreement_delete(actor=actor_of(request), agreement_id=kw[param], kind=kind)
        return Status(204, None)

    path = f"/{plural}/{{int:{param}}}"
    _with_id(detail, param)
    _with_id(remove, param)
    _with_id(edit, param, payload=AgreementPatch)
    router.add_api_operation(path, ["GET"], detail, response=responses(200, AgreementOut, 404),
                             url_name=f"{kind}_detail", operation_id=f"{kind}_detail", tags=[plural])
    router.add_api_operation(path, ["PATCH"], edit, response=responses(200, AgreementOut, 403, 404, 409, 422),
                             url_name=f"{kind}_edit", operation_id=f"{kind}_edit", tags=[plural],
                             description="已提交或已审批的单据不能改金额、明细、币种、客户、签约日期（409，指出字段）")
    router.add_api_operation(path, ["DELETE"], remove, response=responses(204, None, 403, 404, 409),
                             url_name=f"{kind}_delete", operation_id=f"{kind}_delete", tags=[plural],
                             description="只能删除草稿")

    actions = {
        "submit": (None, lambda actor, pk, body: services.agreement_submit(actor=actor, agreement_id=pk, kind=kind),
                   "草稿 → 待审批；没有匹配的审批规则时直接生效"),
        "approve": (CommentIn, lambda actor, pk, body: services.agreement_decide(
            actor=actor, agreement_id=pk, decision="approve", comment=body.comment, kind=kind),
            "同意当前审批步骤（没有待审批的申请：409）"),
        "reject": (CommentIn, lambda actor, pk, body: services.agreement_decide(
            actor=actor, agreement_id=pk, decision="reject", comment=body.comment, kind=kind),
            "驳回，单据回到草稿（没有待审批的申请：409）"),
        "withdraw": (None, lambda actor, pk, body: services.agreement_withdraw(actor=actor, agreement_id=pk,
                                                                                kind=kind), "撤回审批，回到草稿"),
        "complete": (None, lambda actor, pk, body: services.agreement_complete(actor=actor, agreement_id=pk,
                                                                                kind=kind), "执行完毕，标记为已完成"),
    }
    if kind == AgreementKind.CONTRACT:
        actions["terminate"] = (ReasonIn, lambda actor, pk, body: services.contract_terminate(
            actor=actor, agreement_id=pk, reason=body.reason), "执行中的合同提前终止")
    else:
        actions["cancel"] = (ReasonIn, lambda actor, pk, body: services.order_cancel(
            actor=actor, agreement_id=pk, reason=body.reason), "取消订单（已有回款时 409）")
    for action, (schema, call, description) in actions.items():
        _mount_action(kind, plural, param, action, schema, call, description)


def _with_id(func, param: str, payload=None) -> None:
    """Gives a generated endpoint its real signature (ninja reads the path parameter from it)."""
    import inspect

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, annotation=int)]
    if payload is not None:
        params.insert(1, inspect.Parameter("payload", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=payload))
    func.__signature__ = inspect.Signature(params)


def _mount_action(kind, plural, param, action, schema, call, description) -> None:
    if schema is None:
        def endpoint(request, **kw):
            actor = actor_of(request)
            return _fresh(actor, call(actor, kw[param], None))
        _with_id(endpoint, param)
    else:
        def endpoint(request, payload, **kw):
            actor = actor_of(request)
            return _fresh(actor, call(actor, kw[param], payload))
        _with_id(endpoint, param, payload=schema)
    router.add_api_operation(f"/{plural}/{{int:{param}}}/{action}", ["POST"], endpoint,
                             response=responses(200, AgreementOut, 403, 404, 409, 422),
                             url_name=f"{kind}_{action}", operation_id=f"{kind}_{action}", tags=[plural],
                             description=description)


def _exists(exc: AgreementExists) -> dict:
    existing = {"number": exc.existing.number, "kind": exc.existing.kind}
    if exc.visible_to_actor:
        existing["id"] = exc.existing.pk
    return {"detail": exc.message, "code": exc.code, "existing": existing}


_mount(AgreementKind.CONTRACT, "contracts")
_mount(AgreementKind.ORDER, "orders")


class ConvertIn(BaseModel):
    model_config = STRICT

    kind: Literal["contract", "order"]


class ExistingOut(Out):
    number: str
    kind: str
    id: int | None = None


class ExistsOut(Out):
    detail: str
    code: str
    existing: ExistingOut


@router.post("/opportunities/{int:opportunity_id}/convert",
             response=responses(201, AgreementOut, 403, 404, 422, conflict=ExistsOut), tags=["opportunities"])
def opportunity_convert(request, opportunity_id: int, payload: ConvertIn):
    """A won opportunity becomes a draft contract or order (once: 409 names the existing one; its id only when
    the caller may open it). Not won: 409."""
    actor = actor_of(request)
    try:
        agreement = services.agreement_from_opportunity(actor=actor, opportunity_id=opportunity_id,
                                                        kind=payload.kind)
    except AgreementExists as exc:
        return Status(409, _exists(exc))
    return Status(201, _fresh(actor, agreement))


# ---- quotes ----------------------------------------------------------------------------------------

class QuoteRow(Out):
    id: int
    number: str
    title: str
    status: QuoteStatusCode
    customer: Ref
    opportunity: Ref | None
    owner: Ref | None
    quote_date: datetime.date
    valid_until: datetime.date | None
    total: str = Field(description=MONEY_RULE)
    created_at: datetime.datetime


class QuoteList(Out):
    items: list[QuoteRow]
    count: int


class QuoteOut(QuoteRow):
    contact_name: str
    remarks: str
    lines: list[LineOut]
    updated_at: datetime.datetime


def _quote_row(r: dict) -> dict:
    return {"id": r["id"], "number": r["number"], "title": r["title"], "status": r["status"],
            "customer": {"id": r["customer_id"], "name": r["customer__name"]},
            "opportunity": ref(r["opportunity_id"], r["opportunity__title"]),
            "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
            "quote_date": r["quote_date"], "valid_until": r["valid_until"], "total": money(r["total"]),
            "created_at": local(r["created_at"])}


def _quote_detail(q: Quote) -> dict:
    return {"id": q.pk, "number": q.number, "title": q.title, "status": q.status,
            "customer": {"id": q.customer_id, "name": q.customer.name},
            "opportunity": ref(q.opportunity_id, q.opportunity.title if q.opportunity_id else ""),
            "owner": owner_ref(q.owner_id, q.owner.name, q.owner.is_active), "quote_date": q.quote_date,
            "valid_until": q.valid_until, "total": money(q.total), "created_at": local(q.created_at),
            "contact_name": q.contact_name, "remarks": q.remarks,
            "lines": [_line(line) for line in selectors.quote_lines(q)], "updated_at": local(q.updated_at)}


def _quote_fresh(actor, quote: Quote) -> dict:
    try:
        return _quote_detail(selectors.quote_get(actor=actor, quote_id=quote.pk))
    except NotFound:
        return _quote_detail(quote)


class QuoteQuery(PageParams):
    q: str = Field(default="", max_length=100, description="编号、主题或客户名称")
    owner: OwnerParam = ""
    status: QuoteStatusCode | None = None
    customer: Id | None = None
    opportunity: Id | None = None
    sign_from: Day | None = Field(default=None, description="报价日期起（含）")
    sign_to: Day | None = Field(default=None, description="报价日期止（含）")
    amount_min: str | None = Field(default=None, max_length=20)
    amount_max: str | None = Field(default=None, max_length=20)


class QuoteFields(BaseModel):
    model_config = STRICT

    opportunity_id: IdIn | None = None
    owner_id: IdIn | None = None
    quote_date: DateIn = Field(default=None, description="默认今天")
    valid_until: DateIn = None
    contact_name: str | None = Field(default=None, max_length=2000)
    remarks: str | None = Field(default=None, max_length=20000)
    status: Literal["draft", "sent", "accepted", "rejected"] | None = None
    lines: list[LineIn] | None = Field(default=None, max_length=1000, description=MONEY_RULE)


class QuoteIn(QuoteFields):
    customer_id: IdIn
    title: str = Field(max_length=2000)


class QuotePatch(QuoteFields):
    customer_id: IdIn | None = Field(default=None, description="不可修改")
    title: str | None = Field(default=None, max_length=2000)


def _quote_payload(payload: BaseModel) -> tuple[dict, list | None]:
    data = payload.model_dump(exclude_unset=True)
    lines = data.pop("lines", None)
    blankable = ("valid_until", "contact_name", "remarks", "opportunity_id")
    return {k: ("" if v is None and k in blankable else v) for k, v in data.items()}, lines


@router.get("/quotes", response=responses(200, QuoteList, 422), tags=["quotes"])
def quote_items(request, filters: Query[QuoteQuery]):
    """Quotes in the caller's scope; `sort`: id, number, title, total, quote_date, valid_until, created_at."""
    qs = selectors.quote_list(actor=actor_of(request), filters=filters_from(filters), sort=filters.sort)
    return page_of(selectors.quote_rows(qs), filters, _quote_row, counted=qs)


@router.post("/quotes", response=responses(201, QuoteOut, 403, 422), tags=["quotes"])
def quote_new(request, payload: QuoteIn):
    actor = actor_of(request)
    data, lines = _quote_payload(payload)
    return Status(201, _quote_fresh(actor, services.quote_create(actor=actor, data=data, lines=lines)))


@router.get("/quotes/{int:quote_id}", response=responses(200, QuoteOut, 404), tags=["quotes"])
def quote_detail(request, quote_id: int):
    return _quote_detail(selectors.quote_get(actor=actor_of(request), quote_id=quote_id))


@router.patch("/quotes/{int:quote_id}", response=responses(200, QuoteOut, 403, 404, 409, 422), tags=["quotes"])
def quote_edit(request, quote_id: int, payload: QuotePatch):
    actor = actor_of(request)
    data, lines = _quote_payload(payload)
    return _quote_fresh(actor, services.quote_update(actor=actor, quote_id=quote_id, data=data, lines=lines))


@router.delete("/quotes/{int:quote_id}", response=responses(204, None, 403, 404, 409), tags=["quotes"])
def quote_remove(request, quote_id: int):
    services.quote_delete(actor=actor_of(request), quote_id=quote_id)
    return Status(204, None)


@router.post("/quotes/{int:quote_id}/convert", response=responses(201, AgreementOut, 403, 404, 409, 422),
             tags=["quotes"])
def quote_to_agreement(request, quote_id: int, payload: ConvertIn):
    """The quote becomes a draft contract or order with its lines (once)."""
    actor = actor_of(request)
    try:
        agreement = services.quote_convert(actor=actor, quote_id=quote_id, kind=payload.kind)
    except AgreementExists as exc:
        return Status(409, _exists(exc))
    return Status(201, _fresh(actor, agreement))


# ---- exports ---------------------------------------------------------------------------------------

def _export(resource: str):
    def endpoint(request):
        filename, content_type, body = export_build(actor=actor_of(request), resource=resource,
                                                    fmt=request.GET.get("format") or "xlsx", params=request.GET)
        return download(filename, content_type, body)

    endpoint.__doc__ = f"The {resource} list as xlsx or csv (`format`), with the list's filters."
    router.add_api_operation(f"/exports/{resource}", ["GET"], endpoint, response=responses(200, None, 403, 422),
                             url_name=f"export_{resource}", operation_id=f"export_{resource}", tags=["exports"])


for _resource in ("contracts", "orders", "quotes"):
    _export(_resource)
