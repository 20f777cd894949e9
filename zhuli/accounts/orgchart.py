"""The demo company's organisation (DESIGN §5), also the shape the scope tests run on."""
from __future__ import annotations

from django.contrib.auth.hashers import make_password

from zhuli.access.roles import Role
from zhuli.tenancy.context import tenant_context

from .models import Department, User

# (login local part, name, role, department key, admin flag)
DEMO_USERS = [
    ("boss", "张总", Role.BOSS, "company", False),
    ("admin", "李管理", Role.ASSISTANT, "company", True),
    ("service", "赵客服", Role.SERVICE, "company", False),
    ("finance", "钱财务", Role.FINANCE, "company", False),
    ("keeper", "孙库管", Role.KEEPER, "company", False),
    ("director", "周总监", Role.DIRECTOR, "center", False),
    ("assistant", "吴助理", Role.ASSISTANT, "center", False),
    ("manager1", "郑经理", Role.MANAGER, "team1", False),
    ("sales1", "王小明", Role.SALES, "team1", False),
    ("sales2", "陈晓红", Role.SALES, "team1", False),
    ("sales3", "刘伟", Role.SALES, "team1", False),
    ("manager2", "冯经理", Role.MANAGER, "team2", False),
    ("sales4", "杨静", Role.SALES, "team2", False),
    ("sales5", "黄磊", Role.SALES, "team2", False),
    ("sales6", "林芳", Role.SALES, "team2", False),
]


def _dept(name: str, parent: Department | None) -> Department:
    dept = Department.objects.create(name=name, parent=parent)
    dept.path = f"{parent.path if parent else '/'}{dept.pk}/"
    dept.depth = dept.path.count("/") - 2
    dept.save(update_fields=["path", "depth"])
    return dept


def build_demo_org(tenant, *, domain: str, password: str, root: Department | None = None,
                   mobile_prefix: str | None = None, existing: dict[str, User] | None = None) -> dict[str, User]:
    """公司 → 销售中心 → 销售一部 / 销售二部 with the users of DESIGN §5; returns users by login part.
    Users in `existing` (by login part) are put back in place rather than created, keeping their ids."""
    with tenant_context(tenant):
        company = root or _dept(tenant.name[:60], None)
        center = _dept("销售中心", company)
        depts = {"company": company, "center": center, "team1": _dept("销售一部", center),
                 "team2": _dept("销售二部", center)}
        fresh, kept = [], []
        hashed = make_password(password)  # one hash for all: they share the password, argon2 is slow by design
        for i, (key, name, role, dept, admin) in enumerate(DEMO_USERS):
            user = (existing or {}).get(key) or User(tenant=tenant, email=f"{key}@{domain}")
            user.name, user.role, user.department, user.is_admin = name, role, depts[dept], admin
            user.mobile = f"{mobile_prefix}{i:02d}" if mobile_prefix else None
            user.is_active, user.left_at, user.language = True, None, ""
            # An unchanged hash keeps the user's sessions valid (they are bound to it).
            if user.pk is None or not user.check_password(password):
                user.password = hashed
            (kept if user.pk else fresh).append(user)
        User.objects.bulk_create(fresh)
        User.objects.bulk_update(kept, ["name", "role", "department", "is_admin", "mobile", "is_active", "left_at",
                                        "language", "password"])
        return {u.email.split("@")[0]: u for u in User.objects.filter(tenant=tenant)}
