"""Analytics pages: read-only, within the viewer's scope. The funnel page draws the same numbers as
GET /api/v1/analytics/funnel (one selector)."""
from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from zhuli.access.scoping import require
from zhuli.sales.selectors import department_choices, owner_choices

from .forms import PeriodForm
from .selectors import funnel, funnel_chart_rows

PRESET_LABELS = (("month", gettext_lazy("本月")), ("quarter", gettext_lazy("本季度")), ("year", gettext_lazy("本年")),
                 ("custom", gettext_lazy("自定义")))


@require_GET
def funnel_view(request):
    actor = request.actor
    require(actor, "opportunities.view")
    form = PeriodForm(request.GET)
    preset, date_from, date_to = form.period(actor.tenant.today())
    departments = department_choices(actor=actor)
    department = form.value("department") if departments else None
    result = funnel(actor=actor, date_from=date_from, date_to=date_to, department_id=department,
                    owner=form.value("owner") or "")
    chart = {
        "names": [r.stage.name for r in funnel_chart_rows(result)],
        "counts": [r.count for r in funnel_chart_rows(result)],
        "amounts": [str(r.amount) for r in funnel_chart_rows(result)],
        "weighted": [str(r.weighted) for r in funnel_chart_rows(result)],
        "labels": {"count": _("数量"), "amount": _("金额"), "weighted": _("加权金额")},
    }
    return render(request, "analytics/funnel.html", {
        "page_title": _("销售漏斗"), "result": result, "chart": chart, "form": form, "preset": preset,
        "presets": [(k, str(label)) for k, label in PRESET_LABELS], "departments": departments,
        "department": department, "owner": form.value("owner") or "", "owners": owner_choices(actor=actor),
        "errors": form.errors if form.is_bound and not form.is_valid() else {},
    })
