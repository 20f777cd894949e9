"""Login, logout, language and the login requirement (foundation issue, part 3)."""
import pytest
from django.test import Client

from conftest import PASSWORD, make_tenant
from zhuli.access.actor import Actor
from zhuli.accounts.orgchart import build_demo_org
from zhuli.accounts.services import user_deactivate

pytestmark = pytest.mark.django_db


def post_login(client, login, password=PASSWORD, **extra):
    return client.post("/login/", {"login": login, "password": password, **extra})


def test_root_redirects_visitors_to_the_chinese_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "登录" in html and "邮箱或手机号" in html and 'lang="zh-hans"' in html


def test_browser_language_does_not_override_chinese_default(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="zh-hans"' in page.content.decode()


def test_every_tenant_page_requires_login(client):
    for url in ("/settings/", "/account/users/", "/account/password/", "/search/?q=a", "/settings/company/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url


def test_login_by_email(org, client):
    response = post_login(client, "sales1@tenant-a.test", next="/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    assert client.session["_auth_user_id"] == str(org["sales1"].pk)


def test_login_by_mobile(org, client):
    user = org["sales2"]
    user.mobile = "13800138000"
    user.save(update_fields=["mobile"])
    response = post_login(client, "13800138000")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_refuses_offsite_next(org, client):
    response = post_login(client, "sales1@tenant-a.test", next="https://evil.example.com/")
    assert response["Location"] == "/"


def test_wrong_password_shows_one_message(org, client):
    response = post_login(client, "sales1@tenant-a.test", "wrong-password")
    assert response.status_code == 200
    assert "账号或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    unknown = post_login(client, "nobody@nowhere.test", "wrong-password")
    assert "账号或密码不正确" in unknown.content.decode()


def test_five_failures_throttle_the_login(org, client):
    for _ in range(5):
        post_login(client, "sales1@tenant-a.test", "wrong-password")
    response = post_login(client, "sales1@tenant-a.test")  # even the right password now waits
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_departed_user_cannot_log_in(org, client):
    user_deactivate(actor=org.actor("admin"), user_id=org["sales3"].pk)
    response = post_login(client, "sales3@tenant-a.test")
    assert "账号或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_departed_user_loses_running_session(org, client):
    client.force_login(org["sales3"])
    user_deactivate(actor=org.actor("admin"), user_id=org["sales3"].pk)
    assert client.get("/settings/")["Location"].startswith("/login/")


def test_logout_needs_post_and_ends_the_session(org, client):
    client.force_login(org["sales1"])
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_posts_need_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["sales1"])
    assert client.post("/logout/").status_code == 403
    page = client.get("/account/password/")
    token = page.cookies["csrftoken"].value
    assert "X-CSRFToken" in page.content.decode()  # htmx sends it from <body hx-headers>
    assert client.post("/logout/", HTTP_X_CSRFTOKEN=token).status_code == 302


def test_demo_entry_buttons_only_when_the_demo_tenant_exists(db, client):
    html = client.get("/login/").content.decode()
    assert "演示帐户暂未开通" in html and 'name="role"' not in html
    tenant = make_tenant("demo", name="演示公司", kind="demo")
    build_demo_org(tenant, domain="demo.example.com", password="zhuli-demo")
    html = client.get("/login/").content.decode()
    assert "体验演示帐户" in html and "zhuli-demo" in html and "boss@demo.example.com" in html
    assert 'name="role" value="sales"' in html and "/demo/enter/" in html


def test_language_switch_is_kept_on_the_user(org, client):
    client.force_login(org["sales1"])
    response = client.post("/language/", {"language": "en", "next": "/account/password/"})
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    org["sales1"].refresh_from_db()
    assert org["sales1"].language == "en"
    assert 'lang="en"' in client.get("/account/password/").content.decode()
    # Another device (no cookie) still gets the user's language.
    other = Client()
    other.force_login(org["sales1"])
    assert 'lang="en"' in other.get("/account/password/").content.decode()
    client.post("/language/", {"language": "zh-hans"})
    org["sales1"].refresh_from_db()
    assert org["sales1"].language == "zh-hans"


def test_language_switch_refuses_unknown_languages(org, client):
    client.force_login(org["sales1"])
    client.post("/language/", {"language": "xx"})
    org["sales1"].refresh_from_db()
    assert org["sales1"].language == ""


def test_anonymous_language_switch_sets_cookie(client):
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response.cookies["django_language"].value == "en"
    assert 'lang="en"' in client.get("/login/").content.decode()


def test_platform_staff_without_tenant_get_403_on_tenant_pages(db, client):
    from zhuli.accounts.models import User

    staff = User.objects.create_superuser("ops@platform.test", PASSWORD)
    client.force_login(staff)
    assert client.get("/settings/").status_code == 403


def test_actor_on_request(org, rf):
    from zhuli.web.middleware import ActorMiddleware

    seen = {}

    def view(request):
        seen["actor"] = request.actor
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/anything/")
    request.user = org["manager1"]
    request.COOKIES = {}
    ActorMiddleware(view)(request)
    assert isinstance(seen["actor"], Actor) and seen["actor"].user_id == org["manager1"].pk
