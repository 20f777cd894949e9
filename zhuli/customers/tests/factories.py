"""Customer-side factories for tests that need many rows fast; behaviour tests use the services."""
from __future__ import annotations

import factory

from tests.factories import TenantModelFactory, same_tenant
from zhuli.customers.models import Contact, Customer, CustomerKind
from zhuli.customers.services import customer_search_keys, pool_default
from zhuli.tenancy.context import tenant_context


class CustomerFactory(TenantModelFactory):
    class Meta:
        model = Customer

    kind = CustomerKind.ENTERPRISE
    name = factory.Sequence(lambda n: f"工厂测试{n:04d}有限公司")
    owner = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The derived search / 查重 keys are what the services would have written.
        with tenant_context(kwargs["tenant"]):
            customer = model_class(*args, **kwargs)
            if customer.owner_id is None and customer.pool_id is None:
                customer.pool = pool_default()
            customer_search_keys(customer, [])
            customer.save()
        return customer


class ContactFactory(TenantModelFactory):
    class Meta:
        model = Contact

    customer = same_tenant(CustomerFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
