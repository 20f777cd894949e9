"""The web wizard (upload → mapping → preview → import → result), the template and the export link."""
from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhuli.core.registry import menu_entries
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create
from zhuli.imports.models import ImportJob, ImportStatus

from .helpers import csv_bytes, read_xlsx


@pytest.fixture
def boss_client(client, org):
    client.force_login(org["boss"])
    return client


CONTENT = csv_bytes([
    ["公司全称", "公司简称", "无关的列", "统一社会信用代码"],
    ["甲公司", "甲", "x", ""],
    ["乙公司", "乙", "y", "123"],
    ["丙公司", "丙", "z", ""],
])


def test_menu_entry_is_registered():
    entry = menu_entries.get("imports.customers")
    assert entry.url_name == "imports:upload" and entry.module == "customers" and entry.icon == "upload"
    assert reverse(entry.url_name) == "/imports/"


def test_the_whole_wizard(boss_client, org):
    page = boss_client.get(reverse("imports:upload"))
    assert page.status_code == 200
    assert reverse("imports:template", args=["customers"]) in page.content.decode()

    response = boss_client.post(reverse("imports:upload"),
                                {"file": SimpleUploadedFile("客户.csv", CONTENT), "on_duplicate": "skip"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:mapping", args=[job.pk])
    assert job.dry_run and job.status == ImportStatus.PENDING

    mapping = boss_client.get(response["Location"])
    html = mapping.content.decode()
    assert mapping.status_code == 200
    assert re.search(r'name="col_0"[^>]*>.*?<option value="name" selected>', html, re.S)
    assert re.search(r'name="col_2"[^>]*>\s*<option value="" selected>', html, re.S)

    form = {"col_0": "name", "col_1": "short_name", "col_2": "", "col_3": "credit_code", "on_duplicate": "skip"}
    response = boss_client.post(reverse("imports:mapping", args=[job.pk]), form)
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", args=[job.pk])
    preview = boss_client.get(response["Location"])
    html = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-count="created">2<' in html and 'data-count="failed">1<' in html
    assert "统一社会信用代码无效" in html and ">3<" in html  # row 3, its column and why
    assert Customer.objects.count() == 0  # a preview saves nothing

    response = boss_client.post(reverse("imports:confirm", args=[job.pk]))
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("imports:job", args=[real.pk])
    result = boss_client.get(response["Location"]).content.decode()
    assert 'data-count="created">2<' in result
    assert reverse("imports:errors_file", args=[real.pk]) in result and "下载失败行" in result
    assert set(Customer.objects.values_list("short_name", flat=True)) == {"甲", "丙"}

    failed = boss_client.get(reverse("imports:errors_file", args=[real.pk]))
    assert failed.status_code == 200 and read_xlsx(failed.content)[1][0] == "乙公司"

    # A second click on 确认导入 imports nothing twice; the preview now links to the result.
    again = boss_client.post(reverse("imports:confirm", args=[job.pk]), headers={"referer": f"/imports/{job.pk}/"})
    assert again.status_code == 302 and ImportJob.objects.count() == 2
    assert reverse("imports:job", args=[real.pk]) in boss_client.get(f"/imports/{job.pk}/").content.decode()
    assert boss_client.get(reverse("imports:mapping", args=[job.pk]))["Location"] == f"/imports/{job.pk}/"


def test_mapping_without_a_name_column_is_refused_on_the_form(boss_client):
    boss_client.post(reverse("imports:upload"), {"file": SimpleUploadedFile("客户.csv", CONTENT), "on_duplicate": "skip"})
    job = ImportJob.objects.get()
    response = boss_client.post(reverse("imports:mapping", args=[job.pk]),
                                {"col_0": "", "col_1": "short_name", "on_duplicate": "skip"})
    assert response.status_code == 200
    assert "没有找到“客户名称”列" in response.content.decode()


def test_a_bad_upload_shows_the_reason_on_the_form(boss_client):
    response = boss_client.post(reverse("imports:upload"),
                                {"file": SimpleUploadedFile("客户.csv", b"\x89PNG\r\n\x1a\n\x00\x00"), "on_duplicate": "skip"})
    assert response.status_code == 200
    assert "无法识别的文件格式" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_progress_polls_until_done_then_reloads(boss_client, org, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_SYNC_MAX_ROWS = 1
    boss_client.post(reverse("imports:upload"), {"file": SimpleUploadedFile("客户.csv", CONTENT), "on_duplicate": "skip"})
    job = ImportJob.objects.get()
    form = {"col_0": "name", "col_1": "short_name", "on_duplicate": "skip"}
    boss_client.post(reverse("imports:mapping", args=[job.pk]), form)  # queued: the commit never comes here
    page = boss_client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'class="progress"' in page
    partial = boss_client.get(reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in partial.content.decode()

    from zhuli.imports.services import import_run

    import_run(actor=org.actor("boss"), job_id=job.pk)
    done = boss_client.get(reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_template_download(boss_client):
    response = boss_client.get(reverse("imports:template", args=["customers"]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    header, example = read_xlsx(response.content)[:2]
    assert header[0] == "客户名称" and "联系人" in header and "下次跟进日期" in header
    assert example[header.index("外部编码")] == "000001"


def test_others_cannot_open_my_import(client, org, boss_client):
    boss_client.post(reverse("imports:upload"), {"file": SimpleUploadedFile("客户.csv", CONTENT), "on_duplicate": "skip"})
    job = ImportJob.objects.get()
    client.force_login(org["sales1"])
    for name in ("imports:job", "imports:mapping", "imports:progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_roles_without_create_cannot_open_the_upload_page(client, org):
    client.force_login(org["finance"])
    assert client.get(reverse("imports:upload")).status_code == 403


def test_web_export_uses_the_list_filters(boss_client, org):
    boss = org.actor("boss")
    customer_create(actor=boss, data={"kind": "enterprise", "name": "企业甲"})
    customer_create(actor=boss, data={"kind": "individual", "name": "个人乙"})
    response = boss_client.get(reverse("imports:export_customers"), {"format": "csv", "kind": "individual"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "个人乙" in text and "企业甲" not in text


def test_web_export_without_permission_is_403(client, org):
    client.force_login(org["sales1"])
    assert client.get(reverse("imports:export_customers"), {"format": "csv"}).status_code == 403
