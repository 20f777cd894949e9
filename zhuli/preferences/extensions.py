"""UI extension entries (menu, sections, cards, settings pages) this app registers."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, menu_entries, settings_pages

menu_entries.register("settings", MenuEntry(_("设置"), "preferences:index", "gear", admin_only=True), order=900)

# Settings pages are MenuEntry values (label, url_name, icon): the settings tabs and index list them.
settings_pages.register("company", MenuEntry(_("公司资料"), "preferences:company", "building", admin_only=True),
                        order=10)
settings_pages.register("features", MenuEntry(_("功能设置"), "preferences:features", "toggles", admin_only=True),
                        order=15)
settings_pages.register("permissions", MenuEntry(_("权限"), "preferences:permissions", "shield-lock", admin_only=True),
                        order=40)
settings_pages.register("dictionaries",
                        MenuEntry(_("数据字典"), "preferences:dictionaries", "list-ul", admin_only=True), order=50)
