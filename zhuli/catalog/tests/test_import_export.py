"""Products through the customers' importer (POST /api/v1/imports/products, the wizard) and exporter."""
from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhuli.api.testing import BASE, ApiClient
from zhuli.catalog.models import Product, ProductCategory
from zhuli.catalog.services import category_create, product_create
from zhuli.imports.tests.helpers import csv_bytes
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import tenant_context

HEADER = ["产品编码", "产品名称", "规格型号", "产品分类", "单位", "产品类型", "标准价格", "成本价", "税率", "启用"]


def post(api: ApiClient, rows, **fields):
    content = csv_bytes([HEADER, *rows])
    return api.client.post(f"{BASE}/imports/products", {"file": SimpleUploadedFile("产品.csv", content), **fields})


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_import_creates_categories_units_and_reports_bad_rows(org):
    product_create(actor=org.actor("boss"), data={"code": "OLD-1", "name": "旧产品", "list_price": "10"})
    api = ApiClient(org["manager1"])
    r = post(api, [
        ["RJ-1", "CRM 标准版", "10用户", "软件/CRM", "套", "服务", "9800", "3000", "6", "是"],
        ["RJ-2", "CRM 专业版", "", "软件 > CRM", "", "服务", "19800.50", "", "6%", ""],
        ["YJ-1", "打印机", "A4", "硬件", "台台", "实物", "1.234", "", "13", ""],
        ["YJ-2", "扫描仪", "", "", "", "数字", "100", "", "13", ""],
        ["YJ-3", "投影仪", "", "", "", "", "100", "", "130", ""],
        ["OLD-1", "旧产品改名", "", "", "", "", "20", "", "", ""],
        ["RJ-1", "重复行", "", "", "", "", "1", "", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],
    ])
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["skipped"]) == (2, 2)
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(4, "标准价格"), (5, "产品类型"), (6, "税率")}
    soft = ProductCategory.objects.get(name="软件")
    crm = ProductCategory.objects.get(name="CRM")
    assert crm.parent_id == soft.pk and crm.path == f"/{soft.pk}/{crm.pk}/"
    one, two = Product.objects.get(code="RJ-1"), Product.objects.get(code="RJ-2")
    assert (one.category_id, two.category_id, one.kind, str(two.list_price), str(two.tax_rate)) == (
        crm.pk, crm.pk, "service", "19800.50", "6.00")
    assert one.unit == DictionaryItem.objects.get(kind=DictionaryKind.PRODUCT_UNIT, name="套")
    assert Product.objects.get(code="OLD-1").name == "旧产品"
    r = post(api, [["OLD-1", "旧产品改名", "", "", "", "", "20", "", "", "否"]], on_duplicate="update")
    old = Product.objects.get(code="OLD-1")
    assert r.json()["updated"] == 1 and (old.name, str(old.list_price), old.is_active) == ("旧产品改名", "20.00", False)
    r = post(api, [["OLD-1", "再来一个", "", "", "", "", "20", "", "", ""]], on_duplicate="create")
    assert r.json()["created"] == 0 and r.json()["errors"][0]["column"] == "产品编码"


def test_dry_run_changes_nothing_and_sales_may_not_import(org):
    r = post(ApiClient(org["boss"]), [["A", "甲", "", "新分类", "", "", "1", "", "", ""]], dry_run="true")
    assert r.json()["created"] == 1
    assert not Product.objects.exists() and not ProductCategory.objects.exists()
    assert post(ApiClient(org["sales1"]), [["A", "甲", "", "", "", "", "1", "", "", ""]]).status_code == 403


def test_export_follows_the_list_filters_and_neutralises_formulas(org, other_org):
    boss = org.actor("boss")
    soft = category_create(actor=boss, name="软件")
    impl = category_create(actor=boss, name="实施", parent_id=soft.pk)
    product_create(actor=boss, data={"code": "S-1", "name": "=实施服务", "kind": "service", "category_id": impl.pk,
                                     "list_price": "5000"})
    product_create(actor=boss, data={"code": "H-1", "name": "硬盘", "list_price": "300"})
    with tenant_context(other_org.tenant):
        product_create(actor=other_org.actor("boss"), data={"code": "X-1", "name": "乙方产品"})
    r = ApiClient(org["finance"]).get("/exports/products", format="csv", kind="service")
    rows = csv_rows(r)
    assert rows[0][:4] == ["产品编码", "产品名称", "规格型号", "产品分类"]
    assert rows[1][:4] == ["S-1", "'=实施服务", "", "软件/实施"] and len(rows) == 2
    assert ApiClient(org["sales1"]).get("/exports/products", format="csv").status_code == 403
    assert ApiClient(org["boss"]).get("/exports/products", format="csv", price_min="x").status_code == 422
    web = Client()
    web.force_login(org["boss"])
    rows = csv_rows(web.get("/imports/export/products/", {"format": "csv"}))
    assert {r[0] for r in rows[1:]} == {"S-1", "H-1"}
    assert web.get("/imports/template/products/").status_code == 200
    assert "导入产品" in web.get("/imports/", {"resource": "products"}).content.decode()
