"""Huge / NaN / infinite numbers never 500: amounts on create / edit / form / import, the list and export bounds,
and the one weighted-amount rounding rule (ROUND_HALF_UP to the cent) everywhere."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhuli.api.testing import BASE, ApiClient
from zhuli.core.money import MoneyError, to_decimal, weighted_amount, weighted_sum
from zhuli.customers.services import customer_create
from zhuli.imports.tests.helpers import csv_bytes
from zhuli.sales.models import Opportunity, Stage
from zhuli.sales.services import opportunity_create, stages_ensure

HUGE = ["1" * 27, "1e28", "1e999", 1e300, "-1e999", "Infinity"]
NOT_NUMBERS = ["NaN", "sNaN", "-NaN", "abc"]
BOUNDS = ["NaN", "Infinity", "-Infinity", "sNaN", "1e999", "1" * 19]


@pytest.fixture
def customer(org):
    stages_ensure()
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "数字测试有限公司"}).customer


def make(org, customer, **data):
    return opportunity_create(actor=org.actor("sales1"), data={"customer_id": customer.pk, "title": "ERP", **data})


@pytest.mark.parametrize("value", ["1" * 27, "1e28", "1e999", "Infinity", "-Infinity", 1e300, float("inf"),
                                   Decimal("1e999999")])
def test_to_decimal_names_huge_values(value):
    with pytest.raises(MoneyError) as exc:
        to_decimal(value)
    assert exc.value.kind == "too_large"


@pytest.mark.parametrize("value", ["NaN", "sNaN", "-nan", "abc", True, float("nan"), "x" * 200])
def test_to_decimal_names_non_numbers(value):
    with pytest.raises(MoneyError) as exc:
        to_decimal(value)
    assert exc.value.kind == "invalid"


@pytest.mark.parametrize("value", HUGE)
def test_api_huge_amounts_are_422(org, customer, value):
    api = ApiClient(org["sales1"])
    r = api.post("/opportunities", {"customer_id": customer.pk, "title": "X", "amount": value})
    assert r.status_code == 422, r.content
    assert "金额过大" in str(r.json())
    opp = make(org, customer)
    r = api.patch(f"/opportunities/{opp.pk}", {"amount": value})
    assert r.status_code == 422 and "金额过大" in str(r.json())
    assert Opportunity.objects.get(pk=opp.pk).amount == 0 and Opportunity.objects.count() == 1


def test_api_raw_json_1e999_is_422(org, customer):
    api = ApiClient(org["sales1"])
    r = api.post("/opportunities", raw=f'{{"customer_id": {customer.pk}, "title": "X", "amount": 1e999}}')
    assert r.status_code == 422, r.content
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_api_nan_amounts_are_422(org, customer, value):
    r = ApiClient(org["sales1"]).post("/opportunities", {"customer_id": customer.pk, "title": "X", "amount": value})
    assert r.status_code == 422 and "金额应为数字" in str(r.json())


@pytest.mark.parametrize("value", ["1" * 27, "1e28", "1e999"])
def test_web_form_huge_amount_is_a_form_error(org, client, customer, value):
    client.force_login(org["sales1"])
    stage = Stage.objects.filter(kind="open").order_by("order").first()
    r = client.post("/opportunities/new/", {"customer_id": customer.pk, "title": "X", "stage_id": stage.pk,
                                            "amount": value})
    assert r.status_code == 200 and "金额过大" in r.content.decode()
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("value", BOUNDS)
@pytest.mark.parametrize("field", ["amount_min", "amount_max"])
def test_list_and_export_bounds_never_500(org, client, customer, field, value):
    make(org, customer, amount="100")
    api = ApiClient(org["manager1"])
    for path in ("/opportunities", "/exports/opportunities"):
        r = api.get(path, **{field: value})
        assert r.status_code == 422, (path, r.content)
        assert field in str(r.json())
    client.force_login(org["manager1"])
    r = client.get("/opportunities/", {field: value})
    assert r.status_code == 200 and "alert-danger" in r.content.decode()
    r = client.get("/imports/export/opportunities/", {field: value, "format": "csv"})
    assert r.status_code == 400 and "金额" in r.content.decode()


def test_import_amount_1e999_is_a_row_error(org, customer):
    header = ["机会名称", "客户名称", "阶段", "预计金额"]
    content = csv_bytes([header, ["大单", customer.name, "", "1e999"], ["NaN 单", customer.name, "", "NaN"],
                         ["好单", customer.name, "", "100"]])
    api = ApiClient(org["sales1"])
    r = api.client.post(f"{BASE}/imports/opportunities", {"file": SimpleUploadedFile("机会.csv", content)})
    assert r.status_code == 200, r.content
    body = r.json()
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert errors[(2, "预计金额")] == "金额过大"
    assert "金额应为数字" in errors[(3, "预计金额")]
    assert body["created"] == 1


# ---- the weighted amount: one rule ------------------------------------------------------------------

def test_weighted_amount_rounds_half_up_everywhere(org, client, customer):
    assert weighted_amount(Decimal("12345.65"), 10) == Decimal("1234.57")
    assert weighted_sum(Decimal("12345.65") * 10 + Decimal("0.05") * 10) == Decimal("1234.57")
    opp = make(org, customer, amount="12345.65", probability=10)
    assert opp.weighted_amount == Decimal("1234.57")
    api = ApiClient(org["sales1"])
    assert api.get(f"/opportunities/{opp.pk}").json()["weighted_amount"] == "1234.57"
    assert api.get("/opportunities").json()["items"][0]["weighted_amount"] == "1234.57"
    board = api.get("/opportunities/board").json()
    column = next(c for c in board["columns"] if c["stage"]["id"] == opp.stage_id)
    assert column["weighted_amount"] == "1234.57"
    client.force_login(org["sales1"])
    assert "1,234.57" in client.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "1,234.57" in client.get("/opportunities/board/").content.decode() or \
        "1234.57" in client.get("/opportunities/board/").content.decode()


def test_column_sum_is_the_rounded_sum_of_unrounded_products(org, customer):
    # 0.05 × 10% = 0.005 each: per row 0.01, but three of them sum to 0.015 → 0.02 (not 0.03).
    for _i in range(3):
        make(org, customer, amount="0.05", probability=10)
    board = ApiClient(org["sales1"]).get("/opportunities/board").json()
    column = next(c for c in board["columns"] if c["count"])
    assert column["weighted_amount"] == "0.02"


@pytest.mark.parametrize("value, message", [(float("inf"), "金额过大"), (1e300, "金额过大"),
                                            (float("nan"), "金额应为数字，例如 12000 或 12000.50")])
def test_spreadsheet_floats_get_the_services_message(value, message):
    from zhuli.imports.opportunities import _money
    from zhuli.sales.services import parse_amount

    errors: dict = {}
    assert parse_amount(_money(value), errors) is None and errors == {"amount": message}
