from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import register_module, sales_defaults
from zhuli.access.roles import Role
from zhuli.access.scoping import register_scope

from .models import Contact, Customer, OwnerChange, RecentView

register_module("customers", _("客户"), sales_defaults(read_all_roles=(Role.SERVICE, Role.FINANCE)), order=10)
register_scope(Customer, module="customers", owner_field="owner")
register_scope(Contact, module="customers", via="customer")
register_scope(OwnerChange, module="customers", via="customer")
register_scope(RecentView, module="customers", custom=lambda qs, actor: qs.filter(user_id=actor.user_id))



def _register_owned():
    from zhuli.core.registry import OwnedRecords, owned_records

    from .services import customers_owned_count, customers_transfer_all

    owned_records.register("customers", OwnedRecords(_("客户"), customers_owned_count, customers_transfer_all), order=10)


_register_owned()
