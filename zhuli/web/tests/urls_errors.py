"""Views that raise application errors, mounted beside the real URLs for the mapping tests."""
from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as real_urlpatterns
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.web.errors import form_errors_from


def raises(exc):
    def view(request):
        raise exc
    return view


class NameForm(forms.Form):
    name = forms.CharField()
    owner = forms.CharField(required=False)


def form_view(request):
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            raise InvalidInput({"name": "名称已存在", "owner_id": "负责人不存在", "__all__": "整体错误"})
        except InvalidInput as exc:
            form_errors_from(exc, form)
    return HttpResponse(render(request, "web/partials/form_errors.html", {"errors": form.non_field_errors()}).content
                        + str(form.errors.as_json()).encode())


urlpatterns = [
    path("__t/not-found/", raises(NotFound("nope"))),
    path("__t/forbidden/", raises(Forbidden("不许看"))),
    path("__t/conflict/", raises(Conflict("已被别人领取"))),
    path("__t/form/", form_view),
    *real_urlpatterns,
]
