"""Trial sign-up (issue 5 part 1): POST /api/v1/signup and the /signup/ page. Validation before the
per-address limit, the limit counts successes only, one open trial per login, nothing created on refusal."""
import datetime

import pytest
from django.core import mail
from django.test import Client

from zhuli.accounts.models import TrialSignup, User
from zhuli.accounts.public_views import after_signup_url
from zhuli.audit.models import AuditEvent
from zhuli.customers.models import Pool
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind
from zhuli.tenancy.unscoped import for_tenant

GOOD = {"company": "  杭州云帆科技有限公司 ", "name": "林总", "email": "lin@yunfan.example.com",
        "mobile": "13812345678", "password": "Yunfan-2026!", "accept_terms": True}


def post(data, ip="10.1.1.1", client=None):
    client = client or Client()
    return client.post("/api/v1/signup", data, content_type="application/json", REMOTE_ADDR=ip)


def counts():
    return Tenant.objects.count(), User.objects.count(), TrialSignup.objects.count()


def test_signup_opens_a_trial_with_defaults_and_a_boss(db):
    response = post(GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    tenant = Tenant.objects.get(code=body["tenant"]["code"])
    boss = User.objects.get(pk=body["user"]["id"])
    assert body == {
        "tenant": {"code": tenant.code, "name": "杭州云帆科技有限公司", "kind": "trial", "status": "active",
                   "trial_ends_on": str(tenant.today() + datetime.timedelta(days=15))},
        "user": {"id": boss.pk, "name": "林总", "email": "lin@yunfan.example.com", "mobile": "13812345678"},
    }
    assert (tenant.kind, tenant.max_users, tenant.max_bosses, tenant.signup_ip) == (TenantKind.TRIAL, 10, 2, "10.1.1.1")
    assert (boss.role, boss.is_admin, boss.tenant_id) == ("boss", True, tenant.pk)
    assert for_tenant(DictionaryItem, tenant).exists() and for_tenant(Pool, tenant).exists()
    assert for_tenant(AuditEvent, tenant).filter(action="tenant.signup", ip="10.1.1.1").exists()
    # The new boss logs in to the API with either login.
    for login in ("lin@yunfan.example.com", "13812345678"):
        token = Client().post("/api/v1/auth/token", {"login": login, "password": GOOD["password"]},
                              content_type="application/json")
        assert token.status_code == 200
    me = Client(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}").get("/api/v1/me").json()
    assert me["tenant"]["code"] == tenant.code and me["role"] == "boss"
    assert not mail.outbox  # nothing is sent anywhere


def test_limits_and_trial_length_come_from_platform_settings(db):
    PlatformSettings.objects.update_or_create(pk=1, defaults={"trial_days": 30, "trial_max_users": 4,
                                                              "trial_max_bosses": 1})
    body = post({**GOOD, "email": None}).json()
    tenant = Tenant.objects.get(code=body["tenant"]["code"])
    assert (tenant.max_users, tenant.max_bosses) == (4, 1)
    assert tenant.trial_ends_on == tenant.today() + datetime.timedelta(days=30)
    assert body["user"]["email"] is None and body["user"]["mobile"] == "13812345678"


@pytest.mark.parametrize(("change", "field"), [
    ({"company": "   "}, "company"),
    ({"company": "\u3000\u3000"}, "company"),
    ({"company": "公" * 300}, "company"),
    ({"name": ""}, "name"),
    ({"email": "", "mobile": ""}, "email"),
    ({"email": "not-an-email"}, "email"),
    ({"mobile": "12345"}, "mobile"),
    ({"password": "12345678"}, "password"),
    ({"password": "abc"}, "password"),
    ({"password": "password"}, "password"),
    ({"accept_terms": False}, "accept_terms"),
])
def test_bad_input_is_422_naming_the_field_and_creates_nothing(db, change, field):
    before = counts()
    response = post({**GOOD, **change})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert counts() == before


def test_missing_terms_and_several_errors_are_reported_together(db):
    data = {k: v for k, v in GOOD.items() if k != "accept_terms"}
    response = post({**data, "company": " ", "password": "1234"})
    assert response.status_code == 422
    assert {"company", "password", "accept_terms"} <= set(response.json()["errors"])


def test_a_login_taken_anywhere_on_the_platform_is_a_field_error(org):
    before = counts()
    taken_email = post({**GOOD, "email": org["sales1"].email.upper()})
    assert taken_email.status_code == 422 and "email" in taken_email.json()["errors"]
    org["sales2"].mobile = "13900001111"
    org["sales2"].save(update_fields=["mobile"])
    taken_mobile = post({**GOOD, "mobile": "139-0000-1111"})
    assert taken_mobile.status_code == 422 and "mobile" in taken_mobile.json()["errors"]
    assert counts() == before


def test_one_open_trial_per_login_even_after_the_boss_changed_login(db):
    first = post(GOOD).json()
    boss = User.objects.get(pk=first["user"]["id"])
    boss.email, boss.mobile = "other@yunfan.example.com", None
    boss.save(update_fields=["email", "mobile"])
    before = counts()
    again = post(GOOD, ip="10.9.9.9")
    assert again.status_code == 422
    assert set(again.json()["errors"]) == {"email", "mobile"}
    assert "试用" in again.json()["errors"]["email"][0]
    assert counts() == before
    # Once that trial became a formal account it is no longer an open trial.
    Tenant.objects.filter(code=first["tenant"]["code"]).update(kind=TenantKind.FORMAL)
    assert post(GOOD, ip="10.9.9.9").status_code == 201


def test_the_rate_limit_counts_successes_only_and_comes_after_validation(db):
    PlatformSettings.objects.update_or_create(pk=1, defaults={"signups_per_ip_per_hour": 2})
    ip = "10.2.2.2"
    for n in range(2):
        assert post({**GOOD, "password": "123"}, ip=ip).status_code == 422  # failures do not count
        assert post({**GOOD, "email": f"u{n}@x.example.com", "mobile": f"1370000000{n}"}, ip=ip).status_code == 201
    before = counts()
    third = post({**GOOD, "email": "u3@x.example.com", "mobile": "13700000003"}, ip=ip)
    assert third.status_code == 429
    assert "稍后" in third.json()["detail"] and third.has_header("Retry-After")
    assert counts() == before
    # Bad input is still answered as bad input, not as a rate-limit refusal.
    assert post({**GOOD, "company": ""}, ip=ip).status_code == 422
    # Another address is not affected.
    assert post({**GOOD, "email": "u4@x.example.com", "mobile": "13700000004"}, ip="10.3.3.3").status_code == 201


def test_the_limit_window_is_an_hour(db, monkeypatch):
    from zhuli.accounts import signup

    PlatformSettings.objects.update_or_create(pk=1, defaults={"signups_per_ip_per_hour": 1})
    clock = [2_000_000_000.0]
    monkeypatch.setattr(signup, "_clock", lambda: clock[0])
    assert post(GOOD, ip="10.4.4.4").status_code == 201
    second = {**GOOD, "email": "b@x.example.com", "mobile": "13600000000"}
    assert post(second, ip="10.4.4.4").status_code == 429
    clock[0] += 3601
    assert post(second, ip="10.4.4.4").status_code == 201


def test_malformed_bodies_are_422_not_500(db):
    client = Client()
    assert client.post("/api/v1/signup", "not json", content_type="application/json").status_code in (400, 422)
    assert client.post("/api/v1/signup", [], content_type="application/json").status_code == 422
    assert post({**GOOD, "company": 5}).status_code == 422
    assert post({**GOOD, "accept_terms": "maybe"}).status_code == 422


# ---- the page ----------------------------------------------------------------------------------


def page_data(**change):
    data = {**GOOD, "accept_terms": "on", **change}
    return {k: v for k, v in data.items() if v is not None}


def test_signup_page_logs_in_and_goes_to_setup_or_workbench(db):
    client = Client(REMOTE_ADDR="10.5.5.5")
    page = client.get("/signup/")
    html = page.content.decode()
    assert page.status_code == 200 and "公司名称" in html and 'href="/terms/"' in html
    response = client.post("/signup/", page_data())
    assert response.status_code == 302 and response["Location"] == after_signup_url()
    assert after_signup_url() in ("/setup/", "/")
    user = User.objects.get(email="lin@yunfan.example.com")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/").status_code in (200, 302)


def test_signup_page_shows_errors_inline_and_creates_nothing(db):
    before = counts()
    response = Client().post("/signup/", page_data(company="   ", password="12345678", accept_terms=None))
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写公司名称" in html and "请阅读并同意服务条款" in html and "is-invalid" in html
    assert 'value="林总"' in html  # what was typed stays
    assert counts() == before


def test_signup_page_over_the_limit_says_so(db):
    PlatformSettings.objects.update_or_create(pk=1, defaults={"signups_per_ip_per_hour": 0})
    response = Client(REMOTE_ADDR="10.6.6.6").post("/signup/", page_data())
    assert response.status_code == 429 and "稍后再试" in response.content.decode()
    assert not User.objects.filter(email="lin@yunfan.example.com").exists()


def test_terms_page_and_login_link_are_public(db):
    terms = Client().get("/terms/")
    assert terms.status_code == 200 and "服务条款" in terms.content.decode()
    login = Client().get("/login/").content.decode()
    assert "免费试用" in login and 'href="/signup/"' in login


def test_the_too_short_password_message_is_chinese(db):
    response = post({**GOOD, "password": "Ab1-x"})
    assert response.status_code == 422
    assert "密码太短，至少需要 8 个字符" in str(response.json()["errors"]["password"])


@pytest.mark.parametrize("change", [{"company": "\u200b\u200b"}, {"name": "\u202e\u200b"}, {"company": "\ufeff "}])
def test_invisible_names_are_blank(db, change):
    before = counts()
    response = post({**GOOD, **change})
    assert response.status_code == 422 and set(change) <= set(response.json()["errors"])
    assert counts() == before


def test_a_bidi_override_is_dropped_from_the_company_name(db):
    assert post({**GOOD, "company": "\u202e杭州云帆科技有限公司"}).status_code == 201
    assert Tenant.objects.filter(name="杭州云帆科技有限公司").exists()


@pytest.mark.parametrize("value", ["yes", "true", 1, "on"])
def test_accept_terms_must_be_the_boolean_true(db, value):
    response = post({**GOOD, "accept_terms": value})
    assert response.status_code == 422 and "accept_terms" in response.json()["errors"]
    assert counts() == (0, 0, 0)
