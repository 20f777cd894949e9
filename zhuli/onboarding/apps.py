from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "zhuli.onboarding"
    verbose_name = _("上手指引")

    def ready(self):
        from . import extensions, rules  # noqa: F401
