from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel


class SetupStep(models.TextChoices):
    """The first-run setup's pages, in order: the guide's four decisions, then company and users."""

    CUSTOMERS = "customers", _("客户类型")
    AGREEMENTS = "agreements", _("合同与订单")
    TRACKING = "tracking", _("跟踪方式")
    INVENTORY = "inventory", _("库存")
    COMPANY = "company", _("公司资料")
    USERS = "users", _("添加同事")


STEPS = list(SetupStep.values)


class ManualTick(models.TextChoices):
    """Checklist items no record can prove: the boss ticks them by hand."""

    TRAINING = "training", _("培训")
    POLICIES = "policies", _("配套制度")


class OnboardingState(TenantModel):
    """Where the company is in its first-run setup and getting-started checklist: one row per tenant."""

    step = models.CharField(_("当前步骤"), max_length=20, choices=SetupStep.choices, default=SetupStep.CUSTOMERS)
    steps_done = models.JSONField(_("已完成的步骤"), default=list, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    skipped_at = models.DateTimeField(_("跳过时间"), null=True, blank=True)
    ticks = models.JSONField(_("手动勾选"), default=dict, blank=True)
    dismissed_at = models.DateTimeField(_("关闭指引时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("上手进度")
        verbose_name_plural = _("上手进度")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="onboarding_state_one_per_tenant")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @property
    def setup_finished(self) -> bool:
        return self.completed_at is not None or self.skipped_at is not None


class DocumentKind(models.TextChoices):
    NORM = "norm", _("操作规范")
    POLICY = "policy", _("配套制度")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Document(TenantModel):
    """An operating norm (使用规范) or supporting policy (考核、奖惩…) the boss writes and publishes to everyone."""

    kind = models.CharField(_("类别"), max_length=10, choices=DocumentKind.choices, default=DocumentKind.NORM)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # Users are a global table: no single-column index on them (DESIGN §8); nobody searches by these.
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("发布人"), db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"), db_index=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("制度规范")
        verbose_name_plural = _("制度规范")
        indexes = [models.Index(fields=["tenant", "status", "kind"], name="onboarding_doc_status_kind")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == DocumentStatus.PUBLISHED
