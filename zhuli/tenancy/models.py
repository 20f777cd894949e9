from __future__ import annotations

import datetime
import zoneinfo

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .context import require_tenant


class TenantKind(models.TextChoices):
    TRIAL = "trial", _("试用")
    FORMAL = "formal", _("正式")
    DEMO = "demo", _("演示")


class TenantStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    EXPIRED = "expired", _("已过期")
    SUSPENDED = "suspended", _("已停用")


class TrackingStyle(models.TextChoices):
    CUSTOMER = "customer", _("客户式跟踪")
    OPPORTUNITY = "opportunity", _("机会式跟踪")
    BOTH = "both", _("两者都用")


# The registry condition (zhuli.core.registry.Feature) of everything opportunity-style: menus, board, funnel,
# workbench cards and the customer view's opportunities section hide in customer-style companies.
OPPORTUNITY_TRACKING = ("tracking_style", frozenset({TrackingStyle.OPPORTUNITY.value, TrackingStyle.BOTH.value}))


# Which customer kinds the company uses (first-run setup); the create form and API offer only those.
CUSTOMER_KINDS_IN_USE = {"enterprise": ("enterprise",), "individual": ("individual",),
                         "both": ("enterprise", "individual")}
AGREEMENTS = ("contract", "order", "both")


def default_features() -> dict:
    return {"tracking_style": TrackingStyle.BOTH, "agreements": "both", "inventory": False, "customer_kinds": "both"}


class Tenant(models.Model):
    """A company using Zhuli. Global table: it is what every other row points at."""

    name = models.CharField(_("公司名称"), max_length=100)
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    kind = models.CharField(_("帐户类型"), max_length=10, choices=TenantKind.choices, default=TenantKind.TRIAL)
    status = models.CharField(_("状态"), max_length=10, choices=TenantStatus.choices, default=TenantStatus.ACTIVE)
    max_users = models.PositiveIntegerField(_("用户数上限"), default=10)
    max_bosses = models.PositiveIntegerField(_("老板席位上限"), default=2)
    trial_ends_on = models.DateField(_("试用截止日"), null=True, blank=True)
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    logo = models.CharField(_("标志"), max_length=200, blank=True, help_text=_("存储中的文件名"))
    features = models.JSONField(_("功能开关"), default=default_features)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    website = models.CharField(_("网址"), max_length=200, blank=True)
    introduction = models.TextField(_("公司简介"), blank=True)
    # A formal account's paid-until day (None: open-ended); trials use trial_ends_on.
    service_ends_on = models.DateField(_("服务截止日"), null=True, blank=True)
    # The tenant's day its trial expired; the grace period (PlatformSettings.grace_days) counts from it.
    expired_on = models.DateField(_("过期日"), null=True, blank=True)
    signup_ip = models.GenericIPAddressField(_("注册 IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = _("租户")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> datetime.date:
        """The tenant's calendar day, whatever the server's zone."""
        return timezone.now().astimezone(self.zone).date()

    def feature(self, name: str):
        return {**default_features(), **(self.features or {})}.get(name)

    @property
    def read_only(self) -> bool:
        """Expired (and suspended) companies may read and export but not write (access.scoping.require)."""
        return self.status != TenantStatus.ACTIVE

    @property
    def ends_on(self) -> datetime.date | None:
        """The last day of service: the trial's end for trials, the paid-until day for formal accounts."""
        if self.kind == TenantKind.TRIAL:
            return self.trial_ends_on
        if self.kind == TenantKind.FORMAL:
            return self.service_ends_on
        return None


def read_only_message(tenant: Tenant) -> str:
    """Why a company may only read: the banner on every page and the refusal of every write."""
    if tenant.status == TenantStatus.SUSPENDED:
        return str(_("公司帐户已停用，请联系客服"))
    if tenant.kind == TenantKind.TRIAL:
        return str(_("试用已到期，帐户为只读。请联系我们转为正式帐户；您仍可导出数据"))
    return str(_("服务已到期，帐户为只读。请联系我们续费；您仍可导出数据"))


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Filters every query on the active tenant and refuses to run without one (STYLE 1)."""

    def get_queryset(self):
        return super().get_queryset().filter(tenant=require_tenant())


class TenantModel(models.Model):
    """Base of every business model: a non-null tenant and a manager that never crosses it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, verbose_name=_("租户"), related_name="+")

    objects = TenantManager()
    # The one unscoped door; only code under zhuli/tenancy may use it (tests/test_architecture.py).
    all_tenants = models.Manager()  # noqa: DJ012 (a manager, which ruff takes for a field)

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"
        default_manager_name = "objects"

    def save(self, *args, **kwargs):
        if self.tenant_id is None:
            self.tenant = require_tenant()
        super().save(*args, **kwargs)


class PlatformSettings(models.Model):
    """The operator's defaults for new trials and sign-up abuse limits; one row (pk 1), edited in the console."""

    trial_days = models.PositiveIntegerField(_("试用天数"), default=15)
    trial_max_users = models.PositiveIntegerField(_("试用用户数上限"), default=10)
    trial_max_bosses = models.PositiveIntegerField(_("试用老板席位上限"), default=2)
    grace_days = models.PositiveIntegerField(_("过期后保留天数"), default=30)
    signups_per_ip_per_hour = models.PositiveIntegerField(_("每个 IP 每小时注册上限"), default=5)
    demo_reset_hours = models.PositiveIntegerField(_("演示帐户重置间隔（小时）"), default=24)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("平台设置")
        verbose_name_plural = _("平台设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> PlatformSettings:
        return cls.objects.get_or_create(pk=1)[0]
