"""Fixtures shared by every test: two tenants with the demo organisation (DESIGN §5).
Factories live in tests/factories.py (the tenant comes from one root TenantFactory)."""
import importlib

import pytest

from tests.factories import PASSWORD, TenantFactory
from zhuli.access.actor import Actor
from zhuli.accounts.models import Department
from zhuli.accounts.orgchart import build_demo_org
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant
from zhuli.tenancy.unscoped import for_tenant

__all__ = ["PASSWORD", "Org", "make_org", "make_tenant"]


def make_tenant(code: str, **kw) -> Tenant:
    """A formal tenant (50 users, 3 bosses unless given) with the default dictionaries."""
    return TenantFactory(code=code, **kw)


class Org(dict):
    """Users of one tenant by their login part (boss, manager1, sales1 …), plus the tenant."""

    tenant: Tenant

    def actor(self, key: str) -> Actor:
        return Actor.for_user(self[key])

    def fresh_actor(self, key: str) -> Actor:
        """After a service changed the user (department, role): reload it; scopes are cached per Actor."""
        self[key].refresh_from_db()
        return Actor.for_user(self[key])

    def department(self, name: str) -> Department:
        """公司 is the tenant's name; the others are 销售中心, 销售一部, 销售二部."""
        return for_tenant(Department, self.tenant).get(name=name)


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


def regions_restore() -> None:
    """Transactional tests (live server, real threads) end by emptying every table, the GB/T 2260
    regions a migration loaded among them. Put them back (bulk, a fraction of a second)."""
    from django.apps import apps

    from zhuli.core.models import Region

    if not Region.objects.exists():
        importlib.import_module("zhuli.core.migrations.0002_regions").load(apps, None)


_blocker = []
TRANSACTIONAL = {"transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(scope="session", autouse=True)
def _keep_db_blocker(django_db_blocker):
    _blocker.append(django_db_blocker)
    yield
    _blocker.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in Chinese: a request by an English user leaves English active in the thread
    (LocaleMiddleware activates, nothing deactivates), and services called directly afterwards would answer
    in English in whichever test the worker runs next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the flush, so the tests this worker runs next find the regions again.
    result = yield
    if _blocker and TRANSACTIONAL & set(getattr(item, "fixturenames", ())):
        with _blocker[0].unblock():
            regions_restore()
    return result
