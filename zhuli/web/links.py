"""Links the list pages build: the current query with some parameters changed, URLs of optional apps."""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def query_with(request, **changes) -> str:
    """The current GET parameters with some replaced (None or "" drops one): links keep the whole state."""
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


def url_or(name: str, fallback: str) -> str:
    """reverse(name), or the plain path while the app owning that page is not installed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback
