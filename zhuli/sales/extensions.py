"""What the sales app plugs into the registries of lower apps (menu, workbench, customer view)."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, Section, customer_sections, menu_entries, settings_pages
from zhuli.tenancy.models import OPPORTUNITY_TRACKING

# The kanban board (board_views.py); opportunity-style companies only.
menu_entries.register("sales.board", MenuEntry(_("销售看板"), "sales:board", icon="kanban", module="opportunities",
                                               feature=OPPORTUNITY_TRACKING), order=26)


def _customer_opportunities(request, customer):
    from .views import customer_opportunities_section

    return customer_opportunities_section(request, customer)


menu_entries.register("sales.list", MenuEntry(_("销售机会"), "sales:list", icon="briefcase", module="opportunities",
                                              feature=OPPORTUNITY_TRACKING), order=25)
customer_sections.register("opportunities", Section(_("销售机会"), _customer_opportunities, feature=OPPORTUNITY_TRACKING),
                           order=15)
settings_pages.register("stages", MenuEntry(_("销售阶段"), "sales:stages", "bar-chart-steps", admin_only=True), order=60)
