"""Forms of the contract, order and quote screens; the rules are in deals.services (its error keys are these
names). Money and dates stay text so the service gives the one message for a bad value."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.customers.forms import customer_picker

from .services import CURRENCIES

BLANK = [("", "—")]
MAX_ID = 2**63 - 1
LINE_FIELDS = ("product_id", "name", "specification", "unit", "quantity", "unit_price", "discount", "tax_rate")
_LINE_KEY = re.compile(r"^lines-(\d{1,4})-(\w+)$")


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class AgreementForm(forms.Form):
    customer_id = forms.IntegerField(label=_("客户"), min_value=1, max_value=MAX_ID, widget=forms.Select)
    title = forms.CharField(label=_("标题"), max_length=200)
    sign_date = forms.CharField(label=_("签约日期"), required=False, max_length=30, widget=_date_input())
    start_date = forms.CharField(label=_("开始日期"), required=False, max_length=30, widget=_date_input())
    end_date = forms.CharField(label=_("结束日期"), required=False, max_length=30, widget=_date_input())
    customer_signer = forms.CharField(label=_("客户签约人"), required=False, max_length=50)
    our_signer_id = forms.ChoiceField(label=_("我方签约人"), required=False)
    delivery_address = forms.CharField(label=_("收货地址"), required=False, max_length=300)
    delivery_contact = forms.CharField(label=_("收货人"), required=False, max_length=50)
    delivery_phone = forms.CharField(label=_("收货电话"), required=False, max_length=40)
    currency = forms.ChoiceField(label=_("币种"), choices=[(c, c) for c in CURRENCIES])
    exchange_rate = forms.CharField(label=_("汇率"), required=False, max_length=30,
                                    help_text=_("1 单位外币折合人民币，签约时固定；人民币为 1"),
                                    widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    amount = forms.CharField(label=_("金额（原币）"), required=False, max_length=30,
                             help_text=_("有明细时由明细合计，可不填"),
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    owner_id = forms.ChoiceField(label=_("负责人"), required=False)
    remarks = forms.CharField(label=_("备注"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    CONTRACT_ONLY = ("start_date", "end_date", "customer_signer", "our_signer_id")
    ORDER_ONLY = ("delivery_address", "delivery_contact", "delivery_phone", )

    def __init__(self, *args, kind: str, customers=(), users=(), owners=None, instance=None, **kw):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "customer_id": str(instance.customer_id), "title": instance.title,
                "sign_date": instance.sign_date.isoformat() if instance.sign_date else "",
                "start_date": instance.start_date.isoformat() if instance.start_date else "",
                "end_date": instance.end_date.isoformat() if instance.end_date else "",
                "customer_signer": instance.customer_signer, "our_signer_id": str(instance.our_signer_id or ""),
                "delivery_address": instance.delivery_address, "delivery_contact": instance.delivery_contact,
                "delivery_phone": instance.delivery_phone, "currency": instance.currency,
                "exchange_rate": f"{instance.exchange_rate.normalize():f}",
                "amount": f"{instance.foreign_amount:.2f}", "owner_id": str(instance.owner_id),
                "remarks": instance.remarks,
            }
        super().__init__(*args, **kw)
        self.kind, self.instance = kind, instance
        for name in (self.ORDER_ONLY if kind == "contract" else self.CONTRACT_ONLY):
            del self.fields[name]
        if kind == "order":
            del self.fields["amount"]
        self.fields["customer_id"].widget.choices = BLANK + [(str(pk), name) for pk, name in customers]
        if instance is None:
            customer_picker(self.fields["customer_id"])
        if "our_signer_id" in self.fields:
            self.fields["our_signer_id"].choices = BLANK + [(str(u.pk), u.display_name) for u in users]
        if owners is None:
            del self.fields["owner_id"]
        else:
            self.fields["owner_id"].choices = [(str(u.pk), u.display_name) for u in owners]
        if instance is not None and not instance.can_edit_amount:
            for name in ("customer_id", "sign_date", "currency", "exchange_rate", "amount"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d.get(k, "") for k in self.fields if k not in ("owner_id",) and not self.fields[k].disabled}
        if self.instance is not None:
            data = {k: v for k, v in data.items() if k in self.changed_data}
        if "owner_id" in self.fields and d.get("owner_id") and (self.instance is None or "owner_id" in self.changed_data):
            data["owner_id"] = d["owner_id"]
        return data


class QuoteForm(forms.Form):
    customer_id = forms.IntegerField(label=_("客户"), min_value=1, max_value=MAX_ID, widget=forms.Select)
    title = forms.CharField(label=_("报价主题"), max_length=200)
    quote_date = forms.CharField(label=_("报价日期"), required=False, max_length=30, widget=_date_input())
    valid_until = forms.CharField(label=_("有效期至"), required=False, max_length=30, widget=_date_input())
    contact_name = forms.CharField(label=_("客户联系人"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("状态"), required=False)
    remarks = forms.CharField(label=_("备注"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customers=(), statuses=(), instance=None, **kw):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {"customer_id": str(instance.customer_id), "title": instance.title,
                             "quote_date": instance.quote_date.isoformat(),
                             "valid_until": instance.valid_until.isoformat() if instance.valid_until else "",
                             "contact_name": instance.contact_name, "status": instance.status,
                             "remarks": instance.remarks}
        super().__init__(*args, **kw)
        self.instance = instance
        self.fields["customer_id"].widget.choices = BLANK + [(str(pk), name) for pk, name in customers]
        if instance is None:
            customer_picker(self.fields["customer_id"])
        self.fields["status"].choices = list(statuses)
        if instance is not None:
            self.fields["customer_id"].disabled = True
        else:
            del self.fields["status"]

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d.get(k, "") for k in self.fields if not self.fields[k].disabled}
        if self.instance is not None:
            data = {k: v for k, v in data.items() if k in self.changed_data}
        return data


def lines_from_post(post) -> list[dict]:
    """The line editor's rows (`lines-<n>-<field>`), in their order; rows left entirely blank are dropped."""
    rows: dict[int, dict] = {}
    for key in post:
        match = _LINE_KEY.match(key)
        if match and match.group(2) in LINE_FIELDS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key, "").strip()
    out = []
    for _n, row in sorted(rows.items()):
        if any(row.get(f) for f in ("product_id", "name", "unit_price")):
            out.append({k: v for k, v in row.items() if v != "" or k in ("specification", "unit")})
    return out


def line_rows_for_editor(lines, errors: dict | None = None) -> list[dict]:
    """Rows the line editor shows: saved lines or what was typed, with each row's messages."""
    errors = errors or {}
    rows = []
    for n, line in enumerate(lines, start=1):
        get = line.get if isinstance(line, dict) else (lambda k, _line=line: getattr(_line, k, ""))
        row = {f: get(f) if get(f) is not None else "" for f in LINE_FIELDS if f != "product_id"}
        row["product_id"] = get("product_id") or ""
        row["product_label"] = (line.get("product_label", "") if isinstance(line, dict)
                                else (line.product.name if getattr(line, "product_id", None) else ""))
        row["amount"] = "" if isinstance(line, dict) else f"{line.amount:.2f}"
        row["errors"] = [m for k, msgs in errors.items() if k.startswith(f"lines.{n}.") for m in msgs]
        rows.append(row)
    return rows


class FilterForm(forms.Form):
    """GET parameters of the lists; bad values are ignored so links never break (bad amounts are shown)."""

    q = forms.CharField(required=False, max_length=100)
    owner = forms.RegexField(regex=r"^(me|none|\d{1,18})$", required=False)
    status = forms.CharField(required=False, max_length=20)
    customer = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    sign_from = forms.DateField(required=False)
    sign_to = forms.DateField(required=False)
    amount_min = forms.CharField(required=False, max_length=40)
    amount_max = forms.CharField(required=False, max_length=40)
    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=200)

    def _amount(self, name: str):
        from .services import parse_amount_filter

        errors: dict = {}
        value = parse_amount_filter(self.cleaned_data.get(name), errors, name)
        if errors:
            raise forms.ValidationError(errors[name])
        return value

    def clean_amount_min(self):
        return self._amount("amount_min")

    def clean_amount_max(self):
        return self._amount("amount_max")

    def clean_sign_from(self):
        value = self.cleaned_data.get("sign_from")
        return value if value is None or 2000 <= value.year <= 2100 else None

    def clean_sign_to(self):
        value = self.cleaned_data.get("sign_to")
        return value if value is None or 2000 <= value.year <= 2100 else None

    def filter_errors(self) -> list[str]:
        self.is_valid()
        labels = {"amount_min": _("金额下限"), "amount_max": _("金额上限")}
        return [f"{labels[k]}：{m}" for k in labels for m in self.errors.get(k, [])]

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def filters(self):
        from .selectors import AgreementFilters

        v = self.values()
        return AgreementFilters(q=v.get("q", ""), owner=v.get("owner", ""), status=v.get("status", ""),
                                customer=v.get("customer"), sign_from=v.get("sign_from"), sign_to=v.get("sign_to"),
                                amount_min=v.get("amount_min"), amount_max=v.get("amount_max"))

    def active_count(self) -> int:
        return sum(1 for k in self.values() if k not in ("q", "sort", "page", "page_size"))


class NumberingForm(forms.Form):
    """One pattern per document type; the service checks each (its error keys are pattern_<doc_type>)."""

    def __init__(self, *args, rules: dict[str, str], labels: dict, **kw):
        super().__init__(*args, **kw)
        for doc_type, pattern in rules.items():
            self.fields[f"pattern_{doc_type}"] = forms.CharField(label=labels[doc_type], max_length=60,
                                                                 initial=pattern)
