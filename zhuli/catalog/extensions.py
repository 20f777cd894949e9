"""What the catalogue plugs into the registries of lower apps (menu, global search)."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, menu_entries, search_providers


def search_products(actor, q: str, limit: int = 8) -> list[dict]:
    """Global search: products by name, code, specification or pinyin (inactive ones too, marked)."""
    from .selectors import ProductFilters, product_list, product_rows

    if not actor.can("products", "view"):
        return []
    rows = product_rows(product_list(actor=actor, filters=ProductFilters(q=q), sort="code"))[:limit]
    out = []
    for row in rows:
        hint = [str(_("产品")), row["code"]]
        if not row["is_active"]:
            hint.append(str(_("已停用")))
        out.append({"label": row["name"], "url": reverse("catalog:detail", args=[row["id"]]), "hint": " · ".join(hint)})
    return out


menu_entries.register("catalog", MenuEntry(_("产品"), "catalog:list", icon="box-seam", module="products"), order=30)
search_providers.register("products", search_products, order=40)
