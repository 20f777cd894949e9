"""`manage.py import_customers FILE --tenant CODE --owner LOGIN [--on-duplicate skip|update|create] [--dry-run]
[--pool ID|NAME]`: the web and API import, run here and now, acting as the owner (DESIGN §5 CLI). With `--pool`
the customers go into that pool (公海) without an owner; the login then needs the right to transfer customers."""
from __future__ import annotations

from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible
from zhuli.accounts.models import User
from zhuli.core.errors import AppError, InvalidInput
from zhuli.imports.models import ImportStatus, OnDuplicate
from zhuli.imports.services import import_job_create, import_run
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "Imports customers from an xlsx / xls / csv file into a tenant; the owner login owns the new customers."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the spreadsheet (xlsx, xls, csv; at most 20 MB)")
        parser.add_argument("--tenant", required=True, help="tenant code")
        parser.add_argument("--owner", required=True, help="email or mobile of the active user who imports and owns")
        parser.add_argument("--on-duplicate", choices=OnDuplicate.values, default=OnDuplicate.SKIP)
        parser.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        parser.add_argument("--pool", default=None, help="id or name of a pool: import into it, without owner")

    def handle(self, *args, file, tenant, owner, on_duplicate, dry_run, pool=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"file not found: {file}")
        company = Tenant.objects.filter(code=tenant).first()
        if company is None:
            raise CommandError(f"no tenant with code {tenant!r}")
        with tenant_context(company), timezone.override(company.zone):
            user = visible(User, Actor.system_for(company)).filter(
                Q(email__iexact=owner) | Q(mobile=owner), is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {owner!r} in tenant {tenant!r}")
            actor = Actor.for_user(user)
            pool_id = None
            if pool:
                from zhuli.customers.selectors import pools_usable

                pools = pools_usable(actor)  # only pools whose customers the login sees
                found = pools.filter(pk=int(pool)).first() if pool.isdigit() and len(pool) <= 18 else None
                found = found or pools.filter(name=pool).first()
                if found is None:
                    raise CommandError(f"no pool {pool!r} in tenant {tenant!r}")
                pool_id = found.pk
            try:
                with path.open("rb") as handle:
                    job, sheet = import_job_create(actor=actor, resource="customers", file=File(handle, name=path.name),
                                                   on_duplicate=on_duplicate, dry_run=dry_run, pool_id=pool_id)
                # Run here whatever the size: the command waits anyway, no worker needed.
                job = import_run(actor=actor, job_id=job.pk, sheet=sheet)
            except InvalidInput as exc:
                raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()))
            except AppError as exc:
                raise CommandError(exc.message)
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.message)
        for error in (job.errors or [])[:ERRORS_SHOWN]:
            column = f" [{error['column']}]" if error["column"] else ""
            self.stderr.write(f"row {error['row']}{column}: {error['message']}")
        if len(job.errors or []) > ERRORS_SHOWN:
            self.stderr.write(f"… and {len(job.errors) - ERRORS_SHOWN} more errors (see the job's error file)")
        counts = ", ".join(f"{name} {job.count(name)}" for name in ("created", "updated", "skipped", "failed"))
        prefix = "dry run, nothing saved: " if job.dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{counts} (job {job.pk}, {job.total} rows)"))
