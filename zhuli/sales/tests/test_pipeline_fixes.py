"""Stage deactivation with open opportunities, PATCH with the current (inactive) stage, un-winning."""
from __future__ import annotations

import pytest

from zhuli.api.testing import ApiClient
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.sales.models import Opportunity, Stage
from zhuli.sales.services import (
    opportunity_create,
    opportunity_delete,
    opportunity_move,
    opportunity_set_status,
    opportunity_win,
    stage_set_active,
)


@pytest.fixture
def customer(org):
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "阶段测试有限公司"}).customer


def make(org, customer, **data):
    return opportunity_create(actor=org.actor("sales1"), data={"customer_id": customer.pk, "title": "ERP", **data})


def test_deactivating_a_stage_with_open_opportunities_is_refused_with_the_count(org, customer, stages):
    stage = stages["需求确认"]
    make(org, customer, stage_id=stage.pk)
    held = make(org, customer, stage_id=stage.pk)
    opportunity_set_status(actor=org.actor("sales1"), opportunity_id=held.pk, status="on_hold")
    invalid = make(org, customer, stage_id=stage.pk)
    opportunity_set_status(actor=org.actor("sales1"), opportunity_id=invalid.pk, status="invalid")
    audits = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        stage_set_active(actor=org.actor("admin"), stage_id=stage.pk, active=False)
    assert exc.value.message == "该阶段还有 2 个跟踪中的机会，请先移到其他阶段"
    assert Stage.objects.get(pk=stage.pk).is_active and AuditEvent.objects.count() == audits
    for opp in Opportunity.objects.exclude(status="invalid"):
        opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["方案报价"].pk)
    stage_set_active(actor=org.actor("admin"), stage_id=stage.pk, active=False)
    assert not Stage.objects.get(pk=stage.pk).is_active


def test_patch_with_the_current_inactive_stage_is_unchanged(org, customer, stages):
    stage = stages["需求确认"]
    opp = make(org, customer, stage_id=stage.pk, probability=45)
    other = make(org, customer, stage_id=stages["初步接洽"].pk)
    Stage.objects.filter(pk=stage.pk).update(is_active=False)  # deactivated while it held them (older data)
    api = ApiClient(org["sales1"])
    r = api.patch(f"/opportunities/{opp.pk}", {"stage_id": stage.pk, "title": "改名"})
    assert r.status_code == 200, r.content
    saved = Opportunity.objects.get(pk=opp.pk)
    assert (saved.title, saved.stage_id, saved.probability) == ("改名", stage.pk, 45)
    r = api.patch(f"/opportunities/{other.pk}", {"stage_id": stage.pk})
    assert r.status_code == 422 and "stage_id" in str(r.json())


def test_unwinning_recomputes_the_customers_last_won(org, customer, stages):
    first, second = make(org, customer), make(org, customer)
    opportunity_win(actor=org.actor("sales1"), opportunity_id=first.pk)
    earlier = Opportunity.objects.get(pk=first.pk).closed_at
    opportunity_win(actor=org.actor("sales1"), opportunity_id=second.pk)
    later = Opportunity.objects.get(pk=second.pk).closed_at
    assert Customer.objects.get(pk=customer.pk).last_won_at == later
    opportunity_move(actor=org.actor("sales1"), opportunity_id=second.pk, stage_id=stages["商务谈判"].pk)
    assert Customer.objects.get(pk=customer.pk).last_won_at == earlier
    opportunity_move(actor=org.actor("sales1"), opportunity_id=first.pk, stage_id=stages["商务谈判"].pk)
    assert Customer.objects.get(pk=customer.pk).last_won_at is None
    opportunity_win(actor=org.actor("sales1"), opportunity_id=first.pk)
    assert Customer.objects.get(pk=customer.pk).last_won_at is not None
    opportunity_delete(actor=org.actor("manager1"), opportunity_id=first.pk)
    assert Customer.objects.get(pk=customer.pk).last_won_at is None


# ---- API strictness ------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["amount", "probability", "stage_id", "owner_id", "source_id"])
def test_booleans_are_not_numbers(org, customer, stages, field):
    r = ApiClient(org["sales1"]).post("/opportunities", {"customer_id": customer.pk, "title": "X", field: True})
    assert r.status_code == 422, r.content
    assert field in r.json()["errors"]
    assert not Opportunity.objects.exists()


def test_patch_refuses_unknown_and_read_only_fields_naming_them(org, customer, stages):
    other = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "另一家公司"}).customer
    opp = make(org, customer, amount="100")
    api = ApiClient(org["sales1"])
    before = list(Opportunity.objects.values())
    r = api.patch(f"/opportunities/{opp.pk}", {"customer_id": other.pk})
    assert r.status_code == 422 and r.json()["errors"]["customer_id"] == ["机会创建后不能更换客户"]
    for field, value in (("weighted_amount", "1.00"), ("id", 5), ("created_at", "2026-01-01"), ("colour", "red")):
        r = api.patch(f"/opportunities/{opp.pk}", {field: value, "title": "改名"})
        assert r.status_code == 422 and r.json()["errors"] == {field: ["不支持此字段"]}, r.content
    r = api.patch(f"/opportunities/{opp.pk}", {"customer_id": customer.pk, "title": "同一客户"})
    assert r.status_code == 200
    assert before[0]["title"] == "ERP" and Opportunity.objects.get().title == "同一客户"


def test_mass_update_accepts_only_its_fields(org, customer, stages):
    opp = make(org, customer, amount="100")
    api = ApiClient(org["sales1"])
    before = list(Opportunity.objects.values())
    r = api.post("/opportunities/mass-update", {"ids": [opp.pk], "amount": "5", "probability": 50,
                                                "status": "on_hold"})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"amount", "probability"}
    assert list(Opportunity.objects.values()) == before
    r = api.post("/opportunities/mass-update", {"ids": [True], "status": "on_hold"})
    assert r.status_code == 422 and "ids" in r.json()["errors"]
