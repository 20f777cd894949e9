"""Contacts (联系人) through the same importer and exporter as customers.

A row names its customer by name (normalised as the customers' 查重 key) or customer number, among the
customers the importer can see: an unknown and an invisible customer get the same row error. A contact is a
duplicate when its customer already has one of the same name, unless both carry mobiles with different digits.
Writes go through contact_create / contact_update, so permissions, scope and audit are those of every path.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.access.scoping import require, visible
from zhuli.core import text
from zhuli.core.errors import InvalidInput, NotFound
from zhuli.core.pagination import order_by_param
from zhuli.customers.models import Contact, Customer, Gender
from zhuli.customers.selectors import contact_list
from zhuli.customers.services import contact_create, contact_update

from .exports import DATE, MOMENT, ExportColumn, _choice, _ChoiceColumn, _text
from .models import OnDuplicate
from .readers import parse_date
from .resources import GENDER_WORDS, ImportField, ParsedRow
from .resources import _text as cell_text

F = ImportField
CONTACT_FIELDS = [
    F("customer", gettext_lazy("客户名称"), ("客户", "所属客户", "客户全称", "公司名称", "公司", "单位名称", "企业名称",
                                          "客户编号", "customer", "company", "customer name", "company name"),
      "深圳市示例科技有限公司", True),
    F("name", gettext_lazy("姓名"), ("联系人", "联系人姓名", "名字", "name", "contact", "contact name"), "张三", True),
    F("gender", gettext_lazy("性别"), ("gender", "sex"), gettext_lazy("男")),
    F("title", gettext_lazy("职务"), ("职位", "岗位", "头衔", "title", "position", "job title"), "采购经理"),
    F("department_name", gettext_lazy("部门"), ("所在部门", "部门名称", "department"), "采购部"),
    F("mobile", gettext_lazy("手机"), ("手机号", "手机号码", "移动电话", "mobile", "cell", "cellphone"), "13800138000"),
    F("phone", gettext_lazy("电话"), ("工作电话", "办公电话", "联系电话", "座机", "固定电话", "phone", "tel",
                                     "telephone", "work phone"), "0755-12345678"),
    F("email", gettext_lazy("邮箱"), ("电子邮箱", "电子邮件", "邮件", "email", "e-mail"), "zhangsan@example.com"),
    F("wechat", gettext_lazy("微信"), ("微信号", "wechat", "weixin"), "zhangsan_wx"),
    F("qq", gettext_lazy("QQ"), ("qq号", "qq号码", "qq"), "12345678"),
    F("birthday", gettext_lazy("生日"), ("出生日期", "birthday", "date of birth"), "1985-06-18"),
    F("kind", gettext_lazy("联系人类型"), ("类型", "联系人状态", "状态", "kind", "type"), gettext_lazy("首要联系人")),
    F("remarks", gettext_lazy("备注"), ("说明", "remarks", "remark", "note", "notes")),
]
del F
TEXT_FIELDS = ("title", "department_name", "mobile", "phone", "email", "wechat", "qq", "remarks")
CONTACT, PRIMARY, LEFT = "contact", "primary", "left"
KIND_FLAGS = {CONTACT: {"is_primary": False, "has_left": False}, PRIMARY: {"is_primary": True, "has_left": False},
              LEFT: {"is_primary": False, "has_left": True}}
KIND_WORDS = {
    "联系人": CONTACT, "普通联系人": CONTACT, "普通": CONTACT, "在职": CONTACT, "contact": CONTACT,
    "首要联系人": PRIMARY, "主要联系人": PRIMARY, "主联系人": PRIMARY, "首要": PRIMARY, "primary": PRIMARY,
    "primary contact": PRIMARY,
    "离职": LEFT, "已离职": LEFT, "离职联系人": LEFT, "left": LEFT,
}
SERVICE_ERROR_FIELDS = {"customer_id": "customer"}


def _kind_labels() -> dict[str, str]:
    return {CONTACT: _("联系人"), PRIMARY: _("首要联系人"), LEFT: _("离职")}


def _kind_of(word: str) -> str | None:
    """The Chinese words above, or the labels of the user's language (what this exporter wrote)."""
    folded = word.casefold()
    code = KIND_WORDS.get(folded)
    if code is None:
        code = next((c for c, label in _kind_labels().items() if str(label).casefold() == folded), None)
    return code


@dataclass
class ContactImportContext:
    actor: Actor
    mapping: dict[int, str]
    writes: bool
    by_key: dict[str, list[dict]]  # customer name key → visible customers
    by_number: dict[str, list[dict]]  # customer number → visible customers
    existing: dict[int, list[dict]]  # customer id → its contacts (and this file's earlier rows)


class ContactResource:
    key = "contacts"
    label = gettext_lazy("联系人")
    permission = "customers.edit"  # what contact_create requires
    fields = CONTACT_FIELDS
    field_map = {f.name: f for f in CONTACT_FIELDS}
    service_error_fields = SERVICE_ERROR_FIELDS
    batch_inserts = False
    duplicate_words = (gettext_lazy("遇到重复联系人（同一客户下姓名相同）"), [
        (OnDuplicate.SKIP, gettext_lazy("跳过重复联系人")), (OnDuplicate.UPDATE, gettext_lazy("更新已有联系人")),
        (OnDuplicate.CREATE, gettext_lazy("仍然新建"))])

    def auto_mapping(self, headers):
        from .resources import CustomerResource

        return CustomerResource.auto_mapping(self, headers)

    def check_mapping(self, mapping):
        from .resources import CustomerResource

        return CustomerResource.check_mapping(self, mapping)

    def begin(self, *, actor: Actor, owner, mapping, sheet, writes: bool) -> ContactImportContext:
        """The file's customers among the visible ones, and their contacts, read once."""
        require(actor, self.permission)
        col = next((i for i, n in mapping.items() if n == "customer"), None)
        values = {cell_text(cells[col]) for _n, cells in sheet.rows if col is not None and col < len(cells)} - {""}
        keys = {text.name_key(v)[:200] for v in values} - {""}
        by_key: dict[str, list[dict]] = {}
        by_number: dict[str, list[dict]] = {}
        customers = visible(Customer, actor).filter(Q(name_key__in=keys) | Q(number__in=values)) \
            .values("id", "name", "name_key", "number") if values else []
        for c in customers:
            if c["name_key"] in keys:
                by_key.setdefault(c["name_key"], []).append(c)
            if c["number"] and c["number"] in values:
                by_number.setdefault(c["number"], []).append(c)
        ids = {c["id"] for found in (*by_key.values(), *by_number.values()) for c in found}
        existing: dict[int, list[dict]] = {}
        for row in visible(Contact, actor).filter(customer_id__in=ids).order_by("id").values(
                "id", "customer_id", "name", "mobile"):
            existing.setdefault(row["customer_id"], []).append(
                {"id": row["id"], "name": row["name"], "mobile": text.digits(row["mobile"]), "owner": ""})
        return ContactImportContext(actor=actor, mapping=mapping, writes=writes, by_key=by_key, by_number=by_number,
                                    existing=existing)

    def parse(self, ctx: ContactImportContext, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        values = {name: cells[index] for index, name in ctx.mapping.items() if index < len(cells)}
        data = row.data
        customer = cell_text(values.get("customer"))
        if not customer:
            row.errors.append(("customer", _("客户名称不能为空")))
        else:
            matches = ctx.by_key.get(text.name_key(customer)[:200]) or ctx.by_number.get(customer) or []
            if not matches:
                row.errors.append(("customer", _("找不到客户“%(name)s”（须是您可见的客户名称或客户编号）")
                                   % {"name": customer}))
            elif len(matches) > 1:
                row.errors.append(("customer", _("有多个客户叫“%(name)s”，请改填客户编号") % {"name": customer}))
            else:
                row.extra["customer"] = matches[0]
        data["name"] = cell_text(values.get("name"))
        if not data["name"]:
            row.errors.append(("name", _("联系人姓名不能为空")))
        for name in TEXT_FIELDS:
            if values.get(name) is not None:
                data[name] = cell_text(values[name])
        if values.get("gender") is not None and cell_text(values["gender"]):
            gender = GENDER_WORDS.get(cell_text(values["gender"]).casefold())
            if gender is None:
                gender = next((code for code, label in Gender.choices
                               if str(label).casefold() == cell_text(values["gender"]).casefold()), None)
            if gender is None:
                row.errors.append(("gender", _("性别只能填写“男”或“女”")))
            else:
                data["gender"] = gender
        if values.get("birthday") is not None:
            try:
                data["birthday"] = parse_date(values["birthday"], allow_serial=True)
            except ValueError as exc:
                row.errors.append(("birthday", str(exc)))
        kind = cell_text(values.get("kind"))
        if kind:
            code = _kind_of(kind)
            if code is None:
                row.errors.append(("kind", _("联系人类型只能填写 联系人、首要联系人 或 离职")))
            else:
                data.update(KIND_FLAGS[code])
        if "customer" in row.extra:
            row.name_key = str(row.extra["customer"]["id"])
        return row

    def duplicate_of(self, ctx, row: ParsedRow) -> dict | None:
        """A contact of the same customer with the same name; mobiles, when both have one, must agree too."""
        mobile = text.digits(row.data.get("mobile"))
        for contact in ctx.existing.get(row.extra["customer"]["id"], []):
            if contact["name"] == row.data["name"] and not (mobile and contact["mobile"] and mobile != contact["mobile"]):
                return contact
        return None

    def remember(self, ctx, row: ParsedRow, contact) -> dict:
        match = {"id": contact.pk, "name": contact.name, "mobile": text.digits(contact.mobile), "owner": ""}
        ctx.existing.setdefault(row.extra["customer"]["id"], []).append(match)
        return match

    def prepare(self, ctx, row):
        return None  # one service call a row: the primary-contact rule and the customer's search keys stay there

    def insert(self, ctx, records):  # pragma: no cover - prepare never batches
        raise NotImplementedError

    def needs_savepoint(self, row) -> bool:
        return False

    def create(self, ctx, row: ParsedRow, *, allow_duplicate: bool):
        try:
            return contact_create(actor=ctx.actor, customer_id=row.extra["customer"]["id"], data=row.data)
        except NotFound:
            raise InvalidInput({"customer": _("找不到客户“%(name)s”（须是您可见的客户名称或客户编号）")
                                % {"name": row.extra["customer"]["name"]}}) from None

    def update(self, ctx, match: dict, row: ParsedRow):
        """Fills in the cells the row has; the name (the match key) stays, and so does a mobile with the same digits."""
        data = {k: v for k, v in row.data.items() if k != "name" and v not in ("", None)}
        if match["mobile"] and text.digits(data.get("mobile")) == match["mobile"]:
            del data["mobile"]
        try:
            return contact_update(actor=ctx.actor, contact_id=match["id"], data=data)
        except NotFound:
            raise InvalidInput({"name": _("联系人“%(name)s”不在您的数据范围内，无法更新") % {"name": match["name"]}}) \
                from None

    def template(self) -> tuple[list[str], list[str]]:
        shown = [f for f in self.fields if f.example or f.required]
        return [str(f.label) for f in shown], [str(f.example) for f in shown]


# ---- export ------------------------------------------------------------------------------------------

CONTACT_SORTS = {"id": "id", "name": "name", "created_at": "created_at"}  # those of GET /contacts


def contact_filters(params) -> tuple[dict, str, dict]:
    """GET /contacts' query parameters (q, customer, sort), checked; and what was asked, for the audit."""
    values, asked = {}, {}
    q = text.clean_text(params.get("q") or "")[:100]
    if q:
        values["q"] = asked["q"] = q
    customer = (params.get("customer") or "").strip()
    if customer:
        if not (customer.isdigit() and len(customer) <= 18):
            raise InvalidInput({"customer": _("必须是整数")})
        values["customer_id"] = int(customer)
        asked["customer"] = customer
    sort = (params.get("sort") or "").strip()
    if sort:
        asked["sort"] = sort
    return values, sort, asked


class ContactExport:
    key = "contacts"
    label = gettext_lazy("联系人")
    permission = "customers.export"

    def columns(self, actor: Actor) -> list[ExportColumn]:
        labels = {code: str(label) for code, label in _kind_labels().items()}
        t, L = _text, gettext_lazy
        columns = [
            t("customer__name", L("客户名称")), t("customer__number", L("客户编号")), t("name", L("姓名")),
            _choice("gender", L("性别"), Gender.choices), t("title", L("职务")), t("department_name", L("部门")),
            t("mobile", L("手机")), t("phone", L("电话")), t("email", L("邮箱")), t("wechat", L("微信")),
            t("qq", L("QQ")), ExportColumn(L("生日"), ("birthday",), lambda r: r["birthday"], kind=DATE),
            ExportColumn(L("联系人类型"), ("is_primary", "has_left"), lambda r: labels[
                LEFT if r["has_left"] else PRIMARY if r["is_primary"] else CONTACT]),
            t("remarks", L("备注")),
            ExportColumn(L("创建时间"), ("created_at",), lambda r: r["created_at"], kind=MOMENT),
        ]
        return [c.resolved() if isinstance(c, _ChoiceColumn) else c for c in columns]

    def rows(self, *, actor: Actor, params):
        filters, sort, asked = contact_filters(params)
        qs = contact_list(actor=actor, **filters)
        if sort:
            qs = qs.order_by(*order_by_param(sort, CONTACT_SORTS, "id"))
        lookups = dict.fromkeys(lookup for c in self.columns(actor) for lookup in c.lookups)
        return qs.values("id", *lookups), asked
