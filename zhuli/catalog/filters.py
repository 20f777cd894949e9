"""The product list's query parameters, shared by the web list, the export and the picker."""
from __future__ import annotations

from django.utils.translation import gettext as _

from zhuli.core.text import clean_text

from .models import ProductKind
from .selectors import ProductFilters
from .services import parse_money


def parse_product_filters(params) -> tuple[ProductFilters, str, dict, dict]:
    """(filters, sort, what was asked, errors by parameter); a bad parameter is left out and named."""
    errors, values, asked = {}, {}, {}
    q = clean_text(params.get("q"))[:100]
    if q:
        values["q"] = asked["q"] = q
    category = (params.get("category") or "").strip()
    if category:
        if category.isdigit() and len(category) <= 18:
            values["category"] = int(category)
            asked["category"] = category
        else:
            errors["category"] = _("必须是整数")
    kind = (params.get("kind") or "").strip()
    if kind:
        if kind in ProductKind.values:
            values["kind"] = asked["kind"] = kind
        else:
            errors["kind"] = _("产品类型只能是 service 或 physical")
    active = (params.get("active") or "").strip().lower()
    if active:
        if active in ("true", "1", "false", "0"):
            values["active"] = active in ("true", "1")
            asked["active"] = active
        else:
            errors["active"] = _("active 只能是 true 或 false")
    for name in ("price_min", "price_max"):
        value = (params.get(name) or "").strip()
        if value:
            bound = parse_money(value, errors, name)
            if bound is not None:
                values[name] = bound
                asked[name] = value
    sort = (params.get("sort") or "").strip()[:40]
    if sort:
        asked["sort"] = sort
    return ProductFilters(**values), sort, asked, errors
