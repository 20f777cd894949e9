"""/api/v1/customers and /api/v1/contacts (DESIGN §5): shapes, validation, scope, 查重, pages, queries."""
import datetime

import pytest
from django.utils import timezone

from zhuli.api.testing import ApiClient
from zhuli.customers.models import Contact, Customer, OwnerChange
from zhuli.customers.services import contact_create, customer_create
from zhuli.customers.tests.factories import CustomerFactory
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.unscoped import for_tenant


def make(org, key, name, **data):
    return customer_create(actor=org.actor(key), data={"kind": "enterprise", "name": name, **data}).customer


def item(kind, name=None, tenant=None):
    qs = DictionaryItem.objects.filter(kind=kind) if tenant is None else for_tenant(DictionaryItem, tenant).filter(kind=kind)
    return qs.filter(name=name).get() if name else qs.first()


@pytest.fixture
def api(org):
    clients = {}

    def client(key):
        if key not in clients:
            clients[key] = ApiClient(org[key])
        return clients[key]

    return client


# ---- create / detail ----------------------------------------------------------------------------------


def test_create_needs_only_kind_and_name_and_returns_the_detail(org, api):
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "北京沃力森信息技术有限公司"})
    assert response.status_code == 201
    created = response.json()
    assert created["owner"] == {"id": org["sales1"].pk, "name": "王小明"}
    assert created["created_by"] == {"id": org["sales1"].pk, "name": "王小明"}
    assert created["department"] == {"id": org["sales1"].department_id, "name": "销售一部"}
    assert created["warnings"] == []
    assert created["kind"] == "enterprise" and created["lifecycle"] == "potential"
    assert created["created_at"].endswith("+08:00")
    detail = api("sales1").get(f"/customers/{created['id']}")
    assert detail.status_code == 200
    assert detail.json() == {k: v for k, v in created.items() if k != "warnings"}


def test_create_with_picklists_regions_and_individual_fields(org, api):
    source, level = item("source", "展会"), item("level")
    response = api("sales1").post("/customers", {
        "kind": "individual", "name": "王德生先生", "gender": "male", "mobile": "138-0000-1234",
        "email": "wang@example.com", "wechat": "wds", "birthday": "1980-02-29", "tags": ["老客户", "VIP"],
        "source_id": source.pk, "level_id": level.pk, "province_id": "44", "city_id": 4401,
        "district_id": "440106", "remarks": "第一行\n第二行",
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["source"] == {"id": source.pk, "name": "展会"}
    assert body["level"] == {"id": level.pk, "name": level.name}
    assert body["province"] == {"id": "44", "name": "广东省"}
    assert body["city"]["id"] == "4401" and body["district"]["id"] == "440106"
    assert body["birthday"] == "1980-02-29"
    assert body["tags"] == ["老客户", "VIP"]
    assert body["mobile"] == "138-0000-1234"  # stored as entered
    assert body["remarks"] == "第一行\n第二行"


@pytest.mark.parametrize("payload, field", [
    ({"kind": "robot", "name": "甲"}, "kind"),
    ({"name": "甲"}, "kind"),
    ({"kind": "enterprise"}, "name"),
    ({"kind": "enterprise", "name": ""}, "name"),
    ({"kind": "individual", "name": "甲", "email": "not-an-email"}, "email"),
    ({"kind": "individual", "name": "甲", "birthday": "1990-02-30"}, "birthday"),
    ({"kind": "individual", "name": "甲", "birthday": "yesterday"}, "birthday"),
    ({"kind": "individual", "name": "甲", "gender": "robot"}, "gender"),
    ({"kind": "enterprise", "name": "甲", "credit_code": "123"}, "credit_code"),
    ({"kind": "enterprise", "name": "甲", "phone": "call me"}, "phone"),
    ({"kind": "enterprise", "name": "甲", "province_id": "999999"}, "province_id"),
    ({"kind": "enterprise", "name": "甲", "province_id": "44", "city_id": "1101"}, "city_id"),
    ({"kind": "enterprise", "name": "甲", "source_id": "abc"}, "source_id"),
    ({"kind": "enterprise", "name": "甲" * 201}, "name"),
    ({"kind": "enterprise", "name": "甲", "allow_duplicate": "maybe"}, "allow_duplicate"),
])
def test_create_validation_names_the_field(org, api, payload, field):
    response = api("sales1").post("/customers", payload)
    assert response.status_code == 422, response.json()
    assert field in response.json()["errors"]
    assert not Customer.objects.exists()


def test_another_tenants_dictionary_id_is_a_bad_field(org, other_org, api):
    foreign = item("source", tenant=other_org.tenant)
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "甲", "source_id": foreign.pk})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"source_id"}
    wrong_kind = item("industry")
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "甲", "source_id": wrong_kind.pk})
    assert response.status_code == 422


def test_another_tenants_user_as_owner_is_refused(org, other_org, api):
    response = api("boss").post("/customers", {"kind": "enterprise", "name": "甲", "owner_id": other_org["sales1"].pk})
    assert response.status_code == 422
    assert "owner_id" in response.json()["errors"]
    assert not Customer.objects.exists()


def test_boss_may_create_for_a_colleague_or_the_pool_sales_may_not(org, api):
    for_colleague = api("boss").post("/customers", {"kind": "enterprise", "name": "甲", "owner_id": org["sales4"].pk})
    assert for_colleague.status_code == 201
    assert for_colleague.json()["owner"]["id"] == org["sales4"].pk
    pool = api("boss").post("/customers", {"kind": "enterprise", "name": "乙", "to_pool": True})
    assert pool.json()["owner"] is None
    refused = api("sales1").post("/customers", {"kind": "enterprise", "name": "丙", "owner_id": org["sales2"].pk})
    assert refused.status_code == 403


def test_manager_creating_for_someone_outside_their_scope_still_gets_the_detail(org, api):
    response = api("manager1").post("/customers", {"kind": "enterprise", "name": "甲", "owner_id": org["sales4"].pk})
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == {"id": org["sales4"].pk, "name": "杨静"}
    assert body["department"] == {"id": org["sales4"].department_id, "name": "销售二部"}
    assert api("manager1").get(f"/customers/{body['id']}").status_code == 404


def test_role_without_create_gets_403_and_nothing_changes(org, api):
    response = api("service").post("/customers", {"kind": "enterprise", "name": "客服建的"})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Customer.objects.exists()


def test_outside_scope_is_404_never_403(org, other_org, api):
    theirs = make(org, "sales4", "杨静的客户")
    with tenant_context(other_org.tenant):
        foreign = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "乙方"}).customer
    sales1 = api("sales1")
    for customer in (theirs, foreign):
        assert sales1.get(f"/customers/{customer.pk}").status_code == 404
        assert sales1.patch(f"/customers/{customer.pk}", {"name": "改名"}).status_code == 404
        assert sales1.delete(f"/customers/{customer.pk}").status_code == 404
        assert sales1.post(f"/customers/{customer.pk}/transfer", {"owner_id": org["sales1"].pk}).status_code == 404
        assert sales1.get(f"/customers/{customer.pk}/owner-changes").status_code == 404
    assert api("boss").get(f"/customers/{foreign.pk}").status_code == 404
    assert api("manager2").get(f"/customers/{theirs.pk}").status_code == 200
    theirs.refresh_from_db()
    assert theirs.name == "杨静的客户"


def test_delete_is_403_for_sales_and_204_for_the_manager(org, api):
    customer = make(org, "sales1", "要删除的")
    refused = api("sales1").delete(f"/customers/{customer.pk}")
    assert refused.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert api("manager1").delete(f"/customers/{customer.pk}").status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert api("manager1").get(f"/customers/{customer.pk}").status_code == 404


# ---- update ---------------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(org, api):
    customer = make(org, "sales1", "原名", phone="010-1234567", address="北京")
    response = api("sales1").patch(f"/customers/{customer.pk}", {"name": "新名", "tags": "甲,乙"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "新名" and body["phone"] == "010-1234567" and body["address"] == "北京"
    assert body["tags"] == ["甲", "乙"] and body["warnings"] == []
    cleared = api("sales1").patch(f"/customers/{customer.pk}", {"phone": None, "level_id": None})
    assert cleared.json()["phone"] == "" and cleared.json()["level"] is None


def test_patch_refuses_a_kind_change_and_bad_values(org, api):
    customer = make(org, "sales1", "甲")
    response = api("sales1").patch(f"/customers/{customer.pk}", {"kind": "individual"})
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    assert api("sales1").patch(f"/customers/{customer.pk}", {"name": ""}).status_code == 422
    assert api("service").patch(f"/customers/{customer.pk}", {"name": "客服改"}).status_code == 403
    customer.refresh_from_db()
    assert customer.name == "甲"


# ---- 查重 ---------------------------------------------------------------------------------------------------


def test_exact_duplicate_in_scope_is_409_with_the_id(org, api):
    mine = make(org, "sales1", "北京沃力森信息技术有限公司")
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "北京沃力森信息技术有限公司 "})
    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert body["existing"] == {"id": mine.pk, "name": "北京沃力森信息技术有限公司",
                                "owner": {"id": org["sales1"].pk, "name": "王小明"}}
    assert body["warnings"] == []


def test_duplicate_outside_scope_names_only_name_and_owner(org, api):
    make(org, "sales4", "深圳华强电子有限公司")
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "深圳华强电子有限公司"})
    assert response.status_code == 409
    existing = response.json()["existing"]
    assert existing == {"name": "深圳华强电子有限公司", "owner": {"id": org["sales4"].pk, "name": "杨静"}}
    assert "id" not in existing
    assert Customer.objects.count() == 1


def test_allow_duplicate_needs_a_role_that_may(org, api):
    make(org, "sales1", "重复公司")
    refused = api("sales1").post("/customers", {"kind": "enterprise", "name": "重复公司", "allow_duplicate": True})
    assert refused.status_code == 403
    accepted = api("manager1").post("/customers", {"kind": "enterprise", "name": "重复公司", "allow_duplicate": True})
    assert accepted.status_code == 201
    assert Customer.objects.filter(name="重复公司").count() == 2


def test_similar_customers_come_back_as_warnings(org, api):
    make(org, "sales4", "广州某某贸易有限公司", phone="020-88886666")
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": "广州另一家公司", "phone": "02088886666"})
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert warnings == [{"name": "广州某某贸易有限公司", "owner": {"id": org["sales4"].pk, "name": "杨静"}}]


def test_patch_into_a_duplicate_is_409(org, api):
    make(org, "sales1", "已有公司")
    other = make(org, "sales1", "另一家")
    response = api("sales1").patch(f"/customers/{other.pk}", {"name": "已有公司"})
    assert response.status_code == 409
    assert response.json()["existing"]["name"] == "已有公司"


def test_duplicates_endpoint_searches_the_whole_tenant(org, api):
    mine = make(org, "sales1", "上海甲公司")
    make(org, "sales4", "上海乙公司", website="https://www.yi.example.com/about")
    response = api("sales1").get("/customers/duplicates", name="上海甲公司", website="yi.example.com")
    assert response.status_code == 200
    body = response.json()
    assert body["blocking"] == [{"id": mine.pk, "name": "上海甲公司", "owner": {"id": org["sales1"].pk, "name": "王小明"}}]
    assert body["warnings"] == [{"name": "上海乙公司", "owner": {"id": org["sales4"].pk, "name": "杨静"}}]
    assert api("keeper").get("/customers/duplicates", name="上海甲公司").status_code == 403


# ---- transfer and owner log ------------------------------------------------------------------------------


def test_transfer_one_and_the_owner_log(org, api):
    customer = make(org, "sales1", "转移客户")
    response = api("manager1").post(f"/customers/{customer.pk}/transfer",
                                    {"owner_id": org["sales2"].pk, "reason": "调整区域"})
    assert response.status_code == 200
    assert response.json()["owner"] == {"id": org["sales2"].pk, "name": "陈晓红"}
    log = api("manager1").get(f"/customers/{customer.pk}/owner-changes")
    assert log.status_code == 200
    body = log.json()
    assert body["count"] == 1
    change = body["items"][0]
    assert change["from_owner"]["id"] == org["sales1"].pk and change["to_owner"]["id"] == org["sales2"].pk
    assert change["changed_by"]["id"] == org["manager1"].pk and change["reason"] == "调整区域"
    assert change["changed_at"].endswith("+08:00")


def test_transfer_out_of_ones_own_scope_still_answers_the_detail(org, api):
    customer = make(org, "sales1", "交给二部")
    response = api("manager1").post(f"/customers/{customer.pk}/transfer", {"owner_id": org["sales4"].pk})
    assert response.status_code == 200
    assert response.json()["owner"] == {"id": org["sales4"].pk, "name": "杨静"}
    assert response.json()["department"]["name"] == "销售二部"
    assert api("manager1").get(f"/customers/{customer.pk}").status_code == 404
    assert api("manager2").get(f"/customers/{customer.pk}").status_code == 200


def test_transfer_refusals(org, other_org, api):
    customer = make(org, "sales1", "甲")
    assert api("sales1").post(f"/customers/{customer.pk}/transfer", {"owner_id": org["sales2"].pk}).status_code == 403
    foreign_owner = api("manager1").post(f"/customers/{customer.pk}/transfer", {"owner_id": other_org["sales1"].pk})
    assert foreign_owner.status_code == 422 and "owner_id" in foreign_owner.json()["errors"]
    missing = api("manager1").post(f"/customers/{customer.pk}/transfer", {})
    assert missing.status_code == 422 and "owner_id" in missing.json()["errors"]
    customer.refresh_from_db()
    assert customer.owner_id == org["sales1"].pk
    assert not OwnerChange.objects.exists()


def test_bulk_transfer(org, api):
    a, b = make(org, "sales1", "甲"), make(org, "sales2", "乙")
    hidden = make(org, "sales4", "丙")
    response = api("manager1").post("/customers/transfer", {"customer_ids": [a.pk, b.pk, a.pk],
                                                            "owner_id": org["sales3"].pk})
    assert response.status_code == 200 and response.json() == {"moved": 2}
    refused = api("manager1").post("/customers/transfer", {"customer_ids": [a.pk, hidden.pk],
                                                           "owner_id": org["sales1"].pk})
    assert refused.status_code == 422 and "customer_ids" in refused.json()["errors"]
    assert api("manager1").post("/customers/transfer", {"customer_ids": [], "owner_id": org["sales1"].pk}
                                ).status_code == 422
    a.refresh_from_db()
    assert a.owner_id == org["sales3"].pk


# ---- list ---------------------------------------------------------------------------------------------------


def test_list_rows_and_scope(org, api):
    level = item("level")
    make(org, "sales1", "王小明的客户", level_id=level.pk, province_id="44", city_id="4401", tags="甲,乙",
         phone="010-1")
    make(org, "sales4", "杨静的客户")
    CustomerFactory(name="公海客户")
    response = api("sales1").get("/customers")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    names = {r["name"] for r in body["items"]}
    assert names == {"王小明的客户", "公海客户"}
    row = next(r for r in body["items"] if r["name"] == "王小明的客户")
    assert set(row) == {"id", "kind", "name", "short_name", "number", "phone", "mobile", "owner", "level", "status",
                        "source", "industry", "province", "city", "tags", "last_followup_at", "next_followup_at",
                        "created_at", "pool", "pooled_at", "lifecycle", "first_signed_on"}
    assert row["owner"] == {"id": org["sales1"].pk, "name": "王小明"}
    assert row["level"] == {"id": level.pk, "name": level.name}
    assert row["province"] == {"id": "44", "name": "广东省"} and row["city"]["id"] == "4401"
    assert row["tags"] == ["甲", "乙"] and row["created_at"].endswith("+08:00")
    assert api("boss").get("/customers").json()["count"] == 3


def test_list_filters(org, api):
    level = item("level")
    a = make(org, "sales1", "北京甲公司", level_id=level.pk, tags="重点")
    b = make(org, "sales2", "上海乙公司")
    pool = CustomerFactory(name="公海丙公司")
    person = make(org, "sales4", "赵先生", kind="individual")
    soon = timezone.now() + datetime.timedelta(days=3)
    Customer.objects.filter(pk=a.pk).update(next_followup_at=soon,
                                            last_followup_at=timezone.now() - datetime.timedelta(days=1))
    boss = api("boss")

    def ids(**params):
        response = boss.get("/customers", **params)
        assert response.status_code == 200, response.json()
        return {r["id"] for r in response.json()["items"]}

    assert ids(q="北京") == {a.pk}
    assert ids(q="bjjgs") == {a.pk}  # pinyin initials
    assert ids(owner=org["sales2"].pk) == {b.pk}
    assert ids(owner="none") == {pool.pk}
    assert api("sales1").get("/customers", owner="me").json()["count"] == 1
    assert ids(kind="individual") == {person.pk}
    assert ids(level=level.pk) == {a.pk}
    assert ids(tag="重点") == {a.pk}
    assert ids(department=org["sales4"].department_id) == {person.pk}
    today = timezone.localdate()
    assert ids(next_from=today.isoformat(), next_to=(today + datetime.timedelta(days=5)).isoformat()) == {a.pk}
    assert ids(next_to=today.isoformat()) == set()
    assert ids(no_followup_days=0) == {a.pk, b.pk, pool.pk, person.pk}
    assert ids(no_followup_days=5) == {b.pk, pool.pk, person.pk}
    bad = boss.get("/customers", next_from="2024-02-30", kind="robot", no_followup_days=-1)
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"next_from", "kind", "no_followup_days"}


def test_page_size_is_clamped_never_refused(org, api):
    CustomerFactory.create_batch(205, owner=org["sales1"])
    client = api("sales1")
    big = client.get("/customers", page_size=1000)
    assert big.status_code == 200
    assert len(big.json()["items"]) == 200 and big.json()["count"] == 205
    assert len(client.get("/customers").json()["items"]) == 20
    for bad in ({"page": "x", "page_size": "y"}, {"page": "-3", "page_size": "0"}, {"page": "99999"}):
        response = client.get("/customers", **bad)
        assert response.status_code == 200, bad
        assert response.json()["count"] == 205
    assert client.get("/customers", page=2, page_size=200).json()["items"].__len__() == 5


def test_sort_is_stable_across_pages(org, api):
    CustomerFactory.create_batch(25, owner=org["sales1"], name="同名不同号")  # every sort key ties
    client = api("sales1")
    for sort in ("next_followup_at", "-next_followup_at", "name", "-created_at", "updated_at", "id", "-id", "bogus"):
        seen = []
        for page in (1, 2, 3):
            response = client.get("/customers", sort=sort, page=page, page_size=10)
            assert response.status_code == 200
            seen += [r["id"] for r in response.json()["items"]]
        assert len(seen) == len(set(seen)) == 25, sort
    ascending = [r["id"] for r in client.get("/customers", sort="id", page_size=25).json()["items"]]
    assert ascending == sorted(ascending)


@pytest.mark.parametrize("rows", [3, 40])
def test_list_queries_do_not_grow_with_rows(org, api, rows, django_assert_max_num_queries):
    CustomerFactory.create_batch(rows, owner=org["sales1"], level=item("level"), province_id="44")
    client = api("manager1")
    client.get("/me")  # the token's last-used write happens once a minute, not on every request
    # Picklist and region names come inside the list query (with_row_labels), the manager's department with
    # the token's user: token, grants, the manager's team, pool memberships, the page; the count is skipped
    # for a short page.
    with django_assert_max_num_queries(5):
        response = client.get("/customers", page_size=200, q="工厂")
    body = response.json()
    assert body["count"] == rows
    assert {r["level"]["name"] for r in body["items"]} == {item("level").name}
    assert {r["province"]["name"] for r in body["items"]} == {"广东省"}


def test_a_later_page_has_its_names_in_the_same_single_query(org, api, django_assert_max_num_queries):
    CustomerFactory.create_batch(25, owner=org["sales1"], level=item("level"), province_id="44")
    client = api("sales1")
    client.get("/me")
    # The page's rows come from a subquery of its ids, so the names are read for these rows only.
    with django_assert_max_num_queries(5):
        body = client.get("/customers", sort="name", page=3, page_size=10).json()
    assert body["count"] == 25 and len(body["items"]) == 5
    assert {(r["level"]["name"], r["province"]["name"]) for r in body["items"]} == {(item("level").name, "广东省")}
    everything = [r["id"] for r in client.get("/customers", sort="name", page_size=25).json()["items"]]
    assert [r["id"] for r in body["items"]] == everything[20:]


def test_hostile_strings_round_trip_as_plain_data(org, api):
    hostile = "<script>alert('x')</script>\" OR 1=1; -- %_\\ 😀 ‮ =cmd|'/C calc'!A0"
    response = api("sales1").post("/customers", {"kind": "enterprise", "name": hostile, "address": hostile + "\x00",
                                                 "remarks": "{{ 7*7 }} ${7*7}"})
    assert response.status_code == 201, response.json()
    body = response.json()
    # Stored as plain data, except invisible format characters (the right-to-left override), which clean_text drops.
    kept = hostile.replace("\u202e", "")
    assert body["name"] == kept and body["address"] == kept and body["remarks"] == "{{ 7*7 }} ${7*7}"
    listed = api("sales1").get("/customers", q="%_").json()
    assert [r["name"] for r in listed["items"]] == [kept]
    make(org, "sales1", "普通公司")
    assert api("sales1").get("/customers", q="%").json()["count"] == 1


# ---- contacts ---------------------------------------------------------------------------------------------


def test_contact_crud(org, api):
    customer = make(org, "sales1", "甲公司")
    client = api("sales1")
    created = client.post("/contacts", {"customer_id": customer.pk, "name": "李经理", "title": "采购经理",
                                        "mobile": "13900001111", "email": "li@example.com", "is_primary": True,
                                        "birthday": "1985-06-01", "gender": "female"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["customer"] == {"id": customer.pk, "name": "甲公司"}
    assert body["is_primary"] is True and body["has_left"] is False and body["birthday"] == "1985-06-01"
    assert body["gender"] == "female" and body["created_at"].endswith("+08:00")
    contact_id = body["id"]
    assert client.get(f"/contacts/{contact_id}").json() == body
    patched = client.patch(f"/contacts/{contact_id}", {"has_left": True, "title": "前采购经理"})
    assert patched.status_code == 200
    assert patched.json()["has_left"] is True and patched.json()["mobile"] == "13900001111"
    assert client.get(f"/customers/{customer.pk}").json()["contacts_count"] == 1
    assert client.delete(f"/contacts/{contact_id}").status_code == 204
    assert client.get(f"/contacts/{contact_id}").status_code == 404


def test_contact_list_filters_and_rows(org, api):
    a, b = make(org, "sales1", "甲公司"), make(org, "sales1", "乙公司")
    hidden = make(org, "sales4", "丙公司")
    actor = org.actor("sales1")
    contact_create(actor=actor, customer_id=a.pk, data={"name": "张三", "mobile": "13800000001"})
    contact_create(actor=actor, customer_id=b.pk, data={"name": "李四", "is_primary": True})
    contact_create(actor=org.actor("sales4"), customer_id=hidden.pk, data={"name": "王五"})
    client = api("sales1")
    body = client.get("/contacts").json()
    assert body["count"] == 2 and {r["name"] for r in body["items"]} == {"张三", "李四"}
    assert set(body["items"][0]) == {"id", "customer", "name", "title", "mobile", "phone", "email", "wechat",
                                     "is_primary", "has_left", "birthday"}
    assert [r["name"] for r in client.get("/contacts", customer=a.pk).json()["items"]] == ["张三"]
    assert [r["name"] for r in client.get("/contacts", q="乙公司").json()["items"]] == ["李四"]
    assert [r["name"] for r in client.get("/contacts", q="138").json()["items"]] == ["张三"]
    assert [r["name"] for r in client.get("/contacts", sort="-id").json()["items"]] == ["李四", "张三"]


def test_contact_refusals(org, other_org, api):
    mine = make(org, "sales1", "甲公司")
    theirs = make(org, "sales4", "乙公司")
    hidden = contact_create(actor=org.actor("sales4"), customer_id=theirs.pk, data={"name": "王五"})
    with tenant_context(other_org.tenant):
        foreign = customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "外"}).customer
    client = api("sales1")
    for customer_id in (theirs.pk, foreign.pk, 10**12):
        response = client.post("/contacts", {"customer_id": customer_id, "name": "偷偷加"})
        assert response.status_code == 422 and "customer_id" in response.json()["errors"]
    assert client.get(f"/contacts/{hidden.pk}").status_code == 404
    assert client.patch(f"/contacts/{hidden.pk}", {"name": "改"}).status_code == 404
    assert client.delete(f"/contacts/{hidden.pk}").status_code == 404
    bad = client.post("/contacts", {"customer_id": mine.pk, "name": "", "email": "x@", "birthday": "1985-13-01"})
    assert bad.status_code == 422
    assert {"birthday"} <= set(bad.json()["errors"])
    bad = client.post("/contacts", {"customer_id": mine.pk, "name": "", "email": "x@"})
    assert set(bad.json()["errors"]) == {"name", "email"}
    assert api("service").post("/contacts", {"customer_id": mine.pk, "name": "客服加"}).status_code == 403
    assert Contact.objects.count() == 1


@pytest.mark.parametrize("rows", [2, 30])
def test_contact_list_queries_do_not_grow(org, api, rows, django_assert_max_num_queries):
    customer = make(org, "sales1", "甲公司")
    actor = org.actor("sales1")
    for i in range(rows):
        contact_create(actor=actor, customer_id=customer.pk, data={"name": f"联系人{i}"})
    client = api("manager1")
    client.get("/me")
    with django_assert_max_num_queries(6):
        assert client.get("/contacts", page_size=200).json()["count"] == rows


def test_owner_change_list_queries_do_not_grow(org, api, django_assert_max_num_queries):
    customer = make(org, "sales1", "甲公司")
    client = api("manager1")
    for target in ("sales2", "sales3", "sales1", "sales2"):
        client.post(f"/customers/{customer.pk}/transfer", {"owner_id": org[target].pk})
    with django_assert_max_num_queries(7):
        assert client.get(f"/customers/{customer.pk}/owner-changes").json()["count"] == 4
