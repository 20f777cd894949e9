from django.utils import timezone

from .context import activate, deactivate


class TenantMiddleware:
    """Activates the logged-in user's tenant and its time zone for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tenant = getattr(user, "tenant", None) if user is not None and user.is_authenticated else None
        token = activate(tenant)
        if tenant is not None:
            timezone.activate(tenant.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            deactivate(token)
