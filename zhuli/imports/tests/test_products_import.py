"""Products through the web wizard with real xlsx files: percent cells, category paths, codes."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhuli.catalog.models import Product, ProductCategory
from zhuli.catalog.services import category_create, product_create
from zhuli.imports.models import ImportJob

from .helpers import xlsx

HEADER = ["产品编码", "产品名称", "产品分类", "标准价格", "税率"]


@pytest.fixture
def boss_client(client, org):
    client.force_login(org["boss"])
    return client


def wizard(client, content: bytes, on_duplicate: str = "skip") -> tuple[ImportJob, ImportJob]:
    """Upload → mapping (the automatic one) → preview → 确认导入; (the preview, the real import)."""
    response = client.post(reverse("imports:upload"), {
        "resource": "products", "file": SimpleUploadedFile("产品.xlsx", content), "on_duplicate": on_duplicate})
    preview = ImportJob.objects.latest("pk")
    assert response.status_code == 302 and preview.resource == "products"
    form = {f"col_{index}": name for index, name in preview.mapping.items()}
    response = client.post(reverse("imports:mapping", args=[preview.pk]), {**form, "on_duplicate": on_duplicate})
    assert response.status_code == 302
    client.post(reverse("imports:confirm", args=[preview.pk]))
    preview.refresh_from_db()
    return preview, ImportJob.objects.exclude(pk=preview.pk).latest("pk")


def test_percent_formatted_tax_cells_are_percentages(boss_client):
    rates = [0.13, 0.06, 0.09, 0.03, 0.01]
    rows = [HEADER, *[[f"T{i}", f"产品{i}", "", 100, rate] for i, rate in enumerate(rates, start=1)],
            ["T6", "产品6", "", 100, "13%"], ["T7", "产品7", "", 100, 13], ["T8", "产品8", "", 100, 0]]
    # What Excel stores when 13% is typed: the fraction, shown with a percent format.
    content = xlsx(rows, number_formats={f"E{n}": "0%" for n in range(2, 7)})
    preview, job = wizard(boss_client, content)
    assert (preview.counts["created"], preview.counts["failed"]) == (8, 0)
    assert (job.counts["created"], job.counts["failed"]) == (8, 0), job.errors
    stored = dict(Product.objects.values_list("code", "tax_rate"))
    assert stored == {"T1": Decimal("13.00"), "T2": Decimal("6.00"), "T3": Decimal("9.00"), "T4": Decimal("3.00"),
                      "T5": Decimal("1.00"), "T6": Decimal("13.00"), "T7": Decimal("13.00"), "T8": Decimal("0.00")}


def test_a_refused_row_leaves_no_categories_behind(boss_client, org):
    product_create(actor=org.actor("boss"), data={"code": "OLD", "name": "旧产品"})
    rows = [
        HEADER,
        ["D1", "太深", "深1/深2/深3/深4/深5/深6/深7", 100, 13],
        ["L1", "编码太长", "共用/子类", 100, 13],  # refused by the service after its categories were made
        ["OLD", "强制重复", "重复/子类", 100, 13],  # refused as a forced duplicate
        ["G1", "好产品", "共用/子类", 100, 13],  # the same path as the refused row: created once, here
        ["G2", "好产品二", "共用 > 子类", 100, 13],
    ]
    rows[2][0] = "X" * 41
    preview, job = wizard(boss_client, xlsx(rows), on_duplicate="create")
    assert (preview.counts["created"], preview.counts["failed"]) == (2, 3)
    assert (job.counts["created"], job.counts["failed"]) == (2, 3)
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "产品分类"), (3, "产品编码"), (4, "产品编码")}
    assert next(e["message"] for e in job.errors if e["row"] == 2) == "分类最多 6 层"
    assert not ProductCategory.objects.filter(name__startswith="深").exists()
    assert not ProductCategory.objects.filter(name="重复").exists()
    shared = ProductCategory.objects.get(name="共用")
    child = ProductCategory.objects.get(name="子类")
    assert child.parent_id == shared.pk and child.path == f"/{shared.pk}/{child.pk}/"
    assert set(Product.objects.filter(code__in=["G1", "G2"]).values_list("category_id", flat=True)) == {child.pk}


def test_a_six_level_path_is_fine_and_existing_levels_are_reused(boss_client, org):
    top = category_create(actor=org.actor("boss"), name="深1")
    rows = [HEADER, ["S1", "六层", "深1/深2/深3/深4/深5/深6", 100, 13]]
    _preview, job = wizard(boss_client, xlsx(rows))
    assert job.counts["created"] == 1, job.errors
    leaf = ProductCategory.objects.get(name="深6")
    assert leaf.depth == 5 and leaf.path.startswith(f"/{top.pk}/")
    assert ProductCategory.objects.filter(name="深1").count() == 1
    assert Product.objects.get(code="S1").category_id == leaf.pk


def test_full_width_codes_are_the_same_code(boss_client, org):
    product_create(actor=org.actor("boss"), data={"code": "P1", "name": "已有"})
    rows = [HEADER, ["Ｐ１", "全角重复", "", 100, 13], ["Ｑ１", "新的", "", 100, 13], ["Q1", "文件内重复", "", 100, 13],
            ["p1", "小写不同", "", 100, 13]]
    _preview, job = wizard(boss_client, xlsx(rows))
    assert (job.counts["created"], job.counts["skipped"], job.counts["failed"]) == (2, 2, 0), job.errors
    assert dict(Product.objects.values_list("code", "name")) == {"P1": "已有", "Q1": "新的", "p1": "小写不同"}
