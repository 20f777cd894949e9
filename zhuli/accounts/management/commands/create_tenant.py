"""`manage.py create_tenant --code CODE --name NAME --admin LOGIN --password PASSWORD [--kind trial|formal]`:
an empty tenant with default dictionaries and one boss who is also the company admin (DESIGN §5)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from zhuli.accounts.provisioning import tenant_create
from zhuli.core.errors import AppError, InvalidInput
from zhuli.tenancy.models import TenantKind


class Command(BaseCommand):
    help = "Creates an empty tenant whose first user (email or mobile login) is the boss and company admin."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="tenant code: lower-case letters, digits, hyphens")
        parser.add_argument("--name", required=True, help="company name")
        parser.add_argument("--admin", required=True, help="the boss's login: an email or an 11-digit mobile")
        parser.add_argument("--password", required=True)
        parser.add_argument("--admin-name", default="", help="the boss's name (default 管理员)")
        parser.add_argument("--kind", choices=[TenantKind.TRIAL, TenantKind.FORMAL], default=TenantKind.TRIAL)
        parser.add_argument("--max-users", type=int, default=None, help="plan limit of active users (default 10)")
        parser.add_argument("--max-bosses", type=int, default=None, help="plan limit of bosses (default 2)")

    def handle(self, *args, code, name, admin, password, admin_name, kind, max_users, max_bosses, **options):
        limits = {k: v for k, v in (("max_users", max_users), ("max_bosses", max_bosses)) if v is not None}
        try:
            tenant, boss = tenant_create(code=code, name=name, admin_login=admin, password=password,
                                         admin_name=admin_name, kind=kind, **limits)
        except InvalidInput as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.errors.items()))
        except AppError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message)
        login = boss.email or boss.mobile
        self.stdout.write(self.style.SUCCESS(
            f"Tenant {tenant.code} ({tenant.name}, {tenant.get_kind_display()}) created; boss and admin: {login}"
        ))
