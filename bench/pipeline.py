"""Kanban board and funnel latency on PostgreSQL with 100,000 opportunities (issue 3 part 12: < 100 ms, < 3x raw).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhuli_bench .venv/bin/python bench/pipeline.py

Creates the database if missing (UTF-8), migrates, seeds the demo (--size, `standard` unless one is there) and
tops the demo tenant up to --opportunities opportunities with COPY (open ones at every stage with close dates
around today, won and lost ones closed over the last year, spread over the demo's salespeople and their
customers). Then times, through Django's test client (the whole middleware, view / API and template stack, no
network), GET /opportunities/board/ (session login), GET /api/v1/opportunities/board, GET /api/v1/analytics/funnel and
/analytics/funnel/
as the boss, a manager and a salesperson. For each case: median and p95 over --runs, the SELECTs the request ran
(captured) timed again on a raw cursor, and the ratio of the two. Results are printed only.
"""
from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from customers_list import ensure_database, machine_speed, time_request  # noqa: E402


def top_up(tenant, target: int, seed: int = 3) -> int:
    """COPY opportunities into the demo tenant until it holds `target`; returns how many were added."""
    from django.db import connection
    from django.utils import timezone

    from zhuli.accounts.models import User
    from zhuli.customers.models import Customer
    from zhuli.sales.models import Opportunity, Stage, StageKind
    from zhuli.sales.services import stages_install_defaults
    from zhuli.tenancy.context import tenant_context
    from zhuli.tenancy.unscoped import for_tenant

    have = for_tenant(Opportunity, tenant).count()
    missing = target - have
    if missing <= 0:
        return 0
    with tenant_context(tenant):
        stages_install_defaults()
    stages = list(for_tenant(Stage, tenant).filter(is_active=True).order_by("order", "id"))
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won = next(s for s in stages if s.kind == StageKind.WON)
    lost = next(s for s in stages if s.kind == StageKind.LOST)
    sellers = list(User.objects.filter(tenant=tenant, role__in=("sales", "manager"), is_active=True)
                   .values_list("id", flat=True))
    by_owner: dict[int, list[tuple[int, str]]] = {}
    for cid, owner_id, name in (for_tenant(Customer, tenant).filter(owner_id__in=sellers)
                                .values_list("id", "owner_id", "name")):
        by_owner.setdefault(owner_id, []).append((cid, name))
    owners = [o for o in sellers if by_owner.get(o)]
    rng = random.Random(seed)
    now = timezone.now()
    today = tenant.today()
    fields = [f for f in Opportunity._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    print(f"adding {missing} opportunities with COPY …", flush=True)
    started = time.monotonic()
    sql = f"COPY {Opportunity._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i in range(missing):
            owner = rng.choice(owners)
            customer_id, customer_name = rng.choice(by_owner[owner])
            roll = rng.random()
            closed_at = None
            if roll < 0.5:
                stage, status = rng.choices(open_stages, weights=[34, 30, 21, 15][:len(open_stages)])[0], "tracking"
            elif roll < 0.55:
                stage, status = rng.choice(open_stages), "on_hold"
            elif roll < 0.75:
                stage, status = won, "won"
                closed_at = now - datetime.timedelta(days=rng.uniform(0, 365))
            else:
                stage, status = lost, "lost"
                closed_at = now - datetime.timedelta(days=rng.uniform(0, 365))
            created = (closed_at or now) - datetime.timedelta(days=rng.uniform(5, 120))
            entered = closed_at or now - datetime.timedelta(days=rng.uniform(0, 90))
            amount = Decimal(rng.randrange(5, 2000) * 1000) / Decimal(1)
            title = f"压测机会{have + i + 1}"
            values = {
                "tenant": tenant.pk, "customer": customer_id, "title": title, "stage": stage.pk,
                "probability": {"won": 100, "lost": 0}.get(status, stage.probability), "amount": amount,
                "close_date": today + datetime.timedelta(days=rng.randint(-60, 240)) if rng.random() < 0.93 else None,
                "status": status, "owner": owner, "stage_entered_at": entered,
                "last_followup_at": entered + datetime.timedelta(days=rng.uniform(0, 10)) if rng.random() < 0.6 else None,
                "closed_at": closed_at, "created_by": owner, "created_at": created, "updated_at": entered,
                "search_text": f"{title} {customer_name}",
            }
            row = []
            for f in fields:
                name = f.name
                if name in values:
                    row.append(values[name])
                elif f.null:
                    row.append(None)
                else:
                    default = f.get_default()
                    row.append("" if default is None else default)
            copy.write_row(row)
    with connection.cursor() as cursor:
        # VACUUM too, as autovacuum would soon after: until the visibility map is set, every index-only scan
        # of the board's totals fetches the heap.
        cursor.execute(f"VACUUM ANALYZE {Opportunity._meta.db_table}")
    print(f"added in {time.monotonic() - started:.1f} s", flush=True)
    return missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", default="standard", help="demo size to seed when there is no demo tenant")
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--show-sql", action="store_true", help="print the slowest query of each case")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/pipeline.py needs DATABASE_URL pointing at PostgreSQL (see README, Benchmarks)")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.conf import settings

    # The pages render {% static %}: plain storage, so no collectstatic is needed (a manifest lookup is a dict get).
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zhuli.accounts.models import User
    from zhuli.accounts.services import token_create
    from zhuli.sales.models import Opportunity
    from zhuli.tenancy.models import Tenant
    from zhuli.tenancy.unscoped import for_tenant

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    tenant = Tenant.objects.filter(code="demo").first()
    if tenant is None:
        print(f"seeding the {args.size} demo …", flush=True)
        started = time.monotonic()
        call_command("seed_demo", size=args.size, reset=True)
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        tenant = Tenant.objects.get(code="demo")
    top_up(tenant, args.opportunities)
    total = for_tenant(Opportunity, tenant).count()

    users = {u.email.split("@")[0]: u for u in User.objects.filter(tenant=tenant)}
    pages, apis = {}, {}
    for who in ("boss", "manager1", "sales1"):
        pages[who] = Client()
        pages[who].force_login(users[who])
        _token, key = token_create(user=users[who], name="bench")
        apis[who] = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    today = tenant.today()
    year = {"date_from": today.replace(month=1, day=1).isoformat(), "date_to": today.replace(month=12, day=31).isoformat()}
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    quarter = {"date_from": quarter_start.isoformat(),
               "date_to": (quarter_start + datetime.timedelta(days=95)).replace(day=1).isoformat()}
    cases = [
        ("boss", "board, default (跟踪, all owners)", pages, "/opportunities/board/", {}),
        ("boss", "board, close dates this quarter", pages, "/opportunities/board/", quarter),
        ("boss", "board, all not-closed statuses", pages, "/opportunities/board/", {"status": "all"}),
        ("manager1", "board, department tree", pages, "/opportunities/board/", {}),
        ("sales1", "board, mine", pages, "/opportunities/board/", {"owner": "me"}),
        ("boss", "board API, default", apis, "/api/v1/opportunities/board", {}),
        ("sales1", "board API, mine", apis, "/api/v1/opportunities/board", {"owner": "me"}),
        ("boss", "funnel API, this year", apis, "/api/v1/analytics/funnel", year),
        ("manager1", "funnel API, this year", apis, "/api/v1/analytics/funnel", year),
        ("sales1", "funnel API, this year", apis, "/api/v1/analytics/funnel", year),
        ("boss", "funnel page, this year", pages, "/analytics/funnel/", {"preset": "year"}),
    ]

    print(f"\n{total} opportunities in the demo tenant; {args.runs} runs per case; PostgreSQL "
          f"{connection.pg_version // 10000}; {machine_speed()}\n")
    header = (f"{'as':<9} {'case':<36} {'qs':>3} {'median':>8} {'p95':>8} {'raw':>7} {'ratio':>6}  "
              f"{'main SQL':>9}")
    print(header)
    print("-" * len(header))
    shown = []
    for who, label, clients, path, params in cases:
        full = path + ("?" + urlencode(params) if params else "")
        client = clients[who]
        for _ in range(3):
            response = client.get(full)
        if response.status_code != 200:
            print(f"{who:<9} {label:<36} HTTP {response.status_code}: {response.content[:120]!r}")
            continue
        timing = time_request(client, full, args.runs)
        queries, medians, slowest = timing.queries, timing.query_medians, timing.slowest
        median, p95, raw = timing.median, timing.p95, timing.raw
        ok = "" if median < 100 and median < 3 * raw else "  <- over target"
        print(f"{who:<9} {label:<36} {queries:>3} {median:>6.1f}ms {p95:>6.1f}ms {raw:>5.1f}ms "
              f"{median / raw if raw else 0:>5.1f}x  {medians.get(slowest, 0):>7.1f}ms{ok}")
        shown.append((who, label, slowest))
    print("\nmedian/p95: the whole request through the test client; raw: the same SELECTs on a cursor (sum of "
          "medians); main SQL: the costliest of them; target median < 100 ms and < 3x raw")
    if args.show_sql:
        for who, label, sql in shown:
            print(f"\n-- {who}: {label}\n{sql}")
    for who in apis:
        users[who].api_tokens.filter(name="bench").delete()


if __name__ == "__main__":
    main()
