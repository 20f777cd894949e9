"""Forms of the billing screens. They only shape input: amounts, dates and rules are checked by the services,
so the web, the API and imports get the same messages."""
from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.api.schemas import query_text

from .models import InvoiceType
from .selectors import BillingFilters


def _day(value) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _id(value) -> int | None:
    raw = str(value or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 18 and int(raw) > 0 else None


FILTER_KEYS = ("q", "owner", "department", "customer", "agreement", "kind", "status", "date_from", "date_to",
               "method", "invoice_type")


def filters_from_params(params, kind: str = "") -> tuple[BillingFilters, str, dict]:
    """A list's (or export's) GET parameters as filters; unreadable values are ignored, never an error."""
    owner = str(params.get("owner", "") or "").strip()
    filters = BillingFilters(
        q=query_text(params.get("q")), owner=owner if owner == "me" or (owner.isdigit() and len(owner) <= 18) else "",
        department=_id(params.get("department")), customer=_id(params.get("customer")),
        agreement=_id(params.get("agreement")),
        kind=params.get("kind") if params.get("kind") in ("contract", "order") else "",
        status=str(params.get("status", "") or "")[:20], date_from=_day(params.get("date_from")),
        date_to=_day(params.get("date_to")), method=_id(params.get("method")),
        invoice_type=params.get("invoice_type") if params.get("invoice_type") in InvoiceType.values else "")
    asked = {k: params.get(k) for k in FILTER_KEYS if params.get(k)}
    return filters, str(params.get("sort", "") or "")[:40], asked


class _Plain(forms.Form):
    def data_for_service(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items()}


class PlanForm(_Plain):
    due_date = forms.CharField(label=_("计划回款日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.CharField(label=_("计划金额（元）"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    remark = forms.CharField(label=_("备注"), required=False, max_length=200)


class GenerateForm(_Plain):
    count = forms.CharField(label=_("期数（等额）"), required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    percentages = forms.CharField(label=_("或按比例（%，逗号分隔）"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs={"placeholder": "30,40,30"}))
    first_due = forms.CharField(label=_("第一期日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    interval_months = forms.CharField(label=_("间隔月数"), required=False, initial="1")


class PaymentForm(_Plain):
    paid_on = forms.CharField(label=_("回款日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.CharField(label=_("回款金额"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    method_id = forms.ChoiceField(label=_("回款方式"), required=False)
    plan_id = forms.ChoiceField(label=_("结算期次"), required=False)
    payer = forms.CharField(label=_("付款方"), required=False, max_length=200)
    is_overpayment = forms.BooleanField(label=_("超额回款（超出未回款金额）"), required=False)
    remark = forms.CharField(label=_("备注"), required=False, max_length=300)

    def __init__(self, *args, methods=(), plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method_id"].choices = [("", "—")] + [(m.pk, m.name) for m in methods]
        self.fields["plan_id"].choices = [("", _("自动：最早未结清的一期"))] + list(plans)


class InvoiceForm(_Plain):
    invoice_type = forms.ChoiceField(label=_("发票类型"), choices=InvoiceType.choices, initial=InvoiceType.VAT_NORMAL)
    amount = forms.CharField(label=_("开票金额（价税合计）"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tax_rate = forms.CharField(label=_("税率（%）"), required=False, max_length=10, initial="13")
    remark = forms.CharField(label=_("备注"), required=False, max_length=300)


class IssueForm(_Plain):
    invoice_number = forms.CharField(label=_("发票号码"), required=False, max_length=40)
    invoice_date = forms.CharField(label=_("开票日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
