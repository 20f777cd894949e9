"""seed_demo (DESIGN §5): the fixed organisation, data owned only by the sales departments, the
workbench full for every salesperson, idempotent, resettable."""
import datetime
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Max, Min

from zhuli.accounts.models import Department, User
from zhuli.activities.models import FollowUp, Todo
from zhuli.core.management.commands.seed_demo import DEMO_CODE
from zhuli.customers.models import Contact, Customer, CustomerKind
from zhuli.preferences.models import DictionaryItem
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
    output = seed("--reset")
    assert "seeded" in output
    fresh = Tenant.objects.get(code=DEMO_CODE)
    assert fresh.pk != demo.pk and not Tenant.objects.filter(pk=demo.pk).exists()
    assert for_tenant(Customer, fresh).count() == 60
    assert not for_tenant(Customer, demo).exists() and not for_tenant(FollowUp, demo).exists()
    assert not set(for_tenant(Customer, fresh).values_list("pk", flat=True)) & old_customer_ids
    assert User.objects.filter(email__endswith="@demo.example.com").count() == 15
    assert User.objects.filter(tenant=other_org.tenant).count() == with_other
