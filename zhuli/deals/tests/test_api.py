from decimal import Decimal

import pytest
from django.test import Client

from zhuli.api.testing import ApiClient
from zhuli.deals import services
from zhuli.deals.models import Agreement
from zhuli.deals.tests.conftest import make_customer, make_won

ROW_FIELDS = {"id", "kind", "number", "title", "status", "customer", "opportunity", "owner", "sign_date",
              "start_date", "end_date", "currency", "exchange_rate", "foreign_amount", "amount", "received_amount",
              "outstanding_amount", "invoiced_amount", "planned_amount", "shipping_state", "created_at"}


@pytest.fixture
def api(org):
    return ApiClient(org["sales1"])


def test_create_contract_returns_the_detail(org, api, customer, service_product):
    r = api.post("/contracts", {"customer_id": customer.pk, "title": "年度服务合同", "sign_date": "2026-12-01",
                                "start_date": "2027-01-01", "end_date": "2027-12-31", "currency": "USD",
                                "exchange_rate": "7.1", "lines": [{"product_id": service_product.pk, "quantity": 2},
                                                                  {"name": "培训", "unit_price": "100.5"}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(ROW_FIELDS) <= set(body)
    assert body["kind"] == "contract" and body["status"] == "draft" and body["shipping_state"] is None
    assert body["foreign_amount"] == "10100.50" and body["amount"] == "71713.55" and body["exchange_rate"] == "7.100000"
    assert body["outstanding_amount"] == "71713.55" and body["received_amount"] == "0.00"
    assert body["owner"] == {"id": org["sales1"].pk, "name": org["sales1"].name}
    assert body["customer"] == {"id": customer.pk, "name": customer.name}
    assert [line["amount"] for line in body["lines"]] == ["10000.00", "100.50"]
    assert body["lines"][0]["product"]["id"] == service_product.pk


@pytest.mark.parametrize("payload, field", [
    ({"amount": "-5"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"amount": True}, "amount"),
    ({"lines": [{"name": "x", "unit_price": "1", "tax_rate": "130"}]}, "lines.1.tax_rate"),
    ({"currency": "USD", "exchange_rate": "-1"}, "exchange_rate"),
    ({"shipping_state": "shipped"}, "shipping_state"),
    ({"received_amount": "100"}, "received_amount"),
    ({"delivery_address": "x"}, "delivery_address"),
])
def test_bad_contract_bodies_are_422_naming_the_field(api, customer, payload, field):
    r = api.post("/contracts", {"customer_id": customer.pk, "title": "x", **payload})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"], r.json()
    assert not Agreement.objects.exists()


def test_a_huge_line_quantity_is_a_422_on_the_quantity(org, api, customer, physical_product):
    r = api.post("/orders", {"customer_id": customer.pk, "title": "采购", "sign_date": "2026-12-01",
                             "lines": [{"product_id": physical_product.pk, "quantity": "1e30"}]})
    assert r.status_code == 422
    assert "数量过大" in str(r.json()["errors"]["lines.1.quantity"])
    assert not Agreement.objects.exists()


def test_order_lifecycle_over_the_api(org, api, customer, physical_product):
    r = api.post("/orders", {"customer_id": customer.pk, "title": "采购", "sign_date": "2026-12-01",
                             "delivery_address": "杭州市西湖区", "lines": [{"product_id": physical_product.pk,
                                                                          "quantity": "3", "discount": "10"}]})
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["amount"] == "1077.30" and order["shipping_state"] == "none"
    oid = order["id"]
    assert api.post(f"/orders/{oid}/submit").json()["status"] == "confirmed"
    r = api.patch(f"/orders/{oid}", {"lines": [{"product_id": physical_product.pk, "quantity": "1"}]})
    assert r.status_code == 409 and r.json()["errors"] == {"lines": [r.json()["detail"]]}
    assert api.patch(f"/orders/{oid}", {"delivery_phone": "0571-1234"}).json()["delivery_phone"] == "0571-1234"
    assert api.post(f"/orders/{oid}/approve", {}).status_code == 409  # nothing pending
    assert api.post(f"/orders/{oid}/cancel", {"reason": "客户取消"}).json()["status"] == "cancelled"
    assert api.get(f"/contracts/{oid}").status_code == 404  # an order is not a contract
    assert api.post(f"/orders/{oid}/terminate", {}).status_code in (404, 405)


def test_editing_an_active_contracts_amount_is_409_naming_the_field(api, customer):
    cid = api.post("/contracts", {"customer_id": customer.pk, "title": "x", "sign_date": "2026-12-01",
                                  "amount": "500"}).json()["id"]
    api.post(f"/contracts/{cid}/submit")
    r = api.patch(f"/contracts/{cid}", {"amount": "600"})
    assert r.status_code == 409 and "amount" in r.json()["errors"]
    assert Agreement.objects.get(pk=cid).amount == Decimal("500.00")


def test_opportunity_convert_once_then_409_with_the_existing_one(org, api, customer):
    opp = make_won(org, customer)
    r = api.post(f"/opportunities/{opp.pk}/convert", {"kind": "order"})
    assert r.status_code == 201 and r.json()["opportunity"]["id"] == opp.pk
    again = api.post(f"/opportunities/{opp.pk}/convert", {"kind": "contract"})
    assert again.status_code == 409
    assert again.json()["existing"] == {"id": r.json()["id"], "number": r.json()["number"], "kind": "order"}
    assert api.post(f"/opportunities/{opp.pk}/convert", {"kind": "both"}).status_code == 422


def test_scopes_sales_own_finance_all(org, customer):
    services.agreement_create(actor=org.actor("sales1"), kind="contract",
                              data={"customer_id": customer.pk, "title": "一号的合同", "amount": "10"})
    theirs = make_customer(org, "sales4", "四号客户")
    other = services.agreement_create(actor=org.actor("sales4"), kind="contract",
                                      data={"customer_id": theirs.pk, "title": "四号的合同", "amount": "10"})
    sales1 = ApiClient(org["sales1"])
    assert [r["title"] for r in sales1.get("/contracts").json()["items"]] == ["一号的合同"]
    assert sales1.get(f"/contracts/{other.pk}").status_code == 404
    assert sales1.patch(f"/contracts/{other.pk}", {"title": "x"}).status_code == 404
    finance = ApiClient(org["finance"])
    assert finance.get("/contracts").json()["count"] == 2
    assert ApiClient(org["manager1"]).get("/contracts").json()["count"] == 1  # 销售一部 only
    assert ApiClient(org["boss"]).get("/contracts?owner=me").json()["count"] == 0


def test_list_filters_and_sort(org, api, customer):
    for title, amount, sign in (("甲", "100", "2026-01-05"), ("乙", "300", "2026-02-05"), ("丙", "200", "2026-03-05")):
        api.post("/contracts", {"customer_id": customer.pk, "title": title, "amount": amount, "sign_date": sign})
    assert [r["title"] for r in api.get("/contracts", sort="amount").json()["items"]] == ["甲", "丙", "乙"]
    assert api.get("/contracts", amount_min="150", amount_max="250").json()["count"] == 1
    assert api.get("/contracts", sign_from="2026-02-01").json()["count"] == 2
    assert api.get("/contracts", q="HT-").json()["count"] == 3
    assert api.get("/contracts", q="乙").json()["items"][0]["title"] == "乙"
    assert api.get("/contracts", status="draft", page_size=1).json() == {
        "items": api.get("/contracts", status="draft", page_size=1).json()["items"], "count": 3}
    assert api.get("/contracts", amount_min="NaN").status_code == 422


def test_list_query_count_does_not_grow(org, api, customer, django_assert_max_num_queries):
    for i in range(3):
        api.post("/contracts", {"customer_id": customer.pk, "title": f"合同{i}", "amount": "10"})
    api.get("/contracts")
    with django_assert_max_num_queries(12) as few:
        assert api.get("/contracts").status_code == 200
    pinned = len(few)  # read now: later requests reset the connection's query log
    for i in range(15):
        api.post("/contracts", {"customer_id": customer.pk, "title": f"更多{i}", "amount": "10"})
    with django_assert_max_num_queries(pinned):
        assert api.get("/contracts").json()["count"] == 18


def test_quotes_over_the_api(org, api, customer, physical_product):
    r = api.post("/quotes", {"customer_id": customer.pk, "title": "报价",
                             "lines": [{"product_id": physical_product.pk, "quantity": "2"}]})
    assert r.status_code == 201 and r.json()["total"] == "798.00" and r.json()["number"].startswith("BJ-")
    qid = r.json()["id"]
    assert api.patch(f"/quotes/{qid}", {"status": "sent"}).json()["status"] == "sent"
    assert api.patch(f"/quotes/{qid}", {"customer_id": make_customer(org, name="别的客户").pk}).status_code == 422
    converted = api.post(f"/quotes/{qid}/convert", {"kind": "order"})
    assert converted.status_code == 201 and converted.json()["lines"][0]["amount"] == "798.00"
    assert api.get(f"/quotes/{qid}").json()["status"] == "converted"
    assert api.delete(f"/quotes/{qid}").status_code in (403, 409)


def test_exports_use_the_list_filters(org, api, customer):
    api.post("/contracts", {"customer_id": customer.pk, "title": "=1+1 合同", "amount": "10"})
    r = ApiClient(org["boss"]).get("/exports/contracts", format="csv")
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig") if r.streaming else r.content.decode("utf-8-sig")
    assert "'=1+1 合同" in text and "10.00" in text
    assert ApiClient(org["sales1"]).get("/exports/contracts", format="csv").status_code == 403  # sales: no export


def test_the_session_works_for_the_product_picker(org, customer):
    client = Client()
    client.force_login(org["sales1"])
    assert client.get("/api/v1/contracts").status_code == 200


def test_a_big_contract_walks_the_default_approval_rule(org, customer):
    from zhuli.approvals.services import approval_rules_install_defaults

    approval_rules_install_defaults(tenant=org.tenant)
    sales1, manager1, boss = ApiClient(org["sales1"]), ApiClient(org["manager1"]), ApiClient(org["boss"])
    cid = sales1.post("/contracts", {"customer_id": customer.pk, "title": "大单", "sign_date": "2026-12-01",
                                     "amount": "200000"}).json()["id"]
    assert sales1.post(f"/contracts/{cid}/submit").json()["status"] == "pending"
    assert sales1.patch(f"/contracts/{cid}", {"title": "审批中改名"}).status_code == 409
    own = sales1.post(f"/contracts/{cid}/approve", {})
    assert own.status_code == 409 and Agreement.objects.get(pk=cid).status == "pending"
    assert manager1.post(f"/contracts/{cid}/approve", {"comment": "同意"}).json()["status"] == "pending"
    assert boss.post(f"/contracts/{cid}/approve", {}).json()["status"] == "active"
    page = Client()
    page.force_login(org["boss"])
    html = page.get(f"/contracts/{cid}/").content.decode()
    assert "data-zl-approvals" in html and "同意" in html


def test_a_rejected_order_goes_back_to_draft(org, customer, physical_product):
    from zhuli.approvals.services import approval_rules_install_defaults

    approval_rules_install_defaults(tenant=org.tenant)
    sales1 = ApiClient(org["sales1"])
    oid = sales1.post("/orders", {"customer_id": customer.pk, "title": "大折扣", "sign_date": "2026-12-01",
                                  "lines": [{"product_id": physical_product.pk, "discount": "30"}]}).json()["id"]
    assert sales1.post(f"/orders/{oid}/submit").json()["status"] == "pending"
    r = ApiClient(org["manager1"]).post(f"/orders/{oid}/reject", {"comment": "折扣太大"})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert sales1.post(f"/orders/{oid}/submit").json()["status"] == "pending"
    assert sales1.post(f"/orders/{oid}/withdraw").json()["status"] == "draft"
