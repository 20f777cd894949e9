"""UI entries of the analytics app: the 销售漏斗 menu item (opportunity-style companies only)."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, menu_entries
from zhuli.tenancy.models import OPPORTUNITY_TRACKING

menu_entries.register("analytics.funnel", MenuEntry(_("销售漏斗"), "analytics:funnel", icon="funnel",
                                                    module="opportunities", feature=OPPORTUNITY_TRACKING), order=60)
