"""Forms of the follow-up screens; the rules are in activities.services (its error keys are these names,
except `next_at`, shown on `next_date`)."""
from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

BLANK = [("", "—")]
MAX_ID = 2**63 - 1


def sane_year(value):
    # Day arithmetic and zone conversion near year 1 or 9999 overflow; no CRM date lives there.
    if value and not (1900 <= value.year <= 2200):
        raise forms.ValidationError(_("日期超出范围"))


ERROR_FIELDS = {"next_at": "next_date", "due_at": "next_date"}


class FollowUpForm(forms.Form):
    """The quick-add box on the customer view: type, what happened, optionally the next step."""

    type_id = forms.ChoiceField(label=_("跟进方式"), required=False, widget=forms.RadioSelect)
    content = forms.CharField(label=_("跟进内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    contact_id = forms.ChoiceField(label=_("联系人"), required=False)
    opportunity_id = forms.ChoiceField(label=_("销售机会"), required=False)
    occurred_at = forms.DateTimeField(label=_("跟进时间"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                                      validators=[sane_year])
    next_date = forms.DateField(label=_("下次跟进"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                validators=[sane_year])
    next_time = forms.TimeField(label=_("时间"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    next_action = forms.CharField(label=_("下次要做什么"), max_length=500, required=False)
    todo_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)

    def __init__(self, *args, types=(), contacts=(), opportunities=(), **kwargs):
        super().__init__(*args, **kwargs)
        # (id, title) of the customer's visible opportunities; a fixed one (the opportunity page) is one choice.
        self.fields["opportunity_id"].choices = BLANK + [(str(pk), title) for pk, title in opportunities]
        self.fields["type_id"].choices = [(str(t.pk), t.name) for t in types]
        self.fields["contact_id"].choices = BLANK + [(str(c.pk), c.name + (f"（{c.title}）" if c.title else ""))
                                                     for c in contacts]
        if not self.is_bound and types and not self.initial.get("type_id"):
            self.initial["type_id"] = str(types[0].pk)

    def service_data(self) -> dict:
        d = self.cleaned_data
        next_at = None
        if d.get("next_date"):
            # A date alone is left to the service (09:00 that day); naive times are the tenant's.
            next_at = datetime.datetime.combine(d["next_date"], d["next_time"]) if d.get("next_time") else d["next_date"]
        data = {
            "type_id": d.get("type_id") or None,
            "content": d["content"],
            "contact_id": d.get("contact_id") or None,
            "opportunity_id": d.get("opportunity_id") or None,
            "next_at": next_at,
            "next_action": d.get("next_action") or "",
            "todo_id": d.get("todo_id"),
        }
        if d.get("occurred_at"):
            data["occurred_at"] = d["occurred_at"]
        return data


class FollowUpEditForm(forms.Form):
    type_id = forms.ChoiceField(label=_("跟进方式"), required=False)
    occurred_at = forms.DateTimeField(label=_("跟进时间"),
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
                                      validators=[sane_year])
    contact_id = forms.ChoiceField(label=_("联系人"), required=False)
    content = forms.CharField(label=_("跟进内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, types=(), contacts=(), followup=None, **kwargs):
        if followup is not None and "initial" not in kwargs:
            kwargs["initial"] = {"type_id": str(followup.type_id or ""), "content": followup.content,
                                 "contact_id": str(followup.contact_id or ""), "occurred_at": followup.occurred_at}
        super().__init__(*args, **kwargs)
        self.fields["type_id"].choices = BLANK + [(str(t.pk), t.name) for t in types]
        self.fields["contact_id"].choices = BLANK + [(str(c.pk), c.name) for c in contacts]

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"type_id": d.get("type_id") or None, "content": d["content"], "contact_id": d.get("contact_id") or None,
                "occurred_at": d["occurred_at"]}


class FollowUpFilterForm(forms.Form):
    """GET parameters of /followups/; bad values are ignored so links never break."""

    owner = forms.RegexField(regex=r"^(me|all|\d{1,18})$", required=False)
    type = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    customer = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = forms.DateField(required=False, validators=[sane_year])
    date_to = forms.DateField(required=False, validators=[sane_year])
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
