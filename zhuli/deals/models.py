"""Agreements (合同 contracts and 订单 orders in ONE table, so "either, never both" is a column), quotes and the
per-tenant numbering rules. Money: `amount` is always the base currency (CNY); `foreign_amount` is the amount in
the agreement's `currency`, converted with the `exchange_rate` fixed at signing (amount = foreign × rate, rounded
half-up to the cent)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel

MONEY = {"max_digits": 16, "decimal_places": 2}


class AgreementKind(models.TextChoices):
    CONTRACT = "contract", _("合同")
    ORDER = "order", _("订单")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("待审批")
    ACTIVE = "active", _("执行中")          # contracts
    CONFIRMED = "confirmed", _("已确认")    # orders
    COMPLETED = "completed", _("已完成")
    TERMINATED = "terminated", _("已终止")  # contracts
    CANCELLED = "cancelled", _("已取消")    # orders


CONTRACT_STATUSES = ("draft", "pending", "active", "completed", "terminated")
ORDER_STATUSES = ("draft", "pending", "confirmed", "completed", "cancelled")


# Statuses as data (STYLE 9): the allowed moves per kind; services and templates use the predicates on Agreement.
# submit: draft → pending (an approval rule matched) or straight to active / confirmed (none did);
# the approval engine's callbacks: pending → active / confirmed (approved) or back to draft (rejected, withdrawn).
AGREEMENT_TRANSITIONS = {
    "contract": {"draft": {"pending", "active"}, "pending": {"active", "draft"},
                 "active": {"completed", "terminated"}},
    "order": {"draft": {"pending", "confirmed", "cancelled"}, "pending": {"confirmed", "draft"},
              "confirmed": {"completed", "cancelled"}},
}
APPROVED_STATUS = {"contract": "active", "order": "confirmed"}
FINAL_STATUSES = ("completed", "terminated", "cancelled")


def agreement_can_become(kind: str, current: str, target: str) -> bool:
    return target in AGREEMENT_TRANSITIONS.get(kind, {}).get(current, set())


class ShippingState(models.TextChoices):
    NONE = "none", _("未发货")
    PARTIAL = "partial", _("部分发货")
    SHIPPED = "shipped", _("已发货")


class DocType(models.TextChoices):
    """Documents that take a number from a NumberingRule."""
    CONTRACT = "contract", _("合同")
    ORDER = "order", _("订单")
    QUOTE = "quote", _("报价单")
    INVOICE_REQUEST = "invoice_request", _("开票申请")
    PAYMENT = "payment", _("回款单")


DEFAULT_PATTERNS = {
    DocType.CONTRACT: "HT-{yyyy}{mm}-{seq:04}",
    DocType.ORDER: "DD-{yyyy}{mm}-{seq:04}",
    DocType.QUOTE: "BJ-{yyyy}{mm}-{seq:04}",
    DocType.INVOICE_REQUEST: "KP-{yyyy}{mm}-{seq:04}",
    DocType.PAYMENT: "HK-{yyyy}{mm}-{seq:04}",
}


class NumberingRule(TenantModel):
    """How a document type is numbered: a pattern with {yyyy} {yy} {mm} {dd} {seq:0N}; the sequence restarts per
    period (the part of the pattern before {seq}), drawn from a locked core Sequence."""

    doc_type = models.CharField(_("单据类型"), max_length=20, choices=DocType.choices)
    pattern = models.CharField(_("编号规则"), max_length=60)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("编号规则")
        verbose_name_plural = _("编号规则")
        constraints = [models.UniqueConstraint(fields=["tenant", "doc_type"], name="deals_numbering_doc_type")]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.pattern}"


class Quote(TenantModel):
    """报价单: priced lines for a customer (optionally an opportunity); converts into one agreement."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SENT = "sent", _("已发送")
        ACCEPTED = "accepted", _("已接受")
        REJECTED = "rejected", _("已拒绝")
        CONVERTED = "converted", _("已转合同/订单")

    number = models.CharField(_("报价单号"), max_length=40)
    title = models.CharField(_("报价主题"), max_length=200)
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    opportunity = models.ForeignKey("sales.Opportunity", null=True, blank=True, db_index=False,
                                    on_delete=models.SET_NULL, related_name="+", verbose_name=_("销售机会"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    quote_date = models.DateField(_("报价日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    contact_name = models.CharField(_("客户联系人"), max_length=50, blank=True)
    total = models.DecimalField(_("报价总额"), **MONEY, default=0)
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("报价单")
        verbose_name_plural = _("报价单")
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="deals_quote_number")]
        indexes = [
            models.Index(fields=["tenant", "owner", "quote_date"], name="deals_quote_owner"),
            models.Index(fields=["tenant", "customer"], name="deals_quote_customer"),
            models.Index(fields=["tenant", "opportunity"], name="deals_quote_opportunity"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def can_edit(self) -> bool:
        return self.status != self.Status.CONVERTED

    @property
    def can_convert(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SENT, self.Status.ACCEPTED)


class Agreement(TenantModel):
    """A contract or an order — never both (the `kind` column, and check constraints keeping each kind's statuses
    and fields). One opportunity converts into at most one agreement (a partial unique constraint)."""

    kind = models.CharField(_("类型"), max_length=10, choices=AgreementKind.choices)
    number = models.CharField(_("编号"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    opportunity = models.ForeignKey("sales.Opportunity", null=True, blank=True, db_index=False,
                                    on_delete=models.PROTECT, related_name="+", verbose_name=_("销售机会"))
    quote = models.ForeignKey(Quote, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("报价单"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    status = models.CharField(_("状态"), max_length=12, choices=AgreementStatus.choices,
                              default=AgreementStatus.DRAFT)
    sign_date = models.DateField(_("签约日期"), null=True, blank=True)
    # contracts
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    customer_signer = models.CharField(_("客户签约人"), max_length=50, blank=True)
    our_signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("我方签约人"))
    # orders
    shipping_state = models.CharField(_("发货状态"), max_length=10, choices=ShippingState.choices, blank=True)
    delivery_address = models.CharField(_("收货地址"), max_length=300, blank=True)
    delivery_contact = models.CharField(_("收货人"), max_length=50, blank=True)
    delivery_phone = models.CharField(_("收货电话"), max_length=40, blank=True)
    # money
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    exchange_rate = models.DecimalField(_("汇率"), max_digits=12, decimal_places=6, default=1)
    foreign_amount = models.DecimalField(_("原币金额"), **MONEY, default=0)
    amount = models.DecimalField(_("金额"), **MONEY, default=0)
    # Kept by the billing services under a row lock (base currency): confirmed payments, invoices issued or
    # requested, instalments planned. Outstanding is max(amount − received, 0).
    received_amount = models.DecimalField(_("已回款"), **MONEY, default=0)
    invoiced_amount = models.DecimalField(_("已开票"), **MONEY, default=0)
    planned_amount = models.DecimalField(_("已计划回款"), **MONEY, default=0)
    max_discount = models.DecimalField(_("最大折扣（%）"), max_digits=5, decimal_places=2, default=0)
    remarks = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                   on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("合同/订单")
        verbose_name_plural = _("合同/订单")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="deals_agreement_number"),
            # One live agreement per opportunity: a cancelled order (it never happened) frees it for another.
            models.UniqueConstraint(fields=["tenant", "opportunity"],
                                    condition=Q(opportunity__isnull=False) & ~Q(status="cancelled"),
                                    name="deals_agreement_one_per_opportunity"),
            models.CheckConstraint(condition=Q(kind__in=AgreementKind.values), name="deals_agreement_kind"),
            models.CheckConstraint(
                condition=(Q(kind="contract", status__in=CONTRACT_STATUSES, shipping_state="")
                           | Q(kind="order", status__in=ORDER_STATUSES, shipping_state__in=ShippingState.values)),
                name="deals_agreement_kind_fields"),
            models.CheckConstraint(condition=Q(amount__gte=0, foreign_amount__gte=0, exchange_rate__gt=0),
                                   name="deals_agreement_amounts"),
            models.CheckConstraint(condition=Q(received_amount__gte=0, invoiced_amount__gte=0, planned_amount__gte=0),
                                   name="deals_agreement_totals"),
        ]
        indexes = [
            models.Index(fields=["tenant", "kind", "status", "sign_date"], name="deals_agreement_kind_status"),
            models.Index(fields=["tenant", "owner", "kind"], name="deals_agreement_owner"),
            models.Index(fields=["tenant", "customer"], name="deals_agreement_customer"),
            models.Index(fields=["tenant", "end_date"], name="deals_agreement_end"),
            models.Index(fields=["tenant", "quote"], name="deals_agreement_quote"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def outstanding_amount(self):
        return max(self.amount - self.received_amount, 0)

    # Predicates for templates and services (AGREEMENT_TRANSITIONS).
    @property
    def is_contract(self) -> bool:
        return self.kind == AgreementKind.CONTRACT

    @property
    def approved_status(self) -> str:
        return APPROVED_STATUS[self.kind]

    @property
    def can_submit(self) -> bool:
        return self.status == AgreementStatus.DRAFT

    @property
    def can_delete(self) -> bool:
        return self.status == AgreementStatus.DRAFT

    @property
    def can_edit(self) -> bool:
        """Details (title, dates, signers, delivery, remarks) change in draft and while in force."""
        return self.status in (AgreementStatus.DRAFT, self.approved_status)

    @property
    def can_edit_amount(self) -> bool:
        """Amount, lines, currency, rate, customer and sign date only before approval."""
        return self.status == AgreementStatus.DRAFT

    @property
    def can_withdraw(self) -> bool:
        return self.status == AgreementStatus.PENDING

    @property
    def can_complete(self) -> bool:
        return agreement_can_become(self.kind, self.status, AgreementStatus.COMPLETED)

    @property
    def can_terminate(self) -> bool:
        return self.is_contract and agreement_can_become(self.kind, self.status, AgreementStatus.TERMINATED)

    @property
    def can_cancel(self) -> bool:
        return not self.is_contract and agreement_can_become(self.kind, self.status, AgreementStatus.CANCELLED)


class LineBase(models.Model):
    """A priced line: amount = quantity × unit_price × (1 − discount%), half-up to the cent (tax included)."""

    product = models.ForeignKey("catalog.Product", null=True, blank=True, db_index=False, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("产品"))
    name = models.CharField(_("名称"), max_length=200)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=14, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("单价"), **MONEY, default=0)
    discount = models.DecimalField(_("折扣（%）"), max_digits=5, decimal_places=2, default=0)
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2, default=0)
    amount = models.DecimalField(_("金额"), **MONEY, default=0)
    position = models.PositiveIntegerField(_("序号"), default=0)

    class Meta:
        abstract = True


class AgreementLine(TenantModel, LineBase):
    agreement = models.ForeignKey(Agreement, db_index=False, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("合同/订单"))
    # For orders: what the inventory work has shipped of this line.
    shipped_quantity = models.DecimalField(_("已发货数量"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("明细")
        verbose_name_plural = _("明细")
        indexes = [models.Index(fields=["tenant", "agreement", "position"], name="deals_line_agreement")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, unit_price__gte=0, amount__gte=0,
                                               discount__gte=0, discount__lte=100, tax_rate__gte=0, tax_rate__lte=100),
                                   name="deals_line_values"),
        ]

    def __str__(self) -> str:
        return self.name


class QuoteLine(TenantModel, LineBase):
    quote = models.ForeignKey(Quote, db_index=False, on_delete=models.CASCADE, related_name="lines",
                              verbose_name=_("报价单"))

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        indexes = [models.Index(fields=["tenant", "quote", "position"], name="deals_quoteline_quote")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, unit_price__gte=0, amount__gte=0,
                                               discount__gte=0, discount__lte=100, tax_rate__gte=0, tax_rate__lte=100),
                                   name="deals_quoteline_values"),
        ]

    def __str__(self) -> str:
        return self.name


class Attachment(TenantModel):
    """A file on an agreement (PDF or image, checked by content through zhuli.core.uploads)."""

    agreement = models.ForeignKey(Agreement, db_index=False, on_delete=models.CASCADE, related_name="attachments",
                                  verbose_name=_("合同/订单"))
    stored_name = models.CharField(_("存储名"), max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=60)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                    on_delete=models.SET_NULL, related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        indexes = [models.Index(fields=["tenant", "agreement"], name="deals_attachment_agreement")]
