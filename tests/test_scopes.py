"""The data-scope matrix over the demo organisation (DESIGN §1, §5): every role × every read door.

The `book` fixture gives each of sales1–6, manager1 and manager2 one customer (with a contact, a
follow-up and a planned follow-up), all made through the services, plus one customer in the pool.
"""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zhuli.access.models import RolePermission
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.services import user_deactivate, user_update
from zhuli.activities.models import FollowUp
from zhuli.activities.selectors import followup_list, todo_list
from zhuli.activities.services import followup_create
from zhuli.core.errors import Forbidden, NotFound
from zhuli.customers.duplicates import duplicates_find
from zhuli.customers.models import Contact, Customer
from zhuli.customers.selectors import (
    CustomerFilters,
    contact_list,
    customer_get,
    customer_list,
    customer_list_rows,
    customer_suggest,
    recent_customers,
)
from zhuli.customers.services import (
    contact_create,
    customer_create,
    customer_delete,
    customer_record_view,
    customer_transfer,
    customer_update,
)
from zhuli.tenancy.context import TenantMismatch, tenant_context

OWNERS = ["sales1", "sales2", "sales3", "sales4", "sales5", "sales6", "manager1", "manager2"]
EVERYONE = frozenset(OWNERS) | {"pool"}
TEAM1 = frozenset({"sales1", "sales2", "sales3", "manager1", "pool"})
TEAM2 = frozenset({"sales4", "sales5", "sales6", "manager2", "pool"})
# Who sees whose customers by default; pool customers are seen by everyone who sees customers.
EXPECTED = {
    "sales1": frozenset({"sales1", "pool"}),
    "sales4": frozenset({"sales4", "pool"}),
    "manager1": TEAM1,
    "manager2": TEAM2,
    "director": EVERYONE,
    "boss": EVERYONE,
    "assistant": EVERYONE,  # department_tree of 销售中心
    "admin": EVERYONE,  # an assistant at the company root
    "service": EVERYONE,  # customers read: all
    "finance": EVERYONE,
    "keeper": frozenset(),
}


def customer_name(key: str) -> str:
    return f"{key}客户有限公司" if key != "pool" else "公海客户有限公司"


class Book(dict):
    """Customers by owner key; `keys_of(ids)` maps customer ids back to those keys."""

    def keys_of(self, ids) -> frozenset[str]:
        by_id = {c.pk: k for k, c in self.items()}
        return frozenset(by_id[i] for i in ids if i in by_id)


@pytest.fixture
def book(org) -> Book:
    later = timezone.now() + datetime.timedelta(days=3)
    rows = Book()
    for key in OWNERS:
        actor = org.actor(key)
        customer = customer_create(actor=actor, data={"kind": "enterprise", "name": customer_name(key)}).customer
        contact_create(actor=actor, customer_id=customer.pk, data={"name": f"{key}联系人"})
        followup_create(actor=actor, customer_id=customer.pk, data={"content": "电话沟通需求", "next_at": later})
        rows[key] = customer
    boss = org.actor("boss")
    pool = customer_create(actor=boss, data={"kind": "enterprise", "name": customer_name("pool"), "to_pool": True})
    rows["pool"] = pool.customer
    contact_create(actor=boss, customer_id=pool.customer.pk, data={"name": "公海联系人"})
    followup_create(actor=boss, customer_id=pool.customer.pk, data={"content": "公海回访", "next_at": later})
    assert rows["pool"].owner_id is None
    return rows


def seen(actor, book: Book) -> dict[str, frozenset[str]]:
    """What one actor sees through every read door, as sets of owner keys."""
    return {
        "customer_list": book.keys_of(c.pk for c in customer_list_rows(customer_list(actor=actor))),
        "contact_list": book.keys_of(c.customer_id for c in contact_list(actor=actor)),
        "followup_list": book.keys_of(f.customer_id for f in followup_list(actor=actor)),
        "todo_list": book.keys_of(t.customer_id for t in todo_list(actor=actor)),
        "customer_suggest": book.keys_of(r["id"] for r in customer_suggest(actor=actor, q="客户有限", limit=50)),
        "search": book.keys_of(c.pk for c in customer_list(actor=actor, filters=CustomerFilters(q="联系人"))),
    }


def everywhere(doors: dict[str, frozenset[str]]) -> frozenset[str]:
    """The one set every door agrees on (a door that disagrees fails, naming itself)."""
    first = next(iter(doors.values()))
    assert all(keys == first for keys in doors.values()), doors
    return first


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_its_scope_through_every_read_door(org, book, who):
    actor = org.actor(who)
    expected = EXPECTED[who]
    assert everywhere(seen(actor, book)) == expected
    for key, customer in book.items():
        if key in expected:
            assert customer_get(actor=actor, customer_id=customer.pk).pk == customer.pk
        else:
            with pytest.raises(NotFound):
                customer_get(actor=actor, customer_id=customer.pk)
            with pytest.raises(NotFound):
                get_visible_or_404(Contact, actor, customer.contacts.get().pk)


def test_sales_sees_only_own_and_pool_and_is_refused_elsewhere_without_changes(org, book):
    sales1 = org.actor("sales1")
    theirs = book["sales4"]
    with pytest.raises(NotFound):
        customer_update(actor=sales1, customer_id=theirs.pk, data={"name": "改名"})
    with pytest.raises(NotFound):
        followup_create(actor=sales1, customer_id=theirs.pk, data={"content": "越权跟进"})
    with pytest.raises(NotFound):
        contact_create(actor=sales1, customer_id=theirs.pk, data={"name": "越权联系人"})
    with pytest.raises(Forbidden):
        customer_delete(actor=sales1, customer_id=book["sales1"].pk)  # sales may not delete
    with pytest.raises(Forbidden):
        customer_transfer(actor=sales1, customer_ids=[book["sales1"].pk], to_user_id=org["sales2"].pk)
    theirs.refresh_from_db()
    assert theirs.name == customer_name("sales4") and theirs.owner_id == org["sales4"].pk
    assert theirs.followups.count() == 1 and theirs.contacts.count() == 1
    assert Customer.objects.get(pk=book["sales1"].pk).owner_id == org["sales1"].pk


@pytest.mark.parametrize("who", ["service", "finance"])
def test_service_and_finance_read_all_but_cannot_create_or_edit(org, book, who):
    actor = org.actor(who)
    before = Customer.objects.count()
    with pytest.raises(Forbidden):
        customer_create(actor=actor, data={"kind": "enterprise", "name": "客服新建的客户"})
    with pytest.raises(Forbidden):
        customer_update(actor=actor, customer_id=book["sales1"].pk, data={"name": "客服改名"})
    with pytest.raises(Forbidden):
        contact_create(actor=actor, customer_id=book["sales1"].pk, data={"name": "客服加的联系人"})
    assert Customer.objects.count() == before
    assert Customer.objects.get(pk=book["sales1"].pk).name == customer_name("sales1")


def test_keeper_sees_no_customers_and_is_refused(org, book):
    keeper = org.actor("keeper")
    assert not visible(Customer, keeper).exists() and not visible(FollowUp, keeper).exists()
    with pytest.raises(Forbidden):
        customer_create(actor=keeper, data={"kind": "enterprise", "name": "库管的客户"})
    with pytest.raises(NotFound):
        customer_get(actor=keeper, customer_id=book["pool"].pk)
    assert duplicates_find(actor=keeper, name=customer_name("sales1")).blocking[0].get("id") is None


def test_departed_salesperson_keeps_visibility_and_shows_left(org, book):
    user_deactivate(actor=org.actor("admin"), user_id=org["sales2"].pk)
    manager1 = org.actor("manager1")
    rows = {c.pk: c for c in customer_list_rows(customer_list(actor=manager1))}
    assert book.keys_of(rows) == TEAM1
    assert rows[book["sales2"].pk].owner.display_name == "陈晓红(已离职)"
    report = duplicates_find(actor=org.actor("sales1"), name=customer_name("sales2"))
    assert report.blocking[0]["owner"]["name"] == "陈晓红(已离职)"


def test_moving_a_salesperson_moves_the_visibility_of_their_customers(org, book):
    team2 = org.department("销售二部")
    user_update(actor=org.actor("admin"), user_id=org["sales1"].pk, data={"department_id": team2.pk})
    assert seen(org.fresh_actor("manager1"), book)["customer_list"] == TEAM1 - {"sales1"}
    assert everywhere(seen(org.fresh_actor("manager2"), book)) == TEAM2 | {"sales1"}
    assert seen(org.fresh_actor("sales1"), book)["customer_list"] == {"sales1", "pool"}


def test_duplicate_check_names_an_invisible_record_without_its_id(org, book):
    report = duplicates_find(actor=org.actor("sales1"), name=" " + customer_name("sales4"))
    assert len(report.blocking) == 1
    hit = report.blocking[0]
    assert hit["name"] == customer_name("sales4")
    assert hit["owner"] == {"id": org["sales4"].pk, "name": "杨静"}
    assert "id" not in hit
    own = duplicates_find(actor=org.actor("sales1"), name=customer_name("sales1")).blocking[0]
    assert own["id"] == book["sales1"].pk


def test_recent_customers_only_lists_what_is_still_visible(org, book):
    sales1 = org.actor("sales1")
    customer_record_view(actor=sales1, customer=book["sales1"])
    customer_record_view(actor=sales1, customer=book["pool"])
    assert [c.pk for c in recent_customers(actor=sales1)] == [book["pool"].pk, book["sales1"].pk]
    customer_transfer(actor=org.actor("boss"), customer_ids=[book["sales1"].pk], to_user_id=org["sales4"].pk)
    assert [c.pk for c in recent_customers(actor=org.actor("sales1"))] == [book["pool"].pk]
    assert recent_customers(actor=org.actor("sales4")) == []  # one's own views only


def test_the_other_tenant_sees_nothing_of_tenant_a(org, other_org, book):
    with tenant_context(other_org.tenant):
        b_boss = other_org.actor("boss")
        own = customer_create(actor=b_boss, data={"kind": "enterprise", "name": customer_name("sales1")}).customer
        for who in ("boss", "sales1", "manager1"):
            actor = other_org.actor(who)
            assert all(not keys for keys in seen(actor, book).values()), who
            assert duplicates_find(actor=actor, name=customer_name("sales4")).blocking == []
            assert recent_customers(actor=actor) == []
            for customer in book.values():
                with pytest.raises(NotFound):
                    get_visible_or_404(Customer, actor, customer.pk)
                with pytest.raises(NotFound):
                    customer_get(actor=actor, customer_id=customer.pk)
        assert [c.pk for c in customer_list(actor=b_boss)] == [own.pk]
    assert own.pk not in {c.pk for c in customer_list(actor=org.actor("boss"))}


def test_an_actor_of_another_tenant_never_reads_the_active_tenant(org, other_org, book):
    """A mismatch between the active tenant and the actor is a bug: refused, not answered."""
    with pytest.raises(TenantMismatch):
        list(customer_list(actor=other_org.actor("boss")))
    with pytest.raises(TenantMismatch):
        get_visible_or_404(Customer, other_org.actor("boss"), book["sales1"].pk)


def test_permission_matrix_override_widens_sales_to_the_department(org, book):
    RolePermission.objects.create(role="sales", module="customers", scope="department",
                                  can_view=True, can_create=True, can_edit=True)
    widened = seen(org.actor("sales1"), book)
    assert widened["customer_list"] == TEAM1
    assert widened["contact_list"] == TEAM1  # contacts follow their customer
    assert seen(org.actor("sales4"), book)["customer_list"] == TEAM2


def test_permission_matrix_can_take_a_module_away(org, book):
    RolePermission.objects.create(role="service", module="customers", scope="all")  # no action ticked
    # Follow-ups are seen through their customer, so they go too.
    assert all(not keys for keys in seen(org.actor("service"), book).values())


def test_a_department_without_its_path_never_widens_to_the_whole_tenant(org, book):
    from zhuli.accounts.models import Department

    Department.objects.filter(pk=org["manager1"].department_id).update(path="")
    assert seen(org.fresh_actor("manager1"), book)["customer_list"] == {"manager1", "pool"}


def test_own_and_subordinates_sees_lower_ranks_not_peers(org, book):
    RolePermission.objects.create(role="manager", module="customers", scope="own_and_subordinates", can_view=True)
    assert seen(org.actor("manager1"), book)["customer_list"] == TEAM1
    # A second manager in 销售一部 is a peer: visible under department_tree, not as a subordinate.
    user_update(actor=org.actor("admin"), user_id=org["manager2"].pk,
                data={"department_id": org["manager1"].department_id})
    assert seen(org.fresh_actor("manager1"), book)["customer_list"] == TEAM1
    RolePermission.objects.filter(role="manager").delete()
    assert seen(org.fresh_actor("manager1"), book)["customer_list"] == TEAM1 | {"manager2"}


@pytest.mark.parametrize("pk", ["abc", "", None, -1, 0, "1.5", 10**30, "9" * 40])
def test_odd_ids_are_the_same_not_found(org, pk):
    with pytest.raises(NotFound):
        get_visible_or_404(Customer, org.actor("boss"), pk)


# ---- opportunities (销售机会) ---------------------------------------------------------------------------

OPPORTUNITY_OWNERS = frozenset(OWNERS)
# Opportunities always have an owner (no pool); service has no opportunities module, finance reads all.
EXPECTED_OPPORTUNITIES = {
    **{who: keys - {"pool"} for who, keys in EXPECTED.items()},
    "service": frozenset(),
}


@pytest.fixture
def deals(org, book) -> Book:
    from zhuli.sales.services import opportunity_create

    rows = Book()
    for key in OWNERS:
        rows[key] = opportunity_create(actor=org.actor(key), data={
            "customer_id": book[key].pk, "title": f"{key}的机会", "amount": "1000"})
    return rows


def opportunities_seen(actor, deals: Book) -> dict[str, frozenset[str]]:
    from zhuli.sales.models import StageChange
    from zhuli.sales.selectors import (
        OpportunityFilters,
        customer_opportunities,
        opportunity_list,
        opportunity_rows,
    )

    return {
        "opportunity_list": deals.keys_of(r["id"] for r in opportunity_rows(opportunity_list(actor=actor))),
        "search": deals.keys_of(o.pk for o in opportunity_list(actor=actor, filters=OpportunityFilters(q="的机会"))),
        "stage_history": deals.keys_of(visible(StageChange, actor).values_list("opportunity_id", flat=True)),
        "customer_section": deals.keys_of(shown.pk for deal in deals.values()
                                          for shown in customer_opportunities(actor=actor, customer_id=deal.customer_id)),
    }


@pytest.mark.parametrize("who", sorted(EXPECTED_OPPORTUNITIES))
def test_each_role_sees_its_opportunities_through_every_read_door(org, deals, who):
    from zhuli.sales.selectors import opportunity_get

    actor = org.actor(who)
    expected = EXPECTED_OPPORTUNITIES[who]
    assert everywhere(opportunities_seen(actor, deals)) == expected
    for key, opp in deals.items():
        if key in expected:
            assert opportunity_get(actor=actor, opportunity_id=opp.pk).pk == opp.pk
        else:
            with pytest.raises(NotFound):
                opportunity_get(actor=actor, opportunity_id=opp.pk)


@pytest.mark.parametrize("who", ["finance", "keeper", "service", "sales4"])
def test_opportunity_writes_refused_without_changes(org, deals, who):
    from zhuli.sales.models import Opportunity
    from zhuli.sales.services import opportunity_delete, opportunity_update, opportunity_win

    before = list(Opportunity.objects.order_by("id").values())
    actor, target = org.actor(who), deals["sales1"].pk
    for call in (lambda: opportunity_update(actor=actor, opportunity_id=target, data={"title": "改"}),
                 lambda: opportunity_win(actor=actor, opportunity_id=target),
                 lambda: opportunity_delete(actor=actor, opportunity_id=target)):
        with pytest.raises(Forbidden if who == "finance" else NotFound):
            call()
    assert list(Opportunity.objects.order_by("id").values()) == before


def test_other_tenant_sees_no_opportunities(org, other_org, deals):
    from zhuli.sales.models import Opportunity

    with tenant_context(other_org.tenant):
        assert not visible(Opportunity, other_org.actor("boss")).exists()


# ---- the pool (公海): membership decides who sees and who may claim ---------------------------------------

# A pool for 销售二部 only, holding one customer: who sees it (members and those overseeing the department)…
TEAM2_POOL_SEEN = frozenset({"sales4", "sales5", "manager2", "director", "boss", "assistant", "admin", "service",
                             "finance"})
# …and who may claim it: members who may own customers (the director and the assistants only oversee it).
TEAM2_POOL_CLAIMERS = frozenset({"sales4", "sales5", "manager2", "boss"})


@pytest.fixture
def team2_pool(org, book):
    from zhuli.customers.services import pool_create

    pool = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                         "department_ids": [org.department("销售二部").pk]})
    customer = customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": "二部公海客户",
                                                              "to_pool": True}, pool=pool).customer
    book["team2_pool"] = customer
    return customer


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_pool_membership_decides_who_sees_a_pool_customer(org, book, team2_pool, who):
    actor = org.actor(who)
    pool_rows = book.keys_of(c.pk for c in customer_list(actor=actor, filters=CustomerFilters(owner="none")))
    doors = {
        "customer_list": book.keys_of(c.pk for c in customer_list_rows(customer_list(actor=actor))),
        "pool_list": pool_rows,
        "customer_suggest": book.keys_of(r["id"] for r in customer_suggest(actor=actor, q="二部公海", limit=50)),
    }
    sees = {door: "team2_pool" in keys for door, keys in doors.items()}
    assert set(sees.values()) == {who in TEAM2_POOL_SEEN}, sees
    assert ("pool" in pool_rows) == (who != "keeper")  # the default pool has everyone as members
    if who in TEAM2_POOL_SEEN:
        assert customer_get(actor=actor, customer_id=team2_pool.pk).pk == team2_pool.pk
    else:
        with pytest.raises(NotFound):
            customer_get(actor=actor, customer_id=team2_pool.pk)


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_only_members_who_may_own_customers_claim(org, book, team2_pool, who):
    from zhuli.customers.models import OwnerChange
    from zhuli.customers.services import customer_claim

    before = (list(Customer.objects.order_by("pk").values_list("pk", "owner_id")), OwnerChange.objects.count())
    if who in TEAM2_POOL_CLAIMERS:
        customer_claim(actor=org.actor(who), customer_id=team2_pool.pk)
        team2_pool.refresh_from_db()
        assert team2_pool.owner == org[who]
        return
    with pytest.raises(NotFound if who not in TEAM2_POOL_SEEN else Forbidden):
        customer_claim(actor=org.actor(who), customer_id=team2_pool.pk)
    assert (list(Customer.objects.order_by("pk").values_list("pk", "owner_id")), OwnerChange.objects.count()) == before
