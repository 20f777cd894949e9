"""The line editor's markup (partials/line_row.html): on phones each line is a card whose fields carry their own
labels (static/deals/lines.css), and the amount lines.js rewrites is a bare number."""
import re

from django.test import Client

from zhuli.deals import services

FIELDS = ("name", "specification", "unit", "quantity", "unit_price", "discount", "tax_rate")


def page_for(org, url: str) -> str:
    client = Client()
    client.force_login(org["sales1"])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_each_line_field_has_its_own_label_and_the_amount_stays_a_number(org, customer, physical_product):
    lines = [{"product_id": physical_product.pk, "quantity": "12345.67", "unit_price": "2.00"},
             {"product_id": physical_product.pk, "quantity": "1", "unit_price": "399.00"}]
    order = services.agreement_create(actor=org.actor("sales1"), kind="order", lines=lines,
                                      data={"customer_id": customer.pk, "title": "门店设备"})
    html = page_for(org, f"/orders/{order.pk}/edit/")
    assert "deals/lines.css" in html and 'class="table table-sm align-middle mb-1 zl-lines"' in html
    for n in ("1", "2", "__N__"):  # both saved lines and the template lines.js copies
        for name in FIELDS:
            assert f'for="line-{n}-{name}"' in html and f'id="line-{n}-{name}" name="lines-{n}-{name}"' in html
    assert 'value="12345.67"' in html
    # lines.js parses and rewrites this element's text: the label must sit outside it.
    assert re.findall(r"<span data-zl-line-amount>([^<]*)</span>", html)[:2] == ["24691.34", "399.00"]
    assert html.count('<label class="zl-line-label d-md-none" for="line-1-quantity">数量</label>') == 1


def test_the_quote_form_gets_the_phone_layout_too(org, customer):
    html = page_for(org, "/quotes/new/")
    assert "deals/lines.css" in html and 'for="line-__N__-quantity"' in html
