import datetime
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from zhuli.core.errors import InvalidInput
from zhuli.core.money import line_amount
from zhuli.deals import services
from zhuli.deals.models import Agreement, NumberingRule, Quote
from zhuli.deals.tests.conftest import make_won


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_contract_list_page_and_its_query_count(org, customer, django_assert_max_num_queries):
    actor = org.actor("sales1")
    for i in range(3):
        services.agreement_create(actor=actor, kind="contract", data={"customer_id": customer.pk,
                                                                      "title": f"合同{i}", "amount": "100"})
    web = client_for(org["manager1"])
    web.get("/contracts/")
    with django_assert_max_num_queries(30) as few:
        html = web.get("/contracts/").content.decode()
    pinned = len(few)
    assert html.count("data-zl-agreement=") == 3
    for i in range(20):
        services.agreement_create(actor=actor, kind="contract", data={"customer_id": customer.pk,
                                                                      "title": f"更多{i}", "amount": "100"})
    with django_assert_max_num_queries(pinned + 1):  # a full page adds the one count query
        html = web.get("/contracts/").content.decode()
    assert html.count("data-zl-agreement=") == 20
    assert "共 23 条" in html


def test_list_filters_on_the_page(org, customer):
    actor = org.actor("sales1")
    services.agreement_create(actor=actor, kind="contract", data={"customer_id": customer.pk, "title": "大合同",
                                                                  "amount": "90000"})
    services.agreement_create(actor=actor, kind="contract", data={"customer_id": customer.pk, "title": "小合同",
                                                                  "amount": "10"})
    web = client_for(org["sales1"])
    html = web.get("/contracts/", {"amount_min": "1000"}).content.decode()
    assert "大合同" in html and "小合同" not in html
    assert "金额下限" in web.get("/contracts/", {"amount_min": "abc"}).content.decode()


def test_create_an_order_with_the_line_editor(org, customer, physical_product):
    web = client_for(org["sales1"])
    assert web.get(f"/orders/new/?customer={customer.pk}").status_code == 200
    r = web.post("/orders/new/", {
        "customer_id": customer.pk, "title": "门店设备", "sign_date": "2026-12-01", "currency": "CNY",
        "exchange_rate": "1", "owner_id": "", "lines-1-product_id": physical_product.pk, "lines-1-name": "扫码枪",
        "lines-1-quantity": "2", "lines-1-unit_price": "399", "lines-1-discount": "0", "lines-1-tax_rate": "13",
        "lines-2-name": "", "lines-2-quantity": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    order = Agreement.objects.get(kind="order")
    assert order.amount == Decimal("798.00") and order.lines.count() == 1
    page = web.get(r["Location"]).content.decode()
    assert order.number in page and "798.00" in page


def test_bad_lines_keep_what_was_typed(org, customer):
    web = client_for(org["sales1"])
    r = web.post("/contracts/new/", {"customer_id": customer.pk, "title": "服务", "currency": "CNY",
                                     "exchange_rate": "1", "lines-1-name": "咨询", "lines-1-unit_price": "10",
                                     "lines-1-tax_rate": "130"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "税率应在 0 到 100 之间" in html and 'value="咨询"' in html
    assert not Agreement.objects.exists()


def test_the_won_opportunity_page_offers_the_conversion(org, customer):
    opp = make_won(org, customer)
    web = client_for(org["sales1"])
    html = web.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "转为合同" in html and "转为订单" in html
    r = web.post(f"/agreements/from-opportunity/{opp.pk}/", {"kind": "contract"})
    contract = Agreement.objects.get(opportunity=opp)
    assert r.status_code == 302 and r["Location"] == f"/contracts/{contract.pk}/edit/"
    html = web.get(f"/opportunities/{opp.pk}/").content.decode()
    assert contract.number in html and "转为订单" not in html
    again = web.post(f"/agreements/from-opportunity/{opp.pk}/", {"kind": "order"})
    assert again["Location"] == f"/contracts/{contract.pk}/"
    assert Agreement.objects.count() == 1


def test_converting_to_an_order_opens_a_prefilled_form_and_creates_nothing_until_saved(org, customer,
                                                                                        physical_product):
    opp = make_won(org, customer, amount="54000")
    web = client_for(org["sales1"])
    r = web.post(f"/agreements/from-opportunity/{opp.pk}/", {"kind": "order"})
    assert r.status_code == 302 and r["Location"] == f"/orders/new/?opportunity={opp.pk}"
    assert not Agreement.objects.exists()  # 取消 on the form leaves nothing behind
    html = web.get(r["Location"]).content.decode()
    assert "机会金额 ¥54,000.00" in html and 'value="年度服务"' in html
    assert f'href="/opportunities/{opp.pk}/"' in html  # 取消 goes back to the opportunity
    saved = web.post(r["Location"], {
        "customer_id": customer.pk, "title": "年度服务", "sign_date": "2026-12-01", "currency": "CNY",
        "exchange_rate": "1", "lines-1-product_id": physical_product.pk, "lines-1-name": "扫码枪",
        "lines-1-quantity": "100", "lines-1-unit_price": "540", "lines-1-discount": "0", "lines-1-tax_rate": "13"})
    order = Agreement.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/orders/{order.pk}/"
    assert order.opportunity_id == opp.pk and order.amount == Decimal("54000.00")
    assert web.get(f"/orders/new/?opportunity={opp.pk}")["Location"] == f"/orders/{order.pk}/"
    assert web.get("/orders/new/?opportunity=x1").status_code == 404


def test_an_api_converted_draft_order_shows_the_opportunity_amount_on_its_edit_page(org, customer):
    opp = make_won(org, customer, amount="54000")
    order = services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="order")
    assert order.amount == Decimal("0.00") and not order.lines.exists()
    html = client_for(org["sales1"]).get(f"/orders/{order.pk}/edit/").content.decode()
    assert "机会金额 ¥54,000.00" in html


def test_the_agreements_feature_hides_contracts(org, customer):
    org.tenant.features = {**(org.tenant.features or {}), "agreements": "order"}
    org.tenant.save(update_fields=["features"])
    web = client_for(org["sales1"])
    assert web.get("/contracts/").status_code == 404
    assert web.get("/orders/").status_code == 200
    assert 'href="/contracts/"' not in web.get("/orders/").content.decode()


def test_detail_actions_submit_and_complete(org, customer):
    c = services.agreement_create(actor=org.actor("sales1"), kind="contract",
                                  data={"customer_id": customer.pk, "title": "执行", "amount": "10",
                                        "sign_date": "2026-12-01"})
    web = client_for(org["sales1"])
    page = web.get(f"/contracts/{c.pk}/").content.decode()
    assert "提交" in page and 'data-zl-section="approvals"' in page  # a draft says it has not been submitted
    web.post(f"/contracts/{c.pk}/submit/")
    assert Agreement.objects.get(pk=c.pk).status == "active"
    # No rule matched, so it came into force without an approval: no empty 审批 card.
    assert 'data-zl-section="approvals"' not in web.get(f"/contracts/{c.pk}/").content.decode()
    web.post(f"/contracts/{c.pk}/complete/")
    assert Agreement.objects.get(pk=c.pk).status == "completed"


def test_customer_view_section_and_workbench_card(org, customer):
    today = org.tenant.today()
    c = services.agreement_create(actor=org.actor("sales1"), kind="contract", data={
        "customer_id": customer.pk, "title": "快到期", "amount": "10", "sign_date": today.isoformat(),
        "start_date": (today - datetime.timedelta(days=300)).isoformat(),
        "end_date": (today + datetime.timedelta(days=12)).isoformat()})
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    web = client_for(org["sales1"])
    assert c.number in web.get(f"/customers/{customer.pk}/").content.decode()
    home = web.get("/").content.decode()
    assert "30 天内到期的合同" in home and c.number in home


def test_global_search_finds_by_number(org, customer):
    c = services.agreement_create(actor=org.actor("sales1"), kind="contract",
                                  data={"customer_id": customer.pk, "title": "搜索我", "amount": "10"})
    html = client_for(org["sales1"]).get("/search/", {"q": c.number}).content.decode()
    assert f"/contracts/{c.pk}/" in html
    assert f"/contracts/{c.pk}/" not in client_for(org["sales4"]).get("/search/", {"q": c.number}).content.decode()


def test_numbering_settings_page(org):
    web = client_for(org["admin"])
    assert "HT-{yyyy}{mm}-{seq:04}" in web.get("/settings/numbering/").content.decode()
    data = {f"pattern_{k}": v for k, v in {"contract": "HT{yy}-{seq:05}", "order": "DD-{seq}", "quote": "BJ-{seq:04}",
                                           "invoice_request": "KP-{seq:04}", "payment": "HK-{seq:04}"}.items()}
    r = web.post("/settings/numbering/", data)
    assert r.status_code == 200 and "{seq:0N}" in r.content.decode()
    assert not NumberingRule.objects.filter(pattern="HT{yy}-{seq:05}").exists()  # all or nothing
    data["pattern_order"] = "DD{yyyy}-{seq:03}"
    assert web.post("/settings/numbering/", data).status_code == 302
    assert NumberingRule.objects.get(doc_type="order").pattern == "DD{yyyy}-{seq:03}"
    assert client_for(org["sales1"]).get("/settings/numbering/").status_code == 403


def test_quote_pages(org, customer):
    web = client_for(org["sales1"])
    r = web.post("/quotes/new/", {"customer_id": customer.pk, "title": "报价", "quote_date": "2026-12-01",
                                  "lines-1-name": "服务", "lines-1-quantity": "3", "lines-1-unit_price": "33.33",
                                  "lines-1-discount": "0", "lines-1-tax_rate": "6"})
    assert r.status_code == 302
    quote = Quote.objects.get()
    assert quote.total == Decimal("99.99")
    assert "转为合同" in web.get(f"/quotes/{quote.pk}/").content.decode()
    r = web.post(f"/quotes/{quote.pk}/convert/", {"kind": "contract"})
    assert Agreement.objects.get().quote_id == quote.pk


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
                          st.decimals(min_value=Decimal("0"), max_value=Decimal("999999"), places=2),
                          st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)),
                min_size=1, max_size=12))
def test_the_total_is_the_sum_of_the_rounded_lines(rows):
    lines = [{"amount": line_amount(q, p, d), "discount": d} for q, p, d in rows]
    total = services.lines_total(lines)
    assert total == sum(line["amount"] for line in lines)
    for (q, p, d), line in zip(rows, lines, strict=True):
        exact = q * p * (100 - d) / 100
        assert abs(line["amount"] - exact) <= Decimal("0.005")
        assert line["amount"] == line["amount"].quantize(Decimal("0.01"))


@pytest.mark.parametrize("q, p, d, expected", [
    ("3", "0.35", "10", "0.95"), ("1", "0.35", "10", "0.32"), ("1", "0.005", "0", "0.01"), ("2", "9.99", "100", "0.00"),
])
def test_line_amount_rounds_half_up(q, p, d, expected):
    assert line_amount(Decimal(q), Decimal(p), Decimal(d)) == Decimal(expected)


def test_quote_list_page_query_count(org, customer, django_assert_max_num_queries):
    actor = org.actor("sales1")
    services.quote_create(actor=actor, data={"customer_id": customer.pk, "title": "报价0"})
    web = client_for(org["sales1"])
    web.get("/quotes/")
    with django_assert_max_num_queries(30) as few:
        web.get("/quotes/")
    pinned = len(few)
    for i in range(5):
        services.quote_create(actor=actor, data={"customer_id": customer.pk, "title": f"报价{i + 1}"},
                              lines=[{"name": "项目", "unit_price": "1"}])
    with django_assert_max_num_queries(pinned):
        html = web.get("/quotes/").content.decode()
    assert html.count("data-zl-quote=") == 6


def test_owner_change_by_a_manager_is_audited(org, customer):
    c = services.agreement_create(actor=org.actor("sales1"), kind="contract",
                                  data={"customer_id": customer.pk, "title": "交接", "amount": "10"})
    services.agreement_update(actor=org.actor("manager1"), agreement_id=c.pk, data={"owner_id": org["sales2"].pk})
    assert Agreement.objects.get(pk=c.pk).owner == org["sales2"]
    with pytest.raises(InvalidInput):
        services.agreement_update(actor=org.actor("sales2"), agreement_id=c.pk, data={"owner_id": org["sales1"].pk})


def test_attachment_upload_download_and_delete(org, customer, settings, tmp_path):
    import io

    from PIL import Image

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}
    c = services.agreement_create(actor=org.actor("sales1"), kind="contract",
                                  data={"customer_id": customer.pk, "title": "附件", "amount": "10"})
    web = client_for(org["sales1"])
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    upload = io.BytesIO(png.getvalue())
    upload.name = "scan.pdf"  # the name lies: the content decides
    web.post(f"/contracts/{c.pk}/attachments/", {"file": upload})
    attachment = c.attachments.get()
    assert attachment.content_type == "image/png" and attachment.original_name == "scan.png"  # named for its content
    r = web.get(f"/contracts/{c.pk}/attachments/{attachment.pk}/")
    assert r.status_code == 200 and r["X-Content-Type-Options"] == "nosniff" and r["Content-Type"] == "image/png"
    bad = io.BytesIO(b"<script>alert(1)</script>")
    bad.name = "x.pdf"
    web.post(f"/contracts/{c.pk}/attachments/", {"file": bad})
    assert c.attachments.count() == 1
    assert client_for(org["sales4"]).get(f"/contracts/{c.pk}/attachments/{attachment.pk}/").status_code == 404
    web.post(f"/contracts/{c.pk}/attachments/{attachment.pk}/delete/")
    assert not c.attachments.exists()
