from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.services import time_zone_choices


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("公司名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    website = forms.CharField(label=_("网址"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": "www.example.com", "inputmode": "url"}))
    introduction = forms.CharField(label=_("公司简介"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    time_zone = forms.ChoiceField(label=_("时区"), help_text=_("“今天”“本月”等按此时区计算"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()


class LogoForm(forms.Form):
    # A plain file field: the type is judged by core.uploads.check_image (the one upload door).
    logo = forms.FileField(label=_("公司标志"), help_text=_("PNG、JPEG 或 WebP 图片，最大 2 MB，不超过 4096 × 4096 像素"),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))


class DictionaryItemForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    code = forms.CharField(label=_("代码"), max_length=20, required=False)
