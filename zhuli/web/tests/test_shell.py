"""The shell: menu, error mapping, global search, escaping, error pages."""
import json

import pytest

from zhuli.core.errors import Forbidden, InvalidInput, NotFound
from zhuli.core.registry import MenuEntry, menu_entries, search_providers
from zhuli.web.errors import form_errors_from
from zhuli.web.tests.helpers import HOSTILE, HOSTILE_ESCAPED

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    calls = []

    def find(actor, q, limit):
        calls.append((actor.user_id, q, limit))
        return [{"label": HOSTILE, "url": "/customers/1/", "hint": "客户 · 王小明"},
                {"label": "坏链接", "url": "javascript:alert(1)", "hint": ""},
                {"label": "外站", "url": "//evil.example.com/", "hint": ""}]

    search_providers.register("test-provider", find)
    yield calls
    search_providers.entries.pop("test-provider", None)


def test_search_renders_provider_results_escaped(org, client, provider):
    client.force_login(org["sales1"])
    response = client.get("/search/", {"q": "测试"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert provider == [(org["sales1"].pk, "测试", 8)]
    assert HOSTILE_ESCAPED in html and HOSTILE not in html
    assert 'href="/customers/1/"' in html
    assert "javascript:" not in html and "evil.example.com" not in html
    assert "<html" not in html  # a fragment for the dropdown


def test_search_without_htmx_is_a_full_page(org, client, provider):
    client.force_login(org["sales1"])
    html = client.get("/search/", {"q": "测试"}).content.decode()
    assert "<html" in html and HOSTILE_ESCAPED in html


def test_empty_search_asks_no_provider(org, client, provider):
    client.force_login(org["sales1"])
    response = client.get("/search/", {"q": "  "}, HTTP_HX_REQUEST="true")
    assert provider == [] and response.content.decode().strip() == ""


def test_search_says_when_nothing_matched(org, client):
    client.force_login(org["sales1"])
    html = client.get("/search/", {"q": "<b>x</b>"}, HTTP_HX_REQUEST="true").content.decode()
    assert "没有找到" in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_menu_follows_module_permissions_and_admin_flag(org, client):
    menu_entries.register("test-customers", MenuEntry("测试客户菜单", "web:search", "people", module="customers"))
    try:
        client.force_login(org["keeper"])  # keepers have no customers module by default
        html = client.get("/account/password/").content.decode()
        assert "测试客户菜单" not in html and 'href="/settings/"' not in html
        client.force_login(org["sales1"])
        html = client.get("/account/password/").content.decode()
        assert "测试客户菜单" in html and 'href="/settings/"' not in html
        client.force_login(org["admin"])
        html = client.get("/account/password/").content.decode()
        assert 'href="/settings/"' in html
    finally:
        menu_entries.entries.pop("test-customers", None)


def test_layout_escapes_hostile_company_and_user_names(org, client):
    org.tenant.name = HOSTILE
    org.tenant.save(update_fields=["name"])
    org["admin"].name = HOSTILE
    org["admin"].save(update_fields=["name"])
    client.force_login(org["admin"])
    for url in ("/settings/", "/account/users/", "/account/password/"):
        html = client.get(url).content.decode()
        assert HOSTILE not in html, url
        assert HOSTILE_ESCAPED in html, url


def test_layout_has_no_inline_handlers_or_scripts(org, client):
    client.force_login(org["admin"])
    import re

    for url in ("/settings/", "/settings/company/", "/settings/permissions/", "/settings/dictionaries/",
                "/account/users/", "/account/departments/", "/account/tokens/", "/login/"):
        html = client.get(url).content.decode()
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
        assert "style=" not in html, url


@pytest.mark.urls("zhuli.web.tests.urls_errors")
class TestErrorMapping:
    def test_not_found_is_the_404_page(self, org, client):
        client.force_login(org["sales1"])
        response = client.get("/__t/not-found/")
        assert response.status_code == 404 and "页面不存在" in response.content.decode()

    def test_forbidden_is_the_403_page_with_the_message(self, org, client):
        client.force_login(org["sales1"])
        response = client.get("/__t/forbidden/")
        assert response.status_code == 403 and "不许看" in response.content.decode()

    def test_other_errors_go_back_with_a_message(self, org, client):
        client.force_login(org["sales1"])
        response = client.post("/__t/conflict/", HTTP_REFERER="http://testserver/account/password/")
        assert response.status_code == 302 and response["Location"] == "http://testserver/account/password/"
        page = client.get(response["Location"])
        assert "已被别人领取" in page.content.decode()

    def test_offsite_referer_is_ignored(self, org, client):
        client.force_login(org["sales1"])
        response = client.post("/__t/conflict/", HTTP_REFERER="https://evil.example.com/")
        assert response["Location"] == "/__t/conflict/"

    def test_get_without_referer_shows_an_error_page(self, org, client):
        client.force_login(org["sales1"])
        response = client.get("/__t/conflict/")
        assert response.status_code == 400 and "已被别人领取" in response.content.decode()

    def test_htmx_gets_text_with_the_status(self, org, client):
        client.force_login(org["sales1"])
        for url, status, text in (("/__t/conflict/", 409, "已被别人领取"), ("/__t/forbidden/", 403, "不许看"),
                                  ("/__t/not-found/", 404, "记录不存在")):
            response = client.post(url, HTTP_HX_REQUEST="true")
            assert response.status_code == status
            assert response["Content-Type"].startswith("text/plain")
            assert text in response.content.decode()

    def test_form_errors_land_next_to_fields(self, org, client):
        client.force_login(org["sales1"])
        response = client.post("/__t/form/", {"name": "x"})
        body = response.content.decode()
        errors = json.loads(body[body.index("{"):])
        assert errors["name"][0]["message"] == "名称已存在"
        assert errors["owner"][0]["message"] == "负责人不存在"
        assert errors["__all__"][0]["message"] == "整体错误"


def test_form_errors_from_reraises_not_found_and_forbidden():
    from django import forms

    class F(forms.Form):
        name = forms.CharField()

    form = F({"name": "x"})
    form.is_valid()
    for exc in (NotFound("x"), Forbidden("y")):
        with pytest.raises(type(exc)):
            form_errors_from(exc, form)
    form_errors_from(InvalidInput({"unknown": "未知字段的错误"}), form)
    assert form.non_field_errors() == ["未知字段的错误"]


def test_unknown_url_renders_the_404_page(org, client):
    client.force_login(org["sales1"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_500_page_renders_without_a_request_context(rf):
    from zhuli.web.errors import handler500

    response = handler500(rf.get("/"))
    assert response.status_code == 500 and "服务器出错了" in response.content.decode()
