"""Permission matrix editing."""
import pytest

from zhuli.access.models import RolePermission
from zhuli.access.services import permission_matrix, permission_matrix_save, permission_reset, permission_set
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput

pytestmark = pytest.mark.django_db


def test_matrix_shows_defaults_until_a_row_is_stored(org):
    cells = {c.module: c for c in permission_matrix(actor=org.actor("admin"), role="sales")}
    assert cells["customers"].scope == "own" and not cells["customers"].customised
    assert cells["customers"].actions == {"view", "create", "edit"}
    keeper = {c.module: c for c in permission_matrix(actor=org.actor("admin"), role="keeper")}
    assert keeper["customers"].actions == frozenset()


def test_permission_set_stores_and_audits(org):
    admin = org.actor("admin")
    row = permission_set(actor=admin, role="sales", module="customers", scope="department_tree",
                         actions=["edit", "export"])
    assert row.actions() == {"view", "edit", "export"}  # any action implies view
    event = AuditEvent.objects.get(action="permission.set")
    assert event.changes["scope"] == ["own", "department_tree"]
    sales = org.actor("sales1")
    assert sales.grant("customers").scope == "department_tree" and sales.can("customers", "export")
    assert not sales.can("customers", "create")


def test_permission_set_validates(org):
    admin = org.actor("admin")
    for kwargs in ({"role": "pope"}, {"module": "nope"}, {"scope": "galaxy"}, {"actions": ["fly"]}):
        args = {"role": "sales", "module": "customers", "scope": "own", "actions": ["view"], **kwargs}
        with pytest.raises(InvalidInput):
            permission_set(actor=admin, **args)
    assert not RolePermission.objects.exists()


def test_only_admins_edit_the_matrix(org):
    for key in ("boss", "manager1", "sales1"):
        with pytest.raises(Forbidden):
            permission_set(actor=org.actor(key), role="sales", module="customers", scope="all", actions=["view"])
        with pytest.raises(Forbidden):
            permission_reset(actor=org.actor(key), role="sales")
    assert not RolePermission.objects.exists()


def test_matrix_save_is_all_or_nothing(org):
    with pytest.raises(InvalidInput):
        permission_matrix_save(actor=org.actor("admin"), role="sales", grants={
            "customers": ("all", {"view"}), "dictionaries": ("bad", {"view"})})
    assert not RolePermission.objects.exists()


def test_reset_brings_back_defaults(org):
    admin = org.actor("admin")
    permission_set(actor=admin, role="sales", module="customers", scope="all", actions=["view"])
    permission_set(actor=admin, role="manager", module="customers", scope="all", actions=["view"])
    assert permission_reset(actor=admin, role="sales") == 1
    assert org.actor("sales1").grant("customers").scope == "own"
    assert RolePermission.objects.filter(role="manager").exists()
    assert AuditEvent.objects.filter(action="permission.reset").exists()


def test_rows_stay_in_their_tenant(org, other_org):
    permission_set(actor=org.actor("admin"), role="sales", module="customers", scope="all", actions=["view"])
    from zhuli.access.actor import Actor

    assert Actor.for_user(other_org["sales1"]).grant("customers").scope == "own"
