"""Account pages (password, API tokens) and the users / departments settings pages."""
import pytest

from conftest import PASSWORD
from zhuli.accounts.models import ApiToken, Department, User
from zhuli.accounts.provisioning import tenant_create
from zhuli.accounts.services import user_create
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.tenancy.context import tenant_context
from zhuli.web.tests.helpers import HOSTILE, HOSTILE_ESCAPED

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- password ------------------------------------------------------------------------------


def test_password_change(org, client):
    client.force_login(org["sales1"])
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password": "Brand-New-Pass-42",
                                                   "new_password2": "Brand-New-Pass-42"}, follow=True)
    assert "密码已修改" in response.content.decode()
    org["sales1"].refresh_from_db()
    assert org["sales1"].check_password("Brand-New-Pass-42")
    assert client.get("/account/password/").status_code == 200  # still signed in


def test_password_change_refuses_wrong_old_password(org, client):
    client.force_login(org["sales1"])
    response = client.post("/account/password/", {"old_password": "not-it", "new_password": "Brand-New-Pass-42",
                                                   "new_password2": "Brand-New-Pass-42"})
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"] == ["原密码不正确"]
    org["sales1"].refresh_from_db()
    assert org["sales1"].check_password(PASSWORD)


@pytest.mark.parametrize("weak", ["12345678", "short1", "password"])
def test_password_change_refuses_weak_password(org, client, weak):
    client.force_login(org["sales1"])
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password": weak,
                                                   "new_password2": weak})
    assert response.context["form"].errors["new_password"]
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    org["sales1"].refresh_from_db()
    assert org["sales1"].check_password(PASSWORD)


def test_password_change_needs_matching_confirmation(org, client):
    client.force_login(org["sales1"])
    response = client.post("/account/password/", {"old_password": PASSWORD, "new_password": "Brand-New-Pass-42",
                                                   "new_password2": "Brand-New-Pass-43"})
    assert response.context["form"].errors["new_password2"] == ["两次输入的新密码不一致"]


# ---- tokens --------------------------------------------------------------------------------


def test_token_is_shown_once_and_can_be_revoked(org, client):
    client.force_login(org["sales1"])
    response = client.post("/account/tokens/", {"name": "ERP"})
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    token = ApiToken.objects.get(user=org["sales1"])
    assert token.key_hash == ApiToken.hash(key) and token.name == "ERP"
    later = client.get("/account/tokens/").content.decode()
    assert key not in later and token.prefix in later
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_token_of_another_user_cannot_be_revoked(org, client):
    from zhuli.accounts.services import token_create

    token, _key = token_create(user=org["sales2"])
    client.force_login(org["sales1"])
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert ApiToken.objects.filter(pk=token.pk).exists()


# ---- settings pages: admins only ---------------------------------------------------------

SETTINGS_URLS = ["/account/users/", "/account/users/new/", "/account/departments/"]


def test_settings_pages_render_for_the_admin(org, client):
    client.force_login(org["admin"])
    for url in SETTINGS_URLS + [f"/account/users/{org['sales1'].pk}/edit/",
                                f"/account/departments/{org['sales1'].department_id}/edit/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("key", ["boss", "manager1", "sales1"])
def test_settings_pages_are_403_for_non_admins(org, client, key):
    client.force_login(org[key])
    for url in SETTINGS_URLS + [f"/account/users/{org['sales1'].pk}/edit/"]:
        assert client.get(url).status_code == 403, url
    response = client.post(f"/account/users/{org['sales2'].pk}/deactivate/")
    assert response.status_code == 403
    assert User.objects.get(pk=org["sales2"].pk).is_active


def test_other_tenants_user_is_404(org, other_org, client):
    client.force_login(org["admin"])
    assert client.get(f"/account/users/{other_org['sales1'].pk}/edit/").status_code == 404
    client.post(f"/account/users/{other_org['sales1'].pk}/deactivate/")
    assert User.objects.get(pk=other_org["sales1"].pk).is_active


# ---- users ---------------------------------------------------------------------------------


def test_user_list_shows_plan_usage_and_escapes_names(org, client):
    org["sales1"].name = HOSTILE
    org["sales1"].save(update_fields=["name"])
    client.force_login(org["admin"])
    html = client.get("/account/users/").content.decode()
    assert "已用 15 / 50 个用户，老板 1 / 3" in html
    assert HOSTILE_ESCAPED in html and HOSTILE not in html


def test_user_list_query_count_does_not_grow_with_users(org, client, django_assert_max_num_queries):
    client.force_login(org["admin"])
    client.get("/account/users/")  # warm the session
    with django_assert_max_num_queries(6):
        assert client.get("/account/users/?status=all").status_code == 200
    admin = org.actor("admin")
    for i in range(10):
        user_create(actor=admin, data={"name": f"新人{i}", "email": f"new{i}@tenant-a.test", "password": PASSWORD,
                                       "department_id": org["sales1"].department_id})
    with django_assert_max_num_queries(6):
        response = client.get("/account/users/?status=all")
    assert len(response.context["users"]) == 25


def test_user_create_with_field_errors_in_chinese(org, client):
    client.force_login(org["admin"])
    response = client.post("/account/users/new/", {"name": "", "email": "bad", "mobile": "123", "role": "sales",
                                                   "password": "Good-Passw0rd-9"})
    errors = response.context["form"].errors
    assert errors["name"] and errors["email"]
    response = client.post("/account/users/new/", {"name": "小李", "mobile": "123", "role": "sales",
                                                   "password": "Good-Passw0rd-9"})
    assert response.context["form"].errors["mobile"] == ["手机号应为 11 位数字，以 1 开头"]
    assert not User.objects.filter(name="小李").exists()


def test_user_create_and_log_in(org, client):
    client.force_login(org["admin"])
    team = org.department("销售二部")
    response = client.post("/account/users/new/", {"name": "小李", "mobile": "13900001111", "role": "sales",
                                                   "department": str(team.pk), "password": "Good-Passw0rd-9"})
    assert response.status_code == 302
    user = User.objects.get(mobile="13900001111")
    assert (user.tenant, user.department, user.role, user.is_admin) == (org.tenant, team, "sales", False)
    client.logout()
    assert client.post("/login/", {"login": "13900001111", "password": "Good-Passw0rd-9"}).status_code == 302


def test_user_create_refuses_a_login_used_in_another_tenant(org, other_org, client):
    client.force_login(org["admin"])
    response = client.post("/account/users/new/", {"name": "撞号", "email": "sales1@tenant-b.test", "role": "sales",
                                                   "password": "Good-Passw0rd-9"})
    assert response.context["form"].errors["email"] == ["该邮箱已被使用"]


@pytest.fixture
def small_plan(db):
    tenant, boss = tenant_create(code="small", name="小公司", admin_login="boss@small.test", password=PASSWORD,
                                 max_users=10, max_bosses=2)
    with tenant_context(tenant):
        from zhuli.access.actor import Actor

        actor = Actor.for_user(boss)
        for i in range(8):
            user_create(actor=actor, data={"name": f"员工{i}", "email": f"u{i}@small.test", "password": PASSWORD})
        yield tenant, boss


def test_eleventh_user_is_refused_with_the_plan_message(small_plan, client):
    tenant, boss = small_plan
    client.force_login(boss)
    ok = client.post("/account/users/new/", {"name": "第十人", "email": "u10@small.test", "role": "sales",
                                             "password": PASSWORD})
    assert ok.status_code == 302
    assert "已用 10 / 10 个用户" in client.get("/account/users/").content.decode()
    refused = client.post("/account/users/new/", {"name": "第十一人", "email": "u11@small.test", "role": "sales",
                                                  "password": PASSWORD})
    assert refused.status_code == 200
    assert "已达到用户数上限 10 人（当前 10 人）" in refused.content.decode()
    assert not User.objects.filter(email="u11@small.test").exists()


def test_third_boss_is_refused(small_plan, client):
    tenant, boss = small_plan
    client.force_login(boss)
    client.post("/account/users/new/", {"name": "二老板", "email": "boss2@small.test", "role": "boss",
                                        "password": PASSWORD})
    assert User.objects.filter(tenant=tenant, role="boss").count() == 2
    # a third boss via editing an existing user
    staff = User.objects.get(email="u0@small.test")
    response = client.post(f"/account/users/{staff.pk}/edit/", {"name": staff.name, "email": staff.email,
                                                                "role": "boss"})
    assert "已达到老板席位上限 2 个（当前 2 个）" in response.content.decode()
    staff.refresh_from_db()
    assert staff.role == "sales"


def test_user_edit(org, client):
    client.force_login(org["admin"])
    user = org["sales1"]
    team2 = org.department("销售二部")
    response = client.post(f"/account/users/{user.pk}/edit/", {"name": "王小明2", "email": user.email, "mobile": "",
                                                               "role": "manager", "department": str(team2.pk)})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.role, user.department) == ("王小明2", "manager", team2)


def test_deactivate_and_reactivate(org, client):
    client.force_login(org["admin"])
    user = org["sales2"]
    response = client.post(f"/account/users/{user.pk}/deactivate/", follow=True)
    assert "已设为离职" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active and user.left_at
    assert user.name in client.get("/account/users/?status=left").content.decode()
    client.post(f"/account/users/{user.pk}/activate/")
    user.refresh_from_db()
    assert user.is_active


def test_admin_cannot_deactivate_themselves(org, client):
    client.force_login(org["admin"])
    response = client.post(f"/account/users/{org['admin'].pk}/deactivate/",
                           HTTP_REFERER="http://testserver/account/users/", follow=True)
    assert "不能停用自己" in response.content.decode()
    assert User.objects.get(pk=org["admin"].pk).is_active


def test_delete_user_with_customers_is_refused(org, client):
    customer_create(actor=org.actor("manager1"), data={"kind": "enterprise", "name": "北京沃力森信息技术有限公司"},
                    owner=org["sales1"])
    client.force_login(org["admin"])
    response = client.post(f"/account/users/{org['sales1'].pk}/delete/",
                           HTTP_REFERER="http://testserver/account/users/", follow=True)
    html = response.content.decode()
    assert "名下还有数据" in html and "客户 1 条" in html
    assert User.objects.filter(pk=org["sales1"].pk).exists()


def test_delete_user_without_records(org, client):
    client.force_login(org["admin"])
    response = client.post(f"/account/users/{org['sales3'].pk}/delete/", follow=True)
    assert "已删除用户" in response.content.decode()
    assert not User.objects.filter(pk=org["sales3"].pk).exists()


# ---- transfer ------------------------------------------------------------------------------


def test_bulk_transfer_by_a_manager(org, client):
    manager = org.actor("manager1")
    for name in ("甲公司", "乙公司"):
        customer_create(actor=manager, data={"kind": "enterprise", "name": name}, owner=org["sales1"])
    client.force_login(org["manager1"])
    page = client.get(f"/account/users/transfer/?from={org['sales1'].pk}")
    assert page.status_code == 200 and "客户 2" in page.content.decode()
    response = client.post("/account/users/transfer/", {"from_user": org["sales1"].pk,
                                                        "to_user": org["sales2"].pk}, follow=True)
    assert "已转移：客户 2 条" in response.content.decode()
    assert Customer.objects.filter(owner=org["sales2"]).count() == 2


def test_bulk_transfer_refused_for_sales(org, client):
    client.force_login(org["sales1"])
    assert client.get("/account/users/transfer/").status_code == 403
    assert client.post("/account/users/transfer/", {"from_user": org["sales2"].pk,
                                                    "to_user": org["sales1"].pk}).status_code == 403


def test_bulk_transfer_to_departed_user_refused(org, client):
    from zhuli.accounts.services import user_deactivate

    user_deactivate(actor=org.actor("admin"), user_id=org["sales3"].pk)
    client.force_login(org["admin"])
    response = client.post("/account/users/transfer/", {"from_user": org["sales1"].pk, "to_user": org["sales3"].pk})
    assert response.context["form"].errors["to_user"]


# ---- departments ---------------------------------------------------------------------------


def test_department_create_rename_move_delete(org, client):
    client.force_login(org["admin"])
    team1 = org.department("销售一部")
    client.post("/account/departments/", {"name": "华南组", "parent": str(team1.pk)})
    south = Department.objects.get(name="华南组")
    assert south.parent == team1 and south.path == f"{team1.path}{south.pk}/"
    client.post("/account/departments/", {"name": "深圳小组", "parent": str(south.pk)})
    shenzhen = Department.objects.get(name="深圳小组")
    assert shenzhen.depth == south.depth + 1
    # rename and move the subtree under 销售二部
    team2 = org.department("销售二部")
    client.post(f"/account/departments/{south.pk}/edit/", {"name": "华南大区", "parent": str(team2.pk)})
    south.refresh_from_db()
    shenzhen.refresh_from_db()
    assert south.name == "华南大区" and south.parent == team2
    assert shenzhen.path == f"{team2.path}{south.pk}/{shenzhen.pk}/"
    page = client.get("/account/departments/").content.decode()
    assert page.index("销售二部") < page.index("华南大区") < page.index("深圳小组")
    # cannot move under its own child
    response = client.post(f"/account/departments/{south.pk}/edit/", {"name": "华南大区",
                                                                      "parent": str(shenzhen.pk)})
    assert response.status_code == 200  # the child is not even offered as a parent
    south.refresh_from_db()
    assert south.parent == team2
    # delete: refused with children, then allowed leaf-first
    response = client.post(f"/account/departments/{south.pk}/delete/",
                           HTTP_REFERER="http://testserver/account/departments/", follow=True)
    assert "请先删除或移走下级部门" in response.content.decode()
    client.post(f"/account/departments/{shenzhen.pk}/delete/")
    client.post(f"/account/departments/{south.pk}/delete/")
    assert not Department.objects.filter(pk__in=[south.pk, shenzhen.pk]).exists()


def test_department_with_members_cannot_be_deleted(org, client):
    client.force_login(org["admin"])
    team1 = org.department("销售一部")
    response = client.post(f"/account/departments/{team1.pk}/delete/",
                           HTTP_REFERER="http://testserver/account/departments/", follow=True)
    assert "该部门还有成员" in response.content.decode()


def test_department_name_required(org, client):
    client.force_login(org["admin"])
    response = client.post("/account/departments/", {"name": "", "parent": ""})
    assert response.context["form"].errors["name"]
