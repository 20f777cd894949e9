"""Plans, payments and invoices as export resources (zhuli.imports' writers): the lists' own selectors and
filters, so an export holds exactly what the list shows."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhuli.access.actor import Actor
from zhuli.accounts.models import owner_display
from zhuli.imports.exports import DATE, MOMENT, ExportColumn

from . import selectors
from .forms import filters_from_params
from .models import InvoiceStatus, InvoiceType, PaymentStatus, PlanStatus


def _t(lookup, label):
    return ExportColumn(label, (lookup,), lambda r: r[lookup] or "")


def _money(lookup, label):
    return ExportColumn(label, (lookup,), lambda r: f"{r[lookup]:.2f}")


def _owner():
    return ExportColumn(_("负责人"), ("owner__name", "owner__is_active"),
                        lambda r: owner_display(r["owner__name"], r["owner__is_active"]))


def _choice(lookup, label, choices):
    return ExportColumn(label, (lookup,), lambda r: str(dict(choices).get(r[lookup], r[lookup])))


class _Base:
    permission = ""
    kind = ""

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = filters_from_params(params, self.kind)
        columns = self.columns(actor)
        lookups = dict.fromkeys(lookup for c in columns for lookup in c.lookups)
        return self.select(actor, filters, sort).values("id", *lookups), asked


class PlanExport(_Base):
    key, label, permission, kind = "payment-plans", _("回款计划"), "payments.export", "plans"

    def columns(self, actor: Actor):
        today = actor.tenant.today()
        labels = dict(PlanStatus.choices)
        return [
            _t("agreement__number", _("合同/订单编号")), _t("agreement__title", _("标题")), _t("customer__name", _("客户")),
            ExportColumn(_("期次"), ("number",), lambda r: str(r["number"])),
            ExportColumn(_("计划回款日期"), ("due_date",), lambda r: r["due_date"], kind=DATE),
            _money("amount", _("计划金额")), _money("received_amount", _("已回款")),
            ExportColumn(_("状态"), ("status", "due_date"),
                         lambda r: str(labels[selectors.plan_display_status(r, today)])),
            _owner(), _t("remark", _("备注")),
        ]

    def select(self, actor, filters, sort):
        return selectors.plan_list(actor=actor, filters=filters, sort=sort)


class PaymentExport(_Base):
    key, label, permission, kind = "payments", _("回款记录"), "payments.export", "payments"

    def columns(self, actor: Actor):
        return [
            _t("number", _("回款单号")), _t("agreement__number", _("合同/订单编号")), _t("customer__name", _("客户")),
            ExportColumn(_("回款日期"), ("paid_on",), lambda r: r["paid_on"], kind=DATE),
            _money("amount", _("回款金额")), _t("agreement__currency", _("币种")), _money("base_amount", _("本币金额")),
            _t("method__name", _("回款方式")), _t("payer", _("付款方")),
            _choice("status", _("状态"), PaymentStatus.choices),
            ExportColumn(_("超额回款"), ("is_overpayment",), lambda r: str(_("是")) if r["is_overpayment"] else ""),
            _owner(), _t("recorded_by__name", _("登记人")), _t("remark", _("备注")),
            ExportColumn(_("登记时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
        ]

    def select(self, actor, filters, sort):
        return selectors.payment_list(actor=actor, filters=filters, sort=sort)


class InvoiceExport(_Base):
    key, label, permission, kind = "invoices", _("发票"), "invoices.export", "invoices"

    def columns(self, actor: Actor):
        return [
            _t("request_number", _("申请单号")), _t("agreement__number", _("合同/订单编号")),
            _t("customer__name", _("客户")), _choice("invoice_type", _("发票类型"), InvoiceType.choices),
            _choice("status", _("状态"), InvoiceStatus.choices), _t("invoice_number", _("发票号码")),
            ExportColumn(_("开票日期"), ("invoice_date",), lambda r: r["invoice_date"], kind=DATE),
            _money("amount", _("价税合计")), ExportColumn(_("税率（%）"), ("tax_rate", "per_line"),
                         lambda r: str(_("按明细")) if r["per_line"] else f"{r['tax_rate']:.2f}"), _money("tax_amount", _("税额")),
            _money("net_amount", _("不含税金额")), _money("base_amount", _("本币金额")), _t("title", _("发票抬头")),
            _t("tax_number", _("纳税人识别号")), _owner(),
            ExportColumn(_("申请时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
        ]

    def select(self, actor, filters, sort):
        return selectors.invoice_list(actor=actor, filters=filters, sort=sort)
