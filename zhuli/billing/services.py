"""Writes of payment plans (回款计划), payments (回款记录) and invoices (发票).

Every change to an agreement's money runs in one transaction holding the agreement row (`select_for_update()`;
SQLite's immediate transactions serialise writers) and writes the agreement's totals with a conditional UPDATE
on the values it read, so a lost update is refused rather than written. Plan amounts and the agreement totals
are in the base currency (CNY); payments and invoices carry the agreement currency's `amount` and `base_amount`.
"""
from __future__ import annotations

import calendar
import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.roles import Role
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.money import CENT, MoneyError, round_cents, to_decimal
from zhuli.deals.models import Agreement, AgreementLine, DocType
from zhuli.deals.numbering import number_next
from zhuli.preferences.models import DictionaryItem, DictionaryKind

from . import rollup
from .models import (
    Invoice,
    InvoiceStatus,
    InvoiceType,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
)
from .tax import DOCUMENT, LINE, TAX_METHODS, invoice_tax

BASE_CURRENCY = "CNY"
# Agreements money may be planned, received and invoiced on (signed ones); drafts and pending ones only plan.
PLANNABLE = ("draft", "pending", "active", "confirmed", "completed")
EFFECTIVE = ("active", "confirmed", "completed", "terminated")
# Invoices that count against the agreement amount.
INVOICE_COUNTED = (InvoiceStatus.REQUESTED, InvoiceStatus.APPROVED, InvoiceStatus.ISSUED)
MAX_INSTALMENTS = 60
REMARK_MAX = 300
PAYER_MAX = 200


# ---- small parsers ---------------------------------------------------------------------------------

def yuan(value) -> str:
    """¥1,234.50 for messages."""
    return f"¥{Decimal(value):,.2f}"


def parse_money(value, errors: dict, field: str, *, required: bool = True) -> Decimal | None:
    """A positive amount with at most two decimals; every refusal is named on `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[field] = _("请填写金额")
        return None
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        errors[field] = _("金额过大") if exc.kind == "too_large" else _("金额应为数字，例如 12000 或 12000.50")
        return None
    if amount < 0:
        errors[field] = _("金额不能为负数")
    elif amount != amount.quantize(CENT):
        errors[field] = _("金额最多两位小数")
    elif amount == 0:
        errors[field] = _("金额必须大于 0")
    else:
        return amount.quantize(CENT)
    return None


def parse_rate(value, errors: dict, field: str = "tax_rate") -> Decimal | None:
    """A tax rate in percent, 0–100, at most two decimals ("13" or "13%")."""
    raw = str(value if value is not None else "").strip().rstrip("%％").strip()
    if not raw:
        errors[field] = _("请填写税率")
        return None
    try:
        rate = to_decimal(raw)
    except MoneyError:
        errors[field] = _("税率应为 0 到 100 之间的数字")
        return None
    if not 0 <= rate <= 100:
        errors[field] = _("税率应在 0 到 100 之间")
    elif rate != rate.quantize(CENT):
        errors[field] = _("税率最多两位小数")
    else:
        return rate.quantize(CENT)
    return None


def parse_day(value, errors: dict, field: str, *, required: bool = True) -> datetime.date | None:
    if value in (None, ""):
        if required:
            errors[field] = _("请填写日期")
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        day = datetime.date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        errors[field] = _("日期无效，应为 YYYY-MM-DD，例如 2026-06-30")
        return None
    return day


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None


def _short(value, errors: dict, field: str, limit: int) -> str:
    cleaned = text.clean_text(value) if value is not None else ""
    if len(cleaned) > limit:
        errors[field] = _("最多 %(n)s 个字符") % {"n": limit}
    return cleaned


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_finance(actor: Actor) -> bool:
    """Confirming payments and issuing invoices is finance's work (DESIGN §1)."""
    return actor.system or actor.role == Role.FINANCE


def _require_finance(actor: Actor, message: str) -> None:
    require(actor, "payments.view")
    if not is_finance(actor):
        raise Forbidden(message)


def to_base(agreement: Agreement, amount: Decimal) -> Decimal:
    """An amount in the agreement's currency in CNY at the rate fixed on it, half-up to the cent."""
    return round_cents(amount * agreement.exchange_rate)


def _foreign(agreement: Agreement) -> bool:
    return agreement.currency != "CNY" or agreement.exchange_rate != 1


def in_currency(agreement: Agreement, value) -> str:
    """An amount of the agreement's currency for messages: ¥1,234.50, or USD 1,234.50."""
    return yuan(value) if not _foreign(agreement) else f"{agreement.currency} {Decimal(value):,.2f}"


def _base_of_part(agreement: Agreement, amount: Decimal, *, done_foreign: Decimal, done_base: Decimal) -> Decimal:
    """CNY of one part (a payment, an invoice) of a foreign-currency agreement: what brings the CNY counted so far
    to the conversion of the foreign total so far, round((done + amount) × rate) − CNY done. Each part converted
    on its own would leave the sum a cent or two off the agreement's CNY amount (Σ round(fᵢ × rate) is not
    round(Σ fᵢ × rate)); this way the parts always add up to it, so paid or invoiced in full in the agreement's
    currency means in full in CNY, to the cent. CNY agreements: the amount itself."""
    if not _foreign(agreement):
        return amount
    return to_base(agreement, done_foreign + amount) - done_base


def _base_check(base: Decimal) -> None:
    if base <= 0:
        raise InvalidInput({"amount": _("金额太小：按合同汇率折合人民币不足 ¥0.01")})


def _paid_foreign(agreement: Agreement) -> Decimal:
    """Confirmed payments in the agreement's currency (equal to received_amount for CNY)."""
    if not _foreign(agreement):
        return agreement.received_amount
    return (Payment.objects.filter(agreement_id=agreement.pk, status=PaymentStatus.CONFIRMED)
            .aggregate(s=Sum("amount"))["s"] or Decimal("0.00"))


def split_equal(total: Decimal, count: int) -> list[Decimal]:
    """`total` in `count` instalments to the cent; the rounding remainder goes on the FIRST instalment
    (5.47 in three = 1.83 + 1.82 + 1.82)."""
    each = (total / count).quantize(CENT, rounding=ROUND_FLOOR)
    return [total - each * (count - 1)] + [each] * (count - 1)


def split_percentages(total: Decimal, percentages: list[Decimal]) -> list[Decimal]:
    """Instalments of `total` by percentages summing to 100: each but the first is cut down to the cent and the
    first takes the rest (as with the equal split), so they sum to `total` exactly: 50/50 of 5.47 is 2.74 + 2.73."""
    rest = [(total * p / 100).quantize(CENT, rounding=ROUND_FLOOR) for p in percentages[1:]]
    return [total - sum(rest, Decimal(0))] + rest


# ---- the agreement under lock ------------------------------------------------------------------------

def _agreement_locked(actor: Actor, agreement_id) -> Agreement:
    """The visible agreement, locked for this transaction (404 when not visible)."""
    qs = visible(Agreement, actor).select_for_update()
    return get_visible_or_404(Agreement, actor, agreement_id, queryset=qs)


def _lock(agreement_id: int) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement_id)


def _save_totals(agreement: Agreement, **new) -> None:
    """Writes the agreement's totals only if they are still what this transaction read."""
    seen = {k: getattr(agreement, k) for k in new}
    if Agreement.objects.filter(pk=agreement.pk, **seen).update(**new, updated_at=timezone.now()) != 1:
        raise Conflict(_("合同/订单的金额刚被他人修改，请刷新后重试"))
    for k, v in new.items():
        setattr(agreement, k, v)
    rollup.refresh_agreement(agreement, due_dates=())


def _kind_label(agreement: Agreement) -> str:
    return _("合同") if agreement.kind == "contract" else _("订单")


def _require_status(agreement: Agreement, allowed, action: str) -> None:
    if agreement.status not in allowed:
        raise Conflict(_("%(kind)s当前状态为“%(status)s”，不能%(action)s") % {
            "kind": _kind_label(agreement), "status": agreement.get_status_display(), "action": action})


def _reallocate(agreement: Agreement, plans: list[PaymentPlan] | None = None, *, due_dates=()) -> None:
    """Recomputes what each instalment received from the confirmed payments (in confirmation order: a payment
    settles its own instalment first, then the oldest open ones), and the agreement's received and planned
    totals. Deterministic, so any sequence of confirmations and reversals ends in the same state. The aging
    rollup is refreshed for the instalments that changed and for `due_dates` (added, moved or removed ones)."""
    if plans is None:
        plans = list(PaymentPlan.objects.filter(agreement_id=agreement.pk).order_by("number", "id"))
    payments = list(Payment.objects.filter(agreement_id=agreement.pk, status=PaymentStatus.CONFIRMED)
                    .order_by("confirmed_at", "id").values_list("plan_id", "base_amount"))
    got = {p.pk: Decimal("0.00") for p in plans}
    by_id = {p.pk: p for p in plans}
    for plan_id, amount in payments:
        left = amount
        order = ([by_id[plan_id]] if plan_id in by_id else []) + [p for p in plans if p.pk != plan_id]
        for plan in order:
            if left <= 0:
                break
            take = min(left, plan.amount - got[plan.pk])
            if take > 0:
                got[plan.pk] += take
                left -= take
    changed = []
    for plan in plans:
        received = got[plan.pk]
        status = (PlanStatus.PAID if received >= plan.amount else
                  PlanStatus.PARTIAL if received > 0 else PlanStatus.UNPAID)
        if plan.received_amount != received or plan.status != status:
            plan.received_amount, plan.status = received, status
            changed.append(plan)
    if changed:
        PaymentPlan.objects.bulk_update(changed, ["received_amount", "status"])
    received = sum((a for _p, a in payments), Decimal("0.00"))
    planned = sum((p.amount for p in plans), Decimal("0.00"))
    if received != agreement.received_amount or planned != agreement.planned_amount:
        _save_totals(agreement, received_amount=received, planned_amount=planned)
    rollup.refresh_agreement(agreement, totals=False, due_dates={p.due_date for p in changed} | set(due_dates))


def _copy_parties(agreement: Agreement) -> dict:
    return {"tenant_id": agreement.tenant_id, "agreement": agreement, "customer_id": agreement.customer_id,
            "owner_id": agreement.owner_id}


# ---- payment plans ---------------------------------------------------------------------------------

def _plan_amount_check(agreement: Agreement, amount: Decimal, *, other_planned: Decimal, errors: dict,
                       field: str = "amount") -> None:
    room = agreement.amount - other_planned
    if amount > room:
        errors[field] = _("回款计划总额不能超过合同/订单金额，最多还可计划 %(x)s") % {"x": yuan(max(room, 0))}


def _due_check(agreement: Agreement, due: datetime.date | None, errors: dict, field: str = "due_date") -> None:
    if due is not None and agreement.sign_date and due < agreement.sign_date:
        errors[field] = _("计划回款日期不能早于签约日期 %(d)s") % {"d": agreement.sign_date.isoformat()}


def _planned_except(agreement: Agreement, plan_id: int | None = None) -> Decimal:
    qs = PaymentPlan.objects.filter(agreement_id=agreement.pk)
    if plan_id:
        qs = qs.exclude(pk=plan_id)
    return qs.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


@transaction.atomic
def plan_generate(*, actor: Actor, agreement_id, count=None, percentages=None, first_due=None,
                  interval_months=1, amount=None) -> list[PaymentPlan]:
    """Replaces an agreement's instalments (none may have received money) by `count` equal ones or one per
    percentage (summing to 100), monthly from `first_due`; the rounding remainder goes on the first."""
    agreement = _agreement_locked(actor, agreement_id)
    require(actor, "payments.create")
    _require_status(agreement, PLANNABLE, _("制定回款计划"))
    errors: dict = {}
    due = parse_day(first_due, errors, "first_due")
    _due_check(agreement, due, errors, "first_due")
    interval = _int(interval_months) if interval_months not in (None, "") else 1
    if interval is None or interval > 24:
        errors["interval_months"] = _("间隔月数应为 1 到 24 的整数")
    shares: list[Decimal] | None = None
    if percentages not in (None, "", []):
        raw = (percentages.replace("，", ",").replace("、", ",").split(",") if isinstance(percentages, str)
               else list(percentages))
        try:
            shares = [to_decimal(str(p).strip().rstrip("%")) for p in raw]
        except MoneyError:
            shares = None
        if (shares is None or not 0 < len(shares) <= MAX_INSTALMENTS or any(p <= 0 for p in shares)
                or sum(shares) != 100):
            errors["percentages"] = _("各期比例应为正数，合计 100")
            shares = None
    else:
        number = _int(count)
        if number is None or number > MAX_INSTALMENTS:
            errors["count"] = _("期数应为 1 到 %(n)s 的整数") % {"n": MAX_INSTALMENTS}
        else:
            count = number
    existing = list(PaymentPlan.objects.filter(agreement_id=agreement.pk))
    if any(p.received_amount > 0 for p in existing):
        raise Conflict(_("已有回款的计划不能重新生成，请逐期修改"))
    total = agreement.amount if amount in (None, "") else parse_money(amount, errors, "amount")
    if total is not None and "amount" not in errors:
        if total <= 0:
            errors["amount"] = _("合同/订单金额为 0，无需回款计划")
        else:
            _plan_amount_check(agreement, total, other_planned=Decimal("0.00"), errors=errors)
    if errors:
        raise InvalidInput(errors)
    amounts = split_percentages(total, shares) if shares else split_equal(total, count)
    if any(a <= 0 for a in amounts):
        raise InvalidInput({"count" if not shares else "percentages": _("金额太小，无法分成这么多期")})
    PaymentPlan.objects.filter(agreement_id=agreement.pk).delete()
    plans = PaymentPlan.objects.bulk_create([
        PaymentPlan(**_copy_parties(agreement), number=i, due_date=add_months(due, interval * (i - 1)), amount=a)
        for i, a in enumerate(amounts, start=1)])
    _reallocate(agreement, list(PaymentPlan.objects.filter(agreement_id=agreement.pk).order_by("number")),
                due_dates={p.due_date for p in existing + plans})
    audit_record(actor=actor, action="payment_plan.generate", target=agreement,
                 changes={"instalments": [str(a) for a in amounts], "replaced": len(existing)})
    return plans


def _plan_fields(agreement: Agreement, data: dict, errors: dict, *, instance: PaymentPlan | None) -> dict:
    out: dict = {}
    if "due_date" in data or instance is None:
        out["due_date"] = parse_day(data.get("due_date"), errors, "due_date")
        _due_check(agreement, out["due_date"], errors)
    if "amount" in data or instance is None:
        out["amount"] = parse_money(data.get("amount"), errors, "amount")
    if "remark" in data:
        out["remark"] = _short(data.get("remark"), errors, "remark", 200)
    return out


@transaction.atomic
def plan_add(*, actor: Actor, agreement_id, data: dict) -> PaymentPlan:
    """One more instalment (the next 期次); the plan total stays within the agreement amount."""
    agreement = _agreement_locked(actor, agreement_id)
    require(actor, "payments.create")
    _require_status(agreement, PLANNABLE, _("制定回款计划"))
    errors: dict = {}
    fields = _plan_fields(agreement, data, errors, instance=None)
    if fields.get("amount") is not None:
        _plan_amount_check(agreement, fields["amount"], other_planned=_planned_except(agreement), errors=errors)
    if errors:
        raise InvalidInput(errors)
    last = PaymentPlan.objects.filter(agreement_id=agreement.pk).aggregate(n=Max("number"))["n"] or 0
    plan = PaymentPlan.objects.create(**_copy_parties(agreement), number=last + 1, **fields)
    _reallocate(agreement, due_dates={plan.due_date})
    plan.refresh_from_db()
    audit_record(actor=actor, action="payment_plan.create", target=plan,
                 changes={"agreement": agreement.number, "amount": plan.amount, "due_date": plan.due_date})
    return plan


def _plan_locked(actor: Actor, plan_id) -> tuple[PaymentPlan, Agreement]:
    plan = get_visible_or_404(PaymentPlan, actor, plan_id)
    agreement = _lock(plan.agreement_id)
    return PaymentPlan.objects.get(pk=plan.pk), agreement


@transaction.atomic
def plan_update(*, actor: Actor, plan_id, data: dict) -> PaymentPlan:
    """Due date, amount (never below what it received; the plan total within the agreement amount), remark."""
    plan, agreement = _plan_locked(actor, plan_id)
    require(actor, "payments.edit")
    errors: dict = {}
    fields = _plan_fields(agreement, data, errors, instance=plan)
    new_amount = fields.get("amount")
    if new_amount is not None:
        if new_amount < plan.received_amount:
            errors["amount"] = _("计划金额不能低于该期已回款 %(x)s") % {"x": yuan(plan.received_amount)}
        else:
            _plan_amount_check(agreement, new_amount, other_planned=_planned_except(agreement, plan.pk),
                               errors=errors)
    if errors:
        raise InvalidInput(errors)
    before = {k: getattr(plan, k) for k in fields}
    for k, v in fields.items():
        setattr(plan, k, v)
    plan.save(update_fields=list(fields) or None)
    _reallocate(agreement, due_dates={before.get("due_date"), plan.due_date} - {None})
    plan.refresh_from_db()
    audit_record(actor=actor, action="payment_plan.update", target=plan,
                 changes={k: [before[k], getattr(plan, k)] for k in fields if before[k] != getattr(plan, k)})
    return plan


@transaction.atomic
def plan_delete(*, actor: Actor, plan_id) -> None:
    """Removes an instalment that has received nothing."""
    plan, agreement = _plan_locked(actor, plan_id)
    require(actor, "payments.edit")
    if plan.received_amount > 0:
        raise Conflict(_("该期已回款 %(x)s，不能删除") % {"x": yuan(plan.received_amount)})
    audit_record(actor=actor, action="payment_plan.delete", target=plan,
                 changes={"agreement": agreement.number, "amount": plan.amount, "due_date": plan.due_date})
    Payment.objects.filter(plan_id=plan.pk).update(plan=None)
    plan.delete()
    _reallocate(agreement, due_dates={plan.due_date})


# ---- payments ----------------------------------------------------------------------------------------

def _method(actor: Actor, value, errors: dict) -> DictionaryItem | None:
    if value in (None, "", 0, "0"):
        return None
    pk = _int(value)
    item = (visible(DictionaryItem, actor).filter(kind=DictionaryKind.PAYMENT_METHOD, pk=pk, is_active=True).first()
            if pk else None)
    if item is None:
        errors["method_id"] = _("无效的回款方式")
    return item


def _open_plan(agreement: Agreement) -> PaymentPlan | None:
    return (PaymentPlan.objects.filter(agreement_id=agreement.pk, status__in=(PlanStatus.UNPAID, PlanStatus.PARTIAL))
            .order_by("due_date", "number").first())


def _owed(agreement: Agreement, paid: Decimal) -> Decimal:
    total = agreement.foreign_amount if _foreign(agreement) else agreement.amount
    return max(total - paid, Decimal("0.00"))


def payment_owed(agreement: Agreement) -> Decimal:
    """What is still owed in the agreement's currency (what the payment form offers)."""
    return _owed(agreement, _paid_foreign(agreement))


def _payment_terms(agreement: Agreement, amount: Decimal, *, overpayment: bool) -> tuple[Decimal, bool]:
    """(CNY, overpayment mark) of a payment on the totals confirmed by now. What is owed is judged in the
    agreement's currency, so paying a foreign amount in full is never a cent too much; beyond it only as an
    explicit overpayment, and the mark stays only on what really goes beyond."""
    paid = _paid_foreign(agreement)
    owed = _owed(agreement, paid)
    if amount > owed and not overpayment:
        raise InvalidInput({"amount": _("超出未回款金额 %(x)s；如确为超额回款，请勾选“超额回款”")
                            % {"x": in_currency(agreement, owed)}})
    base = _base_of_part(agreement, amount, done_foreign=paid, done_base=agreement.received_amount)
    _base_check(base)
    return base, amount > owed


def _confirm(actor: Actor, agreement: Agreement, payment: Payment) -> None:
    # Judged again on the totals confirmed by now: payments may be confirmed in another order than recorded.
    base, over = _payment_terms(agreement, payment.amount, overpayment=payment.is_overpayment)
    if payment.plan_id is None:
        plan = _open_plan(agreement)
        payment.plan_id = plan.pk if plan else None
    updated = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.RECORDED).update(
        status=PaymentStatus.CONFIRMED, confirmed_by_id=actor.user_id, confirmed_at=timezone.now(),
        plan_id=payment.plan_id, base_amount=base, is_overpayment=over)
    if updated != 1:
        raise Conflict(_("这笔回款已被处理，请刷新"))
    payment.refresh_from_db()
    _reallocate(agreement)


@transaction.atomic
def payment_record(*, actor: Actor, agreement_id, data: dict) -> Payment:
    """登记回款: date between the sign date and today, amount > 0 with two decimals, method from the dictionary,
    instalment optional; beyond what is owed only as an explicit overpayment. Finance's are confirmed at once,
    others wait for finance."""
    agreement = _agreement_locked(actor, agreement_id)
    require(actor, "payments.create")
    _require_status(agreement, EFFECTIVE, _("登记回款"))
    errors: dict = {}
    paid_on = parse_day(data.get("paid_on"), errors, "paid_on")
    if paid_on and agreement.sign_date and paid_on < agreement.sign_date:
        errors["paid_on"] = _("回款日期不能早于签约日期 %(d)s") % {"d": agreement.sign_date.isoformat()}
    elif paid_on and paid_on > actor.tenant.today():
        errors["paid_on"] = _("回款日期不能晚于今天")
    amount = parse_money(data.get("amount"), errors, "amount")
    method = _method(actor, data.get("method_id"), errors)
    payer = _short(data.get("payer"), errors, "payer", PAYER_MAX)
    remark = _short(data.get("remark"), errors, "remark", REMARK_MAX)
    overpayment = data.get("is_overpayment") in (True, "true", "on", "1", 1)
    plan = None
    if data.get("plan_id") not in (None, "", 0, "0"):
        pk = _int(data.get("plan_id"))
        plan = PaymentPlan.objects.filter(agreement_id=agreement.pk, pk=pk).first() if pk else None
        if plan is None:
            errors["plan_id"] = _("回款计划不属于该合同/订单")
    if errors:
        raise InvalidInput(errors)
    base, overpayment = _payment_terms(agreement, amount, overpayment=overpayment)
    payment = Payment.objects.create(
        **_copy_parties(agreement), plan=plan, number=number_next(DocType.PAYMENT, paid_on), paid_on=paid_on,
        amount=amount, base_amount=base, method=method, payer=payer or agreement.customer.name[:PAYER_MAX],
        remark=remark, is_overpayment=overpayment, recorded_by_id=actor.user_id)
    audit_record(actor=actor, action="payment.record", target=payment, changes={
        "agreement": agreement.number, "amount": amount, "base_amount": base, "paid_on": paid_on,
        "is_overpayment": overpayment})
    if is_finance(actor):
        _confirm(actor, agreement, payment)
        audit_record(actor=actor, action="payment.confirm", target=payment, changes={"status": ["recorded",
                                                                                                "confirmed"]})
    return payment


def _payment_locked(actor: Actor, payment_id) -> tuple[Payment, Agreement]:
    payment = get_visible_or_404(Payment, actor, payment_id)
    agreement = _lock(payment.agreement_id)
    return Payment.objects.get(pk=payment.pk), agreement


@transaction.atomic
def payment_confirm(*, actor: Actor, payment_id) -> Payment:
    """Finance confirms a recorded payment: it counts as received and settles its (or the oldest open) instalment;
    the overpayment rule is checked again on the current totals."""
    payment, agreement = _payment_locked(actor, payment_id)
    _require_finance(actor, _("只有财务可以确认回款"))
    if payment.status != PaymentStatus.RECORDED:
        raise Conflict(_("只有待确认的回款可以确认"))
    _confirm(actor, agreement, payment)
    audit_record(actor=actor, action="payment.confirm", target=payment, changes={"status": ["recorded", "confirmed"]})
    return payment


@transaction.atomic
def payment_reject(*, actor: Actor, payment_id, reason: str = "") -> Payment:
    """Finance sends back a recorded payment that did not arrive; it never counted."""
    payment, _agreement = _payment_locked(actor, payment_id)
    _require_finance(actor, _("只有财务可以退回回款"))
    errors: dict = {}
    reason = _short(reason, errors, "reason", 200)
    if errors:
        raise InvalidInput(errors)
    if Payment.objects.filter(pk=payment.pk, status=PaymentStatus.RECORDED).update(
            status=PaymentStatus.REJECTED, confirmed_by_id=actor.user_id, confirmed_at=timezone.now(),
            reject_reason=reason) != 1:
        raise Conflict(_("只有待确认的回款可以退回"))
    payment.refresh_from_db()
    audit_record(actor=actor, action="payment.reject", target=payment,
                 changes={"status": ["recorded", "rejected"], "reason": reason})
    return payment


@transaction.atomic
def payment_delete(*, actor: Actor, payment_id) -> None:
    """An unconfirmed payment is withdrawn by whoever may edit it; a confirmed one only finance reverses
    (the received totals and instalments are recomputed)."""
    payment, agreement = _payment_locked(actor, payment_id)
    if payment.status == PaymentStatus.CONFIRMED:
        _require_finance(actor, _("已确认的回款只有财务可以冲销"))
    else:
        require(actor, "payments.edit")
    audit_record(actor=actor, action="payment.delete", target=payment, changes={
        "agreement": agreement.number, "amount": payment.amount, "status": payment.status})
    was_confirmed = payment.status == PaymentStatus.CONFIRMED
    payment.delete()
    if was_confirmed:
        _reallocate(agreement)


# ---- invoices ----------------------------------------------------------------------------------------

PROFILE = ("title", "tax_number", "bank", "account", "address", "phone")
PROFILE_LIMITS = {"title": 200, "tax_number": 20, "bank": 100, "account": 40, "address": 200, "phone": 40}


def tax_method(tenant) -> str:
    method = tenant.feature("invoice_tax_method")
    return method if method in TAX_METHODS else DOCUMENT


def _lines(agreement: Agreement) -> list[tuple[Decimal, Decimal]]:
    return list(AgreementLine.objects.filter(agreement_id=agreement.pk).order_by("position", "id")
                .values_list("amount", "tax_rate"))


def _invoiced_foreign(agreement: Agreement) -> Decimal:
    """Requested, approved and issued invoices in the agreement's currency (invoiced_amount for CNY)."""
    if not _foreign(agreement):
        return agreement.invoiced_amount
    return (Invoice.objects.filter(agreement_id=agreement.pk, status__in=INVOICE_COUNTED)
            .aggregate(s=Sum("amount"))["s"] or Decimal("0.00"))


def invoice_room(agreement: Agreement) -> Decimal:
    """What may still be invoiced, in the agreement's currency (what the request form offers)."""
    return _invoice_room(agreement, _invoiced_foreign(agreement))


def _invoice_room(agreement: Agreement, done_foreign: Decimal) -> Decimal:
    if _foreign(agreement):
        return max(agreement.foreign_amount - done_foreign, Decimal("0.00"))
    return max(agreement.amount - agreement.invoiced_amount, Decimal("0.00"))


@transaction.atomic
def invoice_request(*, actor: Actor, agreement_id, data: dict) -> Invoice:
    """开票申请: amount within what is left to invoice, tax rate 0–100, the customer's invoice profile copied (a
    field given overrides it); tax and net by the tenant's method. It goes to approval (no rule: approved, 待开票)."""
    agreement = _agreement_locked(actor, agreement_id)
    require(actor, "invoices.create")
    _require_status(agreement, EFFECTIVE, _("申请开票"))
    errors: dict = {}
    invoice_type = data.get("invoice_type") or InvoiceType.VAT_NORMAL
    if invoice_type not in InvoiceType.values:
        errors["invoice_type"] = _("发票类型无效")
    amount = parse_money(data.get("amount"), errors, "amount")
    rate = parse_rate(data.get("tax_rate"), errors)
    customer = agreement.customer
    profile = {}
    for key in PROFILE:
        given = data.get(key)
        value = given if given not in (None, "") else getattr(customer, f"invoice_{key}", "")
        profile[key] = _short(value, errors, key, PROFILE_LIMITS[key])
    profile["title"] = profile["title"] or customer.name[:200]
    if invoice_type == InvoiceType.VAT_SPECIAL and not profile["tax_number"]:
        errors["tax_number"] = _("增值税专用发票需要纳税人识别号，请先完善客户的开票信息")
    remark = _short(data.get("remark"), errors, "remark", REMARK_MAX)
    done = _invoiced_foreign(agreement)
    room = _invoice_room(agreement, done)
    if amount is not None and amount > room:
        errors["amount"] = _("开票金额超出可开票金额，最多还可开票 %(x)s") % {"x": in_currency(agreement, room)}
    if errors:
        raise InvalidInput(errors)
    base = _base_of_part(agreement, amount, done_foreign=done, done_base=agreement.invoiced_amount)
    _base_check(base)
    lines, method = _lines(agreement), tax_method(actor.tenant)
    tax, net = invoice_tax(amount, rate, method=method, lines=lines)
    per_line = method == LINE and bool(lines)
    if invoice_type == InvoiceType.RECEIPT:  # a 收据 is no tax invoice: it carries no VAT
        tax, net, rate, per_line, lines = Decimal("0.00"), amount, Decimal("0"), False, []
    rates = {line_rate for _amount, line_rate in lines}
    if per_line and len(rates) == 1:
        rate = rates.pop()
    invoice = Invoice.objects.create(per_line=per_line,
        **_copy_parties(agreement), request_number=number_next(DocType.INVOICE_REQUEST, actor.tenant.today()),
        invoice_type=invoice_type, amount=amount, base_amount=base, tax_rate=rate, tax_amount=tax, net_amount=net,
        remark=remark, requested_by_id=actor.user_id, **profile)
    _save_totals(agreement, invoiced_amount=agreement.invoiced_amount + base)
    audit_record(actor=actor, action="invoice.request", target=invoice, changes={
        "agreement": agreement.number, "amount": amount, "tax_rate": rate, "tax_amount": tax, "net_amount": net})
    if _submit_for_approval(actor, invoice) is None:
        Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.REQUESTED).update(status=InvoiceStatus.APPROVED)
        invoice.status = InvoiceStatus.APPROVED
    return invoice


def _submit_for_approval(actor: Actor, invoice: Invoice):
    """The approval engine's request, or None (no engine, or no rule matched: approved at once)."""
    try:
        from zhuli.approvals.services import approval_submit
    except ImportError:
        return None
    return approval_submit(actor=actor, doc_type="invoice", obj=invoice)


def _invoice_locked(actor: Actor, invoice_id) -> tuple[Invoice, Agreement]:
    invoice = get_visible_or_404(Invoice, actor, invoice_id)
    agreement = _lock(invoice.agreement_id)
    return Invoice.objects.get(pk=invoice.pk), agreement


@transaction.atomic
def invoice_issue(*, actor: Actor, invoice_id, invoice_number, invoice_date) -> Invoice:
    """Finance issues an approved request (待开票 → 已开票) with the invoice's number and date."""
    invoice, agreement = _invoice_locked(actor, invoice_id)
    require(actor, "invoices.view")
    if not is_finance(actor):
        raise Forbidden(_("只有财务可以开具发票"))
    errors: dict = {}
    number = _short(invoice_number, errors, "invoice_number", 40)
    if not number and "invoice_number" not in errors:
        errors["invoice_number"] = _("请填写发票号码")
    day = parse_day(invoice_date, errors, "invoice_date")
    if day and agreement.sign_date and day < agreement.sign_date:
        errors["invoice_date"] = _("开票日期不能早于签约日期 %(d)s") % {"d": agreement.sign_date.isoformat()}
    elif day and day > actor.tenant.today():
        errors["invoice_date"] = _("开票日期不能晚于今天")
    if number and "invoice_number" not in errors:
        # A number once used stays used, voided (作废) invoices included.
        taken = Invoice.objects.filter(invoice_number__iexact=number).exclude(pk=invoice.pk).values_list(
            "request_number", flat=True).first()
        if taken:
            errors["invoice_number"] = _("发票号码 %(n)s 已用于开票申请 %(r)s") % {"n": number, "r": taken}
    if errors:
        raise InvalidInput(errors)
    _require_status(agreement, EFFECTIVE, _("开具发票"))
    try:
        with transaction.atomic():  # the unique number: a colleague issuing the same one at this moment
            issued = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.APPROVED).update(
                status=InvoiceStatus.ISSUED, invoice_number=number, invoice_date=day, issued_by_id=actor.user_id,
                issued_at=timezone.now())
    except IntegrityError:
        raise InvalidInput({"invoice_number": _("发票号码 %(n)s 已被使用") % {"n": number}})
    if issued != 1:
        raise Conflict(_("只有待开票的申请可以开具（当前：%(s)s）") % {"s": invoice.get_status_display()})
    invoice.refresh_from_db()
    audit_record(actor=actor, action="invoice.issue", target=invoice,
                 changes={"status": ["approved", "issued"], "invoice_number": number, "invoice_date": day})
    return invoice


def _release(agreement: Agreement, invoice: Invoice, status: str, *, from_statuses) -> None:
    if Invoice.objects.filter(pk=invoice.pk, status__in=from_statuses).update(status=status) != 1:
        raise Conflict(_("发票状态已变化，请刷新"))
    _save_totals(agreement, invoiced_amount=max(agreement.invoiced_amount - invoice.base_amount, Decimal("0.00")))
    invoice.status = status


@transaction.atomic
def invoice_cancel(*, actor: Actor, invoice_id, reason: str = "") -> Invoice:
    """Withdraws a request (requested / approved) or voids an issued invoice (作废, finance only); what it
    counted against the agreement amount is freed."""
    invoice, agreement = _invoice_locked(actor, invoice_id)
    if invoice.status == InvoiceStatus.ISSUED:
        require(actor, "invoices.view")
        if not is_finance(actor):
            raise Forbidden(_("已开具的发票只有财务可以作废"))
    else:
        require(actor, "invoices.edit")
    if invoice.status not in INVOICE_COUNTED:
        raise Conflict(_("该发票已是“%(s)s”状态") % {"s": invoice.get_status_display()})
    errors: dict = {}
    reason = _short(reason, errors, "reason", 200)
    if errors:
        raise InvalidInput(errors)
    before = invoice.status
    if before == InvoiceStatus.REQUESTED and _withdraw_approval(actor, invoice):
        invoice.refresh_from_db()  # the engine's on_withdrawn cancelled it
        agreement.refresh_from_db()
    if invoice.status != InvoiceStatus.CANCELLED:
        _release(agreement, invoice, InvoiceStatus.CANCELLED, from_statuses=(before,))
    audit_record(actor=actor, action="invoice.cancel", target=invoice,
                 changes={"status": [before, InvoiceStatus.CANCELLED], "reason": reason})
    return invoice


def _withdraw_approval(actor: Actor, invoice: Invoice) -> bool:
    try:
        from zhuli.approvals.selectors import approval_pending_for
        from zhuli.approvals.services import approval_withdraw
    except ImportError:
        return False
    pending = approval_pending_for("invoice", invoice.pk)
    if pending is None:
        return False
    approval_withdraw(actor=actor, request_id=pending.pk)
    return True


def invoice_on_approved(*, actor: Actor, obj: Invoice) -> None:
    """The approval engine's callback: the request becomes 待开票."""
    Invoice.objects.filter(pk=obj.pk, status=InvoiceStatus.REQUESTED).update(status=InvoiceStatus.APPROVED)
    audit_record(actor=actor, action="invoice.approve", target=obj, changes={"status": ["requested", "approved"]})


def invoice_on_rejected(*, actor: Actor, obj: Invoice, comment: str = "") -> None:
    """The approval engine's callback: the request is refused and frees its amount."""
    agreement = _lock(obj.agreement_id)
    invoice = Invoice.objects.get(pk=obj.pk)
    if invoice.status != InvoiceStatus.REQUESTED:
        return
    _release(agreement, invoice, InvoiceStatus.REJECTED, from_statuses=(InvoiceStatus.REQUESTED,))
    audit_record(actor=actor, action="invoice.reject", target=invoice,
                 changes={"status": ["requested", "rejected"], "comment": comment})


def invoice_on_withdrawn(*, actor: Actor, obj: Invoice) -> None:
    """The approval engine's callback when the requester takes the request back: it is cancelled."""
    agreement = _lock(obj.agreement_id)
    invoice = Invoice.objects.get(pk=obj.pk)
    if invoice.status != InvoiceStatus.REQUESTED:
        return
    _release(agreement, invoice, InvoiceStatus.CANCELLED, from_statuses=(InvoiceStatus.REQUESTED,))
    audit_record(actor=actor, action="invoice.cancel", target=invoice, changes={"status": ["requested", "cancelled"]})


# ---- settings and other apps' calls ------------------------------------------------------------------

def invoice_tax_method_set(*, actor: Actor, method: str):
    """Settings → 发票设置: per document or per line (affects new invoices only)."""
    if method not in TAX_METHODS:
        raise InvalidInput({"invoice_tax_method": _("请从可选项中选择")})
    from zhuli.tenancy.services import tenant_features_set

    return tenant_features_set(actor=actor, data={"invoice_tax_method": method})


def _carry(agreement_ids: list[int], values: dict) -> int:
    """Plans, payments and invoices of these agreements carry these owner / customer copies."""
    return sum(model.objects.filter(agreement_id__in=agreement_ids).exclude(**values).update(**values)
               for model in (PaymentPlan, Payment, Invoice))


def billing_follow_agreement_owner(agreement: Agreement, *, old_owner_id: int | None = None,
                                   old_customer_id: int | None = None) -> int:
    """After an agreement changes owner (or customer): its plans, payments and invoices carry the new ones, so
    scopes and receivables follow. Called by the agreements services inside their transaction."""
    changed = _carry([agreement.pk], {"owner_id": agreement.owner_id, "customer_id": agreement.customer_id})
    rollup.refresh_agreement(agreement, old_owner_id=old_owner_id, old_customer_id=old_customer_id)
    return changed


def billing_agreements_changed(agreements: list[Agreement], *, old_owner_id: int | None = None) -> None:
    """After agreements changed status, or moved from `old_owner_id` to their current owner, outside billing (the
    agreements services, inside their transaction, holding the rows): plans, payments and invoices carry the new
    owner, and the receivables rollups follow."""
    if old_owner_id is not None:
        for owner_id in {a.owner_id for a in agreements}:
            _carry([a.pk for a in agreements if a.owner_id == owner_id], {"owner_id": owner_id})
    rollup.refresh_agreements(agreements, old_owner_id=old_owner_id)
