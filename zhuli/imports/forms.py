from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import OnDuplicate


def _word_duplicates(field, duplicates) -> None:
    """A resource's own words for its duplicates (`duplicate_words`: label and choices); customers' by default."""
    if duplicates:
        field.label, field.choices = duplicates


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("选择文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv,.ods"}),
    )
    on_duplicate = forms.ChoiceField(label=_("遇到重复客户（名称或统一社会信用代码相同）"),
                                     choices=OnDuplicate.choices, initial=OnDuplicate.SKIP, widget=forms.RadioSelect)

    def __init__(self, *args, pools=(), duplicates=None, **kwargs):
        super().__init__(*args, **kwargs)
        _word_duplicates(self.fields["on_duplicate"], duplicates)
        if pools:
            # Straight into a pool (公海), without an owner: offered to those who may transfer customers.
            self.fields["pool"] = forms.TypedChoiceField(
                label=_("导入到"), required=False, coerce=int, empty_value=None,
                choices=[("", _("由我负责"))] + [(p.pk, _("公海：%(name)s") % {"name": p.name}) for p in pools])
        # Here, not on the class: `lazy % {...}` there would freeze the help text in the start-up language.
        self.fields["file"].help_text = _("支持 .xlsx、.xls、.csv，最大 %(mb)s MB；第一行是表头") % {
            "mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}


class MappingForm(forms.Form):
    """One select per spreadsheet column: which field it fills, or 不导入."""

    on_duplicate = forms.ChoiceField(label=_("遇到重复客户"), choices=OnDuplicate.choices, widget=forms.RadioSelect)

    def __init__(self, *args, columns: list[dict], fields: list, duplicates=None, **kwargs):
        super().__init__(*args, **kwargs)
        _word_duplicates(self.fields["on_duplicate"], duplicates)
        choices = [("", _("— 不导入 —"))] + [(f.name, f.label) for f in fields]
        self.columns = columns
        for column in columns:
            name = f"col_{column['index']}"
            self.fields[name] = forms.ChoiceField(label=column["header"] or _("（无表头）"), choices=choices,
                                                  required=False, initial=column["field"])
            column["form_field"] = name

    def mapping(self) -> dict[str, str]:
        return {str(c["index"]): self.cleaned_data.get(c["form_field"]) or "" for c in self.columns}

    def bound_columns(self):
        for column in self.columns:
            yield column, self[column["form_field"]]
