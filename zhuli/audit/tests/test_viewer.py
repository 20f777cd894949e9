"""Settings → 操作日志 and GET /api/v1/audit-events (issue 5 parts 8, 9): admin only, the issue's action
groups, filters, readable changes, export, isolation and query counts. The first tests check that the
services really write what the viewer promises (logins, failed logins, users and permissions, transfers,
exports, imports, deletes, settings)."""
from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PASSWORD
from zhuli.access.services import permission_set
from zhuli.accounts.authentication import LoginRefused, login_check
from zhuli.accounts.services import token_create, token_revoke, user_update
from zhuli.api.testing import BASE, ApiClient
from zhuli.audit.labels import GROUPS, action_label
from zhuli.audit.models import AuditEvent
from zhuli.audit.selectors import AuditFilters, audit_event_list
from zhuli.audit.services import audit_record
from zhuli.customers.services import customer_create, customer_delete, customer_transfer
from zhuli.imports.services import export_build
from zhuli.tenancy.context import tenant_context
from zhuli.tenancy.services import tenant_profile_update

CSV_IMPORT = "客户名称,电话\n导入测试有限公司,0571-1234\n".encode()


def group_actions(org, key: str) -> list[str]:
    qs = audit_event_list(actor=org.actor("admin"), filters=AuditFilters(action=key))
    return list(qs.values_list("action", flat=True))


@pytest.fixture
def history(org):
    """One event of every group the issue names, written by the real services."""
    boss, admin, manager = org.actor("boss"), org.actor("admin"), org.actor("manager1")
    login_check(login=org["sales1"].email, password=PASSWORD, ip="10.0.0.1")
    with pytest.raises(LoginRefused):
        login_check(login=org["sales2"].email, password="wrong-password", ip="10.0.0.2")
    user_update(actor=admin, user_id=org["sales3"].pk, data={"role": "manager"})
    permission_set(actor=admin, role="sales", module="customers", scope="own", actions={"view", "create"})
    _token, key = token_create(user=org["sales1"], name="脚本")
    token_revoke(user=org["sales1"], token_id=_token.pk)
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "审计转移有限公司"}).customer
    customer_transfer(actor=manager, customer_ids=[customer.pk], to_user_id=org["sales2"].pk)
    export_build(actor=boss, resource="customers", fmt="csv", params={})
    doomed = customer_create(actor=boss, data={"kind": "enterprise", "name": "将被删除有限公司"}).customer
    customer_delete(actor=boss, customer_id=doomed.pk)
    tenant_profile_update(actor=admin, data={"phone": "0571-88880000"})
    response = ApiClient(org["boss"]).client.post(
        f"{BASE}/imports/customers", {"file": SimpleUploadedFile("客户.csv", CSV_IMPORT)})
    assert response.status_code == 200, response.content
    return {"customer": customer}


def test_the_services_write_every_group_the_viewer_offers(org, history):
    assert group_actions(org, "login") == ["login"]
    assert group_actions(org, "login_failed") == ["login.failed"]
    assert {"user.update", "permission.set", "token.create", "token.revoke"} <= set(group_actions(org, "users"))
    assert group_actions(org, "transfer") == ["customer.transfer"]
    assert group_actions(org, "export") == ["export.customers"]
    assert group_actions(org, "import") == ["import.customers"]
    assert group_actions(org, "delete") == ["customer.delete"]
    assert "tenant.update" in group_actions(org, "settings")
    for group in GROUPS:
        assert group_actions(org, group.key), group.key


def test_token_revoke_is_audited_and_atomic(org):
    token, _key = token_create(user=org["sales1"], name="CI")
    token_revoke(user=org["sales1"], token_id=token.pk)
    event = AuditEvent.objects.get(action="token.revoke")
    assert (event.actor_id, event.changes["name"]) == (org["sales1"].pk, "CI")


def test_action_labels_are_chinese_and_composed_for_unknown_codes():
    assert action_label("customer.transfer") == "转移客户"
    assert action_label("login.failed") == "登录失败"
    assert action_label("export.opportunities") == "导出销售机会"
    assert action_label("contract.delete") == "删除合同"
    assert action_label("something.odd") == "something.odd"


# ---- the page -----------------------------------------------------------------------------------------


@pytest.fixture
def as_user(client, org):
    def login(key):
        client.force_login(org[key])
        return client
    return login


@pytest.mark.parametrize("who", ["boss", "manager1", "sales1", "finance"])
def test_only_the_company_admin_sees_the_log(as_user, org, who):
    client = as_user(who)
    assert client.get("/settings/audit/").status_code == 403
    assert client.get("/settings/audit/export/", {"format": "csv"}).status_code == 403
    assert ApiClient(org[who]).get("/audit-events").status_code == 403
    assert ApiClient(org[who]).get("/exports/audit-events").status_code == 403


def test_anonymous_goes_to_login(client):
    response = client.get("/settings/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_page_shows_labels_names_and_readable_changes(as_user, org, history):
    html = as_user("admin").get("/settings/audit/").content.decode()
    assert "转移客户" in html and "登录失败" in html and "修改用户" in html and "导出客户" in html
    # The transfer's owner ids are names; the role change reads 销售 → 经理.
    assert "王小明" in html and "陈晓红" in html
    assert "<del class=\"text-secondary\">销售</del> → 经理" in html
    assert "10.0.0.2" in html
    # The settings tabs carry the page.
    assert 'href="/settings/audit/"' in html


def test_filters(as_user, org, history):
    client = as_user("admin")

    def actions(**params):
        html = client.get("/settings/audit/", params).content.decode()
        return html.count("data-zl-audit=")

    assert actions(action="login") == 1
    assert actions(action="customer.transfer") == 1
    assert actions(actor=org["sales1"].pk) >= 3  # login (as its target), token create / revoke, customer create
    assert actions(target_type="customers.customer") >= 3
    assert actions(q="审计转移") == 2  # created and transferred
    assert actions(q="转移客户") == 1  # the Chinese name of the action
    assert actions(q="10.0.0.2") == 1  # the failed login's address
    today = timezone.localdate(timezone.now(), org.tenant.zone).isoformat()
    assert actions(date_from=today, date_to=today) == actions()
    tomorrow = (timezone.localdate(timezone.now(), org.tenant.zone) + datetime.timedelta(days=1)).isoformat()
    assert actions(date_from=tomorrow) == 0
    bad = client.get("/settings/audit/", {"date_from": "2026-13-45", "actor": "abc"})
    assert bad.status_code == 200 and "日期格式应为 YYYY-MM-DD" in bad.content.decode()


def test_date_range_is_the_tenants_day(org):
    admin = org.actor("admin")
    audit_record(actor=admin, action="probe.late", target=None)
    # 23:30 in Shanghai is 15:30 UTC: the tenant's day, not the server's.
    late = datetime.datetime(2026, 3, 1, 15, 30, tzinfo=datetime.UTC)
    AuditEvent.objects.filter(action="probe.late").update(created_at=late)
    in_day = audit_event_list(actor=admin, filters=AuditFilters(date_from=datetime.date(2026, 3, 1),
                                                                date_to=datetime.date(2026, 3, 1)))
    assert list(in_day.values_list("action", flat=True)) == ["probe.late"]
    assert not audit_event_list(actor=admin, filters=AuditFilters(date_from=datetime.date(2026, 3, 2))).filter(
        action="probe.late").exists()


def test_other_tenants_events_never_show(as_user, org, other_org, history):
    with tenant_context(other_org.tenant):
        customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "乙方秘密客户有限公司"})
    html = as_user("admin").get("/settings/audit/", {"page_size": 100}).content.decode()
    assert "乙方秘密客户有限公司" not in html
    body = ApiClient(org["admin"]).get("/audit-events", q="乙方秘密").json()
    assert body == {"items": [], "count": 0}


def test_list_page_query_count_does_not_grow(as_user, org):
    client = as_user("admin")
    admin = org.actor("admin")
    audit_record(actor=admin, action="customer.transfer", target=org["sales1"],
                 changes={"owner": [org["sales1"].pk, org["sales2"].pk]})
    client.get("/settings/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/settings/audit/")
    for i in range(40):
        audit_record(actor=admin, action="customer.transfer", target=org["sales1"],
                     changes={"owner": [org[f"sales{i % 6 + 1}"].pk, org["sales2"].pk], "reason": f"第{i}次"})
    with CaptureQueriesContext(connection) as many:
        response = client.get("/settings/audit/")
    assert response.content.decode().count("data-zl-audit=") == 20
    assert len(many) == len(few) and len(many) <= 12


def test_export_csv_and_xlsx_follow_the_filters_and_are_audited(as_user, org, history):
    client = as_user("admin")
    response = client.get("/settings/audit/export/", {"format": "csv", "action": "transfer"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["时间", "操作", "操作代码"]
    assert [r[2] for r in rows[1:]] == ["customer.transfer"]
    assert "负责人：王小明 → 陈晓红" in rows[1][6]
    xlsx = client.get("/settings/audit/export/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
    exported = AuditEvent.objects.filter(action="export.audit-events").order_by("id")
    assert exported.count() == 2 and exported.first().changes["filters"] == {"action": "transfer"}
    assert client.get("/settings/audit/export/", {"format": "pdf"}).status_code in (302, 400)
    assert ApiClient(org["admin"]).get("/exports/audit-events", format="csv", date_from="x").status_code == 422


# ---- the API --------------------------------------------------------------------------------------------


def test_api_list_contract_and_filters(org, history):
    api = ApiClient(org["admin"])
    body = api.get("/audit-events", action="transfer").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["action"] == "customer.transfer" and item["action_label"] == "转移客户"
    assert item["actor"] == {"id": org["manager1"].pk, "name": "郑经理"}
    assert item["target_type"] == "customers.customer" and item["target_id"] == history["customer"].pk
    assert {"field": "负责人", "before": "王小明", "after": "陈晓红"} in item["change_items"]
    assert item["created_at"].endswith("+08:00")
    login = api.get("/audit-events", action="login").json()["items"][0]
    assert login["actor"] is None and login["actor_label"] == "王小明" and login["ip"] == "10.0.0.1"
    everything = api.get("/audit-events", page_size=500).json()
    assert everything["count"] == AuditEvent.objects.count() and len(everything["items"]) == min(200, everything["count"])
    page2 = api.get("/audit-events", page_size=3, page=2).json()
    page1 = api.get("/audit-events", page_size=3, page=1).json()
    assert not {i["id"] for i in page1["items"]} & {i["id"] for i in page2["items"]}
    assert page1["count"] == everything["count"]
    assert api.get("/audit-events", actor=org["sales2"].pk, action="login_failed").json()["count"] == 1
    oldest = api.get("/audit-events", sort="id", page_size=1).json()["items"][0]
    assert oldest["id"] == AuditEvent.objects.order_by("id").first().pk
    assert api.get("/audit-events", date_from="2026-02-30").status_code == 422
    assert api.get("/audit-events", actor="abc").status_code == 422


def test_api_query_count_does_not_grow(org, django_assert_max_num_queries):
    api = ApiClient(org["admin"])
    for i in range(30):
        audit_record(actor=org.actor("admin"), action="user.update", target=org["sales1"],
                     changes={"role": ["sales", "manager"], "reason": str(i)})
    with django_assert_max_num_queries(8):
        body = api.get("/audit-events").json()
    assert len(body["items"]) == 20
