"""Regressions found by trying to break the first build (fresh-user review): each answer is a clear
error naming the field, never a 500 and never a silent oddity."""
import datetime

import pytest
from django.test import Client
from django.utils import timezone

from zhuli.api.testing import ApiClient
from zhuli.customers.models import Contact, Customer
from zhuli.customers.services import customer_create


@pytest.fixture
def api(org):
    return ApiClient(org["sales1"])


@pytest.mark.parametrize("path", ["/customers", "/contacts", "/followups", "/todos", "/users", "/dictionaries"])
@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "-3", "abc"])
def test_absurd_page_numbers_fall_back_instead_of_failing(api, path, page):
    response = api.get(path, page=page)
    assert response.status_code == 200
    assert set(response.json()) == {"items", "count"}


def test_a_name_of_invisible_characters_is_empty(api):
    response = api.post("/customers", {"kind": "enterprise", "name": "\u200b\u200b\ufeff"})
    assert response.status_code == 422 and "name" in response.json()["errors"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("website", ["javascript:alert(1)", "JavaScript:void(0)", "data:text/html,<b>x</b>"])
def test_a_website_cannot_be_a_script_link(api, website):
    response = api.post("/customers", {"kind": "enterprise", "name": "网址测试有限公司", "website": website})
    assert response.status_code == 422 and "website" in response.json()["errors"]


def test_real_world_websites_stay_accepted(org):
    """The shared SZSE list has 'www.xm-my.com.cn; www.300188.cn': odd, but a website, kept as given."""
    saved = customer_create(actor=org.actor("sales1"), data={
        "kind": "enterprise", "name": "两个网址有限公司", "website": "www.xm-my.com.cn; www.300188.cn"}).customer
    assert saved.website == "www.xm-my.com.cn; www.300188.cn"


def test_a_contact_born_in_the_future_is_refused(org, api):
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "联系人生日公司"}).customer
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = api.post("/contacts", {"customer_id": customer.pk, "name": "张三", "birthday": tomorrow})
    assert response.status_code == 422 and "birthday" in response.json()["errors"]
    assert not Contact.objects.exists()


def test_a_followup_in_1900_is_refused(org, api):
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "古老跟进公司"}).customer
    response = api.post("/followups", {"customer_id": customer.pk, "content": "电话", "occurred_at": "1900-01-01T00:00:00"})
    assert response.status_code == 422 and "occurred_at" in response.json()["errors"]


def test_an_unknown_dictionary_is_not_mistaken_for_the_source_list(org):
    client = Client()
    client.force_login(org["admin"])
    response = client.post("/settings/dictionaries/", {"kind": "robot", "name": "不该出现"})
    assert response.status_code == 404
    from zhuli.preferences.models import DictionaryItem

    assert not DictionaryItem.objects.filter(name="不该出现").exists()


def test_an_svg_is_no_spreadsheet(org):
    content = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>a,b</text></svg>'
    response = ApiClient(org["boss"]).client.post("/api/v1/imports/customers", {
        "file": _upload("customers.csv", content)})
    assert response.status_code == 422
    assert "无法识别的文件格式" in response.json()["detail"]


def test_chinese_headers_import_for_a_user_who_reads_english(org):
    boss = org["boss"]
    boss.language = "en"
    boss.save(update_fields=["language"])
    content = "客户名称,电话\n英文界面导入有限公司,010-12345678\n".encode()
    response = ApiClient(boss).client.post("/api/v1/imports/customers", {"file": _upload("c.csv", content)})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_api_refuses_the_other_kinds_fields_instead_of_dropping_them(org, api):
    response = api.post("/customers", {"kind": "enterprise", "name": "手机测试有限公司", "mobile": "13812345678"})
    assert response.status_code == 422 and "mobile" in response.json()["errors"]
    person = api.post("/customers", {"kind": "individual", "name": "王德生", "mobile": "13812345678"})
    assert person.status_code == 201 and person.json()["mobile"] == "13812345678"
    patched = api.patch(f"/customers/{person.json()['id']}", {"website": "www.wang.example"})
    assert patched.status_code == 422 and "website" in patched.json()["errors"]
    assert not Customer.objects.filter(name="手机测试有限公司").exists()


def test_export_refuses_the_filters_the_list_refuses(org):
    client = ApiClient(org["boss"])
    for params in ({"owner": "abc"}, {"department": "x"}, {"next_from": "2026-13-01"}, {"kind": "robot"}):
        response = client.get("/exports/customers", format="csv", **params)
        assert response.status_code == 422, params
        assert set(response.json()["errors"]) == set(params)
        assert client.get("/customers", **params).status_code == 422, params
