"""Editing the permission matrix (settings → 权限): company admins only, every change audited."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from zhuli.audit.services import audit_record
from zhuli.core.errors import Forbidden, InvalidInput

from .models import RolePermission
from .modules import ALL_ACTIONS, MODULES, Grant
from .roles import Action, Role, Scope
from .scoping import require_not_demo, require_writable

ACTION_ORDER = [a.value for a in Action]


@dataclass(frozen=True)
class MatrixCell:
    module: str
    label: str
    scope: str
    actions: frozenset[str]
    customised: bool  # a stored row overrides the module's default
    default: Grant | None


def _require_admin(actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以修改权限"))


def _require_admin_writing(actor) -> None:
    _require_admin(actor)
    require_writable(actor)
    require_not_demo(actor)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput({"role": _("未知的角色")})


def permission_matrix(*, actor, role: str) -> list[MatrixCell]:
    """One role's row of the matrix as the editor shows it: stored rows, else the module defaults.
    (Kept beside the writes: the rows are only ever read here and by Actor.grants.)"""
    _require_admin(actor)
    _check_role(role)
    rows = {r.module: r for r in RolePermission.objects.filter(role=role)}
    cells = []
    for module in sorted(MODULES.values(), key=lambda m: (m.order, m.code)):
        default = module.default_for(role)
        row = rows.get(module.code)
        if row is not None:
            scope, actions = row.scope, row.actions()
        elif default is not None:
            scope, actions = default.scope, default.actions
        else:
            scope, actions = Scope.OWN.value, frozenset()
        cells.append(MatrixCell(module.code, str(module.label), scope, frozenset(actions), row is not None, default))
    return cells


def _clean(role: str, module: str, scope: str, actions) -> frozenset[str]:
    _check_role(role)
    if module not in MODULES:
        raise InvalidInput({"module": _("未知的模块")})
    if scope not in Scope.values:
        raise InvalidInput({f"{module}-scope": _("未知的数据范围")})
    actions = frozenset(str(a) for a in (actions or ()))
    if not actions <= ALL_ACTIONS:
        raise InvalidInput({f"{module}-actions": _("未知的操作")})
    if actions:
        actions |= {Action.VIEW.value}  # any other action needs the records to be visible
    return actions


@transaction.atomic
def permission_set(*, actor, role: str, module: str, scope: str, actions) -> RolePermission:
    """Stores one role × module cell (scope + actions); nothing ticked means no access to the module."""
    _require_admin_writing(actor)
    actions = _clean(role, module, scope, actions)
    row = RolePermission.objects.select_for_update().filter(role=role, module=module).first()
    default = MODULES[module].default_for(role)
    if row is not None:
        before = {"scope": row.scope, "actions": sorted(row.actions())}
    elif default is not None:
        before = {"scope": default.scope, "actions": sorted(default.actions)}
    else:
        before = {"scope": None, "actions": []}
    row = row or RolePermission(role=role, module=module)
    row.scope = scope
    for action in ACTION_ORDER:
        setattr(row, f"can_{action}", action in actions)
    row.save()
    after = {"scope": scope, "actions": sorted(actions)}
    if before != after:
        audit_record(actor=actor, action="permission.set", target=row,
                     changes={"role": role, "module": module, **{k: [before[k], after[k]] for k in after}})
    return row


@transaction.atomic
def permission_matrix_save(*, actor, role: str, grants: dict[str, tuple[str, set]]) -> None:
    """Saves a whole role row of the editor at once: every cell or none."""
    _require_admin_writing(actor)
    _check_role(role)
    for module, (scope, actions) in grants.items():
        permission_set(actor=actor, role=role, module=module, scope=scope, actions=actions)


@transaction.atomic
def permission_reset(*, actor, role: str) -> int:
    """恢复默认: drops the role's stored rows so the modules' defaults apply again."""
    _require_admin_writing(actor)
    _check_role(role)
    deleted, _detail = RolePermission.objects.filter(role=role).delete()
    if deleted:
        audit_record(actor=actor, action="permission.reset", changes={"role": role, "rows": deleted})
    return deleted
