"""What onboarding plugs in: the 制度规范 menu entry, the getting-started workbench card, the new-tenant step."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, Section, menu_entries, tenant_setup, workbench_cards

menu_entries.register("onboarding.norms", MenuEntry(_("制度规范"), "onboarding:norms", icon="journal-text",
                                                    module="norms"), order=95)


def _checklist_card(request, actor):
    from .views import checklist_card

    return checklist_card(request, actor)


# Only while the company's checklist is open: a flag in Tenant.features, so done companies pay no query.
workbench_cards.register("onboarding.checklist", Section(_("上手指引"), _checklist_card,
                                                         feature=("checklist_open", (True,))), order=5)


def _install(*, tenant, actor):
    from .services import onboarding_install

    onboarding_install(tenant=tenant, actor=actor)


tenant_setup.register("onboarding.start", _install, order=90)
