"""The shared demo company: every visitor is the same admin, so users, departments, permissions and the company
settings are locked (409 `demo_locked`) and a refused change leaves everything as it was."""
import pytest
from django.test import Client

from conftest import make_tenant
from zhuli.access.actor import Actor
from zhuli.access.models import RolePermission
from zhuli.access.services import permission_reset, permission_set
from zhuli.accounts.models import Department, User
from zhuli.accounts.orgchart import build_demo_org
from zhuli.accounts.services import (
    department_create,
    department_delete,
    department_update,
    user_activate,
    user_create,
    user_delete,
    user_transfer_records,
    user_update,
)
from zhuli.api.testing import ApiClient
from zhuli.core.errors import Conflict
from zhuli.onboarding.services import setup_skip
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.services import tenant_features_set, tenant_profile_update, tenant_tracking_style_set

LOCKED = "演示帐户不能修改用户和权限设置"


@pytest.fixture
def demo(db):
    tenant = make_tenant("demo", name="助理演示科技有限公司", kind=TenantKind.DEMO)
    users = build_demo_org(tenant, domain="demo.example.com", password="zhuli-demo")
    with tenant_context(tenant):
        yield users


def snapshot():
    return (list(User.objects.order_by("pk").values()), list(Department.objects.order_by("pk").values()),
            list(RolePermission.objects.values()), list(Tenant.objects.values()))


def test_api_user_edit_and_create_are_409_and_change_nothing(demo):
    admin = ApiClient(demo["admin"])
    before = snapshot()
    response = admin.patch(f"/users/{demo['boss'].pk}", {"email": "mine@example.com", "role": "sales"})
    assert response.status_code == 409 and response.json()["detail"] == LOCKED
    response = admin.post("/users", {"name": "抢注", "email": "ceo@real-company.example.com",
                                     "password": "Strong-pass-2026"})
    assert response.status_code == 409 and response.json()["detail"] == LOCKED
    assert admin.post(f"/users/{demo['sales1'].pk}/deactivate").status_code == 409
    assert snapshot() == before


def test_web_deactivate_is_refused(demo):
    client = Client()
    client.force_login(demo["admin"])
    response = client.post(f"/account/users/{demo['sales1'].pk}/deactivate/",
                           HTTP_REFERER="http://testserver/account/users/", follow=True)
    assert LOCKED in response.content.decode()
    assert User.objects.get(pk=demo["sales1"].pk).is_active


def test_web_permission_change_is_refused(demo):
    client = Client()
    client.force_login(demo["admin"])
    before = snapshot()
    response = client.post("/settings/permissions/", {"role": "sales", "customers-scope": "all",
                                                      "customers-actions": ["view", "edit", "delete"]})
    assert LOCKED in response.content.decode()
    assert snapshot() == before


def test_every_user_department_permission_and_company_service_is_refused(demo):
    actor = Actor.for_user(demo["admin"])
    dept = demo["sales1"].department_id
    before = snapshot()
    calls = [
        lambda: user_create(actor=actor, data={"name": "x", "email": "x@example.com", "password": "Strong-pass-2026"}),
        lambda: user_update(actor=actor, user_id=demo["boss"].pk, data={"name": "改名"}),
        lambda: user_activate(actor=actor, user_id=demo["sales1"].pk),
        lambda: user_delete(actor=actor, user_id=demo["sales1"].pk),
        lambda: user_transfer_records(actor=actor, from_user_id=demo["sales1"].pk, to_user_id=demo["sales2"].pk),
        lambda: department_create(actor=actor, name="新部门"),
        lambda: department_update(actor=actor, department_id=dept, name="改名"),
        lambda: department_delete(actor=actor, department_id=dept),
        lambda: permission_set(actor=actor, role="sales", module="customers", scope="all", actions={"view"}),
        lambda: permission_reset(actor=actor, role="sales"),
        lambda: tenant_profile_update(actor=actor, data={"name": "别人的公司"}),
        lambda: tenant_features_set(actor=actor, data={"inventory": True}),
        lambda: tenant_tracking_style_set(actor=actor, style="lead"),
        lambda: setup_skip(actor=actor),
    ]
    for call in calls:
        with pytest.raises(Conflict) as info:
            call()
        assert info.value.code == "demo_locked"
    assert snapshot() == before


def test_system_jobs_are_not_locked(demo):
    assert department_create(actor=Actor.system_for(Tenant.objects.get(code="demo")), name="系统建的部门").pk
