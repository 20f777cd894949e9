from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    login = forms.CharField(label=_("邮箱或手机号"), max_length=254,
                            widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True,
                                                          "inputmode": "email"}))
    password = forms.CharField(label=_("密码"), max_length=128, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
