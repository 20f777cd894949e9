"""Billing screens: the plan / payment / invoice lists, finance's receivables, to-confirm and to-issue pages, the
forms behind the agreement page's quick actions, its sections, the customer view's sections and the workbench
cards. Thin: parse, call one selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import Scope
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.accounts.models import Department, User
from zhuli.core.errors import AppError
from zhuli.core.pagination import paginate
from zhuli.deals.models import Agreement
from zhuli.imports.http import download
from zhuli.imports.services import export_build
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from
from zhuli.web.links import query_with

from . import selectors, services
from .forms import GenerateForm, InvoiceForm, IssueForm, PaymentForm, PlanForm, filters_from_params
from .models import InvoiceStatus, InvoiceType, PaymentStatus, PlanStatus
from .tax import TAX_METHODS

PAGE_SIZES = (20, 50, 100)
COUNT_CAP = 10000


def agreement_url(kind: str, pk: int) -> str:
    try:
        return reverse(f"deals:{kind}_detail", args=[pk])
    except NoReverseMatch:
        return ""


def _back(request, agreement: Agreement):
    return redirect(agreement_url(agreement.kind, agreement.pk) or "billing:payments")


def _owners_and_departments(actor, module: str):
    grant = actor.grant(module)
    if grant is None or grant.scope == Scope.OWN:
        return [], []
    owner_ids = actor.owner_ids(grant.scope)
    owners = [u for u in visible(User, actor).only("id", "name", "is_active").order_by("-is_active", "name", "id")
              if owner_ids is None or u.pk in owner_ids]
    departments = list(visible(Department, actor).only("id", "name", "depth", "path").order_by("path"))
    for d in departments:
        d.indent = "\u3000" * d.depth
    return owners, departments


def _list_page(request, *, module: str, qs, columns, template: str, title: str, export: str, extra=None,
               decorate=None):
    actor = request.actor
    page_size = request.GET.get("page_size", "")
    page_size = int(page_size) if page_size.isdigit() and int(page_size) in PAGE_SIZES else PAGE_SIZES[0]
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    raw_page = request.GET.get("page", "")
    page_no = min(int(raw_page) if raw_page.isdigit() and len(raw_page) < 8 else 1, pages)
    page = paginate(qs.values(*columns), page=page_no, page_size=page_size, count=shown)
    for row in page.items:
        row["agreement_url"] = agreement_url(row["agreement__kind"], row["agreement_id"])
        if decorate:
            decorate(row)
    owners, departments = _owners_and_departments(actor, module)
    params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    return render(request, template, {
        "page_title": title, "page": page, "count_capped": count > COUNT_CAP, "raw": request.GET,
        "owners": owners, "departments": departments,
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES],
        "page_size": page_size, "can_export": actor.can(module, "export"),
        "export_xlsx": f"{reverse(export)}?{urlencode({**params, 'format': 'xlsx'})}",
        "export_csv": f"{reverse(export)}?{urlencode({**params, 'format': 'csv'})}",
        "is_finance": services.is_finance(actor), **(extra or {}),
    })


# ---- lists -------------------------------------------------------------------------------------------

@require_GET
def plan_list_view(request):
    actor = request.actor
    require(actor, "payments.view")
    filters, sort, _asked = filters_from_params(request.GET)
    today = actor.tenant.today()

    def decorate(row):
        status = selectors.plan_display_status(row, today)
        row["status_label"], row["badge"] = selectors.PLAN_LABELS[status], selectors.PLAN_BADGES[status]
        row["balance"] = row["amount"] - row["received_amount"]

    qs = selectors.plan_list(actor=actor, filters=filters, sort=sort or "due_date", today=today)
    return _list_page(request, module="payments", qs=qs, columns=selectors.PLAN_COLUMNS, template="billing/plans.html",
                      title=_("回款计划"), export="billing:plans_export", decorate=decorate,
                      extra={"statuses": [*PlanStatus.choices, ("open", _("未结清"))]})


@require_GET
def payment_list_view(request, *, to_confirm: bool = False):
    actor = request.actor
    require(actor, "payments.view")
    filters, sort, _asked = filters_from_params(request.GET)
    if to_confirm:
        filters.status = PaymentStatus.RECORDED
    labels = dict(PaymentStatus.choices)

    def decorate(row):
        row["status_label"], row["badge"] = labels[row["status"]], selectors.PAYMENT_BADGES[row["status"]]

    qs = selectors.payment_list(actor=actor, filters=filters, sort=sort or ("paid_on" if to_confirm else ""))
    return _list_page(request, module="payments", qs=qs, columns=selectors.PAYMENT_COLUMNS,
                      template="billing/payments.html", title=_("待确认回款") if to_confirm else _("回款记录"),
                      export="billing:payments_export", decorate=decorate, extra={
                          "statuses": PaymentStatus.choices, "to_confirm": to_confirm,
                          "methods": dictionary_choices(actor=actor, kind=DictionaryKind.PAYMENT_METHOD)})


@require_GET
def payments_to_confirm_view(request):
    return payment_list_view(request, to_confirm=True)


@require_GET
def invoice_list_view(request, *, to_issue: bool = False):
    actor = request.actor
    require(actor, "invoices.view")
    filters, sort, _asked = filters_from_params(request.GET)
    if to_issue:
        filters.status = InvoiceStatus.APPROVED
    labels, types = dict(InvoiceStatus.choices), dict(InvoiceType.choices)

    def decorate(row):
        row["status_label"], row["badge"] = labels[row["status"]], selectors.INVOICE_BADGES[row["status"]]
        row["type_label"] = types.get(row["invoice_type"], "")

    qs = selectors.invoice_list(actor=actor, filters=filters, sort=sort or ("created_at" if to_issue else ""))
    return _list_page(request, module="invoices", qs=qs, columns=selectors.INVOICE_COLUMNS,
                      template="billing/invoices.html", title=_("待开票") if to_issue else _("发票"),
                      export="billing:invoices_export", decorate=decorate, extra={
                          "statuses": InvoiceStatus.choices, "types": InvoiceType.choices, "to_issue": to_issue})


@require_GET
def invoices_to_issue_view(request):
    return invoice_list_view(request, to_issue=True)


def _export(resource):
    @require_GET
    def view(request):
        filename, content_type, body = export_build(actor=request.actor, resource=resource,
                                                    fmt=request.GET.get("format") or "xlsx", params=request.GET)
        return download(filename, content_type, body)
    return view


plans_export = _export("payment-plans")
payments_export = _export("payments")
invoices_export = _export("invoices")


# ---- receivables -------------------------------------------------------------------------------------

@require_GET
def receivables_view(request):
    """应收账款: totals, aging with its chart, by customer (paged) and by salesperson, in the actor's scope."""
    actor = request.actor
    require(actor, "payments.view")
    filters, _sort, _asked = filters_from_params(request.GET)
    filters.status = filters.q = ""
    summary = selectors.receivables_summary(actor=actor, filters=filters)
    aging = selectors.receivables_aging(actor=actor, filters=filters, as_of=summary["as_of"])
    raw_page = request.GET.get("page", "")
    page_no = int(raw_page) if raw_page.isdigit() and len(raw_page) < 8 else 1
    rows, count = selectors.receivables_by_customer(actor=actor, filters=filters, as_of=summary["as_of"],
                                                    page=page_no, page_size=20)
    by_owner = selectors.receivables_by_owner(actor=actor, filters=filters, as_of=summary["as_of"])
    pages = max(1, (count + 19) // 20)
    buckets = [("not_due", _("未到期")), ("0_30", _("逾期 0–30 天")), ("31_60", _("31–60 天")),
               ("61_90", _("61–90 天")), ("90_plus", _("90 天以上")), ("unplanned", _("未计划"))]
    chart = {"labels": [str(label) for _k, label in buckets], "values": [f"{aging[k]:.2f}" for k, _l in buckets]}
    owners, departments = _owners_and_departments(actor, "payments")
    return render(request, "billing/receivables.html", {
        "page_title": _("应收账款"), "summary": summary, "aging": aging,
        "buckets": [(label, aging[k]) for k, label in buckets], "chart": chart,
        "rows": rows, "count": count, "by_owner": by_owner, "raw": request.GET, "owners": owners,
        "departments": departments, "page": {"page": min(page_no, pages), "pages": pages},
        "prev_url": query_with(request, page=page_no - 1) if page_no > 1 else "",
        "next_url": query_with(request, page=page_no + 1) if page_no < pages else "",
    })


# ---- quick actions on an agreement --------------------------------------------------------------------

def _agreement(request, agreement_id: int) -> Agreement:
    return get_visible_or_404(Agreement, request.actor, agreement_id)


def _form_page(request, agreement, form, title: str, action: str):
    return render(request, "billing/form.html", {"page_title": title, "form": form, "agreement": agreement,
                                                 "action": action,
                                                 "back_url": agreement_url(agreement.kind, agreement.pk)})


@require_http_methods(["GET", "POST"])
def plan_add_view(request, agreement_id: int):
    actor = request.actor
    agreement = _agreement(request, agreement_id)
    require(actor, "payments.create")
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_add(actor=actor, agreement_id=agreement.pk, data=form.data_for_service())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("回款计划已添加"))
            return _back(request, agreement)
    return _form_page(request, agreement, form, _("添加回款计划"), request.path)


@require_http_methods(["GET", "POST"])
def plan_generate_view(request, agreement_id: int):
    actor = request.actor
    agreement = _agreement(request, agreement_id)
    require(actor, "payments.create")
    form = GenerateForm(request.POST or None, initial={"interval_months": "1", "count": "3"})
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            services.plan_generate(actor=actor, agreement_id=agreement.pk, count=data["count"] or None,
                                   percentages=data["percentages"] or None, first_due=data["first_due"],
                                   interval_months=data["interval_months"] or 1)
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("回款计划已生成"))
            return _back(request, agreement)
    return _form_page(request, agreement, form, _("生成回款计划"), request.path)


@require_http_methods(["GET", "POST"])
def plan_edit_view(request, pk: int):
    actor = request.actor
    plan = selectors.plan_get(actor=actor, plan_id=pk)
    require(actor, "payments.edit")
    form = PlanForm(request.POST or None, initial={"due_date": plan.due_date.isoformat(), "amount": plan.amount,
                                                   "remark": plan.remark})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=actor, plan_id=plan.pk, data=form.data_for_service())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存"))
            return _back(request, plan.agreement)
    return _form_page(request, plan.agreement, form, _("编辑第 %(n)s 期") % {"n": plan.number}, request.path)


@require_POST
def plan_delete_view(request, pk: int):
    plan = selectors.plan_get(actor=request.actor, plan_id=pk)
    services.plan_delete(actor=request.actor, plan_id=plan.pk)
    messages.success(request, _("回款计划已删除"))
    return _back(request, plan.agreement)


@require_http_methods(["GET", "POST"])
def payment_record_view(request, agreement_id: int):
    actor = request.actor
    agreement = _agreement(request, agreement_id)
    require(actor, "payments.create")
    plans = [(p.pk, _("第 %(n)s 期 %(d)s ¥%(a)s") % {"n": p.number, "d": p.due_date, "a": p.amount - p.received_amount})
             for p in selectors.open_plans_of(actor=actor, agreement_id=agreement.pk)]
    form = PaymentForm(request.POST or None, methods=dictionary_choices(actor=actor, kind=DictionaryKind.PAYMENT_METHOD),
                       plans=plans, initial={"paid_on": actor.tenant.today().isoformat(),
                                             "amount": services.payment_owed(agreement) or ""})
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_record(actor=actor, agreement_id=agreement.pk, data=form.data_for_service())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("回款已确认") if payment.status == PaymentStatus.CONFIRMED
                             else _("回款已登记，等待财务确认"))
            return _back(request, agreement)
    return _form_page(request, agreement, form, _("登记回款"), request.path)


def _payment_action(request, pk: int, call, success: str):
    payment = selectors.payment_get(actor=request.actor, payment_id=pk)
    try:
        call(payment)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    nxt = request.POST.get("next", "")
    return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else
                    agreement_url(payment.agreement.kind, payment.agreement_id) or "billing:payments")


@require_POST
def payment_confirm_view(request, pk: int):
    return _payment_action(request, pk, lambda p: services.payment_confirm(actor=request.actor, payment_id=p.pk),
                           _("回款已确认"))


@require_POST
def payment_reject_view(request, pk: int):
    reason = request.POST.get("reason", "")[:200]
    return _payment_action(request, pk, lambda p: services.payment_reject(actor=request.actor, payment_id=p.pk,
                                                                          reason=reason), _("回款已退回"))


@require_POST
def payment_delete_view(request, pk: int):
    return _payment_action(request, pk, lambda p: services.payment_delete(actor=request.actor, payment_id=p.pk),
                           _("回款记录已删除"))


@require_http_methods(["GET", "POST"])
def invoice_request_view(request, agreement_id: int):
    actor = request.actor
    agreement = _agreement(request, agreement_id)
    require(actor, "invoices.create")
    room = services.invoice_room(agreement)
    form = InvoiceForm(request.POST or None, initial={"amount": room or "", "tax_rate": "13"})
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_request(actor=actor, agreement_id=agreement.pk, data=form.data_for_service())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("开票申请已提交"))
            return redirect("billing:invoice", pk=invoice.pk)
    page = _form_page(request, agreement, form, _("申请开票"), request.path)
    return page


@require_GET
def invoice_detail_view(request, pk: int):
    actor = request.actor
    invoice = selectors.invoice_get(actor=actor, invoice_id=pk)
    approval = {}
    try:
        from zhuli.approvals.selectors import approval_panel
    except ImportError:
        approval_panel = None
    if approval_panel is not None:
        approval = approval_panel(actor=actor, doc_type="invoice", object_id=invoice.pk)
    return render(request, "billing/invoice.html", {
        "page_title": _("开票申请 %(n)s") % {"n": invoice.request_number}, "invoice": invoice,
        "badge": selectors.INVOICE_BADGES.get(invoice.status), "approval": approval,
        "agreement_url": agreement_url(invoice.agreement.kind, invoice.agreement_id),
        "is_finance": services.is_finance(actor), "issue_form": IssueForm(initial={
            "invoice_date": actor.tenant.today().isoformat()}),
        "can_cancel": invoice.status in services.INVOICE_COUNTED and (
            services.is_finance(actor) or (invoice.status != InvoiceStatus.ISSUED and actor.can("invoices", "edit"))),
    })


@require_POST
def invoice_issue_view(request, pk: int):
    actor = request.actor
    invoice = selectors.invoice_get(actor=actor, invoice_id=pk)
    try:
        services.invoice_issue(actor=actor, invoice_id=invoice.pk, invoice_number=request.POST.get("invoice_number", ""),
                               invoice_date=request.POST.get("invoice_date", ""))
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("发票已开具"))
    return redirect("billing:invoice", pk=invoice.pk)


@require_POST
def invoice_cancel_view(request, pk: int):
    actor = request.actor
    invoice = selectors.invoice_get(actor=actor, invoice_id=pk)
    try:
        services.invoice_cancel(actor=actor, invoice_id=invoice.pk, reason=request.POST.get("reason", "")[:200])
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("发票已作废") if invoice.status == InvoiceStatus.ISSUED else _("开票申请已撤销"))
    return redirect("billing:invoice", pk=invoice.pk)


# ---- settings ----------------------------------------------------------------------------------------

@admin_required
@require_http_methods(["GET", "POST"])
def invoice_settings_view(request):
    """发票设置: how tax and net are computed on new invoices."""
    actor = request.actor
    if request.method == "POST":
        services.invoice_tax_method_set(actor=actor, method=request.POST.get("invoice_tax_method", ""))
        messages.success(request, _("已保存"))
        return redirect("billing:settings")
    return render(request, "billing/settings.html", {
        "page_title": _("发票设置"), "method": services.tax_method(actor.tenant), "methods": TAX_METHODS})


# ---- sections and cards ------------------------------------------------------------------------------

def _billing_of(request, agreement) -> dict:
    key = ("billing.agreement", agreement.pk)
    if key not in request.actor.memo:
        request.actor.memo[key] = selectors.agreement_billing(actor=request.actor, agreement_id=agreement.pk)
    return request.actor.memo[key]


def _agreement_section(request, agreement, template: str, module: str) -> str:
    actor = request.actor
    if not actor.can(module, "view"):
        return ""
    data = _billing_of(request, agreement)
    return render_to_string(template, {
        **data, "agreement": agreement, "is_finance": services.is_finance(actor),
        "can_create": actor.can(module, "create") and not actor.tenant.read_only,
        "can_edit": actor.can(module, "edit"), "room": max(agreement.amount - agreement.planned_amount, 0),
        "invoice_room": max(agreement.amount - agreement.invoiced_amount, 0), "next": request.get_full_path(),
    }, request=request)


def agreement_plans_section(request, agreement) -> str:
    return _agreement_section(request, agreement, "billing/partials/agreement_plans.html", "payments")


def agreement_payments_section(request, agreement) -> str:
    return _agreement_section(request, agreement, "billing/partials/agreement_payments.html", "payments")


def agreement_invoices_section(request, agreement) -> str:
    return _agreement_section(request, agreement, "billing/partials/agreement_invoices.html", "invoices")


def _customer_billing(request, customer) -> dict:
    key = ("billing.customer", customer.pk)
    if key not in request.actor.memo:
        request.actor.memo[key] = selectors.customer_billing(actor=request.actor, customer_id=customer.pk)
    return request.actor.memo[key]


def customer_receivables_section(request, customer) -> str:
    if not request.actor.can("payments", "view"):
        return ""
    summary = _customer_billing(request, customer)["summary"]
    if not summary["agreements"]:
        return ""
    return render_to_string("billing/partials/customer_receivables.html", {"summary": summary, "customer": customer},
                            request=request)


def customer_payments_section(request, customer) -> str:
    if not request.actor.can("payments", "view"):
        return ""
    rows = _customer_billing(request, customer)["payments"]
    return render_to_string("billing/partials/customer_payments.html", {"rows": rows, "customer": customer},
                            request=request) if rows else ""


def customer_invoices_section(request, customer) -> str:
    if not request.actor.can("invoices", "view"):
        return ""
    rows = _customer_billing(request, customer)["invoices"]
    return render_to_string("billing/partials/customer_invoices.html", {"rows": rows, "customer": customer},
                            request=request) if rows else ""


def card_plans_due(request, actor) -> str:
    if not actor.can("payments", "view"):
        return ""
    data = selectors.plans_due_soon(actor=actor)
    if not data["overdue"] and not data["soon"]:
        return ""
    return render_to_string("billing/partials/card_plans_due.html", data, request=request)


def card_to_confirm(request, actor) -> str:
    if not services.is_finance(actor):
        return ""
    rows, count = selectors.payments_to_confirm(actor=actor)
    return render_to_string("billing/partials/card_to_confirm.html", {"rows": rows, "count": count},
                            request=request) if rows else ""


def card_to_issue(request, actor) -> str:
    if not services.is_finance(actor):
        return ""
    rows, count = selectors.invoices_to_issue(actor=actor)
    return render_to_string("billing/partials/card_to_issue.html", {"rows": rows, "count": count},
                            request=request) if rows else ""
