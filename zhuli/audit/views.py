"""Settings → 操作日志: the company admin's view over the audit events, with filters and export."""
from __future__ import annotations

from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhuli.core.pagination import paginate
from zhuli.imports.http import download
from zhuli.imports.services import export_build
from zhuli.web.decorators import admin_required
from zhuli.web.links import query_with

from . import labels, selectors

COUNT_CAP = 10000
PAGE_SIZES = (20, 50, 100)


@require_GET
@admin_required
def audit_list(request):
    actor = request.actor
    filters, _asked, errors = selectors.audit_filters_from(request.GET)
    qs = selectors.audit_event_list(actor=actor, filters=filters)
    try:
        page_size = int(request.GET.get("page_size") or PAGE_SIZES[0])
    except ValueError:
        page_size = PAGE_SIZES[0]
    page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
    # The log grows fast: count at most COUNT_CAP + 1 rows (shown as 10000+), never the whole table.
    count = qs.order_by()[: COUNT_CAP + 1].count()
    shown = min(count, COUNT_CAP)
    pages = max(1, (shown + page_size - 1) // page_size)
    try:
        wanted = int(request.GET.get("page") or 1)
    except ValueError:
        wanted = 1
    page = paginate(qs.values(*selectors.LIST_COLUMNS), page=min(max(wanted, 1), pages), page_size=page_size,
                    count=shown)
    page.items = selectors.audit_rows(actor=actor, rows=page.items)
    export_params = {k: v for k, v in request.GET.items() if k not in ("page", "page_size")}
    active = sum(1 for k in ("action", "actor", "date_from", "date_to", "target_type") if request.GET.get(k))
    return render(request, "audit/list.html", {
        "page_title": _("操作日志"), "page": page, "count_capped": count > COUNT_CAP, "raw": request.GET,
        "filter_errors": list(errors.values()), "active_filters": active,
        "groups": labels.GROUPS, "actors": selectors.audit_actor_choices(actor),
        "target_types": labels.target_type_choices(),
        "prev_url": query_with(request, page=page.page - 1) if page.has_previous else "",
        "next_url": query_with(request, page=page.page + 1) if page.has_next else "",
        "page_size_urls": [(n, query_with(request, page_size=n, page=None)) for n in PAGE_SIZES],
        "page_size": page_size,
        "export_xlsx": f"?{urlencode({**export_params, 'format': 'xlsx'})}",
        "export_csv": f"?{urlencode({**export_params, 'format': 'csv'})}",
    })


@require_GET
@admin_required
def audit_export(request):
    filename, content_type, body = export_build(actor=request.actor, resource="audit-events",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)
