"""UI extension entries this app registers: the 客户 menu item, its customer-view sections and the
global-search provider. Later modules register their own sections the same way."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhuli.accounts.models import owner_display
from zhuli.core.registry import MenuEntry, Section, customer_sections, menu_entries, search_providers


def _contacts(request, customer):
    from .views import contacts_section

    return contacts_section(request, customer) if customer.is_enterprise else ""


def _owner_history(request, customer):
    from .views import owner_history_section

    return owner_history_section(request, customer)


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
customer_sections.register("contacts", Section(pgettext_lazy("heading", "联系人"), _contacts), order=20)
customer_sections.register("owner_history", Section(_("负责人变更记录"), _owner_history), order=900)
search_providers.register("customers", search_customers, order=10)
