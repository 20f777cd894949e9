"""Money on an agreement: payment plans (回款计划), payments (回款记录) and invoices (发票, requests included).
Each row belongs to exactly one agreement (a non-null foreign key); `customer` and `owner` are copies of the
agreement's, kept so receivables group without a join. Amounts are in the agreement's currency; `base_amount` is
that × the agreement's exchange rate, half-up to the cent (equal for CNY)."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TenantModel

MONEY = {"max_digits": 16, "decimal_places": 2}
HALF_CENT = Decimal("0.005")


class PlanStatus(models.TextChoices):
    UNPAID = "unpaid", _("未回款")
    PARTIAL = "partial", _("部分回款")
    PAID = "paid", _("已回款")
    OVERDUE = "overdue", _("逾期")  # shown, never stored: unpaid/partial past the due date


class PaymentPlan(TenantModel):
    """One instalment (期次) of an agreement's payment plan."""

    agreement = models.ForeignKey("deals.Agreement", db_index=False, on_delete=models.CASCADE, related_name="plans",
                                  verbose_name=_("合同/订单"))
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    number = models.PositiveIntegerField(_("期次"))
    due_date = models.DateField(_("计划回款日期"))
    amount = models.DecimalField(_("计划金额"), **MONEY)
    received_amount = models.DecimalField(_("已回款"), **MONEY, default=0)
    status = models.CharField(_("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.UNPAID)
    remark = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "agreement", "number"], name="billing_plan_number"),
            models.CheckConstraint(condition=Q(amount__gt=0, received_amount__gte=0), name="billing_plan_amounts"),
            models.CheckConstraint(condition=~Q(status="overdue"), name="billing_plan_overdue_not_stored"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="billing_plan_due"),
            models.Index(fields=["tenant", "owner", "due_date"], name="billing_plan_owner_due"),
            models.Index(fields=["tenant", "customer", "due_date"], name="billing_plan_customer_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.due_date}"


class PaymentStatus(models.TextChoices):
    RECORDED = "recorded", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已退回")


class Payment(TenantModel):
    """回款记录. Only confirmed payments count as received; an overpayment is explicit and shown as such."""

    agreement = models.ForeignKey("deals.Agreement", db_index=False, on_delete=models.PROTECT,
                                  related_name="payments", verbose_name=_("合同/订单"))
    plan = models.ForeignKey(PaymentPlan, null=True, blank=True, db_index=False, on_delete=models.SET_NULL,
                             related_name="payments", verbose_name=_("回款计划"))
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    number = models.CharField(_("回款单号"), max_length=40)
    paid_on = models.DateField(_("回款日期"))
    amount = models.DecimalField(_("回款金额"), **MONEY)
    base_amount = models.DecimalField(_("本币金额"), **MONEY)
    method = models.ForeignKey("preferences.DictionaryItem", null=True, blank=True, db_index=False,
                               on_delete=models.PROTECT, related_name="+", verbose_name=_("回款方式"))
    payer = models.CharField(_("付款方"), max_length=200, blank=True)
    remark = models.CharField(_("备注"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PaymentStatus.choices,
                              default=PaymentStatus.RECORDED)
    is_overpayment = models.BooleanField(_("超额回款"), default=False)
    reject_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                    on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                     on_delete=models.SET_NULL, related_name="+", verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("回款记录")
        verbose_name_plural = _("回款记录")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="billing_payment_number"),
            models.CheckConstraint(condition=Q(amount__gt=0, base_amount__gt=0), name="billing_payment_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "agreement"], name="billing_payment_agreement"),
            models.Index(fields=["tenant", "status", "paid_on"], name="billing_payment_status"),
            models.Index(fields=["tenant", "owner", "paid_on"], name="billing_payment_owner"),
            models.Index(fields=["tenant", "customer", "paid_on"], name="billing_payment_customer"),
            models.Index(fields=["tenant", "plan"], name="billing_payment_plan"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceType(models.TextChoices):
    VAT_NORMAL = "vat_normal", _("增值税普通发票")
    VAT_SPECIAL = "vat_special", _("增值税专用发票")
    RECEIPT = "receipt", _("收据")


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("待开票")
    ISSUED = "issued", _("已开票")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已作废")


class Invoice(TenantModel):
    """An invoice request (开票申请, by sales) that finance issues (开具) as an invoice. Requested, approved and
    issued ones count against the agreement amount. Tax and net come from one method (tenant feature
    `invoice_tax_method`: per document or per line) so header, print, export and reports agree to the cent."""

    agreement = models.ForeignKey("deals.Agreement", db_index=False, on_delete=models.PROTECT,
                                  related_name="invoices", verbose_name=_("合同/订单"))
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("客户"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("负责人"))
    request_number = models.CharField(_("申请单号"), max_length=40)
    invoice_type = models.CharField(_("发票类型"), max_length=12, choices=InvoiceType.choices,
                                    default=InvoiceType.VAT_NORMAL)
    status = models.CharField(_("状态"), max_length=10, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.REQUESTED)
    invoice_number = models.CharField(_("发票号码"), max_length=40, blank=True)
    invoice_date = models.DateField(_("开票日期"), null=True, blank=True)
    amount = models.DecimalField(_("价税合计"), **MONEY)
    base_amount = models.DecimalField(_("本币金额"), **MONEY)
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2)
    # Taxed line by line at the agreement's lines' rates (tenant method "line"): tax_rate is then their common
    # rate, or only what was asked when the lines differ, and the invoice says 按明细.
    per_line = models.BooleanField(_("按明细计税"), default=False)
    tax_amount = models.DecimalField(_("税额"), **MONEY)
    net_amount = models.DecimalField(_("不含税金额"), **MONEY)
    # The customer's invoice profile, copied at request time so a later edit does not rewrite issued invoices.
    title = models.CharField(_("发票抬头"), max_length=200)
    tax_number = models.CharField(_("纳税人识别号"), max_length=20, blank=True)
    bank = models.CharField(_("开户银行"), max_length=100, blank=True)
    account = models.CharField(_("银行账号"), max_length=40, blank=True)
    address = models.CharField(_("开票地址"), max_length=200, blank=True)
    phone = models.CharField(_("开票电话"), max_length=40, blank=True)
    remark = models.CharField(_("备注"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                     on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False,
                                  on_delete=models.SET_NULL, related_name="+", verbose_name=_("开票人"))
    issued_at = models.DateTimeField(_("开具时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发票")
        verbose_name_plural = _("发票")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request_number"], name="billing_invoice_request_number"),
            # An invoice number is used once, voided invoices included.
            models.UniqueConstraint(fields=["tenant", "invoice_number"], condition=~Q(invoice_number=""),
                                    name="billing_invoice_number"),
            models.CheckConstraint(condition=Q(amount__gt=0, tax_amount__gte=0, net_amount__gte=0,
                                               tax_rate__gte=0, tax_rate__lte=100), name="billing_invoice_values"),
            # amount = tax + net. Written as "within half a cent", which for two-decimal columns is the same as
            # equality on PostgreSQL, and survives SQLite keeping decimals as binary floats (0.30 vs 0.10 + 0.20).
            models.CheckConstraint(
                condition=Q(amount__gt=models.F("tax_amount") + models.F("net_amount") - HALF_CENT,
                            amount__lt=models.F("tax_amount") + models.F("net_amount") + HALF_CENT),
                name="billing_invoice_tax_plus_net"),
        ]
        indexes = [
            models.Index(fields=["tenant", "agreement"], name="billing_invoice_agreement"),
            models.Index(fields=["tenant", "status", "created_at"], name="billing_invoice_status"),
            models.Index(fields=["tenant", "owner"], name="billing_invoice_owner"),
            models.Index(fields=["tenant", "customer"], name="billing_invoice_customer"),
        ]

    def __str__(self) -> str:
        return self.invoice_number or self.request_number


class ReceivableTotal(TenantModel):
    """Rollup of the receivables report (see rollup.py): per owner, customer and kind, the receivable agreements
    (running or done) with money outstanding — how many, and their amount, received, invoiced and outstanding in
    the base currency. Derived data, recomputed from the agreements by billing's services; never edited."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", db_index=False, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    agreements = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    received = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    invoiced = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("应收汇总")
        verbose_name_plural = _("应收汇总")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "owner", "customer", "kind"], name="billing_rtotal_key"),
        ]
        indexes = [models.Index(fields=["tenant", "customer"], name="billing_rtotal_customer")]


class ReceivableDue(TenantModel):
    """Rollup of the aging and overdue figures: per owner, kind and due date, the open balance (amount − received)
    of the unpaid and partly paid instalments of receivable agreements, base currency. Derived like
    ReceivableTotal."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, db_index=False, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    due_date = models.DateField()
    balance = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("应收账龄汇总")
        verbose_name_plural = _("应收账龄汇总")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "owner", "kind", "due_date"], name="billing_rdue_key"),
        ]
