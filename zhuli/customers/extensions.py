"""UI extension entries this app registers: the 客户 menu item, its customer-view sections and the
global-search provider. Later modules register their own sections the same way."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhuli.accounts.models import owner_display
from zhuli.core.registry import (
    MenuEntry,
    Section,
    customer_sections,
    menu_entries,
    search_providers,
    settings_pages,
    workbench_cards,
)


def _contacts(request, customer):
    from .views import contacts_section

    return contacts_section(request, customer) if customer.is_enterprise else ""


def _pool_history(request, customer):
    from .views import pool_history_section

    return pool_history_section(request, customer)


def _returning_card(request, actor):
    """即将退回公海: my customers the auto-return will move within their pool's warn days."""
    from django.template.loader import render_to_string

    from .selectors import customers_returning_soon

    if not actor.can("customers", "create") or actor.user_id is None:
        return ""
    rows = customers_returning_soon(actor=actor, limit=10)
    return render_to_string("customers/partials/card_returning.html", {"rows": rows}, request=request)


def _assigned_card(request, actor):
    """新分配给我: customers assigned or transferred to me in the last 7 days."""
    from django.template.loader import render_to_string

    from .selectors import customers_assigned_recently
    from .views import OWNER_CHANGE_KINDS

    if not actor.can("customers", "create") or actor.user_id is None:
        return ""
    rows = customers_assigned_recently(actor=actor, days=7, limit=10)
    for row in rows:
        row.kind_label = OWNER_CHANGE_KINDS.get(row.kind, row.kind)
    return render_to_string("customers/partials/card_assigned.html", {"rows": rows}, request=request)


def search_customers(actor, q: str, limit: int = 8) -> list[dict]:
    """Global search: visible customers only (customer_suggest starts from visible())."""
    from .selectors import customer_suggest

    if not actor.can("customers", "view"):
        return []
    out = []
    for row in customer_suggest(actor=actor, q=q, limit=limit):
        owner = owner_display(row["owner__name"], row["owner__is_active"]) or str(_("公海"))
        phone = row.get("mobile") or row.get("phone") or ""
        out.append({
            "label": row["name"],
            "url": reverse("customers:detail", args=[row["id"]]),
            "hint": " · ".join(p for p in (owner, phone) if p),
        })
    return out


menu_entries.register("customers", MenuEntry(_("客户"), "customers:list", icon="people", module="customers"), order=20)
menu_entries.register("customers.pool", MenuEntry(_("公海"), "customers:pool", icon="inboxes", module="customers"),
                      order=25)
customer_sections.register("contacts", Section(pgettext_lazy("heading", "联系人"), _contacts), order=20)
customer_sections.register("owner_history", Section(_("公海与负责人变更"), _pool_history), order=900)
search_providers.register("customers", search_customers, order=10)
workbench_cards.register("customers.returning", Section(_("即将退回公海"), _returning_card), order=40)
workbench_cards.register("customers.assigned", Section(_("新分配给我"), _assigned_card), order=45)
settings_pages.register("pools", MenuEntry(_("公海"), "customers:settings_pools", "inboxes", admin_only=True), order=60)
