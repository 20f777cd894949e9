"""UI extension entries this app registers: the 跟进记录 menu item and the customer view's follow-up
section (quick-add, open todos, timeline) — through the registry, so customers never imports us."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, Section, customer_sections, menu_entries, opportunity_sections


def _followups(request, customer):
    from .views import followups_section

    return followups_section(request, customer)


menu_entries.register("followups", MenuEntry(_("跟进记录"), "activities:list", icon="chat-left-text",
                                             module="followups"), order=30)
customer_sections.register("followups", Section(_("跟进记录"), _followups), order=10)


def _opportunity_followups(request, opportunity):
    from .views import opportunity_followups_section

    return opportunity_followups_section(request, opportunity)


opportunity_sections.register("followups", Section(_("跟进记录"), _opportunity_followups), order=10)
