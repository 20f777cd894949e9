from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "zhuli.activities"
    verbose_name = _("跟进记录")

    def ready(self):
        from . import extensions, rules  # noqa: F401
