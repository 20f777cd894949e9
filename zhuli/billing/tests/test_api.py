"""/api/v1/payment-plans, /payments, /invoices and /receivables: shapes, refusals, scopes, queries."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from zhuli.api.testing import ApiClient
from zhuli.billing import services
from zhuli.billing.models import Payment
from zhuli.deals.models import Agreement

from .conftest import make_agreement


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


def test_generate_then_pay_then_confirm(org, api, agreement):
    r = api("sales1").post("/payment-plans/generate", {"agreement_id": agreement.pk, "count": 3,
                                                       "first_due": "2026-02-01"})
    assert r.status_code == 201, r.content
    items = r.json()["items"]
    assert [i["amount"] for i in items] == ["3333.34", "3333.33", "3333.33"]
    assert items[0]["agreement"]["kind"] == "order" and items[0]["status"] in ("unpaid", "overdue")
    r = api("sales1").post("/payments", {"agreement_id": agreement.pk, "paid_on": "2026-02-02", "amount": "4000"})
    assert r.status_code == 201, r.content
    payment = r.json()
    assert (payment["status"], payment["amount"], payment["base_amount"]) == ("recorded", "4000.00", "4000.00")
    assert api("sales1").post(f"/payments/{payment['id']}/confirm").status_code == 403
    r = api("finance").post(f"/payments/{payment['id']}/confirm")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert r.json()["plan"]["id"] == items[0]["id"]
    plans = api("sales1").get("/payment-plans", agreement=agreement.pk, sort="number").json()["items"]
    assert [(p["received_amount"], p["balance"]) for p in plans][:2] == [("3333.34", "0.00"), ("666.66", "2666.67")]
    summary = api("finance").get("/receivables").json()["summary"]
    assert (summary["amount"], summary["received"], summary["outstanding"]) == ("10000.00", "4000.00", "6000.00")


@pytest.mark.parametrize("body, field", [
    ({"paid_on": "2026-02-01", "amount": "-1"}, "amount"),
    ({"paid_on": "2026-02-01", "amount": "1.234"}, "amount"),
    ({"paid_on": "2026-01-01", "amount": "1"}, "paid_on"),
    ({"paid_on": "2026-02-01", "amount": True}, "amount"),
    ({"paid_on": "2026-02-01", "amount": "1", "surprise": 1}, "surprise"),
])
def test_bad_payments_are_422_naming_the_field(org, api, agreement, body, field):
    r = api("finance").post("/payments", {"agreement_id": agreement.pk, **body})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not Payment.objects.exists()


def test_overpayment_over_the_api(org, api, agreement):
    r = api("finance").post("/payments", {"agreement_id": agreement.pk, "paid_on": "2026-02-01", "amount": "10000.01"})
    assert r.status_code == 422 and "超出未回款金额 ¥10,000.00" in r.json()["errors"]["amount"][0]
    r = api("finance").post("/payments", {"agreement_id": agreement.pk, "paid_on": "2026-02-01", "amount": "10000.01",
                                          "is_overpayment": True})
    assert r.status_code == 201 and r.json()["is_overpayment"] is True
    assert Agreement.objects.get(pk=agreement.pk).outstanding_amount == 0


def test_invoices_over_the_api(org, api, agreement):
    r = api("sales1").post("/invoices", {"agreement_id": agreement.pk, "amount": "1000", "tax_rate": 130})
    assert r.status_code == 422 and "tax_rate" in r.json()["errors"]
    r = api("sales1").post("/invoices", {"agreement_id": agreement.pk, "amount": "10000.01", "tax_rate": 13})
    assert r.status_code == 422 and "最多还可开票 ¥10,000.00" in r.json()["errors"]["amount"][0]
    r = api("sales1").post("/invoices", {"agreement_id": agreement.pk, "amount": "1130", "tax_rate": "13"})
    assert r.status_code == 201, r.content
    inv = r.json()
    assert (inv["status"], inv["tax_amount"], inv["net_amount"]) == ("approved", "130.00", "1000.00")
    assert api("sales1").post(f"/invoices/{inv['id']}/issue", {"invoice_number": "1", "invoice_date": "2026-02-01"}
                              ).status_code == 403
    r = api("finance").post(f"/invoices/{inv['id']}/issue", {"invoice_number": "04400001", "invoice_date": "2026-02-01"})
    assert r.status_code == 200 and r.json()["status"] == "issued"
    r = api("finance").post(f"/invoices/{inv['id']}/cancel", {"reason": "开错"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_plan_refusals(org, api, agreement):
    r = api("sales1").post("/payment-plans", {"agreement_id": agreement.pk, "due_date": "2026-01-01", "amount": "1"})
    assert r.status_code == 422 and "due_date" in r.json()["errors"]
    r = api("sales1").post("/payment-plans", {"agreement_id": agreement.pk, "due_date": "2026-02-01",
                                              "amount": "10000.01"})
    assert r.status_code == 422 and "最多还可计划 ¥10,000.00" in r.json()["errors"]["amount"][0]
    r = api("sales1").post("/payment-plans", {"agreement_id": agreement.pk, "due_date": "2026-02-01", "amount": "100"})
    plan_id = r.json()["id"]
    r = api("sales1").patch(f"/payment-plans/{plan_id}", {"amount": "150.50"})
    assert r.status_code == 200 and r.json()["amount"] == "150.50"
    assert api("sales4").get(f"/payment-plans/{plan_id}").status_code == 404
    assert api("sales4").patch(f"/payment-plans/{plan_id}", {"amount": "1"}).status_code == 404
    assert api("sales1").delete(f"/payment-plans/{plan_id}").status_code == 204


def test_scopes(org, api):
    mine = make_agreement(org, "sales1", amount="100")
    theirs = make_agreement(org, "sales4", amount="300")
    for a in (mine, theirs):
        services.payment_record(actor=org.actor("finance"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-01", "amount": "10"})
    assert api("finance").get("/payments").json()["count"] == 2
    assert api("boss").get("/payments").json()["count"] == 2
    assert [p["agreement"]["id"] for p in api("sales1").get("/payments").json()["items"]] == [mine.pk]
    assert [p["agreement"]["id"] for p in api("manager2").get("/payments").json()["items"]] == [theirs.pk]
    owners = api("boss").get("/receivables/by-owner").json()["items"]
    assert [(o["owner"]["id"], o["outstanding"]) for o in owners] == [(org["sales4"].pk, "290.00"),
                                                                      (org["sales1"].pk, "90.00")]
    aging = api("sales1").get("/receivables/aging", as_of="2026-03-01").json()
    # No instalments: all that is owed is unplanned.
    assert aging["total"] == aging["unplanned"] == "90.00"
    assert set(aging) >= {"not_due", "0_30", "31_60", "61_90", "90_plus"}


def test_list_query_counts_do_not_grow(org, api, django_assert_max_num_queries):
    for _ in range(3):
        a = make_agreement(org, "sales1", amount="100")
        services.plan_generate(actor=org.actor("finance"), agreement_id=a.pk, count=2, first_due="2026-02-01")
        services.payment_record(actor=org.actor("finance"), agreement_id=a.pk,
                                data={"paid_on": "2026-02-01", "amount": "10"})
        services.invoice_request(actor=org.actor("finance"), agreement_id=a.pk, data={"amount": "10", "tax_rate": 6})
    client = api("finance")
    client.get("/me")
    for path in ("/payment-plans", "/payments", "/invoices", "/receivables", "/receivables/by-owner",
                 "/receivables/aging"):
        with django_assert_max_num_queries(8):
            r = client.get(path, page_size="2")
        assert r.status_code == 200, (path, r.content)
    assert Decimal(client.get("/receivables").json()["summary"]["outstanding"]) == Decimal("270.00")


def test_receivable_rows_over_all_pages_add_up_to_the_summary(org, api):
    finance = org.actor("finance")
    paid = make_agreement(org, "sales1", amount="500.00")
    services.payment_record(actor=finance, agreement_id=paid.pk, data={"paid_on": "2026-01-20", "amount": "500"})
    for i, owner in enumerate(("sales1", "sales2", "sales4", "sales1", "sales2")):
        a = make_agreement(org, owner, amount=f"{1000 + i}.00")
        services.payment_record(actor=finance, agreement_id=a.pk, data={"paid_on": "2026-01-20", "amount": "100"})
    # A customer with one open and one fully paid agreement: only the open one counts.
    both = make_agreement(org, "sales1", amount="300.00")
    services.payment_record(actor=finance, agreement_id=both.pk, data={"paid_on": "2026-01-20", "amount": "300"})
    make_agreement(org, "sales1", amount="200.00", customer=both.customer)
    client = api("finance")
    summary = client.get("/receivables").json()["summary"]
    assert summary["agreements"] == 6
    rows, page = [], 1
    while True:
        body = client.get("/receivables", page=page, page_size=2).json()
        rows += body["items"]
        if page * 2 >= body["count"]:
            break
        page += 1
    assert len(rows) == body["count"] == 6
    owners = client.get("/receivables/by-owner").json()["items"]
    for key in ("amount", "received", "outstanding", "invoiced", "overdue"):
        assert sum(Decimal(r[key]) for r in rows) == Decimal(summary[key]), key
        assert sum(Decimal(r[key]) for r in owners) == Decimal(summary[key]), key
    assert sum(r["agreements"] for r in rows) == sum(r["agreements"] for r in owners) == 6
    assert summary["amount"] == "5210.00" and summary["received"] == "500.00"


def test_aging_has_an_unplanned_bucket(org, api):
    finance = org.actor("finance")
    a = make_agreement(org, "sales1", amount="1000.00")
    services.plan_generate(actor=finance, agreement_id=a.pk, count=2, amount="600", first_due="2026-02-01")
    make_agreement(org, "sales1", amount="250.00")
    aging = api("finance").get("/receivables/aging", as_of="2026-02-15").json()
    assert (aging["0_30"], aging["not_due"], aging["unplanned"]) == ("300.00", "300.00", "650.00")
    outstanding = api("finance").get("/receivables", as_of="2026-02-15").json()["summary"]["outstanding"]
    buckets = ("not_due", "0_30", "31_60", "61_90", "90_plus", "unplanned")
    assert sum(Decimal(aging[k]) for k in buckets) == Decimal(aging["total"]) == Decimal(outstanding)


def test_future_payment_dates_are_refused(org, api, agreement):
    tomorrow = (org["finance"].tenant.today() + datetime.timedelta(days=1)).isoformat()
    r = api("finance").post("/payments", {"agreement_id": agreement.pk, "paid_on": tomorrow, "amount": "1"})
    assert r.status_code == 422, r.content
    assert r.json()["errors"]["paid_on"] == ["回款日期不能晚于今天"]
    today = org["finance"].tenant.today().isoformat()
    assert api("finance").post("/payments", {"agreement_id": agreement.pk, "paid_on": today,
                                             "amount": "1"}).status_code == 201


@pytest.mark.parametrize("value", ["yes", "true", 1, "1"])
def test_booleans_in_bodies_are_strict(org, api, agreement, value):
    r = api("finance").post("/payments", {"agreement_id": agreement.pk, "paid_on": "2026-02-01", "amount": "20000",
                                          "is_overpayment": value})
    assert r.status_code == 422, r.content
    assert "is_overpayment" in r.json()["errors"]
    assert not Payment.objects.exists()
