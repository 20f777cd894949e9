"""Products (产品) and product categories over the API (DESIGN §5), plus their import and export."""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from zhuli.access.scoping import require
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Id, Out, PageParams, Ref, local, page_of, query_text, ref
from zhuli.core.errors import InvalidInput

from .models import Product
from .selectors import ProductFilters, category_tree, product_get, product_list, product_rows
from .services import parse_money, product_create, product_delete, product_update

router = Router(tags=["products"])
KindCode = Literal["service", "physical"]


def _not_bool(kind: str) -> BeforeValidator:
    """JSON true/false is no number (pydantic would read true as 1)."""
    def check(value):
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "booleans are not numbers")
        return value
    return BeforeValidator(check)


IdIn = Annotated[Id, _not_bool("int_type")]
# Checked by the services, so each bad value gets the same Chinese message everywhere.
MoneyIn = Annotated[str | int | float | None, _not_bool("decimal_type"),
                    Field(description="金额，≥ 0，最多两位小数，如 \"1200.50\"")]
RateIn = Annotated[str | int | float | None, _not_bool("decimal_type"),
                   Field(description="税率（%），0–100，最多两位小数，如 13")]


def money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


class ProductRow(Out):
    id: int
    code: str
    name: str
    specification: str
    kind: KindCode
    category: Ref | None
    unit: Ref | None
    list_price: str
    cost: str | None
    tax_rate: str
    is_active: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ProductList(Out):
    items: list[ProductRow]
    count: int


class ProductOut(ProductRow):
    description: str


def _row(r: dict) -> dict:
    return {
        "id": r["id"], "code": r["code"], "name": r["name"], "specification": r["specification"], "kind": r["kind"],
        "category": ref(r["category_id"], r["category__name"]), "unit": ref(r["unit_id"], r["unit__name"]),
        "list_price": money(r["list_price"]), "cost": money(r["cost"]), "tax_rate": money(r["tax_rate"]),
        "is_active": r["is_active"], "created_at": local(r["created_at"]), "updated_at": local(r["updated_at"]),
    }


def _detail(p: Product) -> dict:
    return {
        "id": p.pk, "code": p.code, "name": p.name, "specification": p.specification, "kind": p.kind,
        "category": ref(p.category_id, p.category.name if p.category_id else ""),
        "unit": ref(p.unit_id, p.unit.name if p.unit_id else ""), "list_price": money(p.list_price),
        "cost": money(p.cost), "tax_rate": money(p.tax_rate), "is_active": p.is_active,
        "created_at": local(p.created_at), "updated_at": local(p.updated_at), "description": p.description,
    }


class ProductQuery(PageParams):
    q: str = Field(default="", max_length=100, description="名称、编码、规格型号或其拼音 / 首字母")
    category: Id | None = Field(default=None, description="产品分类（含下级分类）")
    kind: KindCode | None = None
    active: bool | None = Field(default=None, description="true：只看启用的（明细选择产品时用）")
    price_min: str | None = Field(default=None, max_length=20, description="标准价格下限（含）")
    price_max: str | None = Field(default=None, max_length=20, description="标准价格上限（含）")


def filters_from(query) -> ProductFilters:
    errors: dict = {}
    price_min = parse_money(query.price_min, errors, "price_min")
    price_max = parse_money(query.price_max, errors, "price_max")
    if errors:
        raise InvalidInput(errors)
    return ProductFilters(q=query_text(query.q), category=query.category, kind=query.kind or "", active=query.active,
                          price_min=price_min, price_max=price_max)


@router.get("/products", response=responses(200, ProductList, 422))
def product_items(request, filters: Query[ProductQuery]):
    """The catalogue. `sort`: code (default), name, list_price, category, created_at, updated_at, id (prefix `-`
    for descending). Line pickers call `?q=&active=true`."""
    qs = product_list(actor=actor_of(request), filters=filters_from(filters), sort=filters.sort)
    return page_of(product_rows(qs), filters, _row, counted=qs)


@router.get("/products/{int:product_id}", response=responses(200, ProductOut, 404))
def product_detail(request, product_id: int):
    return _detail(product_get(actor=actor_of(request), product_id=product_id))


STRICT = ConfigDict(extra="forbid")


class ProductFields(BaseModel):
    model_config = STRICT

    specification: str | None = Field(default=None, max_length=2000)
    category_id: IdIn | None = Field(default=None, description="产品分类")
    unit_id: IdIn | None = Field(default=None, description="单位（字典 product_unit）")
    kind: KindCode | None = Field(default=None, description="service（服务，用于合同）或 physical（实物，用于订单）；默认 physical")
    list_price: MoneyIn = None
    cost: MoneyIn = None
    tax_rate: RateIn = None
    is_active: bool | None = None
    description: str | None = Field(default=None, max_length=20000)


class ProductIn(ProductFields):
    code: str = Field(max_length=2000, description="产品编码，公司内唯一")
    name: str = Field(max_length=2000)


class ProductPatch(ProductFields):
    code: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=2000)


def _payload(payload: BaseModel) -> dict:
    data = payload.model_dump(exclude_unset=True)
    return {k: ("" if v is None and k in ("specification", "description") else v) for k, v in data.items()}


def _fresh(actor, product: Product) -> dict:
    return _detail(product_get(actor=actor, product_id=product.pk))


@router.post("/products", response=responses(201, ProductOut, 403, 422))
def product_new(request, payload: ProductIn):
    """Needs `code` (unique in the company) and `name`."""
    actor = actor_of(request)
    return Status(201, _fresh(actor, product_create(actor=actor, data=_payload(payload))))


@router.patch("/products/{int:product_id}", response=responses(200, ProductOut, 403, 404, 422))
def product_edit(request, product_id: int, payload: ProductPatch):
    actor = actor_of(request)
    return _fresh(actor, product_update(actor=actor, product_id=product_id, data=_payload(payload)))


@router.delete("/products/{int:product_id}", response=responses(204, None, 403, 404, 409))
def product_remove(request, product_id: int):
    """Refused (409) while a quote, contract or order line uses the product: deactivate it instead."""
    product_delete(actor=actor_of(request), product_id=product_id)
    return Status(204, None)


class CategoryOut(Out):
    id: int
    name: str
    parent: Ref | None
    depth: int
    order: int
    path: str = Field(description="上级分类 id 组成的路径，如 /3/12/")


class CategoryList(Out):
    items: list[CategoryOut]
    count: int


@router.get("/product-categories", response=responses(200, CategoryList, 403), tags=["products"])
def category_items(request):
    """The whole category tree in display order (a parent before its children)."""
    actor = actor_of(request)
    require(actor, "products.view")
    tree = category_tree(actor=actor)
    names = {c.pk: c.name for c in tree}
    rows = [{"id": c.pk, "name": c.name, "parent": ref(c.parent_id, names.get(c.parent_id)), "depth": c.depth,
             "order": c.order, "path": c.path} for c in tree]
    return {"items": rows, "count": len(rows)}

