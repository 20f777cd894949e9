from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import ALL_ACTIONS, READ, register_module
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import Product, ProductCategory

_EDIT = frozenset({"view", "create", "edit", "export"})
# The catalogue is not owned: every role reads all of it; who maintains it is the action grant.
register_module("products", _("产品"), {
    Role.BOSS: (Scope.ALL, ALL_ACTIONS),
    Role.DIRECTOR: (Scope.ALL, _EDIT),
    Role.MANAGER: (Scope.ALL, _EDIT),
    Role.ASSISTANT: (Scope.ALL, _EDIT),
    Role.KEEPER: (Scope.ALL, _EDIT),
    Role.SALES: (Scope.ALL, READ),
    Role.SERVICE: (Scope.ALL, READ),
    Role.FINANCE: (Scope.ALL, frozenset({"view", "export"})),
}, order=30)
register_scope(Product, module="products", custom=lambda qs, actor: qs)
register_scope(ProductCategory, module="products", custom=lambda qs, actor: qs)
