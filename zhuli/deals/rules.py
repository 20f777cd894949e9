from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import register_module, sales_defaults
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import Agreement, AgreementLine, Attachment, NumberingRule, Quote, QuoteLine

_agreements = sales_defaults()
# Finance works on every agreement (DESIGN §1); keepers read orders to ship them.
_agreements[str(Role.FINANCE)] = (str(Scope.ALL), frozenset({"view", "edit", "export"}))
_agreements[str(Role.KEEPER)] = (str(Scope.ALL), frozenset({"view"}))
register_module("agreements", _("合同/订单"), _agreements, order=40)
register_module("quotes", _("报价单"), sales_defaults(), order=35)

register_scope(Agreement, module="agreements", owner_field="owner")
register_scope(AgreementLine, module="agreements", via="agreement")
register_scope(Attachment, module="agreements", via="agreement")
register_scope(Quote, module="quotes", owner_field="owner")
register_scope(QuoteLine, module="quotes", via="quote")
register_scope(NumberingRule, module="agreements", custom=lambda qs, actor: qs)


def _register_setup():
    from zhuli.core.registry import (
        OwnedRecords,
        customer_delete_guards,
        opportunity_delete_guards,
        opportunity_status_guards,
        owned_records,
        tenant_setup,
    )

    from .services import (
        agreements_guard_customer_delete,
        agreements_guard_opportunity_delete,
        agreements_guard_opportunity_status,
        agreements_owned_count,
        agreements_transfer_all,
        numbering_install_defaults,
    )

    customer_delete_guards.register("deals.agreements", agreements_guard_customer_delete)
    opportunity_delete_guards.register("deals.agreements", agreements_guard_opportunity_delete)
    opportunity_status_guards.register("deals.agreements", agreements_guard_opportunity_status)
    tenant_setup.register("deals.numbering", numbering_install_defaults, order=40)
    owned_records.register("agreements", OwnedRecords(_("合同/订单/报价单"), agreements_owned_count,
                                                      agreements_transfer_all), order=6)


_register_setup()
