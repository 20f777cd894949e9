"""The funnel (selector, page, API) on a hand-checked dataset: the period rule, the tenant's zone, the scope."""
import datetime
import zoneinfo
from decimal import Decimal

import pytest

from zhuli.analytics.selectors import funnel, preset_range
from zhuli.api.testing import ApiClient
from zhuli.sales.tests.board_data import day, opportunity, stages

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DEC = {"date_from": day("2026-12-01"), "date_to": day("2026-12-31")}


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def data(org):
    t, s1, s4 = org.tenant, org["sales1"], org["sales4"]
    st = stages(t)
    opportunity(t, s1, st["初步接洽"], amount="1000", close_date=day("2026-12-10"))
    opportunity(t, s1, st["需求确认"], amount="2000", close_date=day("2026-12-20"))
    opportunity(t, s1, st["需求确认"], amount="500", close_date=day("2027-01-05"))  # after the period
    opportunity(t, s1, st["需求确认"], amount="300")  # no close date: left out
    opportunity(t, s1, st["赢单"], amount="4000", closed_at=at("2026-12-05T10:00"))
    opportunity(t, s1, st["输单"], amount="700", closed_at=at("2026-11-30T23:30"))  # November in Shanghai
    opportunity(t, s1, st["输单"], amount="800", closed_at=at("2026-12-01T00:30"))  # Nov 30 in UTC, Dec here
    opportunity(t, s1, st["方案报价"], amount="900", close_date=day("2026-12-15"), status="on_hold")
    opportunity(t, s4, st["方案报价"], amount="5000", close_date=day("2026-12-03"))
    opportunity(t, s4, st["赢单"], amount="1000", closed_at=at("2026-12-02T12:00"))
    return st


def figures(result):
    return {r.stage.name: (r.count, r.amount, r.weighted) for r in result.rows}


def test_boss_sees_the_whole_company_by_stage_in_order(org, data):
    result = funnel(actor=org.actor("boss"), **DEC)
    assert [r.stage.name for r in result.rows] == ["初步接洽", "需求确认", "方案报价", "商务谈判", "赢单", "输单"]
    assert figures(result) == {
        "初步接洽": (1, Decimal("1000.00"), Decimal("100.00")),
        "需求确认": (1, Decimal("2000.00"), Decimal("600.00")),
        "方案报价": (1, Decimal("5000.00"), Decimal("3000.00")),
        "商务谈判": (0, Decimal("0.00"), Decimal("0.00")),
        "赢单": (2, Decimal("5000.00"), Decimal("5000.00")),
        "输单": (1, Decimal("800.00"), Decimal("0.00")),
    }
    assert (result.won, result.lost, result.win_rate) == (2, 1, Decimal("66.7"))


def test_sales1_sees_only_their_own(org, data):
    result = funnel(actor=org.actor("sales1"), **DEC)
    f = figures(result)
    assert f["方案报价"] == (0, Decimal("0.00"), Decimal("0.00"))
    assert f["赢单"] == (1, Decimal("4000.00"), Decimal("4000.00"))
    assert (result.won, result.lost, result.win_rate) == (1, 1, Decimal("50.0"))


def test_department_filter_and_a_manager_outside_the_department(org, data):
    second = org.department("销售二部").pk
    boss = funnel(actor=org.actor("boss"), department_id=second, **DEC)
    assert boss.total.count == 2 and boss.total.amount == Decimal("6000.00")
    manager1 = funnel(actor=org.actor("manager1"), department_id=second, **DEC)
    assert manager1.total.count == 0
    assert funnel(actor=org.actor("manager1"), **DEC).total.count == 3  # 输单 not in the total


def test_one_query_for_the_numbers(org, data, django_assert_max_num_queries):
    actor = org.actor("boss")
    actor.grants  # noqa: B018 — the permission rows are loaded once per request, not by the funnel
    with django_assert_max_num_queries(2):  # the stages, the grouped figures
        funnel(actor=actor, **DEC)


def test_presets():
    today = day("2026-11-15")
    assert preset_range("month", today) == (day("2026-11-01"), day("2026-11-30"))
    assert preset_range("quarter", today) == (day("2026-10-01"), day("2026-12-31"))
    assert preset_range("year", today) == (day("2026-01-01"), day("2026-12-31"))
    assert preset_range("quarter", day("2026-02-28")) == (day("2026-01-01"), day("2026-03-31"))


def test_api_gives_the_same_numbers_as_decimal_strings(org, data):
    body = ApiClient(org["boss"]).get("/analytics/funnel", date_from="2026-12-01", date_to="2026-12-31").json()
    assert body["stages"][2] == {"stage": {"id": data["方案报价"].pk, "name": "方案报价"}, "kind": "open",
                                 "probability": 60, "count": 1, "amount": "5000.00", "weighted_amount": "3000.00"}
    # 合计 = open stages + 赢单 (the 800 lost is not added in)
    assert body["total"] == {"count": 5, "amount": "13000.00", "weighted_amount": "8700.00"}
    assert (body["won"], body["lost"], body["win_rate"]) == (2, 1, "66.7")
    mine = ApiClient(org["sales1"]).get("/analytics/funnel", date_from="2026-12-01", date_to="2026-12-31").json()
    assert mine["total"]["count"] == 3 and mine["win_rate"] == "50.0"


@pytest.mark.parametrize("params, field", [
    ({"date_from": "2026-12-31", "date_to": "2026-12-01"}, "date_to"),
    ({"date_from": "2026-13-01"}, "date_from"),
    ({"department": "abc"}, "department"),
    ({"owner": "x"}, "owner"),
])
def test_api_bad_input_is_422_naming_the_field(org, data, params, field):
    response = ApiClient(org["boss"]).get("/analytics/funnel", **params)
    assert response.status_code == 422
    assert field in str(response.json())


def test_api_department_outside_the_scope_is_refused(org, data):
    response = ApiClient(org["manager1"]).get("/analytics/funnel", department=org.department("销售二部").pk)
    assert response.status_code == 422 and "department" in response.json()["errors"]


def test_page_renders_chart_table_and_rule(org, data, client):
    client.force_login(org["boss"])
    response = client.get("/analytics/funnel/", {"preset": "custom", "date_from": "2026-12-01", "date_to": "2026-12-31"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-zl-funnel="funnel-data"' in html and "66.7%" in html and "预计成交日期" in html
    assert "5,000.00" in html and "13,000.00" in html  # 合计 without 输单


def test_page_with_bad_dates_falls_back_to_this_month_with_a_message(org, data, client):
    client.force_login(org["sales1"])
    response = client.get("/analytics/funnel/", {"preset": "custom", "date_from": "2026-12-31", "date_to": "2026-12-01"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_page_needs_the_opportunities_module(org, client):
    client.force_login(org["keeper"])
    assert client.get("/analytics/funnel/").status_code == 403


def test_total_row_leaves_lost_amounts_out_on_page_and_api(org, data, client):
    result = funnel(actor=org.actor("boss"), **DEC)
    assert (result.total.count, result.total.amount, result.total.weighted) == (5, Decimal("13000.00"),
                                                                                 Decimal("8700.00"))
    client.force_login(org["boss"])
    html = client.get("/analytics/funnel/", {"date_from": "2026-12-01", "date_to": "2026-12-31"}).content.decode()
    assert "合计（不含输单）" in html and "13,000.00" in html and "13,800.00" not in html


def test_page_filters_by_a_salesperson_in_scope(org, data, client):
    client.force_login(org["manager1"])
    html = client.get("/analytics/funnel/").content.decode()
    assert 'name="owner"' in html and f'value="{org["sales1"].pk}"' in html
    assert f'value="{org["sales4"].pk}"' not in html  # another department's salesperson
    client.force_login(org["sales1"])
    assert 'name="owner"' not in client.get("/analytics/funnel/").content.decode()  # their own funnel anyway
    client.force_login(org["boss"])
    html = client.get("/analytics/funnel/", {"owner": org["sales1"].pk}).content.decode()
    assert f'value="{org["sales1"].pk}" selected' in html
