"""Tokens, the current user, colleagues (company admins add and change them) and departments, and the company's
account: kind, status, end dates and plan limits."""
from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import AuthenticationError
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict, Field

from zhuli.access.roles import Role
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.api.auth import actor_of, client_ip
from zhuli.api.errors import ErrorOut, ValidationOut, responses
from zhuli.api.schemas import Id, Out, PageParams, Ref, page_of, query_text, ref
from zhuli.core.errors import InvalidInput
from zhuli.core.pagination import order_by_param
from zhuli.tenancy.models import default_features
from zhuli.tenancy.services import tenant_days_left, tenant_grace_ends_on, tenant_usage

from .authentication import login_check
from .models import Department, User, owner_display
from .services import token_create, token_revoke, user_activate, user_create, user_deactivate, user_update

router = Router(tags=["accounts"])

RoleCode = Literal[tuple(Role.values)]


# ---- tokens ----------------------------------------------------------------------------------------


class TokenIn(BaseModel):
    login: str = Field(max_length=254, description="邮箱或手机号")
    password: str = Field(max_length=200)
    name: str = Field(default="API", max_length=60, description="令牌名称，便于日后识别")


class TokenOut(Out):
    token: str


@router.post("/auth/token", auth=None, response={200: TokenOut, 401: ErrorOut, 422: ValidationOut, 429: ErrorOut},
             tags=["auth"])
def auth_token_create(request, payload: TokenIn):
    """A bearer token for email-or-mobile and password; repeated failures are throttled (429)."""
    user = login_check(login=payload.login, password=payload.password, ip=client_ip(request))
    if not user.tenant_id:
        raise AuthenticationError(401, _("该账号不属于任何公司，不能使用 API"))
    _token, key = token_create(user=user, name=payload.name)
    return {"token": key}


@router.delete("/auth/token", response=responses(204, None), tags=["auth"])
def auth_token_revoke(request):
    """Revokes the token this request was made with (a session request has none: nothing happens)."""
    token = getattr(request, "api_token", None)
    if token is not None:
        token_revoke(user=request.auth, token_id=token.pk)
    return Status(204, None)


# ---- me ----------------------------------------------------------------------------------------------


class TenantOut(Out):
    code: str
    name: str
    kind: str
    status: str


class MeOut(Out):
    id: int
    name: str
    email: str | None
    mobile: str | None
    role: str
    is_admin: bool
    department: Ref | None
    tenant: TenantOut


@router.get("/me", response=responses(200, MeOut))
def me(request):
    user = request.auth
    tenant = user.tenant
    department = visible(Department, actor_of(request)).filter(pk=user.department_id).values("id", "name").first() \
        if user.department_id else None
    return {
        "id": user.pk, "name": user.name, "email": user.email, "mobile": user.mobile, "role": user.role,
        "is_admin": user.is_admin, "department": department,
        "tenant": {"code": tenant.code, "name": tenant.name, "kind": tenant.kind, "status": tenant.status},
    }


# ---- users -------------------------------------------------------------------------------------------

USER_SORTS = {"id": "id", "name": "name", "role": "role"}
USER_COLUMNS = ("id", "name", "email", "mobile", "role", "is_admin", "is_active", "department_id", "department__name")


class UserOut(Out):
    id: int
    name: str
    display_name: str
    email: str | None
    mobile: str | None
    role: str
    is_admin: bool
    is_active: bool
    department: Ref | None


class UserList(Out):
    items: list[UserOut]
    count: int


class UserQuery(PageParams):
    q: str = Field(default="", max_length=100, description="姓名、邮箱或手机号")
    role: RoleCode | None = None
    department: Id | None = Field(default=None, description="部门 id（含下级部门）")
    active: bool | None = Field(default=None, description="true 在职 / false 已离职")


def _user_row(r: dict) -> dict:
    return {
        "id": r["id"], "name": r["name"], "display_name": owner_display(r["name"], r["is_active"]),
        "email": r["email"], "mobile": r["mobile"], "role": r["role"], "is_admin": r["is_admin"],
        "is_active": r["is_active"], "department": ref(r["department_id"], r["department__name"]),
    }


@router.get("/users", response=responses(200, UserList, 422))
def user_list(request, filters: Query[UserQuery]):
    """Colleagues in the company (everyone may see them: owner pickers, the org tree)."""
    actor = actor_of(request)
    qs = visible(User, actor)
    q = query_text(filters.q)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(email__icontains=q) | Q(mobile__contains=q))
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.department:
        path = visible(Department, actor).filter(pk=filters.department).values_list("path", flat=True).first()
        qs = qs.filter(department__path__startswith=path) if path else qs.none()
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    qs = qs.order_by(*order_by_param(filters.sort, USER_SORTS, "id"))
    return page_of(qs.values(*USER_COLUMNS), filters, _user_row, counted=qs)


@router.get("/users/{int:user_id}", response=responses(200, UserOut, 404))
def user_detail(request, user_id: int):
    qs = visible(User, actor_of(request)).values(*USER_COLUMNS)
    return _user_row(get_visible_or_404(User, actor_of(request), user_id, queryset=qs))


class UserPatch(BaseModel):
    # Unknown fields (password, is_active …) are refused by name rather than silently ignored.
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=254)
    mobile: str | None = Field(default=None, max_length=20)
    role: RoleCode | None = None
    department_id: Id | None = None
    is_admin: bool | None = None


class UserIn(UserPatch):
    name: str = Field(max_length=50)
    password: str = Field(max_length=200, description="初始密码：至少 8 位，不能全是数字")


def _user_data(actor, payload: BaseModel) -> dict:
    data = payload.model_dump(exclude_unset=True)
    # A department the caller cannot see is a bad field of this body, not a missing page.
    if data.get("department_id") and not visible(Department, actor).filter(pk=data["department_id"]).exists():
        raise InvalidInput({"department_id": _("部门不存在")})
    return data


@router.post("/users", response=responses(201, UserOut, 403, 409, 422))
def user_add(request, payload: UserIn):
    """Company admins add a colleague; the plan's user and boss seats are enforced (409 `plan_limit`)."""
    actor = actor_of(request)
    user = user_create(actor=actor, data=_user_data(actor, payload))
    return Status(201, user_detail(request, user.pk))


@router.patch("/users/{int:user_id}", response=responses(200, UserOut, 403, 404, 409, 422))
def user_edit(request, user_id: int, payload: UserPatch):
    """Company admins change a colleague; making an active user a boss takes a boss seat."""
    actor = actor_of(request)
    get_visible_or_404(User, actor, user_id)  # another tenant's id: 404 before the admin check's 403
    user_update(actor=actor, user_id=user_id, data=_user_data(actor, payload))
    return user_detail(request, user_id)


@router.post("/users/{int:user_id}/deactivate", response=responses(200, UserOut, 403, 404, 409))
def user_leave(request, user_id: int):
    """离职: the user can no longer log in and their tokens are revoked; their records stay."""
    actor = actor_of(request)
    get_visible_or_404(User, actor, user_id)
    user_deactivate(actor=actor, user_id=user_id)
    return user_detail(request, user_id)


@router.post("/users/{int:user_id}/activate", response=responses(200, UserOut, 403, 404, 409))
def user_return(request, user_id: int):
    """Back to active, within the plan's user and boss seats (409 `plan_limit`)."""
    actor = actor_of(request)
    get_visible_or_404(User, actor, user_id)
    user_activate(actor=actor, user_id=user_id)
    return user_detail(request, user_id)


# ---- the company's account -----------------------------------------------------------------------------


class LimitsOut(Out):
    max_users: int
    users: int = Field(description="在职用户数")
    max_bosses: int
    bosses: int = Field(description="在职老板数")


class TenantInfoOut(Out):
    code: str
    name: str
    kind: str = Field(description="trial / formal / demo")
    status: str = Field(description="active / expired / suspended")
    trial_ends_on: datetime.date | None
    service_ends_on: datetime.date | None
    grace_ends_on: datetime.date | None = Field(description="到期后数据保留到此日")
    days_left: int | None = Field(description="含今天的剩余天数；无截止日为 null")
    read_only: bool = Field(description="true：帐户已到期，只能查看和导出")
    limits: LimitsOut
    features: dict[str, Any]


@router.get("/tenant", response=responses(200, TenantInfoOut))
def tenant_info(request):
    """The caller's company: account kind and status, end dates, seats used and the feature switches."""
    tenant = actor_of(request).tenant
    usage = tenant_usage(tenant)
    return {
        "code": tenant.code, "name": tenant.name, "kind": tenant.kind, "status": tenant.status,
        "trial_ends_on": tenant.trial_ends_on, "service_ends_on": tenant.service_ends_on,
        "grace_ends_on": tenant_grace_ends_on(tenant), "days_left": tenant_days_left(tenant),
        "read_only": tenant.read_only,
        "limits": {"max_users": tenant.max_users, "users": usage["users"], "max_bosses": tenant.max_bosses,
                   "bosses": usage["bosses"]},
        "features": {**default_features(), **(tenant.features or {})},
    }


# ---- departments ---------------------------------------------------------------------------------------

DEPARTMENT_COLUMNS = ("id", "name", "parent_id", "path", "depth", "order")


class DepartmentOut(Out):
    id: int
    name: str
    parent_id: int | None
    path: str = Field(description='物化路径，如 "/1/4/"；以某部门路径开头的即其下级')
    depth: int
    order: int


class DepartmentList(Out):
    items: list[DepartmentOut]
    count: int


@router.get("/departments", response=responses(200, DepartmentList))
def department_list(request):
    """The whole department tree, flat (parents before children); build the tree from `parent_id`."""
    rows = list(visible(Department, actor_of(request)).order_by("depth", "order", "id").values(*DEPARTMENT_COLUMNS))
    return {"items": rows, "count": len(rows)}


@router.get("/departments/{int:department_id}", response=responses(200, DepartmentOut, 404))
def department_detail(request, department_id: int):
    actor = actor_of(request)
    qs = visible(Department, actor).values(*DEPARTMENT_COLUMNS)
    return get_visible_or_404(Department, actor, department_id, queryset=qs)
