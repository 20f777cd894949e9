"""View guards shared by every app's pages."""
from __future__ import annotations

from functools import wraps

from django.utils.translation import gettext as _

from zhuli.core.errors import Forbidden


def admin_required(view):
    """Company admins only (the admin flag, not a role); others get the 403 page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        actor = getattr(request, "actor", None)
        if actor is None or not actor.is_admin:
            raise Forbidden(_("只有公司管理员可以使用设置"))
        return view(request, *args, **kwargs)

    return wrapped
