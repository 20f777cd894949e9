"""`GET /api/v1/tenant`: the caller's account, its dates, seats and switches; `/me` keeps its tenant shape."""
import datetime

import pytest
from django.utils import timezone

from zhuli.api.testing import ApiClient
from zhuli.tenancy.models import Tenant, TenantKind, TenantStatus

pytestmark = pytest.mark.django_db


def test_tenant_info_of_a_running_trial(org, django_assert_max_num_queries):
    ends = timezone.localdate() + datetime.timedelta(days=4)
    Tenant.objects.filter(pk=org.tenant.pk).update(kind=TenantKind.TRIAL, trial_ends_on=ends, max_users=20)
    api = ApiClient(org["sales1"])
    with django_assert_max_num_queries(8):
        body = api.get("/tenant").json()
    features = body.pop("features")
    assert body == {
        "code": "tenant-a", "name": "tenant-a公司", "kind": "trial", "status": "active",
        "trial_ends_on": ends.isoformat(), "service_ends_on": None,
        "grace_ends_on": (ends + datetime.timedelta(days=31)).isoformat(), "days_left": 5, "read_only": False,
        "limits": {"max_users": 20, "users": 15, "max_bosses": 3, "bosses": 1},
    }
    assert (features["tracking_style"], features["agreements"], features["inventory"]) == ("both", "both", False)


def test_tenant_info_of_an_expired_account(org):
    Tenant.objects.filter(pk=org.tenant.pk).update(kind=TenantKind.TRIAL, status=TenantStatus.EXPIRED,
                                                   trial_ends_on=datetime.date(2025, 3, 10),
                                                   expired_on=datetime.date(2025, 3, 11))
    body = ApiClient(org["boss"]).get("/tenant").json()
    assert (body["status"], body["read_only"], body["days_left"]) == ("expired", True, 0)
    assert body["grace_ends_on"] == "2025-04-10"


def test_me_keeps_the_tenant_shape(org):
    tenant = ApiClient(org["sales1"]).get("/me").json()["tenant"]
    assert tenant == {"code": "tenant-a", "name": "tenant-a公司", "kind": "formal", "status": "active"}


def test_tenant_info_needs_a_login(db):
    assert ApiClient().get("/tenant").status_code == 401
