"""The account's lifecycle: the operator's services (convert, extend, limits, suspend / resume), the expiry job
and the grace period (issue 5 part 5)."""
import datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from tests.factories import PASSWORD
from zhuli.accounts.authentication import LoginRefused, login_check
from zhuli.accounts.models import User
from zhuli.activities.models import FollowUp
from zhuli.activities.services import followup_create
from zhuli.api.testing import ApiClient
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.models import ScheduledJob
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.sales.models import Opportunity
from zhuli.sales.services import opportunity_create
from zhuli.tenancy.models import PlatformSettings, Tenant, TenantKind, TenantStatus
from zhuli.tenancy.services import (
    NotOperator,
    tenant_convert_to_formal,
    tenant_days_left,
    tenant_extend_trial,
    tenant_grace_ends_on,
    tenant_resume,
    tenant_set_limits,
    tenant_suspend,
    trials_expire_all,
)
from zhuli.tenancy.unscoped import for_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return User.objects.create_superuser("ops@platform.test", PASSWORD, name="运营")


def set_state(tenant, **fields) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(**fields)
    tenant.refresh_from_db()
    return tenant


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def counts(tenant) -> dict[str, int]:
    return {
        "customers": for_tenant(Customer, tenant).count(),
        "followups": for_tenant(FollowUp, tenant).count(),
        "opportunities": for_tenant(Opportunity, tenant).count(),
        "users": User.objects.filter(tenant=tenant).count(),
        "active_users": User.objects.filter(tenant=tenant, is_active=True).count(),
    }


# ---- who may ----------------------------------------------------------------------------------------


def test_only_platform_staff_may_change_an_account(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(3))
    staff_in_a_tenant = org["boss"]
    staff_in_a_tenant.is_staff = True
    retired = User.objects.create_superuser("old-ops@platform.test", PASSWORD, is_active=False)
    for who in (None, org["boss"], org["admin"], staff_in_a_tenant, retired):
        for call in (
            lambda: tenant_convert_to_formal(operator=who, tenant=tenant, max_users=50, max_bosses=3),
            lambda: tenant_extend_trial(operator=who, tenant=tenant, days=7),
            lambda: tenant_set_limits(operator=who, tenant=tenant, max_users=60, max_bosses=3),
            lambda: tenant_suspend(operator=who, tenant=tenant, reason="欠费"),
            lambda: tenant_resume(operator=who, tenant=tenant),
        ):
            with pytest.raises(NotOperator) as info:
                call()
            assert isinstance(info.value, PermissionDenied) and isinstance(info.value, Forbidden)
    tenant.refresh_from_db()
    assert (tenant.kind, tenant.status, tenant.trial_ends_on, tenant.max_users) == (
        TenantKind.TRIAL, TenantStatus.ACTIVE, days(3), 50)
    assert not AuditEvent.all_tenants.filter(action__startswith="tenant.").exclude(action="tenant.create").exists()


# ---- convert -----------------------------------------------------------------------------------------


def test_conversion_keeps_every_record_and_user(org, operator):
    boss = org.actor("boss")
    for i in range(3):
        customer = customer_create(actor=boss, data={"kind": "enterprise", "name": f"保留公司{i}"}).customer
        followup_create(actor=boss, customer_id=customer.pk, data={"content": f"拜访{i}"})
        opportunity_create(actor=boss, data={"customer_id": customer.pk, "title": f"机会{i}", "amount": "100"})
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(-3), status=TenantStatus.EXPIRED,
                       expired_on=days(-2))
    before = counts(tenant)
    converted = tenant_convert_to_formal(operator=operator, tenant=tenant, max_users=30, max_bosses=2,
                                         service_ends_on=days(365))
    assert counts(tenant) == before and before["customers"] == 3 and before["users"] == 15
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert (fresh.kind, fresh.status, fresh.trial_ends_on, fresh.expired_on) == (
        TenantKind.FORMAL, TenantStatus.ACTIVE, None, None)
    assert (fresh.max_users, fresh.max_bosses, fresh.service_ends_on) == (30, 2, days(365))
    assert converted.kind == TenantKind.FORMAL
    event = AuditEvent.all_tenants.get(action="tenant.convert")
    assert event.tenant_id == tenant.pk and event.actor_id == operator.pk
    assert event.changes["kind"] == ["trial", "formal"] and event.changes["status"] == ["expired", "active"]
    # Every user can still log in, with the same password.
    assert login_check(login=org["sales1"].email, password=PASSWORD).pk == org["sales1"].pk


def test_conversion_limits_cannot_fall_below_the_seats_taken(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(5))
    with pytest.raises(InvalidInput) as info:
        tenant_convert_to_formal(operator=operator, tenant=tenant, max_users=10, max_bosses=0)
    assert info.value.errors["max_bosses"] == ["应在 1 到 100000 之间"]
    with pytest.raises(InvalidInput) as info:
        tenant_convert_to_formal(operator=operator, tenant=tenant, max_users=10, max_bosses=1)
    assert info.value.errors["max_users"] == ["用户数上限不能低于当前在职用户数（上限 10 人，当前 15 人）"]
    org["boss2"] = User.objects.create_user(email="boss2@a.test", password=PASSWORD, name="二老板", tenant=tenant,
                                            role="boss")
    with pytest.raises(InvalidInput) as info:
        tenant_convert_to_formal(operator=operator, tenant=tenant, max_users=20, max_bosses=1)
    assert info.value.errors["max_bosses"] == ["老板席位上限不能低于当前老板人数（上限 1 个，当前 2 个）"]
    tenant.refresh_from_db()
    assert tenant.kind == TenantKind.TRIAL and tenant.max_users == 50


@pytest.mark.parametrize(("fields", "error_field"), [
    ({"max_users": "十", "max_bosses": 2}, "max_users"),
    ({"max_users": 2.5, "max_bosses": 2}, "max_users"),
    ({"max_users": True, "max_bosses": 2}, "max_users"),
    ({"max_users": 20, "max_bosses": 25}, "max_bosses"),
    ({"max_users": 20, "max_bosses": 2, "service_ends_on": "2020-01-01"}, "service_ends_on"),
    ({"max_users": 20, "max_bosses": 2, "service_ends_on": "明年"}, "service_ends_on"),
])
def test_conversion_names_the_bad_field(org, operator, fields, error_field):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(5))
    with pytest.raises(InvalidInput) as info:
        tenant_convert_to_formal(operator=operator, tenant=tenant, **fields)
    assert error_field in info.value.errors
    assert Tenant.objects.get(pk=tenant.pk).kind == TenantKind.TRIAL


def test_demo_and_suspended_accounts_are_not_converted(org, operator):
    demo = set_state(org.tenant, kind=TenantKind.DEMO)
    with pytest.raises(Conflict):
        tenant_convert_to_formal(operator=operator, tenant=demo, max_users=50, max_bosses=3)
    suspended = set_state(org.tenant, kind=TenantKind.TRIAL, status=TenantStatus.SUSPENDED, trial_ends_on=days(2))
    with pytest.raises(Conflict, match="请先恢复"):
        tenant_convert_to_formal(operator=operator, tenant=suspended, max_users=50, max_bosses=3)


# ---- extend, limits ----------------------------------------------------------------------------------


def test_extending_a_running_trial_counts_from_its_end(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(3))
    tenant_extend_trial(operator=operator, tenant=tenant, days=7)
    assert Tenant.objects.get(pk=tenant.pk).trial_ends_on == days(10)
    event = AuditEvent.all_tenants.get(action="tenant.extend_trial")
    assert event.changes["days"] == 7 and event.actor_id == operator.pk


def test_extending_an_expired_trial_counts_from_today_and_reopens_it(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(-10), status=TenantStatus.EXPIRED,
                       expired_on=days(-9))
    tenant_extend_trial(operator=operator, tenant=tenant, days=7)
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert (fresh.trial_ends_on, fresh.status, fresh.expired_on) == (days(6), TenantStatus.ACTIVE, None)
    assert tenant_days_left(fresh) == 7


def test_extension_is_for_trials_and_bounded(org, operator):
    with pytest.raises(Conflict):
        tenant_extend_trial(operator=operator, tenant=org.tenant, days=7)  # a formal account
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(3))
    for bad in (0, -1, 366, "七"):
        with pytest.raises(InvalidInput) as info:
            tenant_extend_trial(operator=operator, tenant=tenant, days=bad)
        assert list(info.value.errors) == ["days"]
    assert Tenant.objects.get(pk=tenant.pk).trial_ends_on == days(3)


def test_set_limits_never_below_the_seats_taken(org, operator):
    with pytest.raises(InvalidInput) as info:
        tenant_set_limits(operator=operator, tenant=org.tenant, max_users=14, max_bosses=1)
    assert info.value.errors == {"max_users": ["用户数上限不能低于当前在职用户数（上限 14 人，当前 15 人）"]}
    User.objects.filter(pk=org["sales6"].pk).update(is_active=False)  # a user who left holds no seat
    tenant_set_limits(operator=operator, tenant=org.tenant, max_users=14, max_bosses=1)
    fresh = Tenant.objects.get(pk=org.tenant.pk)
    assert (fresh.max_users, fresh.max_bosses) == (14, 1)
    event = AuditEvent.all_tenants.get(action="tenant.limits")
    assert event.changes == {"max_users": [50, 14], "max_bosses": [3, 1]} and event.tenant_id == org.tenant.pk


# ---- suspend, resume ---------------------------------------------------------------------------------


def test_suspension_locks_everyone_out_and_resume_lets_them_back(org, operator):
    api = ApiClient(org["sales1"])
    assert api.get("/me").status_code == 200
    with pytest.raises(InvalidInput):
        tenant_suspend(operator=operator, tenant=org.tenant, reason="  ")
    tenant_suspend(operator=operator, tenant=org.tenant, reason="欠费停用")
    assert Tenant.objects.get(pk=org.tenant.pk).status == TenantStatus.SUSPENDED
    assert AuditEvent.all_tenants.get(action="tenant.suspend").changes["reason"] == "欠费停用"
    with pytest.raises(LoginRefused):
        login_check(login=org["sales1"].email, password=PASSWORD)
    refused = api.get("/me")
    assert refused.status_code == 401 and "停用" in refused.json()["detail"]
    assert ApiClient().post("/auth/token", {"login": org["boss"].email, "password": PASSWORD}).status_code == 401
    web = org["boss"]
    from django.test import Client

    client = Client()
    client.force_login(web)
    assert client.get("/customers/").status_code == 302  # the session no longer authenticates
    with pytest.raises(Conflict):
        tenant_suspend(operator=operator, tenant=org.tenant, reason="again")

    tenant_resume(operator=operator, tenant=org.tenant)
    assert Tenant.objects.get(pk=org.tenant.pk).status == TenantStatus.ACTIVE
    assert api.get("/me").status_code == 200  # the same token works again
    with pytest.raises(Conflict):
        tenant_resume(operator=operator, tenant=org.tenant)


def test_a_trial_that_ended_while_suspended_resumes_read_only(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=days(-2), status=TenantStatus.SUSPENDED)
    tenant_resume(operator=operator, tenant=tenant)
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert (fresh.status, fresh.expired_on) == (TenantStatus.EXPIRED, days(-1))
    assert AuditEvent.all_tenants.get(action="tenant.resume").changes["status"] == ["suspended", "expired"]


# ---- the expiry job and the grace period ---------------------------------------------------------------


def trial(code, ends_on, zone="Asia/Shanghai", **kw):
    return Tenant.objects.create(code=code, name=code, kind=kw.pop("kind", TenantKind.TRIAL), trial_ends_on=ends_on,
                                 time_zone=zone, **kw)


def test_trials_expire_on_the_tenants_own_day():
    # 2025-03-10 17:00 UTC is already 2025-03-11 01:00 in Shanghai, still 2025-03-10 in New York.
    moment = datetime.datetime(2025, 3, 10, 17, 0, tzinfo=datetime.UTC)
    shanghai_over = trial("sh-over", datetime.date(2025, 3, 10))
    trial("sh-last", datetime.date(2025, 3, 11))
    trial("ny-last", datetime.date(2025, 3, 10), zone="America/New_York")
    trial("formal-open", None, kind=TenantKind.FORMAL)
    trial("formal-paid", None, kind=TenantKind.FORMAL, service_ends_on=datetime.date(2025, 3, 9))
    trial("formal-running", None, kind=TenantKind.FORMAL, service_ends_on=datetime.date(2025, 3, 11))
    trial("demo", datetime.date(2025, 1, 1), kind=TenantKind.DEMO)
    trial("susp", datetime.date(2025, 1, 1), status=TenantStatus.SUSPENDED)
    with time_machine.travel(moment, tick=False):
        assert trials_expire_all(timezone.now()) == "2 expired"
        assert trials_expire_all(timezone.now()) == "0 expired"  # a second run the same hour changes nothing
    status = dict(Tenant.objects.values_list("code", "status"))
    assert status == {"sh-over": "expired", "sh-last": "active", "ny-last": "active", "formal-open": "active",
                      "formal-paid": "expired", "formal-running": "active", "demo": "active", "susp": "suspended"}
    shanghai_over.refresh_from_db()
    assert shanghai_over.expired_on == datetime.date(2025, 3, 11)
    event = AuditEvent.all_tenants.get(action="tenant.expire", tenant=shanghai_over)
    assert event.actor_id is None and event.changes["expired_on"] == "2025-03-11"
    with time_machine.travel(moment + datetime.timedelta(hours=12), tick=False):
        assert trials_expire_all(timezone.now()) == "1 expired"
    assert Tenant.objects.get(code="ny-last").status == TenantStatus.EXPIRED
    # Nothing is deleted: the tenants are all still there.
    assert Tenant.objects.count() == 8


def test_the_expiry_job_runs_hourly_from_the_worker():
    trial("old", datetime.date(2020, 1, 1))
    call_command("run_worker", "--once", stdout=StringIO())
    assert Tenant.objects.get(code="old").status == TenantStatus.EXPIRED
    job = ScheduledJob.objects.get(name="trials.expire")
    assert job.last_status == "ok: 1 expired"
    assert job.next_run_at - job.last_run_at == datetime.timedelta(hours=1)


def test_grace_period_counts_from_the_expiry_day(org):
    tenant = set_state(org.tenant, kind=TenantKind.TRIAL, trial_ends_on=datetime.date(2025, 3, 10),
                       status=TenantStatus.EXPIRED, expired_on=datetime.date(2025, 3, 11))
    assert tenant_grace_ends_on(tenant) == datetime.date(2025, 4, 10)
    PlatformSettings.objects.filter(pk=PlatformSettings.current().pk).update(grace_days=60)
    assert tenant_grace_ends_on(tenant) == datetime.date(2025, 5, 10)
    running = set_state(tenant, status=TenantStatus.ACTIVE, expired_on=None, trial_ends_on=datetime.date(2025, 3, 20))
    assert tenant_grace_ends_on(running) == datetime.date(2025, 5, 20)  # looking ahead from the day after the end
    formal = set_state(tenant, kind=TenantKind.FORMAL, trial_ends_on=None, service_ends_on=None)
    assert tenant_grace_ends_on(formal) is None and tenant_days_left(formal) is None


def test_days_left_counts_today():
    tenant = Tenant(kind=TenantKind.TRIAL, trial_ends_on=timezone.localdate(), time_zone="Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2025, 3, 10, 4, 0, tzinfo=datetime.UTC), tick=False):
        tenant.trial_ends_on = datetime.date(2025, 3, 10)
        assert tenant_days_left(tenant) == 1
        tenant.trial_ends_on = datetime.date(2025, 3, 16)
        assert tenant_days_left(tenant) == 7
        tenant.trial_ends_on = datetime.date(2025, 3, 9)
        assert tenant_days_left(tenant) == 0


def test_a_running_formal_account_is_not_converted_again(org, operator):
    tenant = set_state(org.tenant, kind=TenantKind.FORMAL, status=TenantStatus.ACTIVE, service_ends_on=days(100))
    with pytest.raises(Conflict, match="已是正式帐户"):
        tenant_convert_to_formal(operator=operator, tenant=tenant, max_users=50, max_bosses=3)
    assert Tenant.objects.get(pk=tenant.pk).service_ends_on == days(100)
