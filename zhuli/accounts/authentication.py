"""Password checks for the login form and the token endpoint, with throttling in the shared cache."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.utils.translation import gettext as _

from zhuli.audit.services import audit_record
from zhuli.core.errors import AppError
from zhuli.tenancy.models import TenantStatus

from .backends import find_user_by_login
from .models import User


class LoginRefused(AppError):
    status = 401


class LoginThrottled(AppError):
    status = 429


def _key(kind: str, value: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _failures(keys: list[str]) -> int:
    values = cache.get_many(keys)
    return max((int(v) for v in values.values()), default=0)


def _count_failure(keys: list[str]) -> None:
    for key in keys:
        if cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)


def login_check(*, login: str, password: str, ip: str | None = None) -> User:
    """The user for these credentials, or a refusal; 5 failures in 15 minutes lock that login from that
    address. Counting per login *and* address means a stranger cannot lock the boss out from elsewhere;
    the looser per-address bound (50) slows guessing across many logins without shutting out a whole
    office behind one NAT address."""
    login = (login or "").strip()
    keys = [_key("login", f"{login}|{ip or ''}")] + ([_key("ip", ip)] if ip else [])
    limit = settings.LOGIN_FAILURE_LIMIT
    if _failures(keys[:1]) >= limit or (ip and _failures(keys[1:]) >= limit * 10):
        raise LoginThrottled(_("登录失败次数过多，请 15 分钟后再试"))
    user = authenticate(None, login=login, password=password or "")
    if user is None:
        known = find_user_by_login(login)
        # Only once the password is proven right may the answer say why: otherwise it would tell a stranger
        # which logins belong to a suspended company.
        if (known is not None and known.is_active and known.tenant_id
                and known.tenant.status == TenantStatus.SUSPENDED and known.check_password(password or "")):
            raise LoginRefused(_("公司帐户已停用，请联系客服"), code="tenant_suspended")
        _count_failure(keys)
        if known is not None and known.tenant_id:
            audit_record(actor=None, tenant=known.tenant, action="login.failed", target=known, ip=ip)
        raise LoginRefused(_("账号或密码不正确"))
    cache.delete(keys[0])
    if user.tenant_id:
        audit_record(actor=None, tenant=user.tenant, action="login", target=user, ip=ip,
                     changes={"user_id": user.pk})
    return user
