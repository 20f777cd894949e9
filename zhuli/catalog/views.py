"""Product screens: the list with its category tree, create / edit, the product page, the categories page and
the line picker partial. Thin: parse, call one selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.scoping import require
from zhuli.core.errors import AppError
from zhuli.core.pagination import paginate
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices
from zhuli.web.errors import form_errors_from
from zhuli.web.links import query_with, url_or

from . import selectors, services
from .filters import parse_product_filters
from .forms import CategoryForm, ProductForm
from .models import ProductKind

COUNT_CAP = 10000
PAGE_SIZES = (20, 50, 100)
COLUMNS = [
    ("code", gettext_lazy("产品编码"), ""), ("name", gettext_lazy("产品名称"), ""), ("", gettext_lazy("规格型号"), ""),
    ("category", gettext_lazy("分类"), ""), ("", gettext_lazy("类型"), ""), ("", gettext_lazy("单位"), ""),
    ("list_price", gettext_lazy("标准价格"), "-"), ("", gettext_lazy("状态"), ""),
]
KIND_LABELS = dict(ProductKind.choices)


def _int(value: str | None, default: int) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else default


# ---- list ------------------------------------------------------------------------------------------

@require_GET
def product_list_view(request):
    actor = request.actor
    require(actor, "products.view")
    filters, sort, asked, errors = parse_product_filters(request.GET)
    if sort.lstrip("-") not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    qs = selectors.product_list(actor=actor, filters=filters, sort=sort)
    page_size = _int(request.GET.get("page_size"), PAGE_SIZES[0])
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    page = paginate(selectors.product_rows(qs), page=min(_int(request.GET.get("page"), 1), pages),
                    page_size=page_size, count=shown)
    for row in page.items:
        row["kind_label"] = KIND_LABELS.get(row["kind"], "")
    columns = []
    for key, label, first in COLUMNS:
        col = {"label": label, "url": "", "dir": ""}
        if key:
            if sort == key:
                col["dir"], target = "asc", f"-{key}"
            elif sort == f"-{key}":
                col["dir"], target = "desc", key
            else:
                target = f"{first}{key}"
            col["url"] = query_with(request, sort=target, page=None)
        columns.append(col)
    tree = selectors.category_tree(actor=actor)
    counts = selectors.category_product_counts(actor=actor)
    for c in tree:
        c.count = counts.get(c.pk, 0)
        c.url = query_with(request, category=c.pk, page=None)
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    export_base = url_or("imports:export_products", "/imports/export/products/")
    return render(request, "catalog/list.html", {
        "page_title": _("产品"), "page": page, "count_capped": count > COUNT_CAP, "columns": columns,
        "raw": request.GET, "filter_errors": list(errors.values()), "tree": tree,
        "category": filters.category, "all_url": query_with(request, category=None, page=None),
        "active_filters": len([k for k in asked if k not in ("q", "sort", "category")]),
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES],
        "page_size": page_size, "kinds": ProductKind.choices,
        "can_create": actor.can("products", "create"), "can_edit": actor.can("products", "edit"),
        "can_export": actor.can("products", "export"),
        "export_xlsx": f"{export_base}?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"{export_base}?{urlencode({**export_params, 'format': 'csv'})}",
        "import_url": url_or("imports:upload", "/imports/") + "?resource=products",
    })


# ---- create / edit ---------------------------------------------------------------------------------

def _form(request, data=None, *, instance=None):
    actor = request.actor
    units = dictionary_choices(actor=actor, kind=DictionaryKind.PRODUCT_UNIT, keep_id=getattr(instance, "unit_id", None))
    return ProductForm(data, categories=selectors.category_tree(actor=actor), units=units, instance=instance)


@require_http_methods(["GET", "POST"])
def product_create_view(request):
    actor = request.actor
    require(actor, "products.create")
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=actor, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("产品已创建"))
            return redirect("catalog:detail", pk=product.pk)
    return render(request, "catalog/form.html", {"page_title": _("新建产品"), "form": form})


@require_http_methods(["GET", "POST"])
def product_edit_view(request, pk: int):
    actor = request.actor
    product = selectors.product_get(actor=actor, product_id=pk)
    require(actor, "products.edit")
    form = _form(request, request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(actor=actor, product_id=product.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存"))
            return redirect("catalog:detail", pk=product.pk)
    return render(request, "catalog/form.html", {"page_title": _("编辑产品"), "form": form, "product": product})


@require_GET
def product_detail(request, pk: int):
    actor = request.actor
    product = selectors.product_get(actor=actor, product_id=pk)
    ancestors = []
    if product.category_id:
        tree = {c.pk: c for c in selectors.category_tree(actor=actor)}
        ancestors = [tree[int(i)] for i in product.category.path.strip("/").split("/") if int(i) in tree]
    return render(request, "catalog/detail.html", {
        "page_title": product.name, "product": product, "ancestors": ancestors,
        "kind_label": KIND_LABELS.get(product.kind, ""),
        "can_edit": actor.can("products", "edit"), "can_delete": actor.can("products", "delete"),
    })


def _act(request, pk: int, call, success: str):
    actor = request.actor
    product = selectors.product_get(actor=actor, product_id=pk)
    try:
        call(actor, product)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("catalog:detail", pk=product.pk)
    messages.success(request, success)
    return None


@require_POST
def product_delete_view(request, pk: int):
    refused = _act(request, pk, lambda actor, p: services.product_delete(actor=actor, product_id=p.pk),
                   _("产品已删除"))
    return refused or redirect("catalog:list")


@require_POST
def product_active_view(request, pk: int):
    active = request.POST.get("active") == "1"
    refused = _act(request, pk, lambda actor, p: services.product_set_active(actor=actor, product_id=p.pk,
                                                                           active=active),
                   _("产品已启用") if active else _("产品已停用"))
    return refused or redirect("catalog:detail", pk=pk)


# ---- the line picker -------------------------------------------------------------------------------

@require_GET
def product_picker(request):
    """`catalog:picker` (GET /products/picker/?q=&kind=service|physical): an htmx fragment of active products
    for quote / contract / order lines. Each row is a button carrying data-product-id, data-code, data-name,
    data-specification, data-unit, data-price and data-tax-rate; a page listens for `click` on
    `[data-zl-product-pick]` and fills its line."""
    actor = request.actor
    require(actor, "products.view")
    kind = request.GET.get("kind", "")
    rows = selectors.product_suggest(actor=actor, q=request.GET.get("q", "")[:100],
                                     kind=kind if kind in ProductKind.values else "")
    return render(request, "catalog/partials/picker.html", {"rows": rows, "q": request.GET.get("q", "")})


# ---- categories ------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def categories_view(request):
    """The category tree: add, rename, move, delete empty ones (needs products.edit / products.delete)."""
    actor = request.actor
    require(actor, "products.view")
    tree = selectors.category_tree(actor=actor)
    form = CategoryForm(categories=tree)
    if request.method == "POST":
        action = request.POST.get("action", "")
        category_id = request.POST.get("category_id")
        try:
            if action == "create":
                form = CategoryForm(request.POST, categories=tree)
                if form.is_valid():
                    services.category_create(actor=actor, name=form.cleaned_data["name"],
                                             parent_id=form.cleaned_data.get("parent_id") or None)
                    messages.success(request, _("分类已添加"))
                    return redirect("catalog:categories")
            else:
                if action == "rename":
                    services.category_update(actor=actor, category_id=category_id,
                                             name=request.POST.get("name", "")[:200])
                elif action == "move":
                    services.category_move(actor=actor, category_id=category_id,
                                           parent_id=request.POST.get("parent_id") or None)
                elif action == "delete":
                    services.category_delete(actor=actor, category_id=category_id)
                else:
                    return redirect("catalog:categories")
                messages.success(request, _("已保存"))
                return redirect("catalog:categories")
        except AppError as exc:
            if exc.status in (403, 404):
                raise
            if action == "create":
                form_errors_from(exc, form)
            else:
                messages.error(request, exc.message)
                return redirect("catalog:categories")
    counts = selectors.category_product_counts(actor=actor)
    for c in tree:
        c.count = counts.get(c.pk, 0)
    return render(request, "catalog/categories.html", {
        "page_title": _("产品分类"), "tree": tree, "form": form,
        "can_edit": actor.can("products", "edit"), "can_delete": actor.can("products", "delete"),
    })
