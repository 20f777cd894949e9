"""Importing customers straight into a pool (公海): the API form field `pool`, the web wizard's 导入到 option and
`import_customers --pool`. Only roles that may transfer customers; a bad pool id is a clear 422, nothing saved."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from zhuli.api.testing import BASE, ApiClient
from zhuli.customers.models import Customer
from zhuli.customers.services import pool_create, pool_default
from zhuli.imports.models import ImportJob
from zhuli.tenancy.context import tenant_context

from .helpers import csv_bytes

CONTENT = csv_bytes([["客户名称", "联系人", "手机"], ["甲公司", "", ""], ["乙公司", "王五", "13800000000"],
                     ["丙公司", "", ""]])


def post_file(api: ApiClient, content: bytes = CONTENT, **fields):
    return api.client.post(f"{BASE}/imports/customers", {"file": SimpleUploadedFile("客户.csv", content), **fields})


def test_api_import_into_a_pool(org):
    team = pool_create(actor=org.actor("admin"), data={"name": "展会线索"})
    body = post_file(ApiClient(org["manager1"]), pool=str(team.pk)).json()
    assert body["created"] == 3, body
    rows = list(Customer.objects.values_list("owner_id", "pool_id", "department_id"))
    assert rows == [(None, team.pk, None)] * 3  # both the batch path and the per-row path (with a contact)
    assert all(c.pooled_at and c.owned_since is None for c in Customer.objects.all())


def test_api_import_into_a_pool_refusals(org, other_org):
    with tenant_context(other_org.tenant):
        foreign = pool_default().pk
    response = post_file(ApiClient(org["sales1"]), pool=str(pool_default().pk))
    assert response.status_code == 403
    for bad in (str(foreign), "99999999", "abc"):
        response = post_file(ApiClient(org["manager1"]), pool=bad)
        assert response.status_code == 422, bad
        assert response.json()["errors"]["pool"] == ["公海不存在"]
    assert Customer.objects.count() == 0 and ImportJob.objects.count() == 0


def test_the_wizard_offers_pools_to_managers_and_keeps_it_through_confirm(client, org):
    team = pool_create(actor=org.actor("admin"), data={"name": "展会线索"})
    client.force_login(org["sales1"])
    assert 'name="pool"' not in client.get(reverse("imports:upload")).content.decode()
    client.force_login(org["manager1"])
    assert "公海：展会线索" in client.get(reverse("imports:upload")).content.decode()
    response = client.post(reverse("imports:upload"), {"file": SimpleUploadedFile("客户.csv", CONTENT),
                                                       "on_duplicate": "skip", "pool": team.pk})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.pool == team and job.owner is None
    client.post(reverse("imports:mapping", args=[job.pk]), {"col_0": "name", "col_1": "contact_name",
                                                            "col_2": "contact_mobile", "on_duplicate": "skip"})
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert set(Customer.objects.values_list("owner_id", "pool_id")) == {(None, team.pk)}
    assert Customer.objects.count() == 3


def test_command_pool_option(org, tmp_path):
    pool_create(actor=org.actor("admin"), data={"name": "展会线索"})
    path = tmp_path / "客户.csv"
    path.write_bytes(CONTENT)
    out = io.StringIO()
    call_command("import_customers", str(path), "--tenant", "tenant-a", "--owner", "boss@tenant-a.test",
                 "--pool", "展会线索", stdout=out, stderr=io.StringIO())
    assert "created 3" in out.getvalue()
    assert set(Customer.objects.values_list("owner_id", "pool__name")) == {(None, "展会线索")}
    with pytest.raises(CommandError, match="no pool"):
        call_command("import_customers", str(path), "--tenant", "tenant-a", "--owner", "boss@tenant-a.test",
                     "--pool", "没有这个公海", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="权限"):
        call_command("import_customers", str(path), "--tenant", "tenant-a", "--owner", "sales1@tenant-a.test",
                     "--pool", str(pool_default().pk), stdout=io.StringIO(), stderr=io.StringIO())


def test_only_pools_the_importer_sees(client, org, tmp_path):
    """manager1 neither belongs to nor oversees the 二部 pool: the API, the wizard and the CLI answer as for an
    unknown pool and write nothing; manager2 (who oversees it) may import into it."""
    default = pool_default()
    team2 = pool_create(actor=org.actor("admin"), data={"name": "二部公海",
                                                          "department_ids": [org.department("销售二部").pk]})
    response = post_file(ApiClient(org["manager1"]), pool=str(team2.pk))
    assert response.status_code == 422 and response.json()["errors"]["pool"] == ["公海不存在"]
    client.force_login(org["manager1"])
    page = client.get(reverse("imports:upload")).content.decode()
    assert "公海：二部公海" not in page and f"公海：{default.name}" in page
    response = client.post(reverse("imports:upload"), {"file": SimpleUploadedFile("客户.csv", CONTENT),
                                                       "on_duplicate": "skip", "pool": team2.pk})
    assert response.status_code == 200
    path = tmp_path / "客户.csv"
    path.write_bytes(CONTENT)
    for pool in (str(team2.pk), "二部公海"):
        with pytest.raises(CommandError, match="no pool"):
            call_command("import_customers", str(path), "--tenant", "tenant-a", "--owner", "manager1@tenant-a.test",
                         "--pool", pool, stdout=io.StringIO(), stderr=io.StringIO())
    assert Customer.objects.count() == 0 and ImportJob.objects.count() == 0
    body = post_file(ApiClient(org["manager2"]), pool=str(team2.pk)).json()
    assert body["created"] == 3, body
    assert set(Customer.objects.values_list("owner_id", "pool_id")) == {(None, team2.pk)}
