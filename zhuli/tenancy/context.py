"""The active tenant of the current request, task or command, held in a context variable."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Tenant

_current: ContextVar[Tenant | None] = ContextVar("zhuli_tenant", default=None)


class NoActiveTenant(RuntimeError):
    """Tenant data was queried with no tenant active: a bug, never a user error."""


class TenantMismatch(RuntimeError):
    """Acting for one tenant while another is active: a bug that would cross tenants, never answered."""


def require_same_tenant(tenant: Tenant | None) -> None:
    active = _current.get()
    if active is not None and tenant is not None and active.pk != tenant.pk:
        raise TenantMismatch(f"acting for tenant {tenant.pk} while tenant {active.pk} is active")


def current_tenant() -> Tenant | None:
    return _current.get()


def require_tenant() -> Tenant:
    tenant = _current.get()
    if tenant is None:
        raise NoActiveTenant("no tenant is active; use tenant_context() or the middleware")
    return tenant


def activate(tenant: Tenant | None):
    return _current.set(tenant)


def deactivate(token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def tenant_context(tenant: Tenant | None):
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)
