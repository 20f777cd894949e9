from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.accounts.models import User
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.models import Region
from zhuli.core.registry import owner_change_hooks
from zhuli.preferences.models import DictionaryItem

from .duplicates import DuplicateReport, duplicates_find
from .models import Contact, Customer, CustomerKind, Gender, OwnerChange, Pool, PoolRule, RecentView

TEXT_LIMITS = {
    "name": 200, "short_name": 100, "english_name": 200, "external_code": 60, "number": 40, "address": 300,
    "phone": 60, "website": 200, "credit_code": 18, "legal_representative": 50, "mobile": 40, "email": 254,
    "wechat": 60, "tags": 300,
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


def _clean(actor: Actor, data: dict, *, instance: Customer | None) -> dict:
    """Checks and normalises every field given; raises InvalidInput naming each bad field."""
    errors: dict[str, str] = {}
    out: dict = {}
    kind = data.get("kind", instance.kind if instance else None)
    if kind not in CustomerKind.values:
        errors["kind"] = _("客户类型只能是 enterprise（企业）或 individual（个人）")
    else:
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
                                          errors=errors, field=key)
    _clean_regions(data, out, errors, instance)
    if errors:
        raise InvalidInput(errors)
    out["kind"] = kind
    return out


def _dictionary_value(actor, kind, value, *, current, errors, field):
    if value in (None, "", 0):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[field] = _("无效的选项")
        return None
    item = visible(DictionaryItem, actor).filter(kind=kind, pk=pk).first()
    if item is None or (not item.is_active and pk != current):
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
                    check_duplicates: bool = True) -> SaveResult:
    """A new customer owned by the creator (or a chosen owner, for those who may transfer)."""
    require(actor, "customers.create")
    cleaned = _clean(actor, data, instance=None)
    if owner is None and data.get("owner_id") not in (None, ""):
        owner = _resolve_owner(actor, data["owner_id"])
    if owner is not None and owner.pk != actor.user_id and not actor.can("customers", "transfer"):
        raise Forbidden(_("您只能创建自己负责的客户"))
    if owner is None and data.get("to_pool"):
        # Straight into the pool (公海) is a hand-over, allowed to those who may transfer.
        require(actor, "customers.transfer")
    elif owner is None:
        owner = actor.user
    warnings = _check_duplicates(actor, cleaned, instance=None, allow_duplicate=allow_duplicate) \
        if check_duplicates else []
    now = timezone.now()
    customer = Customer(**cleaned, owner=owner, department_id=getattr(owner, "department_id", None),
                        created_by_id=actor.user_id, pool=pool_default(),
                        owned_since=now if owner else None, pooled_at=None if owner else now)
    customer_search_keys(customer, [])
    customer.save()
    audit_record(actor=actor, action="customer.create", target=customer,
                 changes={"name": customer.name, "owner": getattr(owner, "name", None)})
    return SaveResult(customer, warnings)


@transaction.atomic
def customer_update(*, actor: Actor, customer_id: int, data: dict, allow_duplicate: bool = False) -> SaveResult:
    """Edits the fields given; the kind may not change after creation."""
    customer = get_visible_or_404(Customer, actor, customer_id, queryset=visible(Customer, actor).select_for_update())
    require(actor, "customers.edit")
    if "kind" in data and data["kind"] != customer.kind:
        raise InvalidInput({"kind": _("客户类型创建后不能修改")})
    data = {k: v for k, v in data.items() if k not in ("owner_id", "kind")}
    cleaned = _clean(actor, data, instance=customer)
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
    """Deletes a customer with its contacts and follow-ups; the audit keeps its name."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "customers.delete")
    audit_record(actor=actor, action="customer.delete", target=customer, changes={"name": customer.name})
    customer.delete()


@transaction.atomic
def customer_transfer(*, actor: Actor, customer_ids: list[int], to_user_id: int, reason: str = "",
                      kind: str = "transfer") -> int:
    """Hands customers to another salesperson; each change goes into the owner log."""
    require(actor, "customers.transfer")
    to_user = _resolve_owner(actor, to_user_id)
    customers = list(visible(Customer, actor).filter(pk__in=customer_ids).select_for_update())
    if len(customers) != len(set(customer_ids)):
        raise InvalidInput({"customer_ids": _("部分客户不存在或无权操作")})
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
    users is their job, whatever their own customer rights); others go through customer_transfer's checks."""
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
