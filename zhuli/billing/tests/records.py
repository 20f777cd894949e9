"""One instalment, payment and invoice request per owner, for the tenant-isolation crawler (tests/)."""
from __future__ import annotations

import datetime

from zhuli.billing.services import invoice_request, payment_record, plan_add
from zhuli.deals.models import Agreement


def billing_records(actor, agreement_id: int, marker: str) -> dict[str, int]:
    """Called inside the owner's tenant on one of its agreements (signed here, so money may be recorded);
    payer and invoice title carry the marker so list leaks show."""
    Agreement.objects.filter(pk=agreement_id).update(status="active", sign_date=datetime.date(2026, 1, 1))
    plan = plan_add(actor=actor, agreement_id=agreement_id, data={"due_date": "2026-02-01", "amount": "50"})
    payment = payment_record(actor=actor, agreement_id=agreement_id,
                             data={"paid_on": "2026-01-05", "amount": "10", "payer": f"{marker}付款"})
    invoice = invoice_request(actor=actor, agreement_id=agreement_id,
                              data={"amount": "20", "tax_rate": "13", "title": f"{marker}抬头"})
    return {"plan": plan.pk, "payment": payment.pk, "invoice": invoice.pk}
