"""Plan limits on every path a user is created, brought back or made a boss (issue 5 part 6): the web UI, the
users API, the create_tenant command, the console's limit changes; messages name the limit and the count.
Users are not imported (the importer handles customers, contacts and products), so there is no import path.
Concurrent creates are pinned in test_plan_limit_race.py (PostgreSQL)."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import PASSWORD
from zhuli.access.actor import Actor
from zhuli.accounts.models import User
from zhuli.accounts.provisioning import tenant_create
from zhuli.accounts.services import check_plan_limits, user_create, user_deactivate
from zhuli.api.testing import ApiClient
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant

USERS_FULL = "已达到用户数上限 4 人（当前 4 人），请先停用其他用户或联系我们增加席位"
BOSSES_FULL = "已达到老板席位上限 2 个（当前 2 个）"


@pytest.fixture
def full(db):
    """A 4-user, 2-boss company: the admin boss, a second boss, two salespeople, and one who left."""
    tenant, boss = tenant_create(code="full", name="满员公司", admin_login="boss@full.test", password=PASSWORD,
                                 kind="formal", max_users=4, max_bosses=2)
    with tenant_context(tenant):
        admin = Actor.for_user(boss)
        users = {"boss": boss}
        for key, role in (("boss2", "boss"), ("sales1", "sales"), ("left", "sales"), ("sales2", "sales")):
            users[key] = user_create(actor=admin, data={"name": key, "email": f"{key}@full.test", "role": role,
                                                        "password": PASSWORD})
            if key == "left":
                user_deactivate(actor=admin, user_id=users[key].pk)
        yield tenant, users


def snapshot(tenant):
    return list(User.objects.filter(tenant=tenant).order_by("pk").values_list("pk", "role", "is_active"))


def test_the_fixture_is_full(full):
    tenant, users = full
    assert User.objects.filter(tenant=tenant, is_active=True).count() == 4
    assert User.objects.filter(tenant=tenant, is_active=True, role="boss").count() == 2
    with pytest.raises(Conflict) as info:
        check_plan_limits(tenant=tenant, adding_user=True)
    assert (info.value.message, info.value.code) == (USERS_FULL, "plan_limit")
    with pytest.raises(Conflict) as info:
        check_plan_limits(tenant=tenant, adding_boss=True)
    assert (info.value.message, info.value.field) == (BOSSES_FULL, "role")


# ---- web -----------------------------------------------------------------------------------------------


def test_web_create_and_activate_are_refused_at_the_limit(full):
    tenant, users = full
    client = Client()
    client.force_login(users["boss"])
    before = snapshot(tenant)
    created = client.post("/account/users/new/", {"name": "第五人", "email": "five@full.test", "role": "sales",
                                                  "password": PASSWORD})
    assert created.status_code == 200 and USERS_FULL in created.content.decode()
    activated = client.post(f"/account/users/{users['left'].pk}/activate/", follow=True,
                            HTTP_REFERER="http://testserver/account/users/")
    assert USERS_FULL in activated.content.decode()
    assert snapshot(tenant) == before


def test_web_refuses_a_third_boss_on_the_role_field(full):
    tenant, users = full
    client = Client()
    client.force_login(users["boss"])
    user_deactivate(actor=Actor.for_user(users["boss"]), user_id=users["sales1"].pk)  # a user seat is free
    before = snapshot(tenant)
    response = client.post("/account/users/new/", {"name": "三老板", "email": "boss3@full.test", "role": "boss",
                                                   "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [BOSSES_FULL]
    edited = client.post(f"/account/users/{users['sales2'].pk}/edit/", {"name": "sales2", "email": "sales2@full.test",
                                                                        "role": "boss"})
    assert edited.context["form"].errors["role"] == [BOSSES_FULL]
    assert snapshot(tenant) == before


# ---- API -------------------------------------------------------------------------------------------------


def test_api_creates_users_within_the_limit(full):
    tenant, users = full
    api = ApiClient(users["boss"])
    user_deactivate(actor=Actor.for_user(users["boss"]), user_id=users["sales1"].pk)
    response = api.post("/users", {"name": "接口新人", "mobile": "13900001234", "password": PASSWORD, "role": "sales"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["mobile"], body["role"], body["is_active"]) == ("接口新人", "13900001234", "sales", True)
    assert api.get(f"/users/{body['id']}").json() == body
    refused = api.post("/users", {"name": "第五人", "email": "five@full.test", "password": PASSWORD})
    assert refused.status_code == 409
    assert refused.json() == {"detail": USERS_FULL, "code": "plan_limit"}


def test_api_refuses_activation_and_a_third_boss(full):
    tenant, users = full
    api = ApiClient(users["boss"])
    before = snapshot(tenant)
    activated = api.post(f"/users/{users['left'].pk}/activate")
    assert activated.status_code == 409 and activated.json()["detail"] == USERS_FULL
    made_boss = api.patch(f"/users/{users['sales1'].pk}", {"role": "boss"})
    assert made_boss.status_code == 409
    assert made_boss.json() == {"detail": BOSSES_FULL, "code": "plan_limit", "errors": {"role": [BOSSES_FULL]}}
    assert snapshot(tenant) == before
    # Someone leaves: the seat is free, the departed user comes back.
    assert api.post(f"/users/{users['sales2'].pk}/deactivate").json()["is_active"] is False
    assert api.post(f"/users/{users['left'].pk}/activate").json()["is_active"] is True


def test_api_user_writes_are_for_admins_and_validate_fields(full, org):
    tenant, users = full
    sales = ApiClient(users["sales1"])
    assert sales.post("/users", {"name": "x", "email": "x@full.test", "password": PASSWORD}).status_code == 403
    assert sales.patch(f"/users/{users['sales1'].pk}", {"role": "boss"}).status_code == 403
    api = ApiClient(users["boss"])
    assert api.patch(f"/users/{org['sales1'].pk}", {"name": "别家"}).status_code == 404  # another tenant's user
    assert api.post(f"/users/{org['sales1'].pk}/activate").status_code == 404
    bad = api.patch(f"/users/{users['sales1'].pk}", {"department_id": org.department("销售一部").pk})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["department_id"]
    weak = api.post("/users", {"name": "弱密码", "email": "weak@full.test", "password": "123"})
    assert weak.status_code == 422 and "password" in weak.json()["errors"]
    blank = api.post("/users", {"email": "noname@full.test", "password": PASSWORD})
    assert blank.status_code == 422 and "name" in blank.json()["errors"]
    assert User.objects.filter(pk=org["sales1"].pk, name="别家").exists() is False


def test_api_user_list_stays_a_handful_of_queries(full, django_assert_max_num_queries):
    tenant, users = full
    api = ApiClient(users["boss"])
    with django_assert_max_num_queries(8):
        assert api.get("/users").json()["count"] == 5


# ---- CLI and provisioning ----------------------------------------------------------------------------------


def test_create_tenant_takes_the_limits_and_refuses_seatless_plans(db):
    out = StringIO()
    call_command("create_tenant", "--code", "seats", "--name", "席位公司", "--admin", "boss@seats.test",
                 "--password", PASSWORD, "--kind", "formal", "--max-users", "5", "--max-bosses", "1", stdout=out)
    tenant = Tenant.objects.get(code="seats")
    assert (tenant.max_users, tenant.max_bosses) == (5, 1)
    for args, field in ((["--max-users", "0"], "max_users"), (["--max-bosses", "0"], "max_bosses"),
                        (["--max-users", "2", "--max-bosses", "3"], "max_bosses")):
        with pytest.raises(CommandError, match=field):
            call_command("create_tenant", "--code", "noseat", "--name", "无席位", "--admin", "boss@noseat.test",
                         "--password", PASSWORD, *args, stdout=StringIO())
    assert not Tenant.objects.filter(code="noseat").exists()
    assert not User.objects.filter(email="boss@noseat.test").exists()


def test_provisioning_validates_limits_before_creating_anything(db):
    with pytest.raises(InvalidInput) as info:
        tenant_create(code="zero", name="零席位", admin_login="boss@zero.test", password=PASSWORD, max_users=0)
    assert "max_users" in info.value.errors
    assert not Tenant.objects.filter(code="zero").exists()
