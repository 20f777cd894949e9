from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreferencesConfig(AppConfig):
    name = "zhuli.preferences"
    verbose_name = _("偏好与数据字典")

    def ready(self):
        from . import extensions, rules  # noqa: F401
