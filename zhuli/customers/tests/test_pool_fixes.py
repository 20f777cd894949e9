"""Defects found in testing the pool: sending customers into a pool one does not see, the customer cap on every
path that gives someone a customer, the neutral wording of a claim of an assigned customer, deleting a pool that
once held customers. Every refusal is checked to change nothing."""
from __future__ import annotations

import pytest

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, InvalidInput
from zhuli.customers.models import Customer, OwnerChange, Pool
from zhuli.customers.selectors import pool_settings_list, pools_usable
from zhuli.customers.services import (
    customer_assign,
    customer_cap_set,
    customer_claim,
    customer_create,
    customer_release,
    pool_create,
    pool_default,
)
from zhuli.customers.tests.pool_helpers import in_pool, owned


def snapshot():
    return (list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "pool_id", "pooled_at")),
            OwnerChange.objects.count(), AuditEvent.objects.count(), Pool.objects.count())


@pytest.fixture
def team2(org):
    return pool_create(actor=org.actor("admin"), data={"name": "销售二部公海",
                                                         "department_ids": [org.department("销售二部").pk]})


# ---- 1. only pools the actor sees --------------------------------------------------------------------------

def test_pools_usable_are_members_and_overseers(org, team2):
    from zhuli.access.actor import Actor

    default = pool_default()
    assert set(pools_usable(org.actor("sales1")).values_list("pk", flat=True)) == {default.pk}
    assert set(pools_usable(org.actor("manager1")).values_list("pk", flat=True)) == {default.pk}
    assert set(pools_usable(org.actor("sales4")).values_list("pk", flat=True)) == {default.pk, team2.pk}
    assert set(pools_usable(org.actor("manager2")).values_list("pk", flat=True)) == {default.pk, team2.pk}
    assert set(pools_usable(Actor.system_for(org.tenant)).values_list("pk", flat=True)) == {default.pk, team2.pk}
    # Settings (company admins) list every pool.
    assert [p.pk for p in pool_settings_list(actor=org.actor("admin"))] == [default.pk, team2.pk]


def test_release_only_into_a_pool_one_sees(org, team2):
    customer = owned(org, "sales1", "一部的公司")
    before = snapshot()
    for key in ("sales1", "manager1"):
        with pytest.raises(InvalidInput) as exc:
            customer_release(actor=org.actor(key), customer_ids=[customer.pk], reason="r", pool_id=team2.pk)
        assert exc.value.errors == {"pool_id": ["公海不存在"]}
    assert snapshot() == before
    customer_release(actor=org.actor("sales1"), customer_ids=[customer.pk], reason="r")
    customer.refresh_from_db()
    assert customer.pool == pool_default() and customer.owner is None


def test_create_only_into_a_pool_one_sees(org, team2):
    before = snapshot()
    for data in ({"to_pool": True, "pool_id": team2.pk}, {"pool_id": team2.pk}):
        with pytest.raises(InvalidInput) as exc:
            customer_create(actor=org.actor("manager1"), data={"kind": "enterprise", "name": "二部公司", **data})
        assert exc.value.errors == {"pool_id": ["公海不存在"]}
    assert snapshot() == before
    created = customer_create(actor=org.actor("manager2"), data={"kind": "enterprise", "name": "二部公司",
                                                                 "to_pool": True, "pool_id": team2.pk}).customer
    assert created.pool == team2 and created.owner is None


def test_release_page_offers_only_visible_pools(client, org, team2):
    customer = owned(org, "sales1", "一部的公司")
    second = pool_create(actor=org.actor("admin"), data={"name": "全员二号公海"})
    client.force_login(org["sales1"])
    from django.urls import reverse

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "全员二号公海" in page and "销售二部公海" not in page
    response = client.post(reverse("customers:release"), {"reason": "r", "pool_id": team2.pk,
                                                          "customer_ids": [customer.pk]})
    assert response.status_code < 500
    customer.refresh_from_db()
    assert customer.owner == org["sales1"]
    client.post(reverse("customers:release"), {"reason": "r", "pool_id": second.pk, "customer_ids": [customer.pk]})
    customer.refresh_from_db()
    assert customer.owner is None and customer.pool == second


# ---- 2. the customer cap on every path that gives someone a customer ------------------------------------

def test_create_within_the_owners_cap(org):
    customer_cap_set(actor=org.actor("admin"), role="sales", limit=2)
    owned(org, "sales1", "一号公司")
    owned(org, "sales1", "二号公司")
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        owned(org, "sales1", "三号公司")
    assert exc.value.message == "您已有 2 个客户，已达上限 2，不能再新建客户"
    # A manager creating for sales1: the assign wording, naming how many more fit.
    with pytest.raises(Conflict) as exc:
        customer_create(actor=org.actor("manager1"), data={"kind": "enterprise", "name": "三号公司"},
                        owner=org["sales1"])
    assert exc.value.message == f"{org['sales1'].display_name} 已有 2 个客户，上限 2，最多还能分配 0 个"
    assert snapshot() == before
    # Into the pool needs no cap, nor does a colleague below theirs.
    in_pool(org, "公海里的三号公司")
    assert owned(org, "sales2", "二号的公司").owner == org["sales2"]


def test_create_past_the_cap_on_the_web_and_api_says_why(client, org):
    from zhuli.api.testing import ApiClient

    customer_cap_set(actor=org.actor("admin"), role="sales", limit=0)
    client.force_login(org["sales1"])
    response = client.post("/customers/new/", {"kind": "enterprise", "name": "超上限公司"})
    assert response.status_code == 200
    assert "您已有 0 个客户，已达上限 0，不能再新建客户" in response.content.decode()
    response = ApiClient(org["sales1"]).post("/customers", {"kind": "enterprise", "name": "超上限公司"})
    assert response.status_code == 409 and response.json()["detail"] == "您已有 0 个客户，已达上限 0，不能再新建客户"
    assert not Customer.objects.exists()


def test_transfer_within_the_receivers_cap_all_or_nothing(org):
    from zhuli.customers.services import customer_transfer

    mine = [owned(org, "sales2", f"二号的公司{i}") for i in range(3)]
    owned(org, "sales1", "一号公司")
    customer_cap_set(actor=org.actor("admin"), user_id=org["sales1"].pk, limit=3)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        customer_transfer(actor=org.actor("manager1"), customer_ids=[c.pk for c in mine], to_user_id=org["sales1"].pk)
    assert exc.value.message == f"{org['sales1'].display_name} 已有 1 个客户，上限 3，最多还能转入 2 个"
    assert snapshot() == before
    assert customer_transfer(actor=org.actor("manager1"), customer_ids=[c.pk for c in mine[:2]],
                             to_user_id=org["sales1"].pk) == 2
    # Customers the receiver already owns are not counted.
    assert customer_transfer(actor=org.actor("manager1"), customer_ids=[c.pk for c in mine[:2]],
                             to_user_id=org["sales1"].pk) == 0


def test_departed_hand_over_by_an_admin_may_exceed_the_cap(org):
    from zhuli.customers.services import customers_transfer_all

    for i in range(3):
        owned(org, "sales2", f"二号的公司{i}")
    customer_cap_set(actor=org.actor("admin"), user_id=org["sales1"].pk, limit=1)
    assert customers_transfer_all(actor=org.actor("admin"), from_user=org["sales2"], to_user=org["sales1"]) == 3
    assert Customer.objects.filter(owner=org["sales1"]).count() == 3


def test_departed_hand_over_by_a_manager_keeps_the_cap(org):
    from zhuli.customers.services import customers_transfer_all

    for i in range(3):
        owned(org, "sales2", f"二号的公司{i}")
    customer_cap_set(actor=org.actor("admin"), user_id=org["sales1"].pk, limit=1)
    before = snapshot()
    with pytest.raises(Conflict, match="最多还能转入 1 个"):
        customers_transfer_all(actor=org.actor("manager1"), from_user=org["sales2"], to_user=org["sales1"])
    assert snapshot() == before


# ---- 4. the claim of an assigned customer ------------------------------------------------------------------

def test_claiming_an_assigned_customer_names_the_owner_neutrally(org):
    customer = in_pool(org)
    customer_assign(actor=org.actor("manager1"), customer_ids=[customer.pk], owner_id=org["sales2"].pk)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        customer_claim(actor=org.actor("manager1"), customer_id=customer.pk)
    assert exc.value.message == f"该客户已有负责人：{org['sales2'].name}"
    assert snapshot() == before


# ---- 5. deleting a pool that once held customers -----------------------------------------------------------

def test_a_pool_whose_customers_were_all_taken_can_be_deleted(org, team2):
    default = pool_default()
    claimed = in_pool(org, "被领走的公司", pool=team2)
    customer_claim(actor=org.actor("sales4"), customer_id=claimed.pk)
    waiting = in_pool(org, "还在公海的公司", pool=team2)
    other = owned(org, "sales1", "别处的公司")
    before = snapshot()
    from zhuli.customers.services import pool_delete

    with pytest.raises(Conflict) as exc:
        pool_delete(actor=org.actor("admin"), pool_id=team2.pk)
    assert exc.value.message == "公海“销售二部公海”中还有 1 个客户，请先领取、分配或移走后再删除"
    assert snapshot() == before
    customer_assign(actor=org.actor("manager2"), customer_ids=[waiting.pk], owner_id=org["sales5"].pk)
    pool_delete(actor=org.actor("admin"), pool_id=team2.pk)
    assert not Pool.objects.filter(pk=team2.pk).exists()
    # Their home pool is now the default one: releasing them sends them there.
    assert set(Customer.objects.values_list("name", "pool_id")) == {
        ("被领走的公司", default.pk), ("还在公海的公司", default.pk), ("别处的公司", other.pool_id)}
    event = AuditEvent.objects.get(action="pool.delete")
    assert event.changes == {"name": "销售二部公海", "customers_rehomed": 2, "to_pool": default.name}
    customer_release(actor=org.actor("sales4"), customer_ids=[claimed.pk], reason="不做了")
    claimed.refresh_from_db()
    assert claimed.pool == default and claimed.owner is None


def test_pool_delete_refusals_change_nothing(org, team2):
    from zhuli.core.errors import Forbidden
    from zhuli.customers.services import pool_delete

    default = pool_default()
    customer = in_pool(org, "被领走的公司", pool=team2)
    customer_claim(actor=org.actor("sales4"), customer_id=customer.pk)
    before = snapshot()
    with pytest.raises(Forbidden):
        pool_delete(actor=org.actor("manager2"), pool_id=team2.pk)
    with pytest.raises(Conflict, match="默认公海不能删除"):
        pool_delete(actor=org.actor("admin"), pool_id=default.pk)
    assert snapshot() == before
    customer.refresh_from_db()
    assert customer.pool == team2


# ---- 3. English: the claim button is an action, the owner log's kind a past event ------------------------------

def test_english_claim_button_and_owner_log_kind(client, org):
    import re

    from django.utils import translation

    user = org["sales1"]
    user.language = "en"
    user.save(update_fields=["language"])
    waiting = in_pool(org, "等待领取的公司")
    claimed = in_pool(org, "已领取的公司")
    customer_claim(actor=org.actor("sales1"), customer_id=claimed.pk)
    client.force_login(user)
    with translation.override("zh-hans"):  # the requests switch this thread to English: switch it back after
        pool_page = client.get("/customers/pool/").content.decode()
        detail = client.get(f"/customers/{waiting.pk}/").content.decode()
        history = client.get(f"/customers/{claimed.pk}/").content.decode()
    buttons = re.findall(r"data-zl-claim>(.*?)</button>", pool_page, re.S)
    assert buttons and all(b.strip().endswith("Claim") for b in buttons), buttons
    assert "Claimed" not in " ".join(buttons)
    assert re.search(r"data-zl-claim>[^<]*<i[^>]*></i> Claim</button>", detail)
    assert "Claimed" in history
