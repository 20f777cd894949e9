from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhuli.core.models import Region
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.models import TenantModel

from .fields import BigramArrayField


class CustomerKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业客户")
    INDIVIDUAL = "individual", _("个人客户")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Lifecycle(models.TextChoices):
    POTENTIAL = "potential", _("潜在")
    SIGNED = "signed", _("签约")
    REPEAT = "repeat", _("重复购买")
    LAPSED = "lapsed", _("失效")


def _dict_fk(label, related_name):
    return models.ForeignKey(
        DictionaryItem, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name=related_name,
        verbose_name=label,
    )


def _region_fk(label, related_name):
    return models.ForeignKey(
        Region, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name=related_name, verbose_name=label,
    )


class Pool(TenantModel):
    """公海: where customers without an owner live. Members (of the listed departments and their
    sub-departments; everyone when none is listed) see and claim its customers."""

    name = models.CharField(_("公海名称"), max_length=60)
    is_default = models.BooleanField(_("默认公海"), default=False)
    warn_days = models.PositiveSmallIntegerField(_("提前提醒天数"), default=3)
    order = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公海")
        verbose_name_plural = _("公海")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="customers_pool_unique_name"),
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_default=True),
                                    name="customers_pool_one_default"),
        ]

    def __str__(self) -> str:
        return self.name


class PoolDepartment(TenantModel):
    pool = models.ForeignKey(Pool, db_index=False, on_delete=models.CASCADE, related_name="members",
                             verbose_name=_("公海"))
    department = models.ForeignKey("accounts.Department", db_index=False, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("成员部门"))

    class Meta:
        verbose_name = _("公海成员部门")
        verbose_name_plural = _("公海成员部门")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "pool", "department"], name="customers_pooldept_unique")
        ]


class PoolRule(TenantModel):
    """An auto-return rule of a pool (run daily by customers.services.pools_auto_return).

    It governs the owned customers whose `pool` is this pool (customers without a pool belong to the default
    one). A rule for a customer level replaces the pool's general rule (level empty) for customers of that
    level; a level rule with neither limit exempts that level; inactive rules count as absent, and a pool
    without active rules keeps its customers. A customer is due when `no_followup_days` is set and
    max(owned_since, last_followup_at) lies more than that many of the tenant's calendar days back, or when
    `no_deal_days` is set and max(owned_since, last_won_at) does (a missing date counts from owned_since, else
    created_at): owned on 1 March with a 30-day limit, it returns on 1 April. The owner log records why
    ("超过 30 天未跟进" / "超过 180 天未成交"); owners see it coming `Pool.warn_days` ahead on the workbench."""

    pool = models.ForeignKey(Pool, db_index=False, on_delete=models.CASCADE, related_name="rules", verbose_name=_("公海"))
    level = models.ForeignKey(DictionaryItem, null=True, blank=True, db_index=False, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("客户等级"))
    no_followup_days = models.PositiveSmallIntegerField(_("未跟进天数"), null=True, blank=True)
    no_deal_days = models.PositiveSmallIntegerField(_("未成交天数"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("自动回收规则")
        verbose_name_plural = _("自动回收规则")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "pool", "level"], name="customers_poolrule_unique_level"),
            models.UniqueConstraint(fields=["tenant", "pool"], condition=models.Q(level__isnull=True),
                                    name="customers_poolrule_one_general"),
        ]


class CustomerCap(TenantModel):
    """The most customers one person may own: per role, or per user (which wins)."""

    role = models.CharField(_("角色"), max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                             on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    limit = models.PositiveIntegerField(_("客户上限"))

    class Meta:
        verbose_name = _("客户上限")
        verbose_name_plural = _("客户上限")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "role"], condition=models.Q(user__isnull=True),
                                    name="customers_cap_unique_role"),
            models.UniqueConstraint(fields=["tenant", "user"], condition=models.Q(user__isnull=False),
                                    name="customers_cap_unique_user"),
        ]


class Customer(TenantModel):
    """An enterprise or individual customer; the kind decides which fields the forms show."""

    kind = models.CharField(_("客户类型"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.ENTERPRISE)
    name = models.CharField(_("客户名称"), max_length=200)
    number = models.CharField(_("客户编号"), max_length=40, blank=True)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    english_name = models.CharField(_("英文名称"), max_length=200, blank=True)
    external_code = models.CharField(_("外部编码"), max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("负责人"),
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("所属部门"),
    )
    # The pool the customer lives in when it has no owner, and returns to when released.
    pool = models.ForeignKey(Pool, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属公海"))
    owned_since = models.DateTimeField(_("领取/分配时间"), null=True, blank=True)
    pooled_at = models.DateTimeField(_("进入公海时间"), null=True, blank=True)
    last_won_at = models.DateTimeField(_("最近成交"), null=True, blank=True)
    source = _dict_fk(_("客户来源"), "+")
    industry = _dict_fk(_("行业"), "+")
    level = _dict_fk(_("客户等级"), "+")
    status = _dict_fk(_("客户状态"), "+")
    customer_type = _dict_fk(_("客户分类"), "+")
    staff_size = _dict_fk(_("人员规模"), "+")
    lifecycle = models.CharField(_("生命周期"), max_length=12, choices=Lifecycle.choices, default=Lifecycle.POTENTIAL)
    # Kept by customer_mark_signed from the agreements put in force (DESIGN §9).
    first_signed_on = models.DateField(_("首次签约日期"), null=True, blank=True)
    province = _region_fk(_("省份"), "+")
    city = _region_fk(_("城市"), "+")
    district = _region_fk(_("区县"), "+")
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("电话"), max_length=60, blank=True)
    website = models.CharField(_("网址"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    introduction = models.TextField(_("公司简介"), blank=True)
    # individual customers
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    mobile = models.CharField(_("手机"), max_length=40, blank=True)
    email = models.CharField(_("邮箱"), max_length=254, blank=True)
    wechat = models.CharField(_("微信"), max_length=60, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    tags = models.CharField(_("标签"), max_length=300, blank=True, help_text=_("多个标签用逗号分隔"))
    # 开票信息: the profile invoices are issued to (copied onto each invoice when it is issued).
    invoice_title = models.CharField(_("发票抬头"), max_length=200, blank=True)
    invoice_tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    invoice_bank = models.CharField(_("开户银行"), max_length=100, blank=True)
    invoice_account = models.CharField(_("银行账号"), max_length=40, blank=True)
    invoice_address = models.CharField(_("开票地址"), max_length=200, blank=True)
    invoice_phone = models.CharField(_("开票电话"), max_length=40, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    last_followup_at = models.DateTimeField(_("最近跟进"), null=True, blank=True)
    next_followup_at = models.DateTimeField(_("下次跟进"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Derived keys, rebuilt by the services on every write (see zhuli.core.text).
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    name_core = models.CharField(max_length=200, blank=True, editable=False)
    phone_keys = models.CharField(max_length=200, blank=True, editable=False)
    website_host = models.CharField(max_length=200, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    search_bigrams = BigramArrayField(blank=True, default=list, editable=False)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["tenant", "owner", "next_followup_at", "id"], name="customers_owner_next"),
            models.Index(fields=["tenant", "next_followup_at", "id"], name="customers_next"),
            models.Index(fields=["tenant", "owner", "status", "next_followup_at"], name="customers_owner_status"),
            models.Index(fields=["tenant", "created_at"], name="customers_created"),
            models.Index(fields=["tenant", "last_followup_at"], name="customers_last_followup"),
            models.Index(fields=["tenant", "name_key"], name="customers_name_key"),
            models.Index(fields=["tenant", "name_core"], name="customers_name_core"),
            models.Index(fields=["tenant", "credit_code"], name="customers_credit_code"),
            models.Index(fields=["tenant", "website_host"], name="customers_website_host"),
            models.Index(fields=["tenant", "pool", "pooled_at"], name="customers_in_pool",
                         condition=models.Q(owner__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(owner__isnull=False) | models.Q(pool__isnull=False),
                                   name="customers_ownerless_in_pool"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_enterprise(self) -> bool:
        return self.kind == CustomerKind.ENTERPRISE

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(",") if t]


class Contact(TenantModel):
    """A person at an enterprise customer."""

    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    department_name = models.CharField(_("部门"), max_length=60, blank=True)
    mobile = models.CharField(_("手机"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.CharField(_("邮箱"), max_length=254, blank=True)
    wechat = models.CharField(_("微信"), max_length=60, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    is_primary = models.BooleanField(_("首要联系人"), default=False)
    has_left = models.BooleanField(_("已离职"), default=False)
    remarks = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        indexes = [models.Index(fields=["tenant", "customer"], name="customers_contact_customer")]

    def __str__(self) -> str:
        return self.name


class OwnerChange(TenantModel):
    """The owner-change log: every transfer (and later claim, assign, release) of a customer."""

    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="owner_changes",
                                 verbose_name=_("客户"))
    from_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("原负责人"))
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("新负责人"))
    kind = models.CharField(_("方式"), max_length=20, default="transfer")
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("操作人"))
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("负责人变更")
        verbose_name_plural = _("负责人变更记录")
        indexes = [models.Index(fields=["tenant", "customer", "changed_at"], name="customers_ownerchg_cust")]


class RecentView(TenantModel):
    """Customers a user opened lately, for the workbench."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, db_index=False, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField(_("查看时间"))

    class Meta:
        verbose_name = _("最近查看")
        verbose_name_plural = _("最近查看")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user", "customer"], name="customers_recentview_unique")
        ]
        indexes = [models.Index(fields=["tenant", "user", "viewed_at"], name="customers_recentview_user")]
