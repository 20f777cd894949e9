"""Follow-up screens: the /followups/ list and the customer view's follow-up section (quick-add,
timeline, open todos) with its htmx partials. Every partial answer is the whole section plus the
customer's 最近跟进 / 下次跟进 figures out-of-band, so the page updates without a reload."""
from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.roles import MANAGING_ROLES
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.accounts.models import User
from zhuli.core.errors import AppError, Forbidden
from zhuli.core.pagination import paginate
from zhuli.core.registry import feature_on
from zhuli.customers.selectors import contact_list, customer_get
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices
from zhuli.sales.selectors import opportunity_choices, opportunity_get
from zhuli.tenancy.models import OPPORTUNITY_TRACKING
from zhuli.web.errors import form_errors_from

from .forms import ERROR_FIELDS, FollowUpEditForm, FollowUpFilterForm, FollowUpForm
from .models import FollowUp, Todo
from .selectors import followup_list, todo_list
from .services import followup_create, followup_delete, followup_update, may_change, todo_complete

TIMELINE_SIZE = 10
TIMELINE_MAX = 200
COUNT_CAP = 10000
TYPE_ICONS = {"phone": "telephone", "visit": "geo-alt", "wechat": "wechat", "email": "envelope", "meeting": "people",
              "other": "chat-dots"}


def type_icon(item) -> str:
    return TYPE_ICONS.get(getattr(item, "code", "") or "", "chat-left-text")


def _opportunities(actor, customer_id: int) -> list[tuple[int, str]]:
    # Customer-style companies (Settings → 功能设置) see no opportunity picker.
    if not (actor.can("opportunities", "view") and feature_on(actor.tenant, OPPORTUNITY_TRACKING)):
        return []
    return opportunity_choices(actor=actor, customer_id=customer_id)


def _day_bounds(day: datetime.date):
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def _next_state(value) -> str:
    if value is None:
        return ""
    today, tomorrow = _day_bounds(timezone.localdate())
    if value < today:
        return "overdue"
    return "today" if value < tomorrow else ""


# ---- the customer view's section ------------------------------------------------------------------

def followups_section(request, customer, *, form=None, edit_form=None, editing: int | None = None,
                      limit: int = TIMELINE_SIZE, saved: bool = False) -> str:
    actor = request.actor
    if not actor.can("followups", "view"):
        return ""
    types = dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE)
    contacts = [c for c in contact_list(actor=actor, customer_id=customer.pk) if not c.has_left]
    todos = list(todo_list(actor=actor, customer_id=customer.pk)[:20])
    today, tomorrow = _day_bounds(timezone.localdate())
    for t in todos:
        t.state = "overdue" if t.due_at < today else ("today" if t.due_at < tomorrow else "")
        t.can_complete = actor.can("followups", "edit") and may_change(actor, t.owner_id)
    rows = list(followup_list(actor=actor, customer_id=customer.pk)[: limit + 1])
    has_more, rows = len(rows) > limit, rows[:limit]
    can_edit, can_delete = actor.can("followups", "edit"), actor.can("followups", "delete")
    sees_opportunities = actor.can("opportunities", "view")
    for f in rows:
        f.icon = type_icon(f.type)
        f.show_opportunity = sees_opportunities and f.opportunity_id is not None
        mine = may_change(actor, f.owner_id)
        f.can_edit, f.can_delete = can_edit and mine, can_delete and mine
    focus = False
    if form is None and actor.can("followups", "create"):
        initial = {}
        todo_param = request.GET.get("todo", "")
        todo = next((t for t in todos if str(t.pk) == todo_param), None)
        if todo is not None:
            initial = {"todo_id": todo.pk, "content": todo.content}
            focus = True
        form = FollowUpForm(initial=initial, types=types, contacts=contacts, prefix="fu",
                            opportunities=_opportunities(actor, customer.pk))
    if edit_form is None and editing:
        followup = next((f for f in rows if f.pk == editing), None)
        if followup is not None:
            edit_form = FollowUpEditForm(followup=followup, types=types, contacts=contacts, prefix="edit")
    if form is not None:
        attrs = form.fields["content"].widget.attrs
        attrs["placeholder"] = _("聊了什么？客户怎么说？下一步打算？")
        if focus or (form.is_bound and form.errors):
            attrs["data-zl-focus"] = "1"
    todo_for_form = None
    if form is not None and form["todo_id"].value():
        todo_for_form = next((t for t in todos if str(t.pk) == str(form["todo_id"].value())), None)
    return render_to_string("activities/partials/section.html", {
        "customer": customer, "form": form, "types": types, "todos": todos, "rows": rows, "has_more": has_more,
        "limit": limit, "more_limit": min(TIMELINE_MAX, limit + 30), "edit_form": edit_form, "editing": editing,
        "saved": saved,
        "todo_for_form": todo_for_form, "type_icons": [(t, type_icon(t)) for t in types],
    }, request=request)


def _section_response(request, customer_id: int, **kw) -> HttpResponse:
    """The section and, out-of-band, the customer's refreshed follow-up figures."""
    customer = customer_get(actor=request.actor, customer_id=customer_id)
    if not request.htmx:
        return redirect("customers:detail", pk=customer.pk)
    html = followups_section(request, customer, **kw)
    dates = render_to_string("customers/partials/followup_dates.html", {
        "customer": customer, "oob": True, "next_state": _next_state(customer.next_followup_at)}, request=request)
    return HttpResponse(html + dates)


def _limit(request) -> int:
    try:
        return max(TIMELINE_SIZE, min(TIMELINE_MAX, int(request.GET.get("limit", TIMELINE_SIZE))))
    except ValueError:
        return TIMELINE_SIZE


@require_GET
def section_view(request, customer_id: int):
    return _section_response(request, customer_id, limit=_limit(request))


@require_POST
def followup_add(request, customer_id: int):
    """Quick-add: log what happened; a next date becomes a todo; a todo id marks that todo done."""
    actor = request.actor
    customer = customer_get(actor=actor, customer_id=customer_id)
    require(actor, "followups.create")
    types = dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE)
    contacts = list(contact_list(actor=actor, customer_id=customer.pk))
    form = FollowUpForm(request.POST, types=types, contacts=contacts, prefix="fu",
                        opportunities=_opportunities(actor, customer.pk))
    if form.is_valid():
        try:
            followup_create(actor=actor, customer_id=customer.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form, field_map=ERROR_FIELDS)
        else:
            return _section_response(request, customer.pk, saved=True)
    return _section_response(request, customer.pk, form=form)


# ---- the opportunity page's section (through core.registry.opportunity_sections) -------------------

def opportunity_followups_section(request, opportunity, *, form=None, saved: bool = False,
                                  limit: int = TIMELINE_SIZE) -> str:
    """The follow-ups logged against one opportunity, with a quick-add box fixed on it."""
    actor = request.actor
    if not actor.can("followups", "view"):
        return ""
    types = dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE)
    if form is None and actor.can("followups", "create"):
        form = FollowUpForm(types=types, prefix="ofu", opportunities=[(opportunity.pk, opportunity.title)],
                            initial={"opportunity_id": str(opportunity.pk)})
    rows = list(followup_list(actor=actor, opportunity_id=opportunity.pk)[: limit + 1])
    has_more, rows = len(rows) > limit, rows[:limit]
    for f in rows:
        f.icon = type_icon(f.type)
    if form is not None:
        form.fields["content"].widget.attrs["placeholder"] = _("这个机会有什么进展？")
    return render_to_string("activities/partials/opportunity_section.html", {
        "opportunity": opportunity, "form": form, "rows": rows, "has_more": has_more, "saved": saved,
        "type_icons": [(t, type_icon(t)) for t in types], "more_limit": min(TIMELINE_MAX, limit + 30),
    }, request=request)


@require_GET
def opportunity_section_view(request, opportunity_id: int):
    opportunity = opportunity_get(actor=request.actor, opportunity_id=opportunity_id)
    if not request.htmx:
        return redirect("sales:detail", pk=opportunity.pk)
    return HttpResponse(opportunity_followups_section(request, opportunity, limit=_limit(request)))


@require_POST
def followup_add_for_opportunity(request, opportunity_id: int):
    """Quick-add on the opportunity page: the follow-up goes on its customer, tagged with the opportunity."""
    actor = request.actor
    opportunity = opportunity_get(actor=actor, opportunity_id=opportunity_id)
    require(actor, "followups.create")
    types = dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE)
    form = FollowUpForm(request.POST, types=types, prefix="ofu", opportunities=[(opportunity.pk, opportunity.title)])
    if form.is_valid():
        try:
            followup_create(actor=actor, customer_id=opportunity.customer_id,
                            data={**form.service_data(), "opportunity_id": opportunity.pk})
        except AppError as exc:
            form_errors_from(exc, form, field_map=ERROR_FIELDS)
        else:
            form = None
            if not request.htmx:
                return redirect("sales:detail", pk=opportunity.pk)
            return HttpResponse(opportunity_followups_section(request, opportunity, saved=True))
    if not request.htmx:
        return redirect("sales:detail", pk=opportunity.pk)
    return HttpResponse(opportunity_followups_section(request, opportunity, form=form))


@require_http_methods(["GET", "POST"])
def followup_edit(request, pk: int):
    actor = request.actor
    followup = get_visible_or_404(FollowUp, actor, pk)
    require(actor, "followups.edit")
    if not may_change(actor, followup.owner_id):
        raise Forbidden(_("只能修改自己的跟进记录"))
    if request.method == "GET":
        return _section_response(request, followup.customer_id, editing=followup.pk, limit=_limit(request))
    types = dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE, keep_id=followup.type_id)
    contacts = list(contact_list(actor=actor, customer_id=followup.customer_id))
    form = FollowUpEditForm(request.POST, types=types, contacts=contacts, prefix="edit")
    if form.is_valid():
        try:
            followup_update(actor=actor, followup_id=followup.pk, data=form.service_data())
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            return _section_response(request, followup.customer_id)
    return _section_response(request, followup.customer_id, edit_form=form, editing=followup.pk)


@require_POST
def followup_delete_view(request, pk: int):
    actor = request.actor
    followup = get_visible_or_404(FollowUp, actor, pk)
    customer_id = followup.customer_id
    followup_delete(actor=actor, followup_id=followup.pk)
    return _section_response(request, customer_id)


@require_POST
def todo_complete_view(request, pk: int):
    """完成 without logging a follow-up; from the workbench the row turns into a done line."""
    actor = request.actor
    todo = get_visible_or_404(Todo, actor, pk)
    todo_complete(actor=actor, todo_id=todo.pk)
    if request.POST.get("from") == "section":
        return _section_response(request, todo.customer_id)
    if not request.htmx:
        return redirect("workbench:home")
    todo = visible(Todo, actor).select_related("customer").get(pk=todo.pk)
    return render(request, "activities/partials/todo_done.html", {"todo": todo})


# ---- the follow-ups list -------------------------------------------------------------------------

@require_GET
def followup_list_view(request):
    """Mine by default; managers pick a person or the whole team (their scope)."""
    actor = request.actor
    require(actor, "followups.view")
    form = FollowUpFilterForm(request.GET)
    values = form.values()
    owner = values.get("owner") or ("all" if values.get("customer") else "me")
    zone = timezone.get_current_timezone()
    date_from = date_to = None
    if values.get("date_from"):
        date_from = datetime.datetime.combine(values["date_from"], datetime.time.min, tzinfo=zone)
    if values.get("date_to"):
        date_to = datetime.datetime.combine(values["date_to"] + datetime.timedelta(days=1), datetime.time.min,
                                            tzinfo=zone)
    qs = followup_list(actor=actor, customer_id=values.get("customer"), owner="" if owner == "all" else owner,
                       date_from=date_from, date_to=date_to)
    if values.get("type"):
        qs = qs.filter(type_id=values["type"])
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + 19) // 20)
    page = paginate(qs, page=min(values.get("page") or 1, pages), page_size=20, count=shown)
    for f in page.items:
        f.icon = type_icon(f.type)
    scope = actor.grant("customers").scope if actor.grant("customers") else None
    owner_ids = actor.owner_ids(scope) if scope else frozenset({actor.user_id})
    people = []
    if actor.role in MANAGING_ROLES or actor.system:
        people = [u for u in visible(User, actor).only("id", "name", "is_active").order_by("-is_active", "name", "id")
                  if owner_ids is None or u.pk in owner_ids]
    customer = None
    if values.get("customer"):
        customer = customer_get(actor=actor, customer_id=values["customer"])

    def page_url(n):
        params = {k: v for k, v in request.GET.items() if k != "page"}
        params["page"] = n
        return "?" + urlencode(params)

    return render(request, "activities/list.html", {
        "page_title": _("跟进记录"), "page": page, "count_capped": count > COUNT_CAP, "owner": owner,
        "raw": request.GET, "people": people, "customer": customer,
        "types": dictionary_choices(actor=actor, kind=DictionaryKind.FOLLOWUP_TYPE),
        "prev_url": page_url(page.page - 1) if page.has_previous else "",
        "next_url": page_url(page.page + 1) if page.has_next else "",
        "full_path": request.get_full_path(), "me": actor.user_id,
    })
