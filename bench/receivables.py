"""Receivables report and aging on PostgreSQL with 300,000 agreements and 1,000,000 payments (issue 4 part 17:
median < 200 ms and < 2x the raw SQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhuli_bench_recv .venv/bin/python bench/receivables.py

Creates the database if missing (UTF-8), migrates, and builds (once; reused when it is there) a tenant `bench-recv`
with the demo organisation plus --sellers more salespeople in the two sales departments, --customers customers,
--agreements contracts and orders, their payment plans (1–4 instalments) and --payments confirmed payments, all
with COPY and consistent totals (received = Σ payments, instalment statuses follow), and rebuilds the receivables
rollups. Then times, for the boss, a manager (department tree) and a salesperson (own), the billing selectors
`receivables_summary`, `receivables_by_customer` (first page), `receivables_by_owner` and `receivables_aging`
(median of --runs calls, all their queries) against hand-written SQL of the same figures over the rollup tables
the selectors read, and against hand-written SQL computing them from the agreements and instalments (medians of
--runs, all statements), and prints the medians and the ratios. Results are printed only.
"""
from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from customers_list import ensure_database  # noqa: E402

CODE = "bench-recv"
RECEIVABLE = ("active", "confirmed", "completed")
CENT = Decimal("0.01")


def _rows(model, values: dict):
    """A COPY row for `model` in concrete-field order: given values, else NULL or the field default."""
    row = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.name in values:
            row.append(values[f.name])
        elif f.null:
            row.append(None)
        else:
            default = f.get_default()
            row.append("" if default is None else default)
    return row


def _copy(model, rows_iter) -> int:
    from django.db import connection

    fields = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    sql = f"COPY {model._meta.db_table} ({', '.join(fields)}) FROM STDIN"
    n = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows_iter:
            copy.write_row(row)
            n += 1
    return n


def build(args) -> object:
    """The bench tenant (reused if it has the agreements already)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from zhuli.accounts.models import User
    from zhuli.accounts.orgchart import build_demo_org
    from zhuli.billing import rollup
    from zhuli.billing.models import Payment, PaymentPlan, ReceivableDue, ReceivableTotal
    from zhuli.customers.models import Customer
    from zhuli.deals.models import Agreement
    from zhuli.preferences.services import dictionaries_install_defaults
    from zhuli.tenancy.context import tenant_context
    from zhuli.tenancy.models import Tenant
    from zhuli.tenancy.unscoped import for_tenant

    tenant = Tenant.objects.filter(code=CODE).first()
    if tenant is not None and for_tenant(Agreement, tenant).count() >= args.agreements:
        return tenant
    if tenant is not None:
        sys.exit(f"tenant {CODE} exists but is incomplete: drop the database and run again")
    started = time.monotonic()
    rng = random.Random(17)
    now = timezone.now()
    with transaction.atomic():
        tenant = Tenant.objects.create(code=CODE, name="回款压测有限公司", max_users=500, max_bosses=3)
        with tenant_context(tenant):
            dictionaries_install_defaults(tenant=tenant)
        users = build_demo_org(tenant, domain="bench-recv.example.com", password="bench-recv")
        hashed = make_password("bench-recv")
        teams = [users["sales1"].department, users["sales4"].department]
        extra = [User(tenant=tenant, name=f"压测销售{i:03d}", email=f"seller{i:03d}@bench-recv.example.com",
                      role="sales", department=teams[i % 2], password=hashed) for i in range(args.sellers)]
        User.objects.bulk_create(extra)
        sellers = [u.pk for u in User.objects.filter(tenant=tenant, role__in=("sales", "manager"))]
        print(f"copying {args.customers} customers …", flush=True)
        owner_of = {}

        def customers():
            for i in range(args.customers):
                name = f"压测客户{i:06d}有限公司"
                owner = rng.choice(sellers)
                yield _rows(Customer, {"tenant": tenant.pk, "kind": "enterprise", "name": name, "owner": owner,
                                       "created_by": owner, "created_at": now, "updated_at": now,
                                       "owned_since": now, "search_text": name, "name_key": name})
        _copy(Customer, customers())
        for pk, owner in for_tenant(Customer, tenant).values_list("id", "owner_id"):
            owner_of[pk] = owner
        customer_ids = list(owner_of)
        today = tenant.today()
        print(f"copying {args.agreements} agreements …", flush=True)
        # Drafts (10 %) have none, and a full plan takes no more: aim a little above the target.
        per_payment = args.payments / (args.agreements * 0.9) * 1.12
        plans_of: list[tuple] = []  # (agreement index, customer, owner, sign, amount, [instalment amounts])
        pays: list[int] = []

        def agreements():
            for i in range(args.agreements):
                customer = rng.choice(customer_ids)
                owner = owner_of[customer]
                kind = "contract" if i % 2 else "order"
                status = rng.choices(RECEIVABLE + ("draft",), weights=(45 if kind == "contract" else 0,
                                                                     45 if kind == "order" else 0, 45, 10))[0]
                sign = today - datetime.timedelta(days=rng.randint(0, 900))
                amount = Decimal(rng.randrange(1000, 2_000_000)) * 10 * CENT
                k = rng.choice([2, 3, 4, 5, 6])
                parts = [(amount / k).quantize(CENT)] * k
                parts[0] += amount - sum(parts)
                n_pay = 0 if status == "draft" else max(0, round(rng.gauss(per_payment, 1.5)))
                plans_of.append((customer, owner, sign, amount, parts, status))
                pays.append(n_pay)
                yield _rows(Agreement, {
                    "tenant": tenant.pk, "kind": kind, "number": f"B-{i:07d}", "title": f"压测{i}",
                    "customer": customer, "owner": owner, "status": status, "sign_date": sign,
                    "shipping_state": "" if kind == "contract" else "none", "foreign_amount": amount,
                    "amount": amount, "created_by": owner, "created_at": now, "updated_at": now})
        _copy(Agreement, agreements())
        ids = list(for_tenant(Agreement, tenant).order_by("id").values_list("id", flat=True))
        print("copying plans and payments …", flush=True)
        plan_rows, payment_rows, totals = [], [], []
        payment_seq = 0
        for agreement_id, (customer, owner, sign, amount, parts, _status), n_pay in zip(ids, plans_of, pays,
                                                                                      strict=True):
            received_by_plan = [Decimal(0)] * len(parts)
            payments = []
            index = 0
            while len(payments) < n_pay and index < len(parts):
                left = parts[index] - received_by_plan[index]
                if left <= 0:
                    index += 1
                    continue
                pay = left if rng.random() < 0.6 else (left / 2).quantize(CENT) or left
                received_by_plan[index] += pay
                payments.append((index, pay, sign + datetime.timedelta(days=index * 30 + rng.randint(0, 20))))
            for index, part in enumerate(parts):
                got = received_by_plan[index]
                plan_rows.append((agreement_id, customer, owner, index + 1, sign + datetime.timedelta(days=index * 30),
                                  part, got, "paid" if got >= part else "partial" if got else "unpaid"))
            for index, pay, day in payments:
                payment_seq += 1
                payment_rows.append((agreement_id, index, customer, owner, payment_seq, min(day, today), pay))
            totals.append((agreement_id, sum(received_by_plan), amount))
        _copy(PaymentPlan, (_rows(PaymentPlan, {
            "tenant": tenant.pk, "agreement": a, "customer": c, "owner": o, "number": n, "due_date": d, "amount": m,
            "received_amount": r, "status": s, "created_at": now}) for a, c, o, n, d, m, r, s in plan_rows))
        plan_ids = {}
        for pk, agreement_id, number in for_tenant(PaymentPlan, tenant).values_list("id", "agreement_id", "number"):
            plan_ids[(agreement_id, number)] = pk
        _copy(Payment, (_rows(Payment, {
            "tenant": tenant.pk, "agreement": a, "plan": plan_ids[(a, i + 1)], "customer": c, "owner": o,
            "number": f"BP-{seq:08d}", "paid_on": day, "amount": pay, "base_amount": pay, "status": "confirmed",
            "confirmed_at": now, "created_at": now}) for a, i, c, o, seq, day, pay in payment_rows))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_totals (id bigint, received numeric, planned numeric)")
            with cursor.cursor.copy("COPY bench_totals (id, received, planned) FROM STDIN") as copy:
                for row in totals:
                    copy.write_row(row)
            cursor.execute(f"UPDATE {Agreement._meta.db_table} a SET received_amount = t.received, "
                           "planned_amount = t.planned FROM bench_totals t WHERE a.id = t.id")
            cursor.execute("DROP TABLE bench_totals")
        with tenant_context(tenant):  # COPY went past the services that keep the receivables rollups
            rollup.rebuild(tenant)
    with connection.cursor() as cursor:
        for model in (Customer, Agreement, PaymentPlan, Payment, ReceivableTotal, ReceivableDue):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    print(f"built in {time.monotonic() - started:.0f} s: {len(ids)} agreements, {len(plan_rows)} plans, "
          f"{len(payment_rows)} payments", flush=True)
    return tenant


# ---- the same figures in hand-written SQL -----------------------------------------------------------------

def _scope(owner_ids) -> tuple[str, list]:
    if owner_ids is None:
        return "", []
    return " AND {t}.owner_id = ANY(%s)", [list(owner_ids)]


def raw_statements(tenant_id: int, owner_ids, as_of: datetime.date) -> dict[str, list[tuple[str, list]]]:
    """Per selector, the statements computing its figures straight from the schema (deals_agreement's totals,
    billing_paymentplan's open instalments)."""
    scope, scope_params = _scope(owner_ids)
    a_scope, p_scope = scope.format(t="a"), scope.format(t="p")
    agreements = f"FROM deals_agreement a WHERE a.tenant_id = %s AND a.status = ANY(%s){a_scope}"
    a_params = [tenant_id, list(RECEIVABLE), *scope_params]
    plans = (f"FROM billing_paymentplan p JOIN deals_agreement a ON a.id = p.agreement_id WHERE p.tenant_id = %s "
             f"AND p.status IN ('unpaid', 'partial') AND a.status = ANY(%s){p_scope}")
    p_params = [tenant_id, list(RECEIVABLE), *scope_params]
    out_expr = "GREATEST(a.amount - a.received_amount, 0)"
    grouped = (f"SELECT {{key}}, COUNT(*), SUM(a.amount), SUM(a.received_amount), SUM(a.invoiced_amount), "
               f"SUM({out_expr}) AS outstanding {agreements} GROUP BY {{key}} HAVING SUM({out_expr}) > 0")
    d = datetime.timedelta
    return {
        "summary": [
            (f"SELECT COUNT(*), SUM(a.amount), SUM(a.received_amount), SUM(a.invoiced_amount), SUM({out_expr}) "
             f"{agreements}", a_params),
            (f"SELECT COALESCE(SUM(p.amount - p.received_amount), 0) {plans} AND p.due_date < %s",
             [*p_params, as_of]),
        ],
        "by_customer": [
            (grouped.format(key="a.customer_id") + " ORDER BY outstanding DESC, a.customer_id LIMIT 20", a_params),
            (f"SELECT COUNT(*) FROM ({grouped.format(key='a.customer_id')}) g", a_params),
            ("SELECT id, name FROM customers_customer WHERE tenant_id = %s AND id = ANY(%s)", [tenant_id, "IDS"]),
            (f"SELECT p.customer_id, SUM(p.amount - p.received_amount) {plans} AND p.due_date < %s "
             "AND p.customer_id = ANY(%s) GROUP BY p.customer_id", [*p_params, as_of, "IDS"]),
        ],
        "by_owner": [
            (grouped.format(key="a.owner_id") + " ORDER BY outstanding DESC, a.owner_id", a_params),
            ("SELECT id, name, is_active FROM accounts_user WHERE tenant_id = %s", [tenant_id]),
            (f"SELECT p.owner_id, SUM(p.amount - p.received_amount) {plans} AND p.due_date < %s GROUP BY p.owner_id",
             [*p_params, as_of]),
        ],
        "aging": [
            ("SELECT "
             "COALESCE(SUM(p.amount - p.received_amount) FILTER (WHERE p.due_date >= %s), 0), "
             "COALESCE(SUM(p.amount - p.received_amount) FILTER (WHERE p.due_date < %s AND p.due_date >= %s), 0), "
             "COALESCE(SUM(p.amount - p.received_amount) FILTER (WHERE p.due_date < %s AND p.due_date >= %s), 0), "
             "COALESCE(SUM(p.amount - p.received_amount) FILTER (WHERE p.due_date < %s AND p.due_date >= %s), 0), "
             f"COALESCE(SUM(p.amount - p.received_amount) FILTER (WHERE p.due_date < %s), 0) {plans}",
             [as_of, as_of, as_of - d(30), as_of - d(30), as_of - d(60), as_of - d(60), as_of - d(90),
              as_of - d(90), *p_params]),
        ],
    }


def rollup_statements(tenant_id: int, owner_ids, as_of: datetime.date) -> dict[str, list[tuple[str, list]]]:
    """The same figures in hand-written SQL over the rollup tables the selectors read (billing/rollup.py)."""
    scope, scope_params = _scope(owner_ids)
    t_scope, d_scope = scope.format(t="t"), scope.format(t="d")
    totals = f"FROM billing_receivabletotal t WHERE t.tenant_id = %s{t_scope}"
    t_params = [tenant_id, *scope_params]
    dues = f"FROM billing_receivabledue d WHERE d.tenant_id = %s{d_scope}"
    d_params = [tenant_id, *scope_params]
    grouped = ("SELECT {key}, SUM(t.agreements), SUM(t.amount), SUM(t.received), SUM(t.invoiced), "
               f"SUM(t.outstanding) AS outstanding {totals} GROUP BY {{key}}")
    plans = (f"FROM billing_paymentplan p JOIN deals_agreement a ON a.id = p.agreement_id WHERE p.tenant_id = %s "
             f"AND p.status IN ('unpaid', 'partial') AND a.status = ANY(%s){scope.format(t='p')}")
    d = datetime.timedelta
    return {
        "summary": [
            (f"SELECT SUM(t.agreements), SUM(t.amount), SUM(t.received), SUM(t.invoiced), SUM(t.outstanding) "
             f"{totals}", t_params),
            (f"SELECT COALESCE(SUM(d.balance), 0) {dues} AND d.due_date < %s", [*d_params, as_of]),
        ],
        "by_customer": [
            (grouped.format(key="t.customer_id") + " ORDER BY outstanding DESC, t.customer_id LIMIT 20", t_params),
            (f"SELECT COUNT(*) FROM ({grouped.format(key='t.customer_id')}) g", t_params),
            ("SELECT id, name FROM customers_customer WHERE tenant_id = %s AND id = ANY(%s)", [tenant_id, "IDS"]),
            (f"SELECT p.customer_id, SUM(p.amount - p.received_amount) {plans} AND p.due_date < %s "
             "AND p.customer_id = ANY(%s) GROUP BY p.customer_id",
             [tenant_id, list(RECEIVABLE), *scope_params, as_of, "IDS"]),
        ],
        "by_owner": [
            (grouped.format(key="t.owner_id") + " ORDER BY outstanding DESC, t.owner_id", t_params),
            ("SELECT id, name, is_active FROM accounts_user WHERE tenant_id = %s", [tenant_id]),
            (f"SELECT d.owner_id, SUM(d.balance) {dues} AND d.due_date < %s GROUP BY d.owner_id", [*d_params, as_of]),
        ],
        "aging": [
            ("SELECT "
             "COALESCE(SUM(d.balance) FILTER (WHERE d.due_date >= %s), 0), "
             "COALESCE(SUM(d.balance) FILTER (WHERE d.due_date < %s AND d.due_date >= %s), 0), "
             "COALESCE(SUM(d.balance) FILTER (WHERE d.due_date < %s AND d.due_date >= %s), 0), "
             "COALESCE(SUM(d.balance) FILTER (WHERE d.due_date < %s AND d.due_date >= %s), 0), "
             f"COALESCE(SUM(d.balance) FILTER (WHERE d.due_date < %s), 0) {dues}",
             [as_of, as_of, as_of - d(30), as_of - d(30), as_of - d(60), as_of - d(60), as_of - d(90),
              as_of - d(90), *d_params]),
            (f"SELECT SUM(t.outstanding) {totals}", t_params),
        ],
    }


def time_raw(statements, runs: int) -> tuple[float, object]:
    """Median ms of running all statements once (customer ids from the first one's rows), and its first result."""
    from django.db import connection

    timings, first = [], None
    with connection.cursor() as cursor:
        for _ in range(runs + 2):
            started = time.perf_counter()
            ids = []
            for i, (sql, params) in enumerate(statements):
                cursor.execute(sql, [ids if p == "IDS" else p for p in params])
                rows = cursor.fetchall()
                if i == 0:
                    ids = [r[0] for r in rows]
                    first = rows
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[2:]), first


def time_call(call, runs: int) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        result = call()
    timings = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings[2:]), len(captured), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--agreements", type=int, default=300_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=30_000)
    parser.add_argument("--sellers", type=int, default=40)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/receivables.py needs DATABASE_URL pointing at PostgreSQL")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zhuli.access.actor import Actor
    from zhuli.accounts.models import User
    from zhuli.billing import selectors
    from zhuli.billing.models import Payment
    from zhuli.deals.models import Agreement
    from zhuli.tenancy.context import tenant_context
    from zhuli.tenancy.unscoped import for_tenant

    call_command("migrate", verbosity=0)
    tenant = build(args)
    as_of = tenant.today()
    users = {u.email.split("@")[0]: u for u in User.objects.filter(tenant=tenant, email__isnull=False)}
    print(f"\n{for_tenant(Agreement, tenant).count()} agreements, {for_tenant(Payment, tenant).count()} payments; "
          f"{args.runs} runs per case; PostgreSQL {connection.pg_version // 10000}\n")
    header = (f"{'as':<9} {'selector':<12} {'qs':>3} {'orm':>9} {'raw':>9} {'ratio':>6} {'raw rows':>9} "
              f"{'rows/orm':>8}")
    print(header)
    print("-" * len(header))
    with tenant_context(tenant):
        for who in ("boss", "manager1", "sales1"):
            actor = Actor.for_user(users[who])
            owner_ids = actor.owner_ids(actor.grant("agreements").scope)
            raw = rollup_statements(tenant.pk, owner_ids, as_of)
            from_rows = raw_statements(tenant.pk, owner_ids, as_of)
            calls = {
                "summary": lambda a=actor: selectors.receivables_summary(actor=a, as_of=as_of),
                "by_customer": lambda a=actor: selectors.receivables_by_customer(actor=a, as_of=as_of),
                "by_owner": lambda a=actor: selectors.receivables_by_owner(actor=a, as_of=as_of),
                "aging": lambda a=actor: selectors.receivables_aging(actor=a, as_of=as_of),
            }
            for name, call in calls.items():
                orm_ms, queries, result = time_call(call, args.runs)
                raw_ms, first = time_raw(raw[name], args.runs)
                rows_ms, first_rows = time_raw(from_rows[name], args.runs)
                _check(name, result, first)
                _check(name, result, first_rows)
                ok = "" if orm_ms < 200 and orm_ms < 2 * raw_ms else "  <- over target"
                print(f"{who:<9} {name:<12} {queries:>3} {orm_ms:>7.1f}ms {raw_ms:>7.1f}ms "
                      f"{orm_ms / raw_ms if raw_ms else 0:>5.2f}x {rows_ms:>7.1f}ms {rows_ms / orm_ms:>7.1f}x{ok}",
                      flush=True)
    print("\norm: the selector (all its queries, rows built); raw: hand-written SQL of the same figures over the "
          "rollup tables it reads; raw rows: the same figures straight from the agreements and instalments (what "
          "the rollups save: rows/orm). Medians of all statements; target median < 200 ms and < 2x raw")


def _check(name: str, result, first) -> None:
    """The selector and the raw SQL must agree, or the timing compares different work."""
    if name == "summary":
        assert result["outstanding"] == (first[0][4] or 0), (result, first)
    elif name == "by_customer":
        rows, _count = result
        assert [r["customer_id"] for r in rows] == [r[0] for r in first], "by_customer order differs"
    elif name == "by_owner":
        assert [r["owner_id"] for r in result] == [r[0] for r in first], "by_owner order differs"
    elif name == "aging":
        assert [result[k] for k in ("not_due", "0_30", "31_60", "61_90", "90_plus")] == list(first[0]), (result, first)


if __name__ == "__main__":
    main()
