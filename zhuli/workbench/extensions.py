"""UI extension entries this app registers: the 工作台 menu item. Other modules add their cards to
core.registry.workbench_cards (Section(title, render(request, actor) -> HTML)); the page shows them."""
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, Section, menu_entries, workbench_cards
from zhuli.tenancy.models import OPPORTUNITY_TRACKING

from .selectors import opportunities_closing, opportunities_stale

menu_entries.register("workbench", MenuEntry(_("工作台"), "workbench:home", icon="speedometer2"), order=10)


# ---- opportunity cards: hidden in customer-style companies, first in opportunity-style ones --------------

def _closing_card(request, actor) -> str:
    if not actor.can("opportunities", "view"):
        return ""
    return render_to_string("workbench/partials/card_closing.html", {"data": opportunities_closing(actor=actor)},
                            request=request)


def _stale_card(request, actor) -> str:
    if not actor.can("opportunities", "view"):
        return ""
    return render_to_string("workbench/partials/card_stale.html", {"data": opportunities_stale(actor=actor)},
                            request=request)


workbench_cards.register("opportunities.closing", Section(_("本月预计成交"), _closing_card, feature=OPPORTUNITY_TRACKING),
                         order=20)
workbench_cards.register("opportunities.stale", Section(_("停滞的机会"), _stale_card, feature=OPPORTUNITY_TRACKING),
                         order=30)
