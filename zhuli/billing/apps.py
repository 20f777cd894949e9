from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "zhuli.billing"
    verbose_name = _("回款与发票")

    def ready(self):
        from zhuli.tenancy.services import FEATURE_VALUES

        from . import extensions, rules  # noqa: F401
        from .tax import TAX_METHODS

        # 发票设置: the tax method is a tenant feature like contracts / orders (tenant_features_set checks it).
        FEATURE_VALUES.setdefault("invoice_tax_method", TAX_METHODS)
