"""The permission matrix's rows: each app registers its modules with DESIGN §1's defaults."""
from __future__ import annotations

from dataclasses import dataclass, field

from .roles import Action, Role, Scope

ALL_ACTIONS = frozenset(a.value for a in Action)
READ = frozenset({Action.VIEW.value})
# What a read-only (expired) company keeps: it may look at and take away its data, nothing more.
READ_ONLY_ACTIONS = frozenset({Action.VIEW.value, Action.EXPORT.value})


@dataclass(frozen=True)
class Grant:
    scope: str
    actions: frozenset[str]


@dataclass(frozen=True)
class Module:
    code: str
    label: str
    defaults: dict[str, Grant] = field(default_factory=dict)
    order: int = 100

    def default_for(self, role: str) -> Grant | None:
        return self.defaults.get(role)


MODULES: dict[str, Module] = {}


def register_module(code: str, label, defaults: dict[str, tuple[str, frozenset[str] | set[str]]], order=100):
    MODULES[code] = Module(
        code, label, {role: Grant(scope, frozenset(actions)) for role, (scope, actions) in defaults.items()}, order
    )
    return MODULES[code]


def sales_defaults(*, sales_actions=frozenset({"view", "create", "edit"}), read_all_roles=()) -> dict:
    """DESIGN §1's default scopes for a sales-facing module."""
    defaults = {
        Role.BOSS: (Scope.ALL, ALL_ACTIONS),
        Role.DIRECTOR: (Scope.DEPARTMENT_TREE, ALL_ACTIONS),
        Role.MANAGER: (Scope.DEPARTMENT_TREE, ALL_ACTIONS),
        Role.SALES: (Scope.OWN, sales_actions),
        Role.ASSISTANT: (Scope.DEPARTMENT_TREE, frozenset({"view", "create", "edit", "export"})),
    }
    for role in read_all_roles:
        defaults[role] = (Scope.ALL, READ)
    return {str(k): (str(s), a) for k, (s, a) in defaults.items()}
