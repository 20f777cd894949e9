"""Contracts, orders and quotes as export resources (`export_resources`), read by the import/export writers
(zhuli.imports.exports.build): the list's own selector and filters, so an export holds what the list shows."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhuli.access.actor import Actor
from zhuli.accounts.models import owner_display
from zhuli.core.errors import InvalidInput
from zhuli.imports.exports import DATE, ExportColumn

from . import selectors
from .models import AgreementKind, AgreementStatus, Quote, ShippingState
from .services import parse_amount_filter, parse_date


def filters_from_params(params) -> tuple[selectors.AgreementFilters, str, dict]:
    """GET parameters of the lists (and their exports); bad amounts or dates are 422 naming the field."""
    errors: dict = {}
    get = params.get
    asked = {k: v for k, v in params.items() if k not in ("format", "page", "page_size") and v}
    owner = get("owner") or ""
    if owner and not (owner in ("me", "none") or (owner.isdigit() and len(owner) <= 18)):
        errors["owner"] = _("负责人应为 id、me 或 none")
    ids = {}
    for key in ("customer", "opportunity"):
        raw = get(key) or ""
        if raw and not (raw.isdigit() and len(raw) <= 18):
            errors[key] = _("应为整数")
        ids[key] = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    dates = {k: parse_date(get(k), errors, k) for k in ("sign_from", "sign_to", "end_from", "end_to")}
    filters = selectors.AgreementFilters(
        q=(get("q") or "")[:100], owner=owner, status=get("status") or "", customer=ids["customer"],
        opportunity=ids["opportunity"], amount_min=parse_amount_filter(get("amount_min"), errors, "amount_min"),
        amount_max=parse_amount_filter(get("amount_max"), errors, "amount_max"), **dates)
    if errors:
        raise InvalidInput(errors)
    return filters, (get("sort") or "")[:40], asked


def _money(lookup: str, label) -> ExportColumn:
    return ExportColumn(label, (lookup,), lambda r: f"{r[lookup]:.2f}")


def _owner() -> ExportColumn:
    return ExportColumn(_("负责人"), ("owner__name", "owner__is_active"),
                        lambda r: owner_display(r["owner__name"], r["owner__is_active"]))


class AgreementExport:
    def __init__(self, kind: str):
        self.kind = kind
        self.key = "contracts" if kind == AgreementKind.CONTRACT else "orders"
        self.label = _("合同") if kind == AgreementKind.CONTRACT else _("订单")
        self.permission = "agreements.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        statuses = {k: str(v) for k, v in AgreementStatus.choices}
        shipping = {k: str(v) for k, v in ShippingState.choices}
        columns = [
            ExportColumn(_("编号"), ("number",), lambda r: r["number"]),
            ExportColumn(_("标题"), ("title",), lambda r: r["title"]),
            ExportColumn(_("客户"), ("customer__name",), lambda r: r["customer__name"]),
            ExportColumn(_("状态"), ("status",), lambda r: statuses.get(r["status"], r["status"])),
            ExportColumn(_("签约日期"), ("sign_date",), lambda r: r["sign_date"], kind=DATE),
        ]
        if self.kind == AgreementKind.CONTRACT:
            columns += [ExportColumn(_("开始日期"), ("start_date",), lambda r: r["start_date"], kind=DATE),
                        ExportColumn(_("结束日期"), ("end_date",), lambda r: r["end_date"], kind=DATE)]
        else:
            columns.append(ExportColumn(_("发货状态"), ("shipping_state",),
                                        lambda r: shipping.get(r["shipping_state"], "")))
        columns += [
            ExportColumn(_("币种"), ("currency",), lambda r: r["currency"]),
            ExportColumn(_("汇率"), ("exchange_rate",), lambda r: f"{r['exchange_rate']:.6f}"),
            _money("foreign_amount", _("原币金额")), _money("amount", _("金额（人民币）")),
            _money("received_amount", _("已回款")),
            ExportColumn(_("未回款"), ("amount", "received_amount"),
                         lambda r: f"{max(r['amount'] - r['received_amount'], 0):.2f}"),
            _money("invoiced_amount", _("已开票")), _owner(),
            ExportColumn(_("销售机会"), ("opportunity__title",), lambda r: r["opportunity__title"] or ""),
        ]
        return columns

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = filters_from_params(params)
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        qs = selectors.agreement_list(actor=actor, kind=self.kind, filters=filters, sort=sort)
        return qs.values("id", *lookups), asked


class QuoteExport:
    key = "quotes"
    label = _("报价单")
    permission = "quotes.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        statuses = {k: str(v) for k, v in Quote.Status.choices}
        return [
            ExportColumn(_("报价单号"), ("number",), lambda r: r["number"]),
            ExportColumn(_("报价主题"), ("title",), lambda r: r["title"]),
            ExportColumn(_("客户"), ("customer__name",), lambda r: r["customer__name"]),
            ExportColumn(_("状态"), ("status",), lambda r: statuses.get(r["status"], r["status"])),
            ExportColumn(_("报价日期"), ("quote_date",), lambda r: r["quote_date"], kind=DATE),
            ExportColumn(_("有效期至"), ("valid_until",), lambda r: r["valid_until"], kind=DATE),
            _money("total", _("报价总额")), _owner(),
        ]

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = filters_from_params(params)
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        return selectors.quote_list(actor=actor, filters=filters, sort=sort).values("id", *lookups), asked
