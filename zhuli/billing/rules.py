from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import ALL_ACTIONS, register_module, sales_defaults
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import Invoice, Payment, PaymentPlan, ReceivableDue, ReceivableTotal


def _money_defaults():
    defaults = sales_defaults()
    defaults[str(Role.FINANCE)] = (str(Scope.ALL), ALL_ACTIONS)  # finance records, confirms and issues
    return defaults


# Plans and payments are one module (回款); invoices another (发票). Rows carry a copy of the agreement's owner.
register_module("payments", _("回款"), _money_defaults(), order=45)
register_module("invoices", _("发票"), _money_defaults(), order=50)
register_scope(PaymentPlan, module="payments", owner_field="owner")
register_scope(Payment, module="payments", owner_field="owner")
register_scope(Invoice, module="invoices", owner_field="owner")
# The receivables rollups answer for the rows they sum: agreements (totals) and instalments (aging).
register_scope(ReceivableTotal, module="agreements", owner_field="owner")
register_scope(ReceivableDue, module="payments", owner_field="owner")
