from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "zhuli.analytics"
    verbose_name = _("分析")

    def ready(self):
        from . import extensions  # noqa: F401
