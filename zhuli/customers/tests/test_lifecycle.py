"""customer_mark_signed: the lifecycle moves forward with the signed agreements (DESIGN §9), 首次签约日期 keeps
the earliest sign date, repeated calls change nothing, and each change is one system audit event."""
from __future__ import annotations

import datetime

import pytest

from zhuli.audit.models import AuditEvent
from zhuli.customers.models import Customer, Lifecycle
from zhuli.customers.services import customer_create, customer_mark_signed
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.unscoped import for_tenant

DAY = datetime.date(2026, 3, 15)


def make(org, name="杭州甲方科技有限公司", lifecycle=None):
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": name}).customer
    if lifecycle:
        Customer.objects.filter(pk=customer.pk).update(lifecycle=lifecycle)
    return customer


def state(customer) -> tuple[str, datetime.date | None]:
    return tuple(Customer.objects.filter(pk=customer.pk).values_list("lifecycle", "first_signed_on").get())


def events(customer) -> list[dict]:
    return list(AuditEvent.objects.filter(action="customer.signed", target_id=customer.pk).order_by("id")
                .values_list("changes", flat=True))


def test_the_first_signing_makes_a_potential_customer_signed_as_a_system_event(org):
    customer = make(org)
    assert state(customer) == (Lifecycle.POTENTIAL, None)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=1)
    assert state(customer) == (Lifecycle.SIGNED, DAY)
    event = AuditEvent.objects.get(action="customer.signed", target_id=customer.pk)
    assert event.actor_id is None and event.tenant_id == org.tenant.pk
    assert event.target_type == "customers.customer" and event.target_label == customer.name
    assert event.changes == {"lifecycle": ["potential", "signed"], "first_signed_on": [None, "2026-03-15"],
                             "signed_count": 1}


def test_repeating_a_call_changes_nothing_and_records_nothing(org):
    customer = make(org)
    for _ in range(3):
        customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=1)
    assert state(customer) == (Lifecycle.SIGNED, DAY)
    assert len(events(customer)) == 1


def test_the_second_signing_makes_a_repeat_customer_and_keeps_the_first_date(org):
    customer = make(org)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=1)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY + datetime.timedelta(days=40), signed_count=2)
    assert state(customer) == (Lifecycle.REPEAT, DAY)
    assert events(customer)[-1] == {"lifecycle": ["signed", "repeat"], "signed_count": 2}
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=3)
    assert state(customer) == (Lifecycle.REPEAT, DAY) and len(events(customer)) == 2


def test_an_earlier_sign_date_becomes_the_first_one(org):
    customer = make(org)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=1)
    earlier = DAY - datetime.timedelta(days=10)
    customer_mark_signed(customer_id=customer.pk, signed_on=earlier, signed_count=2)
    assert state(customer) == (Lifecycle.REPEAT, earlier)
    assert events(customer)[-1]["first_signed_on"] == ["2026-03-15", "2026-03-05"]


def test_a_two_agreement_first_call_goes_straight_to_repeat(org):
    customer = make(org)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=2)
    assert state(customer) == (Lifecycle.REPEAT, DAY)


def test_the_lifecycle_never_moves_back(org):
    customer = make(org, lifecycle=Lifecycle.REPEAT)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=1)
    assert state(customer) == (Lifecycle.REPEAT, DAY)
    assert events(customer) == [{"first_signed_on": [None, "2026-03-15"], "signed_count": 1}]


@pytest.mark.parametrize(("count", "wanted"), [(1, Lifecycle.SIGNED), (2, Lifecycle.REPEAT)])
def test_a_lapsed_customer_who_signs_again_is_back_and_the_audit_says_from_where(org, count, wanted):
    customer = make(org, lifecycle=Lifecycle.LAPSED)
    customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=count)
    assert state(customer) == (wanted, DAY)
    assert events(customer)[0]["lifecycle"] == ["lapsed", wanted]


def test_a_count_without_this_signing_is_a_programming_error(org):
    customer = make(org)
    with pytest.raises(ValueError):
        customer_mark_signed(customer_id=customer.pk, signed_on=DAY, signed_count=0)
    assert state(customer) == (Lifecycle.POTENTIAL, None) and not events(customer)


def test_another_tenants_customer_is_out_of_reach(org, other_org):
    with tenant_context(other_org.tenant):
        theirs = make(other_org)
    customer_mark_signed(customer_id=theirs.pk, signed_on=DAY, signed_count=2)
    row = for_tenant(Customer, other_org.tenant).values_list("lifecycle", "first_signed_on").get(pk=theirs.pk)
    assert row == (Lifecycle.POTENTIAL, None)
    assert not for_tenant(AuditEvent, other_org.tenant).filter(action="customer.signed").exists()
    assert not AuditEvent.objects.filter(action="customer.signed").exists()


# ---- where 首次签约日期 shows ----------------------------------------------------------------------------

def test_the_first_signing_date_shows_in_the_api_the_customer_view_and_the_export(org, client):
    import csv
    import io

    from zhuli.api.testing import ApiClient

    signed, plain = make(org), make(org, name="宁波乙方贸易有限公司")
    customer_mark_signed(customer_id=signed.pk, signed_on=DAY, signed_count=2)
    api = ApiClient(org["sales1"])
    assert api.get(f"/customers/{signed.pk}").json()["first_signed_on"] == "2026-03-15"
    assert api.get(f"/customers/{plain.pk}").json()["first_signed_on"] is None
    items = {r["id"]: r for r in api.get("/customers").json()["items"]}
    assert (items[signed.pk]["lifecycle"], items[signed.pk]["first_signed_on"]) == ("repeat", "2026-03-15")
    assert (items[plain.pk]["lifecycle"], items[plain.pk]["first_signed_on"]) == ("potential", None)

    client.force_login(org["sales1"])
    html = client.get(f"/customers/{signed.pk}/").content.decode()
    assert "首次签约日期" in html and "2026-03-15" in html and "重复购买" in html
    assert "首次签约日期" not in client.get(f"/customers/{plain.pk}/").content.decode()

    response = ApiClient(org["boss"]).get("/exports/customers", format="csv", sort="id")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["客户名称"], r["首次签约日期"]) for r in rows] == [(signed.name, "2026-03-15"), (plain.name, "")]
