"""Product screens: list with the category tree, forms, detail, categories page, picker, query counts."""
from __future__ import annotations

import pytest
from django.test import Client

from zhuli.catalog.models import Product, ProductCategory
from zhuli.catalog.services import category_create, product_create


@pytest.fixture
def web(org):
    def client(key):
        c = Client()
        c.force_login(org[key])
        return c
    return client


def test_list_with_tree_search_and_query_count(org, web, django_assert_max_num_queries):
    boss = org.actor("boss")
    cat = category_create(actor=boss, name="软件")
    for i in range(30):
        product_create(actor=boss, data={"code": f"P-{i:02}", "name": f"服务器{i}", "category_id": cat.pk})
    client = web("sales1")
    client.get("/products/")
    with django_assert_max_num_queries(14):
        r = client.get("/products/", {"category": cat.pk})
    html = r.content.decode()
    assert r.status_code == 200 and "服务器0" in html and 'data-zl-category' in html and "共 30 个产品" in html
    assert "新建产品" not in html  # sales reads only
    r = client.get("/products/", {"q": "fwq29"})
    assert "服务器29" in r.content.decode() and "服务器28" not in r.content.decode()
    assert client.get("/products/", {"price_min": "x", "page": "abc"}).status_code == 200


def test_create_edit_and_form_errors(org, web):
    client = web("manager1")
    r = client.post("/products/new/", {"code": "A-1", "name": "打印纸", "kind": "physical", "list_price": "1.234",
                                       "tax_rate": "13", "is_active": "on"})
    assert r.status_code == 200 and "金额最多两位小数" in r.content.decode()
    assert not Product.objects.exists()
    r = client.post("/products/new/", {"code": "A-1", "name": "打印纸", "kind": "physical", "list_price": "25",
                                       "tax_rate": "13", "is_active": "on"})
    p = Product.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/products/{p.pk}/"
    assert client.get(f"/products/{p.pk}/").status_code == 200
    r = client.post(f"/products/{p.pk}/edit/", {"code": "A-1", "name": "A4 打印纸", "kind": "physical",
                                                "list_price": "26", "tax_rate": "13"})
    p.refresh_from_db()
    assert r.status_code == 302 and p.name == "A4 打印纸" and not p.is_active
    assert web("sales1").get("/products/new/").status_code == 403
    assert web("sales1").post(f"/products/{p.pk}/delete/").status_code == 403
    assert web("boss").post(f"/products/{p.pk}/delete/").status_code == 302
    assert not Product.objects.exists()


def test_categories_page_and_picker(org, web):
    client = web("boss")
    assert client.post("/products/categories/", {"action": "create", "name": "软件"}).status_code == 302
    soft = ProductCategory.objects.get()
    client.post("/products/categories/", {"action": "create", "name": "实施", "parent_id": soft.pk})
    impl = ProductCategory.objects.get(name="实施")
    assert impl.path == f"/{soft.pk}/{impl.pk}/"
    client.post("/products/categories/", {"action": "move", "category_id": impl.pk, "parent_id": ""})
    impl.refresh_from_db()
    assert impl.depth == 0
    r = client.get("/products/categories/")
    assert r.status_code == 200 and "实施" in r.content.decode()
    product_create(actor=org.actor("boss"), data={"code": "SS-1", "name": "实施服务", "kind": "service",
                                                  "list_price": "5000"})
    product_create(actor=org.actor("boss"), data={"code": "SS-2", "name": "实施旧版", "is_active": False})
    r = web("sales1").get("/products/picker/", {"q": "shishi"})
    html = r.content.decode()
    assert 'data-product-id=' in html and 'data-price="5000.00"' in html and "实施旧版" not in html


def test_another_tenants_category_is_not_found(org, other_org, web):
    from zhuli.tenancy.context import tenant_context

    with tenant_context(other_org.tenant):
        theirs = category_create(actor=other_org.actor("boss"), name="乙方分类")
    client = web("boss")
    for action in ("rename", "move", "delete"):
        r = client.post("/products/categories/", {"action": action, "category_id": theirs.pk, "name": "x"})
        assert r.status_code == 404
    assert client.get("/products/", {"category": theirs.pk}).status_code == 200
    assert "乙方分类" not in client.get("/products/categories/").content.decode()
