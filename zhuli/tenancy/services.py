"""Writes to the company's own record: profile and logo (settings → 公司资料); the account's lifecycle run by
the platform operator (convert, extend, limits, suspend / resume) and the daily expiry job."""
from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.scoping import require_not_demo, require_writable
from zhuli.audit.services import audit_record
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.text import clean_text
from zhuli.core.uploads import check_image, store

from .models import (
    AGREEMENTS,
    CUSTOMER_KINDS_IN_USE,
    PlatformSettings,
    Tenant,
    TenantKind,
    TenantStatus,
    TrackingStyle,
)

PROFILE_LIMITS = {"name": 100, "address": 200, "phone": 40, "website": 200, "introduction": 2000}


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA zones a company may pick, Asia/Shanghai first."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ("Asia/Shanghai", *[z for z in zones if z != "Asia/Shanghai"])


# The zones Chinese companies and their offices abroad pick most, named as people say them; shown first.
ZONE_NAMES = {
    "Asia/Shanghai": gettext_lazy("北京时间（中国大陆）"), "Asia/Hong_Kong": gettext_lazy("香港"), "Asia/Macau": gettext_lazy("澳门"),
    "Asia/Taipei": gettext_lazy("台北"), "Asia/Urumqi": gettext_lazy("乌鲁木齐"), "Asia/Tokyo": gettext_lazy("东京"), "Asia/Seoul": gettext_lazy("首尔"),
    "Asia/Singapore": gettext_lazy("新加坡"), "Asia/Kuala_Lumpur": gettext_lazy("吉隆坡"), "Asia/Bangkok": gettext_lazy("曼谷"),
    "Asia/Ho_Chi_Minh": gettext_lazy("胡志明市"), "Asia/Jakarta": gettext_lazy("雅加达"), "Asia/Manila": gettext_lazy("马尼拉"),
    "Asia/Kolkata": gettext_lazy("印度"), "Asia/Dubai": gettext_lazy("迪拜"), "Europe/Moscow": gettext_lazy("莫斯科"), "Europe/London": gettext_lazy("伦敦"),
    "Europe/Paris": gettext_lazy("巴黎"), "Europe/Berlin": gettext_lazy("柏林"), "America/New_York": gettext_lazy("纽约"),
    "America/Chicago": gettext_lazy("芝加哥"), "America/Los_Angeles": gettext_lazy("洛杉矶"), "America/Sao_Paulo": gettext_lazy("圣保罗"),
    "Australia/Sydney": gettext_lazy("悉尼"), "Pacific/Auckland": gettext_lazy("奥克兰"),
}


def time_zone_choices() -> list[tuple[str, str]]:
    """The picker: (zone, "UTC+08:00 北京时间（中国大陆） · Asia/Shanghai"), the named zones first, then every
    other by offset. Offsets are today's (summer time moves some)."""
    now = datetime.datetime.now(datetime.UTC)

    def offset(zone: str) -> tuple[datetime.timedelta, str]:
        delta = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or datetime.timedelta(0)
        minutes = int(delta.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        return delta, f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    named = [(z, f"{offset(z)[1]} {ZONE_NAMES[z]} · {z}") for z in ZONE_NAMES if z in time_zones()]
    rest = sorted((z for z in time_zones() if z not in ZONE_NAMES), key=lambda z: (offset(z)[0], z))
    return named + [(z, f"{offset(z)[1]} {z}") for z in rest]


def _require_admin(actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以修改公司资料"))
    require_writable(actor)
    require_not_demo(actor, _("演示帐户不能修改公司资料和功能设置"))


def _locked_tenant(actor) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=actor.tenant.pk)


@transaction.atomic
def tenant_profile_update(*, actor, data: dict) -> Tenant:
    """Name, address, phone, website, introduction and time zone of the actor's company."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field, limit in PROFILE_LIMITS.items():
        if field not in data:
            continue
        value = clean_text(data.get(field)) if field != "introduction" else (data.get(field) or "").strip()
        if len(value) > limit:
            errors[field] = _("最多 %(n)s 个字符") % {"n": limit}
        cleaned[field] = value
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = _("公司名称不能为空")
    if "time_zone" in data:
        zone = (data.get("time_zone") or "").strip()
        if zone not in time_zones():
            errors["time_zone"] = _("未知的时区")
        cleaned["time_zone"] = zone
    if errors:
        raise InvalidInput(errors)
    tenant = _locked_tenant(actor)
    before = {k: getattr(tenant, k) for k in cleaned}
    for field, value in cleaned.items():
        setattr(tenant, field, value)
    changes = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
    if changes:
        tenant.save(update_fields=list(changes))
        audit_record(actor=actor, action="tenant.update", target=tenant, changes=changes)
    actor.tenant.__dict__.update({k: getattr(tenant, k) for k in cleaned})
    return tenant


@transaction.atomic
def tenant_tracking_style_set(*, actor, style: str) -> Tenant:
    """Settings → 功能设置: customer-style, opportunity-style or both. Only menus, the workbench and the
    customer view change; no data is touched."""
    _require_admin(actor)
    if style not in TrackingStyle.values:
        raise InvalidInput({"tracking_style": _("请选择跟踪方式")})
    tenant = _locked_tenant(actor)
    before = tenant.feature("tracking_style")
    if before != style:
        tenant.features = {**(tenant.features or {}), "tracking_style": style}
        tenant.save(update_fields=["features"])
        audit_record(actor=actor, action="tenant.features", target=tenant, changes={"tracking_style": [before, style]})
    actor.tenant.features = tenant.features
    return tenant


# The company's decisions of the first-run setup (also 功能设置): feature → the values it may take.
FEATURE_VALUES = {
    "customer_kinds": tuple(CUSTOMER_KINDS_IN_USE),
    "agreements": AGREEMENTS,
    "tracking_style": tuple(TrackingStyle.values),
    "inventory": (True, False),
}


@transaction.atomic
def tenant_features_set(*, actor, data: dict) -> Tenant:
    """Customer kinds, contracts / orders, tracking style and inventory of the actor's company; only the
    features given change, each checked against its values (no data is touched, only what shows)."""
    _require_admin(actor)
    errors: dict[str, str] = {}
    for name, value in data.items():
        allowed = FEATURE_VALUES.get(name)
        if allowed is None:
            errors[name] = _("不支持此功能开关")
        elif name == "inventory" and not isinstance(value, bool):
            errors[name] = _("库存只能开启或关闭")
        elif value not in allowed:
            errors[name] = _("请从可选项中选择")
    if errors:
        raise InvalidInput(errors)
    tenant = _locked_tenant(actor)
    changes = {k: [tenant.feature(k), v] for k, v in data.items() if tenant.feature(k) != v}
    if changes:
        tenant.features = {**(tenant.features or {}), **{k: new for k, (_old, new) in changes.items()}}
        tenant.save(update_fields=["features"])
        audit_record(actor=actor, action="tenant.features", target=tenant, changes=changes)
    actor.tenant.features = tenant.features
    return tenant


def _delete_file(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except OSError:
            pass  # a leftover file harms nobody; the row no longer points at it


def tenant_logo_set(*, actor, upload) -> Tenant:
    """A PNG/JPEG/WebP through the one upload door, re-encoded and stored under a random name."""
    _require_admin(actor)
    checked = check_image(upload, field="logo")
    name = store(checked, folder=f"logos/{actor.tenant.pk}")
    try:
        with transaction.atomic():
            tenant = _locked_tenant(actor)
            old = tenant.logo
            tenant.logo = name
            tenant.save(update_fields=["logo"])
            audit_record(actor=actor, action="tenant.logo_set", target=tenant,
                         changes={"logo": [old, name], "type": checked.kind, "bytes": len(checked.content)})
            transaction.on_commit(lambda: _delete_file(old))
    except Exception:
        _delete_file(name)
        raise
    actor.tenant.logo = name
    return tenant


@transaction.atomic
def tenant_logo_clear(*, actor) -> Tenant:
    """Back to the default mark in the header."""
    _require_admin(actor)
    tenant = _locked_tenant(actor)
    old = tenant.logo
    if old:
        tenant.logo = ""
        tenant.save(update_fields=["logo"])
        audit_record(actor=actor, action="tenant.logo_clear", target=tenant, changes={"logo": [old, ""]})
        transaction.on_commit(lambda: _delete_file(old))
    actor.tenant.logo = ""
    return tenant


# ---- the account's lifecycle (the platform console; DESIGN §2 帐户) ------------------------------------

MAX_TRIAL_EXTENSION_DAYS = 365
MAX_SEATS = 100_000


class NotOperator(Forbidden, PermissionDenied):
    """Only platform staff (is_staff, no tenant) change a company's account; a tenant's own admin cannot."""


@dataclass(frozen=True)
class _OperatorActor:
    """What audit_record needs to file an operator's action under the target company."""

    tenant: Tenant
    user_id: int


def _require_operator(operator) -> None:
    if not (operator is not None and getattr(operator, "is_authenticated", False) and operator.is_active
            and operator.is_staff and operator.tenant_id is None):
        raise NotOperator(_("只有平台运营人员可以管理租户帐户"))


def _locked(tenant: Tenant) -> Tenant:
    # select_for_update orders concurrent operators on PostgreSQL; SQLite's immediate transactions do the same.
    try:
        return Tenant.objects.select_for_update().get(pk=tenant.pk)
    except Tenant.DoesNotExist:
        raise NotFound(_("租户不存在"))


def _audit(operator, tenant: Tenant, action: str, changes: dict) -> None:
    audit_record(actor=_OperatorActor(tenant=tenant, user_id=operator.pk), action=action, target=tenant,
                 changes=changes)


def tenant_usage(tenant: Tenant) -> dict[str, int]:
    """Seats in use: active users and active bosses (users who left hold no seat)."""
    from zhuli.access.roles import Role
    from zhuli.accounts.models import User

    counts = User.objects.filter(tenant=tenant, is_active=True).aggregate(
        users=Count("pk"), bosses=Count("pk", filter=Q(role=Role.BOSS)))
    return {"users": counts["users"] or 0, "bosses": counts["bosses"] or 0}


def _as_count(value, field: str, errors: dict) -> int | None:
    try:
        number = int(value)
        if isinstance(value, bool) or str(value).strip() != str(number):
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = _("请填写整数")
        return None
    if not 1 <= number <= MAX_SEATS:
        errors[field] = _("应在 1 到 %(max)s 之间") % {"max": MAX_SEATS}
        return None
    return number


def _clean_limits(tenant: Tenant, max_users, max_bosses) -> tuple[int, int]:
    """New seat limits: whole numbers, bosses within users, never below the seats already taken."""
    errors: dict[str, str] = {}
    users = _as_count(max_users, "max_users", errors)
    bosses = _as_count(max_bosses, "max_bosses", errors)
    if errors:
        raise InvalidInput(errors)
    usage = tenant_usage(tenant)
    if users < usage["users"]:
        errors["max_users"] = _("用户数上限不能低于当前在职用户数（上限 %(limit)s 人，当前 %(n)s 人）") % {
            "limit": users, "n": usage["users"]}
    if bosses < usage["bosses"]:
        errors["max_bosses"] = _("老板席位上限不能低于当前老板人数（上限 %(limit)s 个，当前 %(n)s 个）") % {
            "limit": bosses, "n": usage["bosses"]}
    if bosses > users and "max_bosses" not in errors:
        errors["max_bosses"] = _("老板席位上限不能超过用户数上限（%(n)s 人）") % {"n": users}
    if errors:
        raise InvalidInput(errors)
    return users, bosses


def _as_date(value, field: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        raise InvalidInput({field: _("日期格式应为 YYYY-MM-DD")})
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput({field: _("日期格式应为 YYYY-MM-DD")})


def _status_by_dates(tenant: Tenant) -> tuple[str, datetime.date | None]:
    """The status the account's end date calls for today, with the day it expired."""
    ends_on = tenant.ends_on
    if ends_on is not None and ends_on < tenant.today():
        return TenantStatus.EXPIRED, tenant.expired_on or ends_on + datetime.timedelta(days=1)
    return TenantStatus.ACTIVE, None


def _snapshot(tenant: Tenant) -> dict:
    return {f: getattr(tenant, f) for f in ("kind", "status", "max_users", "max_bosses", "trial_ends_on",
                                           "service_ends_on", "expired_on")}


def _save_changes(operator, tenant: Tenant, before: dict, action: str, extra: dict | None = None) -> Tenant:
    after = _snapshot(tenant)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        tenant.save(update_fields=changed)
    changes = {k: [before[k], after[k]] for k in changed}
    _audit(operator, tenant, action, {**changes, **(extra or {})})
    return tenant


@transaction.atomic
def tenant_convert_to_formal(*, operator, tenant: Tenant, max_users, max_bosses, service_ends_on=None) -> Tenant:
    """Trial (or expired formal) → formal and active, keeping every record and user; new seat limits and an
    optional paid-until day (not in the past)."""
    _require_operator(operator)
    tenant = _locked(tenant)
    if tenant.kind == TenantKind.DEMO:
        raise Conflict(_("演示帐户不能转为正式帐户"))
    if tenant.status == TenantStatus.SUSPENDED:
        raise Conflict(_("帐户已停用，请先恢复再转为正式帐户"))
    # A running formal account keeps its paid-until day: seats change through tenant_set_limits.
    if tenant.kind == TenantKind.FORMAL and tenant.status == TenantStatus.ACTIVE:
        raise Conflict(_("已是正式帐户"), code="already_formal")
    users, bosses = _clean_limits(tenant, max_users, max_bosses)
    ends_on = _as_date(service_ends_on, "service_ends_on")
    if ends_on is not None and ends_on < tenant.today():
        raise InvalidInput({"service_ends_on": _("服务截止日不能早于今天")})
    before = _snapshot(tenant)
    tenant.kind, tenant.status = TenantKind.FORMAL, TenantStatus.ACTIVE
    tenant.max_users, tenant.max_bosses = users, bosses
    tenant.trial_ends_on, tenant.service_ends_on, tenant.expired_on = None, ends_on, None
    return _save_changes(operator, tenant, before, "tenant.convert")


@transaction.atomic
def tenant_extend_trial(*, operator, tenant: Tenant, days) -> Tenant:
    """Adds days to a trial, counted from its end or from today when it is already over; an expired trial
    becomes active again."""
    _require_operator(operator)
    errors: dict[str, str] = {}
    days = _as_count(days, "days", errors)
    if errors or days > MAX_TRIAL_EXTENSION_DAYS:
        raise InvalidInput({"days": errors.get("days") or _("一次最多延长 %(n)s 天") % {"n": MAX_TRIAL_EXTENSION_DAYS}})
    tenant = _locked(tenant)
    if tenant.kind != TenantKind.TRIAL:
        raise Conflict(_("只有试用帐户可以延长试用期"))
    before = _snapshot(tenant)
    today = tenant.today()
    tenant.trial_ends_on = max(tenant.trial_ends_on or today, today - datetime.timedelta(days=1)) + \
        datetime.timedelta(days=days)
    if tenant.status == TenantStatus.EXPIRED:
        tenant.status, tenant.expired_on = TenantStatus.ACTIVE, None
    return _save_changes(operator, tenant, before, "tenant.extend_trial", {"days": days})


@transaction.atomic
def tenant_set_limits(*, operator, tenant: Tenant, max_users, max_bosses) -> Tenant:
    """New seat limits, never below the active users and bosses the company has now."""
    _require_operator(operator)
    tenant = _locked(tenant)
    before = _snapshot(tenant)
    tenant.max_users, tenant.max_bosses = _clean_limits(tenant, max_users, max_bosses)
    return _save_changes(operator, tenant, before, "tenant.limits")


@transaction.atomic
def tenant_suspend(*, operator, tenant: Tenant, reason: str) -> Tenant:
    """Nobody of the company can log in or use a token until resumed; nothing is deleted."""
    _require_operator(operator)
    reason = clean_text(reason)
    if not reason:
        raise InvalidInput({"reason": _("请填写停用原因")})
    if len(reason) > 200:
        raise InvalidInput({"reason": _("最多 %(n)s 个字符") % {"n": 200}})
    tenant = _locked(tenant)
    if not Tenant.objects.filter(pk=tenant.pk).exclude(status=TenantStatus.SUSPENDED).update(
            status=TenantStatus.SUSPENDED):
        raise Conflict(_("帐户已经是停用状态"))
    _audit(operator, tenant, "tenant.suspend", {"status": [tenant.status, TenantStatus.SUSPENDED], "reason": reason})
    tenant.status = TenantStatus.SUSPENDED
    return tenant


@transaction.atomic
def tenant_resume(*, operator, tenant: Tenant) -> Tenant:
    """Back from suspension: active, or expired (read-only) when its end date passed meanwhile."""
    _require_operator(operator)
    tenant = _locked(tenant)
    if tenant.status != TenantStatus.SUSPENDED:
        raise Conflict(_("帐户未停用"))
    before = _snapshot(tenant)
    tenant.status, tenant.expired_on = _status_by_dates(tenant)
    if not Tenant.objects.filter(pk=tenant.pk, status=TenantStatus.SUSPENDED).update(
            status=tenant.status, expired_on=tenant.expired_on):
        raise Conflict(_("帐户未停用"))
    changes = {k: [before[k], v] for k, v in _snapshot(tenant).items() if before[k] != v}
    _audit(operator, tenant, "tenant.resume", changes)
    return tenant


def tenant_grace_ends_on(tenant: Tenant) -> datetime.date | None:
    """The last day an expired (or, looking ahead, a dated) account's data is kept (PlatformSettings.grace_days)."""
    start = tenant.expired_on
    if start is None and tenant.ends_on is not None:
        start = tenant.ends_on + datetime.timedelta(days=1)
    if start is None:
        return None
    return start + datetime.timedelta(days=PlatformSettings.current().grace_days)


def tenant_days_left(tenant: Tenant) -> int | None:
    """Days of service left counting today (1 on the last day, 0 once over); None when open-ended."""
    ends_on = tenant.ends_on
    if ends_on is None:
        return None
    return max((ends_on - tenant.today()).days + 1, 0)


def trials_expire_all(now: datetime.datetime | None = None) -> str:
    """The scheduled job: trials past their last day and formal accounts past their paid-until day, each on its
    own calendar day, become expired (read-only); nothing is deleted."""
    now = now or timezone.now()
    # No zone is more than 14 h ahead of UTC, so nothing ending on or after that date can be over yet.
    latest_today = (now + datetime.timedelta(hours=14)).date()
    candidates = Tenant.objects.filter(status=TenantStatus.ACTIVE).filter(
        Q(kind=TenantKind.TRIAL, trial_ends_on__lt=latest_today)
        | Q(kind=TenantKind.FORMAL, service_ends_on__lt=latest_today)).order_by("pk")
    expired = 0
    for tenant in candidates:
        ends_on = tenant.ends_on
        if ends_on >= now.astimezone(tenant.zone).date():
            continue
        expired_on = ends_on + datetime.timedelta(days=1)
        with transaction.atomic():
            # Conditional, so an operator's conversion or two workers in the same minute never collide.
            won = Tenant.objects.filter(pk=tenant.pk, status=TenantStatus.ACTIVE, kind=tenant.kind,
                                        trial_ends_on=tenant.trial_ends_on, service_ends_on=tenant.service_ends_on
                                        ).update(status=TenantStatus.EXPIRED, expired_on=expired_on)
            if won:
                expired += 1
                audit_record(actor=None, tenant=tenant, action="tenant.expire", target=tenant,
                             changes={"status": [TenantStatus.ACTIVE, TenantStatus.EXPIRED],
                                      "ends_on": str(ends_on), "expired_on": str(expired_on)})
    return f"{expired} expired"
