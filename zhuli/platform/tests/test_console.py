"""The platform console (issue 5 part 7): its own sign-in for operators (staff, no tenant); anonymous visitors
and every tenant user, company admins included, are refused on every console URL; the tenants list with seats,
data size and last activity; each account action changes the state and is audited; platform settings."""
from __future__ import annotations

import datetime

import pytest
from django.test import Client

from tests.factories import PASSWORD
from tests.test_isolation_crawler import url_patterns
from zhuli.accounts.models import User
from zhuli.audit.models import AuditEvent
from zhuli.customers.services import customer_create
from zhuli.platform.models import PlatformEvent
from zhuli.platform.services import platform_settings_update
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind, TenantStatus
from zhuli.tenancy.unscoped import for_tenant

OPERATOR_PASSWORD = "Operat0r-Passw0rd"


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("ops@zhuli.example.com", OPERATOR_PASSWORD, name="运营小王")


@pytest.fixture
def console(operator):
    client = Client()
    client.force_login(operator)
    return client


def console_urls() -> list[tuple[str, str]]:
    out = []
    for route, name, _pattern in url_patterns():
        if name.startswith("platform:"):
            out.append((name, "/" + route.replace("<int:tenant_id>", "{tenant}")))
    return out


def test_the_console_has_the_pages_the_issue_asks_for():
    names = {name for name, _path in console_urls()}
    assert {"platform:login", "platform:tenants", "platform:tenant", "platform:tenant_convert",
            "platform:tenant_extend", "platform:tenant_limits", "platform:tenant_suspend", "platform:tenant_resume",
            "platform:tenant_demo_reset", "platform:settings"} <= names


@pytest.mark.parametrize("who", ["admin", "boss", "sales1"])
def test_tenant_users_are_refused_on_every_console_url(org, who):
    client = Client()
    client.force_login(org[who])
    before = Tenant.objects.get(pk=org.tenant.pk)
    for name, path in console_urls():
        if name in ("platform:login", "platform:logout"):
            continue
        url = path.format(tenant=org.tenant.pk)
        for response in (client.get(url), client.post(url, {"reason": "x", "days": "30", "max_users": "99",
                                                            "max_bosses": "9"})):
            assert response.status_code in (403, 405), f"{who} {url} → {response.status_code}"
            html = response.content.decode()
            assert "data-zl-tenant" not in html and "tenant-actions" not in html and "trial_days" not in html
    after = Tenant.objects.get(pk=org.tenant.pk)
    assert (after.kind, after.status, after.max_users) == (before.kind, before.status, before.max_users)
    assert not PlatformEvent.objects.exists()


def test_anonymous_visitors_go_to_the_console_login(org):
    client = Client()
    for name, path in console_urls():
        if name in ("platform:login", "platform:logout"):
            continue
        url = path.format(tenant=org.tenant.pk)
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert response["Location"].startswith("/platform/login/?next=")


def test_a_tenant_admin_cannot_sign_in_to_the_console_even_with_the_right_password(org):
    client = Client()
    response = client.post("/platform/login/", {"login": org["admin"].email, "password": PASSWORD})
    assert response.status_code == 200 and "账号或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # No tenant login event either: nothing happened for the company.
    assert not for_tenant(AuditEvent, org.tenant).filter(action="login").exists()


def test_operator_signs_in_and_out(operator):
    client = Client()
    assert client.post("/platform/login/", {"login": operator.email, "password": "wrong"}).status_code == 200
    response = client.post("/platform/login/", {"login": operator.email, "password": OPERATOR_PASSWORD,
                                                "next": "/platform/settings/"})
    assert response.status_code == 302 and response["Location"] == "/platform/settings/"
    assert client.get("/platform/").status_code == 200
    assert list(PlatformEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "platform.login_failed", "platform.login"]
    # An outside `next` is not followed.
    other = Client()
    response = other.post("/platform/login/", {"login": operator.email, "password": OPERATOR_PASSWORD,
                                               "next": "https://evil.example.com/"})
    assert response["Location"] == "/platform/"
    assert client.post("/platform/logout/").status_code == 302
    assert client.get("/platform/").status_code == 302


def test_an_operator_session_gets_a_clear_refusal_on_tenant_pages(console):
    for url in ("/", "/customers/", "/settings/", "/settings/audit/"):
        response = console.get(url)
        assert response.status_code == 403, url
        assert "平台控制台" in response.content.decode()
    assert console.get("/api/v1/customers").status_code == 401


def test_tenants_list_columns_filters_and_query_count(console, org, other_org, django_assert_max_num_queries):
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "控制台测试有限公司"})
    Tenant.objects.filter(pk=other_org.tenant.pk).update(kind=TenantKind.TRIAL, status=TenantStatus.EXPIRED,
                                                         trial_ends_on=datetime.date(2026, 1, 1),
                                                         expired_on=datetime.date(2026, 1, 2))
    html = console.get("/platform/").content.decode()
    assert "tenant-a公司" in html and "tenant-b公司" in html
    assert "15 / 50" in html  # the demo organisation's 15 users of 50 seats
    assert "2026-01-01" in html  # the trial's end; its grace end follows
    html = console.get("/platform/", {"kind": "trial"}).content.decode()
    assert "tenant-b公司" in html and "tenant-a公司" not in html
    assert "tenant-a公司" in console.get("/platform/", {"q": "tenant-a"}).content.decode()
    assert "tenant-b公司" not in console.get("/platform/", {"status": "active"}).content.decode()
    assert console.get("/platform/", {"kind": "bogus", "page": "x"}).status_code == 200
    with django_assert_max_num_queries(20) as few:
        console.get("/platform/")
    from conftest import make_org

    for i in range(4):
        make_org(f"more-{i}")
    with django_assert_max_num_queries(len(few)):
        assert console.get("/platform/").status_code == 200


def test_tenant_detail_shows_seats_data_and_users(console, org):
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "明细测试有限公司"})
    html = console.get(f"/platform/tenants/{org.tenant.pk}/").content.decode()
    assert "tenant-a公司" in html and "15 / 50" in html and "李管理" in html
    assert console.get("/platform/tenants/999999/").status_code == 404


def events(tenant, action):
    return list(for_tenant(AuditEvent, tenant).filter(action=action))


def test_each_account_action_changes_state_and_is_audited(console, operator, org):
    tenant = org.tenant
    Tenant.objects.filter(pk=tenant.pk).update(kind=TenantKind.TRIAL, trial_ends_on=datetime.date(2030, 1, 10))
    url = f"/platform/tenants/{tenant.pk}/"

    console.post(url + "extend/", {"days": "5"})
    tenant.refresh_from_db()
    assert tenant.trial_ends_on == datetime.date(2030, 1, 15)
    assert events(tenant, "tenant.extend_trial")[0].actor_id == operator.pk

    console.post(url + "limits/", {"max_users": "60", "max_bosses": "4"})
    tenant.refresh_from_db()
    assert (tenant.max_users, tenant.max_bosses) == (60, 4) and events(tenant, "tenant.limits")

    refused = console.post(url + "limits/", {"max_users": "3", "max_bosses": "1"}, follow=True)
    assert "用户数上限不能低于当前在职用户数" in refused.content.decode()
    tenant.refresh_from_db()
    assert tenant.max_users == 60

    console.post(url + "suspend/", {"reason": ""})
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE
    console.post(url + "suspend/", {"reason": "欠费"})
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.SUSPENDED
    assert events(tenant, "tenant.suspend")[0].changes["reason"] == "欠费"
    assert Client().post("/login/", {"login": org["boss"].email, "password": PASSWORD}).status_code == 200

    console.post(url + "resume/")
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE and events(tenant, "tenant.resume")

    console.post(url + "convert/", {"max_users": "80", "max_bosses": "5", "service_ends_on": "2031-12-31"})
    tenant.refresh_from_db()
    assert (tenant.kind, tenant.max_users, tenant.service_ends_on) == (TenantKind.FORMAL, 80,
                                                                       datetime.date(2031, 12, 31))
    assert events(tenant, "tenant.convert")[0].actor_id == operator.pk
    assert User.objects.filter(tenant=tenant).count() == 15  # conversion keeps every user

    html = console.get(url).content.decode()
    for label in ("延长试用", "修改用户数上限", "停用帐户", "恢复帐户", "转为正式帐户"):
        assert label in html
    assert "运营小王" in html
    # The company admin sees the operator's actions in its own log, as 平台运营.
    admin = Client()
    admin.force_login(org["admin"])
    log = admin.get("/settings/audit/", {"action": "settings"}).content.decode()
    assert "转为正式帐户" in log and "平台运营" in log and "运营小王" not in log


def test_actions_are_post_only_and_need_csrf(operator, org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    url = f"/platform/tenants/{org.tenant.pk}/suspend/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"reason": "x"}).status_code == 403
    org.tenant.refresh_from_db()
    assert org.tenant.status == TenantStatus.ACTIVE


def test_demo_reset_only_for_the_demo_tenant(console, org, monkeypatch):
    calls = []
    monkeypatch.setattr("zhuli.platform.views.demo_reset", lambda **kw: calls.append(kw) or {"size": "small"})
    response = console.post(f"/platform/tenants/{org.tenant.pk}/demo-reset/", follow=True)
    assert "只有演示帐户可以重置" in response.content.decode() and not calls
    demo = Tenant.objects.create(code="demo", name="演示公司", kind=TenantKind.DEMO)
    assert "重置演示数据" in console.get(f"/platform/tenants/{demo.pk}/").content.decode()
    response = console.post(f"/platform/tenants/{demo.pk}/demo-reset/", follow=True)
    assert "演示数据已重置" in response.content.decode() and len(calls) == 1
    assert calls[0]["actor"].email == "ops@zhuli.example.com"


def test_settings_page_saves_validates_and_audits(console, operator):
    assert console.get("/platform/settings/").status_code == 200
    data = {"trial_days": "30", "trial_max_users": "20", "trial_max_bosses": "3", "grace_days": "60",
            "signups_per_ip_per_hour": "10", "demo_reset_hours": "12"}
    assert console.post("/platform/settings/", data).status_code == 302
    row = PlatformSettings.current()
    assert (row.trial_days, row.trial_max_users, row.grace_days, row.demo_reset_hours) == (30, 20, 60, 12)
    event = PlatformEvent.objects.get(action="platform.settings")
    assert event.operator_id == operator.pk and event.changes["trial_days"] == [15, 30]
    bad = console.post("/platform/settings/", {**data, "trial_days": "0", "trial_max_bosses": "99"})
    assert bad.status_code == 200 and "应在 1 到 365 之间" in bad.content.decode()
    assert PlatformSettings.current().trial_days == 30
    html = console.get("/platform/events/").content.decode()
    assert "修改平台设置" in html and "试用天数" in html


def test_settings_service_refuses_non_operators_and_bad_values(org, operator):
    from zhuli.core.errors import Forbidden, InvalidInput

    with pytest.raises(Forbidden):
        platform_settings_update(operator=org["admin"], data={"trial_days": 20})
    with pytest.raises(InvalidInput) as exc:
        platform_settings_update(operator=operator, data={"trial_max_users": 2, "trial_max_bosses": 3})
    assert "trial_max_bosses" in exc.value.errors
    with pytest.raises(InvalidInput):
        platform_settings_update(operator=operator, data={"grace_days": True})
    assert PlatformSettings.current().trial_max_users == 10 and not PlatformEvent.objects.exists()
