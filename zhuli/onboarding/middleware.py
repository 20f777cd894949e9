"""Sends a new company's admin to the first-run setup from the landing page, until done or skipped.

Placed after zhuli.web.middleware.ActorMiddleware. It reads a flag in Tenant.features (loaded with the
user), so tenants that are done, and every other path, cost no query. An expired (read-only) company is not
sent there: it could not save a step."""
from __future__ import annotations

from django.shortcuts import redirect

from zhuli.tenancy.models import TenantKind

LANDING = "/"


class SetupRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        actor = getattr(request, "actor", None)
        if (request.path_info == LANDING and request.method == "GET" and actor is not None and actor.is_admin
                and actor.tenant.kind != TenantKind.DEMO and not actor.tenant.read_only
                and actor.tenant.feature("setup_pending")
                and not request.headers.get("HX-Request")):
            return redirect("onboarding:setup")
        return self.get_response(request)
