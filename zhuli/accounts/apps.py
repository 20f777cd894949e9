from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhuli.accounts"
    verbose_name = _("用户与组织")

    def ready(self):
        from zhuli.core.scheduler import register_job

        from . import extensions, rules  # noqa: F401
        from .demo import demo_reset_due

        # Hourly check; the interval itself is PlatformSettings.demo_reset_hours (default daily).
        register_job("demo.reset", demo_reset_due, 3600)
