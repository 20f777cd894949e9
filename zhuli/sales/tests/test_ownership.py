"""Opportunities follow their customer's ownership: created only on owned customers, moved with the customer,
invalidated when it goes to the pool, handed only within scope; a customer delete never drops unseen deals."""
from __future__ import annotations

import pytest

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.customers.models import Customer
from zhuli.customers.services import (
    customer_claim,
    customer_create,
    customer_delete,
    customer_release,
    customer_transfer,
)
from zhuli.sales.models import Opportunity, OpportunityStatus, Stage, StageChange
from zhuli.sales.services import (
    opportunity_create,
    opportunity_mass_update,
    opportunity_set_status,
    opportunity_update,
    opportunity_win,
    stages_ensure,
)


@pytest.fixture
def customer(org) -> Customer:
    stages_ensure()
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "归属测试有限公司"}).customer


def make(org, customer, who="sales1", **data) -> Opportunity:
    return opportunity_create(actor=org.actor(who), data={"customer_id": customer.pk, "title": "项目", **data})


def snapshot():
    return (list(Opportunity.objects.order_by("id").values()), StageChange.objects.count(),
            list(Customer.objects.order_by("id").values()))


def test_pool_customer_refuses_new_opportunities(org, customer):
    customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="不跟了")
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        make(org, customer, who="boss")
    assert exc.value.errors["customer_id"] == ["请先领取该客户，再创建销售机会"]
    assert snapshot() == before


def test_transfer_moves_open_ones_of_the_previous_owner_only(org, customer):
    tracking, held, won = make(org, customer), make(org, customer), make(org, customer)
    opportunity_set_status(actor=org.actor("sales1"), opportunity_id=held.pk, status="on_hold")
    opportunity_win(actor=org.actor("sales1"), opportunity_id=won.pk)
    colleague = make(org, customer, who="manager1", owner_id=org["sales2"].pk)
    audits = AuditEvent.objects.count()
    customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales3"].pk)
    owners = dict(Opportunity.objects.values_list("id", "owner_id"))
    assert owners[tracking.pk] == owners[held.pk] == org["sales3"].pk
    assert owners[won.pk] == org["sales1"].pk  # results stay credited
    assert owners[colleague.pk] == org["sales2"].pk
    follow = AuditEvent.objects.filter(action="opportunity.follow_customer")
    assert sorted(follow.values_list("target_id", flat=True)) == sorted([tracking.pk, held.pk])
    assert AuditEvent.objects.count() == audits + 1 + 2  # the customer's entry + one per moved opportunity
    assert opportunity_update(actor=org.actor("sales3"), opportunity_id=tracking.pk, data={"title": "接手"})


def test_release_invalidates_open_ones_and_keeps_owner(org, customer):
    tracking, held, won = make(org, customer), make(org, customer), make(org, customer)
    opportunity_set_status(actor=org.actor("sales1"), opportunity_id=held.pk, status="on_hold")
    opportunity_win(actor=org.actor("sales1"), opportunity_id=won.pk)
    history, last_audit = StageChange.objects.count(), AuditEvent.objects.order_by("-id").first().pk
    customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="不跟了")
    rows = {o.pk: o for o in Opportunity.objects.all()}
    assert rows[tracking.pk].status == rows[held.pk].status == OpportunityStatus.INVALID
    assert rows[won.pk].status == OpportunityStatus.WON
    assert {o.owner_id for o in rows.values()} == {org["sales1"].pk}
    assert StageChange.objects.count() == history
    events = AuditEvent.objects.filter(pk__gt=last_audit, action="opportunity.status", target_id__in=[tracking.pk, held.pk])
    assert events.count() == 2
    assert all(e.changes["note"] == "客户已放入公海" and e.changes["status"][1] == "invalid" for e in events)
    # claimed back: nothing to move (the invalid ones keep their owner)
    customer_claim(actor=org.actor("sales2"), customer_id=customer.pk)
    assert set(Opportunity.objects.values_list("owner_id", flat=True)) == {org["sales1"].pk}


def test_owner_change_is_limited_to_the_actors_scope(org, customer):
    opp = make(org, customer)
    before = snapshot()
    for call in (
        lambda: opportunity_update(actor=org.actor("manager1"), opportunity_id=opp.pk,
                                   data={"owner_id": org["sales4"].pk}),
        lambda: opportunity_mass_update(actor=org.actor("manager1"), ids=[opp.pk], data={"owner_id": org["sales4"].pk}),
        lambda: opportunity_create(actor=org.actor("manager1"), data={"customer_id": customer.pk, "title": "x",
                                                                       "owner_id": org["sales4"].pk}),
    ):
        with pytest.raises(InvalidInput) as exc:
            call()
        assert "只能交给您管理范围内的同事" in str(exc.value.errors["owner_id"])
    assert snapshot() == before
    opportunity_update(actor=org.actor("manager1"), opportunity_id=opp.pk, data={"owner_id": org["sales2"].pk})
    opportunity_update(actor=org.actor("boss"), opportunity_id=opp.pk, data={"owner_id": org["sales4"].pk})
    assert Opportunity.objects.get(pk=opp.pk).owner_id == org["sales4"].pk


def test_customer_delete_refused_while_it_has_unseen_opportunities(org, customer):
    make(org, customer)
    make(org, customer, who="boss", owner_id=org["sales4"].pk)  # manager1 cannot see this one
    before, audits = snapshot(), AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        customer_delete(actor=org.actor("manager1"), customer_id=customer.pk)
    assert exc.value.message == "该客户有 2 个销售机会，请先处理后再删除客户"
    assert snapshot() == before and AuditEvent.objects.count() == audits
    customer_delete(actor=org.actor("boss"), customer_id=customer.pk)
    assert not Opportunity.objects.exists() and not Customer.objects.filter(pk=customer.pk).exists()


def test_customer_delete_refused_without_opportunity_delete_right(org, customer, monkeypatch):
    make(org, customer)
    actor = org.actor("manager1")
    real = actor.can
    monkeypatch.setattr(actor, "can", lambda module, action="view": False if (module, action) == (
        "opportunities", "delete") else real(module, action))
    before = snapshot()
    with pytest.raises(Conflict):
        customer_delete(actor=actor, customer_id=customer.pk)
    assert snapshot() == before
    assert Stage.objects.exists()


def test_customer_delete_api_answers_409(org, customer):
    from zhuli.api.testing import ApiClient

    make(org, customer, who="boss", owner_id=org["sales4"].pk)
    r = ApiClient(org["manager1"]).delete(f"/customers/{customer.pk}")
    assert r.status_code == 409 and "请先处理后再删除客户" in r.json()["detail"]
    assert Customer.objects.filter(pk=customer.pk).exists() and Opportunity.objects.count() == 1
