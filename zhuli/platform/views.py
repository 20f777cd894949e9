"""The platform console (issue 5 part 7): for the service's operators, behind its own sign-in. Tenant users,
company admins included, get the 403 page on every console URL; anonymous visitors go to the console's login.
Thin: parse, call one selector or service, render. Actions are POST-only and confirmed in the page."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.accounts.authentication import LoginRefused, LoginThrottled
from zhuli.core.demo import demo_reset
from zhuli.core.errors import AppError, Conflict, Forbidden, InvalidInput
from zhuli.core.pagination import paginate
from zhuli.tenancy import services as tenancy
from zhuli.tenancy.models import TenantKind, TenantStatus
from zhuli.web.errors import form_errors_from, handler403
from zhuli.web.forms import LoginForm
from zhuli.web.links import query_with

from . import selectors, services
from .forms import SettingsForm

PAGE_SIZE = 20


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def operator_required(view):
    """Operators only: anonymous → the console's login; anyone else signed in → 403 (never console content)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('platform:login')}?{urlencode({'next': request.get_full_path()})}")
        if not services.is_operator(user):
            return handler403(request, Forbidden(_("平台控制台仅供平台运营人员使用")))
        return view(request, *args, **kwargs)

    # The tenant app's login requirement (web.middleware) does not apply: the console has its own.
    return login_not_required(wrapped)


def _next(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url.startswith("/platform/") and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("platform:tenants")


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request):
    if services.is_operator(request.user):
        return redirect(_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.platform_login(login=form.cleaned_data["login"], password=form.cleaned_data["password"],
                                           ip=_ip(request))
        except (LoginRefused, LoginThrottled) as exc:
            status = 429 if isinstance(exc, LoginThrottled) else 200
            form_errors_from(exc, form)
        else:
            auth_login(request, user)
            return redirect(_next(request))
    return render(request, "platform/login.html", {"form": form, "next": _next(request),
                                                   "page_title": _("平台控制台登录")}, status=status)


@login_not_required
@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect("platform:login")


@require_GET
@operator_required
def tenant_list_view(request):
    filters = selectors.tenant_filters_from(request.GET)
    qs = selectors.tenant_list(filters=filters)
    page = paginate(qs, page=request.GET.get("page"), page_size=PAGE_SIZE)
    page.items = selectors.tenant_rows(page.items)
    return render(request, "platform/tenant_list.html", {
        "page_title": _("租户"), "nav": "tenants", "page": page, "raw": request.GET, "kinds": TenantKind.choices,
        "statuses": TenantStatus.choices,
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
    })


@require_GET
@operator_required
def tenant_detail_view(request, tenant_id: int):
    tenant = selectors.tenant_get(tenant_id)
    summary = selectors.tenant_summary(tenant)
    return render(request, "platform/tenant_detail.html", {
        "page_title": tenant.name, "nav": "tenants", "t": tenant, "s": summary, "days_left": tenancy.tenant_days_left(tenant),
        "is_trial": tenant.kind == TenantKind.TRIAL, "is_suspended": tenant.status == TenantStatus.SUSPENDED,
        "can_convert": tenant.kind != TenantKind.DEMO and tenant.status != TenantStatus.SUSPENDED,
        "max_extension": tenancy.MAX_TRIAL_EXTENSION_DAYS,
    })


def _act(request, tenant_id: int, run, done: str):
    """Runs one account action; its refusal (every field's message) or success comes back as a message."""
    tenant = selectors.tenant_get(tenant_id)
    try:
        run(tenant)
    except InvalidInput as exc:
        messages.error(request, "；".join(m for msgs in exc.errors.values() for m in msgs))
    except AppError as exc:
        if isinstance(exc, Forbidden):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("platform:tenant", tenant_id=tenant.pk)


@require_POST
@operator_required
def tenant_convert_view(request, tenant_id: int):
    post = request.POST
    return _act(request, tenant_id, lambda t: tenancy.tenant_convert_to_formal(
        operator=request.user, tenant=t, max_users=post.get("max_users"), max_bosses=post.get("max_bosses"),
        service_ends_on=post.get("service_ends_on") or None), _("已转为正式帐户，数据和用户全部保留"))


@require_POST
@operator_required
def tenant_extend_view(request, tenant_id: int):
    return _act(request, tenant_id, lambda t: tenancy.tenant_extend_trial(
        operator=request.user, tenant=t, days=request.POST.get("days")), _("试用期已延长"))


@require_POST
@operator_required
def tenant_limits_view(request, tenant_id: int):
    post = request.POST
    return _act(request, tenant_id, lambda t: tenancy.tenant_set_limits(
        operator=request.user, tenant=t, max_users=post.get("max_users"), max_bosses=post.get("max_bosses")),
        _("用户数上限已修改"))


@require_POST
@operator_required
def tenant_suspend_view(request, tenant_id: int):
    return _act(request, tenant_id, lambda t: tenancy.tenant_suspend(
        operator=request.user, tenant=t, reason=request.POST.get("reason") or ""),
        _("帐户已停用：该公司的用户不能再登录"))


@require_POST
@operator_required
def tenant_resume_view(request, tenant_id: int):
    return _act(request, tenant_id, lambda t: tenancy.tenant_resume(operator=request.user, tenant=t),
                _("帐户已恢复"))


def _reset_demo(request, tenant):
    if tenant.code != selectors.DEMO_CODE:
        raise Conflict(_("只有演示帐户可以重置"))
    services.require_operator(request.user)
    # Synchronous: a small or standard demo rebuilds in seconds, and the operator waits for the result.
    return demo_reset(actor=request.user)


@require_POST
@operator_required
def tenant_demo_reset_view(request, tenant_id: int):
    return _act(request, tenant_id, lambda t: _reset_demo(request, t), _("演示数据已重置"))


@require_http_methods(["GET", "POST"])
@operator_required
def settings_view(request):
    form = SettingsForm.for_current(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.platform_settings_update(operator=request.user, data=form.cleaned_data, ip=_ip(request))
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("平台设置已保存；新的试用设置只影响之后开通的试用帐户"))
            return redirect("platform:settings")
    return render(request, "platform/settings.html", {"page_title": _("平台设置"), "nav": "settings", "form": form})


@require_GET
@operator_required
def events_view(request):
    page = paginate(selectors.platform_event_list(), page=request.GET.get("page"), page_size=50)
    page.items = selectors.platform_event_rows(page.items)
    return render(request, "platform/events.html", {
        "page_title": _("平台日志"), "nav": "events", "page": page,
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
    })
