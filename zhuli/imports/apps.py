from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "zhuli.imports"
    verbose_name = _("导入导出")

    def ready(self):
        from . import extensions, rules  # noqa: F401
