from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import register_module, sales_defaults
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import FollowUp, Todo

_defaults = sales_defaults(sales_actions=frozenset({"view", "create", "edit", "delete"}))
_defaults[Role.SERVICE.value] = (Scope.ALL, frozenset({"view", "create"}))
_defaults[Role.FINANCE.value] = (Scope.ALL, frozenset({"view"}))
register_module("followups", _("跟进记录"), _defaults, order=20)
# Follow-ups and todos are seen through their customer: whoever sees the customer sees its history.
register_scope(FollowUp, module="followups", via="customer")
register_scope(Todo, module="followups", via="customer")



def _register_hooks():
    from zhuli.core.registry import customer_delete_hooks, owner_change_hooks

    from .services import followups_delete_for_customer, todos_follow_new_owner

    owner_change_hooks.register("activities.todos", todos_follow_new_owner)
    customer_delete_hooks.register("activities.followups", followups_delete_for_customer)


_register_hooks()
