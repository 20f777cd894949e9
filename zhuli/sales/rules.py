from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import register_module, sales_defaults
from zhuli.access.roles import Role
from zhuli.access.scoping import register_scope

from .models import Opportunity, Stage, StageChange

register_module("opportunities", _("销售机会"), sales_defaults(read_all_roles=(Role.FINANCE,)), order=15)
register_scope(Opportunity, module="opportunities", owner_field="owner")
register_scope(StageChange, module="opportunities", via="opportunity")
# Stages are the tenant's configuration: everyone with the module reads them, admins edit them.
register_scope(Stage, module="opportunities", custom=lambda qs, actor: qs)


def _register_setup():
    from zhuli.core.registry import (
        OwnedRecords,
        customer_delete_guards,
        customer_delete_hooks,
        owned_records,
        owner_change_hooks,
        tenant_setup,
    )

    from .services import (
        opportunities_delete_for_customer,
        opportunities_follow_customer_owner,
        opportunities_guard_customer_delete,
        opportunities_owned_count,
        opportunities_transfer_all,
        stages_install_defaults,
    )

    customer_delete_hooks.register("sales.opportunities", opportunities_delete_for_customer)
    customer_delete_guards.register("sales.opportunities", opportunities_guard_customer_delete)
    owner_change_hooks.register("sales.opportunities", opportunities_follow_customer_owner)

    tenant_setup.register("sales.default_stages", stages_install_defaults, order=20)
    # Before customers (order 10): a departing user's opportunities, closed ones included, all go to the
    # colleague; the customers' owner-change hook then finds none left of theirs to move.
    owned_records.register("opportunities", OwnedRecords(_("销售机会"), opportunities_owned_count,
                                                         opportunities_transfer_all), order=5)


_register_setup()
