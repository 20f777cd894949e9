"""The customer pool (公海): claim, assign, release, caps, auto-return rules with frozen time in the tenant's
zone, warnings, pool membership and the settings services. Every refusal is checked to change nothing."""
from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from zhuli.access.actor import Actor
from zhuli.activities.models import Todo
from zhuli.activities.services import todo_create
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.customers.models import Customer, CustomerCap, OwnerChange, Pool, PoolRule
from zhuli.customers.selectors import (
    customers_assigned_recently,
    customers_returning_soon,
    pool_ids_member,
    pool_ids_visible,
    pool_list,
)
from zhuli.customers.services import (
    customer_assign,
    customer_cap_of,
    customer_cap_set,
    customer_claim,
    customer_create,
    customer_release,
    pool_create,
    pool_default,
    pool_delete,
    pool_rule_save,
    pool_update,
    pools_auto_return,
)
from zhuli.customers.tests.pool_helpers import in_pool, owned
from zhuli.preferences.models import DictionaryItem


class Unchanged:
    def __init__(self):
        self.before = self.snapshot()

    @staticmethod
    def snapshot():
        return (list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "pool_id", "pooled_at")),
                OwnerChange.objects.count(), AuditEvent.objects.count(), Pool.objects.count(),
                PoolRule.objects.count(), CustomerCap.objects.count())

    def check(self):
        assert self.snapshot() == self.before


# ---- claim -------------------------------------------------------------------------------------------

def test_sales_claims_a_pool_customer(org):
    customer = in_pool(org)
    claimed = customer_claim(actor=org.actor("sales1"), customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.owner == org["sales1"] and claimed.owner == org["sales1"]
    assert customer.department == org["sales1"].department
    assert customer.owned_since is not None and customer.pooled_at is None
    change = OwnerChange.objects.get(customer=customer)
    assert (change.kind, change.from_owner, change.to_owner, change.changed_by) == ("claim", None, org["sales1"],
                                                                                    org["sales1"])
    assert AuditEvent.objects.filter(action="customer.claim", target_id=customer.pk).exists()


def test_claiming_an_owned_customer_says_who_has_it(org):
    customer = in_pool(org)
    customer_claim(actor=org.actor("sales1"), customer_id=customer.pk)
    before = Unchanged()
    # Those who still see it (a boss) hear who took it; a colleague who no longer sees it gets a 404.
    with pytest.raises(Conflict, match=f"^该客户已有负责人：{org['sales1'].name}$"):
        customer_claim(actor=org.actor("boss"), customer_id=customer.pk)
    with pytest.raises(NotFound):
        customer_claim(actor=org.actor("sales2"), customer_id=customer.pk)
    before.check()


def test_the_conditional_update_loses_a_race_cleanly(org, monkeypatch):
    """Two claimers both read the customer as ownerless; the second update finds it taken."""
    from zhuli.customers import services

    customer = in_pool(org)
    stale = Customer.objects.get(pk=customer.pk)
    customer_claim(actor=org.actor("sales1"), customer_id=customer.pk)
    monkeypatch.setattr(services, "get_visible_or_404", lambda *a, **k: stale)
    before = Unchanged()
    with pytest.raises(Conflict, match=f"^该客户已有负责人：{org['sales1'].name}$"):
        customer_claim(actor=org.actor("sales2"), customer_id=customer.pk)
    before.check()


def test_claim_of_an_invisible_customer_is_404(org, other_org):
    mine = owned(org, "sales1", "销售一号的客户")
    before = Unchanged()
    with pytest.raises(NotFound):
        customer_claim(actor=org.actor("sales2"), customer_id=mine.pk)
    before.check()


def test_roles_that_cannot_own_customers_cannot_claim(org):
    customer = in_pool(org)
    before = Unchanged()
    with pytest.raises(Forbidden):
        customer_claim(actor=org.actor("finance"), customer_id=customer.pk)
    before.check()


def test_cap_refuses_with_count_and_cap_and_user_override_wins(org):
    admin = org.actor("admin")
    customer_cap_set(actor=admin, role="sales", limit=2)
    owned(org, "sales1", "甲公司")
    owned(org, "sales1", "乙公司")
    first = in_pool(org, "丙公司")
    before = Unchanged()
    with pytest.raises(Conflict, match="您已有 2 个客户，已达上限 2"):
        customer_claim(actor=org.actor("sales1"), customer_id=first.pk)
    before.check()
    customer_cap_set(actor=admin, user_id=org["sales1"].pk, limit=3)
    assert customer_cap_of(org["sales1"]) == 3 and customer_cap_of(org["sales2"]) == 2
    customer_claim(actor=org.actor("sales1"), customer_id=first.pk)
    customer_cap_set(actor=admin, role="sales", limit="")
    assert customer_cap_of(org["sales2"]) is None


# ---- assign -------------------------------------------------------------------------------------------

def test_manager_assigns_pool_customers_within_scope(org):
    a, b = in_pool(org, "甲公司"), in_pool(org, "乙公司")
    assert len(customer_assign(actor=org.actor("manager1"), customer_ids=[a.pk, b.pk], owner_id=org["sales2"].pk)) == 2
    a.refresh_from_db()
    assert a.owner == org["sales2"]
    assert OwnerChange.objects.filter(kind="assign", to_owner=org["sales2"]).count() == 2
    assert [c.customer_id for c in customers_assigned_recently(actor=org.actor("sales2"))] == [b.pk, a.pk]


def test_assign_refusals_change_nothing(org):
    a = in_pool(org, "甲公司")
    before = Unchanged()
    with pytest.raises(Forbidden):
        customer_assign(actor=org.actor("sales1"), customer_ids=[a.pk], owner_id=org["sales2"].pk)
    with pytest.raises(InvalidInput, match="管理范围"):
        customer_assign(actor=org.actor("manager1"), customer_ids=[a.pk], owner_id=org["sales4"].pk)
    with pytest.raises(InvalidInput) as exc:
        customer_assign(actor=org.actor("manager1"), customer_ids=[a.pk], owner_id=999999)
    assert "owner_id" in exc.value.errors
    mine = owned(org, "sales1", "有主公司")  # before the cap: at cap 0 sales1 could not create it
    customer_cap_set(actor=org.actor("admin"), role="sales", limit=0)
    before = Unchanged()
    with pytest.raises(Conflict, match="上限 0"):
        customer_assign(actor=org.actor("manager1"), customer_ids=[a.pk], owner_id=org["sales2"].pk)
    before.check()
    before = Unchanged()
    with pytest.raises(Conflict, match="领取|负责人"):
        customer_assign(actor=org.actor("manager1"), customer_ids=[mine.pk], owner_id=org["sales2"].pk)
    before.check()


# ---- release --------------------------------------------------------------------------------------------

def test_owner_releases_with_reason_and_todos_wait_for_the_next_owner(org):
    customer = owned(org, "sales1", "放弃的公司")
    todo = todo_create(actor=org.actor("sales1"), customer_id=customer.pk,
                       due_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1), content="回访")
    before = Unchanged()
    with pytest.raises(InvalidInput) as exc:
        customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="  ")
    assert "reason" in exc.value.errors
    before.check()
    assert customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="没有需求") == [customer]
    customer.refresh_from_db()
    assert customer.owner is None and customer.pooled_at and customer.pool == pool_default()
    change = OwnerChange.objects.get(customer=customer)
    assert (change.kind, change.reason, change.to_owner) == ("release", "没有需求", None)
    # The open todo stays, with nobody, and follows whoever takes the customer next.
    todo.refresh_from_db()
    assert todo.owner is None and todo.done_at is None
    customer_claim(actor=org.actor("sales2"), customer_id=customer.pk)
    todo.refresh_from_db()
    assert todo.owner == org["sales2"]
    assert not Todo.objects.filter(owner=org["sales1"], done_at__isnull=True).exists()


def test_releasing_someone_elses_customer_needs_the_transfer_right(org):
    customer = owned(org, "sales1", "别人的公司")
    # sales2 does not even see it: 404; an assistant sees it but may not transfer: 403.
    before = Unchanged()
    with pytest.raises(NotFound):
        customer_release(actor=org.actor("sales2"), customer_ids=[customer.pk], reason="x")
    with pytest.raises(Forbidden):
        customer_release(actor=org.actor("assistant"), customer_ids=[customer.pk], reason="x")
    before.check()
    customer_release(actor=org.actor("manager1"), customer_ids=[customer.pk], reason="交接")
    customer.refresh_from_db()
    assert customer.owner is None


def test_release_into_a_chosen_pool_and_bad_pools(org, other_org):
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                          "department_ids": [org.department("销售二部").pk]})
    customer = owned(org, "sales1", "去二部的公司")
    from zhuli.tenancy.context import tenant_context

    with tenant_context(other_org.tenant):
        foreign = pool_default().pk
    before = Unchanged()
    # sales1 neither belongs to nor oversees the 二部 pool: answered as an unknown pool.
    for bad in (999999, foreign, "x", team2.pk):
        with pytest.raises(InvalidInput) as exc:
            customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="r", pool_id=bad)
        assert exc.value.errors["pool_id"] == ["公海不存在"]
    before.check()
    # The director oversees both departments and may send sales1's customer there.
    customer_release(actor=org.actor("director"), customer_ids=[customer.pk], reason="r", pool_id=team2.pk)
    customer.refresh_from_db()
    assert customer.pool == team2
    # sales1 is no member of the 二部 pool: the customer is gone from their view; sales4 may claim it.
    with pytest.raises(NotFound):
        customer_claim(actor=org.actor("sales1"), customer_id=customer.pk)
    customer_claim(actor=org.actor("sales4"), customer_id=customer.pk)


# ---- membership ----------------------------------------------------------------------------------------

def test_pool_membership_and_oversight(org):
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                          "department_ids": [org.department("销售二部").pk]})
    default = pool_default()
    customer = in_pool(org, "二部公海客户", pool=team2)
    assert team2.pk not in pool_ids_visible(org.actor("sales1"))
    assert team2.pk in pool_ids_member(org.actor("sales4"))
    assert team2.pk in pool_ids_member(org.actor("boss"))
    assert team2.pk in pool_ids_visible(org.actor("manager2"))
    assert team2.pk not in pool_ids_visible(org.actor("manager1"))
    assert team2.pk in pool_ids_visible(org.actor("director"))
    assert default.pk in pool_ids_member(org.actor("sales1"))
    assert [p.name for p in pool_list(actor=org.actor("sales1"))] == [default.name]
    assert not Customer.objects.none().exists()
    from zhuli.access.scoping import visible

    assert not visible(Customer, org.actor("sales1")).filter(pk=customer.pk).exists()
    assert visible(Customer, org.actor("manager2")).filter(pk=customer.pk).exists()


# ---- auto-return ------------------------------------------------------------------------------------------

def _set_zone(org, zone: str):
    org.tenant.time_zone = zone
    org.tenant.save(update_fields=["time_zone"])


def _at(zone: str, *args):
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles"])
def test_auto_return_after_n_days_without_followup_in_the_tenants_day(org, zone):
    _set_zone(org, zone)
    with time_machine.travel(_at(zone, 2026, 3, 1, 23, 30), tick=False):
        customer = owned(org, "sales1", "沉睡的公司")  # owned since 1 March, late evening local time
    default = pool_default()
    assert PoolRule.objects.get(pool=default, level=None).no_followup_days == 30
    # 31 March is day 30 since 1 March: not due yet, however late in the (local) day.
    with time_machine.travel(_at(zone, 2026, 3, 31, 23, 59), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 0
        soon = customers_returning_soon(actor=org.actor("sales1"))
        assert [(r.customer.pk, r.days_left, r.reason) for r in soon] == [(customer.pk, 1, "超过 30 天未跟进")]
    with time_machine.travel(_at(zone, 2026, 4, 1, 0, 1), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 1
        assert pools_auto_return(tenant=org.tenant) == 0  # running twice the same day moves nothing more
    customer.refresh_from_db()
    assert customer.owner is None and customer.pool == default
    change = OwnerChange.objects.get(customer=customer)
    assert (change.kind, change.reason, change.from_owner) == ("auto_return", "超过 30 天未跟进", org["sales1"])
    assert AuditEvent.objects.filter(action="customer.auto_return", target_id=customer.pk).exists()


def test_followups_and_deals_keep_customers(org):
    with time_machine.travel(_at("Asia/Shanghai", 2026, 1, 1, 10), tick=False):
        kept = owned(org, "sales1", "常联系的公司")
        idle = owned(org, "sales1", "不成交的公司")
    Customer.objects.filter(pk__in=[kept.pk, idle.pk]).update(
        last_followup_at=_at("Asia/Shanghai", 2026, 6, 25, 10))
    Customer.objects.filter(pk=kept.pk).update(last_won_at=_at("Asia/Shanghai", 2026, 5, 1, 10))
    with time_machine.travel(_at("Asia/Shanghai", 2026, 7, 1, 10), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 1
    idle.refresh_from_db()
    kept.refresh_from_db()
    assert idle.owner is None and kept.owner == org["sales1"]
    assert OwnerChange.objects.get(customer=idle).reason == "超过 180 天未成交"


def test_level_rule_replaces_general_and_empty_level_rule_exempts(org):
    admin = org.actor("admin")
    default = pool_default()
    levels = list(DictionaryItem.objects.filter(kind="level").order_by("order", "pk")[:2])
    vip, other = levels
    pool_rule_save(actor=admin, pool_id=default.pk, level_id=vip.pk, data={})  # VIPs never return
    pool_rule_save(actor=admin, pool_id=default.pk, level_id=other.pk, data={"no_followup_days": 10})
    with time_machine.travel(_at("Asia/Shanghai", 2026, 1, 1, 10), tick=False):
        a = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "贵宾公司",
                                                             "level_id": vip.pk}).customer
        b = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "十天公司",
                                                             "level_id": other.pk}).customer
        c = owned(org, "sales1", "普通公司")
    with time_machine.travel(_at("Asia/Shanghai", 2026, 1, 20, 10), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 1
    with time_machine.travel(_at("Asia/Shanghai", 2026, 12, 31, 10), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 1
    a.refresh_from_db(), b.refresh_from_db(), c.refresh_from_db()
    assert a.owner is not None and b.owner is None and c.owner is None
    assert OwnerChange.objects.get(customer=b).reason == "超过 10 天未跟进"


def test_pool_without_rules_keeps_its_customers(org):
    team = pool_create(actor=org.actor("admin"), data={"name": "无规则公海"})
    with time_machine.travel(_at("Asia/Shanghai", 2026, 1, 1, 10), tick=False):
        customer = in_pool(org, "无规则公司", pool=team)
        customer_claim(actor=org.actor("sales1"), customer_id=customer.pk)
    with time_machine.travel(_at("Asia/Shanghai", 2027, 1, 1, 10), tick=False):
        assert pools_auto_return(tenant=org.tenant) == 0


def test_the_scheduled_job_is_registered_and_runs_per_tenant(org):
    from zhuli.core.registry import scheduled_jobs
    from zhuli.core.scheduler import scheduler_run_due, scheduler_sync

    assert scheduled_jobs.get("pools.auto_return") is not None
    with time_machine.travel(_at("Asia/Shanghai", 2026, 1, 1, 10), tick=False):
        customer = owned(org, "sales1", "定时任务公司")
    with time_machine.travel(_at("Asia/Shanghai", 2026, 3, 1, 10), tick=False):
        scheduler_sync()
        assert "pools.auto_return" in scheduler_run_due()
    customer.refresh_from_db()
    assert customer.owner is None


# ---- settings services -------------------------------------------------------------------------------------

def test_pool_settings_are_admin_only_and_validated(org):
    pool_default()
    before = Unchanged()
    with pytest.raises(Forbidden):
        pool_create(actor=org.actor("manager1"), data={"name": "经理的公海"})
    with pytest.raises(InvalidInput) as exc:
        pool_create(actor=org.actor("admin"), data={"name": "", "warn_days": "x", "department_ids": [999999]})
    assert set(exc.value.errors) == {"name", "warn_days", "department_ids"}
    with pytest.raises(InvalidInput, match="同名"):
        pool_create(actor=org.actor("admin"), data={"name": pool_default().name})
    with pytest.raises(Conflict, match="默认公海不能删除"):
        pool_delete(actor=org.actor("admin"), pool_id=pool_default().pk)
    with pytest.raises(InvalidInput):
        pool_rule_save(actor=org.actor("admin"), pool_id=pool_default().pk, data={"no_followup_days": "-3"})
    with pytest.raises(InvalidInput):
        customer_cap_set(actor=org.actor("admin"), role="nobody", limit=3)
    before.check()
    pool = pool_create(actor=org.actor("admin"), data={"name": "新公海", "warn_days": 5})
    pool_update(actor=org.actor("admin"), pool_id=pool.pk, data={"name": "改名公海"})
    in_pool(org, "占着的公司", pool=pool)
    with pytest.raises(Conflict, match="还有 1 个客户"):
        pool_delete(actor=org.actor("admin"), pool_id=pool.pk)
    empty = pool_create(actor=org.actor("admin"), data={"name": "空公海"})
    pool_delete(actor=org.actor("admin"), pool_id=empty.pk)
    assert not Pool.objects.filter(pk=empty.pk).exists()


def test_system_actor_runs_auto_return_without_user(org):
    assert Actor.system_for(org.tenant).user_id is None


def test_auto_return_scan_is_set_based(org, django_assert_max_num_queries):
    """Finding who is due costs a query per rule and limit, not per customer: a tenant of customers nobody
    neglected is checked in a handful of queries."""
    from zhuli.customers.tests.factories import CustomerFactory

    pool_default()
    CustomerFactory.create_batch(40, owner=org["sales1"], last_followup_at=datetime.datetime.now(datetime.UTC),
                                 owned_since=datetime.datetime.now(datetime.UTC))
    with django_assert_max_num_queries(8):
        assert pools_auto_return(tenant=org.tenant) == 0
