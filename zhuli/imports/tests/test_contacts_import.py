"""Contacts through the importer (POST /api/v1/imports/contacts, the wizard) and the exporter."""
from __future__ import annotations

import csv
import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhuli.api.testing import BASE, ApiClient
from zhuli.audit.models import AuditEvent
from zhuli.customers.models import Contact
from zhuli.customers.services import contact_create, customer_create
from zhuli.imports.models import ImportJob
from zhuli.onboarding.selectors import import_templates
from zhuli.tenancy.context import tenant_context

from .helpers import csv_bytes, read_xlsx, xlsx

HEADER = ["客户名称", "姓名", "性别", "职务", "手机", "邮箱", "生日", "联系人类型", "备注"]


def post(api: ApiClient, rows: list[list[str]], header=HEADER, **fields):
    content = csv_bytes([header, *rows])
    return api.client.post(f"{BASE}/imports/contacts", {"file": SimpleUploadedFile("联系人.csv", content), **fields})


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def customer(org, who: str, name: str, **data):
    return customer_create(actor=org.actor(who), data={"kind": "enterprise", "name": name, **data}).customer


def errors_of(body) -> dict:
    return {(e["row"], e["column"]): e["message"] for e in body["errors"]}


def test_import_creates_contacts_on_visible_customers_through_the_service(org):
    first = customer(org, "sales1", "深圳市甲科技有限公司")
    second = customer(org, "sales1", "乙贸易（上海）有限公司", number="KH-0042")
    response = post(ApiClient(org["sales1"]), [
        ["深圳市甲科技有限公司", "张三", "男", "采购经理", "138-0013-8000", "zs@example.com", "1985-06-18", "首要联系人",
         "老客户"],
        ["深圳市甲科技 有限公司", "李四", "女士", "", "", "", "", "", ""],  # a space: the same 查重 key
        ["乙贸易(上海)有限公司", "王五", "", "", "", "", "", "离职", ""],  # half-width brackets
        ["KH-0042", "赵六", "", "", "", "", "", "联系人", ""],  # by customer number
        ["", "", "", "", "", "", "", "", ""],
    ])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["skipped"], body["errors"]) == (4, 0, 0, [])
    zhang = Contact.objects.get(name="张三")
    assert (zhang.customer_id, zhang.gender, zhang.title, zhang.mobile, zhang.email, zhang.birthday) == (
        first.pk, "male", "采购经理", "138-0013-8000", "zs@example.com", datetime.date(1985, 6, 18))
    assert (zhang.is_primary, zhang.has_left, zhang.remarks) == (True, False, "老客户")
    assert Contact.objects.get(name="李四").customer_id == first.pk
    wang, zhao = Contact.objects.get(name="王五"), Contact.objects.get(name="赵六")
    assert (wang.customer_id, wang.has_left, wang.is_primary, zhao.customer_id) == (second.pk, True, False, second.pk)
    assert AuditEvent.objects.filter(action="contact.create").count() == 4


def test_duplicates_skip_update_or_create(org):
    acme = customer(org, "boss", "甲公司")
    contact_create(actor=org.actor("boss"), customer_id=acme.pk, data={"name": "张三", "mobile": "13800138000"})
    contact_create(actor=org.actor("boss"), customer_id=acme.pk, data={"name": "李四"})
    api = ApiClient(org["boss"])
    rows = [
        ["甲公司", "张三", "", "总经理", "138 0013 8000", "", "", "", ""],  # same mobile digits: duplicate
        ["甲公司", "张三", "", "", "13900000000", "", "", "", ""],  # another mobile: another 张三
        ["甲公司", "李四", "", "财务", "13700000000", "", "", "", ""],  # existing has no mobile: duplicate
        ["甲公司", "王五", "", "", "", "", "", "", ""],
        ["甲公司", "王五", "", "", "", "", "", "", ""],  # an earlier row of the file
    ]
    body = post(api, rows).json()
    assert (body["created"], body["updated"], body["skipped"], body["errors"]) == (2, 0, 3, [])
    assert Contact.objects.filter(name="张三").count() == 2 and Contact.objects.get(name="李四").title == ""

    body = post(api, rows[:1] + rows[2:3], on_duplicate="update").json()
    assert (body["created"], body["updated"], body["skipped"]) == (0, 2, 0)
    zhang = Contact.objects.get(name="张三", mobile="13800138000")
    li = Contact.objects.get(name="李四")
    assert (zhang.title, zhang.mobile, li.title, li.mobile) == ("总经理", "13800138000", "财务", "13700000000")
    assert AuditEvent.objects.filter(action="contact.update").count() == 2

    body = post(api, rows[2:3], on_duplicate="create").json()
    assert (body["created"], body["skipped"]) == (1, 0) and Contact.objects.filter(name="李四").count() == 2


def test_unknown_or_invisible_customer_is_a_row_error_and_nothing_is_created(org, other_org):
    customer(org, "sales1", "我的客户")
    customer(org, "sales4", "同事的客户")  # another department's salesperson: outside sales1's scope
    with tenant_context(other_org.tenant):
        customer(other_org, "sales1", "别家的客户")
    response = post(ApiClient(org["sales1"]), [
        ["同事的客户", "甲", "", "", "", "", "", "", ""],
        ["别家的客户", "乙", "", "", "", "", "", "", ""],
        ["不存在的客户", "丙", "", "", "", "", "", "", ""],
        ["", "丁", "", "", "", "", "", "", ""],
        ["我的客户", "", "", "", "", "", "", "", ""],
    ])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["skipped"], body["failed"]) == (0, 0, 5)
    errors = errors_of(body)
    unknown = "找不到客户“%s”（须是您可见的客户名称或客户编号）"
    assert errors[(2, "客户名称")] == unknown % "同事的客户"
    assert errors[(3, "客户名称")] == unknown % "别家的客户"
    assert errors[(4, "客户名称")] == unknown % "不存在的客户"
    assert errors[(5, "客户名称")] == "客户名称不能为空"
    assert errors[(6, "姓名")] == "联系人姓名不能为空"
    assert not Contact.objects.exists()


def test_dry_run_writes_nothing_and_bad_cells_name_their_column(org):
    customer(org, "sales1", "甲公司")
    api = ApiClient(org["sales1"])
    body = post(api, [["甲公司", "张三", "", "", "", "", "", "", ""]], dry_run="true").json()
    assert (body["created"], body["dry_run"]) == (1, True)
    assert not Contact.objects.exists() and not AuditEvent.objects.filter(action="contact.create").exists()

    future = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    body = post(api, [
        ["甲公司", "坏生日", "", "", "", "", "1985-02-30", "", ""],
        ["甲公司", "未来生日", "", "", "", "", future, "", ""],
        ["甲公司", "坏性别", "未知", "", "", "", "", "", ""],
        ["甲公司", "坏类型", "", "", "", "", "", "老板", ""],
        ["甲公司", "坏邮箱", "", "", "", "not-an-email", "", "", ""],
        ["甲公司", "坏手机", "", "", "abc", "", "", "", ""],
    ]).json()
    errors = errors_of(body)
    assert body["created"] == 0 and set(errors) == {(2, "生日"), (3, "生日"), (4, "性别"), (5, "联系人类型"),
                                                   (6, "邮箱"), (7, "手机")}
    assert "日期" in errors[(2, "生日")] and errors[(3, "生日")] == "生日不在合理范围内"
    assert not Contact.objects.exists()


def test_export_round_trip_bom_and_formula_escaping(org):
    acme = customer(org, "boss", "甲公司", number="KH-1")
    contact_create(actor=org.actor("boss"), customer_id=acme.pk, data={
        "name": "=张三", "gender": "female", "mobile": "+86 138 0013 8000", "birthday": datetime.date(1990, 1, 2),
        "is_primary": True, "remarks": "@备注"})
    contact_create(actor=org.actor("boss"), customer_id=acme.pk, data={"name": "李四", "has_left": True})
    other = customer(org, "boss", "乙公司")
    contact_create(actor=org.actor("boss"), customer_id=other.pk, data={"name": "王五"})
    api = ApiClient(org["boss"])
    rows = csv_rows(api.get("/exports/contacts", format="csv", customer=str(acme.pk), sort="name"))
    header = rows[0]
    assert header[:4] == ["客户名称", "客户编号", "姓名", "性别"] and len(rows) == 3
    by_name = {r[2]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    zhang = by_name["'=张三"]
    assert (zhang["客户编号"], zhang["性别"], zhang["手机"], zhang["生日"], zhang["联系人类型"], zhang["备注"]) == (
        "KH-1", "女", "'+86 138 0013 8000", "1990-01-02", "首要联系人", "'@备注")
    assert by_name["李四"]["联系人类型"] == "离职"

    exported = api.get("/exports/contacts", format="xlsx", q="李四")
    assert exported.status_code == 200
    sheet = read_xlsx(b"".join(exported.streaming_content) if exported.streaming else exported.content)
    assert [r[2] for r in sheet[1:]] == ["李四"]
    # The file imports back: every row is a duplicate of itself; as new customers' contacts they are created.
    content = xlsx(sheet)
    response = api.client.post(f"{BASE}/imports/contacts", {"file": SimpleUploadedFile("导出.xlsx", content)})
    assert response.json()["skipped"] == 1
    third = customer(org, "boss", "丙公司")
    sheet[1][0] = "丙公司"
    response = api.client.post(f"{BASE}/imports/contacts", {"file": SimpleUploadedFile("导出.xlsx", xlsx(sheet))})
    assert response.json()["created"] == 1
    copy = Contact.objects.get(customer=third)
    assert (copy.name, copy.has_left, copy.is_primary) == ("李四", True, False)

    assert api.get("/exports/contacts", format="csv", customer="x").status_code == 422
    assert ApiClient(org["sales1"]).get("/exports/contacts", format="csv").status_code == 403


def test_export_keeps_to_the_actors_scope(org):
    mine = customer(org, "sales1", "我的客户")
    theirs = customer(org, "sales4", "同事的客户")
    contact_create(actor=org.actor("sales1"), customer_id=mine.pk, data={"name": "我的联系人"})
    contact_create(actor=org.actor("sales4"), customer_id=theirs.pk, data={"name": "同事的联系人"})
    rows = csv_rows(ApiClient(org["manager1"]).get("/exports/contacts", format="csv"))
    assert [r[2] for r in rows[1:]] == ["我的联系人"]


def test_api_answers_counts_within_a_query_budget(org, django_assert_max_num_queries):
    acme = customer(org, "boss", "甲公司")
    api = ApiClient(org["boss"])
    rows = [["甲公司", f"联系人{i}", "", "", f"1380000{i:04d}", "", "", "", ""] for i in range(20)]
    with django_assert_max_num_queries(20 * 7 + 20):  # one contact_create a row (7 queries) plus the file's own
        response = post(api, rows)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["skipped"], body["failed"]) == (20, 0, 0, 0)
    assert acme.contacts.count() == 20
    assert ImportJob.objects.get(pk=body["id"]).resource == "contacts"
    assert post(api, rows, on_duplicate="bogus").status_code == 422
    assert post(api, rows, header=["客户", "职务"]).status_code == 422  # no 姓名 column


def test_wizard_template_and_onboarding_checklist(org):
    web = Client()
    web.force_login(org["sales1"])
    page = web.get("/imports/", {"resource": "contacts"}).content.decode()
    assert "导入联系人" in page and 'data-zl-import-help="contacts"' in page
    assert "跳过重复联系人" in page and "重复客户" not in page
    template = web.get("/imports/template/contacts/")
    assert template.status_code == 200
    rows = read_xlsx(template.content)
    assert rows[0][:2] == ["客户名称", "姓名"] and rows[1][:2] == ["深圳市示例科技有限公司", "张三"]
    assert "联系人类型" in rows[0] and "首要联系人" in rows[1]
    keys = [t["key"] for t in import_templates(actor=org.actor("sales1"))]
    assert "contacts" in keys
    assert [t["template_url"] for t in import_templates(actor=org.actor("boss")) if t["key"] == "contacts"] == [
        "/imports/template/contacts/"]
    assert web.get("/imports/export/contacts/", {"format": "csv"}).status_code == 403

    customer(org, "sales1", "甲公司")
    upload = SimpleUploadedFile("联系人.csv", csv_bytes([["公司名称", "联系人姓名", "手机号"], ["甲公司", "张三", "138"]]))
    response = web.post("/imports/", {"resource": "contacts", "file": upload, "on_duplicate": "skip"})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.get(resource="contacts")
    mapping = web.get(f"/imports/{job.pk}/mapping/")
    assert mapping.status_code == 200 and "导入联系人：选择列对应" in mapping.content.decode()
    assert "更新已有联系人" in mapping.content.decode()
    assert job.dry_run and not Contact.objects.exists()
