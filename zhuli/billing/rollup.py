"""The receivables rollups (ReceivableTotal, ReceivableDue): what the receivables report and the aging read, so
they cost a scan of a few thousand summary rows instead of every agreement and instalment of the company.

How they stay right: a rollup row is never adjusted by a difference; it is recomputed from the agreements and
instalments with its key, after this transaction has locked it. Billing's write paths call `refresh_agreement`
at their choke points (`_save_totals`, `_reallocate`, owner follow-up, status changes from the agreements app), so
a row touched by any of them is exact again, whatever wrote before. The lock comes first (an upsert that keeps the
row, or inserts it empty), then the recount, then the write: two transactions changing agreements of the same key
queue on its row, and the second counts what the first committed (READ COMMITTED takes a new snapshot per
statement). Keys are locked in sorted order, so two transactions never wait on each other in a circle.

`rebuild` recomputes a whole company (demo data, bulk loads, and `manage.py receivables_rebuild` after repairs)."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from zhuli.core.money import round_cents
from zhuli.deals.models import Agreement
from zhuli.tenancy.context import require_tenant

from .models import PaymentPlan, PlanStatus, ReceivableDue, ReceivableTotal

# Agreements whose money is owed: signed and running or done (drafts, pending, terminated and cancelled are not).
RECEIVABLE_STATUSES = ("active", "confirmed", "completed")
OPEN_PLAN = (PlanStatus.UNPAID, PlanStatus.PARTIAL)
MONEY_OUT = DecimalField(max_digits=18, decimal_places=2)
TOTAL_KEY = ("owner_id", "customer_id", "kind")
DUE_KEY = ("owner_id", "kind", "due_date")
TOTAL_VALUES = ("agreements", "amount", "received", "invoiced", "outstanding")
BATCH = 2000


def money_sum(expr):
    """SUM of money, 0 when there are no rows. Read it through `cents()`: SQLite sums decimals as floats."""
    return Coalesce(Sum(expr, output_field=MONEY_OUT), Value(0), output_field=MONEY_OUT)


def cents(value) -> Decimal:
    """A money sum to the cent (SQLite hands back 3370.78999999999 for 3370.79; PostgreSQL is exact already)."""
    return round_cents(value)


def open_agreements():
    """Receivable agreements with money outstanding: the set the rollup (and the report) covers."""
    return Agreement.objects.filter(status__in=RECEIVABLE_STATUSES, amount__gt=F("received_amount"))


def open_instalments():
    return PaymentPlan.objects.filter(status__in=OPEN_PLAN, agreement__status__in=RECEIVABLE_STATUSES)


def _total_figures(qs) -> dict[tuple, dict]:
    rows = (qs.order_by().values(*TOTAL_KEY)
            .annotate(n=Count("id"), s_amount=money_sum("amount"), s_received=money_sum("received_amount"),
                      s_invoiced=money_sum("invoiced_amount"),
                      s_outstanding=money_sum(F("amount") - F("received_amount"))))
    return {tuple(r[k] for k in TOTAL_KEY): {
        "agreements": r["n"], "amount": cents(r["s_amount"]), "received": cents(r["s_received"]),
        "invoiced": cents(r["s_invoiced"]), "outstanding": cents(r["s_outstanding"])} for r in rows}


def _due_figures(qs) -> dict[tuple, dict]:
    rows = (qs.order_by().values("owner_id", "agreement__kind", "due_date")
            .annotate(s_balance=money_sum(F("amount") - F("received_amount"))))
    return {(r["owner_id"], r["agreement__kind"], r["due_date"]): {"balance": cents(r["s_balance"])} for r in rows}


def _upsert(model, key_fields: tuple, rows: list[tuple[tuple, dict]], update_fields) -> None:
    tenant = require_tenant()
    model.objects.bulk_create([model(tenant=tenant, **dict(zip(key_fields, key, strict=True)), **values)
                               for key, values in rows],
                              update_conflicts=True, update_fields=list(update_fields),
                              unique_fields=["tenant", *(k.removesuffix("_id") for k in key_fields)])


def _refresh(model, key_fields: tuple, value_fields: tuple, keys: set[tuple], recount) -> None:
    ordered = sorted(k for k in keys if None not in k)
    if not ordered:
        return
    # The lock: upserting the key rows holds each one (inserted empty when new) until this transaction ends.
    _upsert(model, key_fields, [(key, dict.fromkeys(value_fields, 0)) for key in ordered], value_fields[:1])
    figures = recount(set(ordered))
    filled = [(key, figures[key]) for key in ordered if key in figures]
    if filled:
        _upsert(model, key_fields, filled, value_fields)
    empty = Q()
    for key in ordered:
        if key not in figures:
            empty |= Q(**dict(zip(key_fields, key, strict=True)))
    if empty:
        model.objects.filter(empty).delete()


def _recount_totals(keys: set[tuple]) -> dict[tuple, dict]:
    owners, customers, kinds = (set(part) for part in zip(*keys, strict=True))
    figures = _total_figures(open_agreements().filter(owner_id__in=owners, customer_id__in=customers,
                                                      kind__in=kinds))
    return {k: v for k, v in figures.items() if k in keys}


def _recount_dues(keys: set[tuple]) -> dict[tuple, dict]:
    owners, kinds, days = (set(part) for part in zip(*keys, strict=True))
    figures = _due_figures(open_instalments().filter(owner_id__in=owners, agreement__kind__in=kinds,
                                                     due_date__in=days))
    return {k: v for k, v in figures.items() if k in keys}


def refresh_totals(keys: Iterable[tuple]) -> None:
    """Recomputes the ReceivableTotal rows of these (owner_id, customer_id, kind) keys."""
    _refresh(ReceivableTotal, TOTAL_KEY, TOTAL_VALUES, set(keys), _recount_totals)


def refresh_dues(keys: Iterable[tuple]) -> None:
    """Recomputes the ReceivableDue rows of these (owner_id, kind, due_date) keys."""
    _refresh(ReceivableDue, DUE_KEY, ("balance",), set(keys), _recount_dues)


def refresh_agreement(agreement: Agreement, *, totals: bool = True, due_dates: Iterable | None = None,
                      old_owner_id: int | None = None, old_customer_id: int | None = None) -> None:
    """After a change to one agreement: its totals row (and the one of its former owner or customer), and the
    aging rows of `due_dates` (None: every instalment's due date) under its owner (and former owner). Call it
    holding the agreement's row lock, after the change."""
    owners = {agreement.owner_id} | ({old_owner_id} if old_owner_id else set())
    customers = {agreement.customer_id} | ({old_customer_id} if old_customer_id else set())
    if totals:
        refresh_totals({(o, c, agreement.kind) for o in owners for c in customers})
    if due_dates is None:
        due_dates = set(PaymentPlan.objects.filter(agreement_id=agreement.pk).values_list("due_date", flat=True))
    refresh_dues({(o, agreement.kind, d) for o in owners for d in due_dates})


def refresh_agreements(agreements: list[Agreement], *, old_owner_id: int | None = None) -> None:
    """The same for many agreements at once (an owner transfer): one recount per rollup."""
    if not agreements:
        return
    owners = {a.owner_id for a in agreements} | ({old_owner_id} if old_owner_id else set())
    refresh_totals({(o, a.customer_id, a.kind) for a in agreements for o in owners})
    kinds = {a.pk: a.kind for a in agreements}
    plans = (PaymentPlan.objects.filter(agreement_id__in=list(kinds)).order_by()
             .values_list("agreement_id", "due_date").distinct())
    refresh_dues({(o, kinds[pk], day) for pk, day in plans for o in owners})


def rebuild(tenant) -> dict[str, int]:
    """Recomputes every rollup row of `tenant` from its agreements and instalments (run with the tenant active)."""
    from zhuli.tenancy.unscoped import for_tenant

    counts = {}
    for model, key_fields, figures in (
            (ReceivableTotal, TOTAL_KEY, _total_figures(open_agreements())),
            (ReceivableDue, DUE_KEY, _due_figures(open_instalments()))):
        for_tenant(model, tenant).delete()
        rows = [model(tenant=tenant, **dict(zip(key_fields, key, strict=True)), **values)
                for key, values in figures.items()]
        for_tenant(model, tenant).bulk_create(rows, batch_size=BATCH)
        counts[model._meta.model_name] = len(rows)
    return counts
