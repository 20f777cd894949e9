from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zhuli.audit"
    verbose_name = _("操作日志")

    def ready(self):
        from . import extensions, rules  # noqa: F401
