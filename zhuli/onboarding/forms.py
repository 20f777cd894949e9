from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.tenancy.models import TrackingStyle

from .models import DocumentKind

CUSTOMER_KIND_CHOICES = [
    ("enterprise", _("企业客户")),
    ("individual", _("个人客户")),
    ("both", _("两者都有")),
]
AGREEMENT_CHOICES = [
    ("contract", _("合同")),
    ("order", _("订单")),
    ("both", _("两者都用")),
]
INVENTORY_CHOICES = [("off", _("暂不启用")), ("on", _("启用库存"))]


class CustomerKindsForm(forms.Form):
    customer_kinds = forms.ChoiceField(label=_("客户类型"), choices=CUSTOMER_KIND_CHOICES, widget=forms.RadioSelect)


class AgreementsForm(forms.Form):
    agreements = forms.ChoiceField(label=_("合同与订单"), choices=AGREEMENT_CHOICES, widget=forms.RadioSelect)


class TrackingForm(forms.Form):
    tracking_style = forms.ChoiceField(label=_("跟踪方式"), choices=TrackingStyle.choices, widget=forms.RadioSelect)


class InventoryForm(forms.Form):
    inventory = forms.ChoiceField(label=_("库存"), choices=INVENTORY_CHOICES, widget=forms.RadioSelect)

    def service_data(self) -> dict:
        return {"inventory": self.cleaned_data["inventory"] == "on"}


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("公司名称"), max_length=100)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    website = forms.CharField(label=_("网址"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": "www.example.com", "inputmode": "url"}))
    # A plain file field: the type is judged by core.uploads.check_image (the one upload door).
    logo = forms.FileField(label=_("公司标志"), required=False,
                           help_text=_("可选。PNG、JPEG 或 WebP 图片，最大 2 MB；显示在左上角"),
                           widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(label=_("正文"), required=False, max_length=20000,
                           help_text=_("“# ”开头为标题，“- ”开头为列表项，**文字** 为加粗"),
                           widget=forms.Textarea(attrs={"rows": 18, "class": "font-monospace"}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]


STEP_FORMS = {
    "customers": CustomerKindsForm,
    "agreements": AgreementsForm,
    "tracking": TrackingForm,
    "inventory": InventoryForm,
    "company": CompanyForm,
}
