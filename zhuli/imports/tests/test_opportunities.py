"""Opportunities through the importer (POST /api/v1/imports/opportunities, the web wizard) and the exporter."""
from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from zhuli.api.testing import BASE, ApiClient
from zhuli.customers.services import customer_create
from zhuli.imports.models import ImportJob
from zhuli.sales.models import Opportunity, StageChange
from zhuli.sales.services import opportunity_create, stages_ensure
from zhuli.tenancy.context import tenant_context

from .helpers import csv_bytes

HEADER = ["机会名称", "客户名称", "阶段", "预计金额", "预计成交日期", "赢率", "状态", "负责人", "输单原因"]


def post(api: ApiClient, rows: list[list[str]], **fields):
    content = csv_bytes([HEADER, *rows])
    return api.client.post(f"{BASE}/imports/opportunities", {"file": SimpleUploadedFile("机会.csv", content), **fields})


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_import_matches_customers_and_stages_and_keeps_the_probability_rule(org, other_org):
    stages_ensure()
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "甲公司"})
    customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "乙公司"})  # not sales1's
    with tenant_context(other_org.tenant):
        customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "丙公司"})
    api = ApiClient(org["sales1"])
    response = post(api, [
        ["ERP", "甲公司", "方案报价", "12000.5", "2026-06-30", "", "", "", ""],
        ["手工赢率", "甲公司", "需求确认", "100", "", "45", "跟踪", "", ""],
        ["赢了", "甲公司", "", "100", "", "", "赢单", "", ""],
        ["输了", "甲公司", "", "100", "", "", "输单", "", "价格"],
        ["同事的", "乙公司", "", "1", "", "", "", "", ""],
        ["别家的", "丙公司", "", "1", "", "", "", "", ""],
        ["坏金额", "甲公司", "", "-1", "", "", "", "", ""],
        ["坏小数", "甲公司", "", "1.234", "", "", "", "", ""],
        ["坏日期", "甲公司", "", "1", "2026-13-01", "", "", "", ""],
        ["坏阶段", "甲公司", "不存在", "1", "", "", "", "", ""],
    ])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["skipped"]) == (4, 0)
    errors = {(e["row"], e["column"]): e["message"] for e in body["errors"]}
    assert "找不到客户“乙公司”" in errors[(6, "客户名称")] and "找不到客户“丙公司”" in errors[(7, "客户名称")]
    assert errors[(8, "预计金额")] == "金额不能小于 0"
    assert errors[(9, "预计金额")] == "金额最多两位小数"
    assert "日期" in errors[(10, "预计成交日期")]
    assert "找不到阶段“不存在”" in errors[(11, "阶段")]
    got = {o.title: (o.stage.name, o.probability, o.status, str(o.amount)) for o in Opportunity.objects.all()}
    assert got == {"ERP": ("方案报价", 60, "tracking", "12000.50"), "手工赢率": ("需求确认", 45, "tracking", "100.00"),
                   "赢了": ("赢单", 100, "won", "100.00"), "输了": ("输单", 0, "lost", "100.00")}
    assert StageChange.objects.count() == 4
    assert Opportunity.objects.get(title="输了").lost_reason.name == "价格"
    # The same title on the same customer is a duplicate: skipped by default.
    again = post(api, [["ERP", "甲公司", "", "1", "", "", "", "", ""]]).json()
    assert (again["created"], again["skipped"]) == (0, 1)


def test_dry_run_changes_nothing_and_rights_apply(org):
    stages_ensure()
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "甲公司"})
    body = post(ApiClient(org["sales1"]), [["A", "甲公司", "", "1", "", "", "", "", ""]], dry_run="true").json()
    assert body["created"] == 1 and not Opportunity.objects.exists()
    assert post(ApiClient(org["finance"]), [["A", "甲公司", "", "1", "", "", "", "", ""]]).status_code == 403
    body = post(ApiClient(org["sales1"]), [["A", "甲公司", "", "1", "", "", "", org["sales2"].name, ""]]).json()
    assert body["created"] == 0 and body["errors"][0]["column"] == "负责人"


def test_web_wizard_picks_the_opportunities_resource(org, client):
    stages_ensure()
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "甲公司"})
    client.force_login(org["sales1"])
    page = client.get("/imports/?resource=opportunities").content.decode()
    assert 'name="resource" value="opportunities"' in page and "机会名称" in page
    content = csv_bytes([HEADER, ["ERP", "甲公司", "", "1", "", "", "", "", ""]])
    r = client.post("/imports/", {"resource": "opportunities", "file": SimpleUploadedFile("机会.csv", content),
                                  "on_duplicate": "skip"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert ImportJob.objects.get().resource == "opportunities"


def test_export_with_list_filters_and_scope(org):
    stages_ensure()
    mine = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "甲公司"}).customer
    theirs = customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "乙公司"}).customer
    opportunity_create(actor=org.actor("sales1"), data={"customer_id": mine.pk, "title": "=危险", "amount": "12.5"})
    opportunity_create(actor=org.actor("sales1"), data={"customer_id": mine.pk, "title": "小单", "amount": "1"})
    opportunity_create(actor=org.actor("sales2"), data={"customer_id": theirs.pk, "title": "别人的"})
    rows = csv_rows(ApiClient(org["manager1"]).get("/exports/opportunities", format="csv"))
    assert rows[0][:5] == ["机会名称", "客户名称", "阶段", "赢率（%）", "预计金额"]
    assert {r[0] for r in rows[1:]} == {"'=危险", "小单", "别人的"}
    big = csv_rows(ApiClient(org["manager1"]).get("/exports/opportunities", format="csv", amount_min="10"))
    assert [(r[0], r[4], r[5]) for r in big[1:]] == [("'=危险", "12.50", "1.25")]
    assert ApiClient(org["sales1"]).get("/exports/opportunities", format="csv").status_code == 403  # no export right
    assert ApiClient(org["manager1"]).get("/exports/opportunities", amount_min="x").status_code == 422
    web = ApiClient(org["manager1"]).client
    web.force_login(org["manager1"])
    assert web.get("/imports/export/opportunities/?format=xlsx").status_code == 200
