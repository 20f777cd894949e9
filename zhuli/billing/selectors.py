"""Reads of plans, payments, invoices and receivables, always through visible().

Receivables read the rollups (rollup.py: per owner × customer × kind totals, per owner × kind × due date open
balances), or, for one customer or a search, the agreements' denormalised totals and the open instalments; one
aggregate query per figure, names fetched for the shown rows only."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.models import Department, User, owner_display
from zhuli.core import text
from zhuli.core.pagination import clamp_page, clamp_page_size, order_by_param
from zhuli.customers.models import Customer
from zhuli.deals.models import Agreement

from .models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    ReceivableDue,
    ReceivableTotal,
)
from .rollup import MONEY_OUT, OPEN_PLAN, RECEIVABLE_STATUSES, cents, money_sum

ZERO = Decimal("0.00")
AGING_BUCKETS = ("not_due", "0_30", "31_60", "61_90", "90_plus")


def plan_display_status(plan, today: datetime.date) -> str:
    """unpaid / partial / paid as stored, or overdue when an unpaid or partial instalment is past its due date
    (the tenant's today). `plan` is a PaymentPlan or a values() dict."""
    get = plan.get if isinstance(plan, dict) else lambda k: getattr(plan, k)
    status = get("status")
    if status != PlanStatus.PAID and get("due_date") < today:
        return PlanStatus.OVERDUE.value
    return status


PLAN_LABELS = dict(PlanStatus.choices)
PLAN_BADGES = {"unpaid": "secondary", "partial": "info", "paid": "success", "overdue": "danger"}
PAYMENT_BADGES = {"recorded": "warning", "confirmed": "success", "rejected": "secondary"}
INVOICE_BADGES = {"requested": "warning", "approved": "info", "issued": "success", "rejected": "secondary",
                  "cancelled": "secondary"}


@dataclass
class BillingFilters:
    q: str = ""  # agreement number / title or customer name
    owner: str = ""  # id | me
    department: int | None = None
    customer: int | None = None
    agreement: int | None = None
    kind: str = ""  # contract | order
    status: str = ""
    date_from: datetime.date | None = None  # due date (plans), paid on (payments), requested on (invoices)
    date_to: datetime.date | None = None
    method: int | None = None
    invoice_type: str = ""


def _owned(qs: QuerySet, actor: Actor, f: BillingFilters, *, agreement_prefix: str = "agreement__") -> QuerySet:
    if f.owner == "me":
        qs = qs.filter(owner_id=actor.user_id)
    elif f.owner:
        qs = qs.filter(owner_id=int(f.owner)) if f.owner.isdigit() else qs.none()
    if f.department:
        path = visible(Department, actor).filter(pk=f.department).values_list("path", flat=True).first()
        qs = qs.filter(owner__department__path__startswith=path) if path else qs.none()
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.agreement:
        qs = qs.filter(**{f"{agreement_prefix}pk" if agreement_prefix else "pk": f.agreement})
    if f.kind:
        qs = qs.filter(**{f"{agreement_prefix}kind": f.kind})
    needle = text.normalize_query(f.q)
    if needle:
        qs = qs.filter(Q(**{f"{agreement_prefix}number__icontains": f.q.strip()})
                       | Q(**{f"{agreement_prefix}title__icontains": f.q.strip()})
                       | Q(customer__search_text__contains=needle))
    return qs


# ---- lists -------------------------------------------------------------------------------------------

PLAN_SORTS = {"id": "id", "due_date": "due_date", "amount": "amount", "number": "number"}
PLAN_COLUMNS = ("id", "agreement_id", "agreement__number", "agreement__title", "agreement__kind", "customer_id",
                "customer__name", "owner_id", "owner__name", "owner__is_active", "number", "due_date", "amount",
                "received_amount", "status", "remark")


def plan_list(*, actor: Actor, filters: BillingFilters | None = None, sort: str | None = None,
              today: datetime.date | None = None) -> QuerySet:
    """Visible instalments; `status=overdue` means unpaid or partial, due before today, on an agreement that is
    owed (running or done: the same set as the receivables' 其中逾期; a terminated contract's remaining
    instalments are not owed)."""
    f = filters or BillingFilters()
    today = today or actor.tenant.today()
    qs = _owned(visible(PaymentPlan, actor), actor, f)
    if f.status == PlanStatus.OVERDUE:
        qs = qs.filter(status__in=OPEN_PLAN, due_date__lt=today, agreement__status__in=RECEIVABLE_STATUSES)
    elif f.status == "open":
        qs = qs.filter(status__in=OPEN_PLAN)
    elif f.status:
        qs = qs.filter(status=f.status) if f.status in PlanStatus.values else qs.none()
    if f.date_from:
        qs = qs.filter(due_date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(due_date__lte=f.date_to)
    return qs.order_by(*order_by_param(sort, PLAN_SORTS, "due_date"))


PAYMENT_SORTS = {"id": "id", "paid_on": "paid_on", "amount": "amount", "created_at": "created_at"}
PAYMENT_COLUMNS = ("id", "number", "agreement_id", "agreement__number", "agreement__title", "agreement__kind",
                   "agreement__currency", "customer_id", "customer__name", "owner_id", "owner__name",
                   "owner__is_active", "plan_id", "plan__number", "paid_on", "amount", "base_amount", "method_id",
                   "method__name", "payer", "remark", "status", "reject_reason", "is_overpayment", "recorded_by_id",
                   "recorded_by__name", "confirmed_at", "created_at")


def payment_list(*, actor: Actor, filters: BillingFilters | None = None, sort: str | None = None) -> QuerySet:
    f = filters or BillingFilters()
    qs = _owned(visible(Payment, actor), actor, f)
    if f.status:
        qs = qs.filter(status=f.status) if f.status in PaymentStatus.values else qs.none()
    if f.date_from:
        qs = qs.filter(paid_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(paid_on__lte=f.date_to)
    if f.method:
        qs = qs.filter(method_id=f.method)
    return qs.order_by(*order_by_param(sort, PAYMENT_SORTS, "-paid_on"))


INVOICE_SORTS = {"id": "id", "created_at": "created_at", "amount": "amount", "invoice_date": "invoice_date"}
INVOICE_COLUMNS = ("id", "request_number", "agreement_id", "agreement__number", "agreement__title",
                   "agreement__kind", "customer_id", "customer__name", "owner_id", "owner__name", "owner__is_active",
                   "invoice_type", "status", "invoice_number", "invoice_date", "amount", "base_amount", "tax_rate", "per_line",
                   "tax_amount", "net_amount", "title", "tax_number", "requested_by__name", "created_at",
                   "issued_at")


def invoice_list(*, actor: Actor, filters: BillingFilters | None = None, sort: str | None = None) -> QuerySet:
    f = filters or BillingFilters()
    qs = _owned(visible(Invoice, actor), actor, f)
    if f.status:
        qs = qs.filter(status=f.status) if f.status in InvoiceStatus.values else qs.none()
    if f.invoice_type:
        qs = qs.filter(invoice_type=f.invoice_type)
    zone = actor.tenant.zone
    if f.date_from:
        qs = qs.filter(created_at__gte=datetime.datetime.combine(f.date_from, datetime.time.min, tzinfo=zone))
    if f.date_to:
        qs = qs.filter(created_at__lt=datetime.datetime.combine(f.date_to + datetime.timedelta(days=1),
                                                                datetime.time.min, tzinfo=zone))
    return qs.order_by(*order_by_param(sort, INVOICE_SORTS, "-created_at"))


def plan_get(*, actor: Actor, plan_id) -> PaymentPlan:
    qs = visible(PaymentPlan, actor).select_related("agreement", "customer", "owner")
    return get_visible_or_404(PaymentPlan, actor, plan_id, queryset=qs)


def payment_get(*, actor: Actor, payment_id) -> Payment:
    qs = visible(Payment, actor).select_related("agreement", "customer", "owner", "plan", "method", "recorded_by",
                                                "confirmed_by")
    return get_visible_or_404(Payment, actor, payment_id, queryset=qs)


def invoice_get(*, actor: Actor, invoice_id) -> Invoice:
    qs = visible(Invoice, actor).select_related("agreement", "customer", "owner", "requested_by", "issued_by")
    return get_visible_or_404(Invoice, actor, invoice_id, queryset=qs)


# ---- one agreement / one customer --------------------------------------------------------------------

def open_plans_of(*, actor: Actor, agreement_id: int) -> list[PaymentPlan]:
    """An agreement's instalments not yet fully received, for the payment form's picker."""
    return list(visible(PaymentPlan, actor).filter(agreement_id=agreement_id, status__in=OPEN_PLAN)
                .order_by("number", "id"))


ROWS_MAX = 200


def agreement_billing(*, actor: Actor, agreement_id: int) -> dict:
    """An agreement page's 回款计划 / 回款记录 / 发票 sections: three queries."""
    today = actor.tenant.today()
    plans = list(visible(PaymentPlan, actor).filter(agreement_id=agreement_id).order_by("number", "id")[:ROWS_MAX])
    for p in plans:
        p.display_status = plan_display_status(p, today)
        p.status_label, p.badge = PLAN_LABELS[p.display_status], PLAN_BADGES[p.display_status]
        p.balance = p.amount - p.received_amount
    payments = list(visible(Payment, actor).filter(agreement_id=agreement_id).select_related("method", "plan")
                    .order_by("-paid_on", "-id")[:ROWS_MAX])
    for p in payments:
        p.badge = PAYMENT_BADGES.get(p.status, "light")
    invoices = list(visible(Invoice, actor).filter(agreement_id=agreement_id).order_by("-created_at", "-id")[:ROWS_MAX])
    for i in invoices:
        i.badge = INVOICE_BADGES.get(i.status, "light")
    return {"plans": plans, "payments": payments, "invoices": invoices, "today": today}


def customer_billing(*, actor: Actor, customer_id: int) -> dict:
    """The customer view's 回款 / 发票 sections and receivables summary (agreements in the actor's scope)."""
    today = actor.tenant.today()
    summary = receivables_summary(actor=actor, filters=BillingFilters(customer=customer_id), as_of=today,
                                  open_only=False)
    payments = list(visible(Payment, actor).filter(customer_id=customer_id)
                    .select_related("agreement", "method").order_by("-paid_on", "-id")[:20])
    for p in payments:
        p.badge = PAYMENT_BADGES.get(p.status, "light")
    invoices = list(visible(Invoice, actor).filter(customer_id=customer_id).select_related("agreement")
                    .order_by("-created_at", "-id")[:20])
    for i in invoices:
        i.badge = INVOICE_BADGES.get(i.status, "light")
    return {"summary": summary, "payments": payments, "invoices": invoices}


# ---- receivables -------------------------------------------------------------------------------------

def _filters(filters) -> BillingFilters:
    if filters is None:
        return BillingFilters()
    if isinstance(filters, dict):
        return BillingFilters(**{k: v for k, v in filters.items() if k in BillingFilters.__dataclass_fields__})
    return filters


def _also_in(qs: QuerySet, actor: Actor, module: str) -> QuerySet:
    """`qs` (already scoped by its own module) kept to the owners `module` lets the actor see too. The receivables
    mix two modules — agreements' totals (合同/订单) and instalments (回款) — and must count one set of owners, or a
    role whose scopes differ would see an aging that does not add up to the outstanding."""
    if not actor.can(module, "view"):
        return qs.none()
    owners = actor.owner_ids(actor.grant(module).scope)
    return qs if owners is None else qs.filter(owner_id__in=owners)


def _receivable_agreements(actor: Actor, filters, *, open_only: bool = True) -> QuerySet:
    # The receivables figures cover the agreements with money still owed, so the summary, the by-customer and the
    # by-owner rows are the same set and the rows add up to the summary; fully paid agreements are left out.
    f = _filters(filters)
    qs = _also_in(visible(Agreement, actor), actor, "payments").filter(status__in=RECEIVABLE_STATUSES)
    if open_only:
        qs = qs.filter(amount__gt=F("received_amount"))
    return _owned(qs, actor, BillingFilters(**{**f.__dict__, "agreement": None}), agreement_prefix="")


def _outstanding():
    return Greatest(F("amount") - F("received_amount"), Value(ZERO), output_field=MONEY_OUT)


_sum = money_sum


def _open_plans(actor: Actor, filters) -> QuerySet:
    f = _filters(filters)
    qs = _also_in(visible(PaymentPlan, actor), actor, "agreements").filter(
        status__in=OPEN_PLAN, agreement__status__in=RECEIVABLE_STATUSES)
    return _owned(qs, actor, BillingFilters(**{**f.__dict__, "q": ""}))


def _rolled_up(filters) -> bool:
    """Whether the rollups answer: they are keyed by owner and kind (and customer for the totals), so owner,
    department and kind filters apply to them; one customer's or a search's figures come from the rows."""
    f = _filters(filters)
    return not (f.customer or f.agreement or text.normalize_query(f.q))


def _totals(actor: Actor, filters) -> QuerySet:
    """The receivable agreements with money outstanding, as ReceivableTotal rows or as the agreements themselves;
    either way with columns amount, received_amount, invoiced_amount and an `outstanding()` expression."""
    f = _filters(filters)
    if _rolled_up(f):
        qs = _also_in(visible(ReceivableTotal, actor), actor, "payments")
        return _owned(qs, actor, BillingFilters(**{**f.__dict__, "agreement": None}), agreement_prefix="")
    return _receivable_agreements(actor, f)


def _sums(qs: QuerySet) -> dict:
    if qs.model is ReceivableTotal:
        return {"agreements": _sum("agreements"), "sum_amount": _sum("amount"), "received": _sum("received"),
                "invoiced": _sum("invoiced"), "outstanding": _sum("outstanding")}
    return {"agreements": Count("id"), "sum_amount": _sum("amount"), "received": _sum("received_amount"),
            "invoiced": _sum("invoiced_amount"), "outstanding": _sum(_outstanding())}


def _balances(actor: Actor, filters) -> tuple[QuerySet, object]:
    """Open instalment balances: ReceivableDue rows (column balance) or the instalments; with the expression."""
    f = _filters(filters)
    if _rolled_up(f):
        qs = _owned(_also_in(visible(ReceivableDue, actor), actor, "agreements"), actor,
                    BillingFilters(**{**f.__dict__, "q": ""}), agreement_prefix="")
        return qs, F("balance")
    return _open_plans(actor, f), F("amount") - F("received_amount")


def receivables_summary(*, actor: Actor, as_of: datetime.date | None = None, filters=None,
                        open_only: bool = True) -> dict:
    """Totals over the receivable agreements in scope with money outstanding (all of them with `open_only=False`),
    base currency: amount, received, outstanding, invoiced, and the overdue instalment balance as of `as_of`."""
    as_of = as_of or actor.tenant.today()
    qs = _totals(actor, filters) if open_only else _receivable_agreements(actor, filters, open_only=False)
    row = _named(qs.aggregate(**_sums(qs)))
    balances, balance = _balances(actor, filters)
    overdue = cents(balances.filter(due_date__lt=as_of).aggregate(s=_sum(balance))["s"])
    return {"agreements": row["agreements"] or 0, "amount": row["amount"], "received": row["received"],
            "outstanding": row["outstanding"], "invoiced": row["invoiced"], "overdue": overdue, "as_of": as_of}


def _grouped(actor: Actor, filters, key: str) -> QuerySet:
    # Annotation names differ from the columns (an aggregate may not shadow a field).
    qs = _totals(actor, filters)
    return qs.order_by().values(key).annotate(**_sums(qs))


def _named(row: dict) -> dict:
    row["amount"] = row.pop("sum_amount")
    for key in ("amount", "received", "invoiced", "outstanding"):
        row[key] = cents(row[key])
    return row


def _overdue_by(actor: Actor, filters, key: str, ids: list[int], as_of: datetime.date) -> dict[int, Decimal]:
    if not ids:
        return {}
    if key == "customer_id":  # no customer in the aging rollup; a page of customers is an index range anyway
        balances, balance = _open_plans(actor, filters), F("amount") - F("received_amount")
    else:
        balances, balance = _balances(actor, filters)
    rows = (balances.filter(**{f"{key}__in": ids}, due_date__lt=as_of).order_by().values(key)
            .annotate(s=_sum(balance)))
    return {r[key]: cents(r["s"]) for r in rows}


def receivables_by_customer(*, actor: Actor, as_of: datetime.date | None = None, filters=None, page=1,
                            page_size=20) -> tuple[list[dict], int]:
    """Customers with money outstanding, largest first: (rows of one page, number of customers)."""
    as_of = as_of or actor.tenant.today()
    page, size = clamp_page(page), clamp_page_size(page_size)
    grouped = _grouped(actor, filters, "customer_id")
    rows = [_named(r) for r in grouped.order_by("-outstanding", "customer_id")[(page - 1) * size:page * size]]
    count = (page - 1) * size + len(rows) if (rows and len(rows) < size) or (page == 1 and not rows) \
        else grouped.count()
    ids = [r["customer_id"] for r in rows]
    names = dict(visible(Customer, actor).filter(pk__in=ids).values_list("id", "name")) if ids else {}
    if len(names) < len(ids):  # customers outside the customers scope still name their own agreements
        names.update(Customer.objects.filter(pk__in=set(ids) - set(names)).values_list("id", "name"))
    overdue = _overdue_by(actor, filters, "customer_id", ids, as_of)
    for r in rows:
        r["customer"] = {"id": r["customer_id"], "name": names.get(r["customer_id"], "")}
        r["overdue"] = overdue.get(r["customer_id"], ZERO)
    return rows, count


def receivables_by_owner(*, actor: Actor, as_of: datetime.date | None = None, filters=None) -> list[dict]:
    """Salespeople with money outstanding on their agreements, largest first."""
    as_of = as_of or actor.tenant.today()
    rows = [_named(r) for r in _grouped(actor, filters, "owner_id").order_by("-outstanding", "owner_id")]
    ids = [r["owner_id"] for r in rows]
    users = {pk: (name, active) for pk, name, active in
             User.objects.filter(tenant=actor.tenant, pk__in=ids).values_list("id", "name", "is_active")}
    overdue = _overdue_by(actor, filters, "owner_id", ids, as_of)
    for r in rows:
        name, active = users.get(r["owner_id"], ("", True))
        r["owner"] = {"id": r["owner_id"], "name": owner_display(name, active)}
        r["overdue"] = overdue.get(r["owner_id"], ZERO)
    return rows


def receivables_aging(*, actor: Actor, as_of: datetime.date | None = None, filters=None) -> dict:
    """Outstanding (base currency) by days past due as of `as_of`: open instalment balances in not_due, 0_30
    (1–30 days late), 31_60, 61_90, 90_plus, and `unplanned` (owed but on no instalment); the buckets add up to
    `total`, which is the summary's outstanding, to the cent."""
    as_of = as_of or actor.tenant.today()
    day = datetime.timedelta
    balances, balance = _balances(actor, filters)

    def bucket(condition):
        return Coalesce(Sum(balance, filter=condition, output_field=MONEY_OUT), Value(ZERO), output_field=MONEY_OUT)

    row = balances.aggregate(
        not_due=bucket(Q(due_date__gte=as_of)),
        d0_30=bucket(Q(due_date__lt=as_of, due_date__gte=as_of - day(30))),
        d31_60=bucket(Q(due_date__lt=as_of - day(30), due_date__gte=as_of - day(60))),
        d61_90=bucket(Q(due_date__lt=as_of - day(60), due_date__gte=as_of - day(90))),
        d90_plus=bucket(Q(due_date__lt=as_of - day(90))),
    )
    out = {"not_due": cents(row["not_due"]), "0_30": cents(row["d0_30"]), "31_60": cents(row["d31_60"]),
           "61_90": cents(row["d61_90"]), "90_plus": cents(row["d90_plus"])}
    out["overdue"] = out["0_30"] + out["31_60"] + out["61_90"] + out["90_plus"]
    planned = out["overdue"] + out["not_due"]
    totals = _totals(actor, BillingFilters(**{**_filters(filters).__dict__, "q": ""}))
    outstanding = cents(totals.aggregate(s=_sums(totals)["outstanding"])["s"])
    out["unplanned"] = max(outstanding - planned, ZERO)
    out["total"] = planned + out["unplanned"]
    out["as_of"] = as_of
    return out


# ---- workbench ---------------------------------------------------------------------------------------

CARD_ROWS = 8


def plans_due_soon(*, actor: Actor, days: int = 7) -> dict:
    """Open instalments in scope due within `days` (today included) and overdue ones, soonest first."""
    today = actor.tenant.today()
    qs = (visible(PaymentPlan, actor).filter(status__in=OPEN_PLAN, agreement__status__in=RECEIVABLE_STATUSES)
          .select_related("agreement", "customer"))
    overdue = list(qs.filter(due_date__lt=today).order_by("due_date", "id")[:CARD_ROWS])
    soon = list(qs.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days))
                .order_by("due_date", "id")[:CARD_ROWS])
    for p in overdue + soon:
        p.balance = p.amount - p.received_amount
        p.days_late = (today - p.due_date).days
    return {"overdue": overdue, "soon": soon, "today": today}


def payments_to_confirm(*, actor: Actor, limit: int = CARD_ROWS) -> tuple[list[Payment], int]:
    qs = visible(Payment, actor).filter(status=PaymentStatus.RECORDED)
    rows = list(qs.select_related("agreement", "customer").order_by("paid_on", "id")[:limit])
    return rows, (len(rows) if len(rows) < limit else qs.count())


def invoices_to_issue(*, actor: Actor, limit: int = CARD_ROWS) -> tuple[list[Invoice], int]:
    qs = visible(Invoice, actor).filter(status=InvoiceStatus.APPROVED)
    rows = list(qs.select_related("agreement", "customer").order_by("created_at", "id")[:limit])
    return rows, (len(rows) if len(rows) < limit else qs.count())
