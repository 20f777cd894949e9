"""`manage.py seed_demo [--size small|standard|large] [--reset]`: the shared demo account (DESIGN §5).
Seeding and the reset live in zhuli.accounts.demo (the scheduled job and the platform console use them too)."""
from __future__ import annotations

import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection

from zhuli.accounts.demo import DEMO_CODE, DEMO_DOMAIN, DEMO_PASSWORD, demo_reset, demo_tenant, tenant_column
from zhuli.core.demo import SIZES
from zhuli.customers.models import Customer
from zhuli.tenancy.unscoped import for_tenant

__all__ = ["DEMO_CODE", "Command"]


class Command(BaseCommand):
    help = "Creates the demo tenant (code demo) with its users and simulated data; does nothing if it exists."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="standard")
        parser.add_argument("--reset", action="store_true",
                            help="rebuild the demo tenant's data in place (same tenant, same demo logins)")

    def handle(self, *args, size: str, reset: bool, **options):
        tenant = demo_tenant()
        if tenant is not None and not reset:
            count = for_tenant(Customer, tenant).count()
            if count:
                self.stdout.write(f"The demo account already exists ({count} customers); nothing to do. "
                                  "Use --reset to rebuild it.")
                return
        started = time.monotonic()
        demo_reset(size=size, say=self.stdout.write)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Fresh bulk rows (and the follow-up dates rewritten over them) leave the visibility map unset:
            # until autovacuum comes, index-only scans and counts would read the heap.
            vacuum_started = time.monotonic()
            tables = sorted({m._meta.db_table for m in apps.get_models() if tenant_column(m)})
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")
            self.stdout.write(f"  vacuum analyze: {time.monotonic() - vacuum_started:.1f} s")
        self.stdout.write(self.style.SUCCESS(f"Demo account seeded ({size}) in {time.monotonic() - started:.1f} s. "
                                             f"Logins: boss@{DEMO_DOMAIN} … password {DEMO_PASSWORD}"))
