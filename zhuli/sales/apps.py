from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "zhuli.sales"
    verbose_name = _("销售机会")

    def ready(self):
        from . import extensions, rules  # noqa: F401
