"""One contract, order, quote and attachment per owner, for the tenant-isolation crawler (tests/)."""
from __future__ import annotations

from zhuli.catalog.models import Product
from zhuli.deals.services import agreement_create, attachment_add, quote_create

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def deals_records(actor, customer, marker: str) -> dict[str, int]:
    """Called inside the owner's tenant; names carry the marker so list leaks show."""
    product = Product.objects.create(code=f"CRAWL-{actor.user_id}", name="巡检产品", kind="physical")
    contract = agreement_create(actor=actor, kind="contract", data={"customer_id": customer.pk,
                                                                    "title": f"{marker}合同", "amount": "100"})
    order = agreement_create(actor=actor, kind="order", data={"customer_id": customer.pk, "title": f"{marker}订单"},
                             lines=[{"product_id": product.pk, "unit_price": "10"}])
    quote = quote_create(actor=actor, data={"customer_id": customer.pk, "title": f"{marker}报价"},
                         lines=[{"name": "项目", "unit_price": "10"}])
    attachment = attachment_add(actor=actor, agreement_id=contract.pk, upload=PDF)
    return {"contract": contract.pk, "order": order.pk, "quote": quote.pk, "attachment": attachment.pk}
