"""Reads of the platform console: companies with their seats, data size and last activity, one company's
account page and recent account events, the platform log. Operators only (views check first)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from zhuli.access.roles import Role
from zhuli.accounts.models import ApiToken, User
from zhuli.audit.labels import action_label
from zhuli.audit.models import AuditEvent
from zhuli.audit.selectors import LIST_COLUMNS, actor_label, describe_changes
from zhuli.core.errors import NotFound
from zhuli.core.text import clean_text
from zhuli.tenancy.models import Tenant, TenantKind, TenantStatus
from zhuli.tenancy.services import tenant_grace_ends_on
from zhuli.tenancy.unscoped import for_tenant, newest_per_tenant, rows_per_tenant

from .models import PlatformEvent

# The business tables counted as a company's "data size": rows are honest and cheap (tenant-led indexes);
# bytes per tenant are not (pg_total_relation_size is per table, and SQLite has none). Apps not installed yet
# are skipped.
DATA_TABLES = (
    "customers.Customer", "customers.Contact", "activities.FollowUp", "sales.Opportunity", "catalog.Product",
    "deals.Quote", "deals.Agreement", "billing.Payment", "billing.Invoice",
)
# The account's own history on its page: what operators, the expiry job, sign-up and the demo reset did.
ACCOUNT_ACTION_PREFIXES = ("tenant.", "demo.")
RECENT_EVENTS = 20
DEMO_CODE = "demo"


def data_models() -> list[tuple[str, type]]:
    out = []
    for label in DATA_TABLES:
        try:
            out.append((label, apps.get_model(label)))
        except LookupError:
            continue
    return out


@dataclass
class TenantFilters:
    q: str = ""
    kind: str = ""
    status: str = ""


def tenant_filters_from(params) -> TenantFilters:
    """Unknown kinds / statuses are ignored (the select only offers the real ones)."""
    kind = (params.get("kind") or "").strip()
    status = (params.get("status") or "").strip()
    return TenantFilters(q=clean_text(params.get("q") or "")[:100],
                         kind=kind if kind in TenantKind.values else "",
                         status=status if status in TenantStatus.values else "")


def tenant_list(*, filters: TenantFilters) -> QuerySet:
    """Every company, newest first, by name / code search and kind / status."""
    qs = Tenant.objects.all()
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-created_at", "-id")


def _seats(tenant_ids) -> dict[int, dict]:
    rows = (User.objects.filter(tenant_id__in=tenant_ids).order_by().values("tenant_id").annotate(
        users=Count("pk", filter=Q(is_active=True)), bosses=Count("pk", filter=Q(is_active=True, role=Role.BOSS)),
        last_login=Max("last_login")))
    return {r["tenant_id"]: r for r in rows}


def _token_use(tenant_ids) -> dict[int, datetime.datetime]:
    rows = (ApiToken.objects.filter(user__tenant_id__in=tenant_ids).order_by().values("user__tenant_id")
            .annotate(last=Max("last_used_at")).values_list("user__tenant_id", "last"))
    return {pk: last for pk, last in rows if last is not None}


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def tenant_rows(tenants: list[Tenant]) -> list[dict]:
    """The list's columns for one page: seats, data rows, last activity (a few grouped queries, not per row)."""
    ids = [t.pk for t in tenants]
    if not ids:
        return []
    seats = _seats(ids)
    tokens = _token_use(ids)
    # Every write is audited and so is every sign-in: the newest event is the last thing anyone did.
    events = newest_per_tenant(AuditEvent, "created_at", ids)
    data = {pk: 0 for pk in ids}
    for _label, model in data_models():
        for pk, n in rows_per_tenant(model, ids).items():
            data[pk] += n
    rows = []
    for t in tenants:
        s = seats.get(t.pk, {})
        rows.append({
            "tenant": t, "users": s.get("users", 0), "bosses": s.get("bosses", 0), "data_rows": data.get(t.pk, 0),
            "last_activity": _latest(events.get(t.pk), s.get("last_login"), tokens.get(t.pk)),
            "ends_on": t.ends_on,
            # The grace period matters once an account expired; looked up only for those rows.
            "grace_ends_on": tenant_grace_ends_on(t) if t.status == TenantStatus.EXPIRED else None,
        })
    return rows


def tenant_get(tenant_id) -> Tenant:
    try:
        return Tenant.objects.get(pk=int(tenant_id))
    except (Tenant.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(_("租户不存在"))


def tenant_summary(tenant: Tenant) -> dict:
    """One company's account page: seats, rows per table, last activity, grace end, recent account events."""
    row = tenant_rows([tenant])[0]
    tables = []
    for _label, model in data_models():
        tables.append({"label": model._meta.verbose_name, "rows": rows_per_tenant(model, [tenant.pk]).get(tenant.pk, 0)})
    row["tables"] = tables
    row["grace_ends_on"] = tenant_grace_ends_on(tenant)
    row["users_list"] = list(User.objects.filter(tenant=tenant).order_by("-is_active", "role", "id")
                             .values("id", "name", "email", "mobile", "role", "is_admin", "is_active", "last_login"))
    roles = dict(Role.choices)
    for u in row["users_list"]:
        u["role_label"] = roles.get(u["role"], u["role"])
    row["events"] = tenant_account_events(tenant)
    row["is_demo"] = tenant.code == DEMO_CODE
    return row


def tenant_account_events(tenant: Tenant, limit: int = RECENT_EVENTS) -> list[dict]:
    """The account's own recent events (operators' actions, expiry, the demo reset), newest first."""
    condition = Q()
    for prefix in ACCOUNT_ACTION_PREFIXES:
        condition |= Q(action__startswith=prefix)
    rows = list(for_tenant(AuditEvent, tenant).filter(condition).order_by("-created_at", "-id")
                .values(*LIST_COLUMNS)[:limit])
    names = _operator_names({r["actor_id"] for r in rows} | {r["changes"].get("by") for r in rows
                                                             if isinstance(r["changes"], dict)})
    for r in rows:
        changes = dict(r["changes"]) if isinstance(r["changes"], dict) else {}
        r["action_label"] = action_label(r["action"])
        # The demo reset has no actor but names the operator who asked for it.
        r["actor_label"] = names.get(r["actor_id"]) or names.get(changes.get("by")) or actor_label(r)
        if isinstance(changes.get("by"), int):
            changes["by"] = names.get(changes["by"], changes["by"])
        r["change_items"] = describe_changes(changes, {})
    return rows


def _operator_names(ids) -> dict[int, str]:
    ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    if not ids:
        return {}
    return dict(User.objects.filter(pk__in=ids, tenant__isnull=True).values_list("id", "name"))


def platform_event_list() -> QuerySet:
    """The platform log (settings changes, console sign-ins), newest first."""
    return PlatformEvent.objects.order_by("-created_at", "-id").values(
        "id", "created_at", "action", "operator_id", "operator__name", "operator__email", "changes", "ip")


def platform_event_rows(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["action_label"] = action_label(r["action"])
        r["change_items"] = describe_changes(r["changes"], {})
    return rows
