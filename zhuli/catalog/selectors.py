"""Reads of the product catalogue, always through visible()."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.core import text
from zhuli.core.pagination import order_by_param

from .models import Product, ProductCategory, ProductKind

# API sort names → columns; `id` is always the tie-breaker.
SORTS = {
    "id": "id", "code": "code", "name": "name", "list_price": "list_price", "created_at": "created_at",
    "updated_at": "updated_at", "category": "category__path",
}
DEFAULT_SORT = "code"
# What a list row shows, joined once (DESIGN §7).
LIST_COLUMNS = (
    "id", "code", "name", "specification", "kind", "list_price", "cost", "tax_rate", "is_active", "category_id",
    "category__name", "unit_id", "unit__name", "created_at", "updated_at",
)
SUGGEST_LIMIT = 20


@dataclass
class ProductFilters:
    q: str = ""
    category: int | None = None  # the category and everything below it
    kind: str = ""
    active: bool | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None


def product_list(*, actor: Actor, filters: ProductFilters | None = None, sort: str | None = None) -> QuerySet:
    """The products matching the filters (q: name, code, specification or their pinyin / initials)."""
    f = filters or ProductFilters()
    qs = visible(Product, actor)
    needle = text.normalize_query(f.q)
    if needle:
        qs = qs.filter(search_text__contains=needle)
    if f.category:
        path = visible(ProductCategory, actor).filter(pk=f.category).values_list("path", flat=True).first()
        qs = qs.filter(category__path__startswith=path) if path else qs.none()
    if f.kind:
        qs = qs.filter(kind=f.kind) if f.kind in ProductKind.values else qs.none()
    if f.active is not None:
        qs = qs.filter(is_active=f.active)
    if f.price_min is not None:
        qs = qs.filter(list_price__gte=f.price_min)
    if f.price_max is not None:
        qs = qs.filter(list_price__lte=f.price_max)
    return qs.order_by(*order_by_param(sort, SORTS, DEFAULT_SORT))


def product_rows(qs: QuerySet) -> QuerySet:
    """Only the columns lists, pickers and exports show, as dicts, in one query."""
    return qs.values(*LIST_COLUMNS)


def product_get(*, actor: Actor, product_id) -> Product:
    qs = visible(Product, actor).select_related("category", "unit", "created_by")
    return get_visible_or_404(Product, actor, product_id, queryset=qs)


def product_suggest(*, actor: Actor, q: str = "", kind: str = "", limit: int = SUGGEST_LIMIT) -> list[dict]:
    """Active products for a line picker (报价 / 合同 / 订单), exact code matches first."""
    qs = product_list(actor=actor, filters=ProductFilters(q=q, kind=kind, active=True), sort="code")
    rows = list(product_rows(qs)[:limit])
    needle = text.normalize_query(q)
    return sorted(rows, key=lambda r: r["code"].casefold() != needle) if needle else rows


def category_tree(*, actor: Actor) -> list[ProductCategory]:
    """Every category in tree order (a parent before its children, siblings by order then name), each with
    `indent` for pickers; one query."""
    rows = list(visible(ProductCategory, actor).only("id", "name", "parent_id", "path", "depth", "order"))
    children: dict[int | None, list[ProductCategory]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    out: list[ProductCategory] = []

    def walk(parent_id):
        for c in sorted(children.get(parent_id, []), key=lambda c: (c.order, c.name, c.pk)):
            c.indent = "\u3000" * c.depth
            out.append(c)
            walk(c.pk)

    walk(None)
    return out


def category_product_counts(*, actor: Actor) -> dict[int, int]:
    """Products per category (directly in it), one grouped query."""
    return dict(visible(Product, actor).exclude(category=None).values_list("category_id")
                .annotate(n=Count("id")).values_list("category_id", "n"))


def category_get(*, actor: Actor, category_id) -> ProductCategory:
    return get_visible_or_404(ProductCategory, actor, category_id)

