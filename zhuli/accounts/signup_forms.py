"""Forms of the public pages: trial sign-up and the demo entry. The service validates the content
(so the page and the API give the same messages); these only carry the input."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .demo import DEMO_ENTRY_ROLES


class SignupForm(forms.Form):
    company = forms.CharField(label=_("公司名称"), required=False, max_length=1000,
                              widget=forms.TextInput(attrs={"autocomplete": "organization", "maxlength": 100,
                                                            "placeholder": _("例如：杭州某某科技有限公司")}))
    name = forms.CharField(label=_("您的姓名"), required=False, max_length=1000,
                           widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": 50}))
    mobile = forms.CharField(label=_("手机号"), required=False, max_length=40,
                             widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.CharField(label=_("邮箱"), required=False, max_length=254,
                            help_text=_("手机号和邮箱至少填写一个，用作登录帐号"),
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label=_("设置密码"), required=False, strip=False, max_length=200,
                               help_text=_("至少 8 位，不能全是数字，不能太常见"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    accept_terms = forms.BooleanField(label=_("我已阅读并同意服务条款"), required=False)

    REQUIRED_LOOK = ("company", "name", "password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED_LOOK:
            self.fields[name].widget.attrs["aria-required"] = "true"

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class DemoEntryForm(forms.Form):
    role = forms.ChoiceField(label=_("演示角色"), choices=[(k, v[0]) for k, v in DEMO_ENTRY_ROLES.items()],
                             error_messages={"invalid_choice": _("请选择一个演示角色"), "required": _("请选择一个演示角色")})
