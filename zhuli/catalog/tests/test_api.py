"""/api/v1/products and /api/v1/product-categories: shapes, list contract, refusals, queries."""
from __future__ import annotations

import pytest

from zhuli.api.testing import ApiClient
from zhuli.catalog.models import Product
from zhuli.catalog.services import category_create, product_create
from zhuli.tenancy.context import tenant_context


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


def test_create_returns_the_detail_shape(org, api):
    cat = category_create(actor=org.actor("boss"), name="软件")
    r = api("boss").post("/products", {"code": "RJ-1", "name": "CRM 标准版", "kind": "service", "list_price": "19800",
                                       "tax_rate": 6, "category_id": cat.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["code"], body["kind"], body["list_price"], body["tax_rate"], body["cost"]) == (
        "RJ-1", "service", "19800.00", "6.00", None)
    assert body["category"] == {"id": cat.pk, "name": "软件"} and body["unit"] is None and body["is_active"] is True
    assert api("sales1").get(f"/products/{body['id']}").json() == body


@pytest.mark.parametrize("field,value", [("list_price", -1), ("list_price", "1.234"), ("tax_rate", 130),
                                         ("kind", "x"), ("list_price", True), ("unknown", 1)])
def test_bad_fields_are_422_naming_the_field(api, field, value):
    r = api("boss").post("/products", {"code": "A", "name": "B", field: value})
    assert r.status_code == 422, r.content
    assert field in str(r.json())
    assert not Product.objects.exists()


def test_duplicate_code_is_422(org, api):
    product_create(actor=org.actor("boss"), data={"code": "A", "name": "甲"})
    r = api("boss").post("/products", {"code": "A", "name": "乙"})
    assert r.status_code == 422 and "code" in r.json()["errors"]


def test_sales_reads_but_cannot_write(org, api):
    p = product_create(actor=org.actor("boss"), data={"code": "A", "name": "甲"})
    assert api("sales1").post("/products", {"code": "B", "name": "乙"}).status_code == 403
    assert api("sales1").patch(f"/products/{p.pk}", {"name": "x"}).status_code == 403
    assert api("sales1").delete(f"/products/{p.pk}").status_code == 403
    assert api("boss").patch(f"/products/{p.pk}", {"list_price": "12.5"}).json()["list_price"] == "12.50"
    assert api("boss").delete(f"/products/{p.pk}").status_code == 204


def test_other_tenant_is_404(org, other_org, api):
    with tenant_context(other_org.tenant):
        theirs = product_create(actor=other_org.actor("boss"), data={"code": "A", "name": "甲"})
    for call in (lambda: api("boss").get(f"/products/{theirs.pk}"),
                 lambda: api("boss").patch(f"/products/{theirs.pk}", {"name": "x"}),
                 lambda: api("boss").delete(f"/products/{theirs.pk}")):
        assert call().status_code == 404
    assert api("boss").get("/products").json() == {"items": [], "count": 0}


def test_list_contract_filters_sort_and_query_count(org, api, django_assert_max_num_queries):
    boss = org.actor("boss")
    cat = category_create(actor=boss, name="硬件")
    for i in range(25):
        product_create(actor=boss, data={"code": f"P-{i:02}", "name": f"打印机{i}", "list_price": str(100 + i),
                                         "category_id": cat.pk, "unit_id": None, "is_active": i % 5 != 0})
    api("sales1").get("/me")  # the token's last-used write happens once a minute, not on every request
    with django_assert_max_num_queries(5):
        r = api("sales1").get("/products", page_size=10, sort="-list_price")
    body = r.json()
    assert body["count"] == 25 and len(body["items"]) == 10
    assert body["items"][0]["code"] == "P-24" and body["items"][0]["category"] == {"id": cat.pk, "name": "硬件"}
    assert api("sales1").get("/products", active="true", page_size=200).json()["count"] == 20
    assert api("sales1").get("/products", q="dayinji1", page_size=500).json()["count"] == 11
    assert api("sales1").get("/products", price_min="120", price_max="122").json()["count"] == 3
    assert api("sales1").get("/products", price_min="abc").status_code == 422
    pages = [i["id"] for p in (1, 2, 3) for i in api("sales1").get("/products", page=p, page_size=10,
                                                                     sort="category").json()["items"]]
    assert len(set(pages)) == 25


def test_categories_in_tree_order(org, api):
    boss = org.actor("boss")
    soft = category_create(actor=boss, name="软件")
    impl = category_create(actor=boss, name="实施", parent_id=soft.pk)
    body = api("sales1").get("/product-categories").json()
    assert body["count"] == 2
    assert body["items"][1] == {"id": impl.pk, "name": "实施", "parent": {"id": soft.pk, "name": "软件"}, "depth": 1,
                                "order": 0, "path": f"/{soft.pk}/{impl.pk}/"}
