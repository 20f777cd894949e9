"""The kanban board in a real browser: a salesperson drags a card to the next stage and both column sums
change (and stay changed after a reload); a drop on 输单 asks for the reason and a cancel puts the card back.
Screenshots of the board and the funnel at 1280 px and 375 px go to /tmp/shots/."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_org
from zhuli.sales.models import Opportunity
from zhuli.sales.tests.board_data import opportunity, stages
from zhuli.tenancy.context import tenant_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SHOTS = Path("/tmp/shots")
PHONE = {"width": 375, "height": 812}


def login(page: Page, email: str) -> None:
    page.goto("/login/")
    page.get_by_label("邮箱或手机号").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/$"))


def drag(page: Page, source, target) -> None:
    """Mouse down on the card, move in steps onto the column, release (SortableJS's pointer fallback)."""
    box, goal = source.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 20, steps=4)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 30, steps=15)
    page.mouse.up()


@pytest.fixture
def pipeline(live_server):
    org = make_org("e2e-board")
    t = org.tenant
    st = stages(t)
    today = t.today()
    with tenant_context(t):
        first = opportunity(t, org["sales1"], st["初步接洽"], title="先签的单", amount="1000",
                            close_date=today + datetime.timedelta(days=5))
        opportunity(t, org["sales1"], st["初步接洽"], title="后签的单", amount="2500",
                    close_date=today + datetime.timedelta(days=20))
        opportunity(t, org["sales1"], st["需求确认"], title="已确认的单", amount="500",
                    close_date=today + datetime.timedelta(days=9))
    return org, st, first


def head(page: Page, stage):
    return page.locator(f"#board-head-{stage.pk}")


def test_drag_a_card_to_the_next_stage_changes_both_sums(new_page, pipeline):
    org, st, first = pipeline
    page, shot = new_page()
    login(page, "sales1@e2e-board.test")
    page.goto("/opportunities/board/")
    expect(head(page, st["初步接洽"]).locator("[data-sum]")).to_have_text("3,500.00")
    expect(head(page, st["需求确认"]).locator("[data-sum]")).to_have_text("500.00")

    card = page.locator(f"#board-card-{first.pk}")
    drag(page, card, page.locator(f'.zl-board-cards[data-stage="{st["需求确认"].pk}"]'))
    expect(head(page, st["初步接洽"]).locator("[data-sum]")).to_have_text("2,500.00")
    expect(head(page, st["初步接洽"]).locator("[data-weighted]")).to_have_text("250.00")
    expect(head(page, st["初步接洽"]).locator("[data-count]")).to_have_text("1")
    expect(head(page, st["需求确认"]).locator("[data-sum]")).to_have_text("1,500.00")
    expect(head(page, st["需求确认"]).locator("[data-weighted]")).to_have_text("450.00")
    expect(page.locator(f'.zl-board-cards[data-stage="{st["需求确认"].pk}"] #board-card-{first.pk}')).to_be_visible()
    with tenant_context(org.tenant):
        moved = Opportunity.objects.get(pk=first.pk)
        assert (moved.stage_id, moved.probability) == (st["需求确认"].pk, 30)

    page.reload()
    expect(head(page, st["需求确认"]).locator("[data-sum]")).to_have_text("1,500.00")
    expect(page.locator(f'.zl-board-cards[data-stage="{st["需求确认"].pk}"] #board-card-{first.pk}')).to_be_visible()

    # 输单 asks why; cancelling puts the card back and changes nothing.
    drag(page, page.locator(f"#board-card-{first.pk}"), page.locator(f'.zl-board-cards[data-stage="{st["输单"].pk}"]'))
    dialog = page.locator("#lose-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("输单原因")).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f'.zl-board-cards[data-stage="{st["需求确认"].pk}"] #board-card-{first.pk}')).to_be_visible()
    with tenant_context(org.tenant):
        assert Opportunity.objects.get(pk=first.pk).status == "tracking"

    # Confirming without a reason is refused in the dialog; with one the card is lost and the headers follow.
    drag(page, page.locator(f"#board-card-{first.pk}"), page.locator(f'.zl-board-cards[data-stage="{st["输单"].pk}"]'))
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确认输单").click()
    expect(page.locator("#lose-error")).to_be_visible()
    dialog.get_by_label("输单原因").select_option(label="价格太高")
    dialog.get_by_role("button", name="确认输单").click()
    expect(head(page, st["输单"]).locator("[data-count]")).to_have_text("1")
    expect(head(page, st["需求确认"]).locator("[data-sum]")).to_have_text("500.00")
    with tenant_context(org.tenant):
        lost = Opportunity.objects.select_related("lost_reason").get(pk=first.pk)
        assert (lost.status, lost.probability, lost.lost_reason.name) == ("lost", 0, "价格太高")


def test_screenshots_of_the_board_and_the_funnel(new_page, pipeline):
    org, st, first = pipeline
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("1280", None), ("375", PHONE)):
        page, _shot = new_page(viewport)
        login(page, "sales1@e2e-board.test")
        page.goto("/opportunities/board/")
        expect(page.locator(f"#board-card-{first.pk}")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"board-{name}.png"), full_page=True)
        page.goto("/analytics/funnel/?preset=quarter")
        expect(page.locator("[data-zl-funnel-table]")).to_be_visible()
        page.wait_for_timeout(700)  # the funnel's entry animation
        page.screenshot(path=str(SHOTS / f"funnel-{name}.png"), full_page=True)


def test_dragging_a_won_card_elsewhere_asks_first(new_page, pipeline):
    from zhuli.sales.services import opportunity_win

    org, st, first = pipeline
    with tenant_context(org.tenant):
        opportunity_win(actor=org.actor("sales1"), opportunity_id=first.pk)
    page, _shot = new_page()
    login(page, "sales1@e2e-board.test")
    page.goto("/opportunities/board/")
    won_cards = f'.zl-board-cards[data-stage="{st["赢单"].pk}"]'
    target = page.locator(f'.zl-board-cards[data-stage="{st["需求确认"].pk}"]')
    card = page.locator(f"#board-card-{first.pk}")
    card.scroll_into_view_if_needed()  # 赢单 is past the right edge at 1280 px
    drag(page, card, target)
    dialog = page.locator("#unwin-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"{won_cards} #board-card-{first.pk}")).to_be_visible()
    with tenant_context(org.tenant):
        assert Opportunity.objects.get(pk=first.pk).status == "won"
    card.scroll_into_view_if_needed()
    drag(page, card, target)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确认移出赢单").click()
    # Sortable's auto-scroll may land it on a neighbouring open column: any open stage reopens it.
    expect(head(page, st["赢单"]).locator("[data-count]")).to_have_text("0")
    with tenant_context(org.tenant):
        reopened = Opportunity.objects.select_related("customer", "stage").get(pk=first.pk)
        assert (reopened.status, reopened.stage.kind) == ("tracking", "open")
        assert reopened.customer.last_won_at is None


def test_on_a_phone_holding_a_card_at_the_edge_scrolls_the_board(new_page, pipeline):
    """At 375 px only one column shows: a card held near the right edge scrolls the board to the next ones."""
    org, st, first = pipeline
    page, _shot = new_page(PHONE)
    login(page, "sales1@e2e-board.test")
    page.goto("/opportunities/board/")
    card = page.locator(f"#board-card-{first.pk}")
    expect(card).to_be_visible()
    board = page.locator("#board")
    assert board.evaluate("el => el.scrollLeft") == 0
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 20, steps=4)
    page.mouse.move(PHONE["width"] - 8, box["y"] + 40, steps=10)
    page.wait_for_timeout(900)
    scrolled = board.evaluate("el => el.scrollLeft")
    page.mouse.up()
    assert scrolled > 100, scrolled
