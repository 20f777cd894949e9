"""UI extension entries (menu, sections, cards, settings pages) this app registers."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhuli.core.registry import MenuEntry, settings_pages

# Settings pages are MenuEntry values too (label, url_name, icon); the settings index lists them.
settings_pages.register("users", MenuEntry(_("用户"), "accounts:user_list", "people", admin_only=True), order=20)
settings_pages.register("departments", MenuEntry(pgettext_lazy("heading", "部门"), "accounts:department_list", "diagram-3", admin_only=True),
                        order=30)
