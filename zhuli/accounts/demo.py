"""The shared demo account (DESIGN §5, issue 5 part 2): seeding, the in-place reset, password-less entry.

The reset rebuilds the tenant's data but keeps the tenant row and the fixed demo users (same ids), so a
visitor's session and the API tokens of demo logins survive it; users a visitor added are removed.
It lives in accounts rather than core because it builds users and departments (core imports no app).
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import random
import time

from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.audit.models import AuditEvent
from zhuli.audit.services import audit_record
from zhuli.core.demo import SIZES, DemoContext
from zhuli.core.errors import AppError, Conflict, InvalidInput
from zhuli.core.registry import demo_seeders, tenant_setup
from zhuli.preferences.services import dictionaries_install_defaults
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind, TenantStatus, default_features
from zhuli.tenancy.unscoped import for_tenant

from .models import User
from .orgchart import DEMO_USERS, build_demo_org

DEMO_CODE = "demo"
DEMO_NAME = "助理演示科技有限公司"
DEMO_DOMAIN = "demo.example.com"
DEMO_PASSWORD = "zhuli-demo"
DEMO_MOBILE_PREFIX = "199000000"  # + two digits: 19900000000 …
DEMO_MAX_USERS, DEMO_MAX_BOSSES = 50, 3
SEED = 2024
SEED_ACTIONS = ("demo.seed", "demo.reset")

# The "try the demo" buttons: entry role → the demo login it opens (DESIGN §5 logins).
DEMO_ENTRY_ROLES = {
    "boss": (gettext_lazy("老板"), "boss"),
    "director": (gettext_lazy("总监"), "director"),
    "manager": (gettext_lazy("经理"), "manager1"),
    "sales": (gettext_lazy("销售"), "sales1"),
    "assistant": (gettext_lazy("助理"), "assistant"),
    "service": (gettext_lazy("客服"), "service"),
    "finance": (gettext_lazy("财务"), "finance"),
    "keeper": (gettext_lazy("库管"), "keeper"),
}
# Loose on purpose (a class of trainees behind one address may all enter): it only stops scripted floods.
DEMO_ENTRY_LIMIT, DEMO_ENTRY_WINDOW = 60, 600


class DemoThrottled(AppError):
    status = 429


def demo_tenant() -> Tenant | None:
    return Tenant.objects.filter(code=DEMO_CODE, kind=TenantKind.DEMO).first()


def is_demo_tenant(tenant) -> bool:
    return tenant is not None and getattr(tenant, "kind", None) == TenantKind.DEMO


# ---- entry --------------------------------------------------------------------------------------


def _entry_allowed(ip: str | None) -> None:
    from django.core.cache import cache

    if not ip:
        return
    key, now = "demo-enter:" + hashlib.sha256(ip.encode()).hexdigest()[:32], time.time()
    stamps = [t for t in (cache.get(key) or []) if isinstance(t, int | float) and now - t < DEMO_ENTRY_WINDOW]
    if len(stamps) >= DEMO_ENTRY_LIMIT:
        raise DemoThrottled(_("进入演示帐户过于频繁，请稍后再试"), code="throttled")
    cache.set(key, [*stamps, now][-DEMO_ENTRY_LIMIT:], DEMO_ENTRY_WINDOW)


def demo_user_for_role(*, role: str, ip: str | None = None) -> User:
    """The demo user behind an entry role, for a password-less login; only users of the demo tenant."""
    if role not in DEMO_ENTRY_ROLES:
        raise InvalidInput({"role": _("请选择一个演示角色")})
    tenant = demo_tenant()
    if tenant is None or tenant.status == TenantStatus.SUSPENDED:
        raise Conflict(_("演示帐户暂未开通，请稍后再试或直接申请免费试用"), code="demo_missing")
    _entry_allowed(ip)
    login = f"{DEMO_ENTRY_ROLES[role][1]}@{DEMO_DOMAIN}"
    user = User.objects.select_related("tenant").filter(tenant=tenant, email=login, is_active=True).first()
    if user is None:
        raise Conflict(_("该演示角色暂时不可用，演示数据重置后即可恢复"), code="demo_missing")
    audit_record(actor=None, tenant=tenant, action="login", target=user, ip=ip,
                 changes={"user_id": user.pk, "demo_role": role})
    return user


# ---- seeding ------------------------------------------------------------------------------------


def _fill(tenant: Tenant, *, size: str, existing: dict[str, User] | None, say) -> dict[str, User]:
    """Dictionaries, the fixed organisation, the tenant setup steps and every registered seeder."""
    from faker import Faker  # only when seeding: the app loads demo.py at start for the scheduled job

    autodiscover_modules("demo")  # each app's demo.py registers its seeder (customers, followups, …)
    with tenant_context(tenant):
        dictionaries_install_defaults(tenant=tenant)
        # Mobiles are logins too (unique platform-wide): leave them out rather than collide.
        prefix_taken = User.objects.filter(mobile__startswith=DEMO_MOBILE_PREFIX).exists()
        users = build_demo_org(tenant, domain=DEMO_DOMAIN, password=DEMO_PASSWORD, existing=existing,
                               mobile_prefix=None if prefix_taken else DEMO_MOBILE_PREFIX)
        actor = Actor.for_user(users["admin"])
        for step in tenant_setup.values():
            step(tenant=tenant, actor=actor)
        faker = Faker("zh_CN")
        faker.seed_instance(SEED)
        ctx = DemoContext(tenant=tenant, users=users, size=SIZES[size], rng=random.Random(SEED), faker=faker,
                          now=timezone.now(), say=say)
        for entry in demo_seeders.items():
            started = time.monotonic()
            entry.value(ctx)
            say(f"  {entry.key}: {time.monotonic() - started:.1f} s")
    return users


def seed_demo(*, size: str, say=print) -> Tenant:
    """The demo tenant, its fixed organisation and every registered module's demo data."""
    tenant = Tenant.objects.create(code=DEMO_CODE, name=DEMO_NAME, kind=TenantKind.DEMO, max_users=DEMO_MAX_USERS,
                                   max_bosses=DEMO_MAX_BOSSES)
    users = _fill(tenant, size=size, existing=None, say=say)
    actor = Actor.for_user(users["admin"])
    audit_record(actor=actor, action="tenant.create", target=tenant, changes={"code": DEMO_CODE, "kind": "demo"})
    audit_record(actor=actor, action="demo.seed", target=tenant, changes={"size": size})
    return tenant


def demo_last_seeded(tenant: Tenant) -> tuple[datetime.datetime | None, str | None]:
    """When the demo data was last built, and at which size."""
    row = (for_tenant(AuditEvent, tenant).filter(action__in=SEED_ACTIONS).order_by("-created_at", "-pk")
           .values("created_at", "changes").first())
    if row is None:
        return None, None
    size = (row["changes"] or {}).get("size")
    return row["created_at"], size if size in SIZES else None


def demo_reset(*, actor=None, size: str | None = None, say=lambda _msg: None) -> dict:
    """Rebuilds the demo tenant's data in place (same tenant, same demo users and logins); creates it if missing.
    `size` defaults to the size it was last seeded with. Returns what was done, for the console and the job."""
    started = time.monotonic()
    tenant = demo_tenant()
    if size is None:
        size = (demo_last_seeded(tenant)[1] if tenant is not None else None) or "standard"
    if size not in SIZES:
        raise InvalidInput({"size": _("未知的演示数据规模")})
    # SQLite can only switch foreign-key checks off outside a transaction (see demo_tenant_delete).
    in_tx = connection.in_atomic_block
    checks_off = connection.constraint_checks_disabled() if tenant is not None and not in_tx \
        else contextlib.nullcontext()
    with checks_off, transaction.atomic():
        if tenant is None:
            tenant = seed_demo(size=size, say=say)
            created = True
        else:
            tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
            kept = {u.email.split("@")[0]: u for u in User.objects.filter(
                tenant=tenant, email__in=[f"{key}@{DEMO_DOMAIN}" for key, *_rest in DEMO_USERS])}
            demo_tenant_delete(tenant, keep_users=[u.pk for u in kept.values()])
            # Clear the kept users' mobiles first: a visitor may have swapped them between users.
            User.objects.filter(pk__in=[u.pk for u in kept.values()]).update(mobile=None)
            _reset_tenant_row(tenant)
            _fill(tenant, size=size, existing=kept, say=say)
            created = False
        # The operator may be platform staff (no tenant): named in the changes, not as the event's actor.
        by = getattr(actor, "user_id", None) or getattr(actor, "pk", None)
        audit_record(actor=None, tenant=tenant, action="demo.reset", target=tenant,
                     changes={"size": size, "by": by, "created": created})
    result = {"tenant": tenant.code, "size": size, "created": created,
              "seconds": round(time.monotonic() - started, 1)}
    return result


def _reset_tenant_row(tenant: Tenant) -> None:
    tenant.name, tenant.status, tenant.features = DEMO_NAME, TenantStatus.ACTIVE, default_features()
    tenant.max_users, tenant.max_bosses = DEMO_MAX_USERS, DEMO_MAX_BOSSES
    tenant.logo = tenant.address = tenant.phone = tenant.website = tenant.introduction = ""
    tenant.trial_ends_on = tenant.service_ends_on = tenant.expired_on = None
    tenant.time_zone = Tenant._meta.get_field("time_zone").default
    tenant.save()


def demo_tenant_delete(tenant: Tenant, *, keep_users: list[int] | None = None) -> None:
    """Every row of the tenant, its users and what points at them, in plain DELETEs (the ORM's collector
    would load 100k rows and trip over PROTECT). Foreign keys are deferred on PostgreSQL and SQLite, so
    the order does not matter inside the transaction. Their checks would cost a scan of each referencing
    table per deleted row (the foreign-key columns have no index of their own: indexes lead with the
    tenant), so they are skipped where the database lets us — everything referencing these rows goes too.
    With `keep_users` the tenant row and those users (and their tokens) stay."""
    replica = False
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: without the privilege, just slower
                cursor.execute("SET LOCAL session_replication_role = replica")
            replica = True
        except DatabaseError:
            pass
    try:
        _delete_rows(tenant, keep_users)
    finally:
        if replica:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _delete_rows(tenant: Tenant, keep_users: list[int] | None) -> None:
    qn = connection.ops.quote_name
    tenant_col = {m: tenant_column(m) for m in apps.get_models(include_auto_created=True) if tenant_column(m)}
    kept = [int(pk) for pk in keep_users or []]
    placeholders = ", ".join(["%s"] * len(kept))

    def rows_of(model) -> tuple[str, list]:
        where, params = f"{qn(tenant_col[model])} = %s", [tenant.pk]
        if model is User and kept:
            where += f" AND {qn(User._meta.pk.column)} NOT IN ({placeholders})"
            params += kept
        return where, params

    with connection.cursor() as cursor:
        # Global rows that point at the tenant's rows (API tokens, many-to-many links) first: their
        # subqueries must still find the rows they point at.
        for model in apps.get_models(include_auto_created=True):
            if model in tenant_col:
                continue
            conditions, params = [], []
            for f in model._meta.concrete_fields:
                target = f.related_model if isinstance(f, models.ForeignKey) else None
                if target in tenant_col and target is not model:
                    where, where_params = rows_of(target)
                    conditions.append(f"{qn(f.column)} IN (SELECT {qn(target._meta.pk.column)} FROM "  # noqa: S608
                                      f"{qn(target._meta.db_table)} WHERE {where})")
                    params += where_params
            if conditions:
                table = qn(model._meta.db_table)
                cursor.execute(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}", params)  # noqa: S608
        for model in tenant_col:
            where, params = rows_of(model)
            cursor.execute(f"DELETE FROM {qn(model._meta.db_table)} WHERE {where}", params)  # noqa: S608
        if keep_users is None:
            cursor.execute(f"DELETE FROM {qn(Tenant._meta.db_table)} WHERE id = %s", [tenant.pk])  # noqa: S608


def tenant_column(model) -> str | None:
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.related_model is Tenant:
            return f.column
    return None


# ---- the schedule ---------------------------------------------------------------------------------


def demo_reset_due(now: datetime.datetime) -> str:
    """Hourly check; resets once PlatformSettings.demo_reset_hours have passed since the last build (0: never)."""
    tenant = demo_tenant()
    if tenant is None:
        return "no demo tenant"
    hours = PlatformSettings.current().demo_reset_hours
    if not hours:
        return "demo reset off"
    last, _size = demo_last_seeded(tenant)
    if last is not None and now - last < datetime.timedelta(hours=hours) - datetime.timedelta(minutes=5):
        return "not due"
    result = demo_reset()
    return f"demo reset ({result['size']}, {result['seconds']} s)"
