"""UI extension entries this app registers: the 工作台 menu item. Other modules add their cards to
core.registry.workbench_cards (Section(title, render(request, actor) -> HTML)); the page shows them."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, menu_entries

menu_entries.register("workbench", MenuEntry(_("工作台"), "workbench:home", icon="speedometer2"), order=10)
