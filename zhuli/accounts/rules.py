from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import READ, register_module
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import Department, User

# Everyone sees colleagues and departments (owner pickers, the org tree); only admins change them.
register_module("organisation", _("用户与部门"), {r.value: (Scope.ALL, READ) for r in Role}, order=800)
register_scope(User, module="organisation", custom=lambda qs, actor: qs.filter(tenant=actor.tenant))
register_scope(Department, module="organisation")
