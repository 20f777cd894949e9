from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformEvent(models.Model):
    """What the service's operators did outside any one company (platform settings, console sign-ins).
    Global table: operators belong to no tenant. Their actions on a company go into that company's AuditEvent."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=60)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("平台操作记录")
        verbose_name_plural = _("平台操作记录")

    def __str__(self) -> str:
        return self.action
