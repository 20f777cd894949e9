from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "zhuli.platform"
    verbose_name = _("平台运营")
