"""Forms of the customer screens: they parse input into the services' data keys, nothing more
(rules live in customers.services; its InvalidInput keys are these field names)."""
from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhuli.access.actor import Actor
from zhuli.core.models import Region
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.selectors import dictionary_choices

from .models import CustomerKind, Gender
from .selectors import CustomerFilters


def customer_picker(field) -> None:
    """Turns a form's customer select into the searchable picker: zhuli.js puts a search box above it that fills
    the options from customers:options (name, pinyin, initials, phone), so any visible customer can be chosen,
    not only the recent ones listed."""
    field.widget.attrs.update({"data-zl-search-url": reverse("customers:options"),
                               "data-zl-search-placeholder": str(_("输入名称、拼音或电话查找客户"))})

BLANK = [("", "—")]
MAX_ID = 2**63 - 1  # larger ids would overflow the database's bigint: refused by the form, never sent

# Fields each kind shows (besides COMMON_FIELDS); the order is the form's order.
ENTERPRISE_FIELDS = ("name", "short_name", "industry_id", "phone", "website", "credit_code", "legal_representative",
                     "staff_size_id", "introduction")
INDIVIDUAL_FIELDS = ("name", "gender", "mobile", "phone", "birthday", "email", "wechat")
COMMON_FIELDS = ("source_id", "level_id", "status_id", "customer_type_id", "province_id", "city_id", "district_id",
                 "address", "english_name", "number", "external_code", "tags", "remarks")
# 开票信息 (both kinds): copied onto each invoice request by billing.
INVOICE_FIELDS = ("invoice_title", "invoice_tax_number", "invoice_bank", "invoice_account", "invoice_address",
                  "invoice_phone")
DICT_KINDS = {
    "source_id": DictionaryKind.SOURCE, "level_id": DictionaryKind.LEVEL, "status_id": DictionaryKind.STATUS,
    "industry_id": DictionaryKind.INDUSTRY, "customer_type_id": DictionaryKind.CUSTOMER_TYPE,
    "staff_size_id": DictionaryKind.STAFF_SIZE,
}
DICT_LABELS = {
    "source_id": _("客户来源"), "level_id": _("客户等级"), "status_id": _("客户状态"), "industry_id": _("行业"),
    "customer_type_id": _("客户分类"), "staff_size_id": _("人员规模"),
}


def region_choices(parent: str | None, level: int) -> list[tuple[str, str]]:
    """Options of one region picker: provinces, or the children of the chosen parent."""
    if level == 1:
        qs = Region.objects.filter(level=1)
    elif parent:
        qs = Region.objects.filter(parent_id=parent)
    else:
        return []
    return [(r.code, r.name) for r in qs.only("code", "name").order_by("code")]


class CustomerForm(forms.Form):
    """Create / edit one customer; `kind` decides which fields exist."""

    name = forms.CharField(label=_("客户名称"), max_length=200)
    short_name = forms.CharField(label=_("简称"), max_length=100, required=False)
    phone = forms.CharField(label=_("电话"), max_length=60, required=False)
    website = forms.CharField(label=_("网址"), max_length=200, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30, required=False)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=50, required=False)
    invoice_title = forms.CharField(label=_("发票抬头"), max_length=200, required=False)
    invoice_tax_number = forms.CharField(label=_("纳税人识别号"), max_length=20, required=False)
    invoice_bank = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    invoice_account = forms.CharField(label=_("银行账号"), max_length=40, required=False)
    invoice_address = forms.CharField(label=_("开票地址"), max_length=200, required=False)
    invoice_phone = forms.CharField(label=_("开票电话"), max_length=40, required=False)
    introduction = forms.CharField(label=_("公司简介"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    gender = forms.ChoiceField(label=_("性别"), required=False, choices=BLANK + list(Gender.choices))
    mobile = forms.CharField(label=_("手机"), max_length=40, required=False)
    birthday = forms.DateField(label=_("生日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    wechat = forms.CharField(label=_("微信"), max_length=60, required=False)
    province_id = forms.ChoiceField(label=_("省份"), required=False)
    city_id = forms.ChoiceField(label=_("城市"), required=False)
    district_id = forms.ChoiceField(label=_("区县"), required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    english_name = forms.CharField(label=_("英文名称"), max_length=200, required=False)
    number = forms.CharField(label=_("客户编号"), max_length=40, required=False)
    external_code = forms.CharField(label=_("外部编码"), max_length=60, required=False)
    tags = forms.CharField(label=_("标签"), max_length=300, required=False, help_text=_("多个标签用逗号分隔"))
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_id = forms.ChoiceField(label=_("负责人"), required=False)
    allow_duplicate = forms.BooleanField(label=_("仍然保存（我确认这不是重复客户）"), required=False)

    def __init__(self, *args, actor: Actor, kind: str, instance=None, owners=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = customer_initial(instance)
        super().__init__(*args, **kwargs)
        self.actor, self.kind, self.instance = actor, kind, instance
        keep = set(ENTERPRISE_FIELDS if kind == CustomerKind.ENTERPRISE else INDIVIDUAL_FIELDS) | set(COMMON_FIELDS)
        keep |= set(INVOICE_FIELDS)
        keep |= {"allow_duplicate"}
        if instance is None and owners is not None:
            keep.add("owner_id")
            self.fields["owner_id"].choices = [(str(u.pk), u.display_name) for u in owners]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name, dict_kind in DICT_KINDS.items():
            if name in keep:
                current = getattr(instance, name, None) if instance else None
                items = dictionary_choices(actor=actor, kind=dict_kind, keep_id=current)
                self.fields[name] = forms.ChoiceField(
                    label=DICT_LABELS[name], required=False, choices=BLANK + [(str(i.pk), i.name) for i in items]
                )
        if kind == CustomerKind.INDIVIDUAL:
            self.fields["name"].label = _("姓名")
        province = self._value("province_id")
        city = self._value("city_id")
        self.fields["province_id"].choices = BLANK + region_choices(None, 1)
        self.fields["city_id"].choices = BLANK + region_choices(province, 2)
        self.fields["district_id"].choices = BLANK + region_choices(city, 3)
        self._wire_htmx()
        self.order_fields([*(ENTERPRISE_FIELDS if kind == CustomerKind.ENTERPRISE else INDIVIDUAL_FIELDS),
                           *COMMON_FIELDS, *INVOICE_FIELDS, "owner_id", "allow_duplicate"])

    def _wire_htmx(self) -> None:
        """Live 查重 on the identifying fields; dependent region pickers."""
        dup = {"hx-get": reverse("customers:duplicates"), "hx-target": "#duplicate-hint", "hx-swap": "innerHTML",
               "hx-include": "#customer-form .zl-dup-field", "hx-trigger": "change"}
        for name in ("name", "credit_code", "phone", "mobile", "website"):
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs.update(dup, **{"class": "zl-dup-field"})
        self.fields["name"].widget.attrs.update({"hx-trigger": "input changed delay:400ms, change", "autocomplete": "off"})
        if self.instance is None:
            self.fields["name"].widget.attrs["autofocus"] = True
        regions = reverse("customers:regions")
        self.fields["province_id"].widget.attrs.update({
            "hx-get": f"{regions}?level=2", "hx-target": "#id_city_id", "hx-include": "this", "hx-trigger": "change",
            "data-zl-reset": "#id_city_id,#id_district_id"})
        self.fields["city_id"].widget.attrs.update({
            "hx-get": f"{regions}?level=3", "hx-target": "#id_district_id", "hx-include": "this", "hx-trigger": "change",
            "data-zl-reset": "#id_district_id"})

    def _value(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name) or ""
        return str(self.initial.get(name) or "")

    def service_data(self) -> dict:
        """The cleaned values under the services' keys; only this kind's fields, so blanks clear."""
        data = {"kind": self.kind}
        for name, value in self.cleaned_data.items():
            if name in ("allow_duplicate", "owner_id"):
                continue
            data[name] = value if value is not None else ""
        if self.cleaned_data.get("owner_id"):
            data["owner_id"] = self.cleaned_data["owner_id"]
        if "birthday" in data and not data["birthday"]:
            data["birthday"] = None
        return data

    # The groups the template shows, in order (field names present in this form).
    def groups(self) -> list[tuple[str, list]]:
        main = ENTERPRISE_FIELDS if self.kind == CustomerKind.ENTERPRISE else INDIVIDUAL_FIELDS
        layout = [
            (_("基本信息"), [n for n in main if n not in ("introduction",)]),
            (_("分类"), ["source_id", "level_id", "status_id", "customer_type_id"]),
            (_("地区与地址"), ["province_id", "city_id", "district_id", "address"]),
            (_("其他"), ["english_name", "number", "external_code", "tags", "introduction", "remarks", "owner_id"]),
            (_("开票信息"), list(INVOICE_FIELDS)),
        ]
        groups = []
        for i, (title, names) in enumerate(layout):
            fields = [self[n] for n in names if n in self.fields]
            # The last group is rarely needed when creating: folded unless it holds a value or an error.
            folded = i == len(layout) - 1 and not any(f.errors or f.value() for f in fields if f.name != "owner_id")
            groups.append({"title": title, "fields": fields, "folded": folded and self.instance is None})
        return groups


def customer_initial(customer) -> dict:
    out = {}
    for name in (*ENTERPRISE_FIELDS, *INDIVIDUAL_FIELDS, *COMMON_FIELDS, *INVOICE_FIELDS):
        value = getattr(customer, name, None)
        if name.endswith("_id"):
            value = str(value) if value else ""
        out[name] = value
    return out


class ContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    department_name = forms.CharField(label=_("部门"), max_length=60, required=False)
    mobile = forms.CharField(label=_("手机"), max_length=40, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    wechat = forms.CharField(label=_("微信"), max_length=60, required=False)
    qq = forms.CharField(label=_("QQ"), max_length=20, required=False)
    gender = forms.ChoiceField(label=_("性别"), required=False, choices=BLANK + list(Gender.choices))
    birthday = forms.DateField(label=_("生日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    is_primary = forms.BooleanField(label=_("首要联系人"), required=False)
    has_left = forms.BooleanField(label=_("已离职"), required=False)
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict:
        return {k: (v if v is not None else "") if k != "birthday" else v for k, v in self.cleaned_data.items()}


class TransferForm(forms.Form):
    to_user_id = forms.ChoiceField(label=_("转给"))
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    customer_ids = forms.TypedMultipleChoiceField(coerce=int, required=True, error_messages={
        "required": _("请先勾选客户")})

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user_id"].choices = BLANK + [(str(u.pk), u.display_name) for u in users]
        # Any visible id may be named; the service resolves them against the actor's scope.
        ids = self.data.getlist("customer_ids") if hasattr(self.data, "getlist") else []
        self.fields["customer_ids"].choices = [(i, i) for i in ids if str(i).isdigit() and int(i) <= MAX_ID]


# ---- the list's filters -------------------------------------------------------------------------

def sane_year(value):
    # Day arithmetic near year 1 or 9999 overflows; no CRM date lives there.
    if value and not (1900 <= value.year <= 2200):
        raise forms.ValidationError(_("日期超出范围"))


class CustomerFilterForm(forms.Form):
    """GET parameters of the list; a bad value is ignored rather than refused (links must not break)."""

    q = forms.CharField(required=False, max_length=100)
    owner = forms.RegexField(regex=r"^(me|none|\d{1,18})$", required=False)
    department = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(required=False, choices=BLANK + list(CustomerKind.choices))
    status = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    level = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    source = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    industry = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    province = forms.RegexField(regex=r"^\d{2,12}$", required=False)
    city = forms.RegexField(regex=r"^\d{2,12}$", required=False)
    next_from = forms.DateField(required=False, validators=[sane_year])
    next_to = forms.DateField(required=False, validators=[sane_year])
    no_followup_days = forms.IntegerField(required=False, min_value=0, max_value=36500)
    tag = forms.CharField(required=False, max_length=50)
    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=1000)

    FILTER_KEYS = ("q", "owner", "department", "kind", "status", "level", "source", "industry", "province", "city",
                   "next_from", "next_to", "no_followup_days", "tag")

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def filters(self) -> CustomerFilters:
        v = self.values()
        return CustomerFilters(**{k: v[k] for k in self.FILTER_KEYS if k in v})

    def active_count(self) -> int:
        v = self.values()
        return sum(1 for k in self.FILTER_KEYS if k in v and k != "q")


# ---- the pool (公海) -----------------------------------------------------------------------------------

class PoolFilterForm(forms.Form):
    """GET parameters of the pool page; bad values are ignored."""

    q = forms.CharField(required=False, max_length=100)
    pool = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    level = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    sort = forms.CharField(required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

    def values(self) -> dict:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def filters(self) -> CustomerFilters:
        v = self.values()
        return CustomerFilters(owner="none", q=v.get("q", ""), pool=v.get("pool"), level=v.get("level"))


def _ids_field():
    return forms.TypedMultipleChoiceField(coerce=int, required=True, error_messages={"required": _("请先勾选客户")})


def _accept_ids(form):
    # Any id may be named; the service resolves them against the actor's scope.
    ids = form.data.getlist("customer_ids") if hasattr(form.data, "getlist") else []
    form.fields["customer_ids"].choices = [(i, i) for i in ids if str(i).isdigit() and int(i) <= MAX_ID]


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    pool_id = forms.IntegerField(label=_("放入公海"), required=False, min_value=1, max_value=MAX_ID)
    customer_ids = _ids_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _accept_ids(self)


class AssignForm(forms.Form):
    owner_id = forms.IntegerField(label=_("分配给"), min_value=1, max_value=MAX_ID,
                                  error_messages={"required": _("请选择分配给谁")})
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)
    customer_ids = _ids_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _accept_ids(self)
