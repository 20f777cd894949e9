from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class Region(models.Model):
    """GB/T 2260 province / city / district; global reference data that points at nothing tenant-owned."""

    code = models.CharField(_("行政区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    short_name = models.CharField(_("简称"), max_length=50, db_index=True)
    level = models.PositiveSmallIntegerField(_("级别"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ScheduledJob(models.Model):
    """One row per periodic job; the worker claims a due run with a conditional update (DESIGN §4 rule 7)."""

    name = models.CharField(_("任务"), max_length=100, unique=True)
    interval_seconds = models.PositiveIntegerField(_("间隔（秒）"))
    next_run_at = models.DateTimeField(_("下次运行"))
    last_run_at = models.DateTimeField(_("上次运行"), null=True, blank=True)
    last_status = models.CharField(_("上次结果"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.name


class Sequence(TenantModel):
    """A per-tenant counter for document numbers, advanced with a conditional update (rule 4)."""

    name = models.CharField(_("名称"), max_length=50)
    value = models.PositiveBigIntegerField(_("当前值"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="core_sequence_tenant_name")]
