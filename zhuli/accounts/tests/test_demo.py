"""The shared demo account (issue 5 part 2): password-less entry per role, what visitors may not do
(change a password, upload a file, send anything outside), and the in-place reset with its schedule."""
import ast
import datetime
import io
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from PIL import Image

from conftest import PASSWORD, make_tenant
from zhuli.accounts import demo as demo_module
from zhuli.accounts.demo import DEMO_ENTRY_ROLES, demo_reset, demo_reset_due, seed_demo
from zhuli.accounts.models import ApiToken, User
from zhuli.accounts.orgchart import build_demo_org
from zhuli.accounts.services import password_change, token_create
from zhuli.audit.models import AuditEvent
from zhuli.core import demo as core_demo
from zhuli.core.errors import Conflict
from zhuli.core.uploads import check_image, check_spreadsheet
from zhuli.customers.models import Customer
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind
from zhuli.tenancy.unscoped import for_tenant

ROLE_LOGINS = {"boss": "boss", "director": "director", "manager": "manager1", "sales": "sales1",
               "assistant": "assistant", "service": "service", "finance": "finance", "keeper": "keeper"}


@pytest.fixture
def demo_org(db):
    """The demo tenant's organisation without the simulated data (fast)."""
    tenant = make_tenant("demo", name="助理演示科技有限公司", kind=TenantKind.DEMO)
    return build_demo_org(tenant, domain="demo.example.com", password="zhuli-demo")


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    out.seek(0)
    out.name = "logo.png"
    return out


# ---- entry -------------------------------------------------------------------------------------


def test_the_entry_roles_are_the_design_logins():
    assert {k: v[1] for k, v in DEMO_ENTRY_ROLES.items()} == ROLE_LOGINS
    assert [str(v[0]) for v in DEMO_ENTRY_ROLES.values()] == ["老板", "总监", "经理", "销售", "助理", "客服", "财务", "库管"]


@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_each_role_enters_without_a_password(demo_org, role):
    client = Client()
    response = client.post("/demo/enter/", {"role": role}, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 302 and response["Location"] == "/"
    user = demo_org[ROLE_LOGINS[role]]
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/account/tokens/").status_code == 200
    assert for_tenant(AuditEvent, user.tenant).filter(action="login", target_id=user.pk, ip="10.7.7.7").exists()


def test_unknown_role_is_a_form_error(demo_org):
    client = Client()
    response = client.post("/demo/enter/", {"role": "admin"})
    assert response.status_code == 200 and "请选择一个演示角色" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.post("/demo/enter/", {}).status_code == 200


def test_no_demo_tenant_gives_a_clear_message(db):
    response = Client().post("/demo/enter/", {"role": "boss"})
    assert "演示帐户暂未开通" in response.content.decode()
    assert response.status_code == 409


def test_only_the_demo_kind_tenant_is_entered(db):
    """A tenant that merely has the code `demo` (e.g. a formal one) is never opened without a password."""
    tenant = make_tenant("demo", kind=TenantKind.FORMAL)
    build_demo_org(tenant, domain="demo.example.com", password="zhuli-demo")
    client = Client()
    response = client.post("/demo/enter/", {"role": "boss"})
    assert response.status_code == 409 and "_auth_user_id" not in client.session


def test_a_left_demo_user_is_not_entered(demo_org):
    User.objects.filter(pk=demo_org["sales1"].pk).update(is_active=False)
    response = Client().post("/demo/enter/", {"role": "sales"})
    assert response.status_code == 409 and "重置" in response.content.decode()


def test_entry_is_csrf_protected_and_post_only(demo_org):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/demo/enter/", {"role": "boss"}).status_code == 403
    assert "_auth_user_id" not in strict.session
    assert Client().get("/demo/enter/").status_code == 405


def test_entry_is_rate_limited_loosely(demo_org, monkeypatch):
    monkeypatch.setattr(demo_module, "DEMO_ENTRY_LIMIT", 3)
    client = Client()
    for _n in range(3):
        assert client.post("/demo/enter/", {"role": "sales"}, REMOTE_ADDR="10.8.8.8").status_code == 302
    refused = client.post("/demo/enter/", {"role": "sales"}, REMOTE_ADDR="10.8.8.8")
    assert refused.status_code == 429 and "频繁" in refused.content.decode()
    assert Client().post("/demo/enter/", {"role": "sales"}, REMOTE_ADDR="10.8.8.9").status_code == 302


def test_anonymous_home_lands_on_a_page_offering_the_demo(demo_org):
    response = Client().get("/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "体验演示帐户" in html
    for label in ("老板", "总监", "经理", "销售", "助理", "客服", "财务", "库管"):
        assert f">{label}</button>" in html


def test_demo_logins_still_get_api_tokens(demo_org):
    response = Client().post("/api/v1/auth/token", {"login": "sales1@demo.example.com", "password": "zhuli-demo"},
                             content_type="application/json")
    assert response.status_code == 200
    me = Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}").get("/api/v1/me").json()
    assert me["tenant"]["kind"] == "demo"


# ---- restrictions ------------------------------------------------------------------------------


def test_a_demo_user_cannot_change_the_password(demo_org):
    user = demo_org["sales1"]
    with pytest.raises(Conflict, match="演示帐户不能修改密码"):
        password_change(user=user, old_password="zhuli-demo", new_password="Another-pass-2026")
    client = Client()
    client.force_login(user)
    page = client.get("/account/password/").content.decode()
    assert "演示帐户不能修改密码" in page and 'name="new_password"' not in page
    client.post("/account/password/", {"old_password": "zhuli-demo", "new_password": "Another-pass-2026",
                                       "new_password2": "Another-pass-2026"})
    user.refresh_from_db()
    assert user.check_password("zhuli-demo")


def test_other_tenants_still_change_their_password(org):
    user = org["sales1"]
    password_change(user=user, old_password=PASSWORD, new_password="Another-pass-2026")
    user.refresh_from_db()
    assert user.check_password("Another-pass-2026")


def test_the_upload_door_refuses_every_file_in_the_demo(demo_org):
    tenant = demo_org["boss"].tenant
    with tenant_context(tenant):
        with pytest.raises(Conflict, match="演示帐户不能上传文件") as logo:
            check_image(png())
        assert logo.value.field == "logo"
        with pytest.raises(Conflict, match="演示帐户不能上传文件"):
            check_spreadsheet(b"name\n\xe5\xbc\xa0\xe4\xb8\x89\n")


def test_the_logo_page_and_the_import_api_say_so(demo_org):
    admin = demo_org["admin"]
    client = Client()
    client.force_login(admin)
    page = client.post("/settings/company/logo/", {"logo": png()}, follow=True)
    assert "演示帐户不能修改公司资料和功能设置" in page.content.decode()  # the company settings lock comes first
    admin.tenant.refresh_from_db()
    assert admin.tenant.logo == ""
    _row, key = token_create(user=admin)
    upload = io.BytesIO("客户名称\n测试客户\n".encode())
    upload.name = "c.csv"
    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").post("/api/v1/imports/customers", {"file": upload})
    assert response.status_code == 409 and "演示帐户不能上传文件" in response.json()["detail"]
    assert not for_tenant(Customer, admin.tenant).exists()


def test_uploads_still_work_elsewhere(org):
    assert check_image(png()).kind == "png"


def test_nothing_in_the_code_sends_mail_or_messages():
    """No email, SMS or webhook path exists, so a demo visitor cannot send anything outside."""
    root = Path(__file__).resolve().parents[2]
    senders = {"django.core.mail", "smtplib", "urllib.request", "http.client", "requests", "httpx"}
    hits = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            hits += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] in senders or n in senders]
    assert not hits, hits


# ---- reset -------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    tenant = seed_demo(size="small", say=lambda _msg: None)
    return tenant


def test_reset_rebuilds_in_place_and_keeps_logins_sessions_and_tokens(seeded, other_org):
    tenant = seeded
    users = {u.email: u.pk for u in User.objects.filter(tenant=tenant)}
    boss = User.objects.get(email="boss@demo.example.com")
    _row, key = token_create(user=boss)
    session = Client()
    session.force_login(User.objects.get(email="sales1@demo.example.com"))
    # A visitor's mischief: a renamed boss, a new colleague, a changed password, a new customer name.
    User.objects.filter(pk=boss.pk).update(name="恶作剧", is_admin=True)
    with tenant_context(tenant):
        visitor = User.objects.create_user(email="visitor@x.example.com", password="x", name="访客", tenant=tenant)
    token_create(user=visitor)
    User.objects.filter(email="sales2@demo.example.com").update(password="!")
    Tenant.objects.filter(pk=tenant.pk).update(name="改过的名字", max_users=1)
    old_customers = set(for_tenant(Customer, tenant).values_list("pk", flat=True))
    other_users = User.objects.filter(tenant=other_org.tenant).count()

    result = core_demo.demo_reset(size="small")

    assert result["tenant"] == "demo" and result["size"] == "small" and result["created"] is False
    tenant.refresh_from_db()
    assert (tenant.name, tenant.max_users, tenant.kind) == ("助理演示科技有限公司", 50, TenantKind.DEMO)
    assert {u.email: u.pk for u in User.objects.filter(tenant=tenant)} == users
    assert not User.objects.filter(pk=visitor.pk).exists() and not ApiToken.objects.filter(user_id=visitor.pk).exists()
    boss.refresh_from_db()
    assert (boss.name, boss.is_admin) == ("张总", False)
    assert User.objects.get(email="sales2@demo.example.com").check_password("zhuli-demo")
    assert for_tenant(Customer, tenant).count() == 60
    assert not set(for_tenant(Customer, tenant).values_list("pk", flat=True)) & old_customers
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/me").status_code == 200
    assert session.get("/account/tokens/").status_code == 200
    assert User.objects.filter(tenant=other_org.tenant).count() == other_users
    events = for_tenant(AuditEvent, tenant).filter(action="demo.reset")
    assert events.count() == 1 and events.get().changes["size"] == "small"
    token = Client().post("/api/v1/auth/token", {"login": "manager1@demo.example.com", "password": "zhuli-demo"},
                          content_type="application/json")
    assert token.status_code == 200
    # The schedule: not again until demo_reset_hours have passed, then once.
    assert demo_reset_due(timezone.now()) == "not due"
    calls = []
    real = demo_module.demo_reset
    try:
        demo_module.demo_reset = lambda **kw: calls.append(kw) or {"size": "small", "seconds": 0}
        assert demo_reset_due(timezone.now() + datetime.timedelta(hours=25)).startswith("demo reset")
        PlatformSettings.objects.update_or_create(pk=1, defaults={"demo_reset_hours": 48})
        assert demo_reset_due(timezone.now() + datetime.timedelta(hours=25)) == "not due"
        PlatformSettings.objects.update_or_create(pk=1, defaults={"demo_reset_hours": 0})
        assert demo_reset_due(timezone.now() + datetime.timedelta(days=9)) == "demo reset off"
    finally:
        demo_module.demo_reset = real
    assert len(calls) == 1
    assert not mail.outbox


def test_reset_creates_the_demo_when_missing_and_the_job_is_registered(db):
    from zhuli.core.registry import scheduled_jobs

    assert scheduled_jobs.get("demo.reset") is not None
    assert demo_reset_due(timezone.now()) == "no demo tenant"
    result = demo_reset(size="small")
    assert result["created"] is True
    tenant = Tenant.objects.get(code="demo")
    assert tenant.kind == TenantKind.DEMO and for_tenant(Customer, tenant).count() == 60
    assert User.objects.filter(tenant=tenant).count() == 15
