"""Customers and contacts over the API (DESIGN §5). Endpoints parse, call one selector or service, shape.

The services look the record up through the scoped door before any permission check, so a row outside the caller's
scope is a 404 before any permission question (403) is asked."""
from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, Field

from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.accounts.models import User
from zhuli.api.auth import actor_of
from zhuli.api.errors import DuplicateOut, SimilarCustomer, responses, similar
from zhuli.api.schemas import (
    Day,
    Id,
    Out,
    OwnerParam,
    PageParams,
    Ref,
    RegionCode,
    RegionRef,
    local,
    owner_ref,
    page_of,
    query_text,
    ref,
)
from zhuli.core.errors import InvalidInput, NotFound
from zhuli.core.pagination import order_by_param

from .duplicates import duplicates_find
from .models import Contact, Customer
from .selectors import (
    CustomerFilters,
    contact_list,
    customer_get,
    customer_list,
    customer_page,
    owner_changes,
    pool_settings_list,
)
from .services import (
    ENTERPRISE_ONLY,
    INDIVIDUAL_ONLY,
    contact_create,
    contact_delete,
    contact_update,
    customer_assign,
    customer_claim,
    customer_create,
    customer_delete,
    customer_release,
    customer_transfer,
    customer_update,
)

router = Router(tags=["customers"])

Kind = Literal["enterprise", "individual"]
GenderCode = Literal["male", "female", ""]
Str = Annotated[str | None, Field(max_length=5000)]
Tags = Annotated[list[Annotated[str, Field(max_length=50)]] | str | None, Field(max_length=300)]
RegionFilter = Annotated[str, Field(max_length=12, pattern=r"^[0-9]*$")]


def _tags(value: str) -> list[str]:
    return [t for t in (value or "").split(",") if t]


# ---- customers: list ----------------------------------------------------------------------------------

# Picklist and region names come as scalar subqueries (selectors.customer_page), not joins.
ROW_COLUMNS = (
    "id", "kind", "name", "short_name", "number", "phone", "mobile", "owner_id", "owner__name", "owner__is_active",
    "level_id", "status_id", "source_id", "industry_id", "province_id", "city_id", "tags", "last_followup_at",
    "next_followup_at", "created_at", "pool_id", "pool__name", "pooled_at", "lifecycle", "first_signed_on",
    "level_label", "status_label", "source_label", "industry_label", "province_label", "city_label",
)


class CustomerRow(Out):
    id: int
    kind: Kind
    name: str
    short_name: str
    number: str
    phone: str
    mobile: str
    owner: Ref | None
    level: Ref | None
    status: Ref | None
    source: Ref | None
    industry: Ref | None
    province: RegionRef | None
    city: RegionRef | None
    tags: list[str]
    last_followup_at: datetime.datetime | None
    next_followup_at: datetime.datetime | None
    created_at: datetime.datetime
    pool: Ref | None = Field(description="所在公海（仅无负责人的客户）")
    pooled_at: datetime.datetime | None = Field(description="进入公海的时间（仅无负责人的客户）")
    lifecycle: str = Field(description="生命周期：potential · signed · repeat · lapsed")
    first_signed_on: datetime.date | None = Field(description="首次签约日期")


class CustomerList(Out):
    items: list[CustomerRow]
    count: int


def _row(r: dict) -> dict:
    def named(key):
        return ref(r[f"{key}_id"], r[f"{key}_label"])

    return {
        "id": r["id"], "kind": r["kind"], "name": r["name"], "short_name": r["short_name"], "number": r["number"],
        "phone": r["phone"], "mobile": r["mobile"],
        "owner": owner_ref(r["owner_id"], r["owner__name"], r["owner__is_active"]),
        "level": named("level"), "status": named("status"), "source": named("source"),
        "industry": named("industry"), "province": named("province"), "city": named("city"),
        "tags": _tags(r["tags"]), "last_followup_at": local(r["last_followup_at"]),
        "next_followup_at": local(r["next_followup_at"]), "created_at": local(r["created_at"]),
        "pool": None if r["owner_id"] else ref(r["pool_id"], r["pool__name"]),
        "pooled_at": None if r["owner_id"] else local(r["pooled_at"]),
        "lifecycle": r["lifecycle"], "first_signed_on": r["first_signed_on"],
    }


class CustomerQuery(PageParams):
    q: str = Field(default="", max_length=100, description="名称、简称、拼音、编号、电话或联系人")
    owner: OwnerParam = Field(default="", description="负责人 id、me（我的）或 none（公海）")
    department: Id | None = Field(default=None, description="负责人所在部门（含下级部门）")
    kind: Kind | None = None
    status: Id | None = None
    level: Id | None = None
    source: Id | None = None
    industry: Id | None = None
    province: RegionFilter = Field(default="", description="行政区划代码")
    city: RegionFilter = ""
    district: RegionFilter = ""
    next_from: Day | None = Field(default=None, description="下次跟进日期起（含）")
    next_to: Day | None = Field(default=None, description="下次跟进日期止（含）")
    no_followup_days: int | None = Field(default=None, ge=0, le=36500, description="超过 N 天未跟进")
    tag: str = Field(default="", max_length=50)
    pool: Id | None = Field(default=None, description="公海 id（与 owner=none 合用：该公海中的客户）")


@router.get("/customers", response=responses(200, CustomerList, 422))
def customer_items(request, filters: Query[CustomerQuery]):
    """Customers in the caller's scope. `sort`: id, name, created_at, updated_at, next_followup_at,
    last_followup_at, pooled_at (prefix `-` for descending); default `-id`. `owner=none` lists the pool (公海)
    customers the caller sees; `pool=<id>` narrows to one pool."""
    f = CustomerFilters(
        q=query_text(filters.q), owner=filters.owner, department=filters.department, kind=filters.kind or "",
        status=filters.status, level=filters.level, source=filters.source, industry=filters.industry,
        province=filters.province, city=filters.city, district=filters.district, next_from=filters.next_from,
        next_to=filters.next_to, no_followup_days=filters.no_followup_days, tag=query_text(filters.tag),
        pool=filters.pool,
    )
    actor = actor_of(request)
    qs = customer_list(actor=actor, filters=f, sort=filters.sort)
    return page_of(qs, filters, _row, counted=qs,
                   late=lambda page_ids: customer_page(qs, page_ids).values(*ROW_COLUMNS))


# ---- customers: detail and writes --------------------------------------------------------------------


class CustomerOut(Out):
    id: int
    kind: Kind
    name: str
    number: str
    short_name: str
    english_name: str
    external_code: str
    owner: Ref | None
    department: Ref | None
    pool: Ref | None = Field(description="所属公海：无负责人时所在的公海，放入公海时默认回到这里")
    pooled_at: datetime.datetime | None
    owned_since: datetime.datetime | None
    source: Ref | None
    industry: Ref | None
    level: Ref | None
    status: Ref | None
    customer_type: Ref | None
    staff_size: Ref | None
    lifecycle: str = Field(description="生命周期：potential · signed · repeat · lapsed，随签约自动前进")
    first_signed_on: datetime.date | None = Field(description="首次签约日期")
    province: RegionRef | None
    city: RegionRef | None
    district: RegionRef | None
    address: str
    phone: str
    website: str
    credit_code: str
    legal_representative: str
    introduction: str
    invoice_title: str
    invoice_tax_number: str
    invoice_bank: str
    invoice_account: str
    invoice_address: str
    invoice_phone: str
    gender: str
    mobile: str
    email: str
    wechat: str
    birthday: datetime.date | None
    tags: list[str]
    remarks: str
    contacts_count: int
    last_followup_at: datetime.datetime | None
    next_followup_at: datetime.datetime | None
    created_by: Ref | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CustomerSaved(CustomerOut):
    warnings: list[SimilarCustomer] = Field(description="疑似重复的客户（不阻止保存）")


def _obj_ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def _region(obj) -> dict | None:
    return None if obj is None else {"id": obj.code, "name": obj.name}


def _detail(c: Customer) -> dict:
    owner = c.owner
    return {
        "id": c.pk, "kind": c.kind, "name": c.name, "number": c.number, "short_name": c.short_name,
        "english_name": c.english_name, "external_code": c.external_code,
        "owner": owner_ref(owner.pk, owner.name, owner.is_active) if owner else None,
        "department": _obj_ref(c.department), "pool": _obj_ref(c.pool), "pooled_at": local(c.pooled_at),
        "owned_since": local(c.owned_since), "source": _obj_ref(c.source), "industry": _obj_ref(c.industry),
        "level": _obj_ref(c.level), "status": _obj_ref(c.status), "customer_type": _obj_ref(c.customer_type),
        "staff_size": _obj_ref(c.staff_size), "lifecycle": c.lifecycle,
        "first_signed_on": c.first_signed_on, "province": _region(c.province),
        "city": _region(c.city), "district": _region(c.district), "address": c.address, "phone": c.phone,
        "website": c.website, "credit_code": c.credit_code, "legal_representative": c.legal_representative,
        "introduction": c.introduction, "invoice_title": c.invoice_title, "invoice_tax_number": c.invoice_tax_number,
        "invoice_bank": c.invoice_bank, "invoice_account": c.invoice_account, "invoice_address": c.invoice_address,
        "invoice_phone": c.invoice_phone, "gender": c.gender, "mobile": c.mobile, "email": c.email,
        "wechat": c.wechat, "birthday": c.birthday, "tags": c.tag_list, "remarks": c.remarks,
        "contacts_count": c.contacts.count(), "last_followup_at": local(c.last_followup_at),
        "next_followup_at": local(c.next_followup_at),
        "created_by": owner_ref(c.created_by.pk, c.created_by.name, c.created_by.is_active) if c.created_by else None,
        "created_at": local(c.created_at), "updated_at": local(c.updated_at),
    }


def _fresh(actor, customer: Customer) -> Customer:
    """The customer re-read with its related names, or as the service left it when a write just moved
    it out of the caller's scope (created for, or handed to, a colleague elsewhere)."""
    try:
        return customer_get(actor=actor, customer_id=customer.pk)
    except NotFound:
        return customer


def _saved(request, result) -> dict:
    return {**_detail(_fresh(actor_of(request), result.customer)), "warnings": [similar(w) for w in result.warnings]}


class CustomerFields(BaseModel):
    """Fields a client may write. Picklists by id (`source_id` …), regions by GB/T 2260 code (`province_id` …)."""

    number: Str = None
    short_name: Str = None
    english_name: Str = None
    external_code: Str = None
    address: Str = None
    phone: Str = None
    website: Str = None
    credit_code: Str = None
    legal_representative: Str = None
    introduction: Str = None
    invoice_title: Str = None
    invoice_tax_number: Str = None
    invoice_bank: Str = None
    invoice_account: Str = None
    invoice_address: Str = None
    invoice_phone: Str = None
    gender: GenderCode | None = None
    mobile: Str = None
    email: Str = None
    wechat: Str = None
    birthday: Day | None = None
    tags: Tags = Field(default=None, description="标签列表，或用逗号分隔的文本")
    remarks: Str = None
    source_id: Id | None = None
    industry_id: Id | None = None
    level_id: Id | None = None
    status_id: Id | None = None
    customer_type_id: Id | None = None
    staff_size_id: Id | None = None
    province_id: RegionCode = None
    city_id: RegionCode = None
    district_id: RegionCode = None
    allow_duplicate: bool = Field(default=False, description="确认保存与已有客户同名的客户（需有权限）")


class CustomerIn(CustomerFields):
    kind: Kind
    name: str = Field(max_length=5000)
    owner_id: Id | None = Field(default=None, description="负责人，默认为创建者；指定他人需要转移权限")
    to_pool: bool = Field(default=False, description="放入公海（无负责人）；需要转移权限")
    pool_id: Id | None = Field(default=None, description="所属公海，默认为默认公海；与 to_pool 合用即放入该公海")


class CustomerPatch(CustomerFields):
    kind: Kind | None = Field(default=None, description="不可修改；给出时须与原值相同")
    name: str | None = Field(default=None, max_length=5000)


def _payload_owner(call):
    """An owner_id the caller cannot see (another tenant's user, say) is a bad field, not a missing page:
    the record itself was already found, or is being created."""
    try:
        return call()
    except NotFound:
        raise InvalidInput({"owner_id": _("负责人不存在")})


def _data(payload: BaseModel) -> tuple[dict, bool]:
    data = payload.model_dump(exclude_unset=True)
    allow = bool(data.pop("allow_duplicate", False))
    if isinstance(data.get("tags"), list):
        data["tags"] = ",".join(data["tags"])
    return data, allow


@router.post("/customers", response=responses(201, CustomerSaved, 403, 422, conflict=DuplicateOut))
def customer_new(request, payload: CustomerIn):
    """Only `kind` and `name` are needed; the owner defaults to the creator. An exact duplicate answers
    409 (resend with `allow_duplicate` if your role may); similar customers come back as `warnings`."""
    data, allow = _data(payload)
    _refuse_other_kind(payload.kind, data)
    result = _payload_owner(lambda: customer_create(actor=actor_of(request), data=data, allow_duplicate=allow))
    return Status(201, _saved(request, result))


def _refuse_other_kind(kind: str, data: dict) -> None:
    """The forms hide the other kind's fields; an API client sending them would lose them silently."""
    other = INDIVIDUAL_ONLY if kind == "enterprise" else ENTERPRISE_ONLY
    message = _("企业客户没有此字段（手机、邮箱等请填写在联系人上）") if kind == "enterprise" \
        else _("个人客户没有此字段")
    errors = {k: message for k, v in data.items() if k.removesuffix("_id") in other and v not in (None, "", [])}
    if errors:
        raise InvalidInput(errors)


class DuplicateQuery(BaseModel):
    name: str = Field(default="", max_length=200)
    credit_code: str = Field(default="", max_length=30)
    phone: str = Field(default="", max_length=60)
    website: str = Field(default="", max_length=200)


class DuplicateReportOut(Out):
    blocking: list[SimilarCustomer] = Field(description="同名或统一社会信用代码相同：会阻止保存")
    warnings: list[SimilarCustomer] = Field(description="疑似重复（电话、网址、去括号后的名称）")


@router.get("/customers/duplicates", response=responses(200, DuplicateReportOut, 403, 422))
def customer_duplicates(request, filters: Query[DuplicateQuery]):
    """查重 over the whole company, whatever the caller's scope: names and owners, ids only where visible."""
    actor = actor_of(request)
    require(actor, "customers.view")
    report = duplicates_find(actor=actor, name=filters.name, credit_code=filters.credit_code,
                             phones=[filters.phone] if filters.phone else [], website=filters.website)
    return {"blocking": [similar(e) for e in report.blocking], "warnings": [similar(e) for e in report.warnings]}


@router.get("/customers/{int:customer_id}", response=responses(200, CustomerOut, 404))
def customer_detail(request, customer_id: int):
    return _detail(customer_get(actor=actor_of(request), customer_id=customer_id))


@router.patch("/customers/{int:customer_id}", response=responses(200, CustomerSaved, 403, 404, 422, conflict=DuplicateOut))
def customer_edit(request, customer_id: int, payload: CustomerPatch):
    """Changes the fields given; the kind cannot change and the owner changes through `transfer`."""
    actor = actor_of(request)
    customer = get_visible_or_404(Customer, actor, customer_id)
    data, allow = _data(payload)
    _refuse_other_kind(customer.kind, data)
    result = customer_update(actor=actor, customer_id=customer_id, data=data, allow_duplicate=allow)
    return _saved(request, result)


@router.delete("/customers/{int:customer_id}", response=responses(204, None, 403, 404, 409))
def customer_remove(request, customer_id: int):
    """Deletes the customer with its contacts and follow-ups."""
    actor = actor_of(request)
    customer_delete(actor=actor, customer_id=customer_id)
    return Status(204, None)


class TransferIn(BaseModel):
    owner_id: Id
    reason: str = Field(default="", max_length=200)


class BulkTransferIn(TransferIn):
    customer_ids: list[Id] = Field(min_length=1, max_length=500)


class MovedOut(Out):
    moved: int


@router.post("/customers/transfer", response=responses(200, MovedOut, 403, 422))
def customer_transfer_many(request, payload: BulkTransferIn):
    """Hands several customers to one colleague; each change goes into the owner log."""
    moved = _payload_owner(lambda: customer_transfer(
        actor=actor_of(request), customer_ids=list(dict.fromkeys(payload.customer_ids)), to_user_id=payload.owner_id,
        reason=payload.reason))
    return {"moved": moved}


@router.post("/customers/{int:customer_id}/transfer", response=responses(200, CustomerOut, 403, 404, 422))
def customer_transfer_one(request, customer_id: int, payload: TransferIn):
    """Hands the customer to a colleague (logged in its owner changes)."""
    actor = actor_of(request)
    customer = customer_get(actor=actor, customer_id=customer_id)
    _payload_owner(lambda: customer_transfer(actor=actor, customer_ids=[customer_id], to_user_id=payload.owner_id,
                                             reason=payload.reason))
    fresh = _fresh(actor, customer)
    if fresh is customer:
        customer.owner = visible(User, actor).select_related("department").get(pk=payload.owner_id)
        customer.department = customer.owner.department
    return _detail(fresh)


# ---- the pool (公海) ------------------------------------------------------------------------------------

class ReleaseIn(BaseModel):
    reason: str = Field(max_length=200, description="放入公海的原因（必填）")
    pool_id: Id | None = Field(default=None, description="放入哪个公海；默认是客户所属的公海")


class AssignIn(BaseModel):
    owner_id: Id
    reason: str = Field(default="", max_length=200)


def _after_move(actor, customer: Customer) -> dict:
    """The customer as it is now; one that just left the caller's sight (released into a pool they are no
    member of) is shown as the service left it."""
    return _detail(_fresh(actor, customer))


@router.post("/customers/{int:customer_id}/claim", response=responses(200, CustomerOut, 403, 404, 409))
def customer_claim_one(request, customer_id: int):
    """领取: takes a pool customer (you must be a member of its pool and under your customer cap). 409 when
    someone else has it, or the cap is reached (the message says the count and the cap)."""
    actor = actor_of(request)
    return _after_move(actor, customer_claim(actor=actor, customer_id=customer_id))


@router.post("/customers/{int:customer_id}/release", response=responses(200, CustomerOut, 403, 404, 409, 422))
def customer_release_one(request, customer_id: int, payload: ReleaseIn):
    """放入公海: your own customer, or anyone's visible customer if you may transfer; the reason is required."""
    actor = actor_of(request)
    moved = customer_release(actor=actor, customer_ids=[customer_id], reason=payload.reason, pool_id=payload.pool_id)
    return _after_move(actor, moved[0])


@router.post("/customers/{int:customer_id}/assign", response=responses(200, CustomerOut, 403, 404, 409, 422))
def customer_assign_one(request, customer_id: int, payload: AssignIn):
    """分配: gives a pool customer to a colleague in your scope (managers, bosses); the colleague's cap applies."""
    actor = actor_of(request)
    moved = customer_assign(actor=actor, customer_ids=[customer_id], owner_id=payload.owner_id, reason=payload.reason)
    return _after_move(actor, moved[0])


class PoolRuleOut(Out):
    id: int
    level: Ref | None = Field(description="客户等级；为空是通用规则")
    no_followup_days: int | None
    no_deal_days: int | None
    is_active: bool


class PoolOut(Out):
    id: int
    name: str
    is_default: bool
    warn_days: int
    members: list[Ref] = Field(description="成员部门（含下级部门）；为空表示全员")
    rules: list[PoolRuleOut]


class PoolList(Out):
    items: list[PoolOut]
    count: int


@router.get("/pools", response=responses(200, PoolList), tags=["pools"])
def pool_items(request):
    """The pools whose customers you see (members and overseers; company admins: every pool), with their member
    departments and auto-return rules: the pools you may release, create or import customers into."""
    actor = actor_of(request)
    require(actor, "customers.view")
    items = [{
        "id": p.pk, "name": p.name, "is_default": p.is_default, "warn_days": p.warn_days,
        "members": [{"id": m.department_id, "name": m.department.name} for m in p.members.all()],
        "rules": [{"id": r.pk, "level": _obj_ref(r.level), "no_followup_days": r.no_followup_days,
                   "no_deal_days": r.no_deal_days, "is_active": r.is_active} for r in p.rules.all()],
    } for p in pool_settings_list(actor=actor, usable_only=not actor.is_admin)]
    return {"items": items, "count": len(items)}


class OwnerChangeOut(Out):
    id: int
    from_owner: Ref | None
    to_owner: Ref | None
    kind: str
    reason: str
    changed_by: Ref | None
    changed_at: datetime.datetime


class OwnerChangeList(Out):
    items: list[OwnerChangeOut]
    count: int


OWNER_CHANGE_COLUMNS = (
    "id", "from_owner_id", "from_owner__name", "from_owner__is_active", "to_owner_id", "to_owner__name",
    "to_owner__is_active", "kind", "reason", "changed_by_id", "changed_by__name", "changed_by__is_active",
    "changed_at",
)


def _owner_change(r: dict) -> dict:
    return {
        "id": r["id"], "kind": r["kind"], "reason": r["reason"], "changed_at": local(r["changed_at"]),
        "from_owner": owner_ref(r["from_owner_id"], r["from_owner__name"], r["from_owner__is_active"]),
        "to_owner": owner_ref(r["to_owner_id"], r["to_owner__name"], r["to_owner__is_active"]),
        "changed_by": owner_ref(r["changed_by_id"], r["changed_by__name"], r["changed_by__is_active"]),
    }


@router.get("/customers/{int:customer_id}/owner-changes", response=responses(200, OwnerChangeList, 404))
def customer_owner_changes(request, customer_id: int, params: Query[PageParams]):
    """The owner-change log of one customer, newest first."""
    actor = actor_of(request)
    get_visible_or_404(Customer, actor, customer_id)
    qs = owner_changes(actor=actor, customer_id=customer_id)
    return page_of(qs.values(*OWNER_CHANGE_COLUMNS), params, _owner_change, counted=qs)


# ---- contacts ---------------------------------------------------------------------------------------------

CONTACT_SORTS = {"id": "id", "name": "name", "created_at": "created_at"}
CONTACT_ROW = ("id", "customer_id", "customer__name", "name", "title", "mobile", "phone", "email", "wechat",
               "is_primary", "has_left", "birthday")
CONTACT_DETAIL = CONTACT_ROW + ("gender", "department_name", "qq", "remarks", "created_at")


class ContactRow(Out):
    id: int
    customer: Ref
    name: str
    title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    is_primary: bool
    has_left: bool
    birthday: datetime.date | None


class ContactOut(ContactRow):
    gender: str
    department_name: str
    qq: str
    remarks: str
    created_at: datetime.datetime


class ContactList(Out):
    items: list[ContactRow]
    count: int


def _contact_row(r: dict) -> dict:
    out = {k: r[k] for k in CONTACT_ROW if not k.startswith("customer")}
    out["customer"] = {"id": r["customer_id"], "name": r["customer__name"]}
    return out


def _contact_detail(r: dict) -> dict:
    out = _contact_row(r)
    out.update({k: r[k] for k in ("gender", "department_name", "qq", "remarks")}, created_at=local(r["created_at"]))
    return out


class ContactQuery(PageParams):
    q: str = Field(default="", max_length=100, description="姓名、手机或客户名称")
    customer: Id | None = None


@router.get("/contacts", response=responses(200, ContactList, 422), tags=["contacts"])
def contact_items(request, filters: Query[ContactQuery]):
    """Contacts of the customers in the caller's scope; primary contacts first unless `sort` is given
    (id, name, created_at)."""
    qs = contact_list(actor=actor_of(request), customer_id=filters.customer, q=query_text(filters.q))
    if filters.sort:
        qs = qs.order_by(*order_by_param(filters.sort, CONTACT_SORTS, "id"))
    return page_of(qs.values(*CONTACT_ROW), filters, _contact_row, counted=qs)


def _contact(actor, contact_id: int) -> dict:
    return _contact_detail(get_visible_or_404(Contact, actor, contact_id,
                                              queryset=contact_list(actor=actor).values(*CONTACT_DETAIL)))


@router.get("/contacts/{int:contact_id}", response=responses(200, ContactOut, 404), tags=["contacts"])
def contact_detail(request, contact_id: int):
    return _contact(actor_of(request), contact_id)


class ContactFields(BaseModel):
    gender: GenderCode | None = None
    title: Str = None
    department_name: Str = None
    mobile: Str = None
    phone: Str = None
    email: Str = None
    wechat: Str = None
    qq: Str = None
    birthday: Day | None = None
    is_primary: bool | None = None
    has_left: bool | None = None
    remarks: Str = None


class ContactIn(ContactFields):
    customer_id: Id
    name: str = Field(max_length=5000)


class ContactPatch(ContactFields):
    name: str | None = Field(default=None, max_length=5000)


@router.post("/contacts", response=responses(201, ContactOut, 403, 422), tags=["contacts"])
def contact_new(request, payload: ContactIn):
    actor = actor_of(request)
    data = payload.model_dump(exclude_unset=True)
    customer_id = data.pop("customer_id")
    try:
        contact = contact_create(actor=actor, customer_id=customer_id, data=data)
    except NotFound:
        raise InvalidInput({"customer_id": _("客户不存在或无权查看")})
    return Status(201, _contact(actor, contact.pk))


@router.patch("/contacts/{int:contact_id}", response=responses(200, ContactOut, 403, 404, 422), tags=["contacts"])
def contact_edit(request, contact_id: int, payload: ContactPatch):
    actor = actor_of(request)
    contact_update(actor=actor, contact_id=contact_id, data=payload.model_dump(exclude_unset=True))
    return _contact(actor, contact_id)


@router.delete("/contacts/{int:contact_id}", response=responses(204, None, 403, 404), tags=["contacts"])
def contact_remove(request, contact_id: int):
    actor = actor_of(request)
    contact_delete(actor=actor, contact_id=contact_id)
    return Status(204, None)
