"""What can be imported: each resource names its fields (with the header words people use for
them) and turns one spreadsheet row into calls of its app's own services.

The run loop (transactions, duplicates policy, counts, error rows, progress) lives in
services.py and is the same for every resource; contacts and products plug in later by
registering another resource in core.registry.import_resources.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhuli.access.actor import Actor
from zhuli.access.scoping import require
from zhuli.activities.selectors import todo_list
from zhuli.activities.services import todo_create
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import AppError, Forbidden, InvalidInput
from zhuli.core.regions_names import short_region_name
from zhuli.customers.models import Customer, CustomerKind, Gender
from zhuli.customers.selectors import contact_list
from zhuli.customers.services import (
    ENTERPRISE_ONLY,
    _clean,
    contact_create,
    customer_create,
    customer_search_keys,
    customer_update,
)
from zhuli.preferences.models import DictionaryKind
from zhuli.preferences.services import dictionary_item_ensure
from zhuli.tenancy.context import require_tenant

from . import selectors
from .readers import normalize_header, parse_date


@dataclass(frozen=True)
class ImportField:
    name: str
    label: object  # lazy translation: shown in the mapping step and the template
    synonyms: tuple[str, ...] = ()
    example: object = ""
    required: bool = False

    def header_keys(self) -> set[str]:
        # The Chinese label too, whatever the user's UI language: files arrive in Chinese from colleagues.
        with translation.override("zh-hans"):
            chinese = str(self.label)
        return {normalize_header(s) for s in (str(self.label), chinese, self.name, *self.synonyms)}


@dataclass
class ParsedRow:
    """One spreadsheet row turned into service input; `errors` are (field, message) pairs."""

    number: int
    cells: list
    data: dict = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    name_key: str = ""
    credit_code: str = ""
    extra: dict = field(default_factory=dict)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return text.clean_text(value)


def _region_key(value: str) -> str:
    return short_region_name(unicodedata.normalize("NFKC", value).replace(" ", ""))


class RegionIndex:
    """广东 = 广东省, 深圳 = 深圳市 within 广东省; the whole table is small enough to hold (≈3,400 rows)."""

    def __init__(self, rows):
        self.children: dict[str | None, dict[str, list[str]]] = {}
        self.parent: dict[str, str | None] = {}
        for code, name, short, _level, parent in rows:
            self.parent[code] = parent
            names = self.children.setdefault(parent, {})
            for key in {name, short}:
                names.setdefault(key, []).append(code)

    def find(self, value: str, parent: str | None) -> str | None:
        """The one child of `parent` called `value` (full name first, then the short form)."""
        names = self.children.get(parent, {})
        value = unicodedata.normalize("NFKC", value).replace(" ", "")
        for key in (value, _region_key(value)):
            codes = names.get(key)
            if codes and len(set(codes)) == 1:
                return codes[0]
        return None

    def find_below(self, value: str, ancestor: str | None, depth: int) -> str | None:
        """A unique match `depth` levels below `ancestor` (a city typed without its province)."""
        parents = [ancestor]
        for _level in range(depth - 1):
            parents = [code for p in parents for codes in self.children.get(p, {}).values() for code in codes]
            parents = list(dict.fromkeys(parents))
        found = {code for p in parents if (code := self.find(value, p))}
        return found.pop() if len(found) == 1 else None


KIND_WORDS = {
    "企业": CustomerKind.ENTERPRISE, "企业客户": CustomerKind.ENTERPRISE, "公司": CustomerKind.ENTERPRISE,
    "单位": CustomerKind.ENTERPRISE, "enterprise": CustomerKind.ENTERPRISE, "company": CustomerKind.ENTERPRISE,
    "个人": CustomerKind.INDIVIDUAL, "个人客户": CustomerKind.INDIVIDUAL, "individual": CustomerKind.INDIVIDUAL,
    "person": CustomerKind.INDIVIDUAL, "personal": CustomerKind.INDIVIDUAL,
}
GENDER_WORDS = {"男": Gender.MALE, "男性": Gender.MALE, "先生": Gender.MALE, "male": Gender.MALE, "m": Gender.MALE,
                "女": Gender.FEMALE, "女性": Gender.FEMALE, "女士": Gender.FEMALE, "female": Gender.FEMALE,
                "f": Gender.FEMALE}

F = ImportField
CUSTOMER_FIELDS = [
    F("name", gettext_lazy("客户名称"), ("公司名称", "公司全称", "名称", "企业名称", "客户全称", "单位名称", "customer",
                                      "company", "customer name", "company name"), "深圳市示例科技有限公司", True),
    F("kind", gettext_lazy("客户类型"), ("类型", "type"), gettext_lazy("企业")),
    F("short_name", gettext_lazy("简称"), ("公司简称", "客户简称", "short name"), "示例科技"),
    F("english_name", gettext_lazy("英文名称"), ("英文名", "english name"), "Shenzhen Example Technology Co., Ltd."),
    F("external_code", gettext_lazy("外部编码"), ("公司代码", "客户代码", "编码", "代码", "code"), "000001"),
    F("number", gettext_lazy("客户编号"), ("编号",)),
    F("owner", gettext_lazy("负责人"), ("客户负责人", "业务员", "销售负责人", "owner")),
    F("source", gettext_lazy("客户来源"), ("来源", "source"), gettext_lazy("客户介绍")),
    F("industry", gettext_lazy("行业"), ("所属行业", "行业类别", "industry"), "I 信息传输、软件和信息技术服务业"),
    F("level", gettext_lazy("客户等级"), ("等级", "level")),
    F("status", gettext_lazy("客户状态"), ("状态", "status")),
    F("customer_type", gettext_lazy("客户分类"), ()),
    F("staff_size", gettext_lazy("人员规模"), ("员工人数", "规模")),
    F("province", gettext_lazy("省份"), ("省", "所在省份", "所在省", "province"), "广东"),
    F("city", gettext_lazy("城市"), ("市", "所在城市", "所在市", "city"), "深圳市"),
    F("district", gettext_lazy("区县"), ("区", "县", "所在区县", "district"), "南山区"),
    F("address", gettext_lazy("地址"), ("注册地址", "详细地址", "公司地址", "办公地址", "通讯地址", "address"),
      "广东省深圳市南山区科技园1号"),
    F("phone", gettext_lazy("电话"), ("联系电话", "公司电话", "座机", "固定电话", "phone", "tel", "telephone"),
      "0755-12345678"),
    F("mobile", gettext_lazy("手机"), ("手机号", "手机号码", "移动电话", "mobile")),
    F("email", gettext_lazy("邮箱"), ("电子邮箱", "邮件", "email", "e-mail")),
    F("website", gettext_lazy("网址"), ("公司网址", "网站", "官网", "主页", "website", "url", "web"),
      "www.example.com"),
    F("credit_code", gettext_lazy("统一社会信用代码"), ("信用代码", "社会信用代码", "credit code", "uscc")),
    F("legal_representative", gettext_lazy("法定代表人"), ("法人", "法人代表")),
    F("introduction", gettext_lazy("公司简介"), ("简介",)),
    F("wechat", gettext_lazy("微信"), ("微信号", "wechat")),
    F("gender", gettext_lazy("性别"), ("gender",)),
    F("birthday", gettext_lazy("生日"), ("出生日期", "birthday")),
    F("tags", gettext_lazy("标签"), ("tags",)),
    F("remarks", gettext_lazy("备注"), ("说明", "remarks", "remark", "note", "notes")),
    F("next_followup", gettext_lazy("下次跟进日期"), ("下次跟进时间", "下次跟进", "计划跟进日期", "计划跟进时间"),
      "2030-01-15"),
    F("next_action", gettext_lazy("下次跟进内容"), ("下次跟进事项", "跟进计划")),
    F("contact_name", gettext_lazy("联系人"), ("联系人姓名", "contact"), "张三"),
    F("contact_mobile", gettext_lazy("联系人手机"), ("联系人手机号", "联系人手机号码"), "13800138000"),
    F("contact_title", gettext_lazy("联系人职务"), ("职务", "职位")),
    F("contact_phone", gettext_lazy("联系人电话"), ("联系人座机",)),
    F("contact_email", gettext_lazy("联系人邮箱"), ("联系人电子邮箱",)),
]
del F

TEXT_FIELDS = ("name", "short_name", "english_name", "external_code", "number", "address", "phone", "mobile",
               "email", "website", "credit_code", "legal_representative", "introduction", "wechat", "tags",
               "remarks")
DICTIONARY_FIELDS = {
    "source": DictionaryKind.SOURCE, "industry": DictionaryKind.INDUSTRY, "level": DictionaryKind.LEVEL,
    "status": DictionaryKind.STATUS, "customer_type": DictionaryKind.CUSTOMER_TYPE,
    "staff_size": DictionaryKind.STAFF_SIZE,
}
CONTACT_FIELDS = {"contact_name": "name", "contact_mobile": "mobile", "contact_title": "title",
                  "contact_phone": "phone", "contact_email": "email"}
# Service error keys → import fields, for naming the column of a refused value.
SERVICE_ERROR_FIELDS = {"owner_id": "owner", "due_at": "next_followup", "content": "next_action",
                        **{f"{name}_id": name for name in (*DICTIONARY_FIELDS, "province", "city", "district")}}
CONTACT_ERROR_FIELDS = {service: name for name, service in CONTACT_FIELDS.items()}
# What the customer service drops for an individual customer (customers.services.ENTERPRISE_ONLY).
INDIVIDUAL_DROPS = tuple(name for name in ENTERPRISE_ONLY if name in {f.name for f in CUSTOMER_FIELDS})


@dataclass
class CustomerImportContext:
    actor: Actor
    owner: object | None  # the default owner (a User)
    mapping: dict[int, str]
    writes: bool  # False in the preview: nothing may be added, not even dictionary items
    regions: RegionIndex
    users: list[dict]
    by_key: dict[str, dict]
    by_code: dict[str, dict]
    dictionary_cache: dict = field(default_factory=dict)
    batch: bool = False  # plain new customers may be inserted in batches (see prepare)
    pool: object | None = None  # importing into a pool (公海): rows without an owner go there


class CustomerResource:
    key = "customers"
    label = gettext_lazy("客户")
    permission = "customers.create"
    fields = CUSTOMER_FIELDS
    field_map = {f.name: f for f in CUSTOMER_FIELDS}
    service_error_fields = SERVICE_ERROR_FIELDS
    batch_inserts = True

    # ---- mapping -----------------------------------------------------------------------------

    def auto_mapping(self, headers: list[str]) -> dict[int, str]:
        """Column index → field by header words; the first column wins a field, the rest are ignored."""
        lookup = {}
        for f in self.fields:
            for key in f.header_keys():
                lookup.setdefault(key, f.name)
        mapping: dict[int, str] = {}
        for index, header in enumerate(headers):
            name = lookup.get(normalize_header(header or ""))
            if name and name not in mapping.values():
                mapping[index] = name
        return mapping

    def check_mapping(self, mapping: dict[int, str]) -> None:
        """Fatal mapping problems: the whole file would fail, so nothing starts."""
        missing = [f for f in self.fields if f.required and f.name not in mapping.values()]
        if missing:
            raise InvalidInput({"mapping": _("没有找到“%(label)s”列：请在表头写上“%(label)s”，或在列对应中选择")
                                % {"label": missing[0].label}})
        seen: set[str] = set()
        for name in mapping.values():
            if name not in self.field_map:
                raise InvalidInput({"mapping": _("未知的字段：%(name)s") % {"name": name}})
            if name in seen:
                raise InvalidInput({"mapping": _("“%(label)s”对应了多列，每个字段只能对应一列")
                                    % {"label": self.field_map[name].label}})
            seen.add(name)

    # ---- one file ----------------------------------------------------------------------------

    def begin(self, *, actor: Actor, owner, mapping: dict[int, str], sheet, writes: bool,
              pool=None) -> CustomerImportContext:
        """Everything the rows share, read once: regions, colleagues, and exact duplicates already in the tenant."""
        name_col = next((i for i, n in mapping.items() if n == "name"), None)
        code_col = next((i for i, n in mapping.items() if n == "credit_code"), None)
        keys, codes = set(), set()
        for _number, cells in sheet.rows:
            if name_col is not None:
                keys.add(text.name_key(_text(cells[name_col]))[:200])
            if code_col is not None:
                codes.add(_credit_code(_text(cells[code_col])))
        by_key, by_code = selectors.customer_duplicate_keys(name_keys=keys, credit_codes=codes)
        needs_regions = any(n in ("province", "city", "district") for n in mapping.values())
        require(actor, self.permission)
        return CustomerImportContext(
            actor=actor, owner=owner, mapping=mapping, writes=writes, pool=pool,
            batch=writes and self.batch_inserts and connection.features.can_return_rows_from_bulk_insert,
            regions=RegionIndex(selectors.region_rows() if needs_regions else []),
            users=selectors.active_users(actor=actor) if "owner" in mapping.values() else [],
            by_key=by_key, by_code=by_code,
        )

    def check_caps(self, ctx: CustomerImportContext, sheet, on_duplicate: str) -> None:
        """Once per file, before any row is written (both the batch and the row-by-row path): each owner's
        customers plus the rows that would create one for them must fit under their cap, else a fatal Conflict.

        Counted from the cells alone, without parsing: every row that is not blank, has a name, and is not
        a duplicate (of a customer or an earlier row) that the policy skips or updates. A row that fails for
        another reason still counts, so the check never lets an import past the cap."""
        from zhuli.customers.services import customer_cap_check_import

        column = {name: index for index, name in ctx.mapping.items()}
        if "name" not in column:
            return

        def cell(cells, name):
            index = column.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        seen = set(ctx.by_key)
        counts: dict[int, int] = {}
        owners: dict[int, object] = {}
        for _number, cells in sheet.rows:
            if all(cell(cells, name) is None for name in column):
                continue
            key = text.name_key(_text(cell(cells, "name")))[:200]
            if not key:
                continue
            duplicate = key in seen
            seen.add(key)
            if duplicate and on_duplicate != "create":
                continue
            owner = ctx.owner
            named = _text(cell(cells, "owner"))
            if named:
                owner = self._owner(ctx, named, ParsedRow(number=0, cells=cells))
                if owner is None:
                    continue  # a row error: nothing created
            if owner is not None:
                counts[owner.pk] = counts.get(owner.pk, 0) + 1
                owners[owner.pk] = owner
        for pk, adding in counts.items():
            customer_cap_check_import(user=owners[pk], adding=adding, for_self=pk == ctx.actor.user_id)

    def parse(self, ctx: CustomerImportContext, number: int, cells: list) -> ParsedRow:
        row = ParsedRow(number=number, cells=cells)
        values = {name: cells[index] for index, name in ctx.mapping.items() if index < len(cells)}
        data = row.data
        for name in TEXT_FIELDS:
            if name in values and values[name] is not None:
                data[name] = _text(values[name])
        kind = self._kind(ctx, values, row)
        data["kind"] = kind
        if not data.get("name"):
            row.errors.append(("name", _("客户名称不能为空")))
        row.name_key = text.name_key(data.get("name", ""))[:200]
        if data.get("credit_code") and kind == CustomerKind.ENTERPRISE:
            data["credit_code"] = row.credit_code = _credit_code(data["credit_code"])
        for name, dictionary in DICTIONARY_FIELDS.items():
            value = _text(values.get(name))
            if value:
                self._dictionary(ctx, row, name, dictionary, value)
        self._regions(ctx, values, row)
        if "gender" in values and values["gender"] is not None:
            gender = GENDER_WORDS.get(_text(values["gender"]).casefold())
            if gender is None:
                row.errors.append(("gender", _("性别只能填写“男”或“女”")))
            data["gender"] = gender or ""
        for name, target, parse in (("birthday", data, _date), ("next_followup", row.extra, _date_or_datetime)):
            if values.get(name) is not None:
                try:
                    target[name] = parse(values[name])
                except ValueError as exc:
                    row.errors.append((name, str(exc)))
        if values.get("next_action") is not None:
            row.extra["next_action"] = _text(values["next_action"])
        if "owner" in values and values["owner"] is not None:
            row.extra["owner"] = self._owner(ctx, _text(values["owner"]), row)
        contact = {CONTACT_FIELDS[n]: _text(values[n]) for n in CONTACT_FIELDS if values.get(n) is not None}
        if kind == CustomerKind.ENTERPRISE:
            self._enterprise_reachability(data, contact)
            if contact and not contact.get("name"):
                row.errors.append(("contact_name", _("填写了联系人信息，但缺少联系人姓名")))
            if contact:
                row.extra["contact"] = contact
        else:
            self._individual_extras(data, values, contact)
        if row.errors:
            self._more_errors(ctx, row)
        return row

    def _more_errors(self, ctx, row: ParsedRow) -> None:
        """A row already refused still gets the service's own checks, so the user fixes it in one go."""
        try:
            _clean(ctx.actor, row.data, instance=None)
        except InvalidInput as exc:
            known = {name for name, _message in row.errors}
            for key, messages in exc.errors.items():
                name = SERVICE_ERROR_FIELDS.get(key, key)
                if name not in known:
                    row.errors += [(name if name in self.field_map else "", m) for m in messages]

    def duplicate_of(self, ctx: CustomerImportContext, row: ParsedRow) -> dict | None:
        """The existing customer (or an earlier row of this file) with the same name key or credit code."""
        return ctx.by_key.get(row.name_key) or (ctx.by_code.get(row.credit_code) if row.credit_code else None)

    def remember(self, ctx: CustomerImportContext, row: ParsedRow, customer) -> dict:
        """Later rows of the file see this one as a duplicate; the id is filled in once it is saved."""
        match = {"id": customer.pk, "name": customer.name, "owner": getattr(customer.owner, "name", "") or ""}
        ctx.by_key.setdefault(row.name_key, match)
        if row.credit_code:
            ctx.by_code.setdefault(row.credit_code, match)
        return match

    def prepare(self, ctx: CustomerImportContext, row: ParsedRow) -> Customer | None:
        """A plain new customer (no contact, no planned follow-up), checked and keyed exactly as
        customer_create does, but not saved yet: the pipeline inserts these in batches.

        customer_create costs about 6 queries a row, half of them _clean's per-row lookups of the
        dictionary item and region ids. Here _clean checks every other field as usual, while those
        ids need no lookup: they come from this import's own matching (visible dictionary items of
        the right kind, deactivated ones included; regions whose city lies in the province and district in the city).
        Whatever customer_create does besides must be mirrored here; test_batch_path_equals_service
        compares both field by field.
        """
        if not ctx.batch or self.needs_savepoint(row):
            return None
        owner = row.extra.get("owner") or ctx.owner
        if owner is not None and owner.pk != ctx.actor.user_id and not ctx.actor.can("customers", "transfer"):
            raise Forbidden(_("您只能创建自己负责的客户"), field="owner")
        ids = {k: v for k, v in row.data.items() if k.endswith("_id")}
        cleaned = _clean(ctx.actor, {k: v for k, v in row.data.items() if k not in ids}, instance=None)
        # tenant: what TenantModel.save() would set, which a batch INSERT never calls.
        customer = Customer(**cleaned, **ids, tenant=require_tenant(), owner=owner, pool=ctx.pool,
                            department_id=getattr(owner, "department_id", None), created_by_id=ctx.actor.user_id)
        customer_search_keys(customer, [])
        return customer

    def insert(self, ctx: CustomerImportContext, customers: list[Customer]) -> None:
        """Saves prepared customers with one INSERT, each with customer_create's audit event."""
        from .services import customer_rows_insert

        customer_rows_insert(customers=customers)
        for customer in customers:
            audit_record(actor=ctx.actor, action="customer.create", target=customer,
                         changes={"name": customer.name, "owner": getattr(customer.owner, "name", None)})

    def needs_savepoint(self, row: ParsedRow) -> bool:
        return bool(row.extra.get("contact") or row.extra.get("next_followup"))

    def create(self, ctx: CustomerImportContext, row: ParsedRow, *, allow_duplicate: bool):
        owner = row.extra.get("owner") or ctx.owner
        # Exact duplicates were already looked up for the whole file; the service checks again only
        # when a duplicate is forced, so its role rule (who may override 查重) applies unchanged.
        try:
            customer = customer_create(actor=ctx.actor, data=row.data, owner=owner, allow_duplicate=allow_duplicate,
                                       check_duplicates=allow_duplicate, accept_inactive_items=True,
                                       pool=ctx.pool, check_cap=False).customer  # checked once: check_caps
        except AppError as exc:
            exc.field = exc.field or "name"  # a refused duplicate is about the name
            raise
        self._add_related(ctx, row, customer, is_new=True)
        return customer

    def update(self, ctx: CustomerImportContext, match: dict, row: ParsedRow):
        """Fills in the cells the row has; the name (the match key), kind and owner stay as they are."""
        data = {k: v for k, v in row.data.items() if k not in ("name", "kind") and v not in ("", None)}
        customer = customer_update(actor=ctx.actor, customer_id=match["id"], data=data,
                                   accept_inactive_items=True).customer
        self._add_related(ctx, row, customer, is_new=False)
        return customer

    def _add_related(self, ctx, row, customer, *, is_new: bool) -> None:
        """The row's contact and planned follow-up; on an update only if the customer lacks them."""
        contact = row.extra.get("contact")
        if contact and (is_new or not contact_list(actor=ctx.actor, customer_id=customer.pk)
                        .filter(name=contact["name"]).exists()):
            try:
                contact_create(actor=ctx.actor, customer_id=customer.pk, data={**contact, "is_primary": is_new})
            except InvalidInput as exc:
                raise InvalidInput({CONTACT_ERROR_FIELDS.get(k, "contact_name"): v for k, v in exc.errors.items()}) \
                    from None
        due = row.extra.get("next_followup")
        if due and (is_new or not any(_same_day(t.due_at, due)
                                      for t in todo_list(actor=ctx.actor, customer_id=customer.pk))):
            todo_create(actor=ctx.actor, customer_id=customer.pk, due_at=due, content=row.extra.get("next_action", ""))

    def template(self) -> tuple[list[str], list[str]]:
        """Headers and one example row for the downloadable template."""
        shown = [f for f in self.fields if f.example or f.required]
        return [str(f.label) for f in shown], [str(f.example) for f in shown]

    # ---- helpers -----------------------------------------------------------------------------

    def _kind(self, ctx, values, row) -> str:
        raw = _text(values.get("kind"))
        if not raw:
            return CustomerKind.ENTERPRISE
        kind = KIND_WORDS.get(raw.casefold())
        if kind:
            return kind
        if "customer_type" not in ctx.mapping.values():
            # XToolsCRM's “客户类型” holds 潜在客户 / VIP客户 …: that is our 客户分类 picklist.
            self._dictionary(ctx, row, "customer_type", DictionaryKind.CUSTOMER_TYPE, raw)
            return CustomerKind.ENTERPRISE
        row.errors.append(("kind", _("客户类型只能填写“企业”或“个人”")))
        return CustomerKind.ENTERPRISE

    def _dictionary(self, ctx, row, name, dictionary, value) -> None:
        """Matched by code or label, else added: a new picklist value is never a row error. A deactivated
        item matches too and is used as is (deactivated items stay valid on records)."""
        cache_key = (dictionary, value.casefold())
        if cache_key not in ctx.dictionary_cache:
            item = dictionary_item_ensure(actor=ctx.actor, kind=dictionary, value=value) if ctx.writes else None
            ctx.dictionary_cache[cache_key] = item
        item = ctx.dictionary_cache[cache_key]
        if item is None:
            return
        row.data[f"{name}_id"] = item.pk

    def _regions(self, ctx, values, row) -> None:
        """Unknown place names are left empty rather than failing the row (the address keeps the detail)."""
        names = {n: _text(values.get(n)) for n in ("province", "city", "district")}
        if not any(names.values()):
            return
        index = ctx.regions
        province = index.find(names["province"], None) if names["province"] else None
        city = None
        if names["city"]:
            city = index.find(names["city"], province) if province else index.find_below(names["city"], None, 2)
        district = None
        if names["district"]:
            if city:
                district = index.find(names["district"], city)
            elif province:
                district = index.find_below(names["district"], province, 2)
        if district and not city:
            city = index.parent.get(district)
        if city and not province:
            province = index.parent.get(city)
        for name, code in (("province", province), ("city", city), ("district", district)):
            if code:
                row.data[f"{name}_id"] = code

    def _owner(self, ctx, value: str, row):
        if not value:
            return None
        folded = value.casefold()
        matches = [u for u in ctx.users
                   if u["name"] == value or (u["email"] or "").casefold() == folded or u["mobile"] == value]
        if len(matches) == 1:
            if matches[0]["id"] != ctx.actor.user_id and not ctx.actor.can("customers", "transfer"):
                row.errors.append(("owner", _("您没有转移客户的权限，负责人只能填写您自己")))
                return None
            return _user_by_id(ctx, matches[0]["id"])
        if matches:
            row.errors.append(("owner", _("有多位同事叫“%(name)s”，请填写负责人的邮箱或手机") % {"name": value}))
        else:
            row.errors.append(("owner", _("找不到负责人“%(name)s”（请填写在职同事的姓名、邮箱或手机）")
                               % {"name": value}))
        return None

    @staticmethod
    def _enterprise_reachability(data: dict, contact: dict) -> None:
        """An enterprise has no mobile, email, WeChat, gender or birthday of its own: they go to the row's
        contact, a mobile without one to the company phone, the rest into the remarks — never dropped."""
        notes = []
        for name, label in (("mobile", _("手机")), ("email", _("邮箱")), ("wechat", _("微信")),
                            ("gender", _("性别")), ("birthday", _("生日"))):
            value = data.pop(name, None)
            if not value:
                continue
            if contact.get("name") and not contact.get(name):
                contact[name] = value
            elif name == "mobile" and not data.get("phone"):
                data["phone"] = value
            else:
                shown = {"male": _("男"), "female": _("女")}.get(value, value) if name == "gender" else _text(value)
                notes.append(f"{label}：{shown}")
        if notes:
            data["remarks"] = "\n".join([data.get("remarks", ""), *notes]).strip()


    def _individual_extras(self, data: dict, values: dict, contact: dict) -> None:
        """A person has no company fields or contacts: their values go to the remarks instead of being lost."""
        notes = []
        if contact.get("mobile") and not data.get("mobile"):
            data["mobile"] = contact.pop("mobile")
        for name, value in contact.items():
            notes.append(f"{self.field_map[CONTACT_ERROR_FIELDS[name]].label}：{value}")
        for name in INDIVIDUAL_DROPS:
            data.pop(f"{name}_id", None)
            if data.pop(name, None) or (name in DICTIONARY_FIELDS and values.get(name)):
                notes.append(f"{self.field_map[name].label}：{_text(values[name])}")
        if notes:
            data["remarks"] = "\n".join([data.get("remarks", ""), *notes]).strip()


def _user_by_id(ctx, user_id):
    from zhuli.access.scoping import get_visible_or_404
    from zhuli.accounts.models import User

    cache = ctx.dictionary_cache.setdefault(("users",), {})
    if user_id not in cache:
        cache[user_id] = get_visible_or_404(User, ctx.actor, user_id)
    return cache[user_id]


def _credit_code(value: str) -> str:
    return text.clean_text(value).upper().replace(" ", "")


def _date(value) -> datetime.date | None:
    return parse_date(value, allow_serial=True)


_DATETIME_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:\s+|T)"
                            r"(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2})(?:\.\d+)?)?")
_SERIAL_WITH_TIME = re.compile(r"(\d{1,5})\.(\d+)")


def _date_or_datetime(value):
    """A date, or a moment when the cell has a time ("2030/1/5 14:30", a day number with a fraction)."""
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        cleaned = unicodedata.normalize("NFKC", value).strip()
        match = _DATETIME_TEXT.fullmatch(cleaned)
        if match:
            try:
                return datetime.datetime(*(int(part or 0) for part in match.groups()))
            except ValueError:
                raise ValueError(_("日期格式无法识别：%(value)s（不存在的日期）") % {"value": value}) from None
        match = _SERIAL_WITH_TIME.fullmatch(cleaned)
        if match:
            day = parse_date(match.group(1), allow_serial=True)
            seconds = round(float("0." + match.group(2)) * 86400)
            return datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=seconds)
    return parse_date(value, allow_serial=True)


def _same_day(moment: datetime.datetime, due) -> bool:
    from django.utils import timezone

    day = due.date() if isinstance(due, datetime.datetime) else due
    return timezone.localtime(moment).date() == day
