"""Contract, order and quote screens, the opportunity conversion, attachments and the numbering settings page.
Thin: parse, call one selector or service, render. Contracts and orders share every view (`kind`)."""
from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import Scope
from zhuli.access.scoping import require, visible
from zhuli.accounts.models import User
from zhuli.core.errors import AppError, InvalidInput
from zhuli.core.pagination import paginate
from zhuli.core.registry import agreement_sections, feature_on
from zhuli.customers.models import Customer
from zhuli.customers.selectors import customer_choices
from zhuli.imports.http import download
from zhuli.imports.services import export_build
from zhuli.sales.selectors import opportunity_get
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from
from zhuli.web.links import query_with

from . import selectors, services
from .forms import AgreementForm, FilterForm, NumberingForm, QuoteForm, line_rows_for_editor, lines_from_post
from .models import AgreementKind, AgreementStatus, DocType, Quote
from .numbering import number_preview

COUNT_CAP = 10000
PAGE_SIZES = (20, 50, 100)
STATUS_BADGES = {"draft": "secondary", "pending": "warning", "active": "primary", "confirmed": "primary",
                 "completed": "success", "terminated": "dark", "cancelled": "dark", "sent": "info",
                 "accepted": "success", "rejected": "danger", "converted": "success"}
KIND = {
    AgreementKind.CONTRACT: {"label": gettext_lazy("合同"), "plural": "contracts", "param": "contract_id",
                             "new": gettext_lazy("新建合同"), "statuses": ("draft", "pending", "active", "completed",
                                                                        "terminated")},
    AgreementKind.ORDER: {"label": gettext_lazy("订单"), "plural": "orders", "param": "order_id",
                          "new": gettext_lazy("新建订单"), "statuses": ("draft", "pending", "confirmed", "completed",
                                                                     "cancelled")},
}
STATUS_LABELS = dict(AgreementStatus.choices)


def _pk(kw: dict):
    return kw.get("contract_id") or kw.get("order_id")


def _feature(request, kind: str) -> None:
    """A company using orders only has no contract screens (and vice versa): the same 404 as a missing page."""
    setting = request.actor.tenant.feature("agreements") or "both"
    if setting not in ("both", kind):
        raise Http404


def _list_page(request, qs, rows, *, values):
    page_size = values.get("page_size") if values.get("page_size") in PAGE_SIZES else PAGE_SIZES[0]
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    page = paginate(rows, page=min(values.get("page") or 1, pages), page_size=page_size, count=shown)
    return page, count > COUNT_CAP, page_size


def _owners_for_filter(actor, module: str):
    grant = actor.grant(module)
    if grant is None or grant.scope == Scope.OWN:
        return []
    owner_ids = actor.owner_ids(grant.scope)
    return [u for u in visible(User, actor).only("id", "name", "is_active").order_by("-is_active", "name", "id")
            if owner_ids is None or u.pk in owner_ids]


def _pager_context(request, page, page_size):
    return {
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES],
        "page_size": page_size,
    }


# ---- lists -----------------------------------------------------------------------------------------

@require_GET
def agreement_list_view(request, kind: str):
    actor = request.actor
    _feature(request, kind)
    require(actor, "agreements.view")
    form = FilterForm(request.GET)
    values = form.values()
    qs = selectors.agreement_list(actor=actor, kind=kind, filters=form.filters(), sort=values.get("sort"))
    page, capped, page_size = _list_page(request, qs, selectors.agreement_rows(qs), values=values)
    for row in page.items:
        row["status_label"] = STATUS_LABELS.get(row["status"], "")
        row["badge"] = STATUS_BADGES.get(row["status"], "light")
        row["outstanding"] = max(row["amount"] - row["received_amount"], 0)
    meta = KIND[kind]
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    export_base = reverse(f"deals:{kind}_export")
    return render(request, "deals/list.html", {
        "page_title": meta["label"], "kind": kind, "meta": meta, "page": page, "count_capped": capped,
        "raw": request.GET, "active_filters": form.active_count(), "filter_errors": form.filter_errors(),
        "statuses": [(s, STATUS_LABELS[s]) for s in meta["statuses"]],
        "owners": _owners_for_filter(actor, "agreements"),
        "can_create": actor.can("agreements", "create"), "can_export": actor.can("agreements", "export"),
        "export_xlsx": f"{export_base}?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"{export_base}?{urlencode({**export_params, 'format': 'csv'})}",
        "detail_name": f"deals:{kind}_detail", "create_name": f"deals:{kind}_create",
        "list_name": f"deals:{kind}_list",
        **_pager_context(request, page, page_size),
    })


@require_GET
def agreement_export_view(request, kind: str):
    _feature(request, kind)
    filename, content_type, body = export_build(actor=request.actor, resource=KIND[kind]["plural"],
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


# ---- create / edit ---------------------------------------------------------------------------------

def _customers(actor, *, instance=None, preset=None, chosen=None) -> list[tuple[int, str]]:
    if instance is not None:
        return [(instance.customer_id, instance.customer.name)]
    return customer_choices(actor=actor, first=preset, chosen=chosen, owned_only=True)


def _agreement_form(request, kind, data=None, *, instance=None, preset=None, initial=None):
    actor = request.actor
    users = list(visible(User, actor).filter(is_active=True).only("id", "name", "is_active").order_by("name", "id"))
    owners = None
    if actor.can("agreements", "transfer"):
        owners = [u for u in users if services.owner_in_scope(actor, u.pk)]
        if instance is not None and instance.owner not in owners:
            owners.append(instance.owner)
    kw = {}
    if instance is None:
        kw["initial"] = {"customer_id": str(preset.pk) if preset else "", "owner_id": str(actor.user_id or ""),
                         "currency": "CNY", "exchange_rate": "1", "sign_date": actor.tenant.today().isoformat(),
                         **(initial or {})}
    return AgreementForm(data, kind=kind, customers=_customers(actor, instance=instance, preset=preset,
                                                               chosen=(data or {}).get("customer_id")),
                         users=users, owners=owners, instance=instance, **kw)


def _editor_context(kind, lines, errors=None, *, locked=False):
    return {"line_rows": line_rows_for_editor(lines, errors), "lines_locked": locked,
            "line_errors": [m for k, msgs in (errors or {}).items() if k == "lines" for m in msgs],
            "products_kind": "service" if kind == AgreementKind.CONTRACT else "physical"}


@require_http_methods(["GET", "POST"])
def agreement_create_view(request, kind: str):
    """From the list, a customer page (`?customer=`) or a won opportunity (`?opportunity=`): nothing is
    written until the form is saved, so cancelling a conversion leaves no empty draft behind."""
    actor = request.actor
    _feature(request, kind)
    require(actor, "agreements.create")
    raw = request.GET.get("customer", "")
    preset = visible(Customer, actor).filter(pk=int(raw)).first() if raw.isdigit() and len(raw) <= 18 else None
    opp, initial, cancel_url = None, {}, reverse(f"deals:{kind}_list")
    raw_opp = request.GET.get("opportunity", "")
    if raw_opp:
        if not raw_opp.isdigit() or len(raw_opp) > 18:
            raise Http404
        try:
            opp = services.opportunity_convertible(actor=actor, opportunity_id=int(raw_opp), kind=kind)
        except services.AgreementExists as exc:
            return _to_existing(request, exc, int(raw_opp))
        preset, cancel_url = opp.customer, reverse("sales:detail", args=[opp.pk])
        initial = {"customer_id": str(opp.customer_id), "title": opp.title}
        if owner_id := services.conversion_owner_id(actor, opp):
            initial["owner_id"] = str(owner_id)
    form = _agreement_form(request, kind, request.POST or None, preset=preset, initial=initial)
    lines = lines_from_post(request.POST) if request.method == "POST" else []
    errors = None
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if opp is not None:
            data["opportunity_id"] = opp.pk
        try:
            agreement = services.agreement_create(actor=actor, kind=kind, data=data, lines=lines)
        except AppError as exc:
            errors = getattr(exc, "errors", None)
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(kind)s %(number)s 已创建") % {"kind": KIND[kind]["label"],
                                                                       "number": agreement.number})
            return redirect(f"deals:{kind}_detail", agreement.pk)
    return render(request, "deals/form.html", {
        "page_title": KIND[kind]["new"], "form": form, "kind": kind, "meta": KIND[kind], "customer": preset,
        "opportunity": opp, "cancel_url": cancel_url, **_editor_context(kind, lines, errors)})


@require_http_methods(["GET", "POST"])
def agreement_edit_view(request, kind: str, **kw):
    actor = request.actor
    _feature(request, kind)
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    require(actor, "agreements.edit")
    form = _agreement_form(request, kind, request.POST or None, instance=agreement)
    locked = not agreement.can_edit_amount
    lines = selectors.agreement_lines(agreement)
    errors = None
    if request.method == "POST":
        lines = lines_from_post(request.POST) if not locked else lines
        if form.is_valid():
            try:
                services.agreement_update(actor=actor, agreement_id=agreement.pk, data=form.service_data(),
                                          lines=None if locked else lines, kind=kind)
            except AppError as exc:
                errors = getattr(exc, "errors", None)
                form_errors_from(exc, form)
            else:
                messages.success(request, _("已保存"))
                return redirect(f"deals:{kind}_detail", agreement.pk)
    return render(request, "deals/form.html", {
        "page_title": _("编辑%(kind)s %(number)s") % {"kind": KIND[kind]["label"], "number": agreement.number},
        "form": form, "kind": kind, "meta": KIND[kind], "agreement": agreement,
        "opportunity": agreement.opportunity if kind == AgreementKind.ORDER and not lines else None,
        "cancel_url": reverse(f"deals:{kind}_detail", args=[agreement.pk]),
        **_editor_context(kind, lines, errors, locked=locked)})


@require_POST
def agreement_delete_view(request, kind: str, **kw):
    actor = request.actor
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    services.agreement_delete(actor=actor, agreement_id=agreement.pk, kind=kind)
    messages.success(request, _("已删除"))
    return redirect(f"deals:{kind}_list")


# ---- the agreement page ----------------------------------------------------------------------------

def _approval_context(request, agreement) -> dict:
    """The approval engine's panel (history, the pending step, whether the viewer decides or withdraws it)."""
    try:
        from zhuli.approvals.selectors import approval_panel
    except ImportError:
        return {}
    return {**approval_panel(actor=request.actor, doc_type=agreement.kind, object_id=agreement.pk),
            "approvals_installed": True}


@require_GET
def agreement_detail_view(request, kind: str, **kw):
    actor = request.actor
    _feature(request, kind)
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    sections = []
    for entry in agreement_sections.items():
        if not feature_on(actor.tenant, getattr(entry.value, "feature", None)):
            continue
        html = entry.value.render(request, agreement)
        if html:
            sections.append({"key": entry.key, "title": entry.value.title, "html": html})
    can_edit = actor.can("agreements", "edit")
    try:
        print_url = reverse(f"deals:{kind}_print", args=[agreement.pk])
    except NoReverseMatch:  # the print pages (print_views.py) land separately
        print_url = ""
    end_action = "terminate" if kind == AgreementKind.CONTRACT else "cancel"
    urls = {name: reverse(f"deals:{kind}_{name}", args=[agreement.pk])
            for name in ("edit", "delete", "attachment_add", "submit", "withdraw", "approve", "reject", "complete",
                         end_action)}
    urls["end"] = urls[end_action]
    attachments = selectors.agreement_attachments(agreement)
    for f in attachments:
        f.url = reverse(f"deals:{kind}_attachment", args=[agreement.pk, f.pk])
        f.delete_url = reverse(f"deals:{kind}_attachment_delete", args=[agreement.pk, f.pk])
    return render(request, "deals/detail.html", {
        "page_title": f"{agreement.number} {agreement.title}", "a": agreement, "kind": kind, "meta": KIND[kind],
        "lines": selectors.agreement_lines(agreement), "attachments": attachments, "urls": urls,
        "status_label": STATUS_LABELS.get(agreement.status), "badge": STATUS_BADGES.get(agreement.status),
        "can_edit": can_edit, "can_delete": actor.can("agreements", "delete") and agreement.can_delete,
        "sections": sections, "print_url": print_url, **_approval_context(request, agreement),
    })


ACTIONS = {
    "submit": (lambda actor, pk, kind, post: services.agreement_submit(actor=actor, agreement_id=pk, kind=kind),
               gettext_lazy("已提交")),
    "withdraw": (lambda actor, pk, kind, post: services.agreement_withdraw(actor=actor, agreement_id=pk, kind=kind),
                 gettext_lazy("已撤回")),
    "complete": (lambda actor, pk, kind, post: services.agreement_complete(actor=actor, agreement_id=pk, kind=kind),
                 gettext_lazy("已标记为完成")),
    "approve": (lambda actor, pk, kind, post: services.agreement_decide(
        actor=actor, agreement_id=pk, decision="approve", comment=post.get("comment", "")[:500], kind=kind),
        gettext_lazy("已同意")),
    "reject": (lambda actor, pk, kind, post: services.agreement_decide(
        actor=actor, agreement_id=pk, decision="reject", comment=post.get("comment", "")[:500], kind=kind),
        gettext_lazy("已驳回")),
    "terminate": (lambda actor, pk, kind, post: services.contract_terminate(
        actor=actor, agreement_id=pk, reason=post.get("reason", "")), gettext_lazy("合同已终止")),
    "cancel": (lambda actor, pk, kind, post: services.order_cancel(
        actor=actor, agreement_id=pk, reason=post.get("reason", "")), gettext_lazy("订单已取消")),
}


@require_POST
def agreement_action_view(request, kind: str, action: str, **kw):
    actor = request.actor
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    call, success = ACTIONS[action]
    try:
        call(actor, agreement.pk, kind, request.POST)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(f"deals:{kind}_detail", agreement.pk)


# ---- attachments -----------------------------------------------------------------------------------

@require_POST
def attachment_add_view(request, kind: str, **kw):
    actor = request.actor
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    try:
        services.attachment_add(actor=actor, agreement_id=agreement.pk, upload=request.FILES.get("file"), kind=kind)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("附件已上传"))
    return redirect(f"deals:{kind}_detail", agreement.pk)


@require_GET
def attachment_download_view(request, kind: str, attachment_id: int, **kw):
    actor = request.actor
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    attachment = selectors.attachment_get(actor=actor, attachment_id=attachment_id, agreement_id=agreement.pk)
    try:
        handle = default_storage.open(attachment.stored_name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404
    response = FileResponse(handle, content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_POST
def attachment_delete_view(request, kind: str, attachment_id: int, **kw):
    actor = request.actor
    agreement = selectors.agreement_get(actor=actor, agreement_id=_pk(kw), kind=kind)
    services.attachment_remove(actor=actor, attachment_id=attachment_id, agreement_id=agreement.pk)
    messages.success(request, _("附件已删除"))
    return redirect(f"deals:{kind}_detail", agreement.pk)


# ---- conversion from a won opportunity ---------------------------------------------------------------

def _to_existing(request, exc, opportunity_id: int):
    messages.info(request, exc.message)
    if exc.visible_to_actor:
        return redirect(f"deals:{exc.existing.kind}_detail", exc.existing.pk)
    return redirect("sales:detail", opportunity_id)


@require_POST
def opportunity_convert_view(request, opportunity_id: int):
    actor = request.actor
    opportunity_get(actor=actor, opportunity_id=opportunity_id)  # another's or missing: 404 before anything else
    kind = request.POST.get("kind", "")
    if kind not in KIND:
        raise InvalidInput({"kind": _("类型只能是 contract 或 order")})
    try:
        if kind == AgreementKind.ORDER:
            # An order's amount comes from its lines: open the prefilled form and create nothing until it is saved.
            services.opportunity_convertible(actor=actor, opportunity_id=opportunity_id, kind=kind)
            return redirect(f"{reverse('deals:order_create')}?{urlencode({'opportunity': opportunity_id})}")
        agreement = services.agreement_from_opportunity(actor=actor, opportunity_id=opportunity_id, kind=kind)
    except services.AgreementExists as exc:
        return _to_existing(request, exc, opportunity_id)
    messages.success(request, _("已生成%(kind)s草稿 %(number)s，请补充明细后提交")
                     % {"kind": KIND[kind]["label"], "number": agreement.number})
    return redirect(f"deals:{kind}_edit", agreement.pk)


def opportunity_convert_section(request, opportunity) -> str:
    """On a won opportunity: the agreement it became, or the 转为合同 / 转为订单 buttons."""
    actor = request.actor
    if opportunity.status != "won" or not actor.can("agreements", "view"):
        return ""
    setting = actor.tenant.feature("agreements") or "both"
    return render_to_string("deals/partials/opportunity_convert.html", {
        "opp": opportunity, "existing": selectors.opportunity_agreement(actor=actor, opportunity_id=opportunity.pk),
        "can_create": actor.can("agreements", "create"),
        "kinds": [k for k in (AgreementKind.CONTRACT, AgreementKind.ORDER) if setting in ("both", k)],
        "labels": {"contract": _("转为合同"), "order": _("转为订单")},
    }, request=request)


# ---- customer view, workbench ---------------------------------------------------------------------

def customer_agreements_section(request, customer) -> str:
    actor = request.actor
    if not actor.can("agreements", "view"):
        return ""
    setting = actor.tenant.feature("agreements") or "both"
    kinds = ("contract", "order") if setting == "both" else (setting,)
    rows = selectors.customer_agreements(actor=actor, customer_id=customer.pk, kinds=kinds)
    for r in rows:
        r["status_label"], r["badge"] = STATUS_LABELS.get(r["status"]), STATUS_BADGES.get(r["status"])
        r["outstanding"] = max(r["amount"] - r["received_amount"], 0)
    can_create = actor.can("agreements", "create")
    return render_to_string("deals/partials/customer_section.html", {
        "customer": customer, "rows": rows, "kinds": kinds if can_create else (),
        "new_labels": {"contract": _("新建合同"), "order": _("新建订单")},
    }, request=request)


def contracts_ending_card(request, actor) -> str:
    if not actor.can("agreements", "view"):
        return ""
    rows, count = selectors.contracts_ending(actor=actor, days=30, limit=10)
    return render_to_string("deals/partials/card_ending.html", {"rows": rows, "count": count}, request=request)


# ---- quotes ----------------------------------------------------------------------------------------

QUOTE_STATUS_LABELS = dict(Quote.Status.choices)


@require_GET
def quote_list_view(request):
    actor = request.actor
    require(actor, "quotes.view")
    form = FilterForm(request.GET)
    values = form.values()
    qs = selectors.quote_list(actor=actor, filters=form.filters(), sort=values.get("sort"))
    page, capped, page_size = _list_page(request, qs, selectors.quote_rows(qs), values=values)
    for row in page.items:
        row["status_label"], row["badge"] = QUOTE_STATUS_LABELS.get(row["status"]), STATUS_BADGES.get(row["status"])
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    export_base = reverse("deals:quote_export")
    return render(request, "deals/quote_list.html", {
        "page_title": _("报价单"), "page": page, "count_capped": capped, "raw": request.GET,
        "active_filters": form.active_count(), "filter_errors": form.filter_errors(),
        "statuses": list(Quote.Status.choices), "owners": _owners_for_filter(actor, "quotes"),
        "can_create": actor.can("quotes", "create"), "can_export": actor.can("quotes", "export"),
        "export_xlsx": f"{export_base}?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"{export_base}?{urlencode({**export_params, 'format': 'csv'})}",
        **_pager_context(request, page, page_size),
    })


@require_GET
def quote_export_view(request):
    filename, content_type, body = export_build(actor=request.actor, resource="quotes",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


def _quote_form(request, data=None, *, instance=None, preset=None):
    actor = request.actor
    statuses = [(k, v) for k, v in Quote.Status.choices if k != Quote.Status.CONVERTED]
    kw = {}
    if instance is None:
        kw["initial"] = {"customer_id": str(preset.pk) if preset else "",
                         "quote_date": actor.tenant.today().isoformat()}
    return QuoteForm(data, customers=_customers(actor, instance=instance, preset=preset,
                                                chosen=(data or {}).get("customer_id")), statuses=statuses,
                     instance=instance, **kw)


@require_http_methods(["GET", "POST"])
def quote_create_view(request):
    actor = request.actor
    require(actor, "quotes.create")
    raw = request.GET.get("customer", "")
    preset = visible(Customer, actor).filter(pk=int(raw)).first() if raw.isdigit() and len(raw) <= 18 else None
    form = _quote_form(request, request.POST or None, preset=preset)
    lines = lines_from_post(request.POST) if request.method == "POST" else []
    errors = None
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        opp = request.GET.get("opportunity", "")
        if opp.isdigit() and len(opp) <= 18:
            data["opportunity_id"] = opp
        try:
            quote = services.quote_create(actor=actor, data=data, lines=lines)
        except AppError as exc:
            errors = getattr(exc, "errors", None)
            form_errors_from(exc, form)
        else:
            messages.success(request, _("报价单 %(number)s 已创建") % {"number": quote.number})
            return redirect("deals:quote_detail", quote.pk)
    return render(request, "deals/quote_form.html", {
        "page_title": _("新建报价单"), "form": form, "cancel_url": reverse("deals:quote_list"),
        **_editor_context(None, lines, errors)})


@require_http_methods(["GET", "POST"])
def quote_edit_view(request, quote_id: int):
    actor = request.actor
    quote = selectors.quote_get(actor=actor, quote_id=quote_id)
    require(actor, "quotes.edit")
    form = _quote_form(request, request.POST or None, instance=quote)
    lines = selectors.quote_lines(quote)
    errors = None
    if request.method == "POST":
        lines = lines_from_post(request.POST)
        if form.is_valid():
            try:
                services.quote_update(actor=actor, quote_id=quote.pk, data=form.service_data(), lines=lines)
            except AppError as exc:
                errors = getattr(exc, "errors", None)
                form_errors_from(exc, form)
            else:
                messages.success(request, _("已保存"))
                return redirect("deals:quote_detail", quote.pk)
    return render(request, "deals/quote_form.html", {
        "page_title": _("编辑报价单 %(number)s") % {"number": quote.number}, "form": form, "quote": quote,
        "cancel_url": reverse("deals:quote_detail", args=[quote.pk]), **_editor_context(None, lines, errors)})


@require_GET
def quote_detail_view(request, quote_id: int):
    actor = request.actor
    quote = selectors.quote_get(actor=actor, quote_id=quote_id)
    setting = actor.tenant.feature("agreements") or "both"
    try:
        print_url = reverse("deals:quote_print", args=[quote.pk])
    except NoReverseMatch:  # the print pages (print_views.py) land separately
        print_url = ""
    return render(request, "deals/quote_detail.html", {
        "page_title": f"{quote.number} {quote.title}", "q": quote, "lines": selectors.quote_lines(quote),
        "status_label": QUOTE_STATUS_LABELS.get(quote.status), "badge": STATUS_BADGES.get(quote.status),
        "can_edit": actor.can("quotes", "edit") and quote.can_edit,
        "can_delete": actor.can("quotes", "delete") and quote.can_edit,
        "can_convert": actor.can("quotes", "edit") and actor.can("agreements", "create") and quote.can_convert,
        "kinds": [k for k in ("contract", "order") if setting in ("both", k)],
        "labels": {"contract": _("转为合同"), "order": _("转为订单")}, "print_url": print_url,
    })


@require_POST
def quote_delete_view(request, quote_id: int):
    actor = request.actor
    quote = selectors.quote_get(actor=actor, quote_id=quote_id)
    services.quote_delete(actor=actor, quote_id=quote.pk)
    messages.success(request, _("报价单已删除"))
    return redirect("deals:quote_list")


@require_POST
def quote_convert_view(request, quote_id: int):
    actor = request.actor
    quote = selectors.quote_get(actor=actor, quote_id=quote_id)
    kind = request.POST.get("kind", "")
    if kind not in KIND:
        raise InvalidInput({"kind": _("类型只能是 contract 或 order")})
    try:
        agreement = services.quote_convert(actor=actor, quote_id=quote.pk, kind=kind)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return redirect("deals:quote_detail", quote.pk)
    messages.success(request, _("已生成%(kind)s草稿 %(number)s") % {"kind": KIND[kind]["label"],
                                                                  "number": agreement.number})
    return redirect(f"deals:{kind}_detail", agreement.pk)


# ---- numbering settings ----------------------------------------------------------------------------

@admin_required
@require_http_methods(["GET", "POST"])
def numbering_settings(request):
    """Admins edit each document type's pattern; a preview shows the next number's shape."""
    actor = request.actor
    rules = selectors.numbering_rules(actor)
    labels = dict(DocType.choices)
    form = NumberingForm(request.POST or None, rules=rules, labels=labels)
    if request.method == "POST" and form.is_valid():
        try:
            # All patterns or none: one bad pattern rolls the others back.
            with transaction.atomic():
                with_errors = {}
                for doc_type in rules:
                    try:
                        services.numbering_rule_set(actor=actor, doc_type=doc_type,
                                                    pattern=form.cleaned_data[f"pattern_{doc_type}"])
                    except InvalidInput as exc:
                        with_errors.update(exc.errors)
                if with_errors:
                    raise InvalidInput(with_errors)
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("编号规则已保存"))
            return redirect("deals:numbering")
    today = actor.tenant.today()
    previews = {k: number_preview(v, today) for k, v in rules.items()}
    return render(request, "deals/numbering.html", {
        "page_title": _("编号规则"), "form": form,
        "rows": [(form[f"pattern_{k}"], previews[k]) for k in rules],
    })
