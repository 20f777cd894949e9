"""The tenant-isolation crawler (issue part 13): two tenants and two salespeople, every web URL and
every API path. Another tenant's ids (and a colleague's, for a salesperson) answer 404 through
every method; lists, search, export and duplicate checks never show the other side's rows.

A URL pattern added without telling this file how to crawl it fails `test_every_url_is_classified`.
"""
from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from zhuli.access.actor import Actor
from zhuli.accounts.services import department_create, token_create
from zhuli.activities.services import followup_create, todo_create
from zhuli.customers.services import contact_create, customer_create, pool_create
from zhuli.imports.models import ImportJob
from zhuli.preferences.models import DictionaryItem
from zhuli.sales.services import opportunity_create
from zhuli.tenancy.context import tenant_context

# What each id-bearing URL kwarg names, per namespace (None: any namespace).
ID_KINDS = {
    ("customers", "pk"): "customer",
    ("customers:contact_edit", "pk"): "contact",
    ("customers:contact_delete", "pk"): "contact",
    ("customers", "pool_id"): "pool",
    ("activities", "customer_id"): "customer",
    ("activities", "opportunity_id"): "opportunity",
    ("sales", "pk"): "opportunity",
    ("activities:edit", "pk"): "followup",
    ("activities:delete", "pk"): "followup",
    ("activities:todo_complete", "pk"): "todo",
    ("imports", "pk"): "import",
    ("preferences", "item_id"): "dictionary",
    ("accounts", "token_id"): "token",
    ("accounts", "user_id"): "user",
    ("accounts", "department_id"): "department",
    ("web:logo", "name"): "logo",
    ("api", "customer_id"): "customer",
    ("api", "contact_id"): "contact",
    ("api", "followup_id"): "followup",
    ("api", "todo_id"): "todo",
    ("api", "item_id"): "dictionary",
    ("api", "user_id"): "user",
    ("api", "department_id"): "department",
    ("api", "job_id"): "import",
    ("api", "opportunity_id"): "opportunity",
}
# URLs without ids: crawled as lists/pages, and searched for the other side's marker.
NO_ID_OK = {
    "imports:template": {"resource": "customers"},
}
# Kinds a salesperson must not reach on a colleague's record (users, departments and dictionaries are
# shared inside the tenant on purpose: everyone picks owners and values from them).
PERSONAL_KINDS = {"customer", "contact", "followup", "todo", "import", "token", "opportunity"}
# Company-admin pages refuse non-admins with 403 before looking at the id: the same answer for any
# id, so it tells nothing about other tenants' rows.
ADMIN_ONLY_PREFIXES = ("preferences:", "accounts:user_", "accounts:department_", "customers:settings_")

MARKER_B = "乙方隔离标记有限公司"
MARKER_S4 = "销售四号专属客户有限公司"


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (f"{namespace}:{p.name}" if p.name else namespace), p


def url_patterns() -> list[tuple[str, str, URLPattern]]:
    """Every concrete route; the API's catch-all 404 route has no name and is skipped."""
    return [(route, name, p) for route, name, p in _walk(get_resolver().url_patterns)
            if name and not route.endswith("^(?P<rest>.*)$")]


def kind_of(name: str, kwarg: str) -> str | None:
    namespace = name.split(":")[0]
    return ID_KINDS.get((name, kwarg)) or ID_KINDS.get((namespace, kwarg))


def fill(route: str, values: dict[str, str]) -> str:
    import re

    def sub(match):
        return str(values[match.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def make_records(org, owner_key: str, marker: str) -> dict[str, object]:
    """One of everything, owned by `owner_key`, in org's tenant."""
    owner = org[owner_key]
    actor = Actor.for_user(owner)
    admin = Actor.for_user(org["admin"])
    with tenant_context(org.tenant):
        customer = customer_create(actor=actor, data={"kind": "enterprise", "name": marker,
                                                      "phone": "0571-88886666"}).customer
        contact = contact_create(actor=actor, customer_id=customer.pk, data={"name": f"{marker}联系人"})
        opportunity = opportunity_create(actor=actor, data={"customer_id": customer.pk, "title": f"{marker}机会",
                                                            "amount": "1000"})
        followup = followup_create(actor=actor, customer_id=customer.pk, data={"content": f"{marker}跟进",
                                                                               "opportunity_id": opportunity.pk})
        todo = todo_create(actor=actor, customer_id=customer.pk,
                           due_at=timezone.now() + datetime.timedelta(days=1), content=f"{marker}待办")
        department = department_create(actor=admin, name=f"{marker}部门")
        # A pool only the owner's department belongs to, holding a customer nobody else may see or claim.
        pool = pool_create(actor=admin, data={"name": f"{org.tenant.code}-{owner_key}公海",
                                              "department_ids": [owner.department_id]})
        customer_create(actor=Actor.for_user(org["boss"]), data={"kind": "enterprise", "name": f"{marker}公海客户",
                                                                 "to_pool": True}, pool=pool)
        dictionary = DictionaryItem.objects.filter(kind="source").first()
        job = ImportJob.objects.create(file="imports/none.csv", original_name=f"{marker}.csv",
                                       created_by=owner, owner=owner)
        token, _key = token_create(user=owner, name="crawler")
    org.tenant.logo = "logos/0123456789abcdef0123456789abcdef.png"
    org.tenant.save(update_fields=["logo"])
    return {
        "customer": customer.pk, "contact": contact.pk, "followup": followup.pk, "todo": todo.pk,
        "department": department.pk, "dictionary": dictionary.pk, "import": job.pk, "token": token.pk,
        "user": owner.pk, "logo": "0123456789abcdef0123456789abcdef.png", "pool": pool.pk,
        "opportunity": opportunity.pk,
    }


@pytest.fixture
def world(org, other_org):
    theirs = make_records(other_org, "sales1", MARKER_B)
    colleague = make_records(org, "sales4", MARKER_S4)
    return {"org": org, "tenant_b": theirs, "sales4": colleague}


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> Client:
    _row, key = token_create(user=user, name="crawler")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def test_every_url_is_classified():
    unclassified = []
    for route, name, pattern in url_patterns():
        for kwarg in pattern.pattern.converters:
            if kind_of(name, kwarg) is None and name not in NO_ID_OK:
                unclassified.append(f"{name} ({route}) kwarg {kwarg}")
    assert not unclassified, "tell the crawler what these ids are: " + "; ".join(unclassified)


def _id_routes():
    for route, name, pattern in url_patterns():
        kwargs = list(pattern.pattern.converters)
        if kwargs and name not in NO_ID_OK:
            yield route, name, {k: kind_of(name, k) for k in kwargs}


def _requests(client: Client, path: str, is_api: bool):
    """Every method a route might answer; bodies empty or minimal: the id must be refused first."""
    kw = {"content_type": "application/json"} if is_api else {}
    body = "{}" if is_api else {}
    yield "GET", client.get(path)
    yield "POST", client.post(path, body, **kw)
    if is_api:
        yield "PATCH", client.patch(path, body, **kw)
        yield "DELETE", client.delete(path)


def _refusal_ok(response, name: str, method: str, user) -> bool:
    """404 (or 405: no such method on the route). Role-level refusals that ignore the id are fine too:
    403 on admin pages for non-admins, and 422 for an API body that fails its schema before any lookup."""
    if response.status_code in (404, 405):
        return True
    if response.status_code == 403 and name.startswith(ADMIN_ONLY_PREFIXES) and not user.is_admin:
        return True
    if response.status_code == 422 and name.startswith("api:") and method in ("POST", "PATCH"):
        return isinstance(response.json().get("detail"), list)  # ninja's schema errors, not a service answer
    return False


def _assert_refused(client, ids, actor_label, kinds_filter=None, user=None, api=None):
    """`api`: True crawls only API paths (bearer client), False only web pages, None both (session)."""
    problems = []
    for route, name, kinds in _id_routes():
        if kinds_filter and not set(kinds.values()) <= kinds_filter:
            continue
        if api is not None and name.startswith("api:") != api:
            continue
        path = fill(route, {k: ids[kind] for k, kind in kinds.items()})
        is_api = name.startswith("api:")
        for method, response in _requests(client, path, is_api):
            if not _refusal_ok(response, name, method, user):
                problems.append(f"{actor_label} {method} {path} ({name}) → {response.status_code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("who", ["boss", "admin", "sales1"])
def test_other_tenants_ids_are_404_on_every_web_url(world, who):
    user = world["org"][who]
    _assert_refused(web_client(user), world["tenant_b"], f"tenant A {who} (web)", user=user)


@pytest.mark.parametrize("who", ["boss", "sales1"])
def test_other_tenants_ids_are_404_on_every_api_path(world, who):
    user = world["org"][who]
    client = api_client(user)
    problems = []
    for route, name, kinds in _id_routes():
        if not name.startswith("api:"):
            continue
        path = fill(route, {k: world["tenant_b"][kind] for k, kind in kinds.items()})
        for method, response in _requests(client, path, True):
            if not _refusal_ok(response, name, method, user):
                problems.append(f"{method} {path} ({name}) → {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_colleagues_records_are_404_for_a_salesperson(world):
    """sales1 reaching for sales4's customer, contact, follow-up, todo, import and token."""
    ids, sales1 = world["sales4"], world["org"]["sales1"]
    _assert_refused(web_client(sales1), ids, "sales1 (web)", PERSONAL_KINDS, user=sales1)
    _assert_refused(api_client(sales1), ids, "sales1 (api)", PERSONAL_KINDS, user=sales1, api=True)


def _list_routes():
    for route, name, pattern in url_patterns():
        if pattern.pattern.converters and name not in NO_ID_OK:
            continue
        if name in ("web:logout", "api:auth_token_revoke", "api:openapi-view"):
            continue
        yield fill(route, NO_ID_OK.get(name, {})), name


DUPLICATE_CHECKS = {"customers:duplicates", "api:customer_duplicates"}
SEARCHES = {
    "q": MARKER_B[:4], "name": MARKER_B, "phone": "0571-88886666", "format": "csv", "owner": "", "customer": "",
}


@pytest.mark.parametrize("who", ["boss", "sales1"])
def test_lists_search_export_and_duplicate_checks_never_show_the_other_side(world, who):
    org = world["org"]
    web, api = web_client(org[who]), api_client(org[who])
    hidden = [MARKER_B] + ([MARKER_S4] if who == "sales1" else [])
    leaks = []
    for path, name in _list_routes():
        client = api if name.startswith("api:") else web
        for params in ({}, {"q": MARKER_B[:4]}, {"q": MARKER_S4[:4]}, SEARCHES):
            response = client.get(path, params)
            assert response.status_code < 500, f"{path} {params} → {response.status_code}"
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            # 查重 names a colleague's record and its owner on purpose (DESIGN §5), never another tenant's.
            shown = [MARKER_B] if name in DUPLICATE_CHECKS else hidden
            leaks += [f"{name} {params} shows {m}" for m in shown if m in text]
    assert not leaks, "\n".join(leaks)


def test_duplicate_check_names_but_never_links_a_colleagues_customer(world):
    """查重 searches the whole tenant: sales1 learns the name and owner of sales4's customer, no id."""
    api = api_client(world["org"]["sales1"])
    response = api.post("/api/v1/customers", {"kind": "enterprise", "name": MARKER_S4}, content_type="application/json")
    assert response.status_code == 409
    existing = response.json()["existing"]
    assert existing["name"] == MARKER_S4 and "id" not in existing
    assert f'"id": {world["sales4"]["customer"]},' not in response.content.decode()
    other = api.post("/api/v1/customers", {"kind": "enterprise", "name": MARKER_B}, content_type="application/json")
    assert other.status_code == 201, "another tenant's customer must not count as a duplicate"


def test_the_crawler_reaches_real_pages_with_own_ids(world):
    """Control: the same routes with the boss's own tenant ids answer, so the 404s above mean refusal."""
    boss, ids = world["org"]["boss"], world["sales4"]
    web, api = web_client(boss), api_client(boss)
    assert web.get(f"/customers/{ids['customer']}/").status_code == 200
    assert api.get(f"/api/v1/customers/{ids['customer']}").status_code == 200
    assert api.get(f"/api/v1/followups/{ids['followup']}").status_code == 200
    assert api.get(f"/api/v1/contacts/{ids['contact']}").status_code == 200
    assert web.get(f"/opportunities/{ids['opportunity']}/").status_code == 200
    assert api.get(f"/api/v1/opportunities/{ids['opportunity']}").status_code == 200
