"""Forms of the product screens; the rules are in catalog.services (its error keys are these names)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ProductKind

BLANK = [("", "—")]


class ProductForm(forms.Form):
    """Create / edit. Prices and the tax rate stay text so the service gives the one message for bad values."""

    code = forms.CharField(label=_("产品编码"), max_length=40)
    name = forms.CharField(label=_("产品名称"), max_length=200)
    specification = forms.CharField(label=_("规格型号"), max_length=200, required=False)
    category_id = forms.ChoiceField(label=_("产品分类"), required=False)
    unit_id = forms.ChoiceField(label=_("单位"), required=False)
    kind = forms.ChoiceField(label=_("产品类型"), choices=ProductKind.choices,
                             help_text=_("服务类产品用于合同，实物类产品用于订单"))
    list_price = forms.CharField(label=_("标准价格"), max_length=30, required=False,
                                 widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    cost = forms.CharField(label=_("成本价"), max_length=30, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    tax_rate = forms.CharField(label=_("税率（%）"), max_length=10, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    is_active = forms.BooleanField(label=_("启用"), required=False)
    description = forms.CharField(label=_("产品说明"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, categories=(), units=(), instance=None, **kw):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "code": instance.code, "name": instance.name, "specification": instance.specification,
                "category_id": str(instance.category_id or ""), "unit_id": str(instance.unit_id or ""),
                "kind": instance.kind, "list_price": f"{instance.list_price:.2f}",
                "cost": "" if instance.cost is None else f"{instance.cost:.2f}", "tax_rate": f"{instance.tax_rate:g}",
                "is_active": instance.is_active, "description": instance.description,
            }
        elif "initial" not in kw:
            kw["initial"] = {"kind": ProductKind.PHYSICAL, "tax_rate": "13", "is_active": True}
        super().__init__(*args, **kw)
        self.instance = instance
        self.fields["category_id"].choices = BLANK + [(str(c.pk), f"{c.indent}{c.name}") for c in categories]
        self.fields["unit_id"].choices = BLANK + [(str(i.pk), i.name) for i in units]

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {k: d.get(k, "") for k in ("code", "name", "specification", "kind", "list_price", "cost", "tax_rate",
                                          "description")}
        data["category_id"] = d.get("category_id") or None
        data["unit_id"] = d.get("unit_id") or None
        data["is_active"] = bool(d.get("is_active"))
        return data


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("分类名称"), max_length=60)
    parent_id = forms.ChoiceField(label=_("上级分类"), required=False)

    def __init__(self, *args, categories=(), **kw):
        super().__init__(*args, **kw)
        self.fields["parent_id"].choices = [("", _("（顶级分类）"))] + [
            (str(c.pk), f"{c.indent}{c.name}") for c in categories]
