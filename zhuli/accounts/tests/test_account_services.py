"""Users and departments: plan limits, platform-wide logins, leaving, deleting, handing over
records and moving departments. Every refusal is checked to have changed nothing."""
from __future__ import annotations

import pytest
from django.utils import timezone

from tests.factories import PASSWORD
from zhuli.access.actor import Actor
from zhuli.accounts.authentication import LoginRefused, login_check
from zhuli.accounts.models import ApiToken, Department, User
from zhuli.accounts.provisioning import tenant_create
from zhuli.accounts.services import (
    department_create,
    department_delete,
    department_update,
    password_change,
    token_create,
    token_revoke,
    user_activate,
    user_create,
    user_deactivate,
    user_delete,
    user_transfer_records,
    user_update,
)
from zhuli.activities.services import followup_create
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.customers.models import Customer, OwnerChange
from zhuli.customers.services import customer_create
from zhuli.tenancy.context import tenant_context

STRONG = "Str0ng-Passw0rd!"


def users_snapshot(tenant):
    return (list(User.objects.filter(tenant=tenant).order_by("pk").values_list("pk", "role", "is_active", "email")),
            AuditEvent.all_tenants.count())


@pytest.fixture
def small(db):
    """A 10-user, 2-boss company with its first boss (the admin) active."""
    tenant, boss = tenant_create(code="small", name="小公司", admin_login="boss@small.test", password=STRONG,
                                 kind="formal", max_users=10, max_bosses=2)
    with tenant_context(tenant):
        yield tenant, Actor.for_user(boss)


def add(actor, n: int, role: str = "sales", prefix: str = "u"):
    return [user_create(actor=actor, data={"name": f"{prefix}{i}", "email": f"{prefix}{i}@small.test",
                                           "password": STRONG, "role": role}) for i in range(n)]


# ---- plan limits ----------------------------------------------------------------------------


def test_no_eleventh_user_on_a_ten_user_plan(small):
    tenant, admin = small
    add(admin, 9)
    before = users_snapshot(tenant)
    with pytest.raises(Conflict) as exc:
        add(admin, 1, prefix="extra")
    assert exc.value.code == "plan_limit" and "10" in exc.value.message
    assert users_snapshot(tenant) == before


def test_a_departed_user_frees_a_seat_and_cannot_come_back_over_the_limit(small):
    tenant, admin = small
    first, *_ = add(admin, 9)
    user_deactivate(actor=admin, user_id=first.pk)
    add(admin, 1, prefix="new")
    before = users_snapshot(tenant)
    with pytest.raises(Conflict):
        user_activate(actor=admin, user_id=first.pk)
    assert users_snapshot(tenant) == before


def test_no_third_boss_on_a_two_boss_plan(small):
    tenant, admin = small
    second_boss, = add(admin, 1, role="boss", prefix="boss")
    before = users_snapshot(tenant)
    with pytest.raises(Conflict) as exc:
        add(admin, 1, role="boss", prefix="third")
    assert exc.value.code == "plan_limit"
    sales, = add(admin, 1)
    before = users_snapshot(tenant)
    with pytest.raises(Conflict):  # by a role change
        user_update(actor=admin, user_id=sales.pk, data={"role": "boss"})
    assert users_snapshot(tenant) == before
    user_deactivate(actor=admin, user_id=second_boss.pk)
    user_update(actor=admin, user_id=sales.pk, data={"role": "boss"})  # the seat is free now
    before = users_snapshot(tenant)
    with pytest.raises(Conflict):  # by bringing the departed boss back
        user_activate(actor=admin, user_id=second_boss.pk)
    assert users_snapshot(tenant) == before


# ---- logins ---------------------------------------------------------------------------------


def test_logins_are_unique_across_tenants(org, other_org):
    with tenant_context(other_org.tenant):
        admin_b = other_org.actor("admin")
        for data, field in [({"email": org["sales1"].email.upper()}, "email"), ({"email": org["boss"].email}, "email")]:
            with pytest.raises(InvalidInput) as exc:
                user_create(actor=admin_b, data={"name": "重名", "password": STRONG, **data})
            assert field in exc.value.errors
    user_update(actor=org.actor("admin"), user_id=org["sales1"].pk, data={"mobile": "139 1234 5678"})
    with tenant_context(other_org.tenant):
        with pytest.raises(InvalidInput) as exc:
            user_create(actor=other_org.actor("admin"), data={"name": "同号", "mobile": "13912345678", "password": STRONG})
        assert "mobile" in exc.value.errors
        with pytest.raises(InvalidInput):
            user_update(actor=other_org.actor("admin"), user_id=other_org["sales1"].pk, data={"email": org["sales2"].email})
    assert User.objects.filter(mobile="13912345678").count() == 1


@pytest.mark.parametrize("data, field", [
    ({"name": "", "email": "a@b.test"}, "name"),
    ({"name": "甲"}, "email"),
    ({"name": "甲", "email": "not-an-email"}, "email"),
    ({"name": "甲", "mobile": "12345"}, "mobile"),
    ({"name": "甲", "email": "a@b.test", "role": "king"}, "role"),
    ({"name": "甲", "email": "a@b.test", "password": "123"}, "password"),
])
def test_user_input_errors_name_the_field(org, data, field):
    before = users_snapshot(org.tenant)
    with pytest.raises(InvalidInput) as exc:
        user_create(actor=org.actor("admin"), data={"password": STRONG, **data})
    assert field in exc.value.errors
    assert users_snapshot(org.tenant) == before


def test_only_company_admins_manage_users_and_departments(org):
    before = users_snapshot(org.tenant)
    boss = org.actor("boss")  # the boss of the demo org is not the admin
    with pytest.raises(Forbidden):
        user_create(actor=boss, data={"name": "甲", "email": "a@b.test", "password": STRONG})
    with pytest.raises(Forbidden):
        user_deactivate(actor=boss, user_id=org["sales1"].pk)
    with pytest.raises(Forbidden):
        department_create(actor=org.actor("manager1"), name="私设部门")
    with pytest.raises(Forbidden):
        user_transfer_records(actor=org.actor("sales1"), from_user_id=org["sales2"].pk, to_user_id=org["sales1"].pk)
    assert users_snapshot(org.tenant) == before


# ---- leaving, deleting, handing over --------------------------------------------------------


def test_deactivation_stops_login_and_tokens_but_keeps_the_user(org):
    sales2 = org["sales2"]
    token_create(user=sales2)
    assert login_check(login=sales2.email, password=PASSWORD).pk == sales2.pk
    user_deactivate(actor=org.actor("admin"), user_id=sales2.pk)
    sales2.refresh_from_db()
    assert not sales2.is_active and sales2.left_at <= timezone.now()
    assert sales2.display_name == "陈晓红(已离职)"
    assert not ApiToken.objects.filter(user=sales2).exists()
    with pytest.raises(LoginRefused):
        login_check(login=sales2.email, password=PASSWORD)
    with pytest.raises(Conflict):
        user_deactivate(actor=org.actor("admin"), user_id=org["admin"].pk)
    user_activate(actor=org.actor("admin"), user_id=sales2.pk)
    sales2.refresh_from_db()
    assert sales2.is_active and sales2.left_at is None


def test_delete_is_refused_while_the_user_owns_customers(org):
    customer_create(actor=org.actor("sales3"), data={"kind": "enterprise", "name": "刘伟的客户"})
    before = users_snapshot(org.tenant)
    with pytest.raises(Conflict) as exc:
        user_delete(actor=org.actor("admin"), user_id=org["sales3"].pk)
    assert "客户 1 条" in exc.value.message
    assert users_snapshot(org.tenant) == before


@pytest.mark.parametrize("who", ["admin", "manager1", "boss"])
def test_transfer_records_moves_customers_with_owner_change_rows(org, who):
    sales = org.actor("sales3")
    ids = [customer_create(actor=sales, data={"kind": "enterprise", "name": f"交接客户{i}"}).customer.pk for i in range(3)]
    followup = followup_create(actor=sales, customer_id=ids[0], data={"content": "离职前的拜访"})
    user_deactivate(actor=org.actor("admin"), user_id=org["sales3"].pk)
    moved = user_transfer_records(actor=org.actor(who), from_user_id=org["sales3"].pk, to_user_id=org["sales1"].pk)
    assert moved["customers"] == 3 and moved.get("opportunities", 0) == 0
    assert set(Customer.objects.filter(pk__in=ids).values_list("owner_id", flat=True)) == {org["sales1"].pk}
    changes = OwnerChange.objects.filter(customer_id__in=ids)
    assert changes.count() == 3
    assert {(c.from_owner_id, c.to_owner_id, c.changed_by_id, c.reason) for c in changes} == {
        (org["sales3"].pk, org["sales1"].pk, org[who].pk, "离职交接")}
    user_delete(actor=org.actor("admin"), user_id=org["sales3"].pk)
    assert not User.objects.filter(pk=org["sales3"].pk).exists()
    followup.refresh_from_db()
    assert followup.owner_id is None and followup.content == "离职前的拜访"  # history stays


def test_transfer_records_refusals(org):
    customer_create(actor=org.actor("sales3"), data={"kind": "enterprise", "name": "交接客户"})
    user_deactivate(actor=org.actor("admin"), user_id=org["sales2"].pk)
    admin = org.actor("admin")
    with pytest.raises(InvalidInput):
        user_transfer_records(actor=admin, from_user_id=org["sales3"].pk, to_user_id=org["sales2"].pk)
    with pytest.raises(InvalidInput):
        user_transfer_records(actor=admin, from_user_id=org["sales3"].pk, to_user_id=org["sales3"].pk)
    with pytest.raises(NotFound):
        user_transfer_records(actor=admin, from_user_id=org["sales3"].pk, to_user_id=123456789)
    assert Customer.objects.get().owner_id == org["sales3"].pk and not OwnerChange.objects.exists()


def test_a_manager_cannot_take_over_another_departments_records(org):
    customer_create(actor=org.actor("sales4"), data={"kind": "enterprise", "name": "二部客户"})
    with pytest.raises((InvalidInput, NotFound, Forbidden)):
        user_transfer_records(actor=org.actor("manager1"), from_user_id=org["sales4"].pk, to_user_id=org["sales1"].pk)
    assert Customer.objects.get().owner_id == org["sales4"].pk and not OwnerChange.objects.exists()


# ---- departments ----------------------------------------------------------------------------


def test_moving_a_department_rewrites_its_subtree_and_refuses_cycles(org):
    admin = org.actor("admin")
    company, center = org.department(org.tenant.name), org.department("销售中心")
    north = department_create(actor=admin, name="华北区", parent_id=center.pk)
    beijing = department_create(actor=admin, name="北京组", parent_id=north.pk)
    assert (north.path, north.depth) == (f"{center.path}{north.pk}/", 2)
    assert (beijing.path, beijing.depth) == (f"{north.path}{beijing.pk}/", 3)
    department_update(actor=admin, department_id=north.pk, parent_id=company.pk)
    north.refresh_from_db()
    beijing.refresh_from_db()
    assert (north.path, north.depth) == (f"{company.path}{north.pk}/", 1)
    assert (beijing.path, beijing.depth) == (f"{company.path}{north.pk}/{beijing.pk}/", 2)
    # A department goes under neither itself nor its own subtree.
    for parent in (north, beijing):
        with pytest.raises(InvalidInput) as exc:
            department_update(actor=admin, department_id=north.pk, parent_id=parent.pk)
        assert "parent" in exc.value.errors
    north.refresh_from_db()
    assert north.parent_id == company.pk
    department_update(actor=admin, department_id=north.pk, parent_id=None)  # a root of its own
    beijing.refresh_from_db()
    assert beijing.path == f"/{north.pk}/{beijing.pk}/" and beijing.depth == 1


def test_moving_a_department_moves_its_managers_view(org):
    admin = org.actor("admin")
    team1, team2 = org.department("销售一部"), org.department("销售二部")
    customer_create(actor=org.actor("sales4"), data={"kind": "enterprise", "name": "二部客户"})
    department_update(actor=admin, department_id=team2.pk, parent_id=team1.pk)
    from zhuli.customers.selectors import customer_list

    assert [c.name for c in customer_list(actor=org.fresh_actor("manager1"))] == ["二部客户"]


def test_department_delete_only_when_empty(org):
    admin = org.actor("admin")
    with pytest.raises(Conflict):
        department_delete(actor=admin, department_id=org.department("销售中心").pk)  # has sub-departments
    with pytest.raises(Conflict):
        department_delete(actor=admin, department_id=org.department("销售一部").pk)  # has members
    empty = department_create(actor=admin, name="空部门")
    department_delete(actor=admin, department_id=empty.pk)
    assert not Department.objects.filter(pk=empty.pk).exists()
    with pytest.raises(InvalidInput):
        department_create(actor=admin, name="  ")


# ---- passwords and tokens -------------------------------------------------------------------


def test_password_change(org):
    user = org["sales1"]
    with pytest.raises(InvalidInput) as exc:
        password_change(user=user, old_password="wrong", new_password=STRONG)
    assert "old_password" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        password_change(user=user, old_password=PASSWORD, new_password="12345678")
    assert "new_password" in exc.value.errors
    password_change(user=user, old_password=PASSWORD, new_password=STRONG)
    assert login_check(login=user.email, password=STRONG).pk == user.pk


def test_tokens_store_only_a_hash(org):
    token, key = token_create(user=org["sales1"], name="脚本")
    assert key.startswith("zl_") and token.key_hash == ApiToken.hash(key) and key not in token.key_hash
    with pytest.raises(NotFound):  # not theirs: the same answer as a missing one
        token_revoke(user=org["sales2"], token_id=token.pk)
    assert ApiToken.objects.filter(pk=token.pk).exists()
    token_revoke(user=org["sales1"], token_id=token.pk)
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(org):
    """Anyone can type the boss's login wrongly five times; the boss, elsewhere, still gets in."""
    from django.core.cache import cache

    from conftest import PASSWORD
    from zhuli.accounts.authentication import LoginRefused, LoginThrottled, login_check

    cache.clear()
    login = org["boss"].email
    for _attempt in range(5):
        with pytest.raises(LoginRefused):
            login_check(login=login, password="wrong", ip="10.0.0.9")
    with pytest.raises(LoginThrottled):
        login_check(login=login, password=PASSWORD, ip="10.0.0.9")
    assert login_check(login=login, password=PASSWORD, ip="10.0.0.1").pk == org["boss"].pk
