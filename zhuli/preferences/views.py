"""Settings pages (设置) for company admins: index, company profile and logo, permission matrix, dictionaries."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhuli.access.roles import Action, Role, Scope
from zhuli.access.services import permission_matrix, permission_matrix_save, permission_reset
from zhuli.core.errors import AppError, NotFound
from zhuli.tenancy.models import TrackingStyle
from zhuli.tenancy.services import (
    tenant_logo_clear,
    tenant_logo_set,
    tenant_profile_update,
    tenant_tracking_style_set,
)
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from

from . import services
from .forms import CompanyForm, DictionaryItemForm, LogoForm
from .models import DictionaryKind
from .selectors import dictionary_list


@admin_required
def index(request):
    return render(request, "preferences/index.html", {"page_title": _("设置")})


def _company_forms(request, *, company_form=None, logo_form=None):
    tenant = request.actor.tenant
    initial = {f: getattr(tenant, f) for f in ("name", "address", "phone", "website", "introduction", "time_zone")}
    return {
        "company_form": company_form or CompanyForm(initial=initial),
        "logo_form": logo_form or LogoForm(),
        "page_title": _("公司资料"),
    }


@admin_required
def company(request):
    if request.method == "POST":
        form = CompanyForm(request.POST)
        if form.is_valid():
            try:
                tenant_profile_update(actor=request.actor, data=form.cleaned_data)
            except AppError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("公司资料已保存"))
                return redirect("preferences:company")
        return render(request, "preferences/company.html", _company_forms(request, company_form=form))
    return render(request, "preferences/company.html", _company_forms(request))


@admin_required
@require_POST
def logo_upload(request):
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            tenant_logo_set(actor=request.actor, upload=form.cleaned_data["logo"])
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("公司标志已更新"))
            return redirect("preferences:company")
    return render(request, "preferences/company.html", _company_forms(request, logo_form=form))


@admin_required
@require_POST
def logo_clear(request):
    tenant_logo_clear(actor=request.actor)
    messages.success(request, _("已恢复默认标志"))
    return redirect("preferences:company")


# ---- feature switches (功能设置) -------------------------------------------------------------


@admin_required
def features(request):
    """The tracking style (客户式 / 机会式 / 两者都用): menus, workbench and customer view follow it."""
    tenant = request.actor.tenant
    if request.method == "POST":
        try:
            tenant_tracking_style_set(actor=request.actor, style=request.POST.get("tracking_style", ""))
        except AppError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("功能设置已保存"))
            return redirect("preferences:features")
    return render(request, "preferences/features.html", {
        "page_title": _("功能设置"), "styles": TrackingStyle.choices, "current": tenant.feature("tracking_style"),
    })


# ---- permission matrix ---------------------------------------------------------------------


def _role_param(request) -> str:
    role = request.POST.get("role") or request.GET.get("role") or Role.SALES
    return role if role in Role.values else Role.SALES


@admin_required
def permissions(request):
    actor = request.actor
    role = _role_param(request)
    if request.method == "POST":
        cells = permission_matrix(actor=actor, role=role)
        grants = {c.module: (request.POST.get(f"{c.module}-scope", ""), request.POST.getlist(f"{c.module}-actions"))
                  for c in cells}
        try:
            permission_matrix_save(actor=actor, role=role, grants=grants)
        except AppError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("“%(role)s”的权限已保存") % {"role": Role(role).label})
            return redirect(f"{reverse('preferences:permissions')}?role={role}")
    cells = permission_matrix(actor=actor, role=role)
    return render(request, "preferences/permissions.html", {
        "role": role, "role_label": Role(role).label, "roles": Role.choices, "scopes": Scope.choices,
        "actions": Action.choices, "cells": cells, "page_title": _("权限"),
    })


@admin_required
@require_POST
def permissions_reset(request):
    role = _role_param(request)
    permission_reset(actor=request.actor, role=role)
    messages.success(request, _("“%(role)s”的权限已恢复默认") % {"role": Role(role).label})
    return redirect(f"{reverse('preferences:permissions')}?role={role}")


# ---- data dictionaries ---------------------------------------------------------------------


def _kind_param(request) -> str:
    """The dictionary a page or form is about; an unknown one is refused, never mistaken for 来源."""
    kind = request.POST.get("kind") or request.GET.get("kind") or DictionaryKind.SOURCE
    if kind not in DictionaryKind.values:
        raise NotFound(_("没有这个数据字典"))
    return kind


def _dictionary_url(kind: str) -> str:
    return f"{reverse('preferences:dictionaries')}?kind={kind}"


@admin_required
def dictionaries(request):
    actor = request.actor
    kind = _kind_param(request)
    form = DictionaryItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.dictionary_item_create(actor=actor, kind=kind, name=form.cleaned_data["name"],
                                                   code=form.cleaned_data["code"])
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已添加“%(name)s”") % {"name": item.name})
            return redirect(_dictionary_url(kind))
    items = list(dictionary_list(actor=actor, kind=kind))
    return render(request, "preferences/dictionaries.html", {
        "kind": kind, "kind_label": DictionaryKind(kind).label, "kinds": DictionaryKind.choices, "items": items,
        "form": form, "page_title": _("数据字典"),
    })


@admin_required
@require_POST
def dictionary_rename(request, item_id: int):
    item = services.dictionary_item_update(actor=request.actor, item_id=item_id, name=request.POST.get("name", ""),
                                           code=request.POST.get("code") if "code" in request.POST else None)
    messages.success(request, _("已保存“%(name)s”") % {"name": item.name})
    return redirect(_dictionary_url(item.kind))


@admin_required
@require_POST
def dictionary_toggle(request, item_id: int):
    active = request.POST.get("active") == "1"
    item = services.dictionary_item_update(actor=request.actor, item_id=item_id, is_active=active)
    if active:
        messages.success(request, _("“%(name)s”已启用") % {"name": item.name})
    else:
        messages.success(request, _("“%(name)s”已停用：不再出现在选择列表中，已有记录保留原值") % {"name": item.name})
    return redirect(_dictionary_url(item.kind))


@admin_required
@require_POST
def dictionary_move(request, item_id: int):
    actor = request.actor
    kind = _kind_param(request)
    ids = list(dictionary_list(actor=actor, kind=kind).values_list("id", flat=True))
    if item_id not in ids:
        raise NotFound(_("记录不存在或无权查看"))
    if item_id in ids:
        i = ids.index(item_id)
        j = i - 1 if request.POST.get("direction") == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            services.dictionary_reorder(actor=actor, kind=kind, ids=ids)
    return redirect(_dictionary_url(kind))
