"""Writes of the platform console: the operators' sign-in and the platform settings. Actions on one company's
account (convert, extend, limits, suspend / resume) are zhuli.tenancy.services; the demo reset is
zhuli.core.demo.demo_reset."""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from zhuli.accounts.authentication import LoginRefused, login_check
from zhuli.accounts.backends import find_user_by_login
from zhuli.accounts.models import User
from zhuli.audit.services import diff
from zhuli.core.errors import InvalidInput
from zhuli.tenancy.models import PlatformSettings
from zhuli.tenancy.services import NotOperator

from .models import PlatformEvent

# Field → (smallest, largest) a setting may take.
SETTINGS_BOUNDS = {
    "trial_days": (1, 365),
    "trial_max_users": (1, 100_000),
    "trial_max_bosses": (1, 100_000),
    "grace_days": (0, 3650),
    "signups_per_ip_per_hour": (1, 10_000),
    "demo_reset_hours": (0, 24 * 365),  # 0: the schedule never resets the demo (the console still can)
}


def is_operator(user) -> bool:
    """Platform staff: a staff user of no company. Tenant users, admins included, never are."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active and user.is_staff
                and user.tenant_id is None)


def require_operator(user) -> None:
    if not is_operator(user):
        raise NotOperator(_("只有平台运营人员可以使用平台控制台"))


def platform_event_record(*, operator, action: str, changes: dict | None = None, ip: str | None = None) -> None:
    """One row of the platform log, inside the caller's transaction."""
    PlatformEvent.objects.create(operator_id=getattr(operator, "pk", None), action=action, changes=changes or {},
                                 ip=ip)


def platform_login(*, login: str, password: str, ip: str | None = None) -> User:
    """The console's sign-in: operators only, with the login form's throttling. A company's account gets the
    same answer as a wrong password, whatever its password, so the console tells nothing about tenant logins."""
    known = find_user_by_login(login)
    if known is None or not (known.is_staff and known.tenant_id is None):
        User().set_password(password)  # the same work as a real check, so timing says nothing either
        raise LoginRefused(_("账号或密码不正确"))
    try:
        user = login_check(login=login, password=password, ip=ip)
    except LoginRefused:
        with transaction.atomic():
            platform_event_record(operator=known, action="platform.login_failed", ip=ip)
        raise
    with transaction.atomic():
        platform_event_record(operator=user, action="platform.login", ip=ip)
    return user


def _as_setting(field: str, value, errors: dict) -> int | None:
    low, high = SETTINGS_BOUNDS[field]
    try:
        number = int(str(value).strip())
        if isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = _("请填写整数")
        return None
    if not low <= number <= high:
        errors[field] = _("应在 %(low)s 到 %(high)s 之间") % {"low": low, "high": high}
        return None
    return number


@transaction.atomic
def platform_settings_update(*, operator, data: dict, ip: str | None = None) -> PlatformSettings:
    """Trial length and seats for new sign-ups, the grace period, the sign-up rate limit and the demo reset
    interval; operators only, audited with before / after. New values apply to trials opened from now on."""
    require_operator(operator)
    errors: dict[str, str] = {}
    cleaned = {f: _as_setting(f, data[f], errors) for f in SETTINGS_BOUNDS if f in data}
    if errors:
        raise InvalidInput(errors)
    PlatformSettings.current()
    row = PlatformSettings.objects.select_for_update().get(pk=1)
    before = {f: getattr(row, f) for f in cleaned}
    if cleaned.get("trial_max_bosses", row.trial_max_bosses) > cleaned.get("trial_max_users", row.trial_max_users):
        raise InvalidInput({"trial_max_bosses": _("老板席位上限不能超过用户数上限")})
    changes = diff(before, cleaned)
    if changes:
        for field, value in cleaned.items():
            setattr(row, field, value)
        row.save(update_fields=[*changes, "updated_at"])
        platform_event_record(operator=operator, action="platform.settings", changes=changes, ip=ip)
    return row
