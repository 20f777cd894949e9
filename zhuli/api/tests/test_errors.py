"""The one error mapping: every failure is JSON with a message, and client input never causes a 500."""
import pytest

from zhuli.api.errors import validation_errors
from zhuli.api.testing import ApiClient
from zhuli.tenancy.context import current_tenant


@pytest.fixture
def sales(org):
    return ApiClient(org["sales1"])


def test_malformed_json_is_400_with_a_message(sales):
    response = sales.post("/customers", raw="{not json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容不是有效的 JSON"}
    response = sales.post("/customers", raw=b"\xff\xfe")
    assert response.status_code == 400


def test_body_of_the_wrong_shape_is_422(sales):
    for raw in ("[]", "42", '"text"', "null"):
        response = sales.post("/customers", raw=raw)
        assert response.status_code == 422, raw
        assert response.json()["errors"]


def test_schema_errors_name_each_field_in_chinese(sales):
    response = sales.post("/customers", {"kind": "robot", "birthday": "2020-13-45", "source_id": "abc",
                                         "tags": 5})
    assert response.status_code == 422
    body = response.json()
    first, messages = next(iter(body["errors"].items()))
    assert body["code"] == "schema" and body["detail"] == f"{first}：{messages[0]}"  # one shape for every 422
    errors = body["errors"]
    assert set(errors) == {"kind", "name", "birthday", "source_id", "tags"}
    assert errors["name"] == ["此项为必填项"]
    assert "enterprise" in errors["kind"][0]
    assert errors["birthday"] == ["日期格式应为 YYYY-MM-DD"]


def test_service_errors_keep_their_status_and_fields(sales):
    response = sales.post("/customers", {"kind": "individual", "name": "   ", "email": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"]["name"] == ["客户名称不能为空"]
    assert body["detail"] == "客户名称不能为空"


def test_huge_ids_and_strange_query_values_are_not_500s(sales):
    for path in ("/customers/99999999999999999999999999", "/contacts/18446744073709551616", "/users/0"):
        assert sales.get(path).status_code == 404, path
    response = sales.get("/customers", department="99999999999999999999999", owner="abc")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"department", "owner"}
    assert sales.get("/customers", q="\x00%_'\"\\").status_code == 200
    assert sales.post("/followups", {"customer_id": 1, "content": "x", "occurred_at": "9999-12-31T23:59:59"}
                      ).status_code == 422


def test_unknown_api_paths_answer_json_404(sales):
    response = sales.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["detail"]
    not_a_number = sales.get("/customers/not-a-number")
    assert not_a_number.status_code == 404 and not_a_number.json()["detail"]


def test_wrong_method_is_405(sales):
    assert sales.client.put("/api/v1/customers", "{}", content_type="application/json").status_code == 405


def test_a_bug_is_a_json_500_and_the_tenant_is_still_reset(org, sales, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("zhuli.customers.api.customer_list", broken)
    response = sales.get("/customers")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器出错了，请稍后再试"}
    assert current_tenant() == org.tenant


def test_validation_field_names_from_locations():
    errors = validation_errors([
        {"type": "missing", "loc": ("body", "payload", "name")},
        {"type": "int_parsing", "loc": ("body", "payload", "customer_ids", 3)},
        {"type": "int_parsing", "loc": ("query", "department")},
        {"type": "model_type", "loc": ("body", "payload")},
        {"type": "missing", "loc": ("body", "payload", "name")},
    ])
    assert errors == {"name": ["此项为必填项"], "customer_ids": ["应为整数"], "department": ["应为整数"],
                      "__all__": ["请求内容应为 JSON 对象"]}
