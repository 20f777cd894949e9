from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "zhuli.customers"
    verbose_name = _("客户")

    def ready(self):
        from . import extensions, rules  # noqa: F401
