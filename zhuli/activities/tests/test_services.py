"""Follow-ups and todos: the customer's last follow-up is the latest one logged and its next follow-up
the earliest open todo, through every create, edit, completion and delete."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zhuli.activities.models import FollowUp, Todo
from zhuli.activities.services import (
    followup_create,
    followup_delete,
    followup_update,
    todo_complete,
    todo_create,
    todo_delete,
)
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput, NotFound
from zhuli.customers.models import Customer
from zhuli.customers.services import contact_create, customer_create
from zhuli.preferences.models import DictionaryItem, DictionaryKind

NOW = timezone.now


def hours(n: float) -> datetime.timedelta:
    return datetime.timedelta(hours=n)


@pytest.fixture
def customer(org) -> Customer:
    return customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "跟进测试有限公司"}).customer


@pytest.fixture
def pool_customer(org) -> Customer:
    return customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": "公海跟进公司", "to_pool": True}).customer


def dates(customer: Customer) -> tuple:
    customer.refresh_from_db()
    return customer.last_followup_at, customer.next_followup_at


def snapshot():
    return FollowUp.objects.count(), Todo.objects.count(), AuditEvent.objects.count(), list(
        Customer.objects.values_list("last_followup_at", "next_followup_at"))


def test_a_followup_sets_last_and_its_next_time_becomes_a_todo(org, customer):
    phone = DictionaryItem.objects.get(kind=DictionaryKind.FOLLOWUP_TYPE, code="phone")
    at, later = NOW() - hours(2), NOW() + hours(48)
    followup = followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={
        "type_id": phone.pk, "occurred_at": at, "content": "  电话沟通了报价 ", "next_at": later, "next_action": "发合同"})
    assert (followup.owner_id, followup.type_id, followup.content) == (org["sales1"].pk, phone.pk, "电话沟通了报价")
    todo = Todo.objects.get()
    assert (todo.customer_id, todo.owner_id, todo.source_id, todo.content, todo.due_at) == (
        customer.pk, org["sales1"].pk, followup.pk, "发合同", later)
    assert dates(customer) == (at, later)


def test_next_followup_is_the_earliest_open_todo(org, customer):
    sales1 = org.actor("sales1")
    far, near = NOW() + hours(72), NOW() + hours(24)
    followup_create(actor=sales1, customer_id=customer.pk, data={"content": "第一次", "next_at": far})
    near_todo = todo_create(actor=sales1, customer_id=customer.pk, due_at=near, content="先打个电话")
    assert dates(customer)[1] == near
    todo_complete(actor=sales1, todo_id=near_todo.pk)
    assert dates(customer)[1] == far
    far_todo = Todo.objects.get(done_at__isnull=True)
    todo_delete(actor=sales1, todo_id=far_todo.pk)
    assert dates(customer)[1] is None


def test_a_followup_can_complete_the_todo_it_fulfils(org, customer):
    sales1 = org.actor("sales1")
    planned = todo_create(actor=sales1, customer_id=customer.pk, due_at=NOW() + hours(1))
    followup = followup_create(actor=sales1, customer_id=customer.pk, data={"content": "按计划拜访", "todo_id": planned.pk})
    planned.refresh_from_db()
    assert planned.done_by_id == followup.pk and planned.done_at is not None
    assert dates(customer)[1] is None


def test_editing_and_deleting_followups_keep_last_and_next_right(org, customer):
    sales1 = org.actor("sales1")
    older, newer = NOW() - hours(30), NOW() - hours(3)
    first = followup_create(actor=sales1, customer_id=customer.pk, data={"content": "旧的", "occurred_at": older})
    second = followup_create(actor=sales1, customer_id=customer.pk,
                             data={"content": "新的", "occurred_at": newer, "next_at": NOW() + hours(5)})
    assert dates(customer) == (newer, second.planned.get().due_at)
    followup_update(actor=sales1, followup_id=first.pk, data={"occurred_at": NOW() - hours(1), "content": "改时间"})
    assert dates(customer)[0] == Customer.objects.get(pk=customer.pk).last_followup_at
    first.refresh_from_db()
    assert dates(customer)[0] == first.occurred_at and first.content == "改时间"
    followup_delete(actor=sales1, followup_id=second.pk)  # its open todo goes with it
    assert dates(customer) == (first.occurred_at, None)
    followup_delete(actor=sales1, followup_id=first.pk)
    assert dates(customer) == (None, None)


def test_deleting_a_followup_keeps_the_todos_already_done(org, customer):
    sales1 = org.actor("sales1")
    followup = followup_create(actor=sales1, customer_id=customer.pk, data={"content": "计划", "next_at": NOW() + hours(2)})
    todo = followup.planned.get()
    todo_complete(actor=sales1, todo_id=todo.pk)
    followup_delete(actor=sales1, followup_id=followup.pk)
    assert Todo.objects.filter(pk=todo.pk, done_at__isnull=False).exists()


@pytest.mark.parametrize("data, field", [
    ({"content": ""}, "content"),
    ({"content": "  \x00 "}, "content"),
    ({"content": "长" * 5001}, "content"),
    ({"content": "未来", "occurred_at": NOW() + hours(2)}, "occurred_at"),
    ({"content": "格式", "occurred_at": "明天上午"}, "occurred_at"),
    ({"content": "倒序", "occurred_at": NOW() - hours(1), "next_at": NOW() - hours(2)}, "next_at"),
    ({"content": "方式", "type_id": 999999}, "type_id"),
    ({"content": "行动", "next_action": "长" * 501, "next_at": NOW() + hours(1)}, "next_action"),
])
def test_invalid_followups_name_the_field_and_save_nothing(org, customer, data, field):
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data=data)
    assert field in exc.value.errors
    assert snapshot() == before


def test_the_type_must_be_a_followup_type_and_the_contact_this_customers(org, customer):
    sales1 = org.actor("sales1")
    source = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).first()
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=sales1, customer_id=customer.pk, data={"content": "x", "type_id": source.pk})
    assert "type_id" in exc.value.errors
    other = customer_create(actor=sales1, data={"kind": "enterprise", "name": "另一家"}).customer
    stranger = contact_create(actor=sales1, customer_id=other.pk, data={"name": "别家的人"})
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=sales1, customer_id=customer.pk, data={"content": "x", "contact_id": stranger.pk})
    assert "contact_id" in exc.value.errors
    mine = contact_create(actor=sales1, customer_id=customer.pk, data={"name": "自家的人"})
    assert followup_create(actor=sales1, customer_id=customer.pk,
                           data={"content": "x", "contact_id": mine.pk}).contact_id == mine.pk


def test_a_salesperson_cannot_change_a_colleagues_followup(org, pool_customer):
    """Both see a pool customer, so both see its history; only the author (or a manager) changes it."""
    mine = followup_create(actor=org.actor("sales1"), customer_id=pool_customer.pk,
                           data={"content": "我的记录", "next_at": NOW() + hours(4)})
    todo = mine.planned.get()
    before = snapshot()
    sales2 = org.actor("sales2")
    with pytest.raises(Forbidden):
        followup_update(actor=sales2, followup_id=mine.pk, data={"content": "改别人的"})
    with pytest.raises(Forbidden):
        followup_delete(actor=sales2, followup_id=mine.pk)
    assert snapshot() == before
    mine.refresh_from_db()
    assert mine.content == "我的记录"
    assert todo.owner_id == org["sales1"].pk  # a pool customer's todo belongs to the one who planned it
    with pytest.raises(Forbidden):
        todo_complete(actor=sales2, todo_id=todo.pk)
    followup_update(actor=org.actor("manager1"), followup_id=mine.pk, data={"content": "经理更正"})
    mine.refresh_from_db()
    assert mine.content == "经理更正"


def test_followups_on_invisible_customers_are_not_found(org, customer):
    followup = followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "记录"})
    before = snapshot()
    sales4 = org.actor("sales4")
    with pytest.raises(NotFound):
        followup_create(actor=sales4, customer_id=customer.pk, data={"content": "越界"})
    with pytest.raises(NotFound):
        followup_update(actor=sales4, followup_id=followup.pk, data={"content": "越界"})
    with pytest.raises(NotFound):
        followup_delete(actor=org.actor("manager2"), followup_id=followup.pk)
    with pytest.raises(NotFound):
        todo_create(actor=sales4, customer_id=customer.pk, due_at=NOW() + hours(1))
    assert snapshot() == before


@pytest.mark.parametrize("who, allowed", [("service", True), ("finance", False), ("keeper", False)])
def test_who_may_log_followups(org, customer, who, allowed):
    actor = org.actor(who)
    if allowed:
        assert followup_create(actor=actor, customer_id=customer.pk, data={"content": "客服回访"}).owner_id == org[who].pk
        return
    before = snapshot()
    with pytest.raises((Forbidden, NotFound)):
        followup_create(actor=actor, customer_id=customer.pk, data={"content": "不该成功"})
    assert snapshot() == before


def test_a_todo_needs_a_time(org, customer):
    with pytest.raises(InvalidInput) as exc:
        todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=None)
    assert "due_at" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=NOW(), content="长" * 501)
    assert "content" in exc.value.errors
    assert not Todo.objects.exists()


def test_a_date_alone_means_nine_in_the_morning_of_the_tenants_day(org, customer):
    day = timezone.localdate() + datetime.timedelta(days=1)
    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=day)
    local = timezone.localtime(todo.due_at, org.tenant.zone)
    assert (local.date(), local.hour, local.minute) == (day, 9, 0)


def test_today_without_a_time_after_nine_stays_on_todays_list(org, customer):
    """Regression: "call back later today" with only today's date was refused after 09:00."""
    import time_machine

    zone = org.tenant.zone
    with time_machine.travel(datetime.datetime(2026, 3, 11, 15, 30, tzinfo=zone), tick=False):
        timezone.activate(zone)
        try:
            followup = followup_create(actor=org.actor("sales1"), customer_id=customer.pk,
                                       data={"content": "电话沟通", "next_at": timezone.localdate()})
        finally:
            timezone.deactivate()
    todo = Todo.objects.get(source=followup)
    local = timezone.localtime(todo.due_at, zone)
    assert (local.date(), local.hour, local.minute) == (datetime.date(2026, 3, 11), 23, 59)


def test_open_todos_follow_the_customer_to_its_new_owner(org, customer):
    from zhuli.customers.services import customer_transfer

    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=NOW() + datetime.timedelta(days=1))
    customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales2"].pk)
    todo.refresh_from_db()
    assert todo.owner_id == org["sales2"].pk
