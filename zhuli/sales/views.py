"""Opportunity screens: the list, create / edit, the opportunity page with its quick actions, the customer
view's 销售机会 section and the stages settings page. Thin: parse, call one selector or service, render."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import Scope
from zhuli.access.scoping import require, visible
from zhuli.accounts.models import Department, User
from zhuli.core.errors import AppError
from zhuli.core.money import weighted_amount
from zhuli.core.pagination import paginate
from zhuli.core.registry import feature_on, opportunity_sections
from zhuli.customers.models import Customer
from zhuli.customers.selectors import customer_choices
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices
from zhuli.web.decorators import admin_required
from zhuli.web.errors import form_errors_from
from zhuli.web.links import query_with, url_or

from . import selectors, services
from .forms import LoseForm, OpportunityFilterForm, OpportunityForm, StageForm
from .models import OpportunityStatus, StageKind

COUNT_CAP = 10000
PAGE_SIZES = (20, 50, 100)
COLUMNS = [
    ("title", gettext_lazy("机会名称"), ""), ("", gettext_lazy("客户"), ""), ("stage", gettext_lazy("阶段"), ""),
    ("amount", gettext_lazy("预计金额"), "-"), ("probability", gettext_lazy("赢率"), "-"),
    ("close_date", gettext_lazy("预计成交"), ""), ("", gettext_lazy("状态"), ""), ("", gettext_lazy("负责人"), ""),
    ("last_followup_at", gettext_lazy("最近跟进"), "-"),
]
STATUS_BADGES = {"tracking": "primary", "won": "success", "lost": "danger", "on_hold": "warning", "invalid": "secondary"}


# ---- list ------------------------------------------------------------------------------------------

@require_GET
def opportunity_list_view(request):
    actor = request.actor
    require(actor, "opportunities.view")
    form = OpportunityFilterForm(request.GET)
    values = form.values()
    sort = values.get("sort") or selectors.DEFAULT_SORT
    if sort.lstrip("-") not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    qs = selectors.opportunity_list(actor=actor, filters=form.filters(), sort=sort)
    page_size = values.get("page_size") if values.get("page_size") in PAGE_SIZES else PAGE_SIZES[0]
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    page = paginate(selectors.opportunity_rows(qs), page=min(values.get("page") or 1, pages), page_size=page_size,
                    count=shown)
    labels = dict(OpportunityStatus.choices)
    for row in page.items:
        row["weighted"] = weighted_amount(row["amount"], row["probability"])
        row["status_label"], row["badge"] = labels.get(row["status"], ""), STATUS_BADGES.get(row["status"], "light")
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
    grant = actor.grant("opportunities")
    owner_ids = actor.owner_ids(grant.scope)
    departments = []
    if grant.scope != Scope.OWN:
        departments = list(visible(Department, actor).only("id", "name", "depth", "path").order_by("path"))
        for d in departments:
            d.indent = "\u3000" * d.depth
    owners = [u for u in visible(User, actor).only("id", "name", "is_active").order_by("-is_active", "name", "id")
              if owner_ids is None or u.pk in owner_ids] if grant.scope != Scope.OWN else []
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    export_base = url_or("imports:export_opportunities", "/imports/export/opportunities/")
    return render(request, "sales/list.html", {
        "page_title": _("销售机会"), "page": page, "count_capped": count > COUNT_CAP, "columns": columns,
        "raw": request.GET, "active_filters": form.active_count(), "filter_errors": form.filter_errors(),
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES], "page_size": page_size,
        "stages": selectors.stages_all(actor), "statuses": OpportunityStatus.choices, "owners": owners,
        "departments": departments, "can_create": actor.can("opportunities", "create"),
        "can_export": actor.can("opportunities", "export"),
        "export_xlsx": f"{export_base}?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"{export_base}?{urlencode({**export_params, 'format': 'csv'})}",
        "import_url": url_or("imports:upload", "/imports/") + "?resource=opportunities",
    })


# ---- create / edit ---------------------------------------------------------------------------------

def _form(request, data=None, *, instance=None, customer=None):
    actor = request.actor
    customers: list[tuple[int, str]] = []
    if instance is not None:
        customers = [(instance.customer_id, instance.customer.name)]
    else:
        # Like contracts and orders: a pool customer must be claimed before anything is sold to it.
        customers = customer_choices(actor=actor, first=customer, chosen=(data or {}).get("customer_id"),
                                     owned_only=True)
    stages = [s for s in selectors.stages_active(actor) if s.kind == StageKind.OPEN or instance is not None]
    if instance is not None and instance.stage not in stages:
        stages.append(instance.stage)
    owners = None
    if actor.can("opportunities", "transfer"):
        owners = [u for u in visible(User, actor).filter(is_active=True).only("id", "name", "is_active")
                  .order_by("name", "id") if services.owner_in_scope(actor, u.pk)]
        if instance is not None and instance.owner not in owners:
            owners.append(instance.owner)
    initial = None
    if instance is None:
        initial = {"owner_id": str(actor.user_id or ""), "customer_id": str(customer.pk) if customer else "",
                   "stage_id": str(stages[0].pk) if stages else ""}
    kw = {"initial": initial} if initial is not None else {}
    return OpportunityForm(
        data, customers=customers, stages=stages, owners=owners, instance=instance,
        sources=dictionary_choices(actor=actor, kind=DictionaryKind.SOURCE, keep_id=getattr(instance, "source_id", None)),
        categories=dictionary_choices(actor=actor, kind=DictionaryKind.OPPORTUNITY_TYPE,
                                      keep_id=getattr(instance, "category_id", None)), **kw)


@require_http_methods(["GET", "POST"])
def opportunity_create_view(request):
    """From the list, or from a customer page (新建机会) with `?customer=` preset."""
    actor = request.actor
    require(actor, "opportunities.create")
    customer = None
    raw_customer = request.GET.get("customer", "")
    if raw_customer.isdigit() and len(raw_customer) <= 18:
        customer = visible(Customer, actor).filter(pk=int(raw_customer)).first()
    form = _form(request, request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            opp = services.opportunity_create(actor=actor, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("销售机会已创建"))
            return redirect("sales:detail", pk=opp.pk)
    return render(request, "sales/form.html", {"page_title": _("新建销售机会"), "form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
def opportunity_edit_view(request, pk: int):
    actor = request.actor
    opp = selectors.opportunity_get(actor=actor, opportunity_id=pk)
    require(actor, "opportunities.edit")
    form = _form(request, request.POST or None, instance=opp)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=actor, opportunity_id=opp.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("已保存"))
            return redirect("sales:detail", pk=opp.pk)
    return render(request, "sales/form.html", {"page_title": _("编辑销售机会"), "form": form, "opportunity": opp})


@require_POST
def opportunity_delete_view(request, pk: int):
    actor = request.actor
    opp = selectors.opportunity_get(actor=actor, opportunity_id=pk)
    services.opportunity_delete(actor=actor, opportunity_id=opp.pk)
    messages.success(request, _("销售机会已删除"))
    return redirect("sales:list")


# ---- the opportunity page --------------------------------------------------------------------------

@require_GET
def opportunity_detail(request, pk: int):
    actor = request.actor
    opp = selectors.opportunity_get(actor=actor, opportunity_id=pk)
    stages = selectors.stages_active(actor)
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    current_index = next((i for i, s in enumerate(open_stages) if s.pk == opp.stage_id), None)
    progress = [{"stage": s, "done": current_index is not None and i < current_index,
                 "current": s.pk == opp.stage_id} for i, s in enumerate(open_stages)]
    sections = []
    for entry in opportunity_sections.items():
        if not feature_on(actor.tenant, getattr(entry.value, "feature", None)):
            continue
        html = entry.value.render(request, opp)
        if html:
            sections.append({"key": entry.key, "title": entry.value.title, "html": html})
    can_edit = actor.can("opportunities", "edit")
    history = selectors.stage_history(actor=actor, opportunity_id=opp.pk)
    for h in history:
        h.days_previous = (h.seconds_in_previous or 0) // 86400
    return render(request, "sales/detail.html", {
        "page_title": opp.title, "opp": opp, "progress": progress, "stages": stages,
        "move_stages": [s for s in stages if s.pk != opp.stage_id and s.kind == StageKind.OPEN],
        "days_in_stage": selectors.days_in_stage(opp.stage_entered_at),
        "history": history,
        "status_label": dict(OpportunityStatus.choices).get(opp.status), "badge": STATUS_BADGES.get(opp.status),
        "can_edit": can_edit, "can_delete": actor.can("opportunities", "delete"),
        "lose_form": LoseForm(reasons=dictionary_choices(actor=actor, kind=DictionaryKind.LOST_REASON)),
        "sections": sections,
    })


def _act(request, pk: int, call, success: str):
    actor = request.actor
    opp = selectors.opportunity_get(actor=actor, opportunity_id=pk)
    try:
        call(actor, opp)
    except AppError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("sales:detail", pk=opp.pk)


@require_POST
def opportunity_move_view(request, pk: int):
    note = request.POST.get("note", "")[:500]
    return _act(request, pk, lambda actor, opp: services.opportunity_move(
        actor=actor, opportunity_id=opp.pk, stage_id=request.POST.get("stage_id"), note=note), _("阶段已更新"))


@require_POST
def opportunity_win_view(request, pk: int):
    return _act(request, pk, lambda actor, opp: services.opportunity_win(actor=actor, opportunity_id=opp.pk),
                _("恭喜赢单！"))


@require_POST
def opportunity_lose_view(request, pk: int):
    reason = request.POST.get("lost_reason_id") or None
    note = request.POST.get("note", "")[:500]
    return _act(request, pk, lambda actor, opp: services.opportunity_lose(
        actor=actor, opportunity_id=opp.pk, lost_reason_id=reason, note=note), _("已记为输单"))


@require_POST
def opportunity_status_view(request, pk: int):
    status = request.POST.get("status", "")
    return _act(request, pk, lambda actor, opp: services.opportunity_set_status(
        actor=actor, opportunity_id=opp.pk, status=status), _("状态已更新"))


# ---- the customer view's section ------------------------------------------------------------------

def customer_opportunities_section(request, customer) -> str:
    actor = request.actor
    if not actor.can("opportunities", "view"):
        return ""
    rows = selectors.customer_opportunities(actor=actor, customer_id=customer.pk)
    labels = dict(OpportunityStatus.choices)
    for o in rows:
        o.status_label, o.badge = labels.get(o.status), STATUS_BADGES.get(o.status)
    return render_to_string("sales/partials/customer_section.html", {
        "customer": customer, "rows": rows,
        "can_create": actor.can("opportunities", "create") and customer.owner_id is not None,
    }, request=request)


# ---- stages settings --------------------------------------------------------------------------------

@admin_required
@require_http_methods(["GET", "POST"])
def stages_settings(request):
    """Add, rename, set probability, reorder, (de)activate, delete unused stages."""
    actor = request.actor
    form = StageForm()
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                form = StageForm(request.POST)
                if form.is_valid():
                    services.stage_create(actor=actor, data=form.cleaned_data)
                    messages.success(request, _("阶段已添加"))
                    return redirect("sales:stages")
            else:
                stage_id = request.POST.get("stage_id")
                if action == "update":
                    services.stage_update(actor=actor, stage_id=stage_id, data={
                        "name": request.POST.get("name", ""), "probability": request.POST.get("probability", "")})
                elif action in ("up", "down"):
                    services.stage_move(actor=actor, stage_id=stage_id, direction=1 if action == "down" else -1)
                elif action in ("activate", "deactivate"):
                    services.stage_set_active(actor=actor, stage_id=stage_id, active=action == "activate")
                elif action == "delete":
                    services.stage_delete(actor=actor, stage_id=stage_id)
                messages.success(request, _("已保存"))
                return redirect("sales:stages")
        except AppError as exc:
            if exc.status in (403, 404):
                raise
            if action == "create":
                form_errors_from(exc, form)
            else:
                messages.error(request, exc.message)
                return redirect("sales:stages")
    return render(request, "sales/stages.html", {
        "page_title": _("销售阶段"), "stages": selectors.stages_all(actor), "form": form,
        "kinds": dict(StageKind.choices),
    })
