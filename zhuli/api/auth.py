"""API authentication: a bearer token (`Authorization: Bearer <token>`) or the browser's session.
Either way the request acts as `request.actor` inside its user's tenant and the tenant's time zone,
and `tenant_scoped` puts the previous context back when the request ends, whatever happened."""
from __future__ import annotations

import datetime
import functools

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from zhuli.access.actor import Actor
from zhuli.accounts.models import ApiToken
from zhuli.tenancy.context import activate, current_tenant, deactivate
from zhuli.tenancy.models import TenantStatus

# last_used_at is a hint for the user ("used 3 minutes ago"), not a log: one write a minute is plenty.
TOKEN_TOUCH_INTERVAL = datetime.timedelta(minutes=1)
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def client_ip(request) -> str | None:
    # Behind a proxy the WSGI server is configured to pass the real address in REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def _admit(request, user):
    """The user may use the API: set the actor and activate the tenant and its zone."""
    tenant = user.tenant if user.tenant_id else None
    if tenant is None:
        raise AuthenticationError(401, _("该账号不属于任何公司，不能使用 API"))
    if not user.is_active:
        raise AuthenticationError(401, _("该账号已停用"))
    if tenant.status == TenantStatus.SUSPENDED:
        raise AuthenticationError(401, _("公司帐户已停用，请联系客服"))
    request.actor = Actor.for_user(user)
    activate(tenant)
    timezone.activate(tenant.zone)
    return user


class BearerAuth(HttpBearer):
    """`Authorization: Bearer zl_…`; only the token's SHA-256 is stored (accounts.ApiToken)."""

    def authenticate(self, request, token):
        key = (token or "").strip()
        row = None
        if key and len(key) <= 200:
            row = (ApiToken.objects.select_related("user", "user__tenant", "user__department")
                   .filter(key_hash=ApiToken.hash(key)).first())
        if row is None:
            raise AuthenticationError(401, _("API 令牌无效或已被撤销"))
        user = _admit(request, row.user)
        if user.language in LANGUAGES:
            # A session request already speaks the user's language (web middleware); a token one too.
            translation.activate(user.language)
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
            # Conditional, so concurrent requests write once.
            ApiToken.objects.filter(pk=row.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_TOUCH_INTERVAL)
            ).update(last_used_at=now)
        request.api_token = row
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session, CSRF-checked on unsafe methods (ninja's own check)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        # A request carrying a token is a token request; anonymous ones fall through to 401, not CSRF.
        if request.headers.get("Authorization"):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated:
            return None
        request.api_token = None
        return _admit(request, user)


api_auth = [BearerAuth(), SessionAuth()]


def tenant_scoped(run):
    """Wraps each operation (auth, view and rendering): the tenant, zone and language in force before
    it come back afterwards, even when it raised."""

    @functools.wraps(run)
    def wrapper(request, *args, **kwargs):
        token = activate(current_tenant())
        try:
            with timezone.override(None), translation.override(translation.get_language()):
                return run(request, *args, **kwargs)
        finally:
            deactivate(token)

    return wrapper


def actor_of(request) -> Actor:
    return request.actor
