from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class AuditEvent(TenantModel):
    """Who did what to which record, when, with before/after of the key fields (DESIGN §4 rule 9)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("操作人"),
    )
    action = models.CharField(_("操作"), max_length=60)
    target_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    target_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="audit_tenant_created"),
            models.Index(fields=["tenant", "target_type", "target_id"], name="audit_tenant_target"),
        ]
