"""/api/v1/dictionaries: the company's picklists, for every role, never another company's."""
import pytest

from zhuli.api.testing import ApiClient
from zhuli.preferences.models import DEFAULT_DICTIONARIES, DictionaryItem
from zhuli.tenancy.unscoped import for_tenant


@pytest.fixture
def sales(org):
    return ApiClient(org["sales1"])


def test_one_dictionary_in_order(org, sales):
    body = sales.get("/dictionaries", kind="industry", page_size=200).json()
    assert body["count"] == len(DEFAULT_DICTIONARIES["industry"])
    first = body["items"][0]
    assert set(first) == {"id", "kind", "name", "code", "order", "is_active"}
    assert (first["code"], first["name"], first["kind"]) == ("A", "农、林、牧、渔业", "industry")
    assert [i["order"] for i in body["items"]] == sorted(i["order"] for i in body["items"])


def test_all_dictionaries_are_paged(org, sales):
    total = sum(len(v) for v in DEFAULT_DICTIONARIES.values())
    first = sales.get("/dictionaries").json()
    assert first["count"] == total and len(first["items"]) == 20
    ids = []
    for page in range(1, total // 20 + 2):
        ids += [i["id"] for i in sales.get("/dictionaries", page=page).json()["items"]]
    assert len(ids) == len(set(ids)) == total


def test_active_filter_and_detail(org, sales):
    item = DictionaryItem.objects.get(kind="source", name="广告")
    item.is_active = False
    item.save(update_fields=["is_active"])
    active = sales.get("/dictionaries", kind="source", active="true").json()
    assert "广告" not in {i["name"] for i in active["items"]}
    inactive = sales.get("/dictionaries", kind="source", active="false").json()
    assert [i["name"] for i in inactive["items"]] == ["广告"]
    assert len(sales.get("/dictionaries", kind="source").json()["items"]) == len(DEFAULT_DICTIONARIES["source"])
    detail = sales.get(f"/dictionaries/{item.pk}").json()
    assert detail == {"id": item.pk, "kind": "source", "name": "广告", "code": "", "order": item.order,
                      "is_active": False}


def test_unknown_kind_is_422_naming_it(org, sales):
    response = sales.get("/dictionaries", kind="robots")
    assert response.status_code == 422
    assert "kind" in response.json()["errors"]


def test_other_tenants_items_are_404(org, other_org, sales):
    foreign = for_tenant(DictionaryItem, other_org.tenant).first()
    assert sales.get(f"/dictionaries/{foreign.pk}").status_code == 404
    ids = {i["id"] for i in sales.get("/dictionaries", page_size=200).json()["items"]}
    assert foreign.pk not in ids


def test_every_role_reads_them(org):
    for key in ("keeper", "finance", "service", "boss"):
        assert ApiClient(org[key]).get("/dictionaries", kind="level").json()["count"] == 4


def test_queries_are_a_handful(org, sales, django_assert_max_num_queries):
    sales.get("/me")
    with django_assert_max_num_queries(5):
        assert sales.get("/dictionaries", page_size=200).status_code == 200
