"""Workbench cards 本月预计成交 and 停滞的机会, with frozen time in the tenant's zone."""
import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from zhuli.sales.tests.board_data import day, opportunity, stages
from zhuli.workbench.selectors import opportunities_closing, opportunities_stale

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 00:30 on 1 March in Shanghai is still February in UTC: the card's month is March.
NOW = datetime.datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_closing_this_month_in_the_tenants_zone_with_the_sum(org, frozen):
    st = stages(org.tenant)
    t, s1 = org.tenant, org["sales1"]
    opportunity(t, s1, st["需求确认"], title="三月底", amount="200.50", close_date=day("2026-03-31"))
    opportunity(t, s1, st["方案报价"], title="三月初", amount="100", close_date=day("2026-03-01"))
    opportunity(t, s1, st["方案报价"], title="二月", amount="1000", close_date=day("2026-02-28"))
    opportunity(t, s1, st["方案报价"], title="搁置", amount="1000", close_date=day("2026-03-05"), status="on_hold")
    opportunity(t, org["sales4"], st["方案报价"], title="同事的", amount="1000", close_date=day("2026-03-05"))
    data = opportunities_closing(actor=org.actor("sales1"))
    assert (data["first"], data["last"]) == (day("2026-03-01"), day("2026-03-31"))
    assert [o.title for o in data["rows"]] == ["三月初", "三月底"]
    assert (data["count"], data["amount"]) == (2, Decimal("300.50"))
    assert opportunities_closing(actor=org.actor("boss"))["count"] == 3


def test_stale_means_no_followup_and_no_stage_change_for_14_days_stalest_first(org, frozen):
    st = stages(org.tenant)
    t, s1 = org.tenant, org["sales1"]
    days = datetime.timedelta(days=1)
    opportunity(t, s1, st["需求确认"], title="20天", stage_entered_at=NOW - 20 * days)
    opportunity(t, s1, st["需求确认"], title="30天", stage_entered_at=NOW - 30 * days)
    opportunity(t, s1, st["需求确认"], title="刚跟进", stage_entered_at=NOW - 40 * days, last_followup_at=NOW - 2 * days)
    opportunity(t, s1, st["需求确认"], title="跟进旧", stage_entered_at=NOW - 40 * days,
                last_followup_at=NOW - 25 * days)
    opportunity(t, s1, st["需求确认"], title="13天", stage_entered_at=NOW - 13 * days)
    opportunity(t, s1, st["赢单"], title="赢了", stage_entered_at=NOW - 60 * days)
    data = opportunities_stale(actor=org.actor("sales1"))
    assert [(o.title, o.idle_days) for o in data["rows"]] == [("30天", 30), ("跟进旧", 25), ("20天", 20)]
    assert data["count"] == 3
    assert opportunities_stale(actor=org.actor("sales4"))["count"] == 0


def test_the_cards_render_with_links_on_the_workbench(org, client, frozen):
    st = stages(org.tenant)
    opp = opportunity(org.tenant, org["sales1"], st["需求确认"], title="下周签约", amount="5000",
                      close_date=day("2026-03-08"), stage_entered_at=NOW - datetime.timedelta(days=15))
    client.force_login(org["sales1"])
    html = client.get("/").content.decode()
    assert 'id="card-opportunities.closing"' in html and 'id="card-opportunities.stale"' in html
    assert f'href="/opportunities/{opp.pk}/"' in html and "¥5,000.00" in html and "15 天无进展" in html


def test_the_cards_query_count_does_not_grow(org, client, frozen, django_assert_max_num_queries):
    st = stages(org.tenant)
    client.force_login(org["sales1"])
    opportunity(org.tenant, org["sales1"], st["需求确认"], close_date=day("2026-03-08"),
                stage_entered_at=NOW - datetime.timedelta(days=15))
    client.get("/")
    with django_assert_max_num_queries(100) as before:
        client.get("/")
    customer = opportunity(org.tenant, org["sales1"], st["需求确认"]).customer
    for i in range(6):
        opportunity(org.tenant, org["sales1"], st["方案报价"], customer=customer, close_date=day("2026-03-09"),
                    stage_entered_at=NOW - datetime.timedelta(days=20 + i))
    with django_assert_max_num_queries(len(before)):
        client.get("/")
