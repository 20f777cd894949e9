"""Who is acting: the user, their tenant, role, department and the matrix grants, loaded once."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from zhuli.tenancy.models import Tenant

from .modules import ALL_ACTIONS, MODULES, READ_ONLY_ACTIONS, Grant
from .roles import RANK, Scope


@dataclass(eq=False)
class Actor:
    tenant: Tenant
    user: object | None = None  # accounts.User; None for system jobs
    role: str = ""
    is_admin: bool = False
    department_id: int | None = None
    system: bool = False
    _owner_ids: dict = field(default_factory=dict, repr=False)
    # Per-actor memo for other apps' scope inputs (e.g. the pools a user belongs to); an Actor lives one request.
    memo: dict = field(default_factory=dict, repr=False)

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(
            tenant=user.tenant,
            user=user,
            role=user.role,
            is_admin=user.is_admin,
            department_id=user.department_id,
        )

    @classmethod
    def system_for(cls, tenant: Tenant) -> Actor:
        """Background jobs and the demo seeder: every scope, every action."""
        return cls(tenant=tenant, system=True, is_admin=True)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    @cached_property
    def grants(self) -> dict[str, Grant]:
        from zhuli.tenancy.unscoped import for_tenant

        from .models import RolePermission

        rows = {r.module: Grant(r.scope, r.actions()) for r in for_tenant(RolePermission, self.tenant).filter(role=self.role)}
        out = {}
        for code, module in MODULES.items():
            grant = rows.get(code) or module.default_for(self.role)
            if grant is not None:
                out[code] = grant
        return out

    def grant(self, module: str) -> Grant | None:
        if self.system:
            return Grant(Scope.ALL, ALL_ACTIONS)
        return self.grants.get(module)

    def can(self, module: str, action: str = "view") -> bool:
        grant = self.grant(module)
        if grant is None or action not in grant.actions:
            return False
        # An expired company keeps reading and exporting; every button that writes disappears with this.
        return action in READ_ONLY_ACTIONS or not self.tenant.read_only

    @cached_property
    def department_path(self) -> str | None:
        if self.department_id is None:
            return None
        # Both doors (the session's user and the API token's) load the user with the department: no query.
        user = self.user
        if user is not None and user._meta.get_field("department").is_cached(user):
            department = user.department
            if department is not None and department.pk == self.department_id:
                return department.path
        from zhuli.accounts.models import Department
        from zhuli.tenancy.unscoped import for_tenant

        return for_tenant(Department, self.tenant).filter(pk=self.department_id).values_list("path", flat=True).first()

    def owner_ids(self, scope: str) -> frozenset[int] | None:
        """The owners whose records this actor sees under `scope`; None means everyone."""
        if self.system or scope == Scope.ALL:
            return None
        if scope not in self._owner_ids:
            self._owner_ids[scope] = frozenset(self._compute_owner_ids(scope))
        return self._owner_ids[scope]

    def _compute_owner_ids(self, scope: str) -> set[int]:
        from zhuli.accounts.models import User

        own = {self.user_id} if self.user_id else set()
        if scope == Scope.OWN or self.department_id is None:
            return own
        users = User.objects.filter(tenant=self.tenant)
        if scope == Scope.DEPARTMENT:
            return own | set(users.filter(department_id=self.department_id).values_list("id", flat=True))
        path = self.department_path
        if not path:  # an empty path would match every department of the tenant
            return own
        in_tree = users.filter(department__path__startswith=path)
        if scope == Scope.DEPARTMENT_TREE:
            return own | set(in_tree.values_list("id", flat=True))
        # own_and_subordinates: everyone below my department, and lower ranks inside it.
        my_rank = RANK.get(self.role, 1)
        ids = set(own)
        for uid, dept_id, role in in_tree.values_list("id", "department_id", "role"):
            if dept_id != self.department_id or RANK.get(role, 1) < my_rank:
                ids.add(uid)
        return ids
