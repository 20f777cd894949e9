"""The workbench's countdown card (7 days and less before the end, stronger on the last day) and the layout's
banner once the account is read-only."""
import datetime

import pytest
from django.test import Client
from django.utils import timezone

from zhuli.tenancy.models import Tenant, TenantKind, TenantStatus

pytestmark = pytest.mark.django_db


def workbench(org, **fields) -> str:
    Tenant.objects.filter(pk=org.tenant.pk).update(**fields)
    client = Client()
    client.force_login(org["sales1"])
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def ends_in(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.mark.parametrize(("last_day", "shown", "urgent"), [(8, None, False), (6, 7, False), (1, 2, False),
                                                           (0, 1, True)])
def test_trial_countdown_card(org, last_day, shown, urgent):
    html = workbench(org, kind=TenantKind.TRIAL, trial_ends_on=ends_in(last_day))
    if shown is None:
        assert "card-tenancy.countdown" not in html and "试用还剩" not in html
        return
    assert 'id="card-tenancy.countdown"' in html and f'data-zl-countdown="{shown}"' in html
    assert f"试用还剩 {shown} 天，到期后帐户只读" in html
    assert ("alert-danger" in html and "今天是最后一天" in html) is urgent
    assert "data-zl-read-only" not in html


def test_formal_accounts_get_the_renewal_countdown(org):
    html = workbench(org, service_ends_on=ends_in(2))
    assert "服务还剩 3 天，到期后帐户只读" in html and "请联系我们续费" in html
    assert "还剩" not in workbench(org, service_ends_on=None)


def test_expired_accounts_show_the_banner_not_the_card(org):
    html = workbench(org, kind=TenantKind.TRIAL, trial_ends_on=ends_in(-1), status=TenantStatus.EXPIRED,
                     expired_on=ends_in(0))
    assert "试用还剩" not in html
    assert "data-zl-read-only" in html and "试用已到期，帐户为只读。请联系我们转为正式帐户；您仍可导出数据" in html
    assert "新建客户" not in html  # the workbench's write button is gone with the permission
