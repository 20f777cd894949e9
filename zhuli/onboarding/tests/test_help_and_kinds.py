"""Help pages render for everyone and are linked from the layout; customer_kinds honoured by form and API."""
from __future__ import annotations

import pytest
from django.test import Client

from zhuli.api.testing import ApiClient
from zhuli.core.errors import InvalidInput
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.onboarding.help import HELP_PAGES
from zhuli.tenancy.services import tenant_features_set

pytestmark = pytest.mark.django_db

MODULES = ("工作台", "客户与联系人", "公海", "跟进记录", "销售机会与看板", "合同与订单", "回款与发票", "产品", "导入导出",
           "设置与权限", "数据范围")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_module_has_a_help_page(org):
    assert [str(p.title) for p in HELP_PAGES] == list(MODULES)
    client = logged_in(org["sales1"])
    index = client.get("/help/").content.decode()
    for page in HELP_PAGES:
        assert f"/help/{page.slug}/" in index
        html = client.get(f"/help/{page.slug}/").content.decode()
        assert f'data-zl-help="{page.slug}"' in html and html.count("<h2>") >= 2, page.slug
    assert client.get("/help/nope/").status_code == 404


def test_the_layout_links_help_and_norms(org):
    html = logged_in(org["sales1"]).get("/customers/").content.decode()
    assert 'href="/help/"' in html and 'href="/norms/"' in html and 'href="/getting-started/"' not in html
    assert 'href="/getting-started/"' in logged_in(org["boss"]).get("/customers/").content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    assert client.get("/help/")["Location"].startswith("/login/")


def use_only(org, kinds: str):
    tenant_features_set(actor=org.actor("admin"), data={"customer_kinds": kinds})
    org.tenant.refresh_from_db()
    for user in org.values():
        user.tenant = org.tenant


def test_one_kind_skips_the_choice_and_hides_the_switch(org):
    use_only(org, "enterprise")
    client = logged_in(org["sales1"])
    page = client.get("/customers/new/")
    assert page.status_code == 200 and page.context["kind"] == "enterprise"
    assert "改为个人客户" not in page.content.decode()
    # The other kind, asked for by URL, falls back to the one in use.
    assert client.get("/customers/new/?kind=individual").context["kind"] == "enterprise"


def test_both_kinds_offer_the_choice(org):
    page = logged_in(org["sales1"]).get("/customers/new/").content.decode()
    assert "?kind=enterprise" in page and "?kind=individual" in page


def test_the_api_refuses_a_kind_not_in_use(org):
    use_only(org, "individual")
    api = ApiClient(org["sales1"])
    response = api.post("/customers", {"kind": "enterprise", "name": "某某有限公司"})
    assert response.status_code == 422, response.content
    assert "未启用企业客户" in response.json()["errors"]["kind"][0]
    assert not Customer.objects.exists()
    assert api.post("/customers", {"kind": "individual", "name": "王德生"}).status_code == 201


def test_existing_customers_of_the_other_kind_stay_editable(org):
    old = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "老客户有限公司"}).customer
    use_only(org, "individual")
    from zhuli.customers.services import customer_update

    customer_update(actor=org.actor("sales1"), customer_id=old.pk, data={"phone": "0571-1234"})
    with pytest.raises(InvalidInput) as exc:
        customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "新客户有限公司"})
    assert "kind" in exc.value.errors
