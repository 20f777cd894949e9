"""Pages anyone may open: trial sign-up, the service terms and the demo entry (issue 5 parts 1 and 2)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhuli.core.errors import AppError, InvalidInput
from zhuli.tenancy.models import PlatformSettings
from zhuli.web.errors import form_errors_from

from .demo import DEMO_ENTRY_ROLES, demo_tenant, demo_user_for_role
from .signup import tenant_signup
from .signup_forms import DemoEntryForm, SignupForm

BACKEND = "zhuli.accounts.backends.LoginBackend"


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def after_signup_url() -> str:
    """The first-run setup when the onboarding app provides it, else the workbench."""
    for name in ("onboarding:setup", "workbench:home"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/"


@login_not_required
def signup_view(request):
    form = SignupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _tenant, user = tenant_signup(data=form.service_data(), ip=_client_ip(request))
        except AppError as exc:
            form_errors_from(exc, form)
            status = 200 if isinstance(exc, InvalidInput) else exc.status
        else:
            auth_login(request, user, backend=BACKEND)
            messages.success(request, _("试用帐户已开通，欢迎使用助理 CRM"))
            return redirect(after_signup_url())
    return render(request, "accounts/signup.html", {
        "form": form, "trial_days": PlatformSettings.current().trial_days, "page_title": _("免费试用"),
    }, status=status)


@login_not_required
def terms_view(request):
    return render(request, "accounts/terms.html", {"page_title": _("服务条款")})


def demo_entry_context() -> dict:
    """The login page's 体验演示帐户 card: a button per demo role, or a note when there is no demo."""
    return {"demo_available": demo_tenant() is not None,
            "demo_roles": [(key, label) for key, (label, _login) in DEMO_ENTRY_ROLES.items()]}


@require_POST
@login_not_required
def demo_enter_view(request):
    """Signs the visitor in as a demo user without a password (CSRF-checked, loosely rate-limited)."""
    form = DemoEntryForm(request.POST)
    if form.is_valid():
        try:
            user = demo_user_for_role(role=form.cleaned_data["role"], ip=_client_ip(request))
        except AppError as exc:
            form_errors_from(exc, form)
            status = 200 if isinstance(exc, InvalidInput) else exc.status
        else:
            auth_login(request, user, backend=BACKEND)
            return redirect(reverse("workbench:home"))
    else:
        status = 200
    return render(request, "accounts/demo_enter.html",
                  {"form": form, "page_title": _("体验演示帐户"), **demo_entry_context()}, status=status)
