"""Opportunities: the probability rule on every path, the stage history, status transitions, bad input and
permissions (every refused change leaves everything as it was)."""
from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, Stage, StageChange, StageKind
from zhuli.sales.services import (
    opportunity_create,
    opportunity_delete,
    opportunity_lose,
    opportunity_mass_update,
    opportunity_move,
    opportunity_set_status,
    opportunity_update,
    opportunity_win,
    stage_create,
    stage_delete,
    stage_set_active,
    stage_update,
    stages_ensure,
)
from zhuli.tenancy.context import tenant_context


@pytest.fixture
def customer(org) -> Customer:
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "机会测试有限公司"}).customer


def make(org, customer, stages, **data) -> Opportunity:
    data = {"customer_id": customer.pk, "title": "ERP 项目", "amount": "12000", **data}
    return opportunity_create(actor=org.actor(data.pop("who", "sales1")), data=data)


def snapshot():
    return (list(Opportunity.objects.order_by("id").values()), StageChange.objects.count(), AuditEvent.objects.count(),
            list(Customer.objects.values_list("last_won_at", flat=True)))


def lost_reason():
    return DictionaryItem.objects.filter(kind=DictionaryKind.LOST_REASON).first()


# ---- create / move / history -------------------------------------------------------------------------

def test_create_takes_the_first_stage_and_records_history_from_none(org, customer, stages):
    opp = make(org, customer, stages)
    assert (opp.stage.name, opp.probability, opp.status, opp.owner_id) == ("初步接洽", 10, "tracking", org["sales1"].pk)
    change = StageChange.objects.get()
    assert (change.from_stage, change.to_stage_id, change.from_probability, change.to_probability,
            change.seconds_in_previous, change.changed_by_id) == (None, opp.stage_id, None, 10, None, org["sales1"].pk)
    assert "jihui" in opp.search_text or "erp" in opp.search_text


def test_move_records_from_to_probability_and_seconds(org, customer, stages):
    opp = make(org, customer, stages)
    Opportunity.objects.filter(pk=opp.pk).update(stage_entered_at=timezone.now() - datetime.timedelta(days=3))
    moved = opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["方案报价"].pk,
                             note="客户要报价")
    assert (moved.stage.name, moved.probability, moved.status) == ("方案报价", 60, "tracking")
    change = StageChange.objects.latest("id")
    assert (change.from_stage_id, change.to_stage_id, change.from_probability, change.to_probability, change.note) == (
        stages["初步接洽"].pk, stages["方案报价"].pk, 10, 60, "客户要报价")
    assert 3 * 86400 - 5 <= change.seconds_in_previous <= 3 * 86400 + 5
    assert AuditEvent.objects.filter(action="opportunity.move", target_id=opp.pk).exists()


def test_move_to_won_then_back_reopens(org, customer, stages):
    opp = make(org, customer, stages)
    won = opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["赢单"].pk)
    assert (won.status, won.probability) == ("won", 100) and won.closed_at
    customer.refresh_from_db()
    assert customer.last_won_at == won.closed_at
    back = opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["商务谈判"].pk)
    assert (back.status, back.probability, back.closed_at) == ("tracking", 80, None)


def test_move_to_lost_stage_needs_a_reason_or_note(org, customer, stages):
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["输单"].pk)
    assert "lost_reason_id" in exc.value.errors and snapshot() == before
    lost = opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["输单"].pk, note="价格")
    assert (lost.status, lost.probability) == ("lost", 0)


def test_move_to_another_tenants_stage_is_refused(org, other_org, customer, stages):
    with tenant_context(other_org.tenant):
        stages_ensure()
        foreign = Stage.objects.filter(kind=StageKind.OPEN).first()
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=foreign.pk)
    assert exc.value.errors == {"stage_id": ["阶段不存在"]} and snapshot() == before


def test_move_to_inactive_stage_is_refused(org, customer, stages):
    opp = make(org, customer, stages)
    stage_set_active(actor=org.actor("admin"), stage_id=stages["需求确认"].pk, active=False)
    with pytest.raises(InvalidInput) as exc:
        opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stages["需求确认"].pk)
    assert "stage_id" in exc.value.errors


def test_move_refuses_others_and_read_only(org, customer, stages):
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(NotFound):
        opportunity_move(actor=org.actor("sales2"), opportunity_id=opp.pk, stage_id=stages["方案报价"].pk)
    with pytest.raises(NotFound):
        opportunity_move(actor=org.actor("sales4"), opportunity_id=opp.pk, stage_id=stages["方案报价"].pk)
    with pytest.raises(Forbidden):
        opportunity_move(actor=org.actor("finance"), opportunity_id=opp.pk, stage_id=stages["方案报价"].pk)
    assert snapshot() == before
    # The manager of the owner's department may.
    assert opportunity_move(actor=org.actor("manager1"), opportunity_id=opp.pk,
                            stage_id=stages["方案报价"].pk).probability == 60


# ---- the probability rule on every path -------------------------------------------------------------

def _via_update(org, opp, stage):
    return opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={"stage_id": stage.pk})


def _via_mass(org, opp, stage):
    opportunity_mass_update(actor=org.actor("sales1"), ids=[opp.pk], data={"stage_id": stage.pk})
    return Opportunity.objects.get(pk=opp.pk)


def _via_move(org, opp, stage):
    return opportunity_move(actor=org.actor("sales1"), opportunity_id=opp.pk, stage_id=stage.pk)


def _via_api(org, opp, stage):
    from zhuli.api.testing import ApiClient

    response = ApiClient(org["sales1"]).post(f"/opportunities/{opp.pk}/move", {"stage_id": stage.pk})
    assert response.status_code == 200, response.content
    return Opportunity.objects.get(pk=opp.pk)


def _via_import(org, opp, stage):
    """The importer's update of an existing opportunity (same title on the same customer)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhuli.api.testing import BASE, ApiClient
    from zhuli.imports.tests.helpers import csv_bytes

    content = csv_bytes([["机会名称", "客户名称", "阶段"], [opp.title, opp.customer.name, stage.name]])
    response = ApiClient(org["sales1"]).client.post(f"{BASE}/imports/opportunities", {
        "file": SimpleUploadedFile("机会.csv", content), "on_duplicate": "update"})
    assert response.status_code == 200 and response.json()["updated"] == 1, response.content
    return Opportunity.objects.get(pk=opp.pk)


@pytest.mark.parametrize("path", [_via_update, _via_mass, _via_move, _via_api, _via_import])
def test_probability_rule_on_every_path(org, customer, stages, path):
    opp = make(org, customer, stages, probability=25)
    assert opp.probability == 25  # hand-set at creation
    opp = opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={"probability": 35})
    assert opp.probability == 35  # hand-set kept…
    opp = opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={"title": "新名字"})
    assert opp.probability == 35  # …across other edits
    opp = path(org, opp, stages["方案报价"])
    assert opp.probability == 60  # a stage change takes the new stage's
    opp = path(org, opp, stages["赢单"])
    assert (opp.probability, opp.status) == (100, "won")
    opp = path(org, opp, stages["需求确认"])
    assert (opp.probability, opp.status) == (30, "tracking")


def test_probability_fixed_for_won_and_lost(org, customer, stages):
    opp = make(org, customer, stages)
    opp = opportunity_win(actor=org.actor("sales1"), opportunity_id=opp.pk)
    assert opp.probability == 100
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={"probability": 50})
    assert "probability" in exc.value.errors and snapshot() == before
    other = make(org, customer, stages, title="第二个")
    other = opportunity_lose(actor=org.actor("sales1"), opportunity_id=other.pk, lost_reason_id=lost_reason().pk)
    assert (other.probability, other.status, other.stage.kind, other.lost_reason_id) == (0, "lost", "lost",
                                                                                         lost_reason().pk)


def test_stage_probability_change_does_not_rewrite_opportunities(org, customer, stages):
    opp = make(org, customer, stages)
    stage_update(actor=org.actor("admin"), stage_id=stages["初步接洽"].pk, data={"probability": 15})
    opp.refresh_from_db()
    assert opp.probability == 10
    assert make(org, customer, stages, title="新的").probability == 15


def test_stage_and_probability_in_one_update_keeps_the_hand_set(org, customer, stages):
    opp = make(org, customer, stages)
    opp = opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk,
                             data={"stage_id": stages["商务谈判"].pk, "probability": 70})
    assert (opp.stage.name, opp.probability) == ("商务谈判", 70)
    assert StageChange.objects.latest("id").to_probability == 70


# ---- transitions -------------------------------------------------------------------------------------

def test_transitions_table(org, customer, stages):
    actor = org.actor("sales1")
    opp = make(org, customer, stages)
    opp = opportunity_set_status(actor=actor, opportunity_id=opp.pk, status="on_hold")
    assert (opp.status, opp.probability) == ("on_hold", 10)
    opp = opportunity_set_status(actor=actor, opportunity_id=opp.pk, status="invalid")
    before = snapshot()
    with pytest.raises(Conflict):
        opportunity_win(actor=actor, opportunity_id=opp.pk)
    with pytest.raises(Conflict):
        opportunity_move(actor=actor, opportunity_id=opp.pk, stage_id=stages["方案报价"].pk)
    assert snapshot() == before
    opp = opportunity_set_status(actor=actor, opportunity_id=opp.pk, status="tracking")
    opp = opportunity_lose(actor=actor, opportunity_id=opp.pk, note="预算取消")
    before = snapshot()
    with pytest.raises(Conflict):
        opportunity_win(actor=actor, opportunity_id=opp.pk)
    with pytest.raises(Conflict):
        opportunity_lose(actor=actor, opportunity_id=opp.pk, note="再输一次")
    with pytest.raises(Conflict):
        opportunity_set_status(actor=actor, opportunity_id=opp.pk, status="on_hold")
    assert snapshot() == before


def test_lose_needs_reason_or_note(org, customer, stages):
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        opportunity_lose(actor=org.actor("sales1"), opportunity_id=opp.pk)
    assert "lost_reason_id" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        opportunity_lose(actor=org.actor("sales1"), opportunity_id=opp.pk, lost_reason_id=999999)
    assert "lost_reason_id" in exc.value.errors and snapshot() == before


# ---- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,message", [
    ("amount", "-1", "金额不能小于 0"),
    ("amount", "1.234", "金额最多两位小数"),
    ("amount", "abc", "金额应为数字"),
    ("close_date", "2026-13-01", "日期无效"),
    ("probability", "101", "赢率应为 0 到 100"),
    ("title", "", "请填写机会名称"),
    ("competitors", "x" * 301, "竞争对手最多"),
    ("customer_id", 999999, "客户不存在"),
    ("stage_id", 999999, "阶段不存在"),
    ("source_id", 999999, "无效的选项"),
    ("status", "done", "状态只能是"),
])
def test_bad_input_is_named_and_changes_nothing(org, customer, stages, field, value, message):
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        make(org, customer, stages, **{field: value})
    assert message in exc.value.errors[field][0]
    if field != "customer_id":
        with pytest.raises(InvalidInput) as exc:
            opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={field: value})
        assert message in exc.value.errors[field][0]
    assert snapshot() == before


def test_foreign_customer_is_refused(org, other_org, stages):
    with tenant_context(other_org.tenant):
        foreign = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "别家"}).customer
    colleague = customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "同事的客户"}).customer
    before = snapshot()
    for customer_id in (foreign.pk, colleague.pk):
        with pytest.raises(InvalidInput) as exc:
            opportunity_create(actor=org.actor("sales1"), data={"customer_id": customer_id, "title": "X"})
        assert exc.value.errors["customer_id"] == ["客户不存在或无权查看"]
    assert snapshot() == before


def test_amount_is_decimal_two_places(org, customer, stages):
    opp = make(org, customer, stages, amount="1,234.5")
    assert opp.amount == Decimal("1234.50")
    assert opp.weighted_amount == Decimal("123.45")


# ---- owner / permissions ------------------------------------------------------------------------------

def test_owner_change_needs_transfer(org, customer, stages):
    opp = make(org, customer, stages)
    before = snapshot()
    with pytest.raises(Forbidden):
        opportunity_update(actor=org.actor("sales1"), opportunity_id=opp.pk, data={"owner_id": org["sales2"].pk})
    with pytest.raises(Forbidden):
        make(org, customer, stages, owner_id=org["sales2"].pk)
    assert snapshot() == before
    opp = opportunity_update(actor=org.actor("manager1"), opportunity_id=opp.pk, data={"owner_id": org["sales2"].pk})
    assert opp.owner_id == org["sales2"].pk


def test_finance_reads_but_cannot_write(org, customer, stages):
    opp = make(org, customer, stages)
    finance = org.actor("finance")
    before = snapshot()
    with pytest.raises(Forbidden):
        opportunity_update(actor=finance, opportunity_id=opp.pk, data={"title": "改"})
    with pytest.raises(Forbidden):
        opportunity_win(actor=finance, opportunity_id=opp.pk)
    with pytest.raises(Forbidden):
        opportunity_delete(actor=finance, opportunity_id=opp.pk)
    with pytest.raises(Forbidden):
        opportunity_create(actor=finance, data={"customer_id": customer.pk, "title": "X"})
    assert snapshot() == before


def test_sales_cannot_delete_manager_can(org, customer, stages):
    opp = make(org, customer, stages)
    with pytest.raises(Forbidden):
        opportunity_delete(actor=org.actor("sales1"), opportunity_id=opp.pk)
    opportunity_delete(actor=org.actor("manager1"), opportunity_id=opp.pk)
    assert not Opportunity.objects.exists() and not StageChange.objects.exists()


def test_mass_update_is_all_or_nothing(org, customer, stages):
    a = make(org, customer, stages, title="A")
    b = make(org, customer, stages, title="B")
    opportunity_set_status(actor=org.actor("sales1"), opportunity_id=b.pk, status="invalid")
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        opportunity_mass_update(actor=org.actor("sales1"), ids=[a.pk, b.pk], data={"stage_id": stages["方案报价"].pk})
    assert "B" in exc.value.message and snapshot() == before
    colleague = make(org, customer, stages, title="C")
    with pytest.raises(InvalidInput):
        opportunity_mass_update(actor=org.actor("sales2"), ids=[colleague.pk], data={"close_date": "2026-06-30"})
    n = opportunity_mass_update(actor=org.actor("sales1"), ids=[a.pk, colleague.pk],
                                data={"close_date": "2026-06-30", "status": "on_hold"})
    assert n == 2
    assert set(Opportunity.objects.filter(pk__in=[a.pk, colleague.pk]).values_list("close_date", "status")) == {
        (datetime.date(2026, 6, 30), "on_hold")}


# ---- stages settings ----------------------------------------------------------------------------------

def test_stage_settings_rules(org, customer, stages):
    admin = org.actor("admin")
    with pytest.raises(Forbidden):
        stage_create(actor=org.actor("boss"), data={"name": "试用", "probability": 40})
    new = stage_create(actor=admin, data={"name": "试用", "probability": 40})
    ordered = list(Stage.objects.values_list("name", flat=True))
    assert ordered.index("试用") == ordered.index("商务谈判") + 1 and ordered[-2:] == ["赢单", "输单"]
    with pytest.raises(InvalidInput):
        stage_create(actor=admin, data={"name": "再赢", "probability": 100, "kind": "won"})
    with pytest.raises(InvalidInput):
        stage_update(actor=admin, stage_id=new.pk, data={"probability": 120})
    with pytest.raises(Conflict):
        stage_set_active(actor=admin, stage_id=stages["赢单"].pk, active=False)
    make(org, customer, stages)
    with pytest.raises(Conflict):
        stage_delete(actor=admin, stage_id=stages["初步接洽"].pk)
    stage_delete(actor=admin, stage_id=new.pk)
    assert not Stage.objects.filter(pk=new.pk).exists()


def test_a_departing_users_opportunities_transfer_with_their_records(org, customer, stages):
    from zhuli.accounts.services import user_owned_counts, user_transfer_records

    opp = make(org, customer, stages)
    assert user_owned_counts(tenant=org.tenant, user_id=org["sales1"].pk)["opportunities"] == 1
    moved = user_transfer_records(actor=org.actor("admin"), from_user_id=org["sales1"].pk,
                                  to_user_id=org["sales2"].pk)
    assert moved["opportunities"] == 1
    opp.refresh_from_db()
    assert opp.owner_id == org["sales2"].pk


def test_dictionary_fields_need_an_item_of_their_own_kind(org, customer, stages):
    source = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).first()
    category = DictionaryItem.objects.filter(kind=DictionaryKind.OPPORTUNITY_TYPE).first()
    before = snapshot()
    for field, wrong in (("category_id", source.pk), ("source_id", category.pk), ("lost_reason_id", source.pk)):
        with pytest.raises(InvalidInput) as exc:
            make(org, customer, stages, **{field: wrong})
        assert exc.value.errors[field] == ["无效的选项"]
    assert snapshot() == before
    opp = make(org, customer, stages, source_id=source.pk, category_id=category.pk)
    assert (opp.source_id, opp.category_id) == (source.pk, category.pk)


def test_editing_an_opportunity_of_a_departed_owner_keeps_working(org, customer, stages):
    from zhuli.accounts.services import user_deactivate

    opp = make(org, customer, stages)
    user_deactivate(actor=org.actor("admin"), user_id=org["sales1"].pk)
    opp = opportunity_update(actor=org.actor("manager1"), opportunity_id=opp.pk,
                             data={"title": "交接中", "owner_id": org["sales1"].pk})
    assert (opp.title, opp.owner_id) == ("交接中", org["sales1"].pk)
    with pytest.raises(InvalidInput) as exc:
        opportunity_update(actor=org.actor("manager1"), opportunity_id=opp.pk, data={"owner_id": 999999})
    assert exc.value.errors == {"owner_id": ["负责人不存在"]}
