"""The kanban board: column totals (one grouped query), cards (a fixed number of queries), filters, and the
drop endpoint (the move service; refused moves change nothing)."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from zhuli.sales.board import BoardFilters, board
from zhuli.sales.models import Opportunity, StageChange, StageKind
from zhuli.sales.tests.board_data import day, opportunity, stages
from zhuli.tenancy.context import tenant_context


@pytest.fixture
def st(org):
    return stages(org.tenant)


def columns_by_name(columns):
    return {c.stage.name: c for c in columns}


def test_columns_in_order_with_count_sum_and_weighted_sum(org, st):
    t = org.tenant
    opportunity(t, org["sales1"], st["初步接洽"], amount="1000.50", close_date=day("2026-12-10"))
    opportunity(t, org["sales1"], st["初步接洽"], amount="2000", close_date=day("2026-12-01"))
    opportunity(t, org["sales4"], st["方案报价"], amount="333.33")
    opportunity(t, org["sales1"], st["方案报价"], amount="999", status="on_hold")  # not tracking: not shown
    opportunity(t, org["sales1"], st["赢单"], amount="5000")  # closed now: this month
    opportunity(t, org["sales1"], st["输单"], amount="100", closed_at=timezone.now() - datetime.timedelta(days=70))
    columns = board(actor=org.actor("boss"))
    assert [c.stage.name for c in columns] == ["初步接洽", "需求确认", "方案报价", "商务谈判", "赢单", "输单"]
    c = columns_by_name(columns)
    assert (c["初步接洽"].count, c["初步接洽"].amount, c["初步接洽"].weighted) == (2, Decimal("3000.50"), Decimal("300.05"))
    assert (c["方案报价"].count, c["方案报价"].amount, c["方案报价"].weighted) == (1, Decimal("333.33"), Decimal("200.00"))
    assert (c["赢单"].count, c["赢单"].weighted) == (1, Decimal("5000.00"))
    assert c["输单"].count == 0  # closed two months ago: outside this month
    assert [card.close_date for card in c["初步接洽"].cards] == [day("2026-12-01"), day("2026-12-10")]


def test_filters_owner_department_status_and_close_dates(org, st):
    t = org.tenant
    opportunity(t, org["sales1"], st["需求确认"], amount="10", close_date=day("2026-12-10"))
    opportunity(t, org["sales1"], st["需求确认"], amount="20", close_date=day("2027-02-10"))
    opportunity(t, org["sales4"], st["需求确认"], amount="40", close_date=day("2026-12-11"))
    opportunity(t, org["sales4"], st["需求确认"], amount="80", status="on_hold")
    boss = org.actor("boss")

    def total(**kw):
        return columns_by_name(board(actor=boss, filters=BoardFilters(**kw)))["需求确认"].amount

    assert total() == Decimal("70.00")
    assert total(owner=str(org["sales4"].pk)) == Decimal("40.00")
    assert total(department=org.department("销售一部").pk) == Decimal("30.00")
    assert total(department=org.department("销售中心").pk) == Decimal("70.00")
    assert total(date_from=day("2026-12-01"), date_to=day("2026-12-31")) == Decimal("50.00")
    assert total(status="on_hold") == Decimal("80.00")
    assert total(status="all") == Decimal("150.00")
    mine = columns_by_name(board(actor=org.actor("sales1"), filters=BoardFilters(owner="me")))["需求确认"]
    assert mine.amount == Decimal("30.00")
    # sales1 sees only their own, whatever the owner filter says
    assert columns_by_name(board(actor=org.actor("sales1")))["需求确认"].count == 2
    assert columns_by_name(board(actor=org.actor("sales1"), filters=BoardFilters(owner=str(org["sales4"].pk))))[
        "需求确认"].count == 0


def test_cards_are_capped_per_column_and_the_queries_do_not_grow(org, st, django_assert_num_queries):
    t = org.tenant
    customer = opportunity(t, org["sales1"], st["初步接洽"]).customer
    for name in ("初步接洽", "需求确认", "方案报价", "商务谈判"):
        for i in range(5):
            opportunity(t, org["sales1"], st[name], amount=str(i), customer=customer,
                        close_date=day("2026-12-01") + datetime.timedelta(days=i))
    actor = org.actor("boss")
    actor.grants  # noqa: B018 — loaded once per request by the middleware
    with django_assert_num_queries(3):  # stages, grouped totals of open and closed stages, cards of every column
        columns = board(actor=actor, cards_per_column=3)
    c = columns_by_name(columns)
    assert c["初步接洽"].count == 6 and len(c["初步接洽"].cards) == 3 and c["初步接洽"].more
    assert [card.amount for card in c["需求确认"].cards] == [Decimal("0"), Decimal("1"), Decimal("2")]
    assert c["需求确认"].cards[0].customer.name and c["需求确认"].cards[0].owner.name


def test_won_and_lost_cards_show_the_latest_closed_first_and_are_capped(org, st):
    t = org.tenant
    now = timezone.now()
    month_start = datetime.datetime.combine(t.today().replace(day=1), datetime.time.min, tzinfo=t.zone)
    ages = [datetime.timedelta(minutes=m) for m in (1, 5, 3, 2, 4)]
    made = [opportunity(t, org["sales1"], st["赢单"], title=f"赢{i}", closed_at=max(now - age, month_start),
                        close_date=day("2026-01-01") + datetime.timedelta(days=i))
            for i, age in enumerate(ages)]
    opportunity(t, org["sales1"], st["输单"], title="输", closed_at=now)
    columns = columns_by_name(board(actor=org.actor("boss"), cards_per_column=3))
    won = columns["赢单"]
    newest = sorted(made, key=lambda o: (o.closed_at, o.pk), reverse=True)[:3]
    assert won.count == 5 and won.more
    assert [c.pk for c in won.cards] == [o.pk for o in newest]
    assert [c.title for c in columns["输单"].cards] == ["输"]
    # Open columns keep the soonest expected close date first.
    opportunity(t, org["sales1"], st["初步接洽"], title="晚", close_date=day("2027-03-01"))
    opportunity(t, org["sales1"], st["初步接洽"], title="无日期")
    opportunity(t, org["sales1"], st["初步接洽"], title="早", close_date=day("2027-01-01"))
    cards = columns_by_name(board(actor=org.actor("boss")))["初步接洽"].cards
    assert [c.title for c in cards] == ["早", "晚", "无日期"]


def test_every_status_column_keeps_the_soonest_cards_across_statuses(org, st):
    t = org.tenant
    for i, status in enumerate(["tracking", "on_hold", "invalid", "tracking", "on_hold", "invalid", "won"]):
        stage = st["赢单"] if status == "won" else st["方案报价"]
        opportunity(t, org["sales1"], stage, title=f"{status}{i}", status=status,
                    close_date=day("2027-01-01") + datetime.timedelta(days=6 - i))
    column = columns_by_name(board(actor=org.actor("boss"), filters=BoardFilters(status="all"),
                                   cards_per_column=4))["方案报价"]
    assert column.count == 6 and column.more
    assert [c.title for c in column.cards] == ["invalid5", "on_hold4", "tracking3", "invalid2"]


def test_page_query_count_does_not_grow_with_the_data(org, st, client, django_assert_max_num_queries):
    t = org.tenant
    client.force_login(org["manager1"])
    for i in range(3):
        opportunity(t, org["sales1"], st["初步接洽"], amount="1")
    client.get("/opportunities/board/")
    with django_assert_max_num_queries(14) as few:
        assert client.get("/opportunities/board/").status_code == 200
    for name in ("需求确认", "方案报价", "商务谈判", "赢单", "输单"):
        for i in range(4):
            opportunity(t, org["sales2"], st[name], amount="1")
    with django_assert_max_num_queries(len(few)):
        response = client.get("/opportunities/board/")
    html = response.content.decode()
    assert html.count('id="board-card-') == 3 + 5 * 4
    assert f'id="board-head-{st["初步接洽"].pk}"' in html


def test_overdue_close_date_is_marked(org, st, client):
    opportunity(org.tenant, org["sales1"], st["需求确认"], title="过期的", close_date=org.tenant.today() - datetime.timedelta(days=1))
    client.force_login(org["sales1"])
    html = client.get("/opportunities/board/").content.decode()
    assert "zl-board-card zl-overdue" in html and "已过预计成交日期" in html


def test_a_won_card_says_the_day_it_was_won_in_the_tenants_zone(org, st, client):
    today = org.tenant.today()
    # 00:10 in Shanghai is the previous day in UTC: the card must still say today.
    won_at = datetime.datetime.combine(today, datetime.time(0, 10), tzinfo=org.tenant.zone)
    opportunity(org.tenant, org["sales1"], st["赢单"], title="刚赢的", closed_at=won_at,
                close_date=today + datetime.timedelta(days=20))
    client.force_login(org["sales1"])
    html = client.get("/opportunities/board/").content.decode()
    card = html[html.index("刚赢的"):]
    card = card[:card.index("</article>")]
    assert f'title="赢单日期">{today.isoformat()}' in card
    assert (today + datetime.timedelta(days=20)).isoformat() not in card and "zl-overdue" not in card


# ---- the drop ---------------------------------------------------------------------------------------------


def move(client, opp, stage, query="", **extra):
    return client.post(f"/opportunities/board/{opp.pk}/move/{query}", {"stage_id": stage.pk, **extra},
                       HTTP_HX_REQUEST="true")


def test_move_updates_stage_probability_history_and_answers_every_header(org, st, client):
    opp = opportunity(org.tenant, org["sales1"], st["初步接洽"], amount="1000")
    opportunity(org.tenant, org["sales1"], st["需求确认"], amount="500")
    client.force_login(org["sales1"])
    response = move(client, opp, st["需求确认"], "?owner=me")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('hx-swap-oob="true"') == len(st) + 1  # every header and the card
    assert f'id="board-head-{st["需求确认"].pk}"' in html and "1,500.00" in html and "450.00" in html
    opp.refresh_from_db()
    assert (opp.stage_id, opp.probability) == (st["需求确认"].pk, 30)
    assert StageChange.objects.filter(opportunity=opp, to_stage=st["需求确认"]).exists()


def test_move_to_lost_needs_a_reason(org, st, client):
    opp = opportunity(org.tenant, org["sales1"], st["方案报价"], amount="1000")
    client.force_login(org["sales1"])
    response = move(client, opp, st["输单"])
    assert response.status_code == 422 and "输单原因" in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage_id == st["方案报价"].pk
    assert move(client, opp, st["输单"], note="客户预算取消").status_code == 200
    opp.refresh_from_db()
    assert (opp.stage.kind, opp.status, opp.probability) == (StageKind.LOST, "lost", 0)


def snapshot(opp):
    opp.refresh_from_db()
    return (opp.stage_id, opp.probability, opp.status, StageChange.objects.filter(opportunity=opp).count())


def test_move_refused_without_the_edit_right(org, st, client):
    from zhuli.access.services import permission_matrix_save

    opp = opportunity(org.tenant, org["sales1"], st["初步接洽"])
    permission_matrix_save(actor=org.actor("admin"), role="sales", grants={"opportunities": ("own", ["view"])})
    before = snapshot(opp)
    client.force_login(org["sales1"])
    response = move(client, opp, st["需求确认"])
    assert response.status_code == 403
    assert snapshot(opp) == before


def test_move_of_a_colleagues_card_is_404(org, st, client):
    opp = opportunity(org.tenant, org["sales4"], st["初步接洽"])
    before = snapshot(opp)
    client.force_login(org["sales1"])
    assert move(client, opp, st["需求确认"]).status_code == 404
    assert snapshot(opp) == before


def test_move_to_another_tenants_stage_is_refused(org, other_org, st, client):
    other = stages(other_org.tenant)
    opp = opportunity(org.tenant, org["sales1"], st["初步接洽"])
    before = snapshot(opp)
    client.force_login(org["sales1"])
    response = move(client, opp, other["需求确认"])
    assert response.status_code == 422 and "阶段" in response.content.decode()
    assert snapshot(opp) == before
    with tenant_context(other_org.tenant):
        assert not Opportunity.objects.exists()


def test_move_is_post_only(org, st, client):
    opp = opportunity(org.tenant, org["sales1"], st["初步接洽"])
    client.force_login(org["sales1"])
    assert client.get(f"/opportunities/board/{opp.pk}/move/").status_code == 405


@pytest.mark.parametrize("name", ["<img src=x onerror=alert(1)>机会", '"><svg onload=alert(2)>'])
def test_hostile_titles_and_names_are_escaped(org, st, client, name):
    from zhuli.customers.tests.factories import CustomerFactory

    customer = CustomerFactory(tenant=org.tenant, owner=org["sales1"], name=f"{name}公司")
    opportunity(org.tenant, org["sales1"], st["初步接洽"], title=name, customer=customer)
    client.force_login(org["sales1"])
    html = client.get("/opportunities/board/").content.decode()
    assert "<img src=x" not in html and "<svg onload" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html or "&quot;&gt;&lt;svg onload=alert(2)&gt;" in html


# ---- the API -------------------------------------------------------------------------------------------


def test_board_api_gives_the_pages_numbers(org, st):
    from zhuli.api.testing import ApiClient

    opp = opportunity(org.tenant, org["sales1"], st["需求确认"], amount="1234.5", close_date=day("2026-12-10"))
    opportunity(org.tenant, org["sales4"], st["需求确认"], amount="1000")
    body = ApiClient(org["sales1"]).get("/opportunities/board").json()
    column = next(c for c in body["columns"] if c["stage"]["name"] == "需求确认")
    assert (column["count"], column["amount"], column["weighted_amount"]) == (1, "1234.50", "370.35")
    assert column["cards"][0]["id"] == opp.pk and column["cards"][0]["amount"] == "1234.50"
    assert column["cards"][0]["owner"] == {"id": org["sales1"].pk, "name": org["sales1"].name}
    boss = ApiClient(org["boss"]).get("/opportunities/board", cards=0).json()
    column = next(c for c in boss["columns"] if c["stage"]["name"] == "需求确认")
    assert column["count"] == 2 and column["cards"] == []


def test_board_api_says_when_cards_closed_and_leaves_an_open_period_end_null(org, st):
    from zhuli.api.testing import ApiClient

    today = org.tenant.today()
    won_at = datetime.datetime.combine(today, datetime.time(0, 10), tzinfo=org.tenant.zone)
    opportunity(org.tenant, org["sales1"], st["赢单"], closed_at=won_at, close_date=today + datetime.timedelta(days=9))
    body = ApiClient(org["sales1"]).get("/opportunities/board").json()
    card = next(c for c in body["columns"] if c["kind"] == "won")["cards"][0]
    assert card["closed_on"] == today.isoformat()
    assert card["close_date"] == (today + datetime.timedelta(days=9)).isoformat() and not card["overdue"]
    assert next(c for c in body["columns"] if c["stage"]["name"] == "需求确认")["cards"] == []
    one_sided = ApiClient(org["sales1"]).get("/opportunities/board", date_from="2026-01-01").json()
    assert (one_sided["closed_from"], one_sided["closed_to"]) == ("2026-01-01", None)
    # An empty status is the default, as on the page.
    assert ApiClient(org["sales1"]).get("/opportunities/board", status="").status_code == 200


def test_the_page_swaps_a_backwards_date_range(org, st, client):
    opportunity(org.tenant, org["sales1"], st["需求确认"], title="十二月的", close_date=day("2026-12-10"))
    client.force_login(org["sales1"])
    html = client.get("/opportunities/board/", {"date_from": "2026-12-31", "date_to": "2026-12-01"}).content.decode()
    assert "十二月的" in html and 'value="2026-12-01"' in html


@pytest.mark.parametrize("params", [{"status": "won"}, {"cards": "101"}, {"owner": "x"}, {"date_from": "2026-02-30"},
                                    {"date_from": "2026-12-02", "date_to": "2026-12-01"}])
def test_board_api_bad_input_is_422(org, st, params):
    from zhuli.api.testing import ApiClient

    assert ApiClient(org["boss"]).get("/opportunities/board", **params).status_code == 422


@pytest.mark.parametrize("value", ["abc", "", "99999999999999999999", "-1"])
def test_move_with_a_bad_stage_is_422_and_changes_nothing(org, st, client, value):
    opp = opportunity(org.tenant, org["sales1"], st["初步接洽"])
    before = snapshot(opp)
    client.force_login(org["sales1"])
    response = client.post(f"/opportunities/board/{opp.pk}/move/", {"stage_id": value}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "阶段" in response.content.decode()
    assert snapshot(opp) == before


def test_a_closed_columns_list_link_shows_what_the_column_counts(org, st, client):
    from zhuli.sales.board_views import _list_url

    t = org.tenant
    opportunity(t, org["sales1"], st["赢单"], amount="5000")  # this month
    opportunity(t, org["sales1"], st["赢单"], amount="7000", closed_at=timezone.now() - datetime.timedelta(days=70))
    boss = org.actor("boss")
    assert columns_by_name(board(actor=boss))["赢单"].count == 1
    link = _list_url(boss, BoardFilters(), st["赢单"])
    assert "status=won" in link and "closed_from=" in link and "closed_to=" in link
    client.force_login(org["boss"])
    assert "共 1 个机会" in client.get(link).content.decode()
    api = client.get("/api/v1/opportunities", {"status": "won", "closed_from": "1900-01-01"}).json()
    assert api["count"] == 2
