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
from zhuli.approvals.tests.records import approvals_records
from zhuli.billing.tests.records import billing_records
from zhuli.catalog.services import product_create
from zhuli.customers.services import contact_create, customer_create, pool_create
from zhuli.deals.tests.records import deals_records
from zhuli.imports.models import ImportJob
from zhuli.onboarding.services import document_create
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
    ("catalog", "pk"): "product",
    ("api", "product_id"): "product",
    ("deals", "contract_id"): "contract",
    ("deals", "order_id"): "order",
    ("deals", "quote_id"): "quote",
    ("deals", "attachment_id"): "attachment",
    ("deals", "opportunity_id"): "opportunity",
    ("api", "contract_id"): "contract",
    ("api", "order_id"): "order",
    ("api", "quote_id"): "quote",
    ("billing", "agreement_id"): "contract",
    ("billing:plan_edit", "pk"): "plan",
    ("billing:plan_delete", "pk"): "plan",
    ("billing", "pk"): "payment",
    ("billing:invoice", "pk"): "invoice",
    ("billing:invoice_issue", "pk"): "invoice",
    ("billing:invoice_cancel", "pk"): "invoice",
    ("deals:payment_receipt", "payment_id"): "payment",
    ("api", "plan_id"): "plan",
    ("api", "payment_id"): "payment",
    ("api", "invoice_id"): "invoice",
    ("onboarding", "pk"): "document",
    ("approvals", "pk"): "approval",
    ("api", "approval_id"): "approval",
    # The platform console names companies by id; it refuses every tenant user whatever the id (below).
    ("platform", "tenant_id"): "tenant",
}
# URLs without ids: crawled as lists/pages, and searched for the other side's marker.
NO_ID_OK = {
    "imports:template": {"resource": "customers"},
    # Setup pages, checklist items and help pages are named by fixed slugs, not records.
    "onboarding:setup_step": {"step": "customers"},
    "onboarding:checklist_tick": {"item": "training"},
    "onboarding:help_page": {"slug": "workbench"},
}
# Kinds a salesperson must not reach on a colleague's record (users, departments and dictionaries are
# shared inside the tenant on purpose: everyone picks owners and values from them).
PERSONAL_KINDS = {"customer", "contact", "followup", "todo", "import", "token", "opportunity", "contract", "order",
                  "quote", "attachment", "plan", "payment", "invoice", "approval"}
# Company-admin pages refuse non-admins with 403 before looking at the id: the same answer for any
# id, so it tells nothing about other tenants' rows.
ADMIN_ONLY_PREFIXES = ("preferences:", "accounts:user_", "accounts:department_", "customers:settings_")
# The platform console is for the service's operators only: a tenant user (admins too) gets 403 on every
# console URL before any id is looked at, and the id is a company, not a record of one.
OPERATOR_ONLY_PREFIXES = ("platform:",)
# Pages anyone may open without logging in (sign-up, terms, the demo entry): no id, no tenant data.
# A web view marked login_not_required that is missing here fails test_public_pages_are_exactly_these.
PUBLIC_PAGES = {"web:login", "web:logout", "web:language", "web:signup", "web:terms", "web:demo_enter", "web:favicon",
                "platform:login", "platform:logout"}

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
        # Products are shared inside a tenant (every role reads them): only the other tenant's carries the marker.
        product = product_create(actor=Actor.for_user(org["boss"]), data={
            "code": f"CRAWL-{owner_key}", "name": f"{marker}产品" if marker == MARKER_B else f"{owner_key}的共享产品"})
        deals = deals_records(actor, customer, marker)
        deals.update(billing_records(actor, deals["contract"], marker))
        deals.update(approvals_records(actor, deals["contract"], marker))
        # A draft: only the boss and admins of its own tenant may see it.
        document = document_create(actor=Actor.for_user(org["boss"]),
                                   data={"kind": "norm", "title": f"{marker}规范", "body": marker})
    org.tenant.logo = "logos/0123456789abcdef0123456789abcdef.png"
    org.tenant.save(update_fields=["logo"])
    return {
        "customer": customer.pk, "contact": contact.pk, "followup": followup.pk, "todo": todo.pk,
        "department": department.pk, "dictionary": dictionary.pk, "import": job.pk, "token": token.pk,
        "user": owner.pk, "logo": "0123456789abcdef0123456789abcdef.png", "pool": pool.pk,
        "opportunity": opportunity.pk, "document": document.pk, "tenant": org.tenant.pk, "product": product.pk, **deals,
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
    if response.status_code == 403 and name.startswith(OPERATOR_ONLY_PREFIXES) and user.tenant_id:
        return True
    if response.status_code == 422 and name.startswith("api:") and method in ("POST", "PATCH"):
        return response.json().get("code") == "schema"  # the schema refused it, before any record was looked up
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
    assert web.get(f"/contracts/{ids['contract']}/").status_code == 200
    assert web.get(f"/orders/{ids['order']}/").status_code == 200
    assert web.get(f"/quotes/{ids['quote']}/").status_code == 200
    assert web.get(f"/contracts/{ids['contract']}/attachments/{ids['attachment']}/").status_code == 200
    assert api.get(f"/api/v1/contracts/{ids['contract']}").status_code == 200
    assert api.get(f"/api/v1/orders/{ids['order']}").status_code == 200
    assert api.get(f"/api/v1/quotes/{ids['quote']}").status_code == 200
    assert web.get(f"/products/{ids['product']}/").status_code == 200
    assert api.get(f"/api/v1/products/{ids['product']}").status_code == 200
    assert web.get(f"/approvals/{ids['approval']}/").status_code == 200
    assert api.get(f"/api/v1/approvals/{ids['approval']}").status_code == 200
    assert web.get(f"/contracts/{ids['contract']}/print/").status_code == 200
    assert web.get(f"/payments/{ids['payment']}/receipt/").status_code == 200


def test_public_pages_are_exactly_these(world):
    """Every login-free web view is listed in PUBLIC_PAGES; anonymously they answer without a 5xx and
    never show either side's records."""
    public = {name for _route, name, p in url_patterns()
              if not name.startswith("api:") and getattr(p.callback, "login_required", True) is False
              and (name in PUBLIC_PAGES or not name.startswith(OPERATOR_ONLY_PREFIXES))}
    assert public == PUBLIC_PAGES, f"classify these public pages: {public ^ PUBLIC_PAGES}"
    anonymous = Client()
    for route, name, _p in url_patterns():
        if name not in PUBLIC_PAGES:
            continue
        response = anonymous.get(fill(route, {}))
        assert response.status_code in (200, 302, 405), f"{name} → {response.status_code}"
        text = response.content.decode("utf-8", "replace")
        assert MARKER_B not in text and MARKER_S4 not in text


def test_console_pages_send_anonymous_visitors_to_the_console_login(world):
    """The console skips the tenant login on purpose (it has its own): anonymously every other console URL
    redirects to /platform/login/ (or 405 for a POST-only action), never a page."""
    anonymous = Client()
    checked = 0
    for route, name, _p in url_patterns():
        if not name.startswith(OPERATOR_ONLY_PREFIXES) or name in PUBLIC_PAGES:
            continue
        path = fill(route, {"tenant_id": world["tenant_b"]["tenant"]})
        for response in (anonymous.get(path), anonymous.post(path, {})):
            assert response.status_code in (302, 405), f"{name} → {response.status_code}"
            if response.status_code == 302:
                assert response["Location"].startswith("/platform/login/"), name
        checked += 1
    assert checked >= 5
