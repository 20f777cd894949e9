from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import register_module, sales_defaults
from zhuli.access.roles import Role
from zhuli.access.scoping import register_scope

from .models import Contact, Customer, CustomerCap, OwnerChange, Pool, PoolDepartment, PoolRule, RecentView

register_module("customers", _("客户"), sales_defaults(read_all_roles=(Role.SERVICE, Role.FINANCE)), order=10)


def _pool_customers(actor):
    from .selectors import pool_ids_visible

    return {"pool_id__in": pool_ids_visible(actor)}


# Customers without an owner are seen by the members of their pool (公海), not by everyone (DESIGN §1).
register_scope(Customer, module="customers", owner_field="owner", ownerless=_pool_customers)
register_scope(Contact, module="customers", via="customer")
register_scope(OwnerChange, module="customers", via="customer")
# Pools and their rules are the tenant's configuration: every user with the customers module reads them.
register_scope(Pool, module="customers", custom=lambda qs, actor: qs)
register_scope(PoolDepartment, module="customers", custom=lambda qs, actor: qs)
register_scope(PoolRule, module="customers", custom=lambda qs, actor: qs)
register_scope(CustomerCap, module="customers", custom=lambda qs, actor: qs)
register_scope(RecentView, module="customers", custom=lambda qs, actor: qs.filter(user_id=actor.user_id))



def _register_owned():
    from zhuli.core.registry import OwnedRecords, owned_records, tenant_setup

    from .services import customers_owned_count, customers_transfer_all, pools_install_defaults

    owned_records.register("customers", OwnedRecords(_("客户"), customers_owned_count, customers_transfer_all), order=10)
    tenant_setup.register("customers.default_pool", pools_install_defaults, order=10)

    from zhuli.core.scheduler import register_job

    from .services import pools_auto_return_all

    # Hourly, but the limits count the tenant's whole calendar days: a tenant's customers move once a day.
    register_job("pools.auto_return", pools_auto_return_all, 3600)


_register_owned()
