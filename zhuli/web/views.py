"""Shell views: login/logout, language, global search, the company logo and a fallback home."""
from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhuli.accounts.authentication import LoginRefused, LoginThrottled, login_check
from zhuli.accounts.public_views import demo_entry_context
from zhuli.accounts.services import user_language_set
from zhuli.core.errors import AppError
from zhuli.core.registry import search_providers

from .errors import form_errors_from
from .forms import LoginForm

DEMO_PASSWORD = "zhuli-demo"
SEARCH_LIMIT = 8
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def _safe_next(request, url: str | None, default: str = "/") -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True)


@login_not_required
def login_view(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and getattr(request, "actor", None) is not None:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    throttled = False
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(login=form.cleaned_data["login"], password=form.cleaned_data["password"],
                               ip=_client_ip(request))
        except (LoginRefused, LoginThrottled) as exc:
            throttled = isinstance(exc, LoginThrottled)
            form_errors_from(exc, form)
        else:
            auth_login(request, user)
            response = HttpResponseRedirect(next_url)
            if user.language:
                _set_language_cookie(response, user.language)
            return response
    status = 429 if throttled else 200
    return render(request, "web/login.html", {
        "form": form, "next": next_url, "demo_password": DEMO_PASSWORD, **demo_entry_context(),
        "page_title": _("登录"),
    }, status=status)


@require_POST
@login_not_required
def logout_view(request):
    auth_logout(request)
    return redirect(settings.LOGIN_URL)


@require_POST
@login_not_required
def language_view(request):
    """Switches 中文 / English: a cookie for this browser and, when signed in, the user's own setting."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request, request.POST.get("next") or request.META.get("HTTP_REFERER")))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        try:
            user_language_set(user=request.user, language=language)
        except AppError:
            return response
    _set_language_cookie(response, language)
    return response


def _safe_results(rows) -> list[dict]:
    # Only same-site paths: a provider bug must not put `javascript:` links in the dropdown.
    out = []
    for row in rows:
        url = str(row.get("url") or "")
        if not url.startswith("/") or url.startswith("//"):
            continue
        out.append({"label": str(row.get("label") or ""), "url": url, "hint": str(row.get("hint") or "")})
    return out


@require_GET
def search_view(request):
    """Global search: each registered provider returns [{"label", "url", "hint"}] for (actor, q, limit)."""
    q = (request.GET.get("q") or "").strip()[:100]
    results: list[dict] = []
    if q:
        for provider in search_providers.values():
            try:
                results.extend(_safe_results(provider(request.actor, q, SEARCH_LIMIT)))
            except AppError:
                continue
    template = "web/partials/search_results.html" if request.htmx else "web/search.html"
    return render(request, template, {"q": q, "results": results, "page_title": _("搜索")})


@require_GET
def logo_view(request, name: str):
    """The company's logo, streamed as the image type it was re-encoded to, never sniffed as anything else."""
    tenant = request.tenant
    if not tenant.logo or os.path.basename(tenant.logo) != name:
        raise Http404
    content_type = LOGO_TYPES.get(os.path.splitext(name)[1].lower())
    if content_type is None:
        raise Http404
    try:
        handle = default_storage.open(tenant.logo, "rb")
    except (FileNotFoundError, OSError):
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Content-Disposition"] = "inline"
    # The name is random and changes with every upload, so the browser may keep it.
    response["Cache-Control"] = "private, max-age=604800"
    return response


def home_view(request):
    """Fallback landing page when no app claims "/" (the workbench normally does)."""
    return render(request, "web/home.html", {"page_title": _("首页")})
