from django.utils.translation import gettext_lazy as _

from zhuli.access.modules import ALL_ACTIONS, READ, register_module
from zhuli.access.roles import Role, Scope
from zhuli.access.scoping import register_scope

from .models import Document, DocumentStatus, OnboardingState

# Norms and policies are published to the whole company; the boss (and company admins) write them.
register_module("norms", _("制度规范"),
                {r.value: (Scope.ALL, ALL_ACTIONS if r == Role.BOSS else READ) for r in Role}, order=850)


def may_edit_documents(actor) -> bool:
    return actor.is_admin or actor.can("norms", "edit")


def _documents(qs, actor):
    # Drafts are the writers' work in progress; everyone else reads only what was published.
    return qs if may_edit_documents(actor) else qs.filter(status=DocumentStatus.PUBLISHED)


register_scope(Document, module="norms", custom=_documents)
# The company's progress is no secret inside it; only admins and the boss change it (services).
register_scope(OnboardingState, module="norms", custom=lambda qs, actor: qs)
