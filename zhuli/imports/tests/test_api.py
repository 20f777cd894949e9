"""POST /api/v1/imports/customers, GET /imports/{id}, the error file and GET /exports/customers."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhuli.access.models import RolePermission
from zhuli.access.roles import Scope
from zhuli.api.testing import BASE, ApiClient
from zhuli.audit.models import AuditEvent
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.imports.models import ImportJob
from zhuli.tenancy.context import tenant_context

from .helpers import SZSE, csv_bytes, read_xlsx


def post_file(api: ApiClient, content: bytes, name: str = "客户.csv", **fields):
    return api.client.post(f"{BASE}/imports/customers", {"file": SimpleUploadedFile(name, content), **fields})


def head(rows: int) -> bytes:
    return b"".join(SZSE.read_bytes().splitlines(keepends=True)[: rows + 1])


def test_sync_import_answers_200_with_counts(org):
    api = ApiClient(org["boss"])
    response = post_file(api, head(20))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done"
    assert (body["created"], body["updated"], body["skipped"], body["errors"]) == (20, 0, 0, [])
    again = post_file(api, head(20), on_duplicate="update", dry_run="true").json()
    assert (again["created"], again["updated"], again["dry_run"]) == (0, 20, True)
    status = api.get(f"/imports/{body['id']}").json()
    assert status["id"] == body["id"] and status["status"] == "done" and status["total"] == 20
    assert status["progress"] == 20 and status["failed"] == 0


def test_row_errors_and_the_error_file(org):
    api = ApiClient(org["boss"])
    content = csv_bytes([["客户名称", "统一社会信用代码"], ["好公司", ""], ["坏公司", "123"]])
    body = post_file(api, content).json()
    assert body["created"] == 1
    assert body["errors"] == [{"row": 3, "column": "统一社会信用代码", "message": body["errors"][0]["message"]}]
    assert body["error_file"].endswith(f"/api/v1/imports/{body['id']}/errors-file")
    response = api.get(f"/imports/{body['id']}/errors-file")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert read_xlsx(response.content)[1][:2] == ["坏公司", "123"]
    # Another user gets the same 404 as for a job that does not exist.
    other = ApiClient(org["sales1"])
    assert other.get(f"/imports/{body['id']}").status_code == 404
    assert other.get(f"/imports/{body['id']}/errors-file").status_code == 404
    assert other.get("/imports/999999").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"on_duplicate": "merge"}, "on_duplicate"), ({"dry_run": "maybe"}, "dry_run")],
)
def test_invalid_options_are_422_naming_the_field(org, fields, field):
    response = post_file(ApiClient(org["boss"]), head(2), **fields)
    assert response.status_code == 422
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "客户.csv", "文件为空"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "客户.csv", "无法识别的文件格式"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "客户.xls", "文件已损坏"),
    ],
)
def test_bad_files_are_422_with_a_clear_message(org, content, name, message):
    response = post_file(ApiClient(org["boss"]), content, name)
    assert response.status_code == 422
    assert message in response.json()["errors"]["file"][0]
    assert ImportJob.objects.count() == 0


def test_missing_file_is_422(org):
    response = ApiClient(org["boss"]).client.post(f"{BASE}/imports/customers", {"on_duplicate": "skip"})
    assert response.status_code == 422 and "file" in response.json()["errors"]


def test_a_50_mb_file_is_413(org):
    response = post_file(ApiClient(org["boss"]), b"a,b\n" * (50 * 1024 * 1024 // 4))
    assert response.status_code == 413
    assert "20 MB" in response.json()["detail"]


def test_big_files_go_async_with_202(org, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_SYNC_MAX_ROWS = 5
    api = ApiClient(org["boss"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(api, head(12))
    assert response.status_code == 202
    job_id = response.json()["id"]
    status = api.get(f"/imports/{job_id}").json()
    assert status["status"] == "done"
    assert (status["created"], status["skipped"], status["failed"], status["total"]) == (12, 0, 0, 12)


def test_import_needs_authentication_and_create_permission(org, client):
    assert client.post(f"{BASE}/imports/customers", {"file": SimpleUploadedFile("a.csv", head(1))}).status_code == 401
    assert post_file(ApiClient(org["finance"]), head(1)).status_code == 403


# ---- exports -----------------------------------------------------------------------------------------


def grant_export(tenant, role: str = "sales") -> None:
    RolePermission.objects.create(tenant=tenant, role=role, module="customers", scope=Scope.OWN, can_view=True,
                                  can_create=True, can_edit=True, can_export=True)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_export_has_a_bom_and_neutralises_formulas(org):
    boss = org.actor("boss")
    for name, phone, address in [("=1+1", "+86 138 0013 8000", "@SUM(A1)"), ("正常公司", "", "-2")]:
        customer_create(actor=boss, data={"kind": "enterprise", "name": name, "phone": phone, "address": address,
                                          "remarks": "\t隐藏"})
    response = ApiClient(org["boss"]).get("/exports/customers", format="csv", sort="id")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E5%AE%A2%E6%88%B7" in disposition
    rows = csv_rows(response)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    second = dict(zip(header, rows[2], strict=True))
    assert first["客户名称"] == "'=1+1"
    assert first["电话"] == "'+86 138 0013 8000"
    assert first["地址"] == "'@SUM(A1)"
    assert second["地址"] == "'-2" and second["备注"] == "隐藏"  # the service already stripped the tab
    assert second["负责人"] == "张总" and second["客户类型"] == "企业客户"
    assert AuditEvent.objects.filter(action="export.customers").count() == 1


def test_xlsx_export_neutralises_too_and_reads_back(org):
    customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": "=HYPERLINK(\"x\")"})
    response = ApiClient(org["boss"]).get("/exports/customers", format="xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = read_xlsx(content)
    assert rows[1][rows[0].index("客户名称")] == "'=HYPERLINK(\"x\")"


def test_export_respects_scope_filters_and_tenant(org, other_org):
    grant_export(org.tenant)
    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "王的客户"})
    customer_create(actor=org.actor("sales1"), data={"kind": "individual", "name": "王的个人客户"})
    customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "陈的客户"})
    with tenant_context(other_org.tenant):
        customer_create(actor=other_org.actor("sales1"), data={"kind": "enterprise", "name": "别家的客户"})
    names = {r[1] for r in csv_rows(ApiClient(org["sales1"]).get("/exports/customers", format="csv"))[1:]}
    assert names == {"王的客户", "王的个人客户"}
    filtered = csv_rows(ApiClient(org["sales1"]).get("/exports/customers", format="csv", kind="individual"))
    assert [r[1] for r in filtered[1:]] == ["王的个人客户"]
    boss_names = {r[1] for r in csv_rows(ApiClient(org["boss"]).get("/exports/customers", format="csv"))[1:]}
    assert boss_names == {"王的客户", "王的个人客户", "陈的客户"}


def test_export_without_permission_is_403(org):
    response = ApiClient(org["sales1"]).get("/exports/customers", format="csv")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export.customers").exists()


@pytest.mark.parametrize(("params", "field"), [({"format": "pdf"}, "format"), ({"status": "x"}, "status")])
def test_export_bad_parameters_are_422(org, params, field):
    response = ApiClient(org["boss"]).get("/exports/customers", **params)
    assert response.status_code == 422 and field in response.json()["errors"]


def test_export_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    boss = org.actor("boss")
    for i in range(30):
        customer_create(actor=boss, data={"kind": "enterprise", "name": f"客户{i}", "industry_id": None})
    api = ApiClient(org["boss"])
    with django_assert_max_num_queries(8):
        response = api.get("/exports/customers", format="csv")
        rows = csv_rows(response)
    assert len(rows) == 31
    assert Customer.objects.count() == 30


def test_an_export_imports_back(org, other_org):
    boss = org.actor("boss")
    customer_create(actor=boss, data={"kind": "enterprise", "name": "往返有限公司", "short_name": "往返",
                                      "external_code": "000123", "province_id": "44", "city_id": "4403"})
    customer_create(actor=boss, data={"kind": "individual", "name": "李四", "mobile": "13800138000"})
    exported = b"".join(ApiClient(org["boss"]).get("/exports/customers", format="xlsx").streaming_content)
    with tenant_context(other_org.tenant):
        body = post_file(ApiClient(other_org["boss"]), exported, "客户.xlsx").json()
        assert (body["created"], body["errors"]) == (2, [])
        back = Customer.objects.select_related("city").get(name="往返有限公司")
        assert (back.short_name, back.external_code, back.city.name) == ("往返", "000123", "深圳市")
        assert Customer.objects.get(name="李四").kind == "individual"


class _CountingStream(io.BytesIO):
    """wsgi.input as a server hands over a de-chunked body: no Content-Length, bytes read are counted."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def post_chunked(api: ApiClient, content: bytes, **fields):
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("客户.csv", content), **fields})
    stream = _CountingStream(body)
    response = api.client.generic("POST", f"{BASE}/imports/customers", b"", CONTENT_TYPE=MULTIPART_CONTENT,
                                  HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": stream})
    return response, stream


def test_a_chunked_upload_without_content_length_is_read(org):
    """Django reads a body only up to Content-Length: a chunked one used to look empty (422 "choose a file")."""
    response, _stream = post_chunked(ApiClient(org["boss"]), csv_bytes([["客户名称"], ["分块上传公司"]]))
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1


def test_a_chunked_upload_over_20_mb_is_413_without_reading_it_all(org, settings):
    with tenant_context(org.tenant):
        before = Customer.objects.count()
    response, stream = post_chunked(ApiClient(org["boss"]), b"a,b\n" * (50 * 1024 * 1024 // 4))
    assert response.status_code == 413
    assert "20 MB" in response.json()["detail"]
    assert stream.bytes_read <= settings.IMPORT_MAX_BYTES + 2 * 1024 * 1024  # stopped at the limit
    with tenant_context(org.tenant):
        assert Customer.objects.count() == before
