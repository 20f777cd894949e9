"""customer_delete removes everything hanging off the customer with one tenant-filtered DELETE per table
(no lookups by the bare customer_id, which no index leads with), whatever the customer holds."""
from __future__ import annotations

import datetime

from django.db import connection
from django.db.models.deletion import get_candidate_relations_to_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhuli.activities.models import FollowUp, Todo
from zhuli.activities.services import followup_create
from zhuli.audit.models import AuditEvent
from zhuli.billing.models import Invoice, Payment, PaymentPlan, ReceivableTotal
from zhuli.customers.models import Contact, Customer, OwnerChange, RecentView
from zhuli.customers.services import (
    contact_create,
    customer_create,
    customer_delete,
    customer_record_view,
    customer_transfer,
)
from zhuli.deals.models import Agreement, Quote
from zhuli.sales.models import Opportunity, Stage, StageChange
from zhuli.sales.services import opportunity_create, opportunity_move
from zhuli.tenancy.context import tenant_context

# Every table pointing at a customer, a contact, a follow-up or an opportunity: a new one must be deleted
# by customer_delete (or a customer_delete_hooks entry) and added here.
HANDLED = {
    Customer: {(Contact, "customer"), (OwnerChange, "customer"), (RecentView, "customer"), (FollowUp, "customer"),
               (Todo, "customer"), (Opportunity, "customer"),
               # Refused, not deleted: the deals guard keeps a customer with agreements or quotes, and billing
               # rows (and the receivables rollup's) exist only under an agreement.
               (Agreement, "customer"), (Quote, "customer"), (PaymentPlan, "customer"), (Payment, "customer"),
               (Invoice, "customer"), (ReceivableTotal, "customer")},
    Contact: {(FollowUp, "contact")},
    FollowUp: {(Todo, "source"), (Todo, "done_by")},
    # An agreement's or quote's opportunity is its customer's, so the deals guard has refused the delete already.
    Opportunity: {(StageChange, "opportunity"), (FollowUp, "opportunity"), (Agreement, "opportunity"),
                  (Quote, "opportunity")},
}


def full_customer(org, name: str, followups: int) -> Customer:
    sales1 = org.actor("sales1")
    customer = customer_create(actor=sales1, data={"kind": "enterprise", "name": name}).customer
    contact = contact_create(actor=sales1, customer_id=customer.pk, data={"name": "张三"})
    opp = opportunity_create(actor=sales1, data={"customer_id": customer.pk, "title": f"{name}项目"})
    opportunity_move(actor=sales1, opportunity_id=opp.pk, stage_id=Stage.objects.get(name="需求确认").pk)
    soon = timezone.now() + datetime.timedelta(days=2)
    for i in range(followups):
        followup_create(actor=sales1, customer_id=customer.pk, data={
            "content": f"第{i + 1}次电话", "contact_id": contact.pk, "opportunity_id": opp.pk,
            "next_at": soon, "next_action": "回访"})
    todo = Todo.objects.filter(customer=customer, done_at__isnull=True).first()
    followup_create(actor=sales1, customer_id=customer.pk, data={"content": "回访完成", "todo_id": todo.pk})
    customer_record_view(actor=sales1, customer=customer)
    customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales2"].pk)
    return customer


def rows_of(customer_id: int) -> dict[str, int]:
    opportunities = Opportunity.objects.filter(customer_id=customer_id)
    return {
        "contacts": Contact.objects.filter(customer_id=customer_id).count(),
        "followups": FollowUp.objects.filter(customer_id=customer_id).count(),
        "todos": Todo.objects.filter(customer_id=customer_id).count(),
        "owner changes": OwnerChange.objects.filter(customer_id=customer_id).count(),
        "recent views": RecentView.objects.filter(customer_id=customer_id).count(),
        "opportunities": opportunities.count(),
        "stage changes": StageChange.objects.filter(opportunity__in=opportunities).count(),
    }


def test_the_relations_to_delete_are_all_handled():
    for model, handled in HANDLED.items():
        found = {(rel.related_model, rel.field.name) for rel in get_candidate_relations_to_delete(model._meta)}
        assert found == handled, model.__name__


def test_delete_removes_everything_and_leaves_the_rest(org, other_org):
    doomed = full_customer(org, "将被删除有限公司", followups=3)
    kept = full_customer(org, "保留客户有限公司", followups=2)
    assert all(rows_of(doomed.pk).values())  # one of each, at least
    kept_before = rows_of(kept.pk)
    with tenant_context(other_org.tenant):
        other = full_customer(other_org, "别家客户有限公司", followups=1)
        other_before = rows_of(other.pk)
    customer_delete(actor=org.actor("manager1"), customer_id=doomed.pk)
    connection.check_constraints()  # nothing left pointing at a deleted row
    assert not Customer.objects.filter(pk=doomed.pk).exists()
    assert set(rows_of(doomed.pk).values()) == {0}
    assert rows_of(kept.pk) == kept_before
    with tenant_context(other_org.tenant):
        assert rows_of(other.pk) == other_before
    event = AuditEvent.objects.get(action="customer.delete")
    assert (event.target_id, event.changes["name"]) == (doomed.pk, "将被删除有限公司")


def test_delete_takes_the_same_queries_however_much_the_customer_holds(org):
    small, big = full_customer(org, "小客户有限公司", followups=1), full_customer(org, "大客户有限公司", followups=6)
    counts, statements = [], []
    for customer in (small, big):
        with CaptureQueriesContext(connection) as queries:
            customer_delete(actor=org.actor("manager1"), customer_id=customer.pk)
        counts.append(len(queries))
        statements = [q["sql"] for q in queries.captured_queries]
    # 18: the sales guard's one count and the deals guard's one (customer_delete_guards)
    assert counts[0] == counts[1] <= 18, counts
    # Every DELETE names the tenant: the (tenant, customer …) indexes serve it.
    deletes = [s for s in statements if s.startswith("DELETE")]
    assert len(deletes) == 8
    assert all("tenant_id" in s for s in deletes), deletes
    assert not any(s.startswith("UPDATE") for s in statements)
