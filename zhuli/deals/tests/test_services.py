import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.deals import services
from zhuli.deals.models import Agreement, AgreementLine, Quote
from zhuli.deals.tests.conftest import make_customer, make_won
from zhuli.sales.services import opportunity_create

SIGN = datetime.date(2026, 12, 1)


def contract(org, customer, who="sales1", **data):
    payload = {"customer_id": customer.pk, "title": "年度运维合同", "sign_date": SIGN.isoformat(), "amount": "1000.00"}
    payload.update(data)
    lines = payload.pop("lines", None)
    return services.agreement_create(actor=org.actor(who), kind="contract", data=payload, lines=lines)


def order(org, customer, product, who="sales1", **data):
    payload = {"customer_id": customer.pk, "title": "扫码枪采购", "sign_date": SIGN.isoformat()}
    payload.update(data)
    lines = payload.pop("lines", None) or [{"product_id": product.pk, "quantity": "3", "unit_price": "399.00",
                                           "discount": "10"}]
    return services.agreement_create(actor=org.actor(who), kind="order", data=payload, lines=lines)


def snapshot():
    return (list(Agreement.objects.values_list("id", "status", "amount", "foreign_amount", "title").order_by("id")),
            list(AgreementLine.objects.values_list("id", "amount").order_by("id")))


# ---- create, lines, money --------------------------------------------------------------------------

def test_a_contract_is_a_numbered_draft_owned_by_its_creator(org, customer):
    c = contract(org, customer)
    assert c.number.startswith("HT-") and c.status == "draft" and c.shipping_state == ""
    assert c.owner == org["sales1"] and c.amount == Decimal("1000.00") and c.foreign_amount == Decimal("1000.00")
    assert AuditEvent.objects.filter(action="contract.create", target_id=c.pk).exists()


def test_an_order_totals_its_rounded_lines(org, customer, physical_product):
    lines = [{"product_id": physical_product.pk, "quantity": "3", "unit_price": "0.35", "discount": "10"},
             {"product_id": physical_product.pk, "quantity": "1", "unit_price": "0.35", "discount": "10"}]
    o = order(org, customer, physical_product, lines=lines)
    # 3 × 0.35 × 0.9 = 0.945 → 0.95; 0.315 → 0.32; the total is the sum of the rounded lines.
    assert list(o.lines.order_by("position").values_list("amount", flat=True)) == [Decimal("0.95"), Decimal("0.32")]
    assert o.amount == Decimal("1.27") and o.shipping_state == "none" and o.max_discount == Decimal("10.00")
    line = o.lines.first()
    assert (line.name, line.specification, line.tax_rate) == ("扫码枪", "X1", Decimal("13.00"))  # product defaults


def test_contract_lines_may_be_free_text_but_not_physical(org, customer, service_product, physical_product):
    c = contract(org, customer, amount="", lines=[{"name": "驻场支持", "quantity": "2", "unit_price": "800"},
                                                  {"product_id": service_product.pk}])
    assert c.amount == Decimal("6600.00")
    with pytest.raises(InvalidInput) as exc:
        contract(org, customer, lines=[{"product_id": physical_product.pk}], amount="")
    assert "lines.1.product_id" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        order(org, customer, physical_product, lines=[{"name": "自由文本", "unit_price": "1"}])
    assert "lines.1.product_id" in exc.value.errors


def test_foreign_currency_amount_is_rounded_at_the_stored_rate(org, customer):
    c = contract(org, customer, currency="USD", exchange_rate="7.123456", amount="1000.05")
    assert c.foreign_amount == Decimal("1000.05") and c.exchange_rate == Decimal("7.123456")
    assert c.amount == Decimal("7123.81")  # 7123.8122… half-up to the cent


@pytest.mark.parametrize("data, field", [
    ({"amount": "-1"}, "amount"),
    ({"amount": "10.005"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1e999"}, "amount"),
    ({"lines": [{"name": "x", "unit_price": "10", "tax_rate": "130"}], "amount": ""}, "lines.1.tax_rate"),
    ({"lines": [{"name": "x", "unit_price": "10", "discount": "-5"}], "amount": ""}, "lines.1.discount"),
    ({"lines": [{"name": "x", "unit_price": "1.001"}], "amount": ""}, "lines.1.unit_price"),
    ({"lines": [{"name": "x", "unit_price": "1", "quantity": "0"}], "amount": ""}, "lines.1.quantity"),
    ({"currency": "RMB"}, "currency"),
    ({"currency": "USD"}, "exchange_rate"),
    ({"currency": "USD", "exchange_rate": "0"}, "exchange_rate"),
    ({"currency": "USD", "exchange_rate": "7.1234567"}, "exchange_rate"),
    ({"currency": "CNY", "exchange_rate": "7"}, "exchange_rate"),
    ({"start_date": "2026-12-10", "end_date": "2026-12-01"}, "end_date"),
    ({"sign_date": "2026-02-30"}, "sign_date"),
    ({"title": ""}, "title"),
    ({"delivery_address": "合同没有收货地址"}, "delivery_address"),
    ({"customer_id": 999999}, "customer_id"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(org, customer, data, field):
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        contract(org, customer, **data)
    assert field in exc.value.errors, exc.value.errors
    assert snapshot() == before


@pytest.mark.parametrize("quantity, message", [("1e30", "数量过大"), ("abc", "数量应为数字")])
def test_a_bad_quantity_is_blamed_on_the_quantity(org, customer, physical_product, quantity, message):
    before = snapshot()
    with pytest.raises(InvalidInput) as exc:
        order(org, customer, physical_product, lines=[{"product_id": physical_product.pk, "quantity": quantity,
                                                       "unit_price": "10"}])
    assert exc.value.errors == {"lines.1.quantity": [message]}
    assert snapshot() == before


def test_lines_total_must_match_a_typed_amount(org, customer):
    with pytest.raises(InvalidInput) as exc:
        contract(org, customer, amount="5", lines=[{"name": "x", "unit_price": "10"}])
    assert "10.00" in exc.value.errors["amount"][0]


def test_customer_and_opportunity_go_through_visibility(org, customer):
    theirs = make_customer(org, "sales4", "销售四号的客户")
    with pytest.raises(InvalidInput) as exc:
        contract(org, theirs)
    assert "customer_id" in exc.value.errors
    other = make_customer(org, "sales1", "另一个客户")
    opp = make_won(org, other)
    with pytest.raises(InvalidInput) as exc:
        contract(org, customer, opportunity_id=opp.pk)
    assert "opportunity_id" in exc.value.errors


def test_owner_defaults_to_the_actor_and_managers_pick_someone_in_scope(org, customer):
    with pytest.raises(InvalidInput) as exc:
        contract(org, customer, owner_id=org["sales2"].pk)  # a salesperson may not hand it over
    assert "owner_id" in exc.value.errors
    mine = contract(org, customer, who="manager1", owner_id=org["sales2"].pk)
    assert mine.owner == org["sales2"]
    with pytest.raises(InvalidInput):
        contract(org, customer, who="manager1", owner_id=org["sales4"].pk)  # another department


# ---- status machine --------------------------------------------------------------------------------

def test_submit_needs_a_sign_date_and_goes_straight_into_force_without_a_rule(org, customer):
    c = contract(org, customer, sign_date="")
    with pytest.raises(InvalidInput) as exc:
        services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    assert "sign_date" in exc.value.errors
    assert Agreement.objects.get(pk=c.pk).status == "draft"
    services.agreement_update(actor=org.actor("sales1"), agreement_id=c.pk, data={"sign_date": "2026-12-01"})
    c = services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    assert Agreement.objects.get(pk=c.pk).status == "active"
    assert set(AuditEvent.objects.filter(target_id=c.pk).values_list("action", flat=True)) >= {
        "contract.submit", "contract.approved"}


def test_an_order_submits_to_confirmed_and_needs_lines(org, customer, physical_product):
    o = order(org, customer, physical_product)
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=o.pk)
    assert Agreement.objects.get(pk=o.pk).status == "confirmed"


def test_approval_callbacks_move_pending_agreements(org, customer):
    c = contract(org, customer)
    Agreement.objects.filter(pk=c.pk).update(status="pending")
    services.agreement_on_rejected(actor=org.actor("manager1"), obj=c, comment="价格太低")
    assert Agreement.objects.get(pk=c.pk).status == "draft"
    Agreement.objects.filter(pk=c.pk).update(status="pending")
    services.agreement_on_approved(actor=org.actor("manager1"), obj=c)
    assert Agreement.objects.get(pk=c.pk).status == "active"
    services.agreement_on_approved(actor=org.actor("manager1"), obj=c)  # late callbacks change nothing
    assert Agreement.objects.get(pk=c.pk).status == "active"


def test_an_active_contracts_amount_and_lines_cannot_change_but_details_can(org, customer):
    c = contract(org, customer)
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    before = snapshot()
    for data in ({"amount": "2000"}, {"currency": "USD", "exchange_rate": "7"}, {"sign_date": "2026-12-02"}):
        with pytest.raises(Conflict) as exc:
            services.agreement_update(actor=org.actor("sales1"), agreement_id=c.pk, data=data)
        assert exc.value.field == next(iter(data)), exc.value.field
    with pytest.raises(Conflict) as exc:
        services.agreement_update(actor=org.actor("sales1"), agreement_id=c.pk, data={},
                                  lines=[{"name": "x", "unit_price": "1"}])
    assert exc.value.field == "lines"
    assert snapshot() == before
    # Resending the current amount is no change; details stay editable while in force.
    services.agreement_update(actor=org.actor("sales1"), agreement_id=c.pk,
                              data={"amount": "1000.00", "title": "改名后的合同", "end_date": "2027-11-30"})
    c.refresh_from_db()
    assert (c.title, c.amount, c.end_date) == ("改名后的合同", Decimal("1000.00"), datetime.date(2027, 11, 30))


def test_complete_terminate_and_the_table_of_transitions(org, customer, physical_product):
    actor = org.actor("sales1")
    c = contract(org, customer)
    with pytest.raises(Conflict):
        services.agreement_complete(actor=actor, agreement_id=c.pk)  # a draft is not in force
    with pytest.raises(Conflict):
        services.contract_terminate(actor=actor, agreement_id=c.pk)
    services.agreement_submit(actor=actor, agreement_id=c.pk)
    services.contract_terminate(actor=actor, agreement_id=c.pk, reason="客户撤资")
    assert Agreement.objects.get(pk=c.pk).status == "terminated"
    with pytest.raises(Conflict):
        services.agreement_update(actor=actor, agreement_id=c.pk, data={"title": "x"})
    o = order(org, customer, physical_product)
    with pytest.raises(NotFound):
        services.contract_terminate(actor=actor, agreement_id=o.pk)  # an order is no contract
    services.agreement_submit(actor=actor, agreement_id=o.pk)
    services.agreement_complete(actor=actor, agreement_id=o.pk)
    assert Agreement.objects.get(pk=o.pk).status == "completed"


def test_order_cancel_is_refused_once_money_came_in(org, customer, physical_product):
    actor = org.actor("sales1")
    o = order(org, customer, physical_product)
    services.agreement_submit(actor=actor, agreement_id=o.pk)
    Agreement.objects.filter(pk=o.pk).update(received_amount=Decimal("100.00"))
    with pytest.raises(Conflict) as exc:
        services.order_cancel(actor=actor, agreement_id=o.pk)
    assert exc.value.code == "has_payments"
    Agreement.objects.filter(pk=o.pk).update(received_amount=0)
    services.order_cancel(actor=actor, agreement_id=o.pk, reason="客户取消")
    assert Agreement.objects.get(pk=o.pk).status == "cancelled"


def test_only_drafts_are_deleted_and_sales_may_not_delete(org, customer):
    c = contract(org, customer)
    with pytest.raises(Forbidden):
        services.agreement_delete(actor=org.actor("sales1"), agreement_id=c.pk)
    services.agreement_submit(actor=org.actor("sales1"), agreement_id=c.pk)
    with pytest.raises(Conflict):
        services.agreement_delete(actor=org.actor("manager1"), agreement_id=c.pk)
    draft = contract(org, customer)
    services.agreement_delete(actor=org.actor("manager1"), agreement_id=draft.pk)
    assert not Agreement.objects.filter(pk=draft.pk).exists()


def test_a_colleague_cannot_touch_my_agreement(org, customer):
    c = contract(org, customer)
    for call in (lambda a: services.agreement_update(actor=a, agreement_id=c.pk, data={"title": "x"}),
                 lambda a: services.agreement_submit(actor=a, agreement_id=c.pk),
                 lambda a: services.agreement_delete(actor=a, agreement_id=c.pk)):
        with pytest.raises(NotFound):
            call(org.actor("sales4"))
    assert Agreement.objects.get(pk=c.pk).title == "年度运维合同"


# ---- conversion ------------------------------------------------------------------------------------

def test_a_won_opportunity_converts_once(org, customer):
    opp = make_won(org, customer)
    c = services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="contract")
    assert (c.customer_id, c.opportunity_id, c.amount, c.title) == (customer.pk, opp.pk, Decimal("120000.00"), "年度服务")
    with pytest.raises(services.AgreementExists) as exc:
        services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="order")
    assert exc.value.existing.pk == c.pk and exc.value.visible_to_actor and c.number in exc.value.message
    assert Agreement.objects.count() == 1


def test_a_converted_opportunity_cannot_be_deleted(org, customer):
    from zhuli.sales.models import Opportunity
    from zhuli.sales.services import opportunity_delete

    opp = make_won(org, customer)
    c = services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="contract")
    with pytest.raises(services.AgreementExists) as exc:
        opportunity_delete(actor=org.actor("manager1"), opportunity_id=opp.pk)
    assert c.number in exc.value.message
    assert Opportunity.objects.filter(pk=opp.pk).exists() and Agreement.objects.filter(pk=c.pk).exists()


def test_only_won_opportunities_convert(org, customer):
    opp = opportunity_create(actor=org.actor("sales1"), data={"customer_id": customer.pk, "title": "跟踪中"})
    with pytest.raises(Conflict) as exc:
        services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="contract")
    assert exc.value.code == "not_won"
    with pytest.raises(NotFound):
        services.agreement_from_opportunity(actor=org.actor("sales4"), opportunity_id=opp.pk, kind="contract")


def test_a_manager_converting_keeps_the_salesperson_as_owner(org, customer):
    opp = make_won(org, customer)
    c = services.agreement_from_opportunity(actor=org.actor("manager1"), opportunity_id=opp.pk, kind="order")
    assert c.owner == org["sales1"] and c.kind == "order" and c.shipping_state == "none"


# ---- database constraints (either-or, one per opportunity) -----------------------------------------

def test_the_database_refuses_a_contract_with_a_shipping_state(org, customer):
    c = contract(org, customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=c.pk).update(shipping_state="none")


def test_the_database_refuses_an_order_status_on_a_contract(org, customer):
    c = contract(org, customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=c.pk).update(status="confirmed")


def test_the_database_refuses_two_agreements_for_one_opportunity(org, customer):
    opp = make_won(org, customer)
    services.agreement_from_opportunity(actor=org.actor("sales1"), opportunity_id=opp.pk, kind="contract")
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(kind="order", number="DD-X-1", title="第二个", customer=customer, opportunity=opp,
                                 owner=org["sales1"], shipping_state="none")


def test_the_database_refuses_a_negative_amount(org, customer):
    c = contract(org, customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=c.pk).update(amount=Decimal("-1"))


# ---- quotes ----------------------------------------------------------------------------------------

def test_a_quote_converts_into_an_order_with_its_lines(org, customer, physical_product):
    actor = org.actor("sales1")
    opp = make_won(org, customer)
    q = services.quote_create(actor=actor, data={"customer_id": customer.pk, "title": "扫码枪报价",
                                                 "opportunity_id": opp.pk, "valid_until": "2027-01-31"},
                              lines=[{"product_id": physical_product.pk, "quantity": "10", "discount": "5"}])
    assert q.number.startswith("BJ-") and q.total == Decimal("3790.50")
    o = services.quote_convert(actor=actor, quote_id=q.pk, kind="order")
    assert (o.kind, o.amount, o.quote_id, o.opportunity_id) == ("order", Decimal("3790.50"), q.pk, opp.pk)
    assert Quote.objects.get(pk=q.pk).status == "converted"
    with pytest.raises(Conflict):
        services.quote_convert(actor=actor, quote_id=q.pk, kind="order")
    with pytest.raises(Conflict):
        services.quote_update(actor=actor, quote_id=q.pk, data={"title": "x"})


def test_quote_bad_input(org, customer):
    actor = org.actor("sales1")
    with pytest.raises(InvalidInput) as exc:
        services.quote_create(actor=actor, data={"customer_id": customer.pk, "title": "x", "quote_date": "2026-12-10",
                                                 "valid_until": "2026-12-01"})
    assert "valid_until" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        services.quote_create(actor=actor, data={"customer_id": customer.pk, "title": "x"},
                              lines=[{"name": "x", "unit_price": "1", "tax_rate": "130%"}])
    assert "lines.1.tax_rate" in exc.value.errors
    assert not Quote.objects.exists()


# ---- hooks -----------------------------------------------------------------------------------------

def test_a_customer_with_agreements_cannot_be_deleted(org, customer):
    from zhuli.customers.services import customer_delete

    contract(org, customer)
    with pytest.raises(Conflict):
        customer_delete(actor=org.actor("boss"), customer_id=customer.pk)


def test_a_departing_users_agreements_transfer(org, customer):
    c = contract(org, customer)
    moved = services.agreements_transfer_all(actor=org.actor("admin"), from_user=org["sales1"], to_user=org["sales2"])
    assert moved == 1 and Agreement.objects.get(pk=c.pk).owner == org["sales2"]


def test_attachments_are_checked_by_content(org, customer, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                                          "OPTIONS": {"location": str(tmp_path)}}}
    c = contract(org, customer)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    att = services.attachment_add(actor=org.actor("sales1"), agreement_id=c.pk, upload=pdf)
    assert att.content_type == "application/pdf" and att.stored_name.endswith(".pdf")
    with pytest.raises(InvalidInput):
        services.attachment_add(actor=org.actor("sales1"), agreement_id=c.pk, upload=b"MZ\x90\x00 not a pdf")
    with pytest.raises(InvalidInput):
        services.attachment_add(actor=org.actor("sales1"), agreement_id=c.pk, upload=b"%PDF-1.4 truncated")
    services.attachment_remove(actor=org.actor("sales1"), attachment_id=att.pk, agreement_id=c.pk)
    assert not c.attachments.exists()


def test_a_pool_customer_is_claimed_first(org):
    from zhuli.customers.services import customer_create

    pooled = customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": "公海里的客户",
                                                            "to_pool": True}).customer
    with pytest.raises(InvalidInput) as exc:
        contract(org, pooled, who="boss")
    assert "领取" in exc.value.errors["customer_id"][0]
