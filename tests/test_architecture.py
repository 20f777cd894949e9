"""STYLE 1, 2, 5 and 7 as tests: tenant data is read through the scoped door and written by
services, the unscoped manager stays in tenancy/, no business logic in save() or signals.
The source is parsed (ast), so strings and comments never trip it."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.apps import apps

from zhuli.accounts.models import User
from zhuli.tenancy.models import TenantModel

ROOT = Path(__file__).resolve().parent.parent
MANAGER_ATTRS = {"objects", "_default_manager", "_base_manager", "all_tenants"}

# Where `<TenantModel>.objects` may appear. Everything else reads through selectors (visible()).
QUERY_MODULE_NAMES = {
    "selectors.py",  # reads, each starting from visible()
    "services.py",  # writes, after their permission and scope checks
    "duplicates.py",  # 查重 searches the whole tenant on purpose (DESIGN §5), naming only what is visible
    "sequences.py",  # core's locked per-tenant numbering (a service in all but name)
    "numbering.py",  # deals' document numbers: the tenant's pattern, then core's locked sequence
    "demo.py",  # demo seeders bulk-write simulated data
    "provisioning.py",  # creating a tenant: there is no actor before its first user exists
    "orgchart.py",  # builds the demo organisation inside a fresh tenant
    "rollup.py",  # billing's receivables rollups: derived rows, recounted inside billing's services
}
QUERY_PATH_PARTS = {"migrations", "tests", "commands"}  # data migrations, tests, management commands
QUERY_PACKAGES = ("zhuli/access/", "zhuli/tenancy/")  # the scoped door itself and the tenant base
UNSCOPED_PACKAGES = ("zhuli/tenancy/",)  # the only home of the cross-tenant manager
SIGNALS = {
    "pre_init", "post_init", "pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed",
    "pre_migrate", "post_migrate", "class_prepared", "request_started", "request_finished",
    "got_request_exception", "setting_changed", "connection_created", "user_logged_in", "user_logged_out",
    "user_login_failed",
}
SIGNAL_MODULES = ("django.dispatch", "django.db.models.signals", "django.core.signals", "django.contrib.auth.signals",
                  "django.db.backends.signals", "django.test.signals")


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def source_files(*, with_tests: bool = False) -> list[Path]:
    files = []
    for base in ("zhuli", "config"):
        for path in (ROOT / base).rglob("*.py"):
            rel = path.relative_to(ROOT).parts
            if "static" in rel or "migrations" in rel:
                continue
            if "tests" in rel and not with_tests:
                continue
            files.append(path)
    return sorted(files)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def tenant_model_names() -> frozenset[str]:
    return frozenset(m.__name__ for m in apps.get_models() if issubclass(m, TenantModel))


def imported_names(tree: ast.Module) -> dict[str, str]:
    """Local alias → imported name, so `from .models import Customer as C` still counts."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return names


def class_name(node: ast.expr, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):  # models.Customer.objects
        return node.attr
    return None


def manager_uses(path: Path, models: frozenset[str], tree: ast.Module | None = None) -> list[Hit]:
    """`<Model>.objects` where Model is one of `models`; any `._default_manager` / `.all_tenants`."""
    tree = tree or parsed(path)
    aliases = imported_names(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGER_ATTRS:
            name = class_name(node.value, aliases)
            if name in models or node.attr in ("_default_manager", "_base_manager", "all_tenants"):
                hits.append(Hit(rel(path), node.lineno, f"{name}.{node.attr}"))
        # for_tenant() is a manager too: one named tenant, past the active-tenant check.
        if isinstance(node, ast.Call) and class_name(node.func, aliases) == "for_tenant":
            hits.append(Hit(rel(path), node.lineno, "for_tenant()"))
    return hits


def may_query(path: Path) -> bool:
    r = rel(path)
    return (path.name in QUERY_MODULE_NAMES or bool(QUERY_PATH_PARTS & set(path.parts))
            or r.startswith(QUERY_PACKAGES))


def is_interface(path: Path) -> bool:
    """Views, API endpoints, forms and URL confs: they call selectors and services only."""
    r = rel(path)
    return (path.name in ("views.py", "api.py", "forms.py", "urls.py") or "/views/" in r or "/api/" in r
            or r.startswith("zhuli/api/") or r.startswith("zhuli/web/"))


def test_the_scanner_sees_what_it_must():
    services = ROOT / "zhuli/customers/services.py"
    assert any(h.what == "Customer.objects" for h in manager_uses(services, tenant_model_names()))
    assert "Customer" in tenant_model_names() and "User" not in tenant_model_names()
    assert not may_query(ROOT / "zhuli/customers/views.py") and is_interface(ROOT / "zhuli/customers/views.py")
    assert may_query(services) and not is_interface(services)


def test_tenant_managers_only_in_selectors_services_and_the_allow_list():
    hits = [h for p in source_files() if not may_query(p) for h in manager_uses(p, tenant_model_names())]
    assert not hits, "read through selectors (visible()) and write through services:\n" + "\n".join(map(str, hits))


def test_the_unscoped_manager_stays_in_tenancy():
    hits = []
    for path in source_files(with_tests=False):
        if rel(path).startswith(UNSCOPED_PACKAGES):
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Attribute) and node.attr == "all_tenants":
                hits.append(Hit(rel(path), node.lineno, ".all_tenants"))
            if isinstance(node, ast.ImportFrom) and any(a.name == "all_tenants" for a in node.names):
                hits.append(Hit(rel(path), node.lineno, "import all_tenants"))
    assert not hits, "cross-tenant reads belong in zhuli/tenancy (use for_tenant for one named tenant):\n" + \
        "\n".join(map(str, hits))


def test_interfaces_never_query_models_directly():
    """No view, endpoint or form reads tenant rows or colleagues itself, nor builds rows to save
    (API tokens are global and looked up by the auth layer before any tenant is known)."""
    checked = tenant_model_names() | {User.__name__}
    hits = []
    for path in source_files():
        if not is_interface(path):
            continue
        tree = parsed(path)
        aliases = imported_names(tree)
        hits += manager_uses(path, checked)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(a.name in ("for_tenant", "all_tenants") for a in node.names):
                hits.append(Hit(rel(path), node.lineno, "import of the tenancy escape hatch"))
            if isinstance(node, ast.Call) and class_name(node.func, aliases) in checked and isinstance(
                    node.func, ast.Name):
                hits.append(Hit(rel(path), node.lineno, f"{node.func.id}(...) built in an interface"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "save", "delete", "update", "bulk_create", "bulk_update") and isinstance(node.func.value, ast.Name) \
                    and class_name(node.func.value, aliases) in checked:
                hits.append(Hit(rel(path), node.lineno, f"{node.func.value.id}.{node.func.attr}()"))
    assert not hits, "views/API/forms call selectors and services (STYLE 5):\n" + "\n".join(map(str, hits))


def test_no_save_override_except_tenant_model():
    bad = []
    for model in apps.get_models():
        for klass in model.__mro__:
            if klass is TenantModel or not klass.__module__.startswith("zhuli."):
                continue
            for method in ("save", "delete"):
                if method in klass.__dict__:
                    bad.append(f"{klass.__module__}.{klass.__name__}.{method}")
    assert not bad, f"business rules belong in services, not model methods (DESIGN §4 rule 3): {sorted(set(bad))}"


def test_no_signal_receivers():
    hits = []
    for path in source_files():
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(SIGNAL_MODULES):
                hits.append(Hit(rel(path), node.lineno, f"from {node.module} import ..."))
            if isinstance(node, ast.Import) and any(a.name.startswith(SIGNAL_MODULES) for a in node.names):
                hits.append(Hit(rel(path), node.lineno, "import of django signals"))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                    if name == "receiver":
                        hits.append(Hit(rel(path), node.lineno, "@receiver"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect":
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if name in SIGNALS:
                    hits.append(Hit(rel(path), node.lineno, f"{name}.connect()"))
    assert not hits, "call other domains' services explicitly; no signals (STYLE 7):\n" + "\n".join(map(str, hits))


@pytest.mark.parametrize("snippet, expected", [
    ("from zhuli.customers.models import Customer as C\nC.objects.all()", ["Customer.objects"]),
    ("from . import models\nmodels.Contact.objects.all()", ["Contact.objects"]),
    ("from zhuli.accounts.models import User\nUser.objects.all()", []),
    ("def f(model):\n    return model._default_manager.all()", ["model._default_manager"]),
    ("x = 'Customer.objects'", []),
    ("from zhuli.tenancy.unscoped import for_tenant as ft\nft(Customer, t)", ["for_tenant()"]),
])
def test_manager_scanner_cases(snippet, expected):
    probe = ROOT / "zhuli" / "probe.py"
    assert [h.what for h in manager_uses(probe, tenant_model_names(), ast.parse(snippet))] == expected
