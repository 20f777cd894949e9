"""The workbench: the landing page after login — what to do today, what slipped, my month."""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhuli.core.registry import feature_on, workbench_cards
from zhuli.tenancy.models import OPPORTUNITY_TRACKING, TrackingStyle

from .selectors import workbench_summary


def _greeting(hour: int) -> str:
    if hour < 12:
        return _("早上好")
    return _("下午好") if hour < 18 else _("晚上好")


@require_GET
def home(request):
    actor = request.actor
    summary = workbench_summary(actor=actor)
    tenant = actor.tenant
    now = timezone.localtime(timezone.now(), tenant.zone)
    todos = summary["todos"]
    if todos is not None:
        for t in todos.overdue:
            t.days_late = (todos.day - timezone.localtime(t.due_at, tenant.zone).date()).days
    cards, lead_cards = [], []
    # Opportunity-style companies see the opportunity cards first, above the todos.
    leads_with = tenant.feature("tracking_style") == TrackingStyle.OPPORTUNITY
    for entry in workbench_cards.items():
        if not feature_on(tenant, entry.value.feature):
            continue
        html = entry.value.render(request, actor)
        if html:
            card = {"key": entry.key, "title": entry.value.title, "html": html}
            leads = leads_with and entry.value.feature == OPPORTUNITY_TRACKING
            (lead_cards if leads else cards).append(card)
    team = summary["team"]
    chart = None
    if team:
        chart = {
            "names": [r["user"]["name"] for r in team],
            "series": [
                {"name": _("新增客户"), "data": [r["new_customers"] for r in team]},
                {"name": _("跟进次数"), "data": [r["followups"] for r in team]},
            ],
        }
    return render(request, "workbench/home.html", {
        "page_title": _("工作台"), "summary": summary, "todos": todos, "cards": cards, "chart": chart,
        "lead_cards": lead_cards, "greeting": _greeting(now.hour), "now": now,
        "can_create_customer": actor.can("customers", "create"),
    })
