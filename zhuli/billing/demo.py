"""Demo agreements and money (issue 4 part 14): contracts (service products) and orders (physical products) with
their lines, payment plans, payments and invoices, after the catalogue (zhuli.catalog.demo) and the pipeline.

Every won opportunity becomes one agreement (its customer, owner and amount; signed the day it was won); the
rest are agreements signed without an opportunity (repeat business), on owned customers by their owners. The
invariants the billing services keep hold here too (a test checks them on the small demo):
received_amount = Σ confirmed payments' base_amount; planned_amount = Σ instalments; invoiced_amount =
Σ requested / approved / issued invoices ≤ amount; each instalment's received_amount and status follow the
confirmed payments settling it; outstanding is never negative (one or two agreements are overpaid, with the
extra payment marked is_overpayment); invoices' tax + net = gross by the tenant's tax method; numbers follow the
numbering patterns and the core Sequence rows are advanced past them. All amounts are CNY (rate 1)."""
from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from zhuli.core.demo import DemoContext, analyze, chunks, manual_timestamps
from zhuli.core.models import Sequence
from zhuli.core.money import line_amount, round_cents
from zhuli.core.registry import demo_seeders
from zhuli.customers.models import Customer, CustomerKind, Lifecycle
from zhuli.deals.models import Agreement, AgreementKind, AgreementLine, DocType, ShippingState
from zhuli.deals.numbering import pattern_for, render
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, OpportunityStatus
from zhuli.tenancy.unscoped import for_tenant

from . import rollup
from .models import Invoice, InvoiceStatus, InvoiceType, Payment, PaymentPlan, PaymentStatus, PlanStatus
from .tax import invoice_tax

# Agreements of each kind per demo size (won opportunities first, the rest without one).
PER_KIND = {"small": 30, "standard": 1600, "large": 8000}
HISTORY_DAYS = 540
FOREIGN_EVERY = 25  # one order in 25 not from an opportunity (the first included) is an export in a foreign currency
FOREIGN_RATES = [("USD", Decimal("7.126000")), ("EUR", Decimal("7.781500")), ("HKD", Decimal("0.913200"))]
CONTRACT_STATUS = [("active", 62), ("completed", 26), ("draft", 4), ("pending", 4), ("terminated", 4)]
ORDER_STATUS = [("confirmed", 55), ("completed", 33), ("draft", 4), ("pending", 4), ("cancelled", 4)]
EFFECTIVE = {"active", "confirmed", "completed", "terminated"}
PLAN_SHAPES = [((100,), 30), ((50, 50), 25), ((30, 70), 12), ((30, 40, 30), 18), ((25, 25, 25, 25), 8),
               ((40, 30, 20, 10), 7)]
METHOD_WEIGHTS = {"bank": 70, "acceptance": 8, "wechat": 7, "alipay": 6, "check": 4, "cash": 3, "other": 2}
CONTRACT_WORDS = ["服务合同", "实施合同", "年度服务合同", "软件采购合同", "技术服务合同"]
ORDER_WORDS = ["采购订单", "设备采购", "耗材采购", "补货订单"]
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class Draft:
    """One agreement being built, with its children (ids filled after the agreement is inserted)."""

    agreement: Agreement
    lines: list[AgreementLine] = field(default_factory=list)
    plans: list[PaymentPlan] = field(default_factory=list)
    payments: list[tuple[int | None, Payment]] = field(default_factory=list)  # (plan index, payment)
    invoices: list[Invoice] = field(default_factory=list)


class _Numbers:
    """Numbers from the tenant's patterns, one sequence per rendered prefix, written to core Sequence at the end."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.patterns = {t: pattern_for(t) for t in (DocType.CONTRACT, DocType.ORDER, DocType.PAYMENT,
                                                     DocType.INVOICE_REQUEST)}
        self.values: dict[str, int] = {}

    def next(self, doc_type: str, day: datetime.date) -> str:
        pattern = self.patterns[doc_type]
        name = f"{doc_type}:{render(pattern, day, None)}"
        self.values[name] = self.values.get(name, 0) + 1
        return render(pattern, day, self.values[name])

    def save(self) -> None:
        """Creates or advances each Sequence so numbers the services issue later never collide."""
        sequences = for_tenant(Sequence, self.tenant)
        existing = {s.name: s for s in sequences.filter(name__in=list(self.values))}
        new, changed = [], []
        for name, value in self.values.items():
            row = existing.get(name)
            if row is None:
                new.append(Sequence(tenant=self.tenant, name=name, value=value))
            elif row.value < value:
                row.value = value
                changed.append(row)
        sequences.bulk_create(new, batch_size=1000)
        sequences.bulk_update(changed, ["value"], batch_size=1000)


class _Builder:
    def __init__(self, ctx: DemoContext):
        self.ctx, self.rng, self.tenant = ctx, ctx.rng, ctx.tenant
        self.today = ctx.today
        self.numbers = _Numbers(ctx.tenant)
        products = ctx.shared.get("products") or []
        self.services = [p for p in products if p.kind == "service"]
        self.goods = [p for p in products if p.kind == "physical"]
        self.units = {p.unit_id: p.unit.name for p in products if p.unit_id}
        methods = {i.code: i for i in for_tenant(DictionaryItem, ctx.tenant).filter(kind=DictionaryKind.PAYMENT_METHOD)}
        self.methods = [(methods[c], w) for c, w in METHOD_WEIGHTS.items() if c in methods]
        self.finance = ctx.users.get("finance")
        self.tax_method = ctx.tenant.feature("invoice_tax_method") or "document"
        self.invoice_serial = 10_000_000 + self.rng.randint(0, 900_000)
        self.customers: dict[int, Customer] = {}
        self.plain_orders = 0

    # ---- dates -------------------------------------------------------------------------------------

    def moment(self, day: datetime.date) -> datetime.datetime:
        return min(self.ctx.work_time(day), self.ctx.now - datetime.timedelta(minutes=1))

    def sign_day(self, not_before: datetime.date) -> datetime.date:
        first = max(not_before, self.today - datetime.timedelta(days=HISTORY_DAYS))
        span = max(0, (self.today - first).days)
        return first + datetime.timedelta(days=int(span * self.rng.random() ** 0.8))

    # ---- lines -------------------------------------------------------------------------------------

    def _line(self, product, quantity: Decimal, unit_price: Decimal, discount: Decimal, position: int):
        return AgreementLine(
            tenant=self.tenant, product_id=product.pk, name=product.name, specification=product.specification,
            unit=self.units.get(product.unit_id, ""), quantity=quantity, unit_price=unit_price, discount=discount,
            tax_rate=product.tax_rate, amount=line_amount(quantity, unit_price, discount), position=position)

    def _quantity(self, kind: str) -> Decimal:
        if kind == AgreementKind.CONTRACT:
            return Decimal(self.ctx.weighted([(1, 60), (2, 15), (3, 8), (5, 7), (10, 5), (20, 5)]))
        return Decimal(self.ctx.weighted([(1, 20), (2, 18), (3, 12), (5, 15), (10, 15), (20, 10), (50, 6), (100, 4)]))

    def lines(self, kind: str, target: Decimal | None) -> list[AgreementLine]:
        """Service lines for a contract (1–3), goods for an order (1–6); with a target the last line takes the rest,
        so the lines (rounded each, tax included) sum to the opportunity's amount exactly."""
        pool = self.services if kind == AgreementKind.CONTRACT else self.goods
        if not pool:
            return []
        count = self.rng.choice([1, 1, 2, 2, 3]) if kind == AgreementKind.CONTRACT else self.rng.choice([1, 2, 3, 3, 4, 5, 6])
        picked = self.rng.sample(pool, min(count, len(pool)))
        out: list[AgreementLine] = []
        total = ZERO
        for product in picked[:-1] if target is not None else picked:
            line = self._line(product, self._quantity(kind), product.list_price,
                              Decimal(self.ctx.weighted([(0, 60), (5, 20), (10, 15), (15, 5)])), len(out) + 1)
            if target is not None and total + line.amount > target * Decimal("0.8"):
                break
            out.append(line)
            total += line.amount
        if target is not None:
            out.append(self._line(picked[-1], Decimal(1), target - total, ZERO, len(out) + 1))
        return out

    # ---- one agreement -----------------------------------------------------------------------------

    def agreement(self, kind: str, *, customer, owner_id: int, sign: datetime.date, opportunity=None) -> Draft:
        rng, ctx = self.rng, self.ctx
        status = ctx.weighted(CONTRACT_STATUS if kind == AgreementKind.CONTRACT else ORDER_STATUS)
        if status in ("draft", "pending") and opportunity is None:
            sign = max(sign, self.today - datetime.timedelta(days=20))
        lines = self.lines(kind, Decimal(opportunity.amount) if opportunity is not None and opportunity.amount else None)
        currency, rate = "CNY", Decimal(1)
        if kind == AgreementKind.ORDER and opportunity is None:
            self.plain_orders += 1
        if kind == AgreementKind.ORDER and opportunity is None and self.plain_orders % FOREIGN_EVERY == 1:
            # An export order priced in the buyer's currency at a rate fixed at signing.
            currency, rate = rng.choice(FOREIGN_RATES)
            for line in lines:
                line.unit_price = max(CENT, (line.unit_price / rate).quantize(CENT))
                line.amount = line_amount(line.quantity, line.unit_price, line.discount)
        foreign = sum((ln.amount for ln in lines), ZERO)
        amount = round_cents(foreign * rate)
        contract = kind == AgreementKind.CONTRACT
        start = sign + datetime.timedelta(days=rng.randint(0, 10))
        end = start + datetime.timedelta(days=rng.choice([180, 365, 365, 365, 730]))
        if status == "completed" and contract and end > self.today:
            end = max(start + datetime.timedelta(days=30), self.today - datetime.timedelta(days=rng.randint(1, 60)))
        if status == "active" and rng.random() < 0.08:  # some end within the month (workbench reminder)
            end = self.today + datetime.timedelta(days=rng.randint(1, 30))
            start = min(start, end - datetime.timedelta(days=60))
        signed = status not in ("draft", "pending")
        created = self.moment(sign)
        words = CONTRACT_WORDS if contract else ORDER_WORDS
        title = opportunity.title if opportunity is not None else f"{customer.label}{rng.choice(words)}"
        shipping = ""
        if not contract:
            shipping = ShippingState.NONE
            if status == "completed":
                shipping = ShippingState.SHIPPED
            elif status == "confirmed":
                shipping = ctx.weighted([(ShippingState.NONE, 30), (ShippingState.PARTIAL, 25),
                                         (ShippingState.SHIPPED, 45)])
            for i, line in enumerate(lines):
                if shipping == ShippingState.SHIPPED or (shipping == ShippingState.PARTIAL and i % 2 == 0):
                    line.shipped_quantity = line.quantity
        agreement = Agreement(
            tenant=self.tenant, kind=kind,
            number=self.numbers.next(DocType.CONTRACT if contract else DocType.ORDER, sign),
            title=title[:200], customer_id=customer.id, opportunity_id=getattr(opportunity, "pk", None),
            owner_id=owner_id, status=status, sign_date=sign if signed else None,
            start_date=start if contract else None, end_date=end if contract else None,
            customer_signer=(rng.choice(customer.contact_names) if customer.contact_names else "") if contract else "",
            our_signer_id=owner_id if contract and signed else None, shipping_state=shipping,
            delivery_address="" if contract else ctx.faker.address()[:300],
            delivery_contact="" if contract else (rng.choice(customer.contact_names) if customer.contact_names
                                                  else ctx.faker.name()),
            delivery_phone="" if contract else ctx.faker.phone_number(),
            currency=currency, exchange_rate=rate, foreign_amount=foreign, amount=amount,
            max_discount=max((ln.discount for ln in lines), default=ZERO), created_by_id=owner_id,
            created_at=created, updated_at=created,
        )
        draft = Draft(agreement, lines)
        if status in EFFECTIVE:
            self.money(draft, sign, status)
        return draft

    # ---- plans, payments, invoices -----------------------------------------------------------------

    def money(self, draft: Draft, sign: datetime.date, status: str) -> None:
        rng, ctx, a = self.rng, self.ctx, draft.agreement
        if a.amount <= 0:
            return
        if a.currency != "CNY":
            self.foreign_money(draft, sign, status)
            return
        completed = status == "completed"
        # Some have no plan yet: payments go straight onto the agreement.
        shape = None if not completed and rng.random() < 0.08 else ctx.weighted(PLAN_SHAPES)
        plans: list[PaymentPlan] = []
        if shape:
            parts = [(a.amount * Decimal(p) / 100).quantize(CENT) for p in shape]
            parts[0] += a.amount - sum(parts, ZERO)  # the rounding remainder on the first instalment
            gap = rng.choice([30, 60, 90])
            for i, part in enumerate(parts):
                if part <= 0:
                    continue
                due = sign + datetime.timedelta(days=rng.randint(0, 15) + i * gap)
                plans.append(PaymentPlan(tenant=self.tenant, customer_id=a.customer_id, owner_id=a.owner_id,
                                         number=len(plans) + 1, due_date=due, amount=part, received_amount=ZERO,
                                         status=PlanStatus.UNPAID, created_at=a.created_at))
        draft.plans = plans
        a.planned_amount = sum((p.amount for p in plans), ZERO)
        # What each instalment receives (confirmed); recorded-only payments wait for finance and count nowhere.
        targets = [(i, p.amount, p.due_date) for i, p in enumerate(plans)] or [(None, a.amount, sign + datetime.timedelta(days=30))]
        for index, owed, due in targets:
            if completed:
                outcome = "paid"
            elif due > self.today + datetime.timedelta(days=7):
                outcome = ctx.weighted([("none", 88), ("paid", 8), ("partial", 4)])
            elif due >= self.today - datetime.timedelta(days=3):
                outcome = ctx.weighted([("none", 40), ("paid", 35), ("recorded", 20), ("partial", 5)])
            else:
                outcome = ctx.weighted([("paid", 72), ("partial", 9), ("none", 11), ("recorded", 6), ("split", 2)])
            if status == "terminated" and outcome != "none":
                outcome = "partial"
            if outcome == "none":
                continue
            day = min(self.today, max(sign, due + datetime.timedelta(days=rng.randint(-10, 25))))
            if outcome == "partial":
                first = (owed * Decimal(rng.choice([20, 30, 40, 50, 60])) / 100).quantize(CENT)
                self.payment(draft, index, first, day, PaymentStatus.CONFIRMED)
            elif outcome == "split":
                first = (owed / 2).quantize(CENT)
                self.payment(draft, index, first, day, PaymentStatus.CONFIRMED)
                later = min(self.today, day + datetime.timedelta(days=rng.randint(5, 30)))
                self.payment(draft, index, owed - first, later, PaymentStatus.CONFIRMED)
            elif outcome == "recorded":
                day = max(sign, self.today - datetime.timedelta(days=rng.randint(0, 6)))
                self.payment(draft, index, owed, day, PaymentStatus.RECORDED)
            else:
                self.payment(draft, index, owed, day, PaymentStatus.CONFIRMED)
        if rng.random() < 0.01 and draft.payments:  # a refused slip (wrong amount), never counted
            self.payment(draft, None, (a.amount / 3).quantize(CENT) or CENT,
                         max(sign, self.today - datetime.timedelta(days=rng.randint(5, 60))), PaymentStatus.REJECTED)
        self.invoices(draft, sign, completed)

    def foreign_money(self, draft: Draft, sign: datetime.date, status: str) -> None:
        """An export order: one instalment in CNY, paid in its currency in full (completed, or most of those due),
        by half, or not yet; no VAT invoices. A full payment's CNY is the agreement's amount exactly, as the
        services count it (round(total so far × rate) − CNY so far)."""
        a, rng = draft.agreement, self.rng
        due = sign + datetime.timedelta(days=rng.choice([30, 45, 60]))
        draft.plans = [PaymentPlan(tenant=self.tenant, customer_id=a.customer_id, owner_id=a.owner_id, number=1,
                                   due_date=due, amount=a.amount, received_amount=ZERO, status=PlanStatus.UNPAID,
                                   created_at=a.created_at)]
        a.planned_amount = a.amount
        outcome = "paid" if status == "completed" else (
            self.ctx.weighted([("paid", 60), ("half", 20), ("none", 20)]) if due < self.today else "none")
        day = min(self.today, max(sign, due + datetime.timedelta(days=rng.randint(-5, 20))))
        if outcome == "paid":
            self.payment(draft, 0, a.amount, day, PaymentStatus.CONFIRMED, foreign=a.foreign_amount)
        elif outcome == "half":
            half = (a.foreign_amount / 2).quantize(CENT)
            self.payment(draft, 0, round_cents(half * a.exchange_rate), day, PaymentStatus.CONFIRMED, foreign=half)

    def payment(self, draft: Draft, plan_index: int | None, amount: Decimal, day: datetime.date, status: str,
                *, overpayment: bool = False, foreign: Decimal | None = None) -> None:
        if amount <= 0:
            return
        a, rng = draft.agreement, self.rng
        recorded_by = a.owner_id if rng.random() < 0.7 or not self.finance else self.finance.pk
        created = self.moment(day)
        confirmed_at = None
        if status == PaymentStatus.CONFIRMED:
            confirmed_at = min(created + datetime.timedelta(hours=rng.randint(1, 72)),
                               self.ctx.now - datetime.timedelta(minutes=1))
        payment = Payment(
            tenant=self.tenant, customer_id=a.customer_id, owner_id=a.owner_id,
            number=self.numbers.next(DocType.PAYMENT, day), paid_on=day, amount=amount if foreign is None else foreign,
            base_amount=amount,
            method=self.ctx.weighted(self.methods) if self.methods else None, payer="", status=status,
            is_overpayment=overpayment, recorded_by_id=recorded_by,
            confirmed_by_id=self.finance.pk if confirmed_at and self.finance else None, confirmed_at=confirmed_at,
            remark="超额回款，待下期抵扣" if overpayment else "", created_at=created)
        draft.payments.append((plan_index, payment))
        if status == PaymentStatus.CONFIRMED:
            a.received_amount += amount
            if plan_index is not None:
                plan = draft.plans[plan_index]
                plan.received_amount += amount
                plan.status = PlanStatus.PAID if plan.received_amount >= plan.amount else PlanStatus.PARTIAL

    def invoices(self, draft: Draft, sign: datetime.date, completed: bool) -> None:
        """Issued invoices for most of what came in (or all of it on completed agreements); some requests wait."""
        rng, ctx, a = self.rng, self.ctx, draft.agreement
        contract = a.kind == AgreementKind.CONTRACT
        rate = Decimal(6) if contract else Decimal(13)
        received = min(a.received_amount, a.amount)
        portions: list[tuple[Decimal, str]] = []
        if completed:
            portions.append((a.amount, InvoiceStatus.ISSUED))
        elif received > 0 and rng.random() < 0.8:
            portions.append((received, InvoiceStatus.ISSUED))
        left = a.amount - sum((g for g, _s in portions), ZERO)
        if left > 0 and not completed and rng.random() < 0.12:
            status = ctx.weighted([(InvoiceStatus.REQUESTED, 55), (InvoiceStatus.APPROVED, 45)])
            portions.append(((left * Decimal(rng.choice([30, 50, 100])) / 100).quantize(CENT), status))
        if portions and rng.random() < 0.03:
            portions.append((min(a.amount, portions[0][0]), InvoiceStatus.REJECTED))
        lines = [(ln.amount, ln.tax_rate) for ln in draft.lines]
        customer = self.customers[a.customer_id]
        for gross, status in portions:
            if gross <= 0:
                continue
            counted = status in (InvoiceStatus.REQUESTED, InvoiceStatus.APPROVED, InvoiceStatus.ISSUED)
            if counted and a.invoiced_amount + gross > a.amount:
                continue
            day = min(self.today, sign + datetime.timedelta(days=rng.randint(3, 60)))
            if status in (InvoiceStatus.REQUESTED, InvoiceStatus.APPROVED):
                day = max(sign, self.today - datetime.timedelta(days=rng.randint(0, 10)))
            tax, net = invoice_tax(gross, rate, method=self.tax_method, lines=lines)
            issued = status == InvoiceStatus.ISSUED
            created = self.moment(day)
            kind = (InvoiceType.VAT_SPECIAL if customer.kind == CustomerKind.ENTERPRISE and rng.random() < 0.6
                    else InvoiceType.VAT_NORMAL if rng.random() < 0.9 else InvoiceType.RECEIPT)
            line_rate = rate
            if kind == InvoiceType.RECEIPT:  # no VAT on a 收据, as the services write it
                tax, net, line_rate = ZERO, gross, Decimal(0)
            if issued:
                self.invoice_serial += 1
            draft.invoices.append(Invoice(
                tenant=self.tenant, customer_id=a.customer_id, owner_id=a.owner_id,
                request_number=self.numbers.next(DocType.INVOICE_REQUEST, day), invoice_type=kind, status=status,
                invoice_number=f"{self.invoice_serial:08d}" if issued else "", invoice_date=day if issued else None,
                amount=gross, base_amount=gross, tax_rate=line_rate, tax_amount=tax, net_amount=net,
                title=customer.invoice_title or customer.name, tax_number=customer.invoice_tax_number or customer.credit_code,
                bank=customer.invoice_bank, account=customer.invoice_account, address=customer.invoice_address,
                phone=customer.invoice_phone, requested_by_id=a.owner_id,
                issued_by_id=self.finance.pk if issued and self.finance else None,
                issued_at=min(created + datetime.timedelta(hours=rng.randint(2, 48)), self.ctx.now) if issued else None,
                created_at=created))
            if counted:
                a.invoiced_amount += gross

    def overpay(self, draft: Draft) -> None:
        """A customer paid more than the agreement: the extra is an explicit overpayment (超额回款), no instalment."""
        a = draft.agreement
        draft.payments = [(i, p) for i, p in draft.payments if p.status != PaymentStatus.RECORDED]
        extra = max(CENT, (a.amount * Decimal("0.05")).quantize(CENT))
        owed = a.amount - a.received_amount
        # A few days ago, but never before it was signed (it may have been signed yesterday).
        settled, extra_day = (max(a.sign_date, self.today - datetime.timedelta(days=n)) for n in (3, 2))
        for index, plan in enumerate(draft.plans):
            rest = plan.amount - plan.received_amount
            if rest > 0:
                self.payment(draft, index, rest, settled, PaymentStatus.CONFIRMED)
        if not draft.plans and owed > 0:
            self.payment(draft, None, owed, settled, PaymentStatus.CONFIRMED)
        self.payment(draft, None, extra, extra_day, PaymentStatus.CONFIRMED, overpayment=True)


def _won_opportunities(ctx: DemoContext) -> list:
    return list(for_tenant(Opportunity, ctx.tenant).filter(status=OpportunityStatus.WON)
                .only("id", "title", "amount", "customer_id", "owner_id", "closed_at").order_by("closed_at", "id"))


def seed(ctx: DemoContext) -> None:
    """Contracts and orders (won opportunities first), their lines, plans, payments and invoices, in bulk."""
    per_kind = PER_KIND.get(ctx.size.name, PER_KIND["standard"])
    demo_customers = {c.id: c for c in ctx.shared.get("customers") or [] if c.owner_id}
    if not demo_customers or not ctx.shared.get("products"):
        return
    builder = _Builder(ctx)
    rng = ctx.rng
    records = {c.pk: c for c in for_tenant(Customer, ctx.tenant).filter(pk__in=list(demo_customers)).only(
        "id", "name", "kind", "credit_code", "invoice_title", "invoice_tax_number", "invoice_bank", "invoice_account",
        "invoice_address", "invoice_phone")}
    for pk, c in demo_customers.items():
        records[pk].label, records[pk].contact_names, records[pk].created_at = c.label, c.contact_names, c.created_at
    builder.customers = records
    drafts: list[Draft] = []
    counts = {AgreementKind.CONTRACT: 0, AgreementKind.ORDER: 0}
    for opp in _won_opportunities(ctx):
        customer = records.get(opp.customer_id)
        if customer is None or not opp.amount:
            continue
        kind = AgreementKind.CONTRACT if rng.random() < 0.5 else AgreementKind.ORDER
        if counts[kind] >= per_kind:
            kind = AgreementKind.ORDER if kind == AgreementKind.CONTRACT else AgreementKind.CONTRACT
            if counts[kind] >= per_kind:
                break
        sign = opp.closed_at.astimezone(ctx.zone).date() if opp.closed_at else ctx.today
        drafts.append(builder.agreement(kind, customer=customer, owner_id=opp.owner_id, sign=sign, opportunity=opp))
        counts[kind] += 1
    owned = list(records.values())
    weights = [max(demo_customers[c.pk].attention, 0.05) for c in owned]
    for kind in (AgreementKind.CONTRACT, AgreementKind.ORDER):
        for customer in rng.choices(owned, weights=weights, k=per_kind - counts[kind]):
            sign = builder.sign_day(customer.created_at.astimezone(ctx.zone).date())
            drafts.append(builder.agreement(kind, customer=customer, owner_id=demo_customers[customer.pk].owner_id,
                                            sign=sign))
    # One or two overpaid agreements, so 超额回款 shows up on the receivables.
    effective = [d for d in drafts if d.agreement.status in ("active", "confirmed") and d.agreement.amount > 0
                 and d.agreement.currency == "CNY"]
    for draft in rng.sample(effective, min(2, len(effective))):
        builder.overpay(draft)
    _insert(ctx, drafts)
    builder.numbers.save()
    _lifecycles(ctx, drafts)
    rollup.rebuild(ctx.tenant)  # the rows went in with bulk_create, past the services that keep it
    ctx.say(f"  agreements: {len(drafts)} ({sum(1 for d in drafts if d.agreement.opportunity_id)} from opportunities),"
            f" lines: {sum(len(d.lines) for d in drafts)}, plans: {sum(len(d.plans) for d in drafts)},"
            f" payments: {sum(len(d.payments) for d in drafts)}, invoices: {sum(len(d.invoices) for d in drafts)}")


def _insert(ctx: DemoContext, drafts: list[Draft]) -> None:
    tenant = ctx.tenant
    with manual_timestamps(Agreement, PaymentPlan, Payment, Invoice):
        for batch in chunks(drafts, ctx.size.batch):
            agreements = for_tenant(Agreement, tenant).bulk_create([d.agreement for d in batch], batch_size=500)
            lines, plans = [], []
            for draft, agreement in zip(batch, agreements, strict=True):
                for item in (*draft.lines, *draft.plans):
                    item.agreement_id = agreement.pk
                lines += draft.lines
                plans += draft.plans
            for_tenant(AgreementLine, tenant).bulk_create(lines, batch_size=1000)
            for_tenant(PaymentPlan, tenant).bulk_create(plans, batch_size=1000)
            payments, invoices = [], []
            for draft in batch:
                for plan_index, payment in draft.payments:
                    payment.agreement_id = draft.agreement.pk
                    payment.plan_id = draft.plans[plan_index].pk if plan_index is not None else None
                    payments.append(payment)
                for invoice in draft.invoices:
                    invoice.agreement_id = draft.agreement.pk
                    invoices.append(invoice)
            for_tenant(Payment, tenant).bulk_create(payments, batch_size=1000)
            for_tenant(Invoice, tenant).bulk_create(invoices, batch_size=1000)
    analyze(Agreement, AgreementLine, PaymentPlan, Payment, Invoice)


def _lifecycles(ctx: DemoContext, drafts: list[Draft]) -> None:
    """签约 after the first signed agreement, 重复购买 after the second (potential customers only); 首次签约日期
    is the earliest sign date of a signed one."""
    signed = defaultdict(int)
    first: dict[int, datetime.date] = {}
    for d in drafts:
        a = d.agreement
        if a.status in EFFECTIVE:
            signed[a.customer_id] += 1
            first[a.customer_id] = min(first.get(a.customer_id, a.sign_date), a.sign_date)
    customers = for_tenant(Customer, ctx.tenant).filter(lifecycle__in=[Lifecycle.POTENTIAL, Lifecycle.SIGNED])
    once = [pk for pk, n in signed.items() if n == 1]
    more = [pk for pk, n in signed.items() if n > 1]
    for ids, lifecycle in ((once, Lifecycle.SIGNED), (more, Lifecycle.REPEAT)):
        for part in chunks(ids, 500):
            customers.filter(pk__in=part).update(lifecycle=lifecycle)
    for_tenant(Customer, ctx.tenant).bulk_update([Customer(pk=pk, first_signed_on=day) for pk, day in first.items()],
                                                 ["first_signed_on"], batch_size=500)


demo_seeders.register("agreements", seed, order=35)
