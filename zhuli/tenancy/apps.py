from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "zhuli.tenancy"
    verbose_name = _("租户")

    def ready(self):
        from . import extensions  # noqa: F401
