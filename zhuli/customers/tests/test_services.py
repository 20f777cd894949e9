"""Customer and contact services: validation, kinds, 查重 blocking and warnings, transfer, delete,
and the derived search keys. Every refusal is checked to have changed nothing."""
from __future__ import annotations

import datetime

import pytest

from zhuli.activities.services import followup_create
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput, NotFound
from zhuli.customers.models import Contact, Customer, OwnerChange
from zhuli.customers.selectors import CustomerFilters, customer_list
from zhuli.customers.services import (
    DuplicateCustomer,
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_delete,
    customer_transfer,
    customer_update,
)
from zhuli.preferences.models import DictionaryItem, DictionaryKind

WOLISEN = "北京沃力森信息技术有限公司"
USCC = "91110108551385082Q"


def create(actor, **data):
    data.setdefault("kind", "enterprise")
    return customer_create(actor=actor, data=data)


class Unchanged:
    """Counts customers, contacts, owner changes and audit events before and after a refusal."""

    def __init__(self):
        self.before = self.snapshot()

    @staticmethod
    def snapshot():
        return (Customer.objects.count(), Contact.objects.count(), OwnerChange.objects.count(),
                AuditEvent.objects.count())

    def check(self):
        assert self.snapshot() == self.before


@pytest.fixture
def unchanged(org):
    return Unchanged


def found(actor, q: str) -> set[str]:
    return set(customer_list(actor=actor, filters=CustomerFilters(q=q)).values_list("name", flat=True))


# ---- creating -------------------------------------------------------------------------------


def test_create_enterprise_needs_only_kind_and_name_and_is_owned_by_the_creator(org):
    sales1 = org.actor("sales1")
    result = create(sales1, name=WOLISEN)
    customer = result.customer
    assert (customer.kind, customer.name, customer.owner_id, customer.created_by_id) == (
        "enterprise", WOLISEN, org["sales1"].pk, org["sales1"].pk)
    assert customer.department_id == org["sales1"].department_id
    assert result.warnings == []
    assert customer.name_key == WOLISEN and customer.search_bigrams


def test_create_individual_with_its_own_fields(org):
    result = create(org.actor("sales1"), kind="individual", name="王德生先生", gender="male", mobile="138 0013 8000",
                    email="wang@example.com", wechat="wds", birthday=datetime.date(1980, 5, 4))
    c = result.customer
    assert (c.kind, c.gender, c.mobile, c.email, c.birthday) == (
        "individual", "male", "138 0013 8000", "wang@example.com", datetime.date(1980, 5, 4))
    assert "|13800138000|" in c.phone_keys


def test_fields_of_the_other_kind_are_dropped(org):
    industry = DictionaryItem.objects.filter(kind=DictionaryKind.INDUSTRY).first()
    person = create(org.actor("sales1"), kind="individual", name="李四", website="https://li.example.com",
                    credit_code=USCC, short_name="老李", industry_id=industry.pk, introduction="不该保存").customer
    assert (person.website, person.credit_code, person.short_name, person.industry_id, person.introduction) == (
        "", "", "", None, "")
    company = create(org.actor("sales1"), name=WOLISEN, gender="female", mobile="13800138000",
                     email="x@example.com", birthday=datetime.date(1990, 1, 1)).customer
    assert (company.gender, company.mobile, company.email, company.birthday) == ("", "", "", None)


def test_fields_of_the_other_kind_are_not_even_checked(org):
    person = create(org.actor("sales1"), kind="individual", name="张先生", credit_code="123", industry_id="x").customer
    company = create(org.actor("sales1"), name=WOLISEN, email="not-an-email", gender="robot").customer
    assert (person.credit_code, company.email, company.gender) == ("", "", "")


@pytest.mark.parametrize("data, field", [
    ({"name": WOLISEN}, "kind"),
    ({"kind": "robot", "name": WOLISEN}, "kind"),
    ({"kind": "enterprise"}, "name"),
    ({"kind": "enterprise", "name": "  \x00 "}, "name"),
    ({"kind": "enterprise", "name": "公" * 201}, "name"),
    ({"kind": "enterprise", "name": WOLISEN, "credit_code": "91110108551385082A"}, "credit_code"),
    ({"kind": "enterprise", "name": WOLISEN, "credit_code": "123"}, "credit_code"),
    ({"kind": "enterprise", "name": WOLISEN, "phone": "call me"}, "phone"),
    ({"kind": "individual", "name": "王", "email": "not-an-email"}, "email"),
    ({"kind": "individual", "name": "王", "gender": "robot"}, "gender"),
    ({"kind": "individual", "name": "王", "birthday": datetime.date(1800, 1, 1)}, "birthday"),
    ({"kind": "enterprise", "name": WOLISEN, "source_id": "x"}, "source_id"),
    ({"kind": "enterprise", "name": WOLISEN, "province_id": "999999"}, "province_id"),
    ({"kind": "enterprise", "name": WOLISEN, "province_id": "11", "city_id": "4403"}, "city_id"),
])
def test_invalid_input_names_the_field_and_saves_nothing(org, unchanged, data, field):
    check = unchanged()
    with pytest.raises(InvalidInput) as exc:
        customer_create(actor=org.actor("sales1"), data=data)
    assert field in exc.value.errors
    check.check()


def test_a_deactivated_dictionary_item_is_refused_for_new_records(org):
    source = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).first()
    source.is_active = False
    source.save()
    with pytest.raises(InvalidInput) as exc:
        create(org.actor("sales1"), name=WOLISEN, source_id=source.pk)
    assert "source_id" in exc.value.errors


@pytest.mark.parametrize("given", [USCC, USCC.lower(), " 9111 0108 5513 8508 2Q ", "９１１１０１０８５５１３８５０８２Ｑ"])
def test_credit_code_checksum_and_normalisation(org, given):
    customer = create(org.actor("sales1"), name=WOLISEN, credit_code=given).customer
    assert customer.credit_code == USCC


def test_name_phone_and_website_are_cleaned_but_kept_as_entered(org):
    customer = create(org.actor("sales1"), name=f"  {WOLISEN}\x07\r\n ", phone="010-6234 5678",
                      website="HTTPS://www.WoLiSen.com/about?x=1", tags="重点，华北; 重点").customer
    assert customer.name == WOLISEN
    assert customer.phone == "010-6234 5678"  # stored as entered, compared by its digits
    assert customer.phone_keys == "|01062345678|"
    assert customer.website == "HTTPS://www.WoLiSen.com/about?x=1"
    assert customer.website_host == "wolisen.com"
    assert customer.tags == "重点,华北"


def test_regions_must_nest(org):
    customer = create(org.actor("sales1"), name=WOLISEN, province_id="11", city_id="1101",
                      district_id="110108").customer
    assert (customer.province.short_name, customer.district_id) == ("北京", "110108")


# ---- duplicates -----------------------------------------------------------------------------


def test_an_exact_duplicate_blocks_and_names_owner_only(org, unchanged):
    create(org.actor("sales4"), name=WOLISEN)
    check = unchanged()
    with pytest.raises(DuplicateCustomer) as exc:
        create(org.actor("sales1"), name=f" {WOLISEN} ")
    assert exc.value.status == 409 and exc.value.code == "duplicate"
    assert exc.value.report.blocking == [
        {"name": WOLISEN, "owner": {"id": org["sales4"].pk, "name": "杨静"}, "reason": "客户名称相同"}]
    assert "杨静" in exc.value.message
    check.check()


def test_the_same_credit_code_blocks_under_another_name(org):
    create(org.actor("sales4"), name=WOLISEN, credit_code=USCC)
    with pytest.raises(DuplicateCustomer) as exc:
        create(org.actor("sales1"), name="沃力森", credit_code=USCC.lower())
    assert exc.value.report.blocking[0]["reason"] == "统一社会信用代码相同"


@pytest.mark.parametrize("who", ["boss", "manager1", "director"])
def test_roles_that_may_delete_may_override_a_duplicate(org, who):
    create(org.actor("sales4"), name=WOLISEN)
    result = customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": WOLISEN}, allow_duplicate=True)
    assert result.customer.pk and Customer.objects.filter(name_key=WOLISEN).count() == 2


@pytest.mark.parametrize("who", ["sales1", "assistant"])
def test_others_may_not_override_a_duplicate(org, unchanged, who):
    create(org.actor("sales4"), name=WOLISEN)
    check = unchanged()
    with pytest.raises(Forbidden):
        customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": WOLISEN}, allow_duplicate=True)
    check.check()


@pytest.mark.parametrize("existing, new", [
    ({"name": "甲公司", "phone": "010-6234 5678"}, {"name": "乙公司", "phone": "(010) 62345678"}),
    ({"name": "甲公司", "website": "https://www.wolisen.com/"}, {"name": "乙公司", "website": "wolisen.com/cn"}),
    ({"name": "沃力森(北京)信息技术有限公司"}, {"name": "沃力森信息技术有限公司"}),
    ({"name": "沃力森信息技术有限公司"}, {"name": "沃力森（北京）信息技术有限公司"}),
    ({"kind": "individual", "name": "王先生", "mobile": "+86 138 0013 8000"},
     {"kind": "individual", "name": "王德生", "mobile": "13800138000"}),
])
def test_similar_records_warn_but_do_not_block(org, existing, new):
    create(org.actor("sales4"), **existing)
    result = create(org.actor("sales1"), **new)
    assert result.customer.pk
    assert result.warnings == [{"name": existing["name"], "owner": {"id": org["sales4"].pk, "name": "杨静"},
                                "reason": "疑似重复"}]


def test_renaming_an_individual_warns_about_the_same_mobile(org):
    create(org.actor("sales4"), kind="individual", name="王先生", mobile="13800138000")
    mine = create(org.actor("sales1"), kind="individual", name="王某", mobile="138 0013 8000").customer
    result = customer_update(actor=org.actor("sales1"), customer_id=mine.pk, data={"name": "王德生"})
    assert [w["name"] for w in result.warnings] == ["王先生"]


def test_a_warning_about_a_visible_record_carries_its_id(org):
    mine = create(org.actor("sales1"), name="甲公司", phone="01062345678").customer
    result = create(org.actor("sales1"), name="乙公司", phone="010 6234 5678")
    assert result.warnings[0]["id"] == mine.pk


def test_pool_customers_are_named_with_the_pool(org):
    customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": WOLISEN, "to_pool": True})
    with pytest.raises(DuplicateCustomer) as exc:
        create(org.actor("sales1"), name=WOLISEN)
    assert exc.value.report.blocking[0]["owner"] is None and "公海" in exc.value.message


# ---- updating -------------------------------------------------------------------------------


def test_update_changes_given_fields_and_keeps_the_kind(org):
    sales1 = org.actor("sales1")
    customer = create(sales1, name=WOLISEN, phone="010-1").customer
    result = customer_update(actor=sales1, customer_id=customer.pk,
                             data={"name": "沃力森科技", "owner_id": org["sales4"].pk, "gender": "male"})
    customer.refresh_from_db()
    assert (customer.name, customer.name_key, customer.kind, customer.owner_id, customer.gender) == (
        "沃力森科技", "沃力森科技", "enterprise", org["sales1"].pk, "")
    assert customer.phone == "010-1" and result.warnings == []
    assert found(sales1, "科技") == {"沃力森科技"} and found(sales1, "沃力森信息") == set()
    event = AuditEvent.objects.filter(action="customer.update").get()
    assert event.changes["name"] == [WOLISEN, "沃力森科技"]


def test_update_refuses_a_kind_change_and_a_duplicate_name(org, unchanged):
    sales1 = org.actor("sales1")
    customer = create(sales1, name=WOLISEN).customer
    create(org.actor("sales4"), name="另一家公司")
    check = unchanged()
    with pytest.raises(InvalidInput) as exc:
        customer_update(actor=sales1, customer_id=customer.pk, data={"kind": "individual"})
    assert "kind" in exc.value.errors
    with pytest.raises(DuplicateCustomer):
        customer_update(actor=sales1, customer_id=customer.pk, data={"name": "另一家公司"})
    customer_update(actor=sales1, customer_id=customer.pk, data={"name": WOLISEN + " "})  # itself is no duplicate
    customer.refresh_from_db()
    assert (customer.kind, customer.name) == ("enterprise", WOLISEN)
    check.check()


def test_update_of_an_invisible_customer_is_not_found(org, unchanged):
    customer = create(org.actor("sales4"), name=WOLISEN).customer
    check = unchanged()
    with pytest.raises(NotFound):
        customer_update(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": "抢来的"})
    check.check()


# ---- transfer and delete --------------------------------------------------------------------


def test_transfer_changes_owner_and_logs_it(org):
    customer = create(org.actor("sales1"), name=WOLISEN).customer
    moved = customer_transfer(actor=org.actor("manager1"), customer_ids=[customer.pk], to_user_id=org["sales4"].pk,
                              reason="  区域调整 ")
    assert moved == 1
    customer.refresh_from_db()
    assert (customer.owner_id, customer.department_id) == (org["sales4"].pk, org["sales4"].department_id)
    change = OwnerChange.objects.get(customer=customer)
    assert (change.from_owner_id, change.to_owner_id, change.changed_by_id, change.reason, change.kind) == (
        org["sales1"].pk, org["sales4"].pk, org["manager1"].pk, "区域调整", "transfer")
    # The new owner's scope now holds it; the old owner's does not.
    assert found(org.actor("sales4"), "沃力森") == {WOLISEN} and found(org.actor("sales1"), "沃力森") == set()


def test_bulk_transfer_moves_each_and_skips_those_already_owned(org):
    sales1 = org.actor("sales1")
    ids = [create(sales1, name=f"批量客户{i}").customer.pk for i in range(3)]
    already = create(org.actor("sales2"), name="已经是他的").customer.pk
    moved = customer_transfer(actor=org.actor("manager1"), customer_ids=ids + [already], to_user_id=org["sales2"].pk)
    assert moved == 3
    assert set(Customer.objects.filter(pk__in=ids + [already]).values_list("owner_id", flat=True)) == {org["sales2"].pk}
    assert OwnerChange.objects.count() == 3


def test_transfer_refusals_change_nothing(org, unchanged):
    sales1_customer = create(org.actor("sales1"), name=WOLISEN).customer
    outside = create(org.actor("sales4"), name="二部的客户").customer
    from zhuli.accounts.services import user_deactivate

    user_deactivate(actor=org.actor("admin"), user_id=org["sales3"].pk)
    check = unchanged()
    manager1 = org.actor("manager1")
    with pytest.raises(InvalidInput):  # one id outside manager1's scope: nothing moves
        customer_transfer(actor=manager1, customer_ids=[sales1_customer.pk, outside.pk], to_user_id=org["sales2"].pk)
    with pytest.raises(InvalidInput) as exc:
        customer_transfer(actor=manager1, customer_ids=[sales1_customer.pk], to_user_id=org["sales3"].pk)
    assert "owner_id" in exc.value.errors
    with pytest.raises(NotFound):
        customer_transfer(actor=manager1, customer_ids=[sales1_customer.pk], to_user_id=987654)
    with pytest.raises(Forbidden):
        customer_transfer(actor=org.actor("sales1"), customer_ids=[sales1_customer.pk], to_user_id=org["sales2"].pk)
    check.check()
    assert Customer.objects.get(pk=sales1_customer.pk).owner_id == org["sales1"].pk


def test_create_for_another_owner_needs_the_transfer_right(org, unchanged):
    check = unchanged()
    with pytest.raises(Forbidden):
        create(org.actor("sales1"), name=WOLISEN, owner_id=org["sales2"].pk)
    check.check()
    customer = create(org.actor("manager1"), name=WOLISEN, owner_id=org["sales2"].pk).customer
    assert customer.owner_id == org["sales2"].pk and customer.created_by_id == org["manager1"].pk


def test_delete_removes_contacts_and_followups_and_keeps_the_name_in_the_audit(org):
    customer = create(org.actor("sales1"), name=WOLISEN).customer
    contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"name": "张三"})
    followup_create(actor=org.actor("sales1"), customer_id=customer.pk, data={"content": "电话"})
    customer_delete(actor=org.actor("manager1"), customer_id=customer.pk)
    assert not Customer.objects.filter(pk=customer.pk).exists() and not Contact.objects.exists()
    from zhuli.activities.models import FollowUp

    assert not FollowUp.objects.exists()
    event = AuditEvent.objects.get(action="customer.delete")
    assert (event.target_id, event.changes["name"], event.actor_id) == (customer.pk, WOLISEN, org["manager1"].pk)


def test_delete_refusals_change_nothing(org, unchanged):
    customer = create(org.actor("sales1"), name=WOLISEN).customer
    check = unchanged()
    with pytest.raises(Forbidden):
        customer_delete(actor=org.actor("sales1"), customer_id=customer.pk)
    with pytest.raises(NotFound):
        customer_delete(actor=org.actor("manager2"), customer_id=customer.pk)
    check.check()


# ---- contacts and the search text -----------------------------------------------------------


def test_contacts_feed_the_customer_search(org):
    sales1 = org.actor("sales1")
    customer = create(sales1, name=WOLISEN).customer
    contact = contact_create(actor=sales1, customer_id=customer.pk,
                             data={"name": "欧阳娜娜", "mobile": "139-1111-2222", "is_primary": True})
    assert found(sales1, "欧阳") == {WOLISEN}
    assert found(sales1, "oyn") == {WOLISEN}
    assert found(sales1, "13911112222") == {WOLISEN}
    contact_update(actor=sales1, contact_id=contact.pk, data={"name": "司马光"})
    assert found(sales1, "欧阳") == set() and found(sales1, "司马") == {WOLISEN}
    contact_delete(actor=sales1, contact_id=contact.pk)
    assert found(sales1, "司马") == set() and found(sales1, "13911112222") == set()
    assert found(sales1, "沃力森") == {WOLISEN}


def test_a_new_primary_contact_demotes_the_previous_one(org):
    sales1 = org.actor("sales1")
    customer = create(sales1, name=WOLISEN).customer
    first = contact_create(actor=sales1, customer_id=customer.pk, data={"name": "甲", "is_primary": True})
    second = contact_create(actor=sales1, customer_id=customer.pk, data={"name": "乙", "is_primary": True})
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    contact_update(actor=sales1, contact_id=first.pk, data={"is_primary": True})
    second.refresh_from_db()
    assert not second.is_primary


@pytest.mark.parametrize("data, field", [({"name": ""}, "name"), ({"name": "甲", "mobile": "abc"}, "mobile"),
                                         ({"name": "甲", "email": "x@"}, "email"), ({"name": "名" * 51}, "name")])
def test_contact_input_errors_name_the_field(org, unchanged, data, field):
    customer = create(org.actor("sales1"), name=WOLISEN).customer
    check = unchanged()
    with pytest.raises(InvalidInput) as exc:
        contact_create(actor=org.actor("sales1"), customer_id=customer.pk, data=data)
    assert field in exc.value.errors
    check.check()


def test_contact_of_an_invisible_customer_is_not_found(org, unchanged):
    customer = create(org.actor("sales4"), name=WOLISEN).customer
    contact = contact_create(actor=org.actor("sales4"), customer_id=customer.pk, data={"name": "杨联系人"})
    check = unchanged()
    sales1 = org.actor("sales1")
    with pytest.raises(NotFound):
        contact_update(actor=sales1, contact_id=contact.pk, data={"name": "改"})
    with pytest.raises(NotFound):
        contact_delete(actor=sales1, contact_id=contact.pk)
    check.check()


# ---- search (runs on SQLite and on PostgreSQL, whichever DATABASE_URL names) ----------------


@pytest.mark.parametrize("q", ["沃力", "力森", "北京沃力森信息技术有限公司", "bjwls", "BJWLS", "beijing", "wolisen",
                               "xinxijishu", "62345678", "010-6234 5678", "（010）62345678", " 沃 力 "])
def test_search_finds_by_substring_pinyin_and_phone_digits(org, q):
    sales1 = org.actor("sales1")
    create(sales1, name=WOLISEN, phone="010-6234 5678")
    create(sales1, name="上海某某贸易有限公司", phone="021-5555 6666")
    assert found(sales1, q) == {WOLISEN}


@pytest.mark.parametrize("q", ["+86 185 5446", "+861855446", "0086-185-5446", "185 5446", "+86 18554461234"])
def test_part_of_a_mobile_typed_after_plus_86_is_found(org, q):
    create(org.actor("sales1"), kind="individual", name="史鑫", mobile="18554461234")
    create(org.actor("sales1"), kind="individual", name="别人", mobile="13986185544")
    assert found(org.actor("sales1"), q) == {"史鑫"}


@pytest.mark.parametrize("q", ["沃森", "bjx", "99999999", "%", "_"])
def test_search_does_not_match_what_is_not_there(org, q):
    create(org.actor("sales1"), name=WOLISEN, phone="010-6234 5678")
    assert found(org.actor("sales1"), q) == set()


def test_search_respects_scope(org):
    create(org.actor("sales4"), name=WOLISEN)
    assert found(org.actor("sales1"), "沃力") == set()
    assert found(org.actor("manager2"), "沃力") == {WOLISEN}
