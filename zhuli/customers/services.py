from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require, require_writable, visible
from zhuli.accounts.models import User
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.deletion import delete_rows
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.models import Region
from zhuli.core.registry import customer_delete_guards, customer_delete_hooks, owner_change_hooks
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.context import require_same_tenant, require_tenant
from zhuli.tenancy.models import CUSTOMER_KINDS_IN_USE

from .duplicates import DuplicateReport, duplicates_find
from .models import (
    Contact,
    Customer,
    CustomerCap,
    CustomerKind,
    Gender,
    Lifecycle,
    OwnerChange,
    Pool,
    PoolDepartment,
    PoolRule,
    RecentView,
)

TEXT_LIMITS = {
    "name": 200, "short_name": 100, "english_name": 200, "external_code": 60, "number": 40, "address": 300,
    "phone": 60, "website": 200, "credit_code": 18, "legal_representative": 50, "mobile": 40, "email": 254,
    "wechat": 60, "tags": 300,
    # 开票信息, copied onto invoice requests.
    "invoice_title": 200, "invoice_tax_number": 20, "invoice_bank": 100, "invoice_account": 40,
    "invoice_address": 200, "invoice_phone": 40,
}
LONG_TEXT = ("introduction", "remarks")
DICT_FIELDS = {
    "source": "source", "industry": "industry", "level": "level", "status": "status",
    "customer_type": "customer_type", "staff_size": "staff_size",
}
REGION_FIELDS = ("province", "city", "district")
# Fields that only make sense for one kind; the other kind's are cleared.
ENTERPRISE_ONLY = ("short_name", "industry", "website", "credit_code", "legal_representative", "staff_size",
                   "introduction")
INDIVIDUAL_ONLY = ("gender", "mobile", "email", "wechat", "birthday")
# Real lists hold odd websites ("www.a.com.cn; www.b.cn"): only other URL schemes (javascript:, data:)
# are refused, so a stored website can never become a script link.
FOREIGN_SCHEME_RE = re.compile(r"^\s*(?!https?://)[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
PHONE_RE = re.compile(r"^[0-9+()（）\-\s转#,，/]{3,60}$")


class DuplicateCustomer(Conflict):
    """An exact duplicate blocks; the answer names the existing record and its owner only."""

    def __init__(self, report: DuplicateReport):
        first = report.blocking[0]
        owner = first["owner"]["name"] if first.get("owner") else _("公海")
        super().__init__(
            _("客户“%(name)s”已存在（负责人：%(owner)s）") % {"name": first["name"], "owner": owner}, code="duplicate"
        )
        self.report = report


@dataclass
class SaveResult:
    customer: Customer
    warnings: list[dict] = field(default_factory=list)


def customer_kinds_in_use(tenant) -> tuple[str, ...]:
    """The kinds the company chose in its first-run setup (both unless it chose one); new customers take these."""
    return CUSTOMER_KINDS_IN_USE.get(tenant.feature("customer_kinds"), CUSTOMER_KINDS_IN_USE["both"])


def _clean(actor: Actor, data: dict, *, instance: Customer | None, accept_inactive_items: bool = False) -> dict:
    """Checks and normalises every field given; raises InvalidInput naming each bad field.
    Deactivated dictionary items are refused unless already on the record, or `accept_inactive_items`
    (imports match a value to its item even when deactivated: DESIGN §5, never a row error)."""
    errors: dict[str, str] = {}
    out: dict = {}
    kind = data.get("kind", instance.kind if instance else None)
    if kind not in CustomerKind.values:
        errors["kind"] = _("客户类型只能是 enterprise（企业）或 individual（个人）")
    else:
        if instance is None and kind not in customer_kinds_in_use(actor.tenant):
            errors["kind"] = _("本公司未启用%(kind)s（管理员可在“初始设置”中修改）") % {"kind": CustomerKind(kind).label}
        # The other kind's fields are not shown, so they are neither checked nor saved.
        other = INDIVIDUAL_ONLY if kind == CustomerKind.ENTERPRISE else ENTERPRISE_ONLY
        data = {k: v for k, v in data.items() if k.removesuffix("_id") not in other}
    for name, limit in TEXT_LIMITS.items():
        if name in data:
            value = text.clean_text(data[name])
            if name == "credit_code":
                # Typed with spaces or full-width (IME) characters it is still the same 18-character code.
                value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()
            if len(value) > limit:
                errors[name] = _("最多 %(n)s 个字符") % {"n": limit}
            out[name] = value
    for name in LONG_TEXT:
        if name in data:
            out[name] = text.clean_text(data[name])[:5000]
    # A name of only invisible characters (zero-width spaces, BOMs) is as empty as no name.
    if ("name" in data or instance is None) and not text.name_key(out.get("name", "")):
        errors["name"] = _("客户名称不能为空")
    if out.get("credit_code") and not text.validate_uscc(out["credit_code"]):
        errors["credit_code"] = _("统一社会信用代码无效（应为 18 位，且校验位正确）")
    for name in ("phone", "mobile"):
        if out.get(name) and not PHONE_RE.match(out[name]):
            errors[name] = _("电话号码只能包含数字和 + - ( ) 空格")
    if out.get("website") and FOREIGN_SCHEME_RE.match(out["website"]):
        errors["website"] = _("网址应为 www.example.com 或 https://… 形式")
    if out.get("email"):
        try:
            validate_email(out["email"])
        except DjangoValidationError:
            errors["email"] = _("邮箱格式不正确")
    if "gender" in data:
        gender = data.get("gender") or ""
        if gender and gender not in Gender.values:
            errors["gender"] = _("性别只能是 male 或 female")
        out["gender"] = gender
    if "birthday" in data:
        birthday = data.get("birthday")
        if birthday and not isinstance(birthday, datetime.date):
            errors["birthday"] = _("日期格式应为 YYYY-MM-DD")
        elif birthday and not (datetime.date(1900, 1, 1) <= birthday <= timezone.localdate()):
            errors["birthday"] = _("生日不在合理范围内")
        out["birthday"] = birthday or None
    if "tags" in out:
        tags = [t.strip() for t in re.split(r"[,，;；、\s]+", out["tags"]) if t.strip()]
        out["tags"] = ",".join(dict.fromkeys(tags))[:300]
    for name, kind_code in DICT_FIELDS.items():
        key = f"{name}_id"
        if key in data:
            out[name] = _dictionary_value(actor, kind_code, data[key], current=getattr(instance, key, None),
                                          errors=errors, field=key, accept_inactive=accept_inactive_items)
    _clean_regions(data, out, errors, instance)
    if errors:
        raise InvalidInput(errors)
    out["kind"] = kind
    return out


def _dictionary_value(actor, kind, value, *, current, errors, field, accept_inactive: bool = False):
    if value in (None, "", 0):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[field] = _("无效的选项")
        return None
    item = visible(DictionaryItem, actor).filter(kind=kind, pk=pk).first()
    if item is None or (not item.is_active and pk != current and not accept_inactive):
        errors[field] = _("无效的选项")
    return item


def _clean_regions(data, out, errors, instance):
    given = {name: data[f"{name}_id"] for name in REGION_FIELDS if f"{name}_id" in data}
    if not given:
        return
    codes = {name: (str(v) if v else None) for name, v in given.items()}
    found = {r.code: r for r in Region.objects.filter(code__in=[c for c in codes.values() if c])}
    for name, code in codes.items():
        if code and code not in found:
            errors[f"{name}_id"] = _("无效的行政区划")
        out[name] = found.get(code) if code else None
    province, city, district = (out.get(n, getattr(instance, n, None) if instance else None) for n in REGION_FIELDS)
    if city and province and city.parent_id != province.code:
        errors["city_id"] = _("城市不属于所选省份")
    if district and city and district.parent_id != city.code:
        errors["district_id"] = _("区县不属于所选城市")


def customer_search_keys(customer: Customer, contacts: list[Contact] | None = None) -> None:
    """Rebuilds the derived keys behind search and 查重 from the current field values."""
    if contacts is None:
        contacts = list(customer.contacts.all()) if customer.pk else []
    customer.name_key = text.name_key(customer.name)[:200]
    customer.name_core = text.name_core(customer.name)[:200]
    phones = [customer.phone, customer.mobile] + [c.mobile for c in contacts] + [c.phone for c in contacts]
    keys = sorted({text.phone_key(p) for p in phones if p and len(text.phone_key(p)) >= 5})
    customer.phone_keys = ("|" + "|".join(keys) + "|")[:200] if keys else ""
    customer.website_host = text.website_host(customer.website)[:200]
    customer.search_text = text.search_text(
        customer.name, customer.short_name, customer.english_name, customer.external_code, customer.number,
        *keys, *[c.name for c in contacts],
    )
    customer.search_bigrams = text.bigrams(customer.search_text)


def may_override_duplicates(actor: Actor) -> bool:
    """Saving despite an exact duplicate is for roles that may also delete customers (managers up)."""
    return actor.system or actor.can("customers", "delete")


def _check_duplicates(actor, cleaned, *, instance, allow_duplicate: bool) -> list[dict]:
    name = cleaned.get("name", instance.name if instance else "")
    report = duplicates_find(
        actor=actor, name=name, credit_code=cleaned.get("credit_code", getattr(instance, "credit_code", "")),
        phones=[cleaned.get("phone", getattr(instance, "phone", "")), cleaned.get("mobile", getattr(instance, "mobile", ""))],
        website=cleaned.get("website", getattr(instance, "website", "")),
        exclude_id=instance.pk if instance else None,
    )
    if report.blocking:
        if not allow_duplicate:
            raise DuplicateCustomer(report)
        if not may_override_duplicates(actor):
            raise Forbidden(_("您的角色不能强制保存重复客户"))
    return report.warnings


def _resolve_owner(actor: Actor, owner_id) -> User | None:
    user = get_visible_or_404(User, actor, owner_id)
    if not user.is_active:
        raise InvalidInput({"owner_id": _("负责人已离职")})
    return user


@transaction.atomic
def customer_create(*, actor: Actor, data: dict, allow_duplicate: bool = False, owner: User | None = None,
                    check_duplicates: bool = True, pool: Pool | None = None,
                    accept_inactive_items: bool = False, check_cap: bool = True) -> SaveResult:
    """A new customer owned by the creator (or a chosen owner, for those who may transfer), within the owner's
    customer cap (`check_cap=False`: the import, which checks the whole file once before writing)."""
    require(actor, "customers.create")
    cleaned = _clean(actor, data, instance=None, accept_inactive_items=accept_inactive_items)
    if owner is None and data.get("owner_id") not in (None, ""):
        owner = _resolve_owner(actor, data["owner_id"])
    if owner is not None and owner.pk != actor.user_id and not actor.can("customers", "transfer"):
        raise Forbidden(_("您只能创建自己负责的客户"))
    if owner is None and (data.get("to_pool") or pool is not None):
        # Straight into the pool (公海) is a hand-over, allowed to those who may transfer.
        require(actor, "customers.transfer")
    elif owner is None:
        owner = actor.user
    if pool is None:
        pool = _pool_choice(actor, data.get("pool_id")) or pool_default()
    if owner is not None and check_cap:
        _check_cap(owner, 1, for_self=owner.pk == actor.user_id, action="create")
    warnings = _check_duplicates(actor, cleaned, instance=None, allow_duplicate=allow_duplicate) \
        if check_duplicates else []
    now = timezone.now()
    customer = Customer(**cleaned, owner=owner, department_id=getattr(owner, "department_id", None),
                        created_by_id=actor.user_id, pool=pool,
                        owned_since=now if owner else None, pooled_at=None if owner else now)
    customer_search_keys(customer, [])
    customer.save()
    audit_record(actor=actor, action="customer.create", target=customer,
                 changes={"name": customer.name, "owner": getattr(owner, "name", None)})
    return SaveResult(customer, warnings)


@transaction.atomic
def customer_update(*, actor: Actor, customer_id: int, data: dict, allow_duplicate: bool = False,
                    accept_inactive_items: bool = False) -> SaveResult:
    """Edits the fields given; the kind may not change after creation."""
    customer = get_visible_or_404(Customer, actor, customer_id, queryset=visible(Customer, actor).select_for_update())
    require(actor, "customers.edit")
    if "kind" in data and data["kind"] != customer.kind:
        raise InvalidInput({"kind": _("客户类型创建后不能修改")})
    data = {k: v for k, v in data.items() if k not in ("owner_id", "kind")}
    cleaned = _clean(actor, data, instance=customer, accept_inactive_items=accept_inactive_items)
    warnings = []
    if any(k in cleaned for k in ("name", "credit_code", "phone", "mobile", "website")):
        warnings = _check_duplicates(actor, cleaned, instance=customer, allow_duplicate=allow_duplicate)
    before = {k: getattr(customer, k) for k in cleaned}
    for k, v in cleaned.items():
        setattr(customer, k, v)
    customer_search_keys(customer)
    customer.save()
    changes = {k: [str(before[k] or ""), str(v or "")] for k, v in cleaned.items() if before[k] != v}
    if changes:
        audit_record(actor=actor, action="customer.update", target=customer, changes=changes)
    return SaveResult(customer, warnings)


@transaction.atomic
def customer_delete(*, actor: Actor, customer_id: int) -> None:
    """Deletes a customer with everything hanging off it; the audit keeps its name.

    One DELETE per table filtered by tenant and customer, so each uses a (tenant, customer …) index; the
    ORM's collector would look up every child table by customer_id alone (a full scan each) and null
    references table by table. Modules above customers delete theirs through customer_delete_hooks.
    References among these rows (a follow-up's contact, a todo's follow-up) never leave the customer."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "customers.delete")
    for guard in customer_delete_guards.values():
        guard(actor=actor, customer=customer)
    audit_record(actor=actor, action="customer.delete", target=customer, changes={"name": customer.name})
    for hook in customer_delete_hooks.values():
        hook(customer=customer)
    for model in (Contact, OwnerChange, RecentView):
        delete_rows(model.objects.filter(customer=customer))
    delete_rows(Customer.objects.filter(pk=customer.pk))


@transaction.atomic
def customer_transfer(*, actor: Actor, customer_ids: list[int], to_user_id: int, reason: str = "",
                      kind: str = "transfer") -> int:
    """Hands customers to another salesperson, within their customer cap (all or nothing: the message names how
    many more fit); each change goes into the owner log."""
    require(actor, "customers.transfer")
    to_user = _resolve_owner(actor, to_user_id)
    customers = list(visible(Customer, actor).filter(pk__in=customer_ids).select_for_update())
    if len(customers) != len(set(customer_ids)):
        raise InvalidInput({"customer_ids": _("部分客户不存在或无权操作")})
    _check_cap(to_user, sum(1 for c in customers if c.owner_id != to_user.pk), for_self=False, action="transfer")
    return _transfer(actor, customers, to_user, text.clean_text(reason)[:200], kind)


def _transfer(actor: Actor, customers: list[Customer], to_user: User, reason: str, kind: str) -> int:
    moved = 0
    for customer in customers:
        if customer.owner_id == to_user.pk:
            continue
        OwnerChange.objects.create(customer=customer, from_owner_id=customer.owner_id, to_owner=to_user, kind=kind,
                                   reason=reason, changed_by_id=actor.user_id)
        audit_record(actor=actor, action="customer.transfer", target=customer,
                     changes={"owner": [customer.owner_id, to_user.pk], "reason": reason})
        from_owner_id = customer.owner_id
        customer.owner, customer.department_id = to_user, to_user.department_id
        customer.owned_since, customer.pooled_at = timezone.now(), None
        customer.save(update_fields=["owner", "department", "owned_since", "pooled_at", "updated_at"])
        for hook in owner_change_hooks.values():
            hook(customer=customer, from_owner_id=from_owner_id, to_owner=to_user)
        moved += 1
    return moved


DEFAULT_POOL_NAME = "公海"
DEFAULT_NO_FOLLOWUP_DAYS = 30
DEFAULT_NO_DEAL_DAYS = 180


def pool_default() -> Pool:
    """The tenant's default pool; every tenant has one (made at setup), so moving to the pool never fails."""
    pool = Pool.objects.filter(is_default=True).first()
    if pool is None:
        pool = pools_install_defaults()
    return pool


def pools_install_defaults(**_ignored) -> Pool:
    """The default pool of a new tenant: everyone is a member, customers return after 30 days without a
    follow-up or 180 days without a deal."""
    pool, created = Pool.objects.get_or_create(is_default=True, defaults={"name": str(DEFAULT_POOL_NAME)})
    if created:
        PoolRule.objects.create(pool=pool, no_followup_days=DEFAULT_NO_FOLLOWUP_DAYS, no_deal_days=DEFAULT_NO_DEAL_DAYS)
    return pool


def customers_owned_count(tenant, user_id: int) -> int:
    from zhuli.tenancy.unscoped import for_tenant

    return for_tenant(Customer, tenant).filter(owner_id=user_id).count()


def customers_transfer_all(*, actor: Actor, from_user, to_user) -> int:
    """Every customer of a (departed) user to a colleague. Company admins hand over all of them (managing
    users is their job, whatever their own customer rights), even past the colleague's customer cap: someone
    leaving must never be blocked, and the admin can hand the surplus on or release it afterwards. Others go
    through customer_transfer's checks, the cap included (all or nothing, as the caller's transaction is)."""
    if actor.is_admin or actor.system:
        customers = list(Customer.objects.filter(owner=from_user).select_for_update())
        return _transfer(actor, customers, to_user, _("离职交接"), "transfer")
    ids = list(Customer.objects.filter(owner=from_user).values_list("id", flat=True))
    moved = 0
    for start in range(0, len(ids), 500):
        moved += customer_transfer(actor=actor, customer_ids=ids[start:start + 500], to_user_id=to_user.pk,
                                   reason=_("离职交接"))
    return moved


def customer_set_followup_dates(*, customer_id: int, last_at, next_at) -> None:
    """Called by the activities services after any follow-up or todo changes."""
    Customer.objects.filter(pk=customer_id).update(last_followup_at=last_at, next_followup_at=next_at)


def customer_record_view(*, actor: Actor, customer: Customer) -> None:
    if actor.user_id is None:
        return
    RecentView.objects.update_or_create(user_id=actor.user_id, customer=customer,
                                        defaults={"viewed_at": timezone.now()})


# ---- contacts --------------------------------------------------------------------------------

CONTACT_TEXT = {"name": 50, "title": 60, "department_name": 60, "mobile": 40, "phone": 40, "email": 254,
                "wechat": 60, "qq": 20}


def _clean_contact(data: dict, *, creating: bool) -> dict:
    errors, out = {}, {}
    for name, limit in CONTACT_TEXT.items():
        if name in data:
            value = text.clean_text(data[name])
            if len(value) > limit:
                errors[name] = _("最多 %(n)s 个字符") % {"n": limit}
            out[name] = value
    if (creating or "name" in data) and not out.get("name"):
        errors["name"] = _("联系人姓名不能为空")
    for name in ("mobile", "phone"):
        if out.get(name) and not PHONE_RE.match(out[name]):
            errors[name] = _("电话号码只能包含数字和 + - ( ) 空格")
    if out.get("email"):
        try:
            validate_email(out["email"])
        except DjangoValidationError:
            errors["email"] = _("邮箱格式不正确")
    if data.get("gender") and data["gender"] not in Gender.values:
        errors["gender"] = _("性别只能是 male 或 female")
    for flag in ("is_primary", "has_left"):
        if flag in data:
            out[flag] = bool(data[flag])
    if "gender" in data:
        out["gender"] = data.get("gender") or ""
    if "birthday" in data:
        if data["birthday"] and not isinstance(data["birthday"], datetime.date):
            errors["birthday"] = _("日期格式应为 YYYY-MM-DD")
        elif data["birthday"] and not (datetime.date(1900, 1, 1) <= data["birthday"] <= timezone.localdate()):
            errors["birthday"] = _("生日不在合理范围内")
        out["birthday"] = data["birthday"] or None
    if "remarks" in data:
        out["remarks"] = text.clean_text(data["remarks"])[:5000]
    if errors:
        raise InvalidInput(errors)
    return out


def _refresh_customer_keys(customer: Customer) -> None:
    customer_search_keys(customer)
    Customer.objects.filter(pk=customer.pk).update(
        phone_keys=customer.phone_keys, search_text=customer.search_text, search_bigrams=customer.search_bigrams
    )


@transaction.atomic
def contact_create(*, actor: Actor, customer_id: int, data: dict) -> Contact:
    """A contact on a visible customer; a primary contact demotes the previous one."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "customers.edit")
    cleaned = _clean_contact(data, creating=True)
    if cleaned.get("is_primary"):
        customer.contacts.update(is_primary=False)
    contact = Contact.objects.create(customer=customer, **cleaned)
    _refresh_customer_keys(customer)
    audit_record(actor=actor, action="contact.create", target=contact, changes={"customer": customer.name})
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact_id: int, data: dict) -> Contact:
    contact = get_visible_or_404(Contact, actor, contact_id)
    require(actor, "customers.edit")
    cleaned = _clean_contact(data, creating=False)
    if cleaned.get("is_primary"):
        Contact.objects.filter(customer_id=contact.customer_id).exclude(pk=contact.pk).update(is_primary=False)
    for k, v in cleaned.items():
        setattr(contact, k, v)
    contact.save()
    _refresh_customer_keys(contact.customer)
    audit_record(actor=actor, action="contact.update", target=contact, changes={"fields": list(cleaned)})
    return contact


@transaction.atomic
def contact_delete(*, actor: Actor, contact_id: int) -> None:
    contact = get_visible_or_404(Contact, actor, contact_id)
    require(actor, "customers.edit")
    customer = contact.customer
    audit_record(actor=actor, action="contact.delete", target=contact)
    contact.delete()
    _refresh_customer_keys(customer)


# ---- the pool (公海): claim, assign, release, auto-return --------------------------------------------

class OwnerChangeKind:
    TRANSFER, CLAIM, ASSIGN, RELEASE, AUTO_RETURN = "transfer", "claim", "assign", "release", "auto_return"


def customer_cap_of(user: User) -> int | None:
    """The user's customer cap: their own row wins over their role's; no row means no cap."""
    caps = {(cap.user_id is not None): cap.limit for cap in
            CustomerCap.objects.filter(Q(user_id=user.pk) | Q(user__isnull=True, role=user.role))}
    return caps.get(True, caps.get(False))


def _check_cap(user: User, adding: int, *, for_self: bool, action: str = "claim") -> None:
    """Refuses owning `adding` more customers past the cap. The user's row is locked first (PostgreSQL), so two
    claims by one person at once are counted one after the other; SQLite's immediate transactions already are.
    `action` words the refusal: claim, create (for oneself; for another owner as assign), assign, transfer."""
    cap = customer_cap_of(user)
    if cap is None:
        return
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    owned = Customer.objects.filter(owner_id=user.pk).count()
    if owned + adding <= cap:
        return
    values = {"name": user.display_name, "n": owned, "cap": cap, "room": max(0, cap - owned)}
    if for_self and action == "create":
        raise Conflict(_("您已有 %(n)s 个客户，已达上限 %(cap)s，不能再新建客户") % values, code="cap")
    if for_self and action in ("claim", "assign"):
        raise Conflict(_("您已有 %(n)s 个客户，已达上限 %(cap)s，不能再领取") % values, code="cap")
    if action == "transfer":
        raise Conflict(_("%(name)s 已有 %(n)s 个客户，上限 %(cap)s，最多还能转入 %(room)s 个") % values, code="cap")
    raise Conflict(_("%(name)s 已有 %(n)s 个客户，上限 %(cap)s，最多还能分配 %(room)s 个") % values, code="cap")


def customer_cap_check_import(*, user: User, adding: int, for_self: bool) -> None:
    """For the customer import, once per file before any row is written: `adding` new customers for `user`
    must fit under their cap (owner row locked as for claims), else a Conflict naming how many more fit."""
    cap = customer_cap_of(user)
    if cap is None or adding <= 0:
        return
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    owned = Customer.objects.filter(owner_id=user.pk).count()
    if owned + adding <= cap:
        return
    values = {"name": user.display_name, "n": owned, "cap": cap, "m": adding, "room": max(0, cap - owned)}
    if for_self:
        raise Conflict(_("您已有 %(n)s 个客户，上限 %(cap)s；本次导入将新建 %(m)s 个，超出上限（最多还能导入 %(room)s 个），"
                         "没有导入任何数据") % values, code="cap")
    raise Conflict(_("%(name)s 已有 %(n)s 个客户，上限 %(cap)s；本次导入将为其新建 %(m)s 个，超出上限（最多还能导入 "
                     "%(room)s 个），没有导入任何数据") % values, code="cap")


def _owner_log(actor: Actor, customer: Customer, *, from_owner_id, to_owner: User | None, kind: str, reason: str,
               pool: Pool | None = None) -> None:
    OwnerChange.objects.create(customer=customer, from_owner_id=from_owner_id, to_owner=to_owner, kind=kind,
                               reason=reason, changed_by_id=actor.user_id)
    changes = {"owner": [from_owner_id, getattr(to_owner, "pk", None)], "kind": kind, "reason": reason}
    if pool is not None:
        changes["pool"] = pool.name
    audit_record(actor=actor, action=f"customer.{kind}", target=customer, changes=changes)
    for hook in owner_change_hooks.values():
        hook(customer=customer, from_owner_id=from_owner_id, to_owner=to_owner)


def _taken_message(customer_id: int) -> str:
    row = Customer.objects.filter(pk=customer_id).values("owner__name", "owner__is_active").first() or {}
    from zhuli.accounts.models import owner_display

    name = owner_display(row.get("owner__name"), row.get("owner__is_active"))
    # Neutral: the owner may have claimed it, or been assigned it, or got it back from elsewhere.
    return _("该客户已有负责人：%(name)s") % {"name": name} if name else _("该客户已不在公海中")


def _take_from_pool(actor: Actor, customer: Customer, to_user: User, kind: str, reason: str) -> None:
    """The race-safe step: only a row still without an owner changes; the loser of a race gets a 409."""
    now = timezone.now()
    taken = Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(
        owner=to_user, department_id=to_user.department_id, owned_since=now, pooled_at=None, updated_at=now)
    if taken != 1:
        raise Conflict(_taken_message(customer.pk), code="taken")
    customer.owner, customer.department_id, customer.owned_since, customer.pooled_at = to_user, to_user.department_id, now, None
    _owner_log(actor, customer, from_owner_id=None, to_owner=to_user, kind=kind, reason=reason)


def may_claim(actor: Actor, customer: Customer) -> bool:
    """Members of the customer's pool who may own customers claim it while it has no owner."""
    from .selectors import pool_ids_member

    return (customer.owner_id is None and actor.user_id is not None and actor.can("customers", "create")
            and customer.pool_id in pool_ids_member(actor))


def may_assign(actor: Actor, customer: Customer) -> bool:
    return customer.owner_id is None and actor.can("customers", "transfer")


def may_release(actor: Actor, customer: Customer) -> bool:
    """The owner releases their own customers; others need the transfer right (and to see the customer)."""
    return customer.owner_id is not None and (
        customer.owner_id == actor.user_id or actor.can("customers", "transfer"))


@transaction.atomic
def customer_claim(*, actor: Actor, customer_id: int) -> Customer:
    """领取: a member of the customer's pool takes it, within their customer cap."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "customers.create")
    if customer.owner_id is not None:
        raise Conflict(_taken_message(customer.pk), code="taken")
    if actor.user_id is None:
        raise Forbidden(_("只有用户本人可以领取客户"))
    if not may_claim(actor, customer):
        raise Forbidden(_("您不是该客户所在公海的成员，不能领取"))
    _check_cap(actor.user, 1, for_self=True)
    _take_from_pool(actor, customer, actor.user, OwnerChangeKind.CLAIM, "")
    return customer


@transaction.atomic
def customer_assign(*, actor: Actor, customer_ids: list[int], owner_id, reason: str = "") -> list[Customer]:
    """分配: a manager gives visible pool customers to an active colleague in their scope, within that
    colleague's customer cap; all or nothing."""
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    if not ids:
        raise InvalidInput({"customer_ids": _("请先选择客户")})
    customers = list(visible(Customer, actor).filter(pk__in=ids).order_by("pk"))
    if len(customers) != len(ids):
        if len(ids) == 1:
            raise NotFound(_("记录不存在或无权查看"))
        raise InvalidInput({"customer_ids": _("部分客户不存在或无权操作")})
    require(actor, "customers.transfer")
    try:
        to_user = _resolve_owner(actor, owner_id)
    except NotFound:
        raise InvalidInput({"owner_id": _("负责人不存在")})
    owners = actor.owner_ids(actor.grant("customers").scope)
    if owners is not None and to_user.pk not in owners:
        raise InvalidInput({"owner_id": _("只能分配给您管理范围内的同事")})
    taken = [c for c in customers if c.owner_id is not None]
    if taken:
        raise Conflict(_taken_message(taken[0].pk) if len(customers) == 1 else
                       _("“%(name)s”已有负责人，不在公海中") % {"name": taken[0].name}, code="taken")
    _check_cap(to_user, len(customers), for_self=False)
    reason = text.clean_text(reason)[:200]
    for customer in customers:
        _take_from_pool(actor, customer, to_user, OwnerChangeKind.ASSIGN, reason)
    return customers


def _pool_choice(actor: Actor, pool_id) -> Pool | None:
    """A pool chosen by id: only one the actor sees (pools_usable); any other answers as an unknown id."""
    from .selectors import pools_usable

    if pool_id in (None, ""):
        return None
    try:
        return get_visible_or_404(Pool, actor, pool_id, queryset=pools_usable(actor))
    except NotFound:
        raise InvalidInput({"pool_id": _("公海不存在")})


@transaction.atomic
def customer_release(*, actor: Actor, customer_ids: list[int], reason: str, pool_id=None) -> list[Customer]:
    """放入公海: the owner (or someone who may transfer) gives customers up with a reason; they go to their own
    pool (the default one when none) or the pool chosen."""
    require_writable(actor)
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    if not ids:
        raise InvalidInput({"customer_ids": _("请先选择客户")})
    customers = list(visible(Customer, actor).filter(pk__in=ids).select_for_update().order_by("pk"))
    if len(customers) != len(ids):
        if len(ids) == 1:
            raise NotFound(_("记录不存在或无权查看"))
        raise InvalidInput({"customer_ids": _("部分客户不存在或无权操作")})
    for customer in customers:
        if customer.owner_id is None:
            raise Conflict(_("“%(name)s”已在公海中") % {"name": customer.name}, code="in_pool")
        if not may_release(actor, customer):
            raise Forbidden(_("只能将自己负责的客户放入公海；放入他人的客户需要转移权限"))
    reason = text.clean_text(reason or "")[:200]
    if not reason:
        raise InvalidInput({"reason": _("请填写放入公海的原因")})
    chosen = _pool_choice(actor, pool_id)
    default = None
    now = timezone.now()
    for customer in customers:
        pool = chosen or (customer.pool if customer.pool_id else None) or default or pool_default()
        default = default or (pool if pool.is_default else None)
        from_owner_id = customer.owner_id
        moved = Customer.objects.filter(pk=customer.pk, owner_id=from_owner_id).update(
            owner=None, department=None, pool=pool, pooled_at=now, updated_at=now)
        if moved != 1:
            raise Conflict(_("“%(name)s”的负责人刚刚变了，请刷新后再试") % {"name": customer.name})
        customer.owner, customer.department, customer.pool, customer.pooled_at = None, None, pool, now
        _owner_log(actor, customer, from_owner_id=from_owner_id, to_owner=None, kind=OwnerChangeKind.RELEASE,
                   reason=reason, pool=pool)
    return customers


# ---- auto-return ------------------------------------------------------------------------------------

@dataclass
class RuleGroup:
    """Owned customers one rule governs: those of `pool` (the default pool also takes customers without one)
    whose level is `level_id`, or, for the general rule, whose level has no rule of its own."""

    pool: Pool
    rule: PoolRule
    condition: Q


def _rule_groups(pools: list[Pool] | None = None) -> list[RuleGroup]:
    pools = pools if pools is not None else list(Pool.objects.all())
    rules: dict[int, list[PoolRule]] = {}
    for rule in PoolRule.objects.filter(is_active=True, pool__in=pools):
        rules.setdefault(rule.pool_id, []).append(rule)
    groups = []
    for pool in pools:
        in_pool = Q(pool_id=pool.pk) | Q(pool__isnull=True) if pool.is_default else Q(pool_id=pool.pk)
        pool_rules = rules.get(pool.pk, [])
        levelled = [r.level_id for r in pool_rules if r.level_id is not None]
        for rule in pool_rules:
            if rule.no_followup_days is None and rule.no_deal_days is None:
                continue  # a level rule without limits exempts that level
            level = Q(level_id=rule.level_id) if rule.level_id is not None else ~Q(level_id__in=levelled)
            groups.append(RuleGroup(pool, rule, in_pool & level))
    return groups


def _day_start(day: datetime.date, zone) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def _references():
    """When the customer was last followed up / won, counted from when its owner got it."""
    since = Coalesce("owned_since", "created_at")
    return {"ref_followup": Greatest(since, Coalesce("last_followup_at", since)),
            "ref_deal": Greatest(since, Coalesce("last_won_at", since))}


def _due(group: RuleGroup, today: datetime.date, zone, *, ahead: int = 0) -> list[tuple[str, Q, int, str]]:
    """(reason, condition, limit, reference field) of each limit of the rule: due once the reference day is more than
    `limit` days before today (+ `ahead` for the warning). Days are the tenant's calendar days."""
    out = []
    rule = group.rule
    if rule.no_followup_days is not None:
        cutoff = _day_start(today - datetime.timedelta(days=rule.no_followup_days - ahead), zone)
        out.append((_("超过 %(n)s 天未跟进") % {"n": rule.no_followup_days}, Q(ref_followup__lt=cutoff),
                    rule.no_followup_days, "ref_followup"))
    if rule.no_deal_days is not None:
        cutoff = _day_start(today - datetime.timedelta(days=rule.no_deal_days - ahead), zone)
        out.append((_("超过 %(n)s 天未成交") % {"n": rule.no_deal_days}, Q(ref_deal__lt=cutoff), rule.no_deal_days,
                    "ref_deal"))
    return out


def pools_auto_return(*, tenant, now: datetime.datetime | None = None) -> int:
    """The daily job for one tenant (its tenant active): owned customers past their pool's rule go back to the
    pool, each with its reason in the owner log. One query per rule and limit, whatever the tenant's size."""
    from zhuli.tenancy.context import tenant_context

    now = now or timezone.now()
    zone = tenant.zone
    today = now.astimezone(zone).date()
    actor = Actor.system_for(tenant)
    moved = 0
    with tenant_context(tenant), transaction.atomic():
        pool_default()  # customers without a pool belong to the default one, which must exist
        for group in _rule_groups():
            for reason, due, _limit, _field in _due(group, today, zone):
                rows = list(Customer.objects.filter(owner__isnull=False).filter(group.condition)
                            .annotate(**_references()).filter(due).select_for_update(of=("self",))
                            .values_list("pk", "owner_id"))
                if not rows:
                    continue
                ids = [pk for pk, _owner in rows]
                Customer.objects.filter(pk__in=ids).update(owner=None, department=None, pool=group.pool,
                                                           pooled_at=now, updated_at=now)
                customers = Customer.objects.in_bulk(ids)
                for pk, owner_id in rows:
                    _owner_log(actor, customers[pk], from_owner_id=owner_id, to_owner=None,
                               kind=OwnerChangeKind.AUTO_RETURN, reason=reason, pool=group.pool)
                moved += len(rows)
    return moved


def pools_auto_return_all(now: datetime.datetime) -> str:
    """The scheduled job: every active tenant, on its own calendar day (re-running the same day moves nothing
    more, since the limits count whole days)."""
    from zhuli.tenancy.models import Tenant, TenantStatus

    moved = 0
    for tenant in Tenant.objects.filter(status=TenantStatus.ACTIVE).order_by("pk"):
        with timezone.override(tenant.zone):
            moved += pools_auto_return(tenant=tenant, now=now)
    return f"{moved} returned"


def customer_set_last_won(*, customer_id: int, at) -> None:
    """Called by the sales services when an opportunity is won; keeps the latest win (pool auto-return)."""
    from django.db.models import Q

    Customer.objects.filter(Q(last_won_at__isnull=True) | Q(last_won_at__lt=at), pk=customer_id).update(last_won_at=at)


def customer_reset_last_won(*, customer_id: int, at) -> None:
    """Called by the sales services when a won opportunity is reopened or deleted: `at` is the latest win
    among the customer's remaining won opportunities (None when none is left)."""
    Customer.objects.filter(pk=customer_id).update(last_won_at=at)


# The lifecycle a signing moves to, from which stages (DESIGN §9). It only moves forward, so a 重复购买 customer
# stays one when a later count is lower (a cancelled order); a 失效 customer who signs again is back in business,
# and the audit event keeps the stage it came from.
LIFECYCLE_ON_SIGNING = {
    Lifecycle.SIGNED: (Lifecycle.POTENTIAL, Lifecycle.LAPSED),
    Lifecycle.REPEAT: (Lifecycle.POTENTIAL, Lifecycle.SIGNED, Lifecycle.LAPSED),
}


def customer_lock(*, customer_id: int) -> None:
    """Locks the customer's row until the caller's transaction ends, so a count over its records and the write
    that follows are not interleaved with a colleague's (two agreements put in force at once count each other)."""
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))


@transaction.atomic
def customer_mark_signed(*, customer_id: int, signed_on: datetime.date, signed_count: int) -> None:
    """Called by the deals services when an agreement comes into force, `signed_count` being the customer's signed
    agreements including this one: the first makes it 签约, the second 重复购买 (LIFECYCLE_ON_SIGNING), and
    首次签约日期 keeps the earliest sign date. Conditional updates: repeating a call changes nothing."""
    if signed_count < 1:
        raise ValueError("signed_count counts the agreement being signed")
    customer = (Customer.objects.select_for_update().only("pk", "name", "lifecycle", "first_signed_on")
                .filter(pk=customer_id).first())
    if customer is None:
        return
    target = Lifecycle.REPEAT if signed_count >= 2 else Lifecycle.SIGNED
    rows = Customer.objects.filter(pk=customer_id)
    changes = {}
    if rows.filter(lifecycle__in=LIFECYCLE_ON_SIGNING[target]).update(lifecycle=target):
        changes["lifecycle"] = [customer.lifecycle, target]
    if rows.filter(Q(first_signed_on__isnull=True) | Q(first_signed_on__gt=signed_on)).update(first_signed_on=signed_on):
        changes["first_signed_on"] = [customer.first_signed_on, signed_on]
    if changes:
        audit_record(actor=None, tenant=require_tenant(), action="customer.signed", target=customer,
                     changes={**changes, "signed_count": signed_count})


# ---- pool settings (company admins) -------------------------------------------------------------

def _require_admin(actor: Actor) -> None:
    require_same_tenant(actor.tenant)
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以设置公海"))
    require_writable(actor)


def _clean_pool(actor: Actor, data: dict, *, instance: Pool | None) -> dict:
    from zhuli.accounts.models import Department

    errors, out = {}, {}
    if "name" in data or instance is None:
        name = text.clean_text(data.get("name") or "")
        if not name:
            errors["name"] = _("请填写公海名称")
        elif len(name) > 60:
            errors["name"] = _("最多 %(n)s 个字符") % {"n": 60}
        elif Pool.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["name"] = _("已有同名的公海")
        out["name"] = name
    if "warn_days" in data:
        try:
            warn = int(data["warn_days"])
        except (TypeError, ValueError):
            warn = -1
        if not 0 <= warn <= 365:
            errors["warn_days"] = _("提前提醒天数应为 0 到 365 之间的整数")
        out["warn_days"] = warn
    if "department_ids" in data:
        try:
            wanted = {int(i) for i in data["department_ids"] or []}
        except (TypeError, ValueError):
            wanted = {-1}
        found = set(visible(Department, actor).filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
        if found != wanted:
            errors["department_ids"] = _("成员部门不存在")
        out["department_ids"] = sorted(found)
    if errors:
        raise InvalidInput(errors)
    return out


def _set_members(pool: Pool, department_ids: list[int]) -> None:
    PoolDepartment.objects.filter(pool=pool).exclude(department_id__in=department_ids).delete()
    have = set(PoolDepartment.objects.filter(pool=pool).values_list("department_id", flat=True))
    PoolDepartment.objects.bulk_create([PoolDepartment(pool=pool, department_id=d, tenant=pool.tenant)
                                        for d in department_ids if d not in have])


@transaction.atomic
def pool_create(*, actor: Actor, data: dict) -> Pool:
    """A new pool; with no member department everyone is a member."""
    _require_admin(actor)
    cleaned = _clean_pool(actor, data, instance=None)
    departments = cleaned.pop("department_ids", [])
    order = (Pool.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    pool = Pool.objects.create(**cleaned, order=order)
    _set_members(pool, departments)
    audit_record(actor=actor, action="pool.create", target=pool, changes={**cleaned, "departments": departments})
    return pool


@transaction.atomic
def pool_update(*, actor: Actor, pool_id, data: dict) -> Pool:
    pool = get_visible_or_404(Pool, actor, pool_id, queryset=Pool.objects.select_for_update())
    _require_admin(actor)
    cleaned = _clean_pool(actor, data, instance=pool)
    departments = cleaned.pop("department_ids", None)
    for k, v in cleaned.items():
        setattr(pool, k, v)
    pool.save()
    if departments is not None:
        _set_members(pool, departments)
    audit_record(actor=actor, action="pool.update", target=pool,
                 changes={**cleaned, **({"departments": departments} if departments is not None else {})})
    return pool


@transaction.atomic
def pool_delete(*, actor: Actor, pool_id) -> None:
    """The default pool stays; a pool with customers in it (without an owner) cannot go. Owned customers whose
    home pool it is (they came from it, or would return to it) get the default pool as home instead, in one
    UPDATE recorded in the delete's audit event."""
    from django.db.models import ProtectedError

    pool = get_visible_or_404(Pool, actor, pool_id, queryset=Pool.objects.select_for_update())
    _require_admin(actor)
    if pool.is_default:
        raise Conflict(_("默认公海不能删除"))
    held = Customer.objects.filter(pool=pool, owner__isnull=True).count()
    if held:
        raise Conflict(_("公海“%(name)s”中还有 %(n)s 个客户，请先领取、分配或移走后再删除")
                       % {"name": pool.name, "n": held})
    default = pool_default()
    rehomed = Customer.objects.filter(pool=pool, owner__isnull=False).update(pool=default)
    audit_record(actor=actor, action="pool.delete", target=pool,
                 changes={"name": pool.name, "customers_rehomed": rehomed, "to_pool": default.name})
    try:
        with transaction.atomic():
            pool.delete()
    except ProtectedError:
        # A customer was released into it meanwhile: the whole delete (and the re-homing) is undone.
        raise Conflict(_("公海“%(name)s”中刚有客户进入，不能删除，请刷新后再试") % {"name": pool.name}) from None


def _limit(data: dict, name: str, errors: dict):
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if not 1 <= days <= 3650:
        errors[name] = _("天数应为 1 到 3650 之间的整数，留空表示不限")
    return days


@transaction.atomic
def pool_rule_save(*, actor: Actor, pool_id, level_id=None, data: dict) -> PoolRule:
    """Sets the pool's general rule (no level) or a level's rule, creating it when missing. For a level, both
    limits empty exempts that level from auto-return."""
    pool = get_visible_or_404(Pool, actor, pool_id)
    _require_admin(actor)
    errors: dict = {}
    level = None
    if level_id not in (None, ""):
        level = visible(DictionaryItem, actor).filter(kind="level", pk=_int_or_none(level_id)).first()
        if level is None:
            errors["level_id"] = _("客户等级不存在")
    no_followup, no_deal = _limit(data, "no_followup_days", errors), _limit(data, "no_deal_days", errors)
    if errors:
        raise InvalidInput(errors)
    rule, _created = PoolRule.objects.select_for_update().get_or_create(pool=pool, level=level)
    before = [rule.no_followup_days, rule.no_deal_days, rule.is_active]
    rule.no_followup_days, rule.no_deal_days = no_followup, no_deal
    rule.is_active = bool(data.get("is_active", True))
    rule.save()
    audit_record(actor=actor, action="pool.rule", target=pool, changes={
        "level": getattr(level, "name", None), "rule": [before, [no_followup, no_deal, rule.is_active]]})
    return rule


@transaction.atomic
def pool_rule_clear(*, actor: Actor, pool_id, level_id) -> None:
    """Removes a level's own rule: the level follows the pool's general rule again."""
    pool = get_visible_or_404(Pool, actor, pool_id)
    _require_admin(actor)
    rule = PoolRule.objects.filter(pool=pool, level_id=_int_or_none(level_id), level__isnull=False).first()
    if rule is None:
        return
    audit_record(actor=actor, action="pool.rule_clear", target=pool, changes={"level": rule.level_id})
    rule.delete()


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def customer_cap_set(*, actor: Actor, limit, role: str = "", user_id=None) -> CustomerCap | None:
    """The cap of a role, or of one user (which wins over the role's); an empty limit removes it (no cap)."""
    from zhuli.access.roles import Role

    _require_admin(actor)
    errors: dict = {}
    user = None
    if user_id not in (None, ""):
        user = visible(User, actor).filter(pk=_int_or_none(user_id)).first()
        if user is None:
            errors["user_id"] = _("用户不存在")
        role = ""
    elif role not in Role.values:
        errors["role"] = _("未知的角色")
    value = None
    if limit not in (None, ""):
        value = _int_or_none(limit)
        if value is None or not 0 <= value <= 1_000_000:
            errors["limit"] = _("客户上限应为 0 到 1000000 之间的整数，留空表示不限")
    if errors:
        raise InvalidInput(errors)
    existing = CustomerCap.objects.filter(user=user) if user else CustomerCap.objects.filter(user__isnull=True, role=role)
    before = existing.values_list("limit", flat=True).first()
    target = user.name if user else role
    if value is None:
        existing.delete()
        audit_record(actor=actor, action="customer_cap.delete", changes={"target": target, "limit": [before, None]})
        return None
    cap = existing.select_for_update().first() or CustomerCap(user=user, role=role, limit=value)
    cap.limit = value
    cap.save()
    audit_record(actor=actor, action="customer_cap.set", target=cap, changes={"target": target, "limit": [before, value]})
    return cap
