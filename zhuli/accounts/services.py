from __future__ import annotations

import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.roles import MANAGING_ROLES, Role
from zhuli.access.scoping import get_visible_or_404, require_not_demo, require_writable, visible
from zhuli.audit.services import audit_record
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.registry import owned_records
from zhuli.core.text import clean_text
from zhuli.tenancy.context import require_same_tenant
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.services import tenant_usage

from .models import ApiToken, Department, User

MOBILE_RE = re.compile(r"^1\d{10}$")


def _require_admin(actor: Actor) -> None:
    require_same_tenant(actor.tenant)  # rows are created in the active tenant
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以管理用户和部门"))
    require_writable(actor)
    require_not_demo(actor)


# ---- departments ---------------------------------------------------------------------------


def _set_path(dept: Department) -> None:
    parent_path = dept.parent.path if dept.parent_id else "/"
    dept.path = f"{parent_path}{dept.pk}/"
    dept.depth = parent_path.count("/") - 1


@transaction.atomic
def department_create(*, actor: Actor, name: str, parent_id: int | None = None, order: int = 0) -> Department:
    """A department under `parent_id` (or a root); any depth."""
    _require_admin(actor)
    name = clean_text(name)
    if not name:
        raise InvalidInput({"name": _("部门名称不能为空")})
    parent = get_visible_or_404(Department, actor, parent_id) if parent_id else None
    dept = Department.objects.create(name=name[:60], parent=parent, order=order)
    _set_path(dept)
    dept.save(update_fields=["path", "depth"])
    audit_record(actor=actor, action="department.create", target=dept, changes={"name": dept.name})
    return dept


@transaction.atomic
def department_update(*, actor: Actor, department_id: int, name: str | None = None,
                      parent_id: int | None | str = "keep") -> Department:
    """Renames or moves a department; moving rewrites the paths of its whole subtree."""
    _require_admin(actor)
    dept = get_visible_or_404(Department, actor, department_id)
    before = {"name": dept.name, "parent": dept.parent_id}
    if name is not None:
        name = clean_text(name)
        if not name:
            raise InvalidInput({"name": _("部门名称不能为空")})
        dept.name = name[:60]
    if parent_id != "keep":
        parent = get_visible_or_404(Department, actor, parent_id) if parent_id else None
        if parent is not None and parent.path.startswith(dept.path):
            raise InvalidInput({"parent": _("不能把部门移到它自己或它的下级部门之下")})
        old_path = dept.path
        dept.parent = parent
        _set_path(dept)
        for child in visible(Department, actor).filter(path__startswith=old_path).exclude(pk=dept.pk):
            child.path = dept.path + child.path[len(old_path):]
            child.depth = child.path.count("/") - 2
            child.save(update_fields=["path", "depth"])
    dept.save()
    audit_record(actor=actor, action="department.update", target=dept,
                 changes={"name": [before["name"], dept.name], "parent": [before["parent"], dept.parent_id]})
    return dept


@transaction.atomic
def department_delete(*, actor: Actor, department_id: int) -> None:
    """Only an empty department (no members, no sub-departments) can be deleted."""
    _require_admin(actor)
    dept = get_visible_or_404(Department, actor, department_id)
    if dept.children.exists():
        raise Conflict(_("请先删除或移走下级部门"))
    if User.objects.filter(department=dept).exists():
        raise Conflict(_("该部门还有成员，请先把成员调到其他部门"))
    audit_record(actor=actor, action="department.delete", target=dept)
    dept.delete()


# ---- users ---------------------------------------------------------------------------------


def _clean_login(data: dict, *, user: User | None = None) -> tuple[str | None, str | None]:
    errors: dict[str, str] = {}
    email = clean_text(data.get("email")).lower() or None
    mobile = re.sub(r"[\s-]", "", clean_text(data.get("mobile"))) or None
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = _("邮箱格式不正确")
    if mobile and not MOBILE_RE.match(mobile):
        errors["mobile"] = _("手机号应为 11 位数字，以 1 开头")
    if not email and not mobile:
        errors["email"] = _("邮箱和手机至少填写一个，用于登录")
    if errors:
        raise InvalidInput(errors)
    others = User.objects.exclude(pk=getattr(user, "pk", None))
    if email and others.filter(email__iexact=email).exists():
        raise InvalidInput({"email": _("该邮箱已被使用")})
    if mobile and others.filter(mobile=mobile).exists():
        raise InvalidInput({"mobile": _("该手机号已被使用")})
    return email, mobile


def check_plan_limits(*, tenant, adding_user: bool = False, adding_boss: bool = False) -> None:
    """No 11th user on a 10-user plan, no 3rd boss on a 2-boss plan. Call it inside the transaction that then
    adds the user: it locks the tenant row, so two concurrent creates are counted one after the other."""
    if not (adding_user or adding_boss):
        return
    # The lock orders concurrent creates on PostgreSQL (SQLite's immediate transactions already do), and the
    # limits are read from the locked row, so an operator's change in between counts too.
    limits = Tenant.objects.select_for_update().filter(pk=tenant.pk).values("max_users", "max_bosses").get()
    usage = tenant_usage(tenant)
    if adding_user and usage["users"] >= limits["max_users"]:
        raise Conflict(_("已达到用户数上限 %(limit)s 人（当前 %(n)s 人），请先停用其他用户或联系我们增加席位") % {
            "limit": limits["max_users"], "n": usage["users"]}, code="plan_limit")
    if adding_boss and usage["bosses"] >= limits["max_bosses"]:
        raise Conflict(_("已达到老板席位上限 %(limit)s 个（当前 %(n)s 个）") % {
            "limit": limits["max_bosses"], "n": usage["bosses"]}, code="plan_limit", field="role")


def check_password_strength(password: str, *, user: User | None = None, field: str = "password") -> None:
    try:
        validate_password(password or "", user=user)
    except DjangoValidationError as exc:
        raise InvalidInput({field: list(exc.messages)})


def _clean_role_department(actor: Actor, data: dict) -> tuple[str, Department | None]:
    role = data.get("role") or Role.SALES
    if role not in Role.values:
        raise InvalidInput({"role": _("未知的角色")})
    dept_id = data.get("department_id")
    department = get_visible_or_404(Department, actor, dept_id) if dept_id else None
    return role, department


@transaction.atomic
def user_create(*, actor: Actor, data: dict) -> User:
    """A colleague in the actor's tenant; logins unique platform-wide, plan limits enforced."""
    _require_admin(actor)
    name = clean_text(data.get("name"))
    if not name:
        raise InvalidInput({"name": _("姓名不能为空")})
    email, mobile = _clean_login(data)
    role, department = _clean_role_department(actor, data)
    check_password_strength(data.get("password") or "")
    tenant = actor.tenant
    check_plan_limits(tenant=tenant, adding_user=True, adding_boss=role == Role.BOSS)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, mobile=mobile, password=data["password"], name=name[:50], tenant=tenant, role=role,
                department=department, is_admin=bool(data.get("is_admin")),
            )
    except IntegrityError:
        raise InvalidInput({"email": _("该邮箱或手机号已被使用")})
    audit_record(actor=actor, action="user.create", target=user,
                 changes={"role": role, "email": email, "mobile": mobile, "is_admin": user.is_admin})
    return user


@transaction.atomic
def user_update(*, actor: Actor, user_id: int, data: dict) -> User:
    """Edits a colleague; giving the boss role checks the boss seats."""
    _require_admin(actor)
    user = get_visible_or_404(User, actor, user_id)
    before = {"name": user.name, "email": user.email, "mobile": user.mobile, "role": user.role,
              "department": user.department_id, "is_admin": user.is_admin}
    if "name" in data:
        name = clean_text(data.get("name"))
        if not name:
            raise InvalidInput({"name": _("姓名不能为空")})
        user.name = name[:50]
    if "email" in data or "mobile" in data:
        user.email, user.mobile = _clean_login(
            {"email": data.get("email", user.email), "mobile": data.get("mobile", user.mobile)}, user=user
        )
    if "role" in data or "department_id" in data:
        role, department = _clean_role_department(
            actor, {"role": data.get("role", user.role), "department_id": data.get("department_id", user.department_id)}
        )
        if role == Role.BOSS and user.role != Role.BOSS and user.is_active:
            check_plan_limits(tenant=user.tenant, adding_boss=True)
        user.role, user.department = role, department
    if "is_admin" in data:
        if user.pk == actor.user_id and not data["is_admin"]:
            raise Conflict(_("不能取消自己的管理员权限"))
        user.is_admin = bool(data["is_admin"])
    user.save()
    after = {"name": user.name, "email": user.email, "mobile": user.mobile, "role": user.role,
             "department": user.department_id, "is_admin": user.is_admin}
    audit_record(actor=actor, action="user.update", target=user,
                 changes={k: [before[k], v] for k, v in after.items() if before[k] != v})
    return user


@transaction.atomic
def user_deactivate(*, actor: Actor, user_id: int) -> User:
    """离职: the user can no longer log in; their records stay and show `姓名(已离职)`."""
    _require_admin(actor)
    user = get_visible_or_404(User, actor, user_id)
    if user.pk == actor.user_id:
        raise Conflict(_("不能停用自己"))
    if user.is_active:
        user.is_active, user.left_at = False, timezone.now()
        user.save(update_fields=["is_active", "left_at"])
        user.api_tokens.all().delete()
        audit_record(actor=actor, action="user.deactivate", target=user)
    return user


@transaction.atomic
def user_activate(*, actor: Actor, user_id: int) -> User:
    """Brings a user back, within the plan's seats."""
    _require_admin(actor)
    user = get_visible_or_404(User, actor, user_id)
    if not user.is_active:
        check_plan_limits(tenant=user.tenant, adding_user=True, adding_boss=user.role == Role.BOSS)
        user.is_active, user.left_at = True, None
        user.save(update_fields=["is_active", "left_at"])
        audit_record(actor=actor, action="user.activate", target=user)
    return user


def user_owned_counts(*, tenant, user_id: int) -> dict[str, int]:
    return {e.key: e.value.count(tenant, user_id) for e in owned_records.items()}


@transaction.atomic
def user_delete(*, actor: Actor, user_id: int) -> None:
    """Refused while the user owns records: transfer them first, or deactivate instead."""
    _require_admin(actor)
    user = get_visible_or_404(User, actor, user_id)
    if user.pk == actor.user_id:
        raise Conflict(_("不能删除自己"))
    counts = {k: v for k, v in user_owned_counts(tenant=actor.tenant, user_id=user.pk).items() if v}
    if counts:
        labels = "、".join(f"{owned_records.get(k).label} {n} 条" for k, n in counts.items())
        raise Conflict(_("%(name)s 名下还有数据（%(labels)s），不能删除；请先转移，或改为离职") %
                       {"name": user.name, "labels": labels})
    audit_record(actor=actor, action="user.delete", target=user, changes={"email": user.email, "mobile": user.mobile})
    user.delete()


@transaction.atomic
def user_transfer_records(*, actor: Actor, from_user_id: int, to_user_id: int) -> dict[str, int]:
    """Hands every record a (usually departed) user owns to a colleague; managers and admins may."""
    if not (actor.is_admin or actor.system or actor.role in MANAGING_ROLES):
        raise Forbidden(_("只有经理、总监、老板或管理员可以批量转移"))
    require_writable(actor)
    require_not_demo(actor)
    source = get_visible_or_404(User, actor, from_user_id)
    target = get_visible_or_404(User, actor, to_user_id)
    if not target.is_active:
        raise InvalidInput({"to_user_id": _("不能转移给已离职的用户")})
    if source.pk == target.pk:
        raise InvalidInput({"to_user_id": _("转出人和接收人不能相同")})
    moved = {e.key: e.value.transfer(actor=actor, from_user=source, to_user=target) for e in owned_records.items()}
    audit_record(actor=actor, action="user.transfer_records", target=source,
                 changes={"to": target.name, "moved": moved})
    return moved


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """The user's own password; the old one must be right and the new one strong. Never for demo users:
    the shared demo logins keep the published password."""
    if user.tenant_id and user.tenant.kind == TenantKind.DEMO:
        raise Conflict(_("演示帐户不能修改密码"), code="demo_readonly")
    if not user.check_password(old_password or ""):
        raise InvalidInput({"old_password": _("原密码不正确")})
    check_password_strength(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if user.tenant_id:
        audit_record(actor=Actor.for_user(user), action="user.password_change", target=user)


def token_create(*, user: User, name: str = "API") -> tuple[ApiToken, str]:
    """A new bearer token; the key is shown once and only its hash is kept."""
    key = "zl_" + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(user=user, name=clean_text(name)[:60] or "API", key_hash=ApiToken.hash(key),
                                    prefix=key[:8])
    if user.tenant_id:
        audit_record(actor=Actor.for_user(user), action="token.create", target=user, changes={"name": token.name})
    return token, key


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> None:
    """Only one's own tokens; anyone else's id is the same 404 as a missing one."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("令牌不存在"))
    token.delete()
    if user.tenant_id:
        audit_record(actor=Actor.for_user(user), action="token.revoke", target=user,
                     changes={"name": token.name, "prefix": token.prefix})


def user_language_set(*, user: User, language: str) -> None:
    """The user's interface language, kept on the user so it follows them to every device."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise InvalidInput({"language": _("不支持的语言")})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
