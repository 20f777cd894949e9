"""`manage.py receivables_rebuild [--tenant CODE]`: recomputes the receivables rollups of one company (or all)
from their agreements and instalments — after rows were loaded around the services (COPY, a restore, a repair)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhuli.billing import rollup
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Recomputes the receivables rollups (应收汇总) of one tenant, or of every tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="", help="tenant code (default: every tenant)")

    def handle(self, *args, tenant: str, **options):
        tenants = Tenant.objects.filter(code=tenant) if tenant else Tenant.objects.order_by("id")
        if tenant and not tenants.exists():
            raise CommandError(f"no tenant with code {tenant!r}")
        for t in tenants:
            with tenant_context(t), transaction.atomic():
                counts = rollup.rebuild(t)
            self.stdout.write(f"{t.code}: {counts['receivabletotal']} total rows, {counts['receivabledue']} aging rows")
