"""Own account (password, API tokens) and the settings pages for users, departments and record transfer."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from zhuli.access.roles import MANAGING_ROLES, Role
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.core.errors import AppError, Forbidden
from zhuli.core.registry import owned_records
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from

from . import services
from .demo import is_demo_tenant
from .forms import DepartmentForm, PasswordChangeForm, TokenForm, TransferForm, UserForm, department_tree
from .models import Department, User

USER_FIELD_MAP = {"department_id": "department"}

# ---- own account ---------------------------------------------------------------------------


def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    demo_account = is_demo_tenant(request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password"])
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in on this device
            messages.success(request, _("密码已修改"))
            return redirect("accounts:password")
    return render(request, "accounts/password.html",
                  {"form": form, "demo_account": demo_account, "page_title": _("修改密码")})


def tokens(request):
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = services.token_create(user=request.user, name=form.cleaned_data["name"] or "API")
        form = TokenForm()
    rows = request.user.api_tokens.order_by("-created_at", "-id")
    return render(request, "accounts/tokens.html",
                  {"form": form, "tokens": rows, "new_key": new_key, "page_title": _("API 令牌")})


@require_POST
def token_revoke(request, token_id: int):
    services.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, _("令牌已作废"))
    return redirect("accounts:tokens")


# ---- users (settings) ----------------------------------------------------------------------


def _plan_usage(actor) -> dict:
    counts = visible(User, actor).aggregate(
        users=Count("id", filter=Q(is_active=True)), bosses=Count("id", filter=Q(is_active=True, role=Role.BOSS))
    )
    tenant = actor.tenant
    return {"users": counts["users"], "max_users": tenant.max_users, "bosses": counts["bosses"],
            "max_bosses": tenant.max_bosses,
            "users_full": counts["users"] >= tenant.max_users, "bosses_full": counts["bosses"] >= tenant.max_bosses}


def _departments(actor):
    return list(visible(Department, actor).only("id", "name", "parent_id", "path", "order"))


@admin_required
def user_list(request):
    actor = request.actor
    status = request.GET.get("status", "active")
    qs = visible(User, actor).select_related("department").order_by("-is_active", "department__path", "id")
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "left":
        qs = qs.filter(is_active=False)
    else:
        status = "all"
    return render(request, "accounts/user_list.html", {
        "users": list(qs), "status": status, "usage": _plan_usage(actor), "page_title": _("用户"),
    })


@admin_required
def user_create(request):
    actor = request.actor
    form = UserForm(request.POST or None, departments=_departments(actor), creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=actor, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form, field_map=USER_FIELD_MAP)
        else:
            messages.success(request, _("已添加用户 %(name)s") % {"name": user.name})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html",
                  {"form": form, "creating": True, "usage": _plan_usage(actor), "page_title": _("添加用户")})


@admin_required
def user_edit(request, user_id: int):
    actor = request.actor
    user = get_visible_or_404(User, actor, user_id, queryset=visible(User, actor).select_related("department"))
    initial = {"name": user.name, "email": user.email or "", "mobile": user.mobile or "", "role": user.role,
               "department": str(user.department_id or ""), "is_admin": user.is_admin}
    form = UserForm(request.POST or None, initial=initial, departments=_departments(actor), creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=actor, user_id=user.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form, field_map=USER_FIELD_MAP)
        else:
            messages.success(request, _("已保存 %(name)s 的资料") % {"name": user.name})
            return redirect("accounts:user_list")
    owned = [(owned_records.get(k).label, n) for k, n in
             services.user_owned_counts(tenant=actor.tenant, user_id=user.pk).items()]
    return render(request, "accounts/user_form.html", {
        "form": form, "creating": False, "subject": user, "owned": owned, "page_title": _("编辑用户"),
    })


@admin_required
@require_POST
def user_deactivate(request, user_id: int):
    user = services.user_deactivate(actor=request.actor, user_id=user_id)
    messages.success(request, _("%(name)s 已设为离职，不能再登录；名下数据保留") % {"name": user.name})
    return redirect("accounts:user_list")


@admin_required
@require_POST
def user_activate(request, user_id: int):
    user = services.user_activate(actor=request.actor, user_id=user_id)
    messages.success(request, _("%(name)s 已恢复在职") % {"name": user.name})
    return redirect("accounts:user_list")


@admin_required
@require_POST
def user_delete(request, user_id: int):
    user = get_visible_or_404(User, request.actor, user_id)
    services.user_delete(actor=request.actor, user_id=user.pk)
    messages.success(request, _("已删除用户 %(name)s") % {"name": user.name})
    return redirect("accounts:user_list")


def user_transfer(request):
    """Bulk hand-over of one user's records to a colleague: admins and managing roles."""
    actor = request.actor
    if not (actor.is_admin or actor.role in MANAGING_ROLES):
        raise Forbidden(_("只有经理、总监、老板或管理员可以批量转移"))
    users = list(visible(User, actor).order_by("-is_active", "name", "id").only("id", "name", "is_active"))
    form = TransferForm(request.POST or None, users=users, initial={"from_user": request.GET.get("from", "")})
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.user_transfer_records(actor=actor, from_user_id=int(form.cleaned_data["from_user"]),
                                                   to_user_id=int(form.cleaned_data["to_user"]))
        except AppError as exc:
            form_errors_from(exc, form, field_map={"to_user_id": "to_user", "from_user_id": "from_user"})
        else:
            summary = "、".join(f"{owned_records.get(k).label} {n} 条" for k, n in moved.items() if n) or _("无")
            messages.success(request, _("已转移：%(summary)s") % {"summary": summary})
            return redirect(f"{request.path}?from={form.cleaned_data['from_user']}")
    selected = form.data.get("from_user") if form.is_bound else form.initial.get("from_user")
    owned = []
    source = next((u for u in users if str(u.pk) == str(selected)), None)
    if source is not None:
        owned = [(owned_records.get(k).label, n) for k, n in
                 services.user_owned_counts(tenant=actor.tenant, user_id=source.pk).items()]
    return render(request, "accounts/user_transfer.html",
                  {"form": form, "source": source, "owned": owned, "page_title": _("批量转移数据")})


# ---- departments (settings) ----------------------------------------------------------------


@admin_required
def department_list(request):
    actor = request.actor
    departments = list(visible(Department, actor).annotate(member_count=Count("members")))
    form = DepartmentForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            dept = services.department_create(actor=actor, name=form.cleaned_data["name"], parent_id=form.parent_id())
        except AppError as exc:
            form_errors_from(exc, form, field_map={"parent_id": "parent"})
        else:
            messages.success(request, _("已添加部门 %(name)s") % {"name": dept.name})
            return redirect("accounts:department_list")
    return render(request, "accounts/department_list.html",
                  {"tree": department_tree(departments), "form": form, "page_title": pgettext("heading", "部门")})


@admin_required
def department_edit(request, department_id: int):
    actor = request.actor
    dept = get_visible_or_404(Department, actor, department_id)
    departments = _departments(actor)
    form = DepartmentForm(request.POST or None, departments=departments, department=dept,
                          initial={"name": dept.name, "parent": str(dept.parent_id or "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(actor=actor, department_id=dept.pk, name=form.cleaned_data["name"],
                                       parent_id=form.parent_id())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存部门 %(name)s") % {"name": form.cleaned_data["name"]})
            return redirect("accounts:department_list")
    return render(request, "accounts/department_form.html",
                  {"form": form, "department": dept, "page_title": _("编辑部门")})


@admin_required
@require_POST
def department_delete(request, department_id: int):
    dept = get_visible_or_404(Department, request.actor, department_id)
    services.department_delete(actor=request.actor, department_id=dept.pk)
    messages.success(request, _("已删除部门 %(name)s") % {"name": dept.name})
    return redirect("accounts:department_list")
