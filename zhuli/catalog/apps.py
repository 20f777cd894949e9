from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "zhuli.catalog"
    verbose_name = _("产品")

    def ready(self):
        from . import extensions, rules  # noqa: F401
