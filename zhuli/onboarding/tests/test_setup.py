"""First-run setup: each step saves through the tenancy services, skip and resume, the redirect of new
tenants' admins only (never the demo), feature values validated."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput
from zhuli.onboarding.models import OnboardingState
from zhuli.onboarding.services import setup_skip, setup_step_save
from zhuli.tenancy.models import TenantKind
from zhuli.tenancy.services import tenant_features_set
from zhuli.web.tests.helpers import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_company_starts_pending_with_its_state(new_company):
    tenant = new_company.refresh()
    assert tenant.feature("setup_pending") is True and tenant.feature("checklist_open") is True
    state = OnboardingState.objects.get()
    assert state.step == "customers" and state.completed_at is None and state.steps_done == []


def test_the_new_admin_lands_on_the_setup_until_it_is_skipped(new_company):
    client = logged_in(new_company.boss)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/setup/"
    assert client.get("/setup/")["Location"] == "/setup/customers/"
    # Other pages stay reachable: only the landing page sends them to the setup.
    assert client.get("/customers/").status_code == 200
    assert client.post("/setup/skip/").status_code == 302
    assert client.get("/").status_code == 200
    state = OnboardingState.objects.get()
    assert state.skipped_at is not None and new_company.refresh().feature("setup_pending") is False
    assert AuditEvent.objects.filter(action="onboarding.setup_skip").count() == 1


def test_colleagues_of_a_new_company_are_not_redirected(new_company):
    from zhuli.accounts.services import user_create

    sales = user_create(actor=new_company.actor(), data={"name": "小王", "email": "wang@new-co.test",
                                                          "password": "Zhuli-Passw0rd-9", "role": "sales"})
    assert logged_in(sales).get("/").status_code == 200


def test_existing_tenants_never_redirect(org):
    assert logged_in(org["admin"]).get("/").status_code == 200


def test_the_demo_tenant_never_redirects(org):
    tenant = org.tenant
    tenant.kind = TenantKind.DEMO
    tenant.features = {**tenant.features, "setup_pending": True}
    tenant.save()
    assert logged_in(org["admin"]).get("/").status_code == 200


def test_an_expired_company_is_not_sent_to_a_setup_it_could_not_save(new_company):
    tenant = new_company.refresh()
    tenant.status = "expired"
    tenant.save()
    assert logged_in(new_company.boss).get("/").status_code == 200


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_redirect_check_costs_no_query(new_company, other_org):
    """A pending company, a done one and one that never had onboarding pay the same for a page."""
    pending = logged_in(new_company.boss)
    existing = logged_in(other_org["admin"])
    baseline = _queries(existing, "/help/")
    assert _queries(pending, "/help/") == baseline
    setup_skip(actor=new_company.actor())
    assert _queries(pending, "/help/") == baseline


def test_each_step_saves_and_moves_on(new_company, media):
    client = logged_in(new_company.boss)
    steps = [
        ("customers", {"customer_kinds": "enterprise"}, "/setup/agreements/"),
        ("agreements", {"agreements": "order"}, "/setup/tracking/"),
        ("tracking", {"tracking_style": "customer"}, "/setup/inventory/"),
        ("inventory", {"inventory": "on"}, "/setup/company/"),
    ]
    for step, data, target in steps:
        page = client.get(f"/setup/{step}/")
        assert page.status_code == 200 and 'aria-current="step"' in page.content.decode()
        response = client.post(f"/setup/{step}/", {**data, "action": "save"})
        assert response.status_code == 302 and response["Location"] == target, (step, response.content[:500])
    response = client.post("/setup/company/", {"action": "save", "name": "杭州新开科技有限公司", "phone": "0571-1234",
                                               "logo": upload("logo.png", image_bytes("PNG"))})
    assert response["Location"] == "/setup/users/"
    tenant = new_company.refresh()
    assert tenant.feature("customer_kinds") == "enterprise" and tenant.feature("agreements") == "order"
    assert tenant.feature("tracking_style") == "customer" and tenant.feature("inventory") is True
    assert tenant.name == "杭州新开科技有限公司" and tenant.logo
    page = client.get("/setup/users/").content.decode()
    assert "已用 1 / 10 个用户" in page
    added = client.post("/setup/users/", {"action": "add_user", "name": "小李", "mobile": "13900001111",
                                          "role": "sales", "password": "Zhuli-Passw0rd-9"})
    assert added.status_code == 302 and added["Location"] == "/setup/users/"
    done = client.post("/setup/users/", {"action": "save"})
    assert done["Location"] == "/getting-started/"
    state = OnboardingState.objects.get()
    assert state.completed_at is not None and state.steps_done == ["customers", "agreements", "tracking", "inventory",
                                                                  "company", "users"]
    assert new_company.refresh().feature("setup_pending") is False
    assert AuditEvent.objects.filter(action="tenant.features").count() >= 3


def test_skip_one_step_keeps_the_default_and_resumes_later(new_company):
    client = logged_in(new_company.boss)
    assert client.post("/setup/customers/", {"action": "skip"})["Location"] == "/setup/agreements/"
    assert new_company.refresh().feature("customer_kinds") == "both"
    # Next login: the landing page resumes at the step reached.
    assert client.get("/")["Location"] == "/setup/"
    assert client.get("/setup/")["Location"] == "/setup/agreements/"
    assert OnboardingState.objects.get().steps_done == []


@pytest.mark.parametrize("step,data,field", [
    ("customers", {"customer_kinds": "robots"}, "customer_kinds"),
    ("agreements", {"agreements": ""}, "agreements"),
    ("tracking", {"tracking_style": "psychic"}, "tracking_style"),
    ("inventory", {"inventory": "maybe"}, "inventory"),
    ("company", {"name": "   "}, "name"),
])
def test_bad_values_are_form_errors_and_change_nothing(new_company, step, data, field):
    before = dict(new_company.refresh().features)
    response = logged_in(new_company.boss).post(f"/setup/{step}/", {**data, "action": "save"})
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert new_company.refresh().features == before
    assert OnboardingState.objects.get().step == "customers"


def test_a_bad_logo_leaves_the_profile_unchanged(new_company, media):
    response = logged_in(new_company.boss).post("/setup/company/", {
        "action": "save", "name": "改过的名字", "logo": upload("logo.png", b"<html>not an image</html>")})
    assert response.status_code == 200 and response.context["form"].errors.get("logo")
    tenant = new_company.refresh()
    assert tenant.name == "新开公司" and not tenant.logo


def test_the_users_step_shows_the_plan_limit(new_company):
    tenant = new_company.refresh()
    tenant.max_users = 1
    tenant.save()
    client = logged_in(new_company.boss)
    page = client.get("/setup/users/").content.decode()
    assert "已达到套餐用户数上限（1 个）" in page
    response = client.post("/setup/users/", {"action": "add_user", "name": "小李", "mobile": "13900001111",
                                             "role": "sales", "password": "Zhuli-Passw0rd-9"})
    assert response.status_code == 200
    assert "用户数上限" in str(response.context["user_form"].errors)


def test_only_admins_run_the_setup(org):
    for key in ("boss", "sales1"):
        assert logged_in(org[key]).get("/setup/customers/").status_code == 403
        assert logged_in(org[key]).post("/setup/skip/").status_code == 403
    with pytest.raises(Forbidden):
        setup_step_save(actor=org.actor("boss"), step="customers", data={"customer_kinds": "enterprise"})
    assert org.tenant.feature("customer_kinds") == "both"


def test_unknown_step_is_404(new_company):
    assert logged_in(new_company.boss).get("/setup/nonsense/").status_code == 404


@pytest.mark.parametrize("data,field", [
    ({"customer_kinds": "all"}, "customer_kinds"), ({"agreements": "contracts"}, "agreements"),
    ({"inventory": "true"}, "inventory"), ({"inventory": 1}, "inventory"), ({"tracking_style": None}, "tracking_style"),
    ({"colour": "blue"}, "colour"),
])
def test_tenant_features_set_validates_every_value(org, data, field):
    with pytest.raises(InvalidInput) as exc:
        tenant_features_set(actor=org.actor("admin"), data=data)
    assert field in exc.value.errors
    org.tenant.refresh_from_db()
    assert org.tenant.feature("customer_kinds") == "both" and org.tenant.feature("inventory") is False


def test_tenant_features_set_is_admin_only_and_audited(org):
    with pytest.raises(Forbidden):
        tenant_features_set(actor=org.actor("boss"), data={"inventory": True})
    tenant_features_set(actor=org.actor("admin"), data={"inventory": True, "agreements": "contract"})
    org.tenant.refresh_from_db()
    assert org.tenant.feature("inventory") is True and org.tenant.feature("agreements") == "contract"
    event = AuditEvent.objects.get(action="tenant.features")
    assert event.changes == {"inventory": [False, True], "agreements": ["both", "contract"]}
