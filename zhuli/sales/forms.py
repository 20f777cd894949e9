"""Forms of the opportunity screens; the rules are in sales.services (its error keys are these names)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.customers.forms import customer_picker

from .models import OpportunityStatus
from .selectors import OpportunityFilters

BLANK = [("", "—")]
MAX_ID = 2**63 - 1


def _sane(value):
    if value and not (2000 <= value.year <= 2100):
        raise forms.ValidationError(_("日期超出范围"))


class OpportunityForm(forms.Form):
    """Create / edit. Amount and close date stay text so the service gives the one message for bad values."""

    # A select of recent customers (plus the preset one); any visible customer id is accepted by the service.
    customer_id = forms.IntegerField(label=_("客户"), min_value=1, max_value=MAX_ID, widget=forms.Select)
    title = forms.CharField(label=_("机会名称"), max_length=200)
    stage_id = forms.ChoiceField(label=_("阶段"))
    probability = forms.CharField(label=_("赢率（%）"), required=False, max_length=10,
                                  help_text=_("默认取阶段的赢率；手工修改后保留到下一次阶段变更"))
    amount = forms.CharField(label=_("预计金额"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    close_date = forms.CharField(label=_("预计成交日期"), required=False, max_length=30,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    source_id = forms.ChoiceField(label=_("机会来源"), required=False)
    category_id = forms.ChoiceField(label=_("机会类型"), required=False)
    competitors = forms.CharField(label=_("竞争对手"), required=False, max_length=300)
    owner_id = forms.ChoiceField(label=_("负责人"), required=False)
    remarks = forms.CharField(label=_("备注"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, customers=(), stages=(), sources=(), categories=(), owners=None, instance=None, **kw):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "customer_id": str(instance.customer_id), "title": instance.title, "stage_id": str(instance.stage_id),
                "probability": str(instance.probability), "amount": f"{instance.amount:.2f}",
                "close_date": instance.close_date.isoformat() if instance.close_date else "",
                "source_id": str(instance.source_id or ""), "category_id": str(instance.category_id or ""),
                "competitors": instance.competitors, "owner_id": str(instance.owner_id), "remarks": instance.remarks,
            }
        super().__init__(*args, **kw)
        self.instance = instance
        self.fields["customer_id"].widget.choices = BLANK + [(str(pk), name) for pk, name in customers]
        if instance is None:
            customer_picker(self.fields["customer_id"])
        if instance is not None:
            self.fields["customer_id"].disabled = True
        self.fields["stage_id"].choices = [(str(s.pk), f"{s.name}（{s.probability}%）") for s in stages]
        self.fields["source_id"].choices = BLANK + [(str(i.pk), i.name) for i in sources]
        self.fields["category_id"].choices = BLANK + [(str(i.pk), i.name) for i in categories]
        if owners is None:
            del self.fields["owner_id"]
        else:
            self.fields["owner_id"].choices = [(str(u.pk), u.display_name) for u in owners]

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d.get(k, "") for k in ("title", "amount", "close_date", "competitors", "remarks")}
        data["source_id"] = d.get("source_id") or None
        data["category_id"] = d.get("category_id") or None
        if self.instance is None:
            data["customer_id"] = d["customer_id"]
            data["stage_id"] = d["stage_id"]
            if d.get("probability"):
                data["probability"] = d["probability"]
        else:
            # Only what the user changed: the probability rule needs to know a hand-set value from the old one.
            if "stage_id" in self.changed_data:
                data["stage_id"] = d["stage_id"]
            if "probability" in self.changed_data and d.get("probability"):
                data["probability"] = d["probability"]
        if "owner_id" in self.fields and d.get("owner_id") and (self.instance is None or "owner_id" in self.changed_data):
            data["owner_id"] = d["owner_id"]
        return data


class OpportunityFilterForm(forms.Form):
    """GET parameters of /opportunities/; bad values are ignored so links never break."""

    q = forms.CharField(required=False, max_length=100)
    owner = forms.RegexField(regex=r"^(me|none|\d{1,18})$", required=False)
    department = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    stage = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = forms.ChoiceField(required=False, choices=[("", "")] + list(OpportunityStatus.choices))
    customer = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    close_from = forms.DateField(required=False, validators=[_sane])
    close_to = forms.DateField(required=False, validators=[_sane])
    closed_from = forms.DateField(required=False, validators=[_sane])
    closed_to = forms.DateField(required=False, validators=[_sane])
    # Text checked by the services' parser: NaN / Infinity / 1e999 get the API's message, never a 500.
    amount_min = forms.CharField(required=False, max_length=40)
    amount_max = forms.CharField(required=False, max_length=40)
    stale_days = forms.IntegerField(required=False, min_value=0, max_value=36500)
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

    def filter_errors(self) -> list[str]:
        """Bad bounds the list shows (other bad values are ignored so links never break)."""
        self.is_valid()
        labels = {"amount_min": _("金额下限"), "amount_max": _("金额上限")}
        return [f"{labels[k]}：{m}" for k in labels for m in self.errors.get(k, [])]

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def filters(self) -> OpportunityFilters:
        v = self.values()
        return OpportunityFilters(
            q=v.get("q", ""), owner=v.get("owner", ""), department=v.get("department"), stage=v.get("stage"),
            status=v.get("status", ""), customer=v.get("customer"), close_from=v.get("close_from"),
            close_to=v.get("close_to"), closed_from=v.get("closed_from"), closed_to=v.get("closed_to"),
            amount_min=v.get("amount_min"), amount_max=v.get("amount_max"),
            stale_days=v.get("stale_days"),
        )

    def active_count(self) -> int:
        v = self.values()
        return sum(1 for k in v if k not in ("q", "sort", "page", "page_size"))


class LoseForm(forms.Form):
    lost_reason_id = forms.ChoiceField(label=_("输单原因"), required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def __init__(self, *args, reasons=(), **kw):
        super().__init__(*args, **kw)
        self.fields["lost_reason_id"].choices = BLANK + [(str(i.pk), i.name) for i in reasons]


class StageForm(forms.Form):
    name = forms.CharField(label=_("阶段名称"), max_length=40)
    probability = forms.IntegerField(label=_("赢率（%）"), min_value=0, max_value=100)

