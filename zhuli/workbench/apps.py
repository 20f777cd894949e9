from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "zhuli.workbench"
    verbose_name = _("工作台")

    def ready(self):
        from . import extensions  # noqa: F401
