"""The one place the web UI turns application errors into responses (STYLE 5).

How views use it:

* Just call services. An uncaught `core.errors.AppError` is handled by the
  `app_errors_to_responses` middleware (settings MIDDLEWARE):
    - `NotFound`  → the 404 page (for htmx requests: a short text response, status 404);
    - `Forbidden` → the 403 page (htmx: text, status 403);
    - any other `AppError` (InvalidInput, Conflict, TooLarge, …) → the message as an error
      message (django.contrib.messages) and a redirect back to the page the user came from
      (same-site Referer, else the current path for a POST, else the workbench);
      for htmx requests: the message as text with the error's status; base.html shows it as a toast.
* On a form page, catch the error yourself to keep what the user typed and show it next to the field:

      if form.is_valid():
          try:
              customer_create(actor=request.actor, data=form.cleaned_data)
          except AppError as exc:
              form_errors_from(exc, form, field_map={"owner_id": "owner"})
          else:
              return redirect(...)
      return render(request, "...", {"form": form})

  `form_errors_from` re-raises NotFound and Forbidden (the middleware answers those), puts each
  InvalidInput field message on the matching form field (unknown fields, `__all__` and other
  AppErrors become non-field errors, or go on `exc.field` when it names a form field).
"""
from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from zhuli.core.errors import AppError, Forbidden, InvalidInput, NotFound

logger = logging.getLogger("zhuli.web")


def _error_page(request, code: int, message: str, title: str = ""):
    title = title or {403: _("没有权限"), 404: _("页面不存在"), 500: _("服务器出错了")}.get(code, _("出错了"))
    return render(request, "web/error.html", {"code": code, "title": title, "message": message}, status=code)


def handler403(request, exception=None):
    message = str(getattr(exception, "message", "") or "") or _("您没有权限访问此页面")
    # An expired account's refusal is about the account, not the person's rights (access.scoping.require_writable).
    title = _("帐户为只读") if getattr(exception, "code", "") == "read_only" else ""
    return _error_page(request, 403, message, title)


def handler404(request, exception=None):
    return _error_page(request, 404, _("页面不存在，或您无权查看"))


def handler500(request):
    # No context processors that might query the failing database: a plain render.
    from django.template import loader

    html = loader.get_template("web/error.html").render(
        {"code": 500, "title": _("服务器出错了"), "message": _("服务器出错了，请稍后再试"), "plain": True}
    )
    return HttpResponse(html, status=500)


def _back_url(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    if request.method == "POST":
        return request.get_full_path()
    return "/"


def app_error_response(request, exc: AppError):
    """The response for an AppError a view did not handle itself."""
    is_htmx = bool(getattr(request, "htmx", False))
    if isinstance(exc, NotFound):
        if is_htmx:
            return HttpResponse(_("记录不存在或无权查看"), status=404, content_type="text/plain; charset=utf-8")
        return handler404(request, exc)
    if isinstance(exc, Forbidden):
        if is_htmx:
            return HttpResponse(exc.message, status=403, content_type="text/plain; charset=utf-8")
        return handler403(request, exc)
    if is_htmx:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    back = _back_url(request)
    if request.method == "GET" and back in (request.build_absolute_uri(), request.get_full_path(), "/"):
        # Redirecting a GET to itself would loop: show the message on an error page instead.
        return _error_page(request, 400, exc.message)
    messages.error(request, exc.message)
    return HttpResponseRedirect(back)


class AppErrorsToResponses:
    """Middleware: AppError raised in a view → 404/403 page or message + redirect back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, AppError):
            return app_error_response(request, exception)
        return None


# The name settings.MIDDLEWARE uses.
app_errors_to_responses = AppErrorsToResponses


def form_errors_from(exc: AppError, form, *, field_map: dict[str, str] | None = None):
    """Puts a service's error on the form (next to the field it names); returns the form."""
    if isinstance(exc, NotFound | Forbidden):
        raise exc
    field_map = field_map or {}

    def target(name: str | None) -> str | None:
        if not name or name == "__all__":
            return None
        name = field_map.get(name, name)
        if name in form.fields:
            return name
        if name.endswith("_id") and name[:-3] in form.fields:
            return name[:-3]
        return None

    if isinstance(exc, InvalidInput):
        for name, msgs in exc.errors.items():
            field = target(name)
            for msg in msgs:
                form.add_error(field, msg)
    else:
        form.add_error(target(exc.field), exc.message)
    return form
