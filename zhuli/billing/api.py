"""Payment plans, payments, invoices and receivables over the API (DESIGN §5). Money is a decimal string with two
places in the agreement's currency (`amount`) and in CNY (`base_amount`, plans and receivables)."""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
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

from . import selectors, services
from .selectors import BillingFilters, plan_display_status

router = Router(tags=["billing"])


def _not_bool(kind: str) -> BeforeValidator:
    def check(value):
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "booleans are not numbers")
        return value
    return BeforeValidator(check)


IdIn = Annotated[Id, _not_bool("int_type")]
MoneyIn = Annotated[str | int | float, _not_bool("decimal_type"), Field(description="金额，> 0，最多两位小数，如 \"1200.50\"")]
DateIn = Annotated[str, Field(max_length=30, description="YYYY-MM-DD")]
STRICT = ConfigDict(extra="forbid")


def money(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def _agreement_ref(r: dict) -> dict:
    return {"id": r["agreement_id"], "name": f'{r["agreement__number"]} {r["agreement__title"]}'.strip(),
            "kind": r["agreement__kind"]}


class AgreementRef(Ref):
    kind: Literal["contract", "order"]


class _Query(PageParams):
    q: str = Field(default="", max_length=100, description="合同/订单编号、标题或客户名称")
    owner: OwnerParam = Field(default="", description="负责人 id 或 me")
    department: Id | None = None
    customer: Id | None = None
    agreement: Id | None = None
    kind: Literal["contract", "order"] | None = None
    date_from: Day | None = None
    date_to: Day | None = None


def _filters(query, **extra) -> BillingFilters:
    return BillingFilters(q=query_text(query.q), owner=query.owner if query.owner != "none" else "0",
                          department=query.department, customer=query.customer, agreement=query.agreement,
                          kind=query.kind or "", date_from=query.date_from, date_to=query.date_to, **extra)


# ---- plans -------------------------------------------------------------------------------------------

PlanStatusCode = Literal["unpaid", "partial", "paid", "overdue"]


class PlanOut(Out):
    id: int
    agreement: AgreementRef
    customer: Ref
    owner: Ref | None
    number: int
    due_date: datetime.date
    amount: str
    received_amount: str
    balance: str
    status: PlanStatusCode = Field(description="未回款 unpaid / 部分回款 partial / 已回款 paid；逾期 overdue 为未结清且过期")
    remark: str


class PlanList(Out):
    items: list[PlanOut]
    count: int


def _plan_row(today):
    def row(r: dict) -> dict:
        return {"id": r["id"], "agreement": _agreement_ref(r), "customer": ref(r["customer_id"], r["customer__name"]),
                "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]), "number": r["number"],
                "due_date": r["due_date"], "amount": money(r["amount"]), "received_amount": money(r["received_amount"]),
                "balance": money(r["amount"] - r["received_amount"]), "status": plan_display_status(r, today),
                "remark": r["remark"]}
    return row


def _plan_out(actor, plan_id: int) -> dict:
    qs = selectors.plan_list(actor=actor, filters=BillingFilters()).filter(pk=plan_id)
    rows = list(qs.values(*selectors.PLAN_COLUMNS))
    return _plan_row(actor.tenant.today())(rows[0]) if rows else {}


class PlanQuery(_Query):
    status: Literal["unpaid", "partial", "paid", "overdue", "open"] | None = None


@router.get("/payment-plans", response=responses(200, PlanList, 422))
def plan_items(request, query: Query[PlanQuery]):
    """Instalments in scope; `date_from`/`date_to` bound the due date; `status=overdue` (or `open`). `sort`: due_date
    (default), amount, number, id."""
    actor = actor_of(request)
    qs = selectors.plan_list(actor=actor, filters=_filters(query, status=query.status or ""), sort=query.sort)
    return page_of(qs.values(*selectors.PLAN_COLUMNS), query, _plan_row(actor.tenant.today()), counted=qs)


@router.get("/payment-plans/{int:plan_id}", response=responses(200, PlanOut, 404))
def plan_detail(request, plan_id: int):
    actor = actor_of(request)
    selectors.plan_get(actor=actor, plan_id=plan_id)
    return _plan_out(actor, plan_id)


class PlanIn(BaseModel):
    model_config = STRICT

    agreement_id: IdIn
    due_date: DateIn
    amount: MoneyIn = Field(description="计划金额（本币），各期合计不超过合同/订单金额")
    remark: str = Field(default="", max_length=200)


@router.post("/payment-plans", response=responses(201, PlanOut, 403, 404, 409, 422))
def plan_new(request, payload: PlanIn):
    actor = actor_of(request)
    data = payload.model_dump(exclude={"agreement_id"})
    plan = services.plan_add(actor=actor, agreement_id=payload.agreement_id, data=data)
    return Status(201, _plan_out(actor, plan.pk))


class GenerateIn(BaseModel):
    model_config = STRICT

    agreement_id: IdIn
    count: int | None = Field(default=None, ge=1, le=60, description="等额分期的期数")
    percentages: list[str | int | float] | None = Field(default=None, max_length=60,
                                                        description="按比例分期，如 [30, 40, 30]，合计 100")
    first_due: DateIn
    interval_months: int = Field(default=1, ge=1, le=24)
    amount: MoneyIn | None = Field(default=None, description="参与分期的金额，默认为合同/订单金额")


class GeneratedOut(Out):
    items: list[PlanOut]
    count: int


@router.post("/payment-plans/generate", response=responses(201, GeneratedOut, 403, 404, 409, 422))
def plan_generate(request, payload: GenerateIn):
    """Replaces the agreement's instalments (none may have received money): equal split (`count`) or
    `percentages`; the rounding remainder goes on the FIRST instalment (5.47 in three = 1.83 + 1.82 + 1.82)."""
    actor = actor_of(request)
    services.plan_generate(actor=actor, agreement_id=payload.agreement_id, count=payload.count,
                           percentages=payload.percentages, first_due=payload.first_due,
                           interval_months=payload.interval_months, amount=payload.amount)
    qs = selectors.plan_list(actor=actor, filters=BillingFilters(agreement=payload.agreement_id), sort="number")
    rows = [_plan_row(actor.tenant.today())(r) for r in qs.values(*selectors.PLAN_COLUMNS)]
    return Status(201, {"items": rows, "count": len(rows)})


class PlanPatch(BaseModel):
    model_config = STRICT

    due_date: DateIn | None = None
    amount: MoneyIn | None = None
    remark: str | None = Field(default=None, max_length=200)


@router.patch("/payment-plans/{int:plan_id}", response=responses(200, PlanOut, 403, 404, 409, 422))
def plan_edit(request, plan_id: int, payload: PlanPatch):
    actor = actor_of(request)
    data = {k: ("" if v is None else v) for k, v in payload.model_dump(exclude_unset=True).items()}
    services.plan_update(actor=actor, plan_id=plan_id, data=data)
    return _plan_out(actor, plan_id)


@router.delete("/payment-plans/{int:plan_id}", response=responses(204, None, 403, 404, 409))
def plan_remove(request, plan_id: int):
    services.plan_delete(actor=actor_of(request), plan_id=plan_id)
    return Status(204, None)


# ---- payments ----------------------------------------------------------------------------------------

class PaymentOut(Out):
    id: int
    number: str
    agreement: AgreementRef
    customer: Ref
    owner: Ref | None
    plan: Ref | None = Field(description="所结算的回款计划（期次）")
    paid_on: datetime.date
    amount: str = Field(description="合同/订单币种")
    currency: str
    base_amount: str = Field(description="本币（CNY）")
    method: Ref | None
    payer: str
    remark: str
    status: Literal["recorded", "confirmed", "rejected"] = Field(description="待确认 / 已确认 / 已退回")
    reject_reason: str = Field(description="退回原因（财务退回时填写）")
    is_overpayment: bool = Field(description="超额回款")
    recorded_by: Ref | None
    confirmed_at: datetime.datetime | None
    created_at: datetime.datetime


class PaymentList(Out):
    items: list[PaymentOut]
    count: int


def _payment_row(r: dict) -> dict:
    return {"id": r["id"], "number": r["number"], "agreement": _agreement_ref(r),
            "customer": ref(r["customer_id"], r["customer__name"]),
            "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
            "plan": ref(r["plan_id"], f'第 {r["plan__number"]} 期' if r["plan_id"] else ""), "paid_on": r["paid_on"],
            "amount": money(r["amount"]), "currency": r["agreement__currency"], "base_amount": money(r["base_amount"]),
            "method": ref(r["method_id"], r["method__name"]), "payer": r["payer"], "remark": r["remark"],
            "status": r["status"], "reject_reason": r["reject_reason"], "is_overpayment": r["is_overpayment"],
            "recorded_by": ref(r["recorded_by_id"], r["recorded_by__name"]), "confirmed_at": local(r["confirmed_at"]),
            "created_at": local(r["created_at"])}


def _payment_out(actor, payment_id: int) -> dict:
    rows = list(selectors.payment_list(actor=actor).filter(pk=payment_id).values(*selectors.PAYMENT_COLUMNS))
    return _payment_row(rows[0]) if rows else {}


class PaymentQuery(_Query):
    status: Literal["recorded", "confirmed", "rejected"] | None = None
    method: Id | None = None


@router.get("/payments", response=responses(200, PaymentList, 422))
def payment_items(request, query: Query[PaymentQuery]):
    """Payments in scope; `date_from`/`date_to` bound the payment date. `sort`: paid_on, amount, created_at, id
    (default `-paid_on`)."""
    actor = actor_of(request)
    qs = selectors.payment_list(actor=actor, filters=_filters(query, status=query.status or "", method=query.method),
                                sort=query.sort)
    return page_of(qs.values(*selectors.PAYMENT_COLUMNS), query, _payment_row, counted=qs)


@router.get("/payments/{int:payment_id}", response=responses(200, PaymentOut, 404))
def payment_detail(request, payment_id: int):
    actor = actor_of(request)
    selectors.payment_get(actor=actor, payment_id=payment_id)
    return _payment_out(actor, payment_id)


class PaymentIn(BaseModel):
    model_config = STRICT

    agreement_id: IdIn
    paid_on: DateIn = Field(description="回款日期，不早于签约日期")
    amount: MoneyIn
    method_id: IdIn | None = Field(default=None, description="回款方式（字典 payment_method）")
    payer: str = Field(default="", max_length=200)
    plan_id: IdIn | None = Field(default=None, description="结算的回款计划；不填则确认时结算最早未结清的一期")
    remark: str = Field(default="", max_length=300)
    is_overpayment: StrictBool = Field(default=False, description="超出未回款金额时须为 true（超额回款）")


@router.post("/payments", response=responses(201, PaymentOut, 403, 404, 409, 422))
def payment_new(request, payload: PaymentIn):
    """登记回款. Finance's are confirmed at once; others wait (status `recorded`) for finance to confirm."""
    actor = actor_of(request)
    payment = services.payment_record(actor=actor, agreement_id=payload.agreement_id,
                                      data=payload.model_dump(exclude={"agreement_id"}))
    return Status(201, _payment_out(actor, payment.pk))


@router.post("/payments/{int:payment_id}/confirm", response=responses(200, PaymentOut, 403, 404, 409, 422))
def payment_confirm(request, payment_id: int):
    """Finance only."""
    actor = actor_of(request)
    services.payment_confirm(actor=actor, payment_id=payment_id)
    return _payment_out(actor, payment_id)


class ReasonIn(BaseModel):
    model_config = STRICT

    reason: str = Field(default="", max_length=200)


@router.post("/payments/{int:payment_id}/reject", response=responses(200, PaymentOut, 403, 404, 409, 422))
def payment_reject(request, payment_id: int, payload: ReasonIn | None = None):
    """Finance only: a recorded payment that did not arrive."""
    actor = actor_of(request)
    services.payment_reject(actor=actor, payment_id=payment_id, reason=payload.reason if payload else "")
    return _payment_out(actor, payment_id)


@router.delete("/payments/{int:payment_id}", response=responses(204, None, 403, 404, 409))
def payment_remove(request, payment_id: int):
    """An unconfirmed payment; a confirmed one only finance reverses."""
    services.payment_delete(actor=actor_of(request), payment_id=payment_id)
    return Status(204, None)


# ---- invoices ----------------------------------------------------------------------------------------

InvoiceStatusCode = Literal["requested", "approved", "issued", "rejected", "cancelled"]
InvoiceTypeCode = Literal["vat_normal", "vat_special", "receipt"]


class InvoiceOut(Out):
    id: int
    request_number: str
    agreement: AgreementRef
    customer: Ref
    owner: Ref | None
    invoice_type: InvoiceTypeCode
    status: InvoiceStatusCode = Field(description="待审批 / 待开票 / 已开票 / 已驳回 / 已作废")
    invoice_number: str
    invoice_date: datetime.date | None
    amount: str = Field(description="价税合计（合同/订单币种）")
    base_amount: str
    tax_rate: str = Field(description="税率（%）；per_line 时为各明细共同的税率，明细税率不同时仅为申请所填")
    per_line: bool = Field(description="按明细计税：税额按合同/订单各明细的税率计算")
    tax_amount: str
    net_amount: str = Field(description="不含税金额；tax_amount + net_amount = amount")
    title: str
    tax_number: str
    created_at: datetime.datetime
    issued_at: datetime.datetime | None


class InvoiceList(Out):
    items: list[InvoiceOut]
    count: int


def _invoice_row(r: dict) -> dict:
    return {"id": r["id"], "request_number": r["request_number"], "agreement": _agreement_ref(r),
            "customer": ref(r["customer_id"], r["customer__name"]),
            "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
            "invoice_type": r["invoice_type"], "status": r["status"], "invoice_number": r["invoice_number"],
            "invoice_date": r["invoice_date"], "amount": money(r["amount"]), "base_amount": money(r["base_amount"]),
            "tax_rate": money(r["tax_rate"]), "per_line": r["per_line"], "tax_amount": money(r["tax_amount"]),
            "net_amount": money(r["net_amount"]), "title": r["title"], "tax_number": r["tax_number"],
            "created_at": local(r["created_at"]), "issued_at": local(r["issued_at"])}


def _invoice_out(actor, invoice_id: int) -> dict:
    rows = list(selectors.invoice_list(actor=actor).filter(pk=invoice_id).values(*selectors.INVOICE_COLUMNS))
    return _invoice_row(rows[0]) if rows else {}


class InvoiceQuery(_Query):
    status: InvoiceStatusCode | None = None
    invoice_type: InvoiceTypeCode | None = None


@router.get("/invoices", response=responses(200, InvoiceList, 422))
def invoice_items(request, query: Query[InvoiceQuery]):
    """Invoices and requests in scope; `date_from`/`date_to` bound the request day. `sort`: created_at (default
    `-created_at`), amount, invoice_date, id."""
    actor = actor_of(request)
    qs = selectors.invoice_list(actor=actor, filters=_filters(query, status=query.status or "",
                                                              invoice_type=query.invoice_type or ""), sort=query.sort)
    return page_of(qs.values(*selectors.INVOICE_COLUMNS), query, _invoice_row, counted=qs)


@router.get("/invoices/{int:invoice_id}", response=responses(200, InvoiceOut, 404))
def invoice_detail(request, invoice_id: int):
    actor = actor_of(request)
    selectors.invoice_get(actor=actor, invoice_id=invoice_id)
    return _invoice_out(actor, invoice_id)


class InvoiceIn(BaseModel):
    model_config = STRICT

    agreement_id: IdIn
    invoice_type: InvoiceTypeCode = "vat_normal"
    amount: MoneyIn = Field(description="价税合计，不超过可开票金额")
    tax_rate: Annotated[str | int | float, _not_bool("decimal_type")] = Field(description="税率（%），0–100")
    remark: str = Field(default="", max_length=300)
    title: str | None = Field(default=None, max_length=200, description="默认取客户开票信息")
    tax_number: str | None = Field(default=None, max_length=20)
    bank: str | None = Field(default=None, max_length=100)
    account: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


@router.post("/invoices", response=responses(201, InvoiceOut, 403, 404, 409, 422))
def invoice_new(request, payload: InvoiceIn):
    """开票申请. Tax and net by the company's method (per document: tax = gross − round(gross / (1 + rate)))."""
    actor = actor_of(request)
    invoice = services.invoice_request(actor=actor, agreement_id=payload.agreement_id,
                                       data=payload.model_dump(exclude={"agreement_id"}))
    return Status(201, _invoice_out(actor, invoice.pk))


class IssueIn(BaseModel):
    model_config = STRICT

    invoice_number: str = Field(max_length=40)
    invoice_date: DateIn


@router.post("/invoices/{int:invoice_id}/issue", response=responses(200, InvoiceOut, 403, 404, 409, 422))
def invoice_issue(request, invoice_id: int, payload: IssueIn):
    """Finance only: 待开票 → 已开票."""
    actor = actor_of(request)
    services.invoice_issue(actor=actor, invoice_id=invoice_id, invoice_number=payload.invoice_number,
                           invoice_date=payload.invoice_date)
    return _invoice_out(actor, invoice_id)


@router.post("/invoices/{int:invoice_id}/cancel", response=responses(200, InvoiceOut, 403, 404, 409, 422))
def invoice_cancel(request, invoice_id: int, payload: ReasonIn | None = None):
    """Withdraws a request, or voids an issued invoice (finance only)."""
    actor = actor_of(request)
    services.invoice_cancel(actor=actor, invoice_id=invoice_id, reason=payload.reason if payload else "")
    return _invoice_out(actor, invoice_id)


# ---- receivables -------------------------------------------------------------------------------------

class ReceivableQuery(PageParams):
    owner: OwnerParam = ""
    department: Id | None = None
    customer: Id | None = None
    kind: Literal["contract", "order"] | None = None
    as_of: Day | None = Field(default=None, description="截至日期（默认今天，租户时区）")


def _rfilters(query) -> BillingFilters:
    return BillingFilters(owner=query.owner if query.owner != "none" else "0", department=query.department,
                          customer=query.customer, kind=query.kind or "")


class SummaryOut(Out):
    agreements: int
    amount: str
    received: str
    outstanding: str
    invoiced: str
    overdue: str
    as_of: datetime.date


class CustomerReceivable(Out):
    customer: Ref
    agreements: int
    amount: str
    received: str
    outstanding: str
    invoiced: str
    overdue: str


class ReceivablesOut(Out):
    summary: SummaryOut
    items: list[CustomerReceivable]
    count: int


MONEY_KEYS = ("amount", "received", "outstanding", "invoiced", "overdue")


def _money_row(r: dict, *keys: str) -> dict:
    return {**{k: r[k] for k in keys}, **{k: money(r[k]) for k in MONEY_KEYS}}


def _require_view(actor):
    require(actor, "payments.view")


@router.get("/receivables", response=responses(200, ReceivablesOut, 403, 422), tags=["receivables"])
def receivables(request, query: Query[ReceivableQuery]):
    """应收账款 in base currency over the agreements with money outstanding: the summary and those customers
    (largest first); the rows over all pages add up to the summary."""
    actor = actor_of(request)
    _require_view(actor)
    f = _rfilters(query)
    summary = selectors.receivables_summary(actor=actor, as_of=query.as_of, filters=f)
    rows, count = selectors.receivables_by_customer(actor=actor, as_of=query.as_of, filters=f, page=query.page,
                                                    page_size=query.page_size)
    return {"summary": {**_money_row(summary, "agreements", "as_of")},
            "items": [_money_row(r, "customer", "agreements") for r in rows], "count": count}


class OwnerReceivable(Out):
    owner: Ref
    agreements: int
    amount: str
    received: str
    outstanding: str
    invoiced: str
    overdue: str


class OwnerReceivables(Out):
    items: list[OwnerReceivable]
    count: int


@router.get("/receivables/by-owner", response=responses(200, OwnerReceivables, 403, 422), tags=["receivables"])
def receivables_owner(request, query: Query[ReceivableQuery]):
    actor = actor_of(request)
    _require_view(actor)
    rows = selectors.receivables_by_owner(actor=actor, as_of=query.as_of, filters=_rfilters(query))
    return {"items": [_money_row(r, "owner", "agreements") for r in rows], "count": len(rows)}


class AgingOut(Out):
    as_of: datetime.date
    not_due: str
    d0_30: str = Field(alias="0_30", serialization_alias="0_30")
    d31_60: str = Field(alias="31_60", serialization_alias="31_60")
    d61_90: str = Field(alias="61_90", serialization_alias="61_90")
    d90_plus: str = Field(alias="90_plus", serialization_alias="90_plus")
    unplanned: str = Field(description="应收未收中没有回款计划的部分（未计划）")
    overdue: str
    total: str


@router.get("/receivables/aging", response=responses(200, AgingOut, 403, 422), tags=["receivables"], by_alias=True)
def receivables_aging(request, query: Query[ReceivableQuery]):
    """Outstanding by days past due: open instalment balances in not_due, 0_30 (1–30 days), 31_60, 61_90,
    90_plus, plus `unplanned` (owed but on no instalment); they add up to `total` = the summary's outstanding."""
    actor = actor_of(request)
    _require_view(actor)
    aging = selectors.receivables_aging(actor=actor, as_of=query.as_of, filters=_rfilters(query))
    return {k: (v if k == "as_of" else money(v)) for k, v in aging.items()}
