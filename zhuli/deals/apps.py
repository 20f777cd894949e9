from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "zhuli.deals"
    verbose_name = _("合同与订单")

    def ready(self):
        from . import extensions, rules  # noqa: F401
