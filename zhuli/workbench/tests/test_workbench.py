"""The workbench: buckets in the tenant's day, my and my team's month, the API, cards, escaping."""
from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from zhuli.activities.services import followup_create, todo_create
from zhuli.api.testing import ApiClient
from zhuli.customers.services import customer_create, customer_record_view
from zhuli.workbench.selectors import team_numbers, todo_buckets

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 00:10 on the 11th in Shanghai is still the 10th in UTC.
NOW = datetime.datetime(2025, 3, 11, 0, 10, tzinfo=SHANGHAI)


def make(org, who, name, **data):
    return customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": name, **data}).customer


def at(day, hour, minute=0):
    return datetime.datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def utc_server(settings):
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(NOW, tick=False):
        timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            yield
        finally:
            timezone.deactivate()


@pytest.fixture
def todos(org, utc_server):
    customer = make(org, "sales1", "待办客户")
    actor = org.actor("sales1")
    plan = {
        "today_early": at(11, 0, 10), "today_late": at(11, 23, 50), "yesterday_late": at(10, 23, 50),
        "last_week": at(4, 9), "in_3_days": at(14, 9), "day_7": at(18, 23, 0), "day_8": at(19, 0, 30),
    }
    made = {key: todo_create(actor=actor, customer_id=customer.pk, due_at=due, content=key) for key, due in plan.items()}
    todo_create(actor=org.actor("sales2"), customer_id=make(org, "sales2", "别人的待办客户").pk, due_at=at(11, 9),
                content="not mine")
    return made


def contents(rows):
    return [t.content for t in rows]


def test_buckets_use_the_tenant_day_not_the_server_zone(org, todos):
    assert timezone.get_current_timezone_name() == "UTC" and timezone.now().day == 10
    buckets = todo_buckets(actor=org.actor("sales1"))
    assert buckets.day == datetime.date(2025, 3, 11)
    assert contents(buckets.today) == ["today_early", "today_late"]
    assert contents(buckets.overdue) == ["yesterday_late", "last_week"]
    assert buckets.overdue_count == 2
    assert contents(buckets.upcoming) == ["in_3_days", "day_7"]


def test_workbench_page_shows_the_buckets(client, org, todos):
    client.force_login(org["sales1"])
    html = client.get("/").content.decode()
    today = html[html.index('id="bucket-today"'):html.index('id="bucket-overdue"')]
    overdue = html[html.index('id="bucket-overdue"'):html.index('id="bucket-upcoming"')]
    upcoming = html[html.index('id="bucket-upcoming"'):]
    assert "today_early" in today and "00:10" in today and "today_late" in today
    assert "yesterday_late" in overdue and "last_week" in overdue and "逾期 7 天" in overdue
    assert "in_3_days" in upcoming and "day_8" not in html and "not mine" not in html
    todo = todos["today_early"]
    assert f"/customers/{todo.customer_id}/?todo={todo.pk}" in today
    assert f"/followups/todos/{todo.pk}/complete/" in today


def test_long_buckets_fold_after_eight_so_the_cards_stay_in_sight(client, org, utc_server):
    customer = make(org, "sales1", "很多待办")
    for n in range(11):
        todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=at(1, 9, n), content=f"late-{n:02d}")
    client.force_login(org["sales1"])
    html = client.get("/").content.decode()
    overdue = html[html.index('id="bucket-overdue"'):html.index('id="bucket-upcoming"')]
    shown, folded = overdue.split("<details", 1)
    assert shown.count("late-") == 8 and folded.count("late-") == 3 and "展开其余 3 条" in folded


def test_complete_from_the_workbench(client, org, todos):
    client.force_login(org["sales1"])
    todo = todos["today_early"]
    response = client.post(f"/followups/todos/{todo.pk}/complete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "已完成" in response.content.decode()
    todo.refresh_from_db()
    assert todo.done_at is not None
    assert "today_early" not in client.get("/").content.decode()


def test_my_numbers_this_month(client, org, utc_server):
    with time_machine.travel(at(1, 0, 5), tick=False):  # the 1st in Shanghai, still February in UTC
        first = make(org, "sales1", "三月一日的客户")
    with time_machine.travel(datetime.datetime(2025, 2, 28, 15, 0, tzinfo=SHANGHAI), tick=False):
        make(org, "sales1", "二月的客户")
    make(org, "sales1", "今天的客户")
    followup_create(actor=org.actor("sales1"), customer_id=first.pk, data={"content": "本月", "occurred_at": at(1, 0, 5)})
    followup_create(actor=org.actor("sales1"), customer_id=first.pk,
                    data={"content": "上月", "occurred_at": datetime.datetime(2025, 2, 28, 23, 0, tzinfo=SHANGHAI)})
    client.force_login(org["sales1"])
    html = client.get("/").content.decode()
    assert "data-zl-my-new>2<" in html and "data-zl-my-followups>1<" in html
    assert 'id="team-title"' not in html  # sales have no team table
    body = ApiClient(org["sales1"]).get("/workbench").json()
    assert body["mine"] == {"month": "2025-03", "new_customers": 2, "followups": 1}
    assert body["team"] is None


def test_team_numbers_stay_inside_the_managers_scope(client, org):
    pool = customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": "公海客户", "to_pool": True}).customer
    for i, who in enumerate(["sales1", "sales2", "sales2", "sales4", "sales5"]):
        c = make(org, who, f"团队客户{i}")
        followup_create(actor=org.actor(who), customer_id=c.pk, data={"content": "跟进"})
    # A follow-up by sales4 on a pool customer (visible to manager1) is still not manager1's team's.
    followup_create(actor=org.actor("sales4"), customer_id=pool.pk, data={"content": "公海跟进"})
    rows = {r["user"]["name"]: r for r in team_numbers(actor=org.actor("manager1"))}
    assert set(rows) == {"郑经理", "王小明", "陈晓红", "刘伟"}
    assert rows["陈晓红"] == {"user": {"id": org["sales2"].pk, "name": "陈晓红"}, "new_customers": 2, "followups": 2}
    assert rows["刘伟"]["new_customers"] == 0
    boss_rows = {r["user"]["name"] for r in team_numbers(actor=org.actor("boss"))}
    assert {"杨静", "黄磊", "林芳", "王小明", "冯经理"} <= boss_rows
    assert team_numbers(actor=org.actor("sales1")) is None
    client.force_login(org["manager1"])
    html = client.get("/").content.decode()
    assert 'id="team-title"' in html and "陈晓红" in html and "杨静" not in html
    assert 'id="team-chart-data"' in html and "echarts.min.js" in html
    team = ApiClient(org["manager1"]).get("/workbench").json()["team"]
    assert {r["user"]["name"] for r in team} == {"郑经理", "王小明", "陈晓红", "刘伟"}


def test_api_matches_the_page(org, todos):
    body = ApiClient(org["sales1"]).get("/workbench").json()
    todos_out = body["todos"]
    assert todos_out["day"] == "2025-03-11"
    assert [t["content"] for t in todos_out["today"]] == ["today_early", "today_late"]
    assert todos_out["today"][0]["due_at"].startswith("2025-03-11T00:10:00+08:00")
    assert todos_out["today"][0]["customer"]["name"] == "待办客户"
    assert [t["content"] for t in todos_out["overdue"]] == ["yesterday_late", "last_week"]
    assert [t["content"] for t in todos_out["next_7_days"]] == ["in_3_days", "day_7"]
    assert ApiClient().get("/workbench").status_code == 401


def test_recently_viewed(client, org):
    a, b = make(org, "sales1", "看过的甲"), make(org, "sales1", "看过的乙")
    client.force_login(org["sales1"])
    client.get(f"/customers/{a.pk}/")
    client.get(f"/customers/{b.pk}/")
    html = client.get("/").content.decode()
    recent = html[html.index('id="recent-title"'):]
    assert recent.index("看过的乙") < recent.index("看过的甲")
    assert [c["name"] for c in ApiClient(org["sales1"]).get("/workbench").json()["recent_customers"]] == ["看过的乙", "看过的甲"]


def test_cards_come_from_the_registry(client, org):
    from django.utils.html import format_html

    from zhuli.core.registry import Section, workbench_cards

    workbench_cards.register("probe", Section("回款提醒", lambda request, actor: format_html("<p>{} 的提醒</p>", actor.user.name)))
    try:
        client.force_login(org["sales1"])
        html = client.get("/").content.decode()
    finally:
        workbench_cards.entries.pop("probe")
    assert 'id="card-probe"' in html and "王小明 的提醒" in html


def test_anonymous_visitors_go_to_the_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_workbench_query_count(client, org, django_assert_max_num_queries):
    customer = make(org, "sales1", "计数客户")
    for i in range(10):
        todo_create(actor=org.actor("manager1"), customer_id=customer.pk, due_at=timezone.now(), content=str(i))
    client.force_login(org["manager1"])
    # 18 + one each for the cards 本月预计成交, 停滞的机会 and the pool's cards, 待我审批, 30 天内到期的合同, and two
    # for 回款提醒 (none of them grows with rows).
    with django_assert_max_num_queries(25):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>测试客户", '"><svg onload=alert(2)>'])
def test_hostile_names_are_escaped_on_the_workbench(client, org, name):
    customer = make(org, "sales1", name)
    todo_create(actor=org.actor("sales1"), customer_id=customer.pk, due_at=timezone.now(), content=name)
    customer_record_view(actor=org.actor("sales1"), customer=customer)
    org["sales1"].name = '<b onmouseover=alert(4)>王'
    org["sales1"].save(update_fields=["name"])
    client.force_login(org["manager1"])
    manager_html = client.get("/").content.decode()
    client.force_login(org["sales1"])
    html = client.get("/").content.decode()
    for page in (html, manager_html):
        assert "<img src=x" not in page and "<svg onload" not in page and "<b onmouseover" not in page
    assert "&lt;img src=x" in html or "&quot;&gt;&lt;svg" in html
    # The chart's data is JSON inside a script element, with < escaped.
    assert "\\u003Cb onmouseover" in manager_html
