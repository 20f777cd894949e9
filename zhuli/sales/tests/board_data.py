"""Opportunities written straight to the table for the board, funnel and workbench tests (no create service
is needed to read them): the probability is the stage's, stage_entered_at now unless given."""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from zhuli.customers.tests.factories import CustomerFactory
from zhuli.sales.models import Opportunity, OpportunityStatus, Stage, StageKind
from zhuli.sales.services import stages_install_defaults
from zhuli.tenancy.context import tenant_context


def stages(tenant) -> dict[str, Stage]:
    """The tenant's stages by name (the defaults installed if missing)."""
    with tenant_context(tenant):
        stages_install_defaults()
        return {s.name: s for s in Stage.objects.all()}


def opportunity(tenant, owner, stage: Stage, *, amount="0", close_date=None, customer=None, closed_at=None,
                status=None, stage_entered_at=None, title="机会", **kw) -> Opportunity:
    with tenant_context(tenant):
        if status is None:
            status = {StageKind.WON: OpportunityStatus.WON, StageKind.LOST: OpportunityStatus.LOST}.get(
                stage.kind, OpportunityStatus.TRACKING)
        if closed_at is None and status in (OpportunityStatus.WON, OpportunityStatus.LOST):
            closed_at = timezone.now()
        customer = customer or CustomerFactory(tenant=tenant, owner=owner)
        return Opportunity.objects.create(
            tenant=tenant, customer=customer, title=title, stage=stage, probability=stage.probability,
            amount=Decimal(amount), close_date=close_date, status=status, owner=owner, closed_at=closed_at,
            stage_entered_at=stage_entered_at or timezone.now(), created_by=owner, **kw)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)
