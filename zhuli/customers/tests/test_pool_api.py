"""The pool over the API: claim / release / assign, /pools, owner=none&pool=, create into a pool; refusals
answer 404 / 409 / 422 with a message and change nothing."""
import pytest

from zhuli.api.testing import ApiClient
from zhuli.customers.models import Customer, OwnerChange
from zhuli.customers.services import customer_cap_set, pool_create, pool_default
from zhuli.customers.tests.factories import CustomerFactory
from zhuli.customers.tests.pool_helpers import in_pool, owned
from zhuli.tenancy.context import tenant_context


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client




def state():
    return (list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "pool_id")), OwnerChange.objects.count())


def test_claim_release_assign_round_trip(org, api):
    customer = in_pool(org)
    pool = pool_default()
    response = api("sales1").post(f"/customers/{customer.pk}/claim")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["owner"]["id"] == org["sales1"].pk and body["pool"] == {"id": pool.pk, "name": pool.name}
    assert body["owned_since"] and body["pooled_at"] is None

    before = state()
    response = api("sales1").post(f"/customers/{customer.pk}/release", {"reason": ""})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    assert state() == before
    response = api("sales1").post(f"/customers/{customer.pk}/release", {"reason": "暂无需求"})
    assert response.status_code == 200
    assert response.json()["owner"] is None and response.json()["pooled_at"]

    response = api("manager1").post(f"/customers/{customer.pk}/assign", {"owner_id": org["sales2"].pk})
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == org["sales2"].pk
    kinds = api("manager1").get(f"/customers/{customer.pk}/owner-changes").json()["items"]
    assert [k["kind"] for k in kinds] == ["assign", "release", "claim"]
    assert kinds[1]["reason"] == "暂无需求"


def test_refusals_are_clear_and_change_nothing(org, other_org, api):
    mine = owned(org, "sales1", "一号的客户")
    free = in_pool(org, "公海里的公司")
    api("sales2").post(f"/customers/{free.pk}/claim")
    before = state()
    # claiming an owned customer: 409 naming who has it (for those who see it), 404 for those who do not
    response = api("boss").post(f"/customers/{free.pk}/claim")
    assert response.status_code == 409 and org["sales2"].name in response.json()["detail"]
    assert api("sales1").post(f"/customers/{free.pk}/claim").status_code == 404
    # releasing someone else's customer: 404 when invisible, 403 when visible without the right
    assert api("sales2").post(f"/customers/{mine.pk}/release", {"reason": "x"}).status_code == 404
    response = api("assistant").post(f"/customers/{mine.pk}/release", {"reason": "x"})
    assert response.status_code == 403 and "转移权限" in response.json()["detail"]
    # unknown pool / another tenant's pool: 422 on pool_id
    with tenant_context(other_org.tenant):
        foreign = pool_default().pk
    for pool_id in (foreign, 99999999):
        response = api("sales1").post(f"/customers/{mine.pk}/release", {"reason": "x", "pool_id": pool_id})
        assert response.status_code == 422 and response.json()["errors"]["pool_id"] == ["公海不存在"]
    assert api("sales1").post(f"/customers/{mine.pk}/release", {"reason": "x", "pool_id": "abc"}).status_code == 422
    # assign: salespeople may not; owner of another tenant is a bad field; an owned customer is a 409
    assert api("sales1").post(f"/customers/{free.pk}/assign", {"owner_id": org["sales3"].pk}).status_code in (403, 404)
    response = api("manager1").post(f"/customers/{free.pk}/assign", {"owner_id": other_org["sales1"].pk})
    assert response.status_code in (409, 422)
    assert api("manager1").post(f"/customers/{free.pk}/assign", {"owner_id": "x"}).status_code == 422
    # other tenant's customer id: 404
    with tenant_context(other_org.tenant):
        theirs = in_pool(other_org, "乙方公海客户")
    assert api("sales1").post(f"/customers/{theirs.pk}/claim").status_code == 404
    assert state() == before


def test_cap_message_over_the_api(org, api):
    customer_cap_set(actor=org.actor("admin"), role="sales", limit=1)
    owned(org, "sales1", "已有的公司")
    free = in_pool(org)
    before = state()
    response = api("sales1").post(f"/customers/{free.pk}/claim")
    assert response.status_code == 409
    assert response.json()["detail"] == "您已有 1 个客户，已达上限 1，不能再领取"
    assert state() == before


def test_pools_endpoint_and_pool_filter(org, api):
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海", "warn_days": 5,
                                                          "department_ids": [org.department("销售二部").pk]})
    default = pool_default()
    in_pool(org, "默认公海客户")
    in_pool(org, "二部公海客户", pool=team2)
    owned(org, "sales4", "四号的客户")
    # Only the pools whose customers one sees: sales1 is no member of the 二部 pool; sales4 is.
    body = api("sales1").get("/pools").json()
    assert body["count"] == 1 and body["items"][0]["id"] == default.pk
    assert [p["id"] for p in api("manager1").get("/pools").json()["items"]] == [default.pk]
    body = api("sales4").get("/pools").json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["is_default"] and first["members"] == [] and first["rules"][0]["no_followup_days"] == 30
    assert body["items"][1]["members"] == [{"id": org.department("销售二部").pk, "name": "销售二部"}]
    assert [p["id"] for p in api("manager2").get("/pools").json()["items"]] == [default.pk, team2.pk]
    names = [r["name"] for r in api("sales1").get("/customers", owner="none").json()["items"]]
    assert names == ["默认公海客户"]
    rows = api("sales4").get("/customers", owner="none", pool=team2.pk).json()["items"]
    assert [(r["name"], r["pool"]["name"]) for r in rows] == [("二部公海客户", "二部公海")]
    assert api("sales4").get("/customers", owner="none", pool=default.pk).json()["count"] == 1
    assert api("sales1").get("/customers", pool="x").status_code == 422
    mine = api("sales4").get("/customers", owner="me").json()["items"][0]
    assert mine["pool"] is None


def test_create_into_a_pool(org, api):
    team = pool_create(actor=org.actor("admin"), data={"name": "新客公海"})
    response = api("manager1").post("/customers", {"kind": "enterprise", "name": "直接入海公司", "to_pool": True,
                                                   "pool_id": team.pk})
    assert response.status_code == 201
    assert response.json()["owner"] is None and response.json()["pool"]["id"] == team.pk
    before = state()
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "销售入海", "to_pool": True})
    assert response.status_code == 403
    response = api("manager1").post("/customers", {"kind": "enterprise", "name": "坏公海", "to_pool": True,
                                                   "pool_id": 99999999})
    assert response.status_code == 422 and "pool_id" in response.json()["errors"]
    # A pool manager1 neither belongs to nor oversees: the same answer as an unknown id.
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                          "department_ids": [org.department("销售二部").pk]})
    before = state()
    response = api("manager1").post("/customers", {"kind": "enterprise", "name": "二部入海", "to_pool": True,
                                                   "pool_id": team2.pk})
    assert response.status_code == 422 and response.json()["errors"]["pool_id"] == ["公海不存在"]
    response = api("manager1").post("/customers", {"kind": "enterprise", "name": "二部入海", "pool_id": team2.pk})
    assert response.status_code == 422 and response.json()["errors"]["pool_id"] == ["公海不存在"]
    assert state() == before


@pytest.mark.parametrize("rows", [3, 30])
def test_pool_list_queries_do_not_grow(org, api, rows, django_assert_max_num_queries):
    CustomerFactory.create_batch(rows, owner=None)
    client = api("sales1")
    client.get("/me")
    with django_assert_max_num_queries(9):
        body = client.get("/customers", owner="none", page_size=200).json()
    assert body["count"] == rows and all(r["pool"] for r in body["items"])
    with django_assert_max_num_queries(7):  # one more: the memberships that pick the pools one sees
        assert client.get("/pools").status_code == 200
