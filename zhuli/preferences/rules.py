from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import READ, register_module
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import DictionaryItem

# Everyone reads the dictionaries (they fill every picker); only company admins change them.
register_module("dictionaries", _("数据字典"), {r.value: (Scope.ALL, READ) for r in Role}, order=900)
register_scope(DictionaryItem, module="dictionaries")
