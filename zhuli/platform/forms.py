"""Console forms: they shape input; the tenancy and platform services judge it."""
from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import PlatformSettings


class SettingsForm(forms.Form):
    """PlatformSettings' six numbers; bounds are the service's (platform.services.SETTINGS_BOUNDS)."""

    trial_days = forms.IntegerField(label=_("试用天数"), min_value=0)
    trial_max_users = forms.IntegerField(label=_("试用用户数上限"), min_value=0)
    trial_max_bosses = forms.IntegerField(label=_("试用老板席位上限"), min_value=0)
    grace_days = forms.IntegerField(label=_("过期后保留天数"), min_value=0,
                                    help_text=_("试用或服务到期后只读、可导出，数据保留这么多天"))
    signups_per_ip_per_hour = forms.IntegerField(label=_("每个 IP 每小时注册上限"), min_value=0)
    demo_reset_hours = forms.IntegerField(label=_("演示帐户重置间隔（小时）"), min_value=0,
                                          help_text=_("0 表示不自动重置；控制台仍可随时重置"))

    @classmethod
    def for_current(cls, data=None):
        row = PlatformSettings.current()
        return cls(data, initial={name: getattr(row, name) for name in cls.base_fields})
