"""`manage.py seed_demo [--size small|standard|large] [--reset]`: the shared demo account (DESIGN §5)."""
from __future__ import annotations

import contextlib
import random
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from faker import Faker

from zhuli.access.actor import Actor
from zhuli.accounts.models import User
from zhuli.accounts.orgchart import build_demo_org
from zhuli.audit.services import audit_record
from zhuli.core.demo import SIZES, DemoContext
from zhuli.core.registry import demo_seeders, tenant_setup
from zhuli.customers.models import Customer
from zhuli.preferences.services import dictionaries_install_defaults
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.unscoped import for_tenant

DEMO_CODE = "demo"
DEMO_NAME = "助理演示科技有限公司"
DEMO_DOMAIN = "demo.example.com"
DEMO_PASSWORD = "zhuli-demo"
DEMO_MOBILE_PREFIX = "199000000"  # + two digits: 19900000000 …
SEED = 2024


class Command(BaseCommand):
    help = "Creates the demo tenant (code demo) with its users and simulated data; does nothing if it exists."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="standard")
        parser.add_argument("--reset", action="store_true", help="delete the demo tenant's data and users, then rebuild")

    def handle(self, *args, size: str, reset: bool, **options):
        tenant = Tenant.objects.filter(code=DEMO_CODE).first()
        if tenant is not None and not reset:
            count = for_tenant(Customer, tenant).count()
            if count:
                self.stdout.write(f"The demo account already exists ({count} customers); nothing to do. "
                                  "Use --reset to rebuild it.")
                return
        started = time.monotonic()
        # SQLite can only switch foreign-key checks off outside a transaction (see demo_tenant_delete).
        checks_off = connection.constraint_checks_disabled() if tenant is not None else contextlib.nullcontext()
        with checks_off, transaction.atomic():
            if tenant is not None:
                demo_tenant_delete(tenant)
                self.stdout.write(f"  old demo deleted: {time.monotonic() - started:.1f} s")
            seed_demo(size=size, say=self.stdout.write)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh bulk rows (and the follow-up dates rewritten over them) leave the visibility map unset:
            # until autovacuum comes, index-only scans and counts would read the heap.
            vacuum_started = time.monotonic()
            tables = sorted({m._meta.db_table for m in apps.get_models() if _tenant_column(m)})
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")
            self.stdout.write(f"  vacuum analyze: {time.monotonic() - vacuum_started:.1f} s")
        self.stdout.write(self.style.SUCCESS(f"Demo account seeded ({size}) in {time.monotonic() - started:.1f} s. "
                                             f"Logins: boss@{DEMO_DOMAIN} … password {DEMO_PASSWORD}"))


def seed_demo(*, size: str, say=print) -> Tenant:
    """The demo tenant, its fixed organisation and every registered module's demo data."""
    autodiscover_modules("demo")  # each app's demo.py registers its seeder (customers, followups, …)
    tenant = Tenant.objects.create(code=DEMO_CODE, name=DEMO_NAME, kind=TenantKind.DEMO, max_users=50, max_bosses=3)
    with tenant_context(tenant):
        dictionaries_install_defaults(tenant=tenant)
        # Mobiles are logins too (unique platform-wide): leave them out rather than collide.
        prefix_taken = User.objects.filter(mobile__startswith=DEMO_MOBILE_PREFIX).exists()
        users = build_demo_org(tenant, domain=DEMO_DOMAIN, password=DEMO_PASSWORD,
                               mobile_prefix=None if prefix_taken else DEMO_MOBILE_PREFIX)
        actor = Actor.for_user(users["admin"])
        for step in tenant_setup.values():
            step(tenant=tenant, actor=actor)
        audit_record(actor=actor, action="tenant.create", target=tenant, changes={"code": DEMO_CODE, "kind": "demo"})
        faker = Faker("zh_CN")
        faker.seed_instance(SEED)
        ctx = DemoContext(tenant=tenant, users=users, size=SIZES[size], rng=random.Random(SEED), faker=faker,
                          now=timezone.now(), say=say)
        for entry in demo_seeders.items():
            started = time.monotonic()
            entry.value(ctx)
            say(f"  {entry.key}: {time.monotonic() - started:.1f} s")
        audit_record(actor=actor, action="demo.seed", target=tenant, changes={"size": size})
    return tenant


def demo_tenant_delete(tenant: Tenant) -> None:
    """Every row of the tenant, its users and what points at them, in plain DELETEs (the ORM's collector
    would load 100k rows and trip over PROTECT). Foreign keys are deferred on PostgreSQL and SQLite, so
    the order does not matter inside the transaction. Their checks would cost a scan of each referencing
    table per deleted row (the foreign-key columns have no index of their own: indexes lead with the
    tenant), so they are skipped where the database lets us — everything referencing these rows goes too."""
    replica = False
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: without the privilege, just slower
                cursor.execute("SET LOCAL session_replication_role = replica")
            replica = True
        except DatabaseError:
            pass
    try:
        _delete_rows(tenant)
    finally:
        if replica:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _delete_rows(tenant: Tenant) -> None:
    qn = connection.ops.quote_name
    tenant_col = {m: _tenant_column(m) for m in apps.get_models(include_auto_created=True) if _tenant_column(m)}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = qn(model._meta.db_table)
            if model in tenant_col:
                cursor.execute(f"DELETE FROM {table} WHERE {qn(tenant_col[model])} = %s", [tenant.pk])  # noqa: S608
                continue
            # Global rows that point at the tenant's rows (API tokens, many-to-many links).
            conditions, params = [], []
            for f in model._meta.concrete_fields:
                target = f.related_model if isinstance(f, models.ForeignKey) else None
                if target in tenant_col and target is not model:
                    conditions.append(f"{qn(f.column)} IN (SELECT {qn(target._meta.pk.column)} FROM "  # noqa: S608
                                      f"{qn(target._meta.db_table)} WHERE {qn(tenant_col[target])} = %s)")
                    params.append(tenant.pk)
            if conditions:
                cursor.execute(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}", params)  # noqa: S608
        cursor.execute(f"DELETE FROM {qn(Tenant._meta.db_table)} WHERE id = %s", [tenant.pk])  # noqa: S608


def _tenant_column(model) -> str | None:
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.related_model is Tenant:
            return f.column
    return None
