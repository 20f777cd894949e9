from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("等待中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("跳过重复客户")
    UPDATE = "update", _("更新已有客户")
    CREATE = "create", _("仍然新建")


def empty_counts() -> dict:
    return {"created": 0, "updated": 0, "skipped": 0, "failed": 0}


class ImportJob(TenantModel):
    """One upload of a spreadsheet into a resource (customers …): its options, progress and outcome."""

    resource = models.CharField(_("导入对象"), max_length=30, default="customers")
    status = models.CharField(_("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    file = models.CharField(_("文件"), max_length=200, help_text=_("存储中的文件名"))
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    on_duplicate = models.CharField(_("重复时"), max_length=10, choices=OnDuplicate.choices, default=OnDuplicate.SKIP)
    dry_run = models.BooleanField(_("仅预览"), default=False)
    # {"<column index>": "<field name>"}; an empty mapping means "map automatically".
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    counts = models.JSONField(_("结果统计"), default=empty_counts)
    # [{"row", "column", "message"}], capped (see services.ERRORS_KEPT); counts["failed"] stays exact.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    progress = models.PositiveIntegerField(_("已处理行数"), default=0)
    total = models.PositiveIntegerField(_("总行数"), default=0)
    error_file = models.CharField(_("失败行文件"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("导入人"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("默认负责人"),
    )
    # Imported straight into this pool (公海): the new customers have no owner.
    pool = models.ForeignKey("customers.Pool", null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("导入到公海"))
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # A preview (dry run) confirmed by the user points at the real import made from it, once.
    imported_as = models.ForeignKey("self", null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("确认后的导入"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        indexes = [models.Index(fields=["tenant", "created_by", "created_at"], name="imports_job_creator")]

    def __str__(self) -> str:
        return self.original_name or f"#{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return min(100, self.progress * 100 // self.total) if self.total else 0

    def count(self, name: str) -> int:
        return int((self.counts or {}).get(name, 0))
