"""Writes of the product catalogue: products and the category tree (DESIGN §4 rule 3)."""
from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.audit.services import audit_record, diff
from zhuli.core import text
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.core.money import CENT, MoneyError, to_decimal
from zhuli.preferences.models import DictionaryItem, DictionaryKind

from .models import Product, ProductCategory, ProductKind

CODE_MAX, NAME_MAX, SPEC_MAX, DESCRIPTION_MAX, CATEGORY_NAME_MAX = 40, 200, 200, 5000, 60
CATEGORY_DEPTH_MAX = 6  # path is 500 characters; six levels of ids fit with room to spare
# The fields a product write accepts; anything else is ignored by the service (the API refuses it first).
FIELDS = ("code", "name", "specification", "category_id", "unit_id", "kind", "list_price", "cost", "tax_rate",
          "is_active", "description")
AUDITED = ("code", "name", "specification", "category_id", "unit_id", "kind", "list_price", "cost", "tax_rate",
           "is_active")


def product_search_text(product: Product) -> str:
    """name, code and specification, each with its pinyin and initials (zhuli.core.text.search_text)."""
    return text.search_text(product.name, product.code, product.specification)


def product_code_normalize(value) -> str:
    """The stored form of a product code: NFKC (Ｐ１ is P1) and stripped; case stays as typed."""
    return unicodedata.normalize("NFKC", text.clean_text(value)).strip()


# ---- field checks --------------------------------------------------------------------------------

def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_money(value, errors: dict, field: str, *, required: bool = False) -> Decimal | None:
    """A price ≥ 0 with at most two decimals; blank is 0 (or None when not required)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00") if required else None
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        errors[field] = _("金额过大") if exc.kind == "too_large" else _("金额应为数字，例如 1200 或 1200.50")
        return None
    if amount < 0:
        errors[field] = _("金额不能小于 0")
    elif amount != amount.quantize(CENT):
        errors[field] = _("金额最多两位小数")
    else:
        return amount.quantize(CENT)
    return None


def parse_rate(value, errors: dict, field: str = "tax_rate") -> Decimal | None:
    """A percentage 0–100 with at most two decimals ('13', '13%', 13.5)."""
    raw = value
    if isinstance(raw, str):
        raw = raw.strip().rstrip("%％").strip()
    if raw is None or raw == "":
        return Decimal("0.00")
    try:
        rate = to_decimal(raw)
    except MoneyError:
        rate = None
    if rate is None or not Decimal(0) <= rate <= Decimal(100):
        errors[field] = _("税率应为 0 到 100 之间的数字")
        return None
    if rate != rate.quantize(CENT):
        errors[field] = _("税率最多两位小数")
        return None
    return rate.quantize(CENT)


def parse_bool(value, errors: dict, field: str) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in ("1", "true", "yes", "on", "是", "启用", "y"):
        return True
    if word in ("0", "false", "no", "off", "否", "停用", "n", ""):
        return False
    errors[field] = _("只能填写 是 或 否")
    return None


def _category(actor: Actor, value, errors: dict, field: str = "category_id") -> ProductCategory | None:
    if value in (None, "", 0, "0"):
        return None
    pk = _int(value)
    category = visible(ProductCategory, actor).filter(pk=pk).first() if pk else None
    if category is None:
        errors[field] = _("产品分类不存在")
    return category


def _unit(actor: Actor, value, errors: dict, *, current: int | None) -> DictionaryItem | None:
    if value in (None, "", 0, "0"):
        return None
    pk = _int(value)
    item = visible(DictionaryItem, actor).filter(kind=DictionaryKind.PRODUCT_UNIT, pk=pk).first() if pk else None
    if item is None or (not item.is_active and pk != current):
        errors["unit_id"] = _("无效的单位")
    return item


def _clean(actor: Actor, data: dict, *, instance: Product | None) -> dict:
    """Checks the fields given (all required ones on create); raises InvalidInput naming every bad one."""
    errors: dict[str, str] = {}
    out: dict = {}
    creating = instance is None
    for name, limit, label in (("code", CODE_MAX, _("产品编码")), ("name", NAME_MAX, _("产品名称"))):
        if name in data or creating:
            value = (product_code_normalize if name == "code" else text.clean_text)(data.get(name))
            if not value:
                errors[name] = _("请填写%(label)s") % {"label": label}
            elif len(value) > limit:
                errors[name] = _("%(label)s最多 %(n)s 个字符") % {"label": label, "n": limit}
            out[name] = value
    if "specification" in data:
        spec = text.clean_text(data["specification"])
        if len(spec) > SPEC_MAX:
            errors["specification"] = _("规格型号最多 %(n)s 个字符") % {"n": SPEC_MAX}
        out["specification"] = spec
    if "description" in data:
        description = text.clean_text(data["description"])
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = _("产品说明最多 %(n)s 个字符") % {"n": DESCRIPTION_MAX}
        out["description"] = description
    if "kind" in data and data["kind"] not in (None, ""):
        if data["kind"] not in ProductKind.values:
            errors["kind"] = _("产品类型只能是 service（服务）或 physical（实物）")
        else:
            out["kind"] = data["kind"]
    if "list_price" in data:
        out["list_price"] = parse_money(data["list_price"], errors, "list_price", required=True)
    if "cost" in data:
        out["cost"] = parse_money(data["cost"], errors, "cost")
    if "tax_rate" in data:
        out["tax_rate"] = parse_rate(data["tax_rate"], errors)
    if "is_active" in data and data["is_active"] is not None:
        out["is_active"] = parse_bool(data["is_active"], errors, "is_active")
    if "category_id" in data:
        out["category"] = _category(actor, data["category_id"], errors)
    if "unit_id" in data:
        out["unit"] = _unit(actor, data["unit_id"], errors, current=getattr(instance, "unit_id", None))
    code = out.get("code")
    if code and "code" not in errors:
        taken = visible(Product, actor).filter(code=code)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors["code"] = _("产品编码“%(code)s”已被使用") % {"code": code}
    if errors:
        raise InvalidInput(errors)
    return out


def _snapshot(product: Product) -> dict:
    return {name: getattr(product, name) for name in AUDITED}


def _save(product: Product) -> None:
    product.search_text = product_search_text(product)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        # Two writers took the same code between the check and the insert.
        raise InvalidInput({"code": _("产品编码“%(code)s”已被使用") % {"code": product.code}}) from None


# ---- products ------------------------------------------------------------------------------------

@transaction.atomic
def product_create(*, actor: Actor, data: dict) -> Product:
    """A product needs a code unique in the company and a name; prices are ≥ 0 with two decimals."""
    require(actor, "products.create")
    fields = _clean(actor, data, instance=None)
    product = Product(created_by_id=actor.user_id, **fields)
    _save(product)
    audit_record(actor=actor, action="product.create", target=product,
                 changes={k: v for k, v in _snapshot(product).items() if v not in (None, "")})
    return product


@transaction.atomic
def product_update(*, actor: Actor, product_id, data: dict) -> Product:
    """Changes the fields given; the code stays unique in the company."""
    product = get_visible_or_404(Product, actor, product_id, queryset=visible(Product, actor).select_for_update())
    require(actor, "products.edit")
    before = _snapshot(product)
    for name, value in _clean(actor, data, instance=product).items():
        setattr(product, name, value)
    _save(product)
    changes = diff(before, _snapshot(product))
    if changes:
        audit_record(actor=actor, action="product.update", target=product, changes=changes)
    return product


@transaction.atomic
def product_set_active(*, actor: Actor, product_id, active: bool) -> Product:
    """启用 / 停用: an inactive product stays on old documents but is no longer offered on new lines."""
    product = get_visible_or_404(Product, actor, product_id)
    require(actor, "products.edit")
    if product.is_active != bool(active):
        visible(Product, actor).filter(pk=product.pk).update(is_active=bool(active))
        audit_record(actor=actor, action="product.update", target=product,
                     changes={"is_active": [product.is_active, bool(active)]})
        product.is_active = bool(active)
    return product


@transaction.atomic
def product_delete(*, actor: Actor, product_id) -> None:
    """Only a product no quote, contract or order line uses can be deleted (else: 停用 it)."""
    product = get_visible_or_404(Product, actor, product_id)
    require(actor, "products.delete")
    audit_record(actor=actor, action="product.delete", target=product,
                 changes={"code": product.code, "name": product.name})
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError:
        raise Conflict(_("该产品已用在报价单、合同或订单中，不能删除；可以停用它")) from None


# ---- categories ----------------------------------------------------------------------------------

def _set_path(category: ProductCategory) -> None:
    parent_path = category.parent.path if category.parent_id else "/"
    category.path = f"{parent_path}{category.pk}/"
    category.depth = parent_path.count("/") - 1


def _category_name(name) -> str:
    name = text.clean_text(name)
    if not name:
        raise InvalidInput({"name": _("请填写分类名称")})
    if len(name) > CATEGORY_NAME_MAX:
        raise InvalidInput({"name": _("分类名称最多 %(n)s 个字符") % {"n": CATEGORY_NAME_MAX}})
    return name


def _parent(actor: Actor, parent_id) -> ProductCategory | None:
    if parent_id in (None, "", 0, "0"):
        return None
    errors: dict = {}
    parent = _category(actor, parent_id, errors, "parent_id")
    if errors:
        raise InvalidInput(errors)
    if parent.depth + 1 >= CATEGORY_DEPTH_MAX:
        raise InvalidInput({"parent_id": _("分类最多 %(n)s 层") % {"n": CATEGORY_DEPTH_MAX}})
    return parent


def _sibling_taken(actor: Actor, name: str, parent: ProductCategory | None, exclude: int | None = None) -> bool:
    qs = visible(ProductCategory, actor).filter(name=name, parent=parent)
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


@transaction.atomic
def category_create(*, actor: Actor, name: str, parent_id=None, order: int = 0) -> ProductCategory:
    """A category under `parent_id` (or a root); sibling names are unique."""
    require(actor, "products.edit")
    name = _category_name(name)
    parent = _parent(actor, parent_id)
    if _sibling_taken(actor, name, parent):
        raise InvalidInput({"name": _("同一级下已有分类“%(name)s”") % {"name": name}})
    category = ProductCategory.objects.create(name=name, parent=parent, order=max(0, _int(order) or 0))
    _set_path(category)
    category.save(update_fields=["path", "depth"])
    audit_record(actor=actor, action="product_category.create", target=category, changes={"name": name})
    return category


@transaction.atomic
def category_update(*, actor: Actor, category_id, name: str | None = None, order: int | None = None
                    ) -> ProductCategory:
    """Renames a category (or changes its order among its siblings)."""
    category = get_visible_or_404(ProductCategory, actor, category_id)
    require(actor, "products.edit")
    before = {"name": category.name, "order": category.order}
    if name is not None:
        name = _category_name(name)
        if _sibling_taken(actor, name, category.parent, exclude=category.pk):
            raise InvalidInput({"name": _("同一级下已有分类“%(name)s”") % {"name": name}})
        category.name = name
    if order is not None:
        category.order = max(0, _int(order) or 0)
    category.save(update_fields=["name", "order"])
    changes = diff(before, {"name": category.name, "order": category.order})
    if changes:
        audit_record(actor=actor, action="product_category.update", target=category, changes=changes)
    return category


@transaction.atomic
def category_move(*, actor: Actor, category_id, parent_id) -> ProductCategory:
    """Moves a category (with its subtree) under another one or to the top; rewrites the subtree's paths."""
    category = get_visible_or_404(ProductCategory, actor, category_id)
    require(actor, "products.edit")
    parent = _parent(actor, parent_id)
    if parent is not None and parent.path.startswith(category.path):
        raise InvalidInput({"parent_id": _("不能把分类移到它自己或它的下级分类之下")})
    if _sibling_taken(actor, category.name, parent, exclude=category.pk):
        raise InvalidInput({"parent_id": _("目标分类下已有同名分类“%(name)s”") % {"name": category.name}})
    subtree = list(visible(ProductCategory, actor).filter(path__startswith=category.path).exclude(pk=category.pk))
    deepest = max([c.depth for c in subtree] + [category.depth]) - category.depth
    if (parent.depth + 1 if parent else 0) + deepest >= CATEGORY_DEPTH_MAX:
        raise InvalidInput({"parent_id": _("分类最多 %(n)s 层") % {"n": CATEGORY_DEPTH_MAX}})
    old_parent, old_path = category.parent_id, category.path
    category.parent = parent
    _set_path(category)
    category.save(update_fields=["parent", "path", "depth"])
    for child in subtree:
        child.path = category.path + child.path[len(old_path):]
        child.depth = child.path.count("/") - 2
    ProductCategory.objects.bulk_update(subtree, ["path", "depth"], batch_size=500)
    audit_record(actor=actor, action="product_category.move", target=category,
                 changes={"parent": [old_parent, category.parent_id]})
    return category


@transaction.atomic
def category_delete(*, actor: Actor, category_id) -> None:
    """Only an empty category (no sub-categories, no products) can be deleted."""
    category = get_visible_or_404(ProductCategory, actor, category_id)
    require(actor, "products.delete")
    if visible(ProductCategory, actor).filter(parent=category).exists():
        raise Conflict(_("请先删除或移走下级分类"))
    if visible(Product, actor).filter(category=category).exists():
        raise Conflict(_("该分类下还有产品，请先把产品移到其他分类"))
    audit_record(actor=actor, action="product_category.delete", target=category, changes={"name": category.name})
    category.delete()
