from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .main import api


@csrf_exempt
def unknown_endpoint(request, rest=""):
    """Any other path under /api/v1/ answers JSON, not the web UI's HTML 404 page."""
    return JsonResponse({"detail": _("没有这个 API 地址")}, status=404)


urlpatterns = [path("", api.urls), re_path(r"^(?P<rest>.*)$", unknown_endpoint)]
