"""Fixtures shared by every test: two tenants with the demo organisation (DESIGN §5)."""
import pytest

from zhuli.access.actor import Actor
from zhuli.accounts.orgchart import build_demo_org
from zhuli.preferences.services import dictionaries_install_defaults
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant, TenantKind

PASSWORD = "Test-Passw0rd-1"


def make_tenant(code: str, **kw) -> Tenant:
    tenant = Tenant.objects.create(code=code, name=kw.pop("name", f"{code}公司"), kind=kw.pop("kind", TenantKind.FORMAL),
                                   max_users=kw.pop("max_users", 50), max_bosses=kw.pop("max_bosses", 3), **kw)
    dictionaries_install_defaults(tenant=tenant)
    return tenant


class Org(dict):
    """Users of one tenant by their login part (boss, manager1, sales1 …), plus the tenant."""

    tenant: Tenant

    def actor(self, key: str) -> Actor:
        return Actor.for_user(self[key])


def make_org(code: str) -> Org:
    tenant = make_tenant(code)
    org = Org(build_demo_org(tenant, domain=f"{code}.test", password=PASSWORD))
    org.tenant = tenant
    return org


@pytest.fixture
def org(db):
    """Tenant A with the demo organisation; its tenant is active for the test."""
    org = make_org("tenant-a")
    with tenant_context(org.tenant):
        yield org


@pytest.fixture
def other_org(db):
    """Tenant B, for isolation checks (not active: use tenant_context to act in it)."""
    return make_org("tenant-b")
