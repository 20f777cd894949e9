"""Per-request actor, login requirement and the user's language for the web UI.

Placed after TenantMiddleware (and AuthenticationMiddleware) in settings.MIDDLEWARE.
Views opt out of the login requirement with `django.contrib.auth.decorators.login_not_required`;
everything under /api/ authenticates itself (bearer tokens) and is left alone here.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.core.errors import Forbidden

from .errors import handler403

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _apply_language(request, user) -> None:
    # Chinese unless the user (or the language cookie, before login) chose otherwise:
    # the browser's Accept-Language is deliberately ignored (DESIGN §3: zh-hans by default).
    chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if chosen not in SUPPORTED_LANGUAGES:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen not in SUPPORTED_LANGUAGES:
        chosen = settings.LANGUAGE_CODE
    if translation.get_language() != chosen:
        translation.activate(chosen)
    request.LANGUAGE_CODE = translation.get_language()


class ActorMiddleware(LoginRequiredMiddleware):
    """`request.actor` (None when logged out or for platform staff) and login on every web page."""

    def __call__(self, request):
        user = getattr(request, "user", None)
        request.actor = None
        request.tenant = None
        if user is not None and user.is_authenticated and user.tenant_id:
            request.actor = Actor.for_user(user)
            request.tenant = user.tenant
        _apply_language(request, user)
        return super().__call__(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        refused = super().process_view(request, view_func, view_args, view_kwargs)
        if refused is not None:
            return refused
        if getattr(view_func, "login_required", True) and request.actor is None:
            # Logged in but no company (platform staff): tenant pages make no sense for them.
            return handler403(request, Forbidden(_("此帐号不属于任何公司，不能使用公司页面；平台运营人员请使用平台控制台 /platform/")))
        return None
