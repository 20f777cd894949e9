"""Customer selectors: filters, stable sorting, search, and the query counts list pages rely on."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhuli.activities.selectors import followup_list, todo_list
from zhuli.activities.services import followup_create
from zhuli.core.models import Region
from zhuli.core.pagination import paginate
from zhuli.customers.models import Customer
from zhuli.customers.selectors import (
    CustomerFilters,
    contact_list,
    customer_list,
    customer_list_rows,
    customer_suggest,
    owner_changes,
    pool_ids_visible,
    recent_customers,
)
from zhuli.customers.services import customer_create, customer_record_view, customer_transfer
from zhuli.preferences.models import DictionaryItem, DictionaryKind

from .factories import ContactFactory, CustomerFactory


def item(kind: str, index: int = 0) -> DictionaryItem:
    return DictionaryItem.objects.filter(kind=kind).order_by("order")[index]


def warmed(actor):
    """An actor whose grants and scope are loaded, so a count measures the list query alone."""
    actor.owner_ids(actor.grant("customers").scope)
    pool_ids_visible(actor)
    return actor


@pytest.fixture
def fifty(org):
    """50 customers of team 1 with every list column filled, each with a contact and a follow-up."""
    beijing, city = Region.objects.get(code="11"), Region.objects.get(code="1101")
    owners = [org[k] for k in ("sales1", "sales2", "sales3", "manager1")]
    customers = [
        CustomerFactory(owner=owners[i % 4], level=item(DictionaryKind.LEVEL), status=item(DictionaryKind.STATUS),
                        source=item(DictionaryKind.SOURCE), industry=item(DictionaryKind.INDUSTRY),
                        province=beijing, city=city, phone="010-1234 5678")
        for i in range(50)
    ]
    for customer in customers:
        ContactFactory(customer=customer)
    return customers


def render_rows(rows) -> list[tuple]:
    """Everything a list page shows per row."""
    return [(r.name, r.owner.display_name if r.owner else "", r.level.name, r.status.name, r.source.name,
             r.industry.name, r.province.name, r.city.name, r.next_followup_at) for r in rows]


def test_customer_list_page_is_one_query_for_50_rows(org, fifty, django_assert_num_queries):
    actor = warmed(org.actor("manager1"))
    with django_assert_num_queries(1):
        rows = render_rows(customer_list_rows(customer_list(actor=actor))[:50])
    assert len(rows) == 50 and rows[0][1] in {"王小明", "陈晓红", "刘伟", "郑经理"}


def test_a_cold_actor_adds_only_its_scope_queries(org, fifty, django_assert_max_num_queries):
    # The user's tenant (a request has it already), grants, department path, team members, pools, the page.
    with django_assert_max_num_queries(6):
        render_rows(customer_list_rows(customer_list(actor=org.actor("manager1")))[:50])
    with django_assert_max_num_queries(3):  # boss: tenant, grants and the page
        render_rows(customer_list_rows(customer_list(actor=org.actor("boss")))[:50])


def test_paginated_list_is_count_plus_page(org, fifty, django_assert_num_queries):
    actor = warmed(org.actor("boss"))
    with django_assert_num_queries(2):
        page = paginate(customer_list_rows(customer_list(actor=actor, filters=CustomerFilters(q="工厂"))),
                        page=2, page_size=20)
        render_rows(page.items)
    assert (page.count, len(page.items), page.pages) == (50, 20, 3)


def test_via_models_filter_in_the_query_not_per_row(org, fifty, django_assert_num_queries):
    actor = warmed(org.actor("manager1"))
    with django_assert_num_queries(1):
        names = [(c.name, c.customer.name) for c in contact_list(actor=actor)]
    assert len(names) == 50
    for customer in fifty[:10]:
        followup_create(actor=org.actor("boss"), customer_id=customer.pk,
                        data={"content": "跟进", "next_at": timezone.now() + datetime.timedelta(days=1)})
    actor = warmed(org.actor("manager1"))
    with django_assert_num_queries(1):
        rows = [(f.customer.name, f.owner.name, f.contact, f.type) for f in followup_list(actor=actor)]
    assert len(rows) == 10
    with django_assert_num_queries(1):
        todos = [(t.customer.name, t.owner.name) for t in todo_list(actor=actor)]
    assert len(todos) == 10


def test_recent_and_suggest_are_bounded(org, fifty, django_assert_num_queries):
    actor = warmed(org.actor("sales1"))
    for customer in fifty[:12:4]:
        customer_record_view(actor=actor, customer=customer)
    with django_assert_num_queries(2):
        recent = [c.name for c in recent_customers(actor=actor)]
    assert len(recent) == 3
    # The names that start with the query, then (if they are too few) the other matches: at most two queries.
    with django_assert_num_queries(1):
        assert len(customer_suggest(actor=actor, q="工厂", limit=8)) == 8
    with django_assert_num_queries(2):
        assert len(customer_suggest(actor=actor, q="厂", limit=8)) == 8


# ---- filters and sorting --------------------------------------------------------------------


@pytest.fixture
def mixed(org):
    now = timezone.now()
    rows = {
        "mine": CustomerFactory(owner=org["sales1"], kind="enterprise", tags="重点,华北", status=item(DictionaryKind.STATUS),
                                next_followup_at=now + datetime.timedelta(days=1), last_followup_at=now),
        "colleague": CustomerFactory(owner=org["sales2"], kind="individual", level=item(DictionaryKind.LEVEL),
                                     last_followup_at=now - datetime.timedelta(days=40)),
        "pool": CustomerFactory(owner=None, province=Region.objects.get(code="11")),
        "team2": CustomerFactory(owner=org["sales4"], next_followup_at=now + datetime.timedelta(days=10)),
    }
    return rows


def ids(qs) -> set[int]:
    return set(qs.values_list("id", flat=True))


@pytest.mark.parametrize("filters, expected", [
    (CustomerFilters(owner="me"), set()),  # the boss owns none of them
    (CustomerFilters(owner="none"), {"pool"}),
    (CustomerFilters(owner="not-a-number"), set()),
    (CustomerFilters(kind="individual"), {"colleague"}),
    (CustomerFilters(tag="华北"), {"mine"}),
    (CustomerFilters(province="11"), {"pool"}),
    (CustomerFilters(no_followup_days=30), {"colleague", "pool", "team2"}),
])
def test_filters(org, mixed, filters, expected):
    got = ids(customer_list(actor=org.actor("boss"), filters=filters))
    assert got == {mixed[k].pk for k in expected}


def test_owner_department_and_dictionary_filters(org, mixed):
    boss = org.actor("boss")
    assert ids(customer_list(actor=boss, filters=CustomerFilters(owner=str(org["sales2"].pk)))) == {mixed["colleague"].pk}
    assert ids(customer_list(actor=org.actor("sales1"), filters=CustomerFilters(owner="me"))) == {mixed["mine"].pk}
    team1 = org.department("销售一部")
    assert ids(customer_list(actor=boss, filters=CustomerFilters(department=team1.pk))) == {
        mixed["mine"].pk, mixed["colleague"].pk}
    center = org.department("销售中心")
    assert ids(customer_list(actor=boss, filters=CustomerFilters(department=center.pk))) == {
        mixed["mine"].pk, mixed["colleague"].pk, mixed["team2"].pk}
    assert ids(customer_list(actor=boss, filters=CustomerFilters(status=item(DictionaryKind.STATUS).pk))) == {
        mixed["mine"].pk}
    today = timezone.localdate()
    window = CustomerFilters(next_from=today, next_to=today + datetime.timedelta(days=2))
    assert ids(customer_list(actor=boss, filters=window)) == {mixed["mine"].pk}
    # Filters never widen the scope.
    assert ids(customer_list(actor=org.actor("sales1"), filters=CustomerFilters(owner=str(org["sales4"].pk)))) == set()


def test_every_sort_has_a_unique_tie_breaker_so_pages_never_repeat(org):
    for i in range(25):
        CustomerFactory(owner=org["sales1"], name=f"同名公司{i % 3}")
    boss = org.actor("boss")
    for sort in ("name", "-name", "next_followup_at", "-last_followup_at", "created_at", "bogus", ""):
        qs = customer_list(actor=boss, sort=sort)
        seen = [c.pk for n in (1, 2, 3) for c in paginate(qs, page=n, page_size=10).items]
        assert len(seen) == len(set(seen)) == 25, sort


def test_owner_changes_are_listed_newest_first(org):
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "转来转去公司"}).customer
    boss = org.actor("boss")
    customer_transfer(actor=boss, customer_ids=[customer.pk], to_user_id=org["sales2"].pk)
    customer_transfer(actor=boss, customer_ids=[customer.pk], to_user_id=org["sales3"].pk)
    rows = list(owner_changes(actor=boss, customer_id=customer.pk))
    assert [(r.from_owner.name, r.to_owner.name) for r in rows] == [("陈晓红", "刘伟"), ("王小明", "陈晓红")]
    assert list(owner_changes(actor=org.actor("sales1"), customer_id=customer.pk)) == []


def test_contact_list_search_and_order(org):
    customer = CustomerFactory(owner=org["sales1"], name="联系人测试公司")
    ContactFactory(customer=customer, name="乙", has_left=True)
    ContactFactory(customer=customer, name="甲", is_primary=True, mobile="13900001111")
    ContactFactory(customer=customer, name="丙")
    actor = org.actor("sales1")
    assert [c.name for c in contact_list(actor=actor, customer_id=customer.pk)] == ["甲", "丙", "乙"]
    assert [c.name for c in contact_list(actor=actor, q="1390000")] == ["甲"]
    assert [c.name for c in contact_list(actor=actor, q="测试公司")] == ["甲", "丙", "乙"]


def test_suggest_puts_the_exact_name_then_prefixes_then_shorter_names_first(org):
    # 北京… sorts before 华为 by code point, so a plain name order would put it first.
    for name in ("北京华为数字技术有限公司", "华为技术有限公司", "深圳华为终端", "华为（深圳）", "华为", "华为云"):
        CustomerFactory(owner=org["sales1"], name=name)
    assert [r["name"] for r in customer_suggest(actor=org.actor("sales1"), q="华为")] == [
        "华为", "华为云", "华为（深圳）", "华为技术有限公司", "深圳华为终端", "北京华为数字技术有限公司"]
    # The duplicate check's normalisation: full-width brackets and spaces do not hide the exact name.
    assert customer_suggest(actor=org.actor("sales1"), q=" 华为(深圳) ")[0]["name"] == "华为（深圳）"


def test_suggest_ranks_pinyin_and_initials_prefixes_before_other_matches(org):
    for name in ("安徽华为", "华为技术有限公司", "北京华为"):
        CustomerFactory(owner=org["sales1"], name=name)
    # "hw" starts the initials of 华为技术 (hwjsyxgs) and sits inside the others' (ahhw, bjhw).
    assert customer_suggest(actor=org.actor("sales1"), q="hw")[0]["name"] == "华为技术有限公司"
    assert customer_suggest(actor=org.actor("sales1"), q="beijing")[0]["name"] == "北京华为"
    # Among matches that do not start with the query, the shorter name first.
    assert [r["name"] for r in customer_suggest(actor=org.actor("sales1"), q="huawei")] == [
        "华为技术有限公司", "北京华为", "安徽华为"]


def test_suggest_puts_the_searchers_own_customers_first_among_equal_matches(org):
    colleague = CustomerFactory(owner=org["sales2"], name="北京华为")
    mine = CustomerFactory(owner=org["manager1"], name="深圳华为")
    exact = CustomerFactory(owner=org["sales2"], name="华为")
    # manager1 sees the team's customers; the exact name still leads, then their own before sales2's.
    assert [r["id"] for r in customer_suggest(actor=org.actor("manager1"), q="华为")] == [
        exact.pk, mine.pk, colleague.pk]


def test_the_searchers_own_customers_are_not_cut_off_by_many_earlier_names(org):
    # Ten colleagues' names start with the query and sort before mine by name: mine still lead.
    for i in range(10):
        CustomerFactory(owner=org["sales2"], name=f"天津{chr(0x4e00 + i)}公司")
    mine = CustomerFactory(owner=org["manager1"], name="天津龙腾有限公司")
    rows = customer_suggest(actor=org.actor("manager1"), q="天津", limit=8)
    assert rows[0]["id"] == mine.pk and len(rows) == 8


def test_pinyin_and_phone_prefixes_find_short_names_among_many_longer_matches(org):
    # 70 longer names contain "sh" inside their pinyin; the short individual's pinyin starts with it.
    for i in range(70):
        CustomerFactory(owner=org["sales1"], name=f"安徽{chr(0x4e00 + i)}上海科技有限公司")
    person = CustomerFactory(owner=org["sales1"], kind="individual", name="史鑫", short_name="", mobile="13912345678")
    assert customer_suggest(actor=org.actor("sales1"), q="shixin")[0]["id"] == person.pk
    assert customer_suggest(actor=org.actor("sales1"), q="sx")[0]["id"] == person.pk
    assert customer_suggest(actor=org.actor("sales1"), q="139 1234")[0]["id"] == person.pk


def test_suggest_keeps_to_the_scope_in_both_steps(org):
    CustomerFactory(owner=org["sales2"], name="华为")
    CustomerFactory(owner=org["sales2"], name="深圳华为")
    mine = CustomerFactory(owner=org["sales1"], name="华为云")
    assert [r["id"] for r in customer_suggest(actor=org.actor("sales1"), q="华为")] == [mine.pk]


NAME_ALPHABET = "北京沃力森信息技术有限公司华为深圳平安银行重庆长安汽车abcxyz0123"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_search_finds_any_substring_of_two_or_more_characters(org, data):
    name = data.draw(st.text(alphabet=NAME_ALPHABET, min_size=2, max_size=16), label="name")
    start = data.draw(st.integers(0, len(name) - 2), label="start")
    end = data.draw(st.integers(start + 2, len(name)), label="end")
    customer = CustomerFactory(owner=org["sales1"], name=name)
    found = customer_list(actor=org.actor("sales1"), filters=CustomerFilters(q=name[start:end]))
    assert customer.pk in ids(found)
    Customer.objects.filter(pk=customer.pk).delete()
