"""Products (产品) through the same importer and exporter as customers.

Duplicates are the same 产品编码 (in the company, or earlier in the file). A category is named by its path
(软件/实施 or 软件 > 实施) or by a name unique in the tree; missing ones are created under the importer's
rights, like picklist values. Prices and the tax rate go through the catalogue services, so the money checks
are the ones of every other path.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.access.scoping import require, visible
from zhuli.catalog.filters import parse_product_filters
from zhuli.catalog.models import Product, ProductKind
from zhuli.catalog.selectors import ProductFilters, category_tree, product_list
from zhuli.catalog.services import (
    CATEGORY_DEPTH_MAX,
    CATEGORY_NAME_MAX,
    category_create,
    parse_money,
    product_code_normalize,
    product_create,
    product_update,
)
from zhuli.core.errors import AppError, InvalidInput
from zhuli.core.money import MoneyError, to_decimal
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.services import dictionary_item_ensure

from .exports import MOMENT, ExportColumn, _choice, _ChoiceColumn, _text
from .resources import ImportField, ParsedRow
from .resources import _text as cell_text

F = ImportField
PRODUCT_FIELDS = [
    F("code", gettext_lazy("产品编码"), ("编码", "产品编号", "物料编码", "货号", "code", "sku"), "RJ-CRM-001", True),
    F("name", gettext_lazy("产品名称"), ("名称", "产品", "品名", "商品名称", "name", "product"), "CRM 软件标准版", True),
    F("specification", gettext_lazy("规格型号"), ("规格", "型号", "规格型号", "specification", "model"), "50 用户"),
    F("category", gettext_lazy("产品分类"), ("分类", "类别", "产品类别", "category"), "软件/CRM"),
    F("unit", gettext_lazy("单位"), ("计量单位", "unit"), "套"),
    F("kind", gettext_lazy("产品类型"), ("类型", "kind", "type"), gettext_lazy("服务")),
    F("list_price", gettext_lazy("标准价格"), ("价格", "单价", "售价", "标准售价", "price", "list price"), "19800.00"),
    F("cost", gettext_lazy("成本价"), ("成本", "进价", "cost"), "8000.00"),
    F("tax_rate", gettext_lazy("税率（%）"), ("税率", "tax rate"), "13"),
    F("is_active", gettext_lazy("启用"), ("状态", "是否启用", "active")),
    F("description", gettext_lazy("产品说明"), ("说明", "描述", "备注", "description")),
]
del F
KIND_WORDS = {
    "服务": ProductKind.SERVICE, "服务类": ProductKind.SERVICE, "软件服务": ProductKind.SERVICE, "service": ProductKind.SERVICE,
    "实物": ProductKind.PHYSICAL, "实物类": ProductKind.PHYSICAL, "商品": ProductKind.PHYSICAL, "硬件": ProductKind.PHYSICAL,
    "physical": ProductKind.PHYSICAL, "goods": ProductKind.PHYSICAL,
}
PATH_SEPARATORS = re.compile(r"\s*(?:/|>|＞|／|\\|-&gt;)\s*")
SERVICE_ERROR_FIELDS = {"category_id": "category", "unit_id": "unit"}


@dataclass
class ProductImportContext:
    actor: Actor
    mapping: dict[int, str]
    writes: bool
    existing: dict[str, dict]
    categories: dict[tuple[int | None, str], int]  # (parent id, name) → id
    names: dict[str, list[int]]  # name → ids anywhere in the tree
    dictionary_cache: dict = field(default_factory=dict)


class ProductResource:
    key = "products"
    label = gettext_lazy("产品")
    permission = "products.create"
    fields = PRODUCT_FIELDS
    field_map = {f.name: f for f in PRODUCT_FIELDS}
    service_error_fields = SERVICE_ERROR_FIELDS
    batch_inserts = False

    def auto_mapping(self, headers):
        from .resources import CustomerResource

        return CustomerResource.auto_mapping(self, headers)

    def check_mapping(self, mapping):
        from .resources import CustomerResource

        return CustomerResource.check_mapping(self, mapping)

    def begin(self, *, actor: Actor, owner, mapping, sheet, writes: bool) -> ProductImportContext:
        """The codes already taken and the category tree, read once."""
        require(actor, self.permission)
        col = next((i for i, n in mapping.items() if n == "code"), None)
        codes = {product_code_normalize(cells[col]) for _n, cells in sheet.rows
                 if col is not None and col < len(cells)} - {""}
        existing = {row["code"]: {"id": row["id"], "name": row["name"], "owner": ""}
                    for row in visible(Product, actor).filter(code__in=codes).values("id", "code", "name")}
        categories, names = {}, {}
        for c in category_tree(actor=actor):
            categories[(c.parent_id, c.name)] = c.pk
            names.setdefault(c.name, []).append(c.pk)
        return ProductImportContext(actor=actor, mapping=mapping, writes=writes, existing=existing,
                                    categories=categories, names=names)

    def parse(self, ctx: ProductImportContext, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        values = {name: cells[index] for index, name in ctx.mapping.items() if index < len(cells)}
        data = row.data
        for name, message in (("code", _("产品编码不能为空")), ("name", _("产品名称不能为空"))):
            data[name] = (product_code_normalize if name == "code" else cell_text)(values.get(name))
            if not data[name]:
                row.errors.append((name, message))
        for name in ("specification", "description"):
            if values.get(name) is not None:
                data[name] = cell_text(values[name])
        for name in ("list_price", "cost", "tax_rate"):
            value = values.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, float):
                value = _number(value)
            if name == "tax_rate":
                value = _percent_cell(value)
            data[name] = value if isinstance(value, int | Decimal) else cell_text(value)
        if "list_price" in data:
            errors: dict = {}
            parse_money(data["list_price"], errors, "list_price", required=True)
            row.errors += list(errors.items())
        kind = cell_text(values.get("kind"))
        if kind:
            code = KIND_WORDS.get(kind.casefold()) or KIND_WORDS.get(kind)
            if code is None:
                row.errors.append(("kind", _("产品类型只能填写 服务 或 实物")))
            else:
                data["kind"] = code
        active = values.get("is_active")
        if isinstance(active, bool):
            data["is_active"] = active
        elif cell_text(active):
            word = cell_text(active).casefold()
            if word in ("是", "启用", "有效", "正常", "在售", "yes", "y", "true", "1"):
                data["is_active"] = True
            elif word in ("否", "停用", "禁用", "无效", "停售", "no", "n", "false", "0"):
                data["is_active"] = False
            else:
                row.errors.append(("is_active", _("启用只能填写 是 或 否")))
        unit = cell_text(values.get("unit"))
        if unit:
            item = self._dictionary(ctx, DictionaryKind.PRODUCT_UNIT, unit)
            if item is not None:
                data["unit_id"] = item.pk
        category = cell_text(values.get("category"))
        if category and not row.errors:
            try:
                self._category(ctx, row, category)
            except AppError as exc:
                row.errors.append(("category", exc.message))
        row.name_key = data.get("code", "")
        return row

    def duplicate_of(self, ctx, row: ParsedRow) -> dict | None:
        return ctx.existing.get(row.data.get("code"))

    def remember(self, ctx, row: ParsedRow, product) -> dict:
        match = {"id": product.pk, "name": product.name, "owner": ""}
        ctx.existing.setdefault(row.data.get("code"), match)
        return match

    def prepare(self, ctx, row):
        return None  # one service call a row: the code check and the search keys stay in one place

    def insert(self, ctx, records):  # pragma: no cover - prepare never batches
        raise NotImplementedError

    def needs_savepoint(self, row) -> bool:
        # The categories a row creates go with it if its product is refused.
        return "new_category" in row.extra

    def create(self, ctx, row: ParsedRow, *, allow_duplicate: bool):
        if allow_duplicate:
            raise InvalidInput({"code": _("产品编码“%(code)s”已被使用，产品编码不能重复") % {"code": row.data["code"]}})
        created = self._create_categories(ctx, row)
        product = product_create(actor=ctx.actor, data=row.data)
        self._remember_categories(ctx, created)
        return product

    def update(self, ctx, match: dict, row: ParsedRow):
        """Fills in the cells the row has; the code (the match key) stays."""
        created = self._create_categories(ctx, row)
        data = {k: v for k, v in row.data.items() if k != "code" and v not in ("", None)}
        product = product_update(actor=ctx.actor, product_id=match["id"], data=data)
        self._remember_categories(ctx, created)
        return product

    def template(self) -> tuple[list[str], list[str]]:
        shown = [f for f in self.fields if f.example or f.required]
        return [str(f.label) for f in shown], [str(f.example) for f in shown]

    def _dictionary(self, ctx, kind, value):
        """Matched by code or label, else added (never a row error), as for customers."""
        key = (kind, value.casefold())
        if key not in ctx.dictionary_cache:
            ctx.dictionary_cache[key] = dictionary_item_ensure(actor=ctx.actor, kind=kind, value=value) \
                if ctx.writes else None
        return ctx.dictionary_cache[key]

    def _category(self, ctx, row: ParsedRow, value: str) -> None:
        """A path (软件/实施) walked from the top; a single name unique in the tree is that category wherever
        it sits. The whole path is checked here; the missing part is created only when the row is written."""
        parts = [p for p in PATH_SEPARATORS.split(value) if p]
        if len(parts) == 1 and len(ctx.names.get(parts[0], [])) == 1:
            row.data["category_id"] = ctx.names[parts[0]][0]
            return
        if len(parts) > CATEGORY_DEPTH_MAX:
            raise InvalidInput({"category": _("分类最多 %(n)s 层") % {"n": CATEGORY_DEPTH_MAX}})
        if any(len(part) > CATEGORY_NAME_MAX for part in parts):
            raise InvalidInput({"category": _("分类名称最多 %(n)s 个字符") % {"n": CATEGORY_NAME_MAX}})
        parent = None
        for index, part in enumerate(parts):
            found = ctx.categories.get((parent, part))
            if found is None:
                row.extra["new_category"] = (parent, parts[index:])
                return
            parent = found
        if parent:
            row.data["category_id"] = parent

    def _create_categories(self, ctx, row: ParsedRow) -> list:
        """The row's missing categories, in the row's savepoint; [((parent id, name), id)] for the context."""
        if "new_category" not in row.extra:
            return []
        parent, names = row.extra["new_category"]
        created = []
        for name in names:
            try:
                category = category_create(actor=ctx.actor, name=name, parent_id=parent)
            except InvalidInput as exc:
                raise InvalidInput({"category": exc.message}) from None  # its "name" is not 产品名称
            created.append(((parent, name), category.pk))
            parent = category.pk
        row.data["category_id"] = parent
        return created

    def _remember_categories(self, ctx, created: list) -> None:
        # Only once the row is saved: a refused row's savepoint takes its categories away again.
        for key, pk in created:
            ctx.categories[key] = pk
            ctx.names.setdefault(key[1], []).append(pk)


def _percent_cell(value):
    """A cell formatted as 13% holds 0.13, which the reader hands over as the text "0.13": a plain number
    between 0 and 1 is that fraction of 100. Written percentages ("13%") and anything else go on as typed."""
    try:
        rate = to_decimal(value)
    except MoneyError:
        return value
    return rate * 100 if 0 < rate < 1 else value


def _number(value: float):
    # A spreadsheet number like 1200.5 is 1200.50; 1.234 stays wrong and gets the service's message.
    if not math.isfinite(value) or abs(value) >= 1e15:
        return repr(value)
    return int(value) if value == int(value) else repr(value)


# ---- export ------------------------------------------------------------------------------------------

def _money(lookup):
    return lambda r: "" if r[lookup] is None else f"{r[lookup]:.2f}"


def product_filters(params) -> tuple[ProductFilters, str, dict]:
    """The list's query parameters (web and API names are the same), the sort, and what was asked."""
    filters, sort, asked, errors = parse_product_filters(params)
    if errors:
        raise InvalidInput(errors)
    return filters, sort, asked


class ProductExport:
    key = "products"
    label = gettext_lazy("产品")
    permission = "products.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        paths = {}
        for c in category_tree(actor=actor):
            paths[c.pk] = f"{paths[c.parent_id]}/{c.name}" if c.parent_id in paths else c.name
        t, L = _text, gettext_lazy
        columns = [
            t("code", L("产品编码")), t("name", L("产品名称")), t("specification", L("规格型号")),
            ExportColumn(L("产品分类"), ("category_id",), lambda r: paths.get(r["category_id"], "")),
            t("unit__name", L("单位")), _choice("kind", L("产品类型"), ProductKind.choices),
            ExportColumn(L("标准价格"), ("list_price",), _money("list_price")),
            ExportColumn(L("成本价"), ("cost",), _money("cost")),
            ExportColumn(L("税率（%）"), ("tax_rate",), _money("tax_rate")),
            ExportColumn(L("启用"), ("is_active",), lambda r: str(_("是") if r["is_active"] else _("否"))),
            t("description", L("产品说明")),
            ExportColumn(L("创建时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
        ]
        return [c.resolved() if isinstance(c, _ChoiceColumn) else c for c in columns]

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = product_filters(params)
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        return product_list(actor=actor, filters=filters, sort=sort).values("id", *lookups), asked
