"""Creating a tenant with everything a new company needs on day one."""
from __future__ import annotations

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.roles import Role
from zhuli.audit.services import audit_record
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.core.registry import tenant_setup
from zhuli.core.text import clean_text
from zhuli.preferences.services import dictionaries_install_defaults
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant, TenantKind

from .models import Department, User
from .services import _clean_login, check_password_strength, check_plan_limits

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


@transaction.atomic
def tenant_create(*, code: str, name: str, admin_login: str, password: str, admin_name: str = "",
                  kind: str = TenantKind.TRIAL, max_users: int = 10, max_bosses: int = 2,
                  trial_days: int = 15, check_password: bool = True) -> tuple[Tenant, User]:
    """An empty tenant with default dictionaries, a root department and one boss who is company admin."""
    code = (code or "").strip().lower()
    name = clean_text(name)
    errors = {}
    if not CODE_RE.match(code):
        errors["code"] = _("代码只能包含小写字母、数字和短横线，2–40 个字符")
    if not name or len(name) > 100:
        errors["name"] = _("公司名称不能为空，最多 100 个字符")
    if kind not in TenantKind.values:
        errors["kind"] = _("未知的帐户类型")
    # The first user is a boss: the plan must seat at least one user and one boss, and no more bosses than users.
    if not isinstance(max_users, int) or max_users < 1:
        errors["max_users"] = _("用户数上限至少为 1")
    if not isinstance(max_bosses, int) or max_bosses < 1:
        errors["max_bosses"] = _("老板席位上限至少为 1")
    elif isinstance(max_users, int) and max_bosses > max_users:
        errors["max_bosses"] = _("老板席位上限不能超过用户数上限（%(n)s 人）") % {"n": max_users}
    if errors:
        raise InvalidInput(errors)
    if Tenant.objects.filter(code=code).exists():
        raise Conflict(_("代码 %(code)s 已被使用") % {"code": code}, field="code")
    login = {"email": admin_login} if "@" in admin_login else {"mobile": admin_login}
    email, mobile = _clean_login(login)
    if check_password:
        check_password_strength(password)
    tenant = Tenant.objects.create(
        code=code, name=name, kind=kind, max_users=max_users, max_bosses=max_bosses,
        trial_ends_on=(timezone.localdate() + datetime.timedelta(days=trial_days)) if kind == TenantKind.TRIAL else None,
    )
    with tenant_context(tenant):
        dictionaries_install_defaults(tenant=tenant)
        root = Department.objects.create(name=name[:60])
        root.path, root.depth = f"/{root.pk}/", 0
        root.save(update_fields=["path", "depth"])
        check_plan_limits(tenant=tenant, adding_user=True, adding_boss=True)
        boss = User.objects.create_user(
            email=email, mobile=mobile, password=password, name=clean_text(admin_name) or _("管理员"),
            tenant=tenant, role=Role.BOSS, department=root, is_admin=True,
        )
        actor = Actor.for_user(boss)
        for step in tenant_setup.values():
            step(tenant=tenant, actor=actor)
        audit_record(actor=actor, action="tenant.create", target=tenant, changes={"code": code, "kind": kind})
    return tenant, boss
