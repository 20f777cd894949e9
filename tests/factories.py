"""Root factories: every tenant-owned row takes its tenant from one TenantFactory (STYLE 12).

A factory of a TenantModel uses the active tenant (the `org` fixture activates one) and otherwise
creates a tenant; related rows built through SubFactory inherit the parent's tenant, so a
factory can never produce a foreign key that crosses tenants.
"""
from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from zhuli.accounts.models import User
from zhuli.preferences.services import dictionaries_install_defaults
from zhuli.tenancy.context import current_tenant, tenant_context
from zhuli.tenancy.models import Tenant, TenantKind

PASSWORD = "Test-Passw0rd-1"


class TenantFactory(DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.LazyAttribute(lambda t: f"{t.code}公司")
    kind = TenantKind.FORMAL
    max_users = 50
    max_bosses = 3

    @factory.post_generation
    def dictionaries(tenant, create, extracted, **kwargs):
        if create and extracted is not False:
            dictionaries_install_defaults(tenant=tenant)


def active_or_new_tenant() -> Tenant:
    return current_tenant() or TenantFactory()


class TenantModelFactory(DjangoModelFactory):
    """Base of factories for TenantModels: saves inside its row's tenant, whatever is active."""

    class Meta:
        abstract = True

    tenant = factory.LazyFunction(active_or_new_tenant)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


def same_tenant(sub_factory, **kwargs):
    """A SubFactory whose row lives in the parent's tenant."""
    return factory.SubFactory(sub_factory, tenant=factory.SelfAttribute("..tenant"), **kwargs)


class UserFactory(DjangoModelFactory):
    """Users are global rows, but each belongs to the tenant of the root factory."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.LazyFunction(active_or_new_tenant)
    name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.Sequence(lambda n: f"user{n}@factory.test")
    role = "sales"
    password = factory.django.Password(PASSWORD)
