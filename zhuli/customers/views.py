"""Customer screens: the list, create / edit, the customer view and its contacts partials.

Thin: parse input, call one selector or service, render. AppErrors not handled here (NotFound,
Forbidden) are answered by zhuli.web.errors' middleware.
"""
from __future__ import annotations

import datetime
import re

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import Scope
from zhuli.access.scoping import require, visible
from zhuli.accounts.models import Department, User
from zhuli.core import text
from zhuli.core.errors import AppError
from zhuli.core.pagination import paginate
from zhuli.core.registry import customer_sections, feature_on
from zhuli.preferences.selectors import dictionary_list
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from
from zhuli.web.links import query_with, url_or

from . import selectors
from .duplicates import duplicates_find
from .forms import (
    AssignForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    PoolFilterForm,
    ReleaseForm,
    TransferForm,
    region_choices,
)
from .models import Customer, CustomerKind
from .services import (
    DuplicateCustomer,
    contact_create,
    contact_delete,
    contact_update,
    customer_assign,
    customer_cap_set,
    customer_claim,
    customer_create,
    customer_kinds_in_use,
    customer_record_view,
    customer_release,
    customer_transfer,
    customer_update,
    may_assign,
    may_claim,
    may_override_duplicates,
    may_release,
    pool_create,
    pool_delete,
    pool_rule_clear,
    pool_rule_save,
    pool_update,
)

COUNT_CAP = 10000  # an exact COUNT(*) over a big tenant is slow (DESIGN §7): show "10000+"
PAGE_SIZES = (20, 50, 100)
# (sort name, label, direction of the first click)
COLUMNS = [
    ("name", gettext_lazy("客户名称"), ""),
    ("", gettext_lazy("负责人"), ""),
    ("", gettext_lazy("状态"), ""),
    ("", gettext_lazy("等级"), ""),
    ("", gettext_lazy("地区"), ""),
    ("last_followup_at", gettext_lazy("最近跟进"), "-"),
    ("next_followup_at", gettext_lazy("下次跟进"), ""),
    ("created_at", gettext_lazy("创建时间"), "-"),
]
WIDE_ONLY = {"created_at": "d-none d-xxl-table-cell"}  # columns dropped on narrower screens
FILTER_DICTS = [("status", gettext_lazy("客户状态")), ("level", gettext_lazy("客户等级")),
                ("source", gettext_lazy("客户来源")), ("industry", gettext_lazy("行业"))]
# Labels of owner-log kinds (past events: "Claimed"), with a context of their own so the same Chinese words
# on buttons (领取 = "Claim", 分配 = "Assign") translate as actions.
OWNER_CHANGE_KINDS = {
    "transfer": pgettext_lazy("owner change", "转移"), "claim": pgettext_lazy("owner change", "领取"),
    "assign": pgettext_lazy("owner change", "分配"), "release": pgettext_lazy("owner change", "放入公海"),
    "auto_return": pgettext_lazy("owner change", "自动回收"),
}


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Start of `day` and of the next day in the active (the tenant's) zone."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def next_state(value, today_start, tomorrow_start) -> str:
    if value is None:
        return ""
    if value < today_start:
        return "overdue"
    return "today" if value < tomorrow_start else ""


# ---- list ----------------------------------------------------------------------------------------

def _filter_options(actor, values: dict) -> dict:
    """Pickers from the dictionaries, the users and the regions tables — never DISTINCT over customers."""
    scope = actor.grant("customers").scope
    owner_ids = actor.owner_ids(scope)
    users = list(visible(User, actor).only("id", "name", "is_active", "department_id", "role")
                 .order_by("-is_active", "name", "id"))
    dictionaries: dict[str, list] = {}
    for item in dictionary_list(actor=actor).filter(kind__in=[k for k, _label in FILTER_DICTS]):
        dictionaries.setdefault(item.kind, []).append(item)
    departments = []
    if scope != Scope.OWN:
        departments = list(visible(Department, actor).only("id", "name", "depth", "path").order_by("path"))
        for d in departments:
            d.indent = "\u3000" * d.depth
    province = values.get("province", "")
    return {
        "owners": [u for u in users if owner_ids is None or u.pk in owner_ids],
        "colleagues": [u for u in users if u.is_active],
        "departments": departments,
        "filter_dicts": [
            {"name": name, "label": label, "items": dictionaries.get(name, []), "value": str(values.get(name, ""))}
            for name, label in FILTER_DICTS
        ],
        "provinces": region_choices(None, 1),
        "cities": region_choices(province, 2) if province else [],
        "kinds": CustomerKind.choices,
    }


@require_GET
def customer_list(request):
    actor = request.actor
    require(actor, "customers.view")
    form = CustomerFilterForm(request.GET)
    values = form.values()
    sort = values.get("sort") or selectors.DEFAULT_SORT
    if sort.lstrip("-") not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    qs = selectors.customer_list(actor=actor, filters=form.filters(), sort=sort)
    page_size = values.get("page_size") if values.get("page_size") in PAGE_SIZES else PAGE_SIZES[0]
    # One capped count; the page number is clamped so a stale link lands on the last page.
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    page = paginate(selectors.customer_list_rows(qs), page=min(values.get("page") or 1, pages),
                    page_size=page_size, count=shown)
    today_start, tomorrow_start = day_bounds(timezone.localdate())
    for row in page.items:
        row.next_state = next_state(row.next_followup_at, today_start, tomorrow_start)
    columns = []
    for key, label, first in COLUMNS:
        col = {"label": label, "key": key, "url": "", "dir": "", "css": WIDE_ONLY.get(key, "")}
        if key:
            if sort == key:
                col["dir"], target = "asc", f"-{key}"
            elif sort == f"-{key}":
                col["dir"], target = "desc", key
            else:
                target = f"{first}{key}"
            col["url"] = query_with(request, sort=target, page=None)
        columns.append(col)
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    export_base = url_or("imports:export_customers", "/imports/export/customers/")
    context = {
        "page_title": _("客户"),
        "page": page,
        "count_capped": count > COUNT_CAP,
        "columns": columns,
        "values": values,
        "raw": request.GET,
        "sort": sort,
        "active_filters": form.active_count(),
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES],
        "page_size": page_size,
        "can_create": actor.can("customers", "create"),
        "can_transfer": actor.can("customers", "transfer"),
        # Bulk 放入公海 is for owners (their own customers) and those who may transfer.
        "can_bulk": actor.can("customers", "transfer") or actor.can("customers", "create"),
        "can_export": actor.can("customers", "export"),
        "export_xlsx": f"{export_base}?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"{export_base}?{urlencode({**export_params, 'format': 'csv'})}",
        "import_url": url_or("imports:upload", "/imports/"),
        "full_path": request.get_full_path(),
        **_filter_options(actor, values),
    }
    return render(request, "customers/list.html", context)


@require_POST
def customer_transfer_view(request):
    """Bulk (from the list) or single (from the customer view) owner change."""
    actor = request.actor
    require(actor, "customers.transfer")
    users = visible(User, actor).filter(is_active=True).only("id", "name", "is_active").order_by("name", "id")
    form = TransferForm(request.POST, users=users)
    back = _safe_next(request, reverse("customers:list"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        moved = customer_transfer(actor=actor, customer_ids=form.cleaned_data["customer_ids"],
                                  to_user_id=int(form.cleaned_data["to_user_id"]), reason=form.cleaned_data["reason"])
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        to = next(u for u in users if u.pk == int(form.cleaned_data["to_user_id"]))
        messages.success(request, _("已将 %(n)s 个客户转给 %(name)s") % {"n": moved, "name": to.display_name})
    return redirect(back)


# ---- create / edit ---------------------------------------------------------------------------------

def _warn_duplicates(request, warnings: list[dict]) -> None:
    if not warnings:
        return
    names = "、".join(
        _("%(name)s（负责人：%(owner)s）") % {"name": w["name"], "owner": (w.get("owner") or {}).get("name") or _("公海")}
        for w in warnings
    )
    messages.warning(request, _("已保存。疑似重复：%(names)s") % {"names": names})


def _form_page(request, form, *, customer=None, duplicate=None):
    actor = request.actor
    kind_label = dict(CustomerKind.choices).get(form.kind)
    title = (_("编辑客户") if customer else _("新建%(kind)s") % {"kind": kind_label})
    return render(request, "customers/form.html", {
        "page_title": title, "form": form, "customer": customer, "kind": form.kind, "kind_label": kind_label,
        "duplicate": duplicate, "can_override": may_override_duplicates(actor),
        "other_kind": None if customer or len(customer_kinds_in_use(actor.tenant)) < 2
        else [k for k in CustomerKind.values if k != form.kind][0],
    })


@require_http_methods(["GET", "POST"])
def customer_create_view(request):
    actor = request.actor
    require(actor, "customers.create")
    kind = request.POST.get("kind") or request.GET.get("kind")
    kinds = customer_kinds_in_use(actor.tenant)
    if kind not in kinds:
        # A company using one kind never sees the choice (first-run setup: 客户类型).
        if len(kinds) == 1:
            kind = kinds[0]
        else:
            return render(request, "customers/kind_choice.html", {"page_title": _("新建客户")})
    owners = None
    if actor.can("customers", "transfer"):
        owners = list(visible(User, actor).filter(is_active=True).only("id", "name", "is_active").order_by("name"))
    initial = {"owner_id": str(actor.user_id or "")}
    if request.GET.get("name"):
        initial["name"] = request.GET["name"][:200]
    form = CustomerForm(request.POST or None, actor=actor, kind=kind, owners=owners, initial=initial)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        result, duplicate = _save(request, form, lambda data, allow: customer_create(
            actor=actor, data=data, allow_duplicate=allow), _("客户已创建"))
        if result is not None:
            return redirect("customers:detail", pk=result.customer.pk)
    return _form_page(request, form, duplicate=duplicate)


def _save(request, form, save, success: str):
    """Runs the create or update service with the form's data: (result, None) when saved, else
    (None, the blocking duplicate report or None) with the errors put on the form."""
    actor = request.actor
    allow = bool(form.cleaned_data.get("allow_duplicate")) and may_override_duplicates(actor)
    try:
        result = save(form.service_data(), allow)
    except DuplicateCustomer as exc:
        form.add_error("name", exc.message)
        return None, exc.report
    except AppError as exc:
        form_errors_from(exc, form)
        return None, None
    messages.success(request, success)
    _warn_duplicates(request, result.warnings)
    return result, None


@require_http_methods(["GET", "POST"])
def customer_edit_view(request, pk: int):
    actor = request.actor
    customer = selectors.customer_get(actor=actor, customer_id=pk)
    require(actor, "customers.edit")
    form = CustomerForm(request.POST or None, actor=actor, kind=customer.kind, instance=customer)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        result, duplicate = _save(request, form, lambda data, allow: customer_update(
            actor=actor, customer_id=customer.pk, data={k: v for k, v in data.items() if k != "kind"},
            allow_duplicate=allow), _("已保存"))
        if result is not None:
            return redirect("customers:detail", pk=customer.pk)
    return _form_page(request, form, customer=customer, duplicate=duplicate)


@require_GET
def duplicate_check(request):
    """Live 查重 while typing: names the existing record and its owner, links only visible ones."""
    actor = request.actor
    name = request.GET.get("name", "")[:200]
    credit_code = request.GET.get("credit_code", "")[:30]
    if len(text.name_key(name)) < 2 and len(credit_code) < 18:
        return HttpResponse("")
    exclude = request.GET.get("exclude", "")
    exclude = int(exclude) if exclude.isdigit() and len(exclude) <= 18 else None
    report = duplicates_find(
        actor=actor, name=name, credit_code=credit_code,
        phones=[request.GET.get("phone", "")[:60], request.GET.get("mobile", "")[:60]],
        website=request.GET.get("website", "")[:200], exclude_id=exclude,
    )
    return render(request, "customers/partials/duplicates.html", {"report": report, "live": True})


@require_GET
def region_options(request):
    """`<option>`s of the region picker below the one that changed (htmx)."""
    try:
        level = min(3, max(2, int(request.GET.get("level", 2))))
    except ValueError:
        level = 2
    keys = ("parent", "province", "province_id") if level == 2 else ("parent", "city", "city_id")
    parent = next((request.GET[k] for k in keys if request.GET.get(k)), "")
    options = region_choices(parent[:12], level) if parent.isdigit() else []
    return render(request, "customers/partials/region_options.html", {"options": options})


@require_GET
def customer_options(request):
    """`<option>`s of the customer picker for a typed name, pinyin or phone (the forms' search box fetches them)."""
    actor = request.actor
    require(actor, "customers.view")
    q = request.GET.get("q", "")[:50]
    options = selectors.customer_pick(actor=actor, q=q) if q.strip() else []
    return render(request, "customers/partials/customer_options.html", {"options": options, "q": q})


# ---- the customer view ---------------------------------------------------------------------------

@require_GET
def customer_detail(request, pk: int):
    """One screen for 80% of the work: profile, then every registered section (contacts, timeline…)."""
    actor = request.actor
    customer = selectors.customer_get(actor=actor, customer_id=pk)
    customer_record_view(actor=actor, customer=customer)
    sections = []
    for entry in customer_sections.items():
        if not feature_on(actor.tenant, entry.value.feature):
            continue
        html = entry.value.render(request, customer)
        if html:
            sections.append({"key": entry.key, "title": entry.value.title, "html": html})
    can_transfer = actor.can("customers", "transfer")
    rows = profile_rows(customer)
    colleagues = []
    if can_transfer:
        colleagues = list(visible(User, actor).filter(is_active=True).exclude(pk=customer.owner_id or 0)
                          .only("id", "name", "is_active").order_by("name", "id"))
    can_assign = may_assign(actor, customer)
    return render(request, "customers/detail.html", {
        "can_claim": may_claim(actor, customer), "can_assign": can_assign, "can_release": may_release(actor, customer),
        "pools": selectors.pool_list(actor=actor) if customer.owner_id else [],
        "assignees": _assignable_users(actor) if can_assign else [],
        "page_title": customer.name,
        "customer": customer,
        "profile_rows": [r for r in rows if r[2] == "tel"],
        "profile_more": [r for r in rows if r[2] != "tel"],
        "next_state": next_state(customer.next_followup_at, *day_bounds(timezone.localdate())),
        "sections": sections,
        "can_edit": actor.can("customers", "edit"),
        "can_transfer": can_transfer,
        "colleagues": colleagues,
    })


def _website_href(value: str) -> str:
    # Anything that is not http(s) becomes a plain http:// link, so no javascript: URL reaches an href.
    return value if re.match(r"^https?://", value, re.I) else f"http://{value}"


def profile_rows(customer) -> list[tuple]:
    """(label, value, how to show it) for the non-empty fields of the customer's kind."""
    c = customer
    region = " ".join(dict.fromkeys(r.name for r in (c.province, c.city, c.district) if r))
    rows = [(_("客户编号"), c.number, "")]
    if c.is_enterprise:
        rows += [
            (_("简称"), c.short_name, ""), (_("电话"), c.phone, "tel"),
            (_("网址"), (c.website, _website_href(c.website)) if c.website else "", "url"),
            (_("行业"), getattr(c.industry, "name", ""), ""), (_("人员规模"), getattr(c.staff_size, "name", ""), ""),
            (_("统一社会信用代码"), c.credit_code, ""), (_("法定代表人"), c.legal_representative, ""),
        ]
    else:
        rows += [
            (_("性别"), c.get_gender_display() if c.gender else "", ""), (_("手机"), c.mobile, "tel"),
            (_("电话"), c.phone, "tel"), (_("生日"), c.birthday.isoformat() if c.birthday else "", ""),
            (_("邮箱"), c.email, ""), (_("微信"), c.wechat, ""),
        ]
    rows += [
        (_("客户状态"), getattr(c.status, "name", ""), ""), (_("客户等级"), getattr(c.level, "name", ""), ""),
        (_("客户来源"), getattr(c.source, "name", ""), ""), (_("客户分类"), getattr(c.customer_type, "name", ""), ""),
        (_("地区"), region, ""), (_("地址"), c.address, ""), (_("英文名称"), c.english_name, ""),
        (_("外部编码"), c.external_code, ""), (_("生命周期"), c.get_lifecycle_display(), ""),
        (_("首次签约日期"), c.first_signed_on.isoformat() if c.first_signed_on else "", ""),
        (_("公司简介"), c.introduction if c.is_enterprise else "", "long"), (_("备注"), c.remarks, "long"),
        (_("发票抬头"), c.invoice_title, ""), (_("纳税人识别号"), c.invoice_tax_number, ""),
        (_("开户银行"), " ".join(x for x in (c.invoice_bank, c.invoice_account) if x), ""),
        (_("开票地址、电话"), " ".join(x for x in (c.invoice_address, c.invoice_phone) if x), ""),
    ]
    return [row for row in rows if row[1]]


def followup_dates_html(request, customer, *, oob: bool = False) -> str:
    """The 最近跟进 / 下次跟进 figures; activities re-renders them out-of-band after a change."""
    today_start, tomorrow_start = day_bounds(timezone.localdate())
    return render_to_string("customers/partials/followup_dates.html", {
        "customer": customer, "oob": oob,
        "next_state": next_state(customer.next_followup_at, today_start, tomorrow_start),
    }, request=request)


# ---- sections this app registers (see extensions.py) ------------------------------------------------

def contacts_section(request, customer, *, form=None, editing: int | None = None) -> str:
    actor = request.actor
    contacts = list(selectors.contact_list(actor=actor, customer_id=customer.pk))
    return render_to_string("customers/partials/contacts.html", {
        "customer": customer, "contacts": contacts, "form": form, "editing": editing,
        "can_edit": actor.can("customers", "edit"),
    }, request=request)


# ---- contacts (htmx partials; every answer is the whole contacts section) --------------------------

def _section_response(request, customer, **kw) -> HttpResponse:
    if not request.htmx:
        return redirect("customers:detail", pk=customer.pk)
    return HttpResponse(contacts_section(request, customer, **kw))


@require_GET
def contacts_view(request, pk: int):
    customer = selectors.customer_get(actor=request.actor, customer_id=pk)
    return _section_response(request, customer)


@require_http_methods(["GET", "POST"])
def contact_create_view(request, pk: int):
    actor = request.actor
    customer = selectors.customer_get(actor=actor, customer_id=pk)
    require(actor, "customers.edit")
    form = ContactForm(request.POST or None, prefix="contact")
    if request.method == "POST" and form.is_valid():
        try:
            contact_create(actor=actor, customer_id=customer.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            return _section_response(request, customer)
    return _section_response(request, customer, form=form, editing=0)


@require_http_methods(["GET", "POST"])
def contact_edit_view(request, pk: int):
    actor = request.actor
    contact = _contact_or_404(actor, pk)
    customer = selectors.customer_get(actor=actor, customer_id=contact.customer_id)
    require(actor, "customers.edit")
    form = ContactForm(request.POST or None, instance=contact, prefix="contact")
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(actor=actor, contact_id=contact.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            return _section_response(request, customer)
    return _section_response(request, customer, form=form, editing=contact.pk)


@require_POST
def contact_delete_view(request, pk: int):
    actor = request.actor
    contact = _contact_or_404(actor, pk)
    customer = selectors.customer_get(actor=actor, customer_id=contact.customer_id)
    contact_delete(actor=actor, contact_id=contact.pk)
    return _section_response(request, customer)


def _contact_or_404(actor, pk: int):
    from zhuli.access.scoping import get_visible_or_404

    from .models import Contact

    return get_visible_or_404(Contact, actor, pk)


# ---- the pool (公海) ----------------------------------------------------------------------------------

POOL_SORTS = ("-pooled_at", "pooled_at", "name", "-id")
POOL_ENTRY_LABELS = {"release": gettext_lazy("放入公海"), "auto_return": gettext_lazy("自动回收")}


def _assignable_users(actor):
    """Active colleagues within the actor's customer scope: whom a manager may give pool customers to."""
    owner_ids = actor.owner_ids(actor.grant("customers").scope)
    users = visible(User, actor).filter(is_active=True).only("id", "name", "is_active").order_by("name", "id")
    return [u for u in users if owner_ids is None or u.pk in owner_ids]


def _pool_row(actor, row, member_ids) -> None:
    row.claimable = actor.can("customers", "create") and actor.user_id is not None and row.pool_id in member_ids
    row.entry_label = POOL_ENTRY_LABELS.get(row.pool_entry_kind or "", "")


@require_GET
def pool_page(request):
    """公海: the pool customers the actor sees, newest in the pool first, to claim or (managers) assign."""
    actor = request.actor
    require(actor, "customers.view")
    form = PoolFilterForm(request.GET)
    values = form.values()
    sort = values.get("sort") if values.get("sort") in POOL_SORTS else POOL_SORTS[0]
    qs = selectors.customer_list(actor=actor, filters=form.filters(), sort=sort)
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + PAGE_SIZES[0] - 1) // PAGE_SIZES[0])
    page = paginate(selectors.pool_customer_rows(qs), page=min(values.get("page") or 1, pages),
                    page_size=PAGE_SIZES[0], count=shown)
    member_ids = selectors.pool_ids_member(actor)
    for row in page.items:
        _pool_row(actor, row, member_ids)
    can_assign = actor.can("customers", "transfer")
    levels = [i for i in dictionary_list(actor=actor).filter(kind="level") if i.is_active]
    return render(request, "customers/pool.html", {
        "page_title": _("公海"),
        "page": page, "count_capped": count > COUNT_CAP, "raw": request.GET, "values": values, "sort": sort,
        "pools": selectors.pool_list(actor=actor), "levels": levels,
        "sorts": [("-pooled_at", _("最近进入公海")), ("pooled_at", _("最早进入公海")), ("name", _("名称"))],
        "can_assign": can_assign, "assignees": _assignable_users(actor) if can_assign else [],
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "full_path": request.get_full_path(),
    })


@require_POST
def customer_claim_view(request, pk: int):
    """领取 (htmx from the pool page: the row comes back as claimed; refusals come back as a toast)."""
    actor = request.actor
    customer = customer_claim(actor=actor, customer_id=pk)
    message = _("已领取“%(name)s”，现在由您负责") % {"name": customer.name}
    if request.htmx:
        return render(request, "customers/partials/pool_claimed_row.html", {"c": customer, "message": message})
    messages.success(request, message)
    return redirect("customers:detail", pk=customer.pk)


def _form_messages(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
def customer_assign_view(request):
    """分配 one or several pool customers to a colleague (from the pool page or the customer view)."""
    actor = request.actor
    require(actor, "customers.transfer")
    form = AssignForm(request.POST)
    back = _safe_next(request, reverse("customers:pool"))
    if not form.is_valid():
        _form_messages(request, form)
        return redirect(back)
    moved = customer_assign(actor=actor, customer_ids=form.cleaned_data["customer_ids"],
                            owner_id=form.cleaned_data["owner_id"], reason=form.cleaned_data["reason"])
    owner = moved[0].owner
    messages.success(request, _("已将 %(n)s 个客户分配给 %(name)s") % {"n": len(moved), "name": owner.display_name})
    return redirect(back)


@require_POST
def customer_release_view(request):
    """放入公海 with a reason (the customer list's bulk action, or the customer view's dialog)."""
    actor = request.actor
    form = ReleaseForm(request.POST)
    back = _safe_next(request, reverse("customers:list"))
    if not form.is_valid():
        _form_messages(request, form)
        return redirect(back)
    moved = customer_release(actor=actor, customer_ids=form.cleaned_data["customer_ids"],
                             reason=form.cleaned_data["reason"], pool_id=form.cleaned_data.get("pool_id"))
    messages.success(request, _("已将 %(n)s 个客户放入公海“%(pool)s”") % {"n": len(moved), "pool": moved[0].pool.name})
    # Released into a pool the actor is no member of, the customer view would now be a 404.
    if (len(moved) == 1 and back == reverse("customers:detail", args=[moved[0].pk])
            and not visible(Customer, actor).filter(pk=moved[0].pk).exists()):
        return redirect("customers:list")
    return redirect(back)


def pool_history_section(request, customer) -> str:
    """The pool / owner-history section: which pool, since when, and every owner change with kind and reason."""
    rows = list(selectors.owner_changes(actor=request.actor, customer_id=customer.pk)[:50])
    for row in rows:
        row.kind_label = OWNER_CHANGE_KINDS.get(row.kind, row.kind)
    return render_to_string("customers/partials/owner_history.html", {
        "rows": rows, "customer": customer, "pool": customer.pool,
    }, request=request)


# ---- pool settings (设置 › 公海; company admins) -----------------------------------------------------------

def _pool_settings_url(anchor: str = "") -> str:
    return reverse("customers:settings_pools") + (f"#{anchor}" if anchor else "")


def _error_messages(request, exc: AppError) -> None:
    errors = getattr(exc, "errors", None) or {"__all__": [exc.message]}
    for field_errors in errors.values():
        for error in field_errors:
            messages.error(request, error)


def _int_list(values) -> list[str]:
    return [v for v in values if v.isdigit() and len(v) <= 18]


@admin_required
@require_GET
def pool_settings(request):
    from zhuli.access.roles import Role

    actor = request.actor
    pools = selectors.pool_settings_list(actor=actor)
    levels = list(dictionary_list(actor=actor).filter(kind="level"))
    for pool in pools:
        pool.member_ids = {m.department_id for m in pool.members.all()}
        by_level = {r.level_id: r for r in pool.rules.all()}
        pool.general = by_level.get(None)
        pool.level_rows = []
        for level in levels:
            rule = by_level.get(level.pk)
            mode = "inherit" if rule is None else ("exempt" if rule.no_followup_days is None
                                                    and rule.no_deal_days is None else "custom")
            if level.is_active or rule is not None:
                pool.level_rows.append({"level": level, "rule": rule, "mode": mode})
    departments = list(visible(Department, actor).only("id", "name", "depth", "path").order_by("path"))
    for d in departments:
        d.indent = "\u3000" * d.depth
    caps = selectors.customer_caps(actor=actor)
    role_caps = {c.role: c.limit for c in caps if c.user_id is None}
    return render(request, "customers/pool_settings.html", {
        "page_title": _("公海设置"), "pools": pools, "departments": departments,
        "roles": [(value, label, role_caps.get(value)) for value, label in Role.choices],
        "user_caps": [c for c in caps if c.user_id is not None],
        "users": list(visible(User, actor).filter(is_active=True).only("id", "name", "is_active").order_by("name", "id")),
    })


@admin_required
@require_POST
def pool_settings_save(request, pool_id: int | None = None):
    """Creates a pool (no id) or saves one's name, member departments and warn days."""
    actor = request.actor
    data = {"name": request.POST.get("name", ""), "warn_days": request.POST.get("warn_days", "3"),
            "department_ids": _int_list(request.POST.getlist("department_ids"))}
    if len(data["department_ids"]) != len(request.POST.getlist("department_ids")):
        data["department_ids"].append("-1")  # a malformed id is named by the service, not dropped
    try:
        pool = (pool_update(actor=actor, pool_id=pool_id, data=data) if pool_id else
                pool_create(actor=actor, data=data))
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        _error_messages(request, exc)
        return redirect(_pool_settings_url(f"pool-{pool_id}" if pool_id else "new-pool"))
    messages.success(request, _("公海“%(name)s”已保存") % {"name": pool.name})
    return redirect(_pool_settings_url(f"pool-{pool.pk}"))


@admin_required
@require_POST
def pool_settings_delete(request, pool_id: int):
    try:
        pool_delete(actor=request.actor, pool_id=pool_id)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect(_pool_settings_url(f"pool-{pool_id}"))
    messages.success(request, _("公海已删除"))
    return redirect(_pool_settings_url())


@admin_required
@require_POST
def pool_settings_rule(request, pool_id: int):
    """One rule row: the general rule, or a level's (inherit = no rule of its own, exempt = never returns)."""
    actor = request.actor
    level_id = request.POST.get("level_id") or None
    mode = request.POST.get("mode", "custom")
    try:
        if level_id and mode == "inherit":
            pool_rule_clear(actor=actor, pool_id=pool_id, level_id=level_id)
        else:
            data = {"no_followup_days": request.POST.get("no_followup_days", ""),
                    "no_deal_days": request.POST.get("no_deal_days", ""), "is_active": True}
            if level_id and mode == "exempt":
                data = {"is_active": True}
            pool_rule_save(actor=actor, pool_id=pool_id, level_id=level_id, data=data)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        _error_messages(request, exc)
    else:
        messages.success(request, _("回收规则已保存"))
    return redirect(_pool_settings_url(f"pool-{pool_id}"))


@admin_required
@require_POST
def pool_settings_cap(request):
    """A role's or a user's customer cap; an empty limit removes it."""
    try:
        customer_cap_set(actor=request.actor, limit=request.POST.get("limit", ""), role=request.POST.get("role", ""),
                         user_id=request.POST.get("user_id") or None)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        _error_messages(request, exc)
    else:
        messages.success(request, _("客户上限已保存"))
    return redirect(_pool_settings_url("caps"))
