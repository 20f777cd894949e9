"""/api/v1/me, /users and /departments: colleagues of one company, never of another."""
import pytest

from zhuli.accounts.models import Department, User
from zhuli.api.testing import ApiClient

USER_FIELDS = {"id", "name", "display_name", "email", "mobile", "role", "is_admin", "is_active", "department"}


@pytest.fixture
def sales(org):
    return ApiClient(org["sales1"])


def test_me_for_the_admin(org):
    body = ApiClient(org["admin"]).get("/me").json()
    assert body["role"] == "assistant" and body["is_admin"] is True
    assert body["department"]["name"] == "tenant-a公司"


def test_users_list_is_the_own_company_only(org, other_org, sales):
    body = sales.get("/users", page_size=200).json()
    assert body["count"] == len(org) == 15
    assert {u["email"] for u in body["items"]} == {u.email for u in org.values()}
    row = next(u for u in body["items"] if u["id"] == org["sales4"].pk)
    assert set(row) == USER_FIELDS
    assert row == {"id": org["sales4"].pk, "name": "杨静", "display_name": "杨静", "email": "sales4@tenant-a.test",
                   "mobile": None, "role": "sales", "is_admin": False, "is_active": True,
                   "department": {"id": org["sales4"].department_id, "name": "销售二部"}}


def test_users_filters(org, sales):
    left = org["sales6"]
    left.is_active = False
    left.save(update_fields=["is_active"])
    left.mobile = "13911112222"
    left.save(update_fields=["mobile"])

    def names(**params):
        response = sales.get("/users", page_size=200, **params)
        assert response.status_code == 200, response.json()
        return {u["name"] for u in response.json()["items"]}

    assert names(q="经理") == {"郑经理", "冯经理"}
    assert names(q="SALES1@") == {"王小明"}
    assert names(q="1391111") == {"林芳"}
    assert names(role="manager") == {"郑经理", "冯经理"}
    team2 = Department.objects.get(name="销售二部")
    assert names(department=team2.pk) == {"冯经理", "杨静", "黄磊", "林芳"}
    center = Department.objects.get(name="销售中心")
    assert len(names(department=center.pk)) == 10  # the tree below, not just its own members
    assert names(active="false") == {"林芳"}
    detail = sales.get(f"/users/{left.pk}").json()
    assert detail["display_name"] == "林芳(已离职)" and detail["is_active"] is False
    bad = sales.get("/users", role="pilot", department="x", active="maybe")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"role", "department", "active"}


def test_users_sort_and_pages(org, sales):
    ids = []
    for page in (1, 2, 3, 4):
        ids += [u["id"] for u in sales.get("/users", page=page, page_size=4, sort="role").json()["items"]]
    assert len(ids) == len(set(ids)) == 15
    descending = [u["id"] for u in sales.get("/users", sort="-id", page_size=200).json()["items"]]
    assert descending == sorted(descending, reverse=True)


def test_other_tenants_user_and_department_are_404(org, other_org, sales):
    assert sales.get(f"/users/{other_org['boss'].pk}").status_code == 404
    foreign_dept = other_org["boss"].department_id
    assert sales.get(f"/departments/{foreign_dept}").status_code == 404
    assert sales.get("/users", department=foreign_dept).json()["count"] == 0
    staff = User.objects.create_superuser("ops@platform.test", "x")
    assert sales.get(f"/users/{staff.pk}").status_code == 404


def test_departments_flat_tree(org, sales):
    body = sales.get("/departments").json()
    assert body["count"] == 4
    by_name = {d["name"]: d for d in body["items"]}
    company, center = by_name["tenant-a公司"], by_name["销售中心"]
    assert company["parent_id"] is None and company["depth"] == 0
    assert center["parent_id"] == company["id"] and center["path"] == f"/{company['id']}/{center['id']}/"
    team1 = by_name["销售一部"]
    assert team1["depth"] == 2 and team1["path"].startswith(center["path"])
    assert [d["depth"] for d in body["items"]] == sorted(d["depth"] for d in body["items"])  # parents first
    assert sales.get(f"/departments/{team1['id']}").json() == team1
    assert set(team1) == {"id", "name", "parent_id", "path", "depth", "order"}


@pytest.mark.parametrize("path", ["/users?page_size=200", "/departments", "/me"])
def test_queries_are_a_handful(org, sales, path, django_assert_max_num_queries):
    sales.get("/me")
    with django_assert_max_num_queries(5):
        assert sales.client.get("/api/v1" + path).status_code == 200


def test_user_patch_refuses_unknown_fields_by_name(org):
    admin = ApiClient(org["admin"])
    user = org["sales1"]
    response = admin.patch(f"/users/{user.pk}", {"name": "改名", "password": "Strong-pass-2026", "is_active": False})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"password", "is_active"} and "不支持此字段" in str(errors["password"])
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.name, fresh.is_active, fresh.password) == (user.name, True, user.password)


def test_a_too_short_initial_password_is_refused_in_chinese(org):
    response = ApiClient(org["admin"]).post("/users", {"name": "新同事", "email": "new@tenant-a.test", "password": "Ab1-x"})
    assert response.status_code == 422
    assert response.json()["errors"]["password"] == ["密码太短，至少需要 8 个字符"]
