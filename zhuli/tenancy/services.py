"""Writes to the company's own record: profile and logo (settings → 公司资料)."""
from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from zhuli.audit.services import audit_record
from zhuli.core.errors import Forbidden, InvalidInput
from zhuli.core.text import clean_text
from zhuli.core.uploads import check_image, store

from .models import Tenant, TrackingStyle

PROFILE_LIMITS = {"name": 100, "address": 200, "phone": 40, "website": 200, "introduction": 2000}


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA zones a company may pick, Asia/Shanghai first."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ("Asia/Shanghai", *[z for z in zones if z != "Asia/Shanghai"])


def _require_admin(actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以修改公司资料"))


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
