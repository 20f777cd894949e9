"""One approval request per owner, on the owner's contract, for the tenant-isolation crawler."""
from __future__ import annotations

from zhuli.approvals.models import ApprovalRequest
from zhuli.deals.models import Agreement


def approvals_records(actor, contract_id: int, marker: str) -> dict[str, int]:
    """Called inside the owner's tenant; the label carries the marker so list leaks show."""
    contract = Agreement.objects.get(pk=contract_id)
    request = ApprovalRequest.objects.create(
        doc_type="contract", object_id=contract.pk, object_label=f"{marker}合同审批", steps=["manager", "boss"],
        current_step=0, current_role="manager", submitted_by_id=actor.user_id, amount=contract.amount)
    return {"approval": request.pk}
