from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "zhuli.approvals"
    verbose_name = _("审批")

    def ready(self):
        from . import extensions, rules  # noqa: F401
