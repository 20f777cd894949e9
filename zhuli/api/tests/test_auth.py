"""Bearer tokens and sessions: who may call the API, and the tenant each request runs in."""
import datetime

from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from conftest import PASSWORD
from zhuli.accounts.models import ApiToken
from zhuli.accounts.services import token_create
from zhuli.api.testing import ApiClient
from zhuli.customers.tests.factories import CustomerFactory
from zhuli.tenancy.context import current_tenant, tenant_context


def test_token_for_email_or_mobile_then_me(org):
    anonymous = ApiClient()
    response = anonymous.post("/auth/token", {"login": "sales1@tenant-a.test", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    me = ApiClient(token=token).get("/me")
    assert me.status_code == 200
    body = me.json()
    assert body == {
        "id": org["sales1"].pk, "name": "王小明", "email": "sales1@tenant-a.test", "mobile": None, "role": "sales",
        "is_admin": False, "department": {"id": org["sales1"].department_id, "name": "销售一部"},
        "tenant": {"code": "tenant-a", "name": "tenant-a公司", "kind": "formal", "status": "active"},
    }
    user = org["sales1"]
    user.mobile = "13800000001"
    user.save(update_fields=["mobile"])
    by_mobile = anonymous.post("/auth/token", {"login": "13800000001", "password": PASSWORD})
    assert by_mobile.status_code == 200 and by_mobile.json()["token"] != token
    # Only the hash is stored.
    assert not ApiToken.objects.filter(key_hash=token).exists()
    assert ApiToken.objects.filter(key_hash=ApiToken.hash(token), user=user).exists()


def test_bad_credentials_401_then_throttled_429(org):
    anonymous = ApiClient()
    response = anonymous.post("/auth/token", {"login": "sales1@tenant-a.test", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["detail"] == "账号或密码不正确"
    for _ in range(5):
        anonymous.post("/auth/token", {"login": "sales1@tenant-a.test", "password": "wrong"})
    throttled = anonymous.post("/auth/token", {"login": "sales1@tenant-a.test", "password": PASSWORD})
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "15 分钟" in throttled.json()["detail"]


def test_token_request_validation_names_fields(db):
    response = ApiClient().post("/auth/token", {"login": 5})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"login", "password"}


def test_missing_or_bad_token_is_401_json(org):
    for client in (ApiClient(), ApiClient(token="zl_not-a-token"), ApiClient(token="x" * 500)):
        response = client.get("/customers")
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
    basic = Client(HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==").get("/api/v1/me")
    assert basic.status_code == 401


def test_revoked_token_stops_working(org):
    client = ApiClient(org["sales1"])
    assert client.get("/me").status_code == 200
    assert client.delete("/auth/token").status_code == 204
    assert client.get("/me").status_code == 401


def test_departed_user_and_suspended_tenant_are_refused(org):
    sales = ApiClient(org["sales1"])
    boss = ApiClient(org["boss"])
    user = org["sales1"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert sales.get("/me").status_code == 401
    assert boss.get("/me").status_code == 200
    org.tenant.status = "suspended"
    org.tenant.save(update_fields=["status"])
    response = boss.get("/me")
    assert response.status_code == 401 and "停用" in response.json()["detail"]


def test_last_used_at_written_at_most_once_a_minute(org):
    client = ApiClient(org["sales1"])
    token = ApiToken.objects.get(user=org["sales1"])
    assert token.last_used_at is None
    client.get("/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(minutes=1)


def test_session_login_works_and_checks_csrf_on_writes(org):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org["sales1"])
    assert browser.get("/api/v1/me").json()["id"] == org["sales1"].pk
    refused = browser.post("/api/v1/customers", {"kind": "enterprise", "name": "会话客户"}, content_type="application/json")
    assert refused.status_code == 403
    # The token a page template would hand to its scripts, and the cookie that goes with it.
    page = RequestFactory().get("/")
    masked = get_token(page)
    browser.cookies["csrftoken"] = page.META["CSRF_COOKIE"]
    accepted = browser.post("/api/v1/customers", {"kind": "enterprise", "name": "会话客户"},
                            content_type="application/json", HTTP_X_CSRFTOKEN=masked)
    assert accepted.status_code == 201, accepted.content


def test_anonymous_write_is_401_not_csrf(db):
    response = Client(enforce_csrf_checks=True).post("/api/v1/customers", {}, content_type="application/json")
    assert response.status_code == 401


def test_each_request_runs_in_its_own_tenant_and_resets_it(org, other_org):
    """The `org` fixture keeps tenant A active; a tenant-B request must neither see A nor leave B behind."""
    CustomerFactory(name="甲方客户", owner=org["sales1"])
    with tenant_context(other_org.tenant):
        CustomerFactory(name="乙方客户", owner=other_org["sales1"])
    b_client = ApiClient(other_org["boss"])
    names = [c["name"] for c in b_client.get("/customers").json()["items"]]
    assert names == ["乙方客户"]
    assert current_tenant() == org.tenant
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()
    # Also after an error inside the request.
    assert b_client.post("/customers", {"kind": "robot", "name": "x"}).status_code == 422
    assert b_client.get("/customers/999999").status_code == 404
    assert current_tenant() == org.tenant


def test_tenant_time_zone_is_used_for_datetimes(org):
    org.tenant.time_zone = "Asia/Tokyo"
    org.tenant.save(update_fields=["time_zone"])
    client = ApiClient(org["sales1"])
    created = client.post("/customers", {"kind": "individual", "name": "东京客户"}).json()
    assert created["created_at"].endswith("+09:00")


def test_token_create_service_keys_are_single_use_secrets(org):
    _row, key = token_create(user=org["boss"])
    assert key.startswith("zl_") and len(key) > 30
    assert ApiClient(token=key).get("/me").json()["role"] == "boss"


def test_a_suspended_company_is_named_only_to_the_right_password(org):
    org.tenant.status = "suspended"
    org.tenant.save(update_fields=["status"])
    anonymous = ApiClient()
    right = anonymous.post("/auth/token", {"login": "boss@tenant-a.test", "password": PASSWORD})
    assert right.status_code == 401 and right.json()["detail"] == "公司帐户已停用，请联系客服"
    wrong = anonymous.post("/auth/token", {"login": "boss@tenant-a.test", "password": "not-the-password"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "账号或密码不正确"
    page = Client().post("/login/", {"login": "boss@tenant-a.test", "password": PASSWORD})
    assert page.status_code == 200 and "公司帐户已停用，请联系客服" in page.content.decode()
    page = Client().post("/login/", {"login": "boss@tenant-a.test", "password": "not-the-password"})
    assert "账号或密码不正确" in page.content.decode() and "公司帐户已停用" not in page.content.decode()
