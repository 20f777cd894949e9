"""Demo quotes (报价单): after the catalogue, a few quotes per salesperson on their own customers, priced from the
demo products, in the statuses a quote can hold before conversion (draft / sent / accepted / rejected; none is
converted, so every demo agreement still comes from billing's seeder alone). total = Σ rounded lines; numbers
follow the tenant's quote pattern and the core Sequence rows are advanced past them."""
from __future__ import annotations

import datetime
from decimal import Decimal

from zhuli.core.demo import DemoContext, analyze, manual_timestamps
from zhuli.core.models import Sequence
from zhuli.core.money import line_amount
from zhuli.core.registry import demo_seeders
from zhuli.tenancy.unscoped import for_tenant

from .models import DocType, Quote, QuoteLine
from .numbering import pattern_for, render

PER_SIZE = {"small": 8, "standard": 150, "large": 600}
STATUS_WEIGHTS = [(Quote.Status.DRAFT, 20), (Quote.Status.SENT, 35), (Quote.Status.ACCEPTED, 25),
                  (Quote.Status.REJECTED, 20)]
HISTORY_DAYS = 180
VALID_DAYS = 30
WORDS = ["产品报价", "设备报价", "服务报价", "年度采购报价", "升级方案报价"]


def _advance_sequences(tenant, values: dict[str, int]) -> None:
    """Creates or raises each Sequence so quotes the services number later never collide with these."""
    sequences = for_tenant(Sequence, tenant)
    existing = {s.name: s for s in sequences.filter(name__in=list(values))}
    changed = []
    for name, value in values.items():
        row = existing.get(name)
        if row is None:
            sequences.create(name=name, value=value)
        elif row.value < value:
            row.value = value
            changed.append(row)
    sequences.bulk_update(changed, ["value"])


def seed(ctx: DemoContext) -> None:
    """Quotes with 1–4 product lines (all services or all goods) on owned demo customers, by their owners."""
    customers = [c for c in ctx.shared.get("customers") or [] if c.owner_id]
    products = ctx.shared.get("products") or []
    if not customers or not products:
        return
    rng, tenant, today = ctx.rng, ctx.tenant, ctx.today
    pattern = pattern_for(DocType.QUOTE)
    values: dict[str, int] = {}
    weights = [max(c.attention, 0.05) for c in customers]
    quotes, lines_of = [], []
    for customer in rng.choices(customers, weights=weights, k=PER_SIZE.get(ctx.size.name, PER_SIZE["standard"])):
        first = max(customer.created_at.astimezone(ctx.zone).date(), today - datetime.timedelta(days=HISTORY_DAYS))
        day = first + datetime.timedelta(days=rng.randint(0, max(0, (today - first).days)))
        name = f"{DocType.QUOTE}:{render(pattern, day, None)}"[:50]
        values[name] = values.get(name, 0) + 1
        lines = []
        # Services (a contract) or goods (an order), never both: a quote converts into one of them.
        kind = rng.choice(("service", "physical"))
        pool = [p for p in products if p.kind == kind] or products
        for position, product in enumerate(rng.sample(pool, min(rng.randint(1, 4), len(pool))), start=1):
            quantity = Decimal(ctx.weighted([(1, 40), (2, 20), (5, 20), (10, 15), (50, 5)]))
            discount = Decimal(ctx.weighted([(0, 60), (5, 25), (10, 15)]))
            lines.append(QuoteLine(
                tenant=tenant, product_id=product.pk, name=product.name, specification=product.specification,
                unit=product.unit.name if product.unit_id else "", quantity=quantity, unit_price=product.list_price,
                discount=discount, tax_rate=product.tax_rate,
                amount=line_amount(quantity, product.list_price, discount), position=position))
        moment = min(ctx.work_time(day), ctx.now - datetime.timedelta(minutes=1))
        status = Quote.Status.DRAFT if day == today else ctx.weighted(STATUS_WEIGHTS)
        quotes.append(Quote(
            tenant=tenant, number=render(pattern, day, values[name]),
            title=f"{customer.label or customer.name}{rng.choice(WORDS)}", customer_id=customer.id,
            owner_id=customer.owner_id, created_by_id=customer.owner_id, status=status, quote_date=day,
            valid_until=day + datetime.timedelta(days=VALID_DAYS), total=sum((li.amount for li in lines), Decimal("0")),
            created_at=moment, updated_at=moment))
        lines_of.append(lines)
    with manual_timestamps(Quote):
        quotes = for_tenant(Quote, tenant).bulk_create(quotes, batch_size=500)
    rows = []
    for quote, lines in zip(quotes, lines_of, strict=True):
        for line in lines:
            line.quote_id = quote.pk
            rows.append(line)
    for_tenant(QuoteLine, tenant).bulk_create(rows, batch_size=1000)
    _advance_sequences(tenant, values)
    analyze(Quote, QuoteLine)
    ctx.say(f"  quotes: {len(quotes)}, lines: {len(rows)}")


# After the catalogue (products, 30), before agreements (35).
demo_seeders.register("quotes", seed, order=32)
