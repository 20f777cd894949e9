"""The tracking-style switch (功能设置): menus, workbench and customer view follow it; data and URLs stay."""
import pytest

from zhuli.customers.tests.factories import CustomerFactory
from zhuli.sales.models import Opportunity
from zhuli.sales.tests.board_data import opportunity, stages
from zhuli.tenancy.models import Tenant

OPPORTUNITY_MENUS = ("/opportunities/", "/opportunities/board/", "/analytics/funnel/")


def set_style(org, client, style):
    client.force_login(org["admin"])
    response = client.post("/settings/features/", {"tracking_style": style})
    assert response.status_code == 302
    org.tenant.refresh_from_db()
    assert org.tenant.feature("tracking_style") == style


def menu_links(html: str) -> set[str]:
    nav = html[html.index("<nav"):html.index("</nav>")]
    return {u for u in OPPORTUNITY_MENUS if f'href="{u}"' in nav}


@pytest.fixture
def data(org):
    st = stages(org.tenant)
    customer = CustomerFactory(tenant=org.tenant, owner=org["sales1"], name="风格测试客户有限公司")
    opportunity(org.tenant, org["sales1"], st["需求确认"], title="风格测试机会", customer=customer,
                close_date=org.tenant.today())
    return customer


@pytest.mark.parametrize("style, shown", [("customer", False), ("opportunity", True), ("both", True)])
def test_each_style_shows_or_hides_the_opportunity_screens(org, client, data, style, shown):
    set_style(org, client, style)
    client.force_login(org["sales1"])
    home = client.get("/").content.decode()
    assert menu_links(home) == (set(OPPORTUNITY_MENUS) if shown else set())
    assert ('id="card-opportunities.closing"' in home) is shown
    assert ('id="card-opportunities.stale"' in home) is shown
    leads = 'data-zl-lead-card' in home
    assert leads is (style == "opportunity")
    if leads:  # opportunity-style: the opportunity cards come before the todos
        assert home.index('id="card-opportunities.closing"') < home.index('id="todos-title"')
    detail = client.get(f"/customers/{data.pk}/").content.decode()
    assert ("风格测试机会" in detail) is shown
    # The data and the URLs stay whatever the style.
    for url in OPPORTUNITY_MENUS:
        assert client.get(url).status_code == 200
    assert Opportunity.objects.count() == 1


def test_only_the_admin_may_switch_and_a_bad_value_changes_nothing(org, client):
    client.force_login(org["boss"])
    assert client.post("/settings/features/", {"tracking_style": "customer"}).status_code == 403
    client.force_login(org["admin"])
    response = client.post("/settings/features/", {"tracking_style": "nonsense"}, follow=True)
    assert "请选择跟踪方式" in response.content.decode()
    assert Tenant.objects.get(pk=org.tenant.pk).feature("tracking_style") == "both"


def test_the_page_shows_the_three_choices(org, client):
    client.force_login(org["admin"])
    html = client.get("/settings/features/").content.decode()
    assert html.count('name="tracking_style"') == 3 and 'value="both" checked' in html
