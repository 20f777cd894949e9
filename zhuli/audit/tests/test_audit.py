"""Audit from day one (DESIGN §4 rule 9): every service writes one event naming who, what and which
record, inside the service's transaction, in the actor's tenant."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zhuli.accounts import services as accounts
from zhuli.activities import services as activities
from zhuli.audit.models import AuditEvent
from zhuli.audit.services import audit_record, diff
from zhuli.core.errors import InvalidInput
from zhuli.customers import services as customers
from zhuli.preferences import services as preferences
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.unscoped import for_tenant

SOON = datetime.timedelta(hours=3)


class World:
    """A customer with a contact, a follow-up and a todo of sales1, ready for every service."""

    def __init__(self, org):
        self.org = org
        self.sales1 = org.actor("sales1")
        self.customer = customers.customer_create(
            actor=self.sales1, data={"kind": "enterprise", "name": "审计测试有限公司"}).customer
        self.contact = customers.contact_create(actor=self.sales1, customer_id=self.customer.pk, data={"name": "张三"})
        self.followup = activities.followup_create(
            actor=self.sales1, customer_id=self.customer.pk, data={"content": "初次拜访", "next_at": timezone.now() + SOON})
        self.todo = self.followup.planned.get()


# (who acts, the service call, the expected action, the expected target: "customer" | "contact" | ... | model label)
CASES = {
    "customer.create": ("sales1", lambda w, a: customers.customer_create(
        actor=a, data={"kind": "individual", "name": "王德生先生"}).customer, "customers.customer"),
    "customer.update": ("sales1", lambda w, a: customers.customer_update(
        actor=a, customer_id=w.customer.pk, data={"remarks": "重要客户"}).customer, "customers.customer"),
    "customer.transfer": ("manager1", lambda w, a: customers.customer_transfer(
        actor=a, customer_ids=[w.customer.pk], to_user_id=w.org["sales2"].pk) and w.customer, "customers.customer"),
    "customer.delete": ("manager1", lambda w, a: customers.customer_delete(
        actor=a, customer_id=w.customer.pk) or w.customer, "customers.customer"),
    "contact.create": ("sales1", lambda w, a: customers.contact_create(
        actor=a, customer_id=w.customer.pk, data={"name": "李四"}), "customers.contact"),
    "contact.update": ("sales1", lambda w, a: customers.contact_update(
        actor=a, contact_id=w.contact.pk, data={"title": "经理"}), "customers.contact"),
    "contact.delete": ("sales1", lambda w, a: customers.contact_delete(
        actor=a, contact_id=w.contact.pk) or w.contact, "customers.contact"),
    "followup.create": ("sales1", lambda w, a: activities.followup_create(
        actor=a, customer_id=w.customer.pk, data={"content": "电话"}), "activities.followup"),
    "followup.update": ("sales1", lambda w, a: activities.followup_update(
        actor=a, followup_id=w.followup.pk, data={"content": "改"}), "activities.followup"),
    "followup.delete": ("sales1", lambda w, a: activities.followup_delete(
        actor=a, followup_id=w.followup.pk) or w.followup, "activities.followup"),
    "todo.create": ("sales1", lambda w, a: activities.todo_create(
        actor=a, customer_id=w.customer.pk, due_at=timezone.now() + SOON) and w.customer, "customers.customer"),
    "todo.complete": ("sales1", lambda w, a: activities.todo_complete(actor=a, todo_id=w.todo.pk) and w.customer,
                      "customers.customer"),
    "todo.delete": ("sales1", lambda w, a: activities.todo_delete(actor=a, todo_id=w.todo.pk), None),
    "department.create": ("admin", lambda w, a: accounts.department_create(actor=a, name="华南区"), "accounts.department"),
    "user.create": ("admin", lambda w, a: accounts.user_create(
        actor=a, data={"name": "新人", "email": "new@a.test", "password": "Str0ng-Passw0rd!"}), "accounts.user"),
    "user.update": ("admin", lambda w, a: accounts.user_update(
        actor=a, user_id=w.org["sales3"].pk, data={"name": "刘伟伟"}), "accounts.user"),
    "user.deactivate": ("admin", lambda w, a: accounts.user_deactivate(actor=a, user_id=w.org["sales3"].pk),
                        "accounts.user"),
    "dictionary.create": ("admin", lambda w, a: preferences.dictionary_item_create(
        actor=a, kind=DictionaryKind.SOURCE, name="小红书"), "preferences.dictionaryitem"),
    "dictionary.update": ("admin", lambda w, a: preferences.dictionary_item_update(
        actor=a, item_id=DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).first().pk, is_active=False),
        "preferences.dictionaryitem"),
}


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_service_writes_one_event(org, action):
    world = World(org)
    who, call, target_type = CASES[action]
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    target = call(world, org.actor(who))
    events = list(AuditEvent.objects.exclude(pk__in=before))
    assert [e.action for e in events].count(action) == 1, [e.action for e in events]
    event = next(e for e in events if e.action == action)
    assert event.actor_id == org[who].pk and event.tenant_id == org.tenant.pk
    if target_type is None:
        assert event.target_type == "" and event.changes
    else:
        assert (event.target_type, event.target_id) == (target_type, target.pk)
        assert event.target_label == str(target)[:200]
    assert event.created_at <= timezone.now()


def test_a_refused_service_writes_no_event(org):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput):
        customers.customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": ""})
    assert AuditEvent.objects.count() == before


def test_changes_keep_before_and_after_of_key_fields(org):
    world = World(org)
    customers.customer_update(actor=world.sales1, customer_id=world.customer.pk, data={"name": "审计测试二号有限公司"})
    event = AuditEvent.objects.get(action="customer.update")
    assert event.changes == {"name": ["审计测试有限公司", "审计测试二号有限公司"]}
    customers.customer_transfer(actor=org.actor("boss"), customer_ids=[world.customer.pk], to_user_id=org["sales2"].pk,
                                reason="调整")
    event = AuditEvent.objects.get(action="customer.transfer")
    assert event.changes == {"owner": [org["sales1"].pk, org["sales2"].pk], "reason": "调整"}


def test_events_stay_in_their_tenant(org, other_org):
    with tenant_context(other_org.tenant):
        customers.customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "乙方客户"})
    assert not AuditEvent.objects.filter(action="customer.create").exists()
    assert for_tenant(AuditEvent, other_org.tenant).filter(action="customer.create").count() == 1


def test_values_are_stored_as_json_friendly_text(org):
    when = timezone.now()
    audit_record(actor=org.actor("boss"), action="probe", target=org["sales1"],
                 changes={"at": when, "who": org["sales1"], "pair": (when.date(), 1)})
    event = AuditEvent.objects.get(action="probe")
    assert event.changes == {"at": str(when), "who": "王小明", "pair": [str(when.date()), 1]}
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


def test_login_events_have_no_actor_but_the_tenant(org):
    from tests.factories import PASSWORD
    from zhuli.accounts.authentication import login_check

    login_check(login=org["sales1"].email, password=PASSWORD, ip="127.0.0.1")
    event = AuditEvent.objects.get(action="login")
    assert (event.actor_id, event.target_id, event.ip) == (None, org["sales1"].pk, "127.0.0.1")
