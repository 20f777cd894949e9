"""The import wizard (upload → column mapping → preview → import → result) and the export download.

Thin: each view parses input, calls one service or selector and renders; AppErrors a view does not
handle itself are answered by zhuli.web.errors' middleware.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhuli.access.scoping import require
from zhuli.core.errors import AppError
from zhuli.core.registry import import_resources
from zhuli.web.errors import form_errors_from

from .forms import MappingForm, UploadForm
from .http import download, refuse_oversized
from .models import ImportStatus
from .selectors import import_job_get, import_job_list
from .services import (
    export_build,
    import_error_file,
    import_job_confirm,
    import_job_create,
    import_job_preview,
    import_job_set_mapping,
    import_start,
    import_template,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 200
RECENT_JOBS = 8


def _titles(key: str) -> tuple[str, str]:
    """(upload page title, mapping page title) of a resource; whole sentences, so each translates well."""
    if key == "opportunities":
        return _("导入销售机会"), _("导入销售机会：选择列对应")
    if key == "products":
        return _("导入产品"), _("导入产品：选择列对应")
    if key == "contacts":
        return _("导入联系人"), _("导入联系人：选择列对应")
    return _("导入客户"), _("导入客户：选择列对应")


@require_http_methods(["GET", "POST"])
def upload(request):
    actor = request.actor
    # Which resource (customers by default; ?resource=opportunities from the opportunity list).
    key = request.POST.get("resource") or request.GET.get("resource") or "customers"
    resource = import_resources.get(key) or import_resources.get("customers")
    require(actor, resource.permission)
    if request.method == "POST":
        refuse_oversized(request)
    pools = []
    if resource.key == "customers" and actor.can("customers", "transfer"):
        from zhuli.customers.selectors import pool_list

        pools = pool_list(actor=actor)
    form = UploadForm(request.POST or None, request.FILES or None, pools=pools,
                      duplicates=getattr(resource, "duplicate_words", None))
    if request.method == "POST" and form.is_valid():
        try:
            # The wizard always previews first: this job is a dry run until the user confirms.
            job, _sheet = import_job_create(actor=actor, resource=resource.key, file=form.cleaned_data["file"],
                                            on_duplicate=form.cleaned_data["on_duplicate"], dry_run=True,
                                            require_mapping=False, pool_id=form.cleaned_data.get("pool"))
        except AppError as exc:
            form_errors_from(exc, form, field_map={"mapping": "file"})
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "imports/upload.html", {
        "page_title": _titles(resource.key)[0], "form": form, "resource": resource,
        "recent": import_job_list(actor=actor)[:RECENT_JOBS],
    })


@require_http_methods(["GET", "POST"])
def mapping(request, pk: int):
    actor = request.actor
    job = import_job_get(actor=actor, job_id=pk)
    if not job.dry_run or job.status == ImportStatus.RUNNING or job.imported_as_id:
        return redirect("imports:job", pk=job.pk)
    preview = import_job_preview(actor=actor, job_id=job.pk)
    form = MappingForm(request.POST or None, columns=preview.columns, fields=preview.fields,
                       initial={"on_duplicate": job.on_duplicate},
                       duplicates=getattr(import_resources.get(job.resource), "duplicate_words", None))
    if request.method == "POST" and form.is_valid():
        try:
            import_job_set_mapping(actor=actor, job_id=job.pk, mapping=form.mapping(),
                                   on_duplicate=form.cleaned_data["on_duplicate"])
            import_start(actor=actor, job_id=job.pk)
        except AppError as exc:
            form_errors_from(exc, form)
        else:
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/mapping.html", {
        "page_title": _titles(job.resource)[1], "job": job, "form": form, "preview": preview,
    })


@require_GET
def job_detail(request, pk: int):
    job = import_job_get(actor=request.actor, job_id=pk)
    title = _("导入预览") if job.dry_run else _("导入结果")
    return render(request, "imports/job.html", {
        "page_title": title, "job": job, "errors": (job.errors or [])[:ERRORS_SHOWN],
        "more_errors": max(0, len(job.errors or []) - ERRORS_SHOWN),
    })


@require_GET
def job_progress(request, pk: int):
    """Polled every second by the progress bar; once the job ends the page reloads to show the result."""
    job = import_job_get(actor=request.actor, job_id=pk)
    if job.is_finished and request.htmx:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/partials/progress.html", {"job": job})


@require_POST
def job_confirm(request, pk: int):
    actor = request.actor
    job = import_job_confirm(actor=actor, job_id=pk)
    import_start(actor=actor, job_id=job.pk)
    return redirect("imports:job", pk=job.pk)


@require_GET
def errors_file(request, pk: int):
    filename, content = import_error_file(actor=request.actor, job_id=pk)
    return download(filename, XLSX, content)


@require_GET
def template(request, resource: str):
    filename, content = import_template(actor=request.actor, resource=resource)
    return download(filename, XLSX, content)


@require_GET
def export_opportunities(request):
    filename, content_type, body = export_build(actor=request.actor, resource="opportunities",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


@require_GET
def export_products(request):
    filename, content_type, body = export_build(actor=request.actor, resource="products",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


@require_GET
def export_contacts(request):
    filename, content_type, body = export_build(actor=request.actor, resource="contacts",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)


@require_GET
def export_customers(request):
    filename, content_type, body = export_build(actor=request.actor, resource="customers",
                                                fmt=request.GET.get("format") or "xlsx", params=request.GET)
    return download(filename, content_type, body)
