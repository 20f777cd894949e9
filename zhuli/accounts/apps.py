from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhuli.accounts"
    verbose_name = _("用户与组织")

    def ready(self):
        from . import extensions, rules  # noqa: F401
