"""Layout data every page needs: the actor, their company, the left menu and the logo."""
from __future__ import annotations

import os

from django.urls import NoReverseMatch, reverse

from zhuli.access.roles import MANAGING_ROLES
from zhuli.core.registry import feature_on, menu_entries, settings_pages
from zhuli.tenancy.models import read_only_message


def entries_for(actor, registry, current_path: str = "") -> list[dict]:
    """The registry's MenuEntry values this actor may use, resolved to URLs, the current one marked."""
    out = []
    for entry in registry.values():
        if entry.admin_only and not actor.is_admin:
            continue
        if entry.module and not actor.can(entry.module, "view"):
            continue
        if not feature_on(actor.tenant, entry.feature):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue  # a module whose pages are not there yet
        out.append({"label": entry.label, "url": url, "icon": entry.icon, "active": False})
    # The longest URL that prefixes the current path is the active one ("/" only on itself).
    best = max((e for e in out if current_path == e["url"] or (e["url"] != "/" and current_path.startswith(e["url"]))),
               key=lambda e: len(e["url"]), default=None)
    if best is not None:
        best["active"] = True
    return out


def logo_url(tenant) -> str:
    if tenant is None or not tenant.logo:
        return ""
    return reverse("web:logo", args=[os.path.basename(tenant.logo)])


def layout(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"actor": None, "tenant": None, "menu": [], "logo_url": ""}
    menu = entries_for(actor, menu_entries, request.path)
    settings_nav = entries_for(actor, settings_pages, request.path) if actor.is_admin else []
    if any(e["active"] for e in settings_nav) and not any(e["active"] for e in menu):
        # Settings pages live under several apps' URLs; the 设置 entry stays lit on all of them.
        settings_url = reverse("preferences:index")
        for entry in menu:
            entry["active"] = entry["url"] == settings_url
    return {
        "actor": actor,
        "tenant": actor.tenant,
        "menu": menu,
        "settings_nav": settings_nav,
        "can_transfer_users": actor.is_admin or actor.role in MANAGING_ROLES,
        "logo_url": logo_url(actor.tenant),
        # Expired companies read and export only (access.scoping.require_writable): every page says so.
        "read_only_notice": read_only_message(actor.tenant) if actor.tenant.read_only else "",
    }
