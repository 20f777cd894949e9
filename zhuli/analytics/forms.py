"""GET parameters of the analytics pages; a bad value is reported by field and the page falls back to 本月."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import PRESETS, preset_range

MAX_ID = 2**63 - 1


def sane_year(value):
    if value and not (1900 <= value.year <= 2200):
        raise forms.ValidationError(_("日期超出范围"))


class PeriodForm(forms.Form):
    preset = forms.ChoiceField(label=_("期间"), required=False, choices=[(p, p) for p in PRESETS])
    date_from = forms.DateField(label=_("开始日期"), required=False, validators=[sane_year])
    date_to = forms.DateField(label=_("结束日期"), required=False, validators=[sane_year])
    department = forms.IntegerField(label=_("部门"), required=False, min_value=1, max_value=MAX_ID)
    owner = forms.RegexField(label=_("负责人"), regex=r"^(me|\d{1,18})$", required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def period(self, today) -> tuple[str, object, object]:
        """(preset, date_from, date_to): custom dates when both valid ones are given, else the preset's range."""
        valid = self.is_valid()
        data = self.cleaned_data if valid else {}
        preset = data.get("preset") or ("custom" if data.get("date_from") and data.get("date_to") else "month")
        if preset == "custom" and data.get("date_from") and data.get("date_to"):
            return preset, data["date_from"], data["date_to"]
        preset = "month" if preset == "custom" else preset
        return (preset, *preset_range(preset, today))

    def value(self, name: str):
        return self.cleaned_data.get(name) if self.is_valid() else None
