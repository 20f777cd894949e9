"""The forms' customer picker: options for a typed name, pinyin or phone, within the actor's scope only."""
from __future__ import annotations

from django.test import Client

from zhuli.customers.selectors import customer_choices
from zhuli.customers.services import customer_create


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_options_match_name_and_pinyin_within_scope(org):
    mine = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "杭州华为软件有限公司"}).customer
    theirs = customer_create(actor=org.actor("sales4"), data={"kind": "enterprise", "name": "华为杭州研究所"}).customer
    client = login(org["sales1"])
    html = client.get("/customers/options/", {"q": "华为"}).content.decode()
    assert f'value="{mine.pk}"' in html and f'value="{theirs.pk}"' not in html
    assert f'value="{mine.pk}"' in client.get("/customers/options/", {"q": "hzhw"}).content.decode()
    assert "没有找到" in client.get("/customers/options/", {"q": "不存在的公司"}).content.decode()
    assert f'value="{theirs.pk}"' in login(org["boss"]).get("/customers/options/", {"q": "华为"}).content.decode()


def test_a_customer_found_by_search_stays_chosen_when_the_form_comes_back(org):
    actor = org.actor("sales1")
    old = customer_create(actor=actor, data={"kind": "enterprise", "name": "很久以前的客户有限公司"}).customer
    theirs = customer_create(actor=org.actor("sales4"), data={"kind": "enterprise", "name": "别人的客户"}).customer
    choices = customer_choices(actor=actor, chosen=str(old.pk))
    assert choices[0] == (old.pk, old.name)
    assert (theirs.pk, theirs.name) not in customer_choices(actor=actor, chosen=str(theirs.pk))  # scope holds


def test_the_forms_carry_the_picker(org):
    html = login(org["sales1"]).get("/opportunities/new/").content.decode()
    assert 'data-zl-search-url="/customers/options/"' in html
    assert 'data-zl-search-url="/customers/options/"' in login(org["sales1"]).get("/contracts/new/").content.decode()
