"""seed_demo (DESIGN §5): the fixed organisation, data owned only by the sales departments, the
workbench full for every salesperson, idempotent, resettable."""
import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from zhuli.accounts.models import Department, User
from zhuli.activities.models import FollowUp, Todo
from zhuli.core.demo import SIZES
from zhuli.core.management.commands.seed_demo import DEMO_CODE
from zhuli.customers import demo as customers_demo
from zhuli.customers.models import (
    Contact,
    Customer,
    CustomerCap,
    CustomerKind,
    OwnerChange,
    Pool,
    PoolDepartment,
    PoolRule,
)
from zhuli.customers.services import pools_auto_return
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.models import Opportunity, OpportunityStatus, StageChange, StageKind
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.unscoped import for_tenant

LOGINS = ["boss", "admin", "director", "manager1", "manager2", *[f"sales{i}" for i in range(1, 7)],
          "assistant", "service", "finance", "keeper"]
SALES_DEPARTMENTS = {"销售一部": {"manager1", "sales1", "sales2", "sales3"},
                     "销售二部": {"manager2", "sales4", "sales5", "sales6"}}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", "--size", "small", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    seed()
    return Tenant.objects.get(code=DEMO_CODE)


def local(email: str) -> str:
    return email.split("@")[0]


def test_demo_tenant_and_logins(demo):
    assert (demo.kind, demo.max_users, demo.max_bosses) == (TenantKind.DEMO, 50, 3)
    users = {local(u.email): u for u in User.objects.filter(tenant=demo)}
    assert sorted(users) == sorted(LOGINS)
    for key in LOGINS:
        assert authenticate(login=f"{key}@demo.example.com", password="zhuli-demo") == users[key]
    assert authenticate(login="boss@demo.example.com", password="wrong") is None
    assert [k for k, u in users.items() if u.is_admin] == ["admin"]
    assert (users["admin"].role, users["boss"].role, users["sales4"].role) == ("assistant", "boss", "sales")
    mobiles = [u.mobile for u in users.values()]
    assert len(set(mobiles)) == 15 and all(m and len(m) == 11 and m.startswith("1") for m in mobiles)


def test_department_tree_is_exact(demo):
    depts = {d.name: d for d in for_tenant(Department, demo)}
    assert len(depts) == 4
    company, center = depts[demo.name], depts["销售中心"]
    assert company.parent_id is None and center.parent_id == company.pk
    assert depts["销售一部"].parent_id == center.pk and depts["销售二部"].parent_id == center.pk
    assert depts["销售一部"].path == f"/{company.pk}/{center.pk}/{depts['销售一部'].pk}/"
    members = {}
    for u in User.objects.filter(tenant=demo).select_related("department"):
        members.setdefault(u.department.name, set()).add(local(u.email))
    assert members == {demo.name: {"boss", "admin", "service", "finance", "keeper"},
                       "销售中心": {"director", "assistant"}, **SALES_DEPARTMENTS}


def test_customers_are_owned_only_by_the_sales_departments(demo):
    allowed = {u.pk for u in User.objects.filter(tenant=demo, department__name__in=SALES_DEPARTMENTS)}
    customers = list(for_tenant(Customer, demo))
    assert len(customers) == 60
    owners = {c.owner_id for c in customers}
    assert owners - {None} <= allowed and None in owners
    assert len(owners - {None}) == 8  # every salesperson and both managers have customers
    for c in customers:
        assert c.department_id == (c.owner.department_id if c.owner else None)
        assert c.search_text and c.name_key
        assert c.status_id and c.source_id and c.level_id and c.province_id and c.city_id
    assert {c.kind for c in customers} == {CustomerKind.ENTERPRISE, CustomerKind.INDIVIDUAL}
    assert len({c.name_key for c in customers}) == 60  # no duplicates to trip 查重
    contacts = dict(for_tenant(Contact, demo).values_list("customer").annotate(n=Count("id")))
    for c in customers:
        if c.kind == CustomerKind.ENTERPRISE:
            assert 1 <= contacts.get(c.pk, 0) <= 3
    # Picklist values come from this tenant's own dictionaries.
    own_items = set(for_tenant(DictionaryItem, demo).values_list("pk", flat=True))
    assert {c.status_id for c in customers} <= own_items


def test_followups_and_todos_fill_every_workbench(demo):
    followups = for_tenant(FollowUp, demo)
    assert 150 <= followups.count() <= 200
    sales = {u.pk: local(u.email) for u in User.objects.filter(tenant=demo, department__name__in=SALES_DEPARTMENTS)}
    assert set(followups.values_list("owner_id", flat=True)) <= set(sales)
    # Content is Chinese text and each follow-up has a type from the dictionary.
    assert not followups.filter(type__isnull=True).exists()
    assert all("\u4e00" <= ch <= "\u9fff" for ch in followups.first().content[:1] or "客")
    zone = demo.zone
    today = demo.today()
    start = datetime.datetime.combine(today, datetime.time(), tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    week = end + datetime.timedelta(days=7)
    open_todos = for_tenant(Todo, demo).filter(done_at__isnull=True)
    for owner_id, name in sales.items():
        mine = open_todos.filter(owner_id=owner_id)
        assert mine.filter(due_at__lt=start).exists(), f"{name} has no overdue todo"
        assert mine.filter(due_at__gte=start, due_at__lt=end).exists(), f"{name} has nothing due today"
        assert mine.filter(due_at__gte=end, due_at__lt=week).exists(), f"{name} has nothing this week"
    history_start = start - datetime.timedelta(days=560)
    assert not followups.filter(occurred_at__lt=history_start).exists()


def test_customer_followup_dates_follow_the_rule(demo):
    last = dict(for_tenant(FollowUp, demo).values_list("customer").annotate(m=Max("occurred_at")))
    nxt = dict(for_tenant(Todo, demo).filter(done_at__isnull=True).values_list("customer").annotate(m=Min("due_at")))
    for c in for_tenant(Customer, demo):
        assert c.last_followup_at == last.get(c.pk)
        assert c.next_followup_at == nxt.get(c.pk)
    # A planned follow-up never comes before the follow-up that planned it.
    for todo in for_tenant(Todo, demo).filter(source__isnull=False).select_related("source"):
        assert todo.due_at >= todo.source.occurred_at


def test_second_run_does_nothing(demo):
    before = (for_tenant(Customer, demo).count(), for_tenant(FollowUp, demo).count())
    output = seed()
    assert "already exists" in output
    assert Tenant.objects.filter(code=DEMO_CODE).count() == 1
    assert (for_tenant(Customer, demo).count(), for_tenant(FollowUp, demo).count()) == before


def test_reset_rebuilds_and_leaves_other_tenants_alone(demo, other_org):
    with_other = User.objects.filter(tenant=other_org.tenant).count()
    old_customer_ids = set(for_tenant(Customer, demo).values_list("pk", flat=True))
    old_followup_ids = set(for_tenant(FollowUp, demo).values_list("pk", flat=True))
    user_ids = dict(User.objects.filter(tenant=demo).values_list("email", "pk"))
    output = seed("--reset")
    assert "seeded" in output
    fresh = Tenant.objects.get(code=DEMO_CODE)
    # Rebuilt in place: the tenant and the demo users keep their ids (sessions and tokens survive).
    assert fresh.pk == demo.pk
    assert dict(User.objects.filter(tenant=fresh).values_list("email", "pk")) == user_ids
    assert for_tenant(Customer, fresh).count() == 60
    assert not set(for_tenant(Customer, fresh).values_list("pk", flat=True)) & old_customer_ids
    assert not set(for_tenant(FollowUp, fresh).values_list("pk", flat=True)) & old_followup_ids
    assert User.objects.filter(email__endswith="@demo.example.com").count() == 15
    assert User.objects.filter(tenant=other_org.tenant).count() == with_other


def test_sizes_promise_the_issue_numbers():
    """Standard: at least 2,000 opportunities and 500 pool customers (the small run below checks the shape)."""
    standard = SIZES["standard"]
    assert standard.opportunities >= 2000
    assert standard.customers * customers_demo.POOL_SHARE >= 500 * 1.1  # room for the draw's spread
    assert SIZES["small"].opportunities < standard.opportunities < SIZES["large"].opportunities


def test_opportunities_have_a_consistent_stage_history(demo):
    opps = list(for_tenant(Opportunity, demo).select_related("stage"))
    assert len(opps) == SIZES["small"].opportunities
    sales = set(User.objects.filter(tenant=demo, department__name__in=SALES_DEPARTMENTS).values_list("pk", flat=True))
    history: dict[int, list[StageChange]] = {}
    for ch in for_tenant(StageChange, demo).select_related("to_stage").order_by("changed_at", "id"):
        history.setdefault(ch.opportunity_id, []).append(ch)
    now = timezone.now()
    for o in opps:
        changes = history[o.pk]
        assert changes[0].from_stage_id is None and changes[0].changed_at == o.created_at
        assert changes[-1].to_stage_id == o.stage_id and changes[-1].changed_at == o.stage_entered_at
        assert o.probability == o.stage.probability == changes[-1].to_probability
        for prev, nxt in zip(changes, changes[1:]):
            assert nxt.from_stage_id == prev.to_stage_id and nxt.changed_at > prev.changed_at
            assert nxt.seconds_in_previous == int((nxt.changed_at - prev.changed_at).total_seconds())
        assert o.stage_entered_at <= now and o.owner_id in sales
        assert 5000 <= o.amount <= 800_000 and o.amount == o.amount.to_integral_value()
        closed = o.status in (OpportunityStatus.WON, OpportunityStatus.LOST)
        assert (o.closed_at == o.stage_entered_at) if closed else o.closed_at is None
        kind = {OpportunityStatus.WON: StageKind.WON, OpportunityStatus.LOST: StageKind.LOST}.get(o.status, StageKind.OPEN)
        assert o.stage.kind == kind
        assert (o.lost_reason is not None) == (o.status == OpportunityStatus.LOST)
        if o.lost_reason is not None:
            assert o.lost_reason.kind == DictionaryKind.LOST_REASON
        assert o.category.kind == DictionaryKind.OPPORTUNITY_TYPE and o.source.kind == DictionaryKind.SOURCE
    statuses = {o.status for o in opps}
    assert {OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.TRACKING} <= statuses
    # Most are lost early; open ones have close dates around today, some overdue.
    lost = [o for o in opps if o.status == OpportunityStatus.LOST]
    early = [o for o in lost if history[o.pk][-1].from_stage.order <= 2]
    assert len(early) > len(lost) / 2
    today = demo.today()
    open_dates = [o.close_date for o in opps if o.status == OpportunityStatus.TRACKING]
    assert any(d < today for d in open_dates) and any(d >= today for d in open_dates)
    # A won opportunity sets its customer's last win.
    last_won = dict(for_tenant(Opportunity, demo).filter(status=OpportunityStatus.WON).values_list("customer")
                    .annotate(m=Max("closed_at")))
    assert last_won
    assert dict(for_tenant(Customer, demo).filter(last_won_at__isnull=False).values_list("pk", "last_won_at")) == last_won


def test_followups_link_to_opportunities_of_the_same_customer(demo):
    linked = for_tenant(FollowUp, demo).filter(opportunity__isnull=False).select_related("opportunity")
    assert linked.exists()
    for f in linked:
        assert f.opportunity.customer_id == f.customer_id
    last = dict(linked.values_list("opportunity").annotate(m=Max("occurred_at")))
    assert dict(for_tenant(Opportunity, demo).filter(last_followup_at__isnull=False)
                .values_list("pk", "last_followup_at")) == last


def test_pools_hold_customers_with_an_owner_log(demo):
    second = for_tenant(Pool, demo).get(name=customers_demo.SECOND_POOL_NAME, is_default=False)
    members = for_tenant(PoolDepartment, demo).filter(pool=second).values_list("department__name", flat=True)
    assert list(members) == ["销售二部"]
    assert for_tenant(PoolRule, demo).filter(pool=second, no_followup_days=30, no_deal_days=180).exists()
    pooled = for_tenant(Customer, demo).filter(owner__isnull=True)
    assert pooled.count() >= 0.1 * SIZES["small"].customers
    assert pooled.filter(pool=second).exists() and pooled.filter(pool__is_default=True).exists()
    assert not pooled.filter(pooled_at__isnull=True).exists() and not pooled.filter(owned_since__isnull=False).exists()
    assert not for_tenant(Customer, demo).filter(owner__isnull=False, owned_since__isnull=True).exists()
    latest = {}
    for ch in for_tenant(OwnerChange, demo).order_by("changed_at", "id"):
        latest[ch.customer_id] = ch
    kinds = {ch.kind for ch in for_tenant(OwnerChange, demo)}
    assert {"auto_return", "release", "claim", "assign"} <= kinds
    for c in for_tenant(Customer, demo).filter(pk__in=latest):
        ch = latest[c.pk]
        assert ch.to_owner_id == c.owner_id
        assert ch.changed_at == (c.owned_since if c.owner_id else c.pooled_at)
        if ch.kind in ("auto_return", "release"):
            assert ch.reason
    # No follow-up after a customer went to the pool.
    for c in pooled.filter(pk__in=latest, last_followup_at__isnull=False):
        assert c.last_followup_at < c.pooled_at


def test_the_pool_list_opens_on_a_customer_every_salesperson_can_claim(demo):
    newest = for_tenant(Customer, demo).filter(owner__isnull=True).order_by("-id").first()
    assert newest.pool.is_default and not for_tenant(PoolDepartment, demo).filter(pool=newest.pool).exists()


def test_everyone_is_below_their_cap(demo):
    assert for_tenant(CustomerCap, demo).filter(role="sales").exists()
    owned = dict(for_tenant(Customer, demo).filter(owner__isnull=False).values_list("owner").annotate(n=Count("id")))
    for user in User.objects.filter(tenant=demo):
        cap = _cap_of(demo, user)
        if cap is not None:
            assert owned.get(user.pk, 0) < cap * 0.8, user.email


def _cap_of(tenant, user):
    caps = {c.user_id: c.limit for c in for_tenant(CustomerCap, tenant).filter(user__isnull=True, role=user.role)}
    caps.update({c.user_id: c.limit for c in for_tenant(CustomerCap, tenant).filter(user=user)})
    return caps.get(user.pk, caps.get(None))


def test_the_first_auto_return_takes_nothing_and_a_few_are_about_to_go(demo):
    """On a fresh demo the daily job moves nobody; three days later only the few each owner is warned about."""
    owners = set(for_tenant(Customer, demo).filter(owner__isnull=False).values_list("owner_id", flat=True))
    now = timezone.now()
    with transaction.atomic():
        assert pools_auto_return(tenant=demo, now=now) == 0
        soon = pools_auto_return(tenant=demo, now=now + datetime.timedelta(days=3))
        returned = for_tenant(OwnerChange, demo).filter(kind="auto_return", changed_by__isnull=True,
                                                        changed_at__gt=now).values_list("from_owner_id", flat=True)
        per_owner = Counter(returned)
        transaction.set_rollback(True)
    assert soon == sum(per_owner.values())
    assert set(per_owner) == owners  # every owner has some to be warned about …
    assert max(per_owner.values()) <= customers_demo.NEAR_RETURN  # … and only a handful
