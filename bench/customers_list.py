"""Customer-list latency on PostgreSQL with the large demo (DESIGN §7: ≤ 50 ms a page, few queries).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhuli_bench .venv/bin/python bench/customers_list.py

Creates the database if missing (UTF-8), migrates, seeds the `large` demo if the demo has fewer
customers than that size, then times GET /api/v1/customers through Django's test client with a
Bearer token (the whole middleware and API stack, no network), as the boss and as a salesperson.
For each case: median and p95 over --runs, the SQL the request ran (captured) timed again on a raw
cursor, and the ratio of the two. Results are printed only.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ensure_database(url: str) -> None:
    """CREATE DATABASE … ENCODING 'UTF8' if it is not there yet."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conninfo = {"host": cfg["HOST"] or None, "port": cfg["PORT"] or None, "user": cfg["USER"] or None,
                "password": cfg["PASSWORD"] or None, "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            print(f"creating database {cfg['NAME']}")
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}" TEMPLATE template0 ENCODING \'UTF8\'')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def machine_speed() -> str:
    """How fast the CPU is right now: this machine's (shared, 2-core) speed varies by ±30 % from one hour to the
    next, and Python and PostgreSQL share it, so figures from two runs compare only next to this line."""
    timings = []
    for _ in range(3):
        started, x = time.perf_counter(), 0
        for i in range(2_000_000):
            x += i
        timings.append((time.perf_counter() - started) * 1000)
    return f"CPU check: a 2M-step Python loop took {min(timings):.0f} ms (44–52 ms on this machine when quiet)"


@dataclass
class Timing:
    """One request timed: its query count, its latency, and the SELECTs it ran timed again on a raw cursor."""

    queries: int
    selects: list[str]
    median: float
    p95: float
    query_medians: dict[str, float]

    @property
    def raw(self) -> float:
        return sum(self.query_medians.values())

    @property
    def slowest(self) -> str:
        return max(self.query_medians, key=self.query_medians.get) if self.query_medians else ""


def time_request(client, path: str, runs: int) -> Timing:
    """GET `path` `runs` times through the test client, then its captured SELECTs as many times on a cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    # Read now: every later request through the client clears the connection's query log.
    queries = len(captured)
    # Reads only (a UNION starts with "(SELECT"); the token's last-used write is not replayed.
    selects = [q["sql"] for q in captured.captured_queries
               if q["sql"].lstrip(" (").upper().startswith(("SELECT", "WITH"))]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
    per_query = {sql: [] for sql in selects}
    with connection.cursor() as cursor:
        for _ in range(runs):
            for sql in selects:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                per_query[sql].append((time.perf_counter() - started) * 1000)
    return Timing(queries, selects, statistics.median(timings), percentile(timings, 95),
                  {sql: statistics.median(t) for sql, t in per_query.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", default="large", help="demo size to seed if missing (large for the real figures)")
    parser.add_argument("--show-sql", action="store_true", help="print the list query of each case")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/customers_list.py needs DATABASE_URL pointing at PostgreSQL (see README, Benchmarks)")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from zhuli.accounts.models import User
    from zhuli.accounts.services import token_create
    from zhuli.core import text
    from zhuli.core.demo import SIZES
    from zhuli.customers.models import Customer
    from zhuli.preferences.models import DictionaryItem, DictionaryKind
    from zhuli.tenancy.models import Tenant
    from zhuli.tenancy.unscoped import for_tenant

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    tenant = Tenant.objects.filter(code="demo").first()
    have = for_tenant(Customer, tenant).count() if tenant else 0
    if have < SIZES[args.size].customers:
        print(f"seeding the {args.size} demo (have {have} customers) …", flush=True)
        started = time.monotonic()
        call_command("seed_demo", size=args.size, reset=True)
        print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
        tenant = Tenant.objects.get(code="demo")
    total = for_tenant(Customer, tenant).count()

    users = {u.email.split("@")[0]: u for u in User.objects.filter(tenant=tenant)}
    status = for_tenant(DictionaryItem, tenant).get(kind=DictionaryKind.STATUS, name="持续跟进")
    sample = for_tenant(Customer, tenant).filter(kind="enterprise").order_by("id").values_list("name", flat=True)[500]
    # Initials of the sample's first five characters (city + brand…), like typing "bjwls" for 北京沃力森.
    initials = text.pinyin_keys(sample[:5])[1]
    clients = {}
    for who in ("boss", "sales1"):
        _token, key = token_create(user=users[who], name="bench")
        clients[who] = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    base = {"owner": users["sales1"].pk, "status": status.pk, "sort": "next_followup_at"}
    mine = {"owner": "me", "status": status.pk, "sort": "next_followup_at"}
    cases = [
        ("boss", "owner+status, next follow-up, p1", {**base, "page": 1}),
        ("boss", "owner+status, next follow-up, p50", {**base, "page": 50}),
        ("sales1", "mine+status, next follow-up, p1", {**mine, "page": 1}),
        ("sales1", "mine+status, next follow-up, p50", {**mine, "page": 50}),
        ("boss", "all, default sort, p1", {"page": 1}),
        ("boss", "q=科技 (2 chars)", {"q": "科技"}),
        ("sales1", "q=科技 (2 chars)", {"q": "科技"}),
        ("boss", "q=上海 (city)", {"q": "上海"}),
        ("boss", f"q={initials} (initials of {sample[:5]})", {"q": initials}),
        ("sales1", f"q={initials} (initials)", {"q": initials}),
    ]

    print(f"\n{total} customers in the demo tenant; {args.runs} runs per case; PostgreSQL "
          f"{connection.pg_version // 10000}; {machine_speed()}\n")
    header = (f"{'as':<7} {'case':<44} {'rows':>6} {'count':>7} {'qs':>3} {'median':>8} {'p95':>8} {'raw':>7} "
              f"{'ratio':>6}  slowest SQL")
    print(header)
    print("-" * len(header))
    sql_shown = []
    for who, label, params in cases:
        path = "/api/v1/customers?" + urlencode(params)
        client = clients[who]
        for _ in range(3):
            response = client.get(path)
        if response.status_code != 200:
            print(f"{who:<7} {label:<44} HTTP {response.status_code}: {response.content[:120]!r}")
            continue
        data = response.json()
        timing = time_request(client, path, args.runs)
        queries, selects, query_medians = timing.queries, timing.selects, timing.query_medians
        median, p95, raw_median, slowest = timing.median, timing.p95, timing.raw, timing.slowest
        kind = "count" if "COUNT(" in slowest.upper() else "list" if "LIMIT" in slowest.upper() else "other"
        ok = "" if median < 50 and median < 3 * raw_median else "  <- over target"
        print(f"{who:<7} {label:<44} {len(data['items']):>6} {data['count']:>7} {queries:>3} "
              f"{median:>6.1f}ms {p95:>6.1f}ms {raw_median:>5.1f}ms {median / raw_median if raw_median else 0:>5.1f}x"
              f"  {kind} {query_medians.get(slowest, 0):.1f}ms{ok}")
        listing = [s for s in selects if "customers_customer" in s and "LIMIT" in s.upper()]
        sql_shown.append((who, label, listing[0] if listing else (selects[-1] if selects else "")))
    print("\nmedian/p95: the whole request through the test client; raw: the same SELECTs on a cursor (sum of "
          "medians); slowest SQL: the costliest of them; target median < 50 ms and < 3x raw")
    if args.show_sql:
        for who, label, sql in sql_shown:
            print(f"\n-- {who}: {label}\n{sql}")
    for who in clients:
        users[who].api_tokens.filter(name="bench").delete()


if __name__ == "__main__":
    main()
