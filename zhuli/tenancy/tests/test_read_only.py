"""An expired account is read-only (issue 5 part 5): users log in, read and export; every write is refused at
the services' permission door (access.scoping.require / require_writable), whoever calls — web, API, import,
CLI. Converting it back to formal restores writes."""
import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD
from zhuli.access.services import permission_set
from zhuli.accounts.models import User
from zhuli.accounts.services import password_change, user_create
from zhuli.activities.services import followup_create
from zhuli.api.testing import ApiClient
from zhuli.core.errors import Forbidden
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_create, customer_release
from zhuli.imports.models import ImportJob, ImportStatus
from zhuli.imports.services import import_run_background
from zhuli.tenancy.models import Tenant, TenantKind, TenantStatus
from zhuli.tenancy.services import tenant_convert_to_formal, tenant_profile_update

pytestmark = pytest.mark.django_db

TRIAL_MESSAGE = "试用已到期，帐户为只读。请联系我们转为正式帐户；您仍可导出数据"


@pytest.fixture
def expired(org):
    """tenant-a as a trial that ended yesterday, with one customer of sales1 from before."""
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "到期前的客户"}).customer
    Tenant.objects.filter(pk=org.tenant.pk).update(
        kind=TenantKind.TRIAL, status=TenantStatus.EXPIRED, trial_ends_on=timezone.localdate() - datetime.timedelta(days=1),
        expired_on=timezone.localdate())
    org.tenant.refresh_from_db()
    for user in org.values():
        user.tenant = org.tenant
    org.customer = customer
    return org


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_services_refuse_every_write_with_the_read_only_message(expired):
    org = expired
    calls = [
        lambda: customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "新客户"}),
        lambda: followup_create(actor=org.actor("sales1"), customer_id=org.customer.pk, data={"content": "拜访"}),
        lambda: customer_release(actor=org.actor("sales1"), customer_ids=[org.customer.pk], reason="不跟了"),
        lambda: user_create(actor=org.actor("admin"), data={"name": "新人", "email": "new@a.test", "password": PASSWORD}),
        lambda: tenant_profile_update(actor=org.actor("admin"), data={"name": "改名"}),
        lambda: permission_set(actor=org.actor("admin"), role="sales", module="customers", scope="all",
                               actions={"view"}),
    ]
    for call in calls:
        with pytest.raises(Forbidden) as info:
            call()
        assert info.value.message == TRIAL_MESSAGE and info.value.code == "read_only"
    assert list(Customer.objects.values_list("name", "owner_id")) == [("到期前的客户", org["sales1"].pk)]
    assert not User.objects.filter(email="new@a.test").exists()
    assert Tenant.objects.get(pk=org.tenant.pk).name == "tenant-a公司"


def test_a_formal_account_past_its_paid_day_says_renew(org):
    Tenant.objects.filter(pk=org.tenant.pk).update(status=TenantStatus.EXPIRED, service_ends_on=datetime.date(2025, 1, 1))
    org["sales1"].refresh_from_db()
    with pytest.raises(Forbidden, match="服务已到期，帐户为只读。请联系我们续费"):
        customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "新客户"})


def test_the_web_reads_and_exports_but_refuses_writes(expired):
    client = web(expired["sales1"])
    listing = client.get("/customers/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert TRIAL_MESSAGE in html and "data-zl-read-only" in html and "到期前的客户" in html
    assert 'href="/customers/new/"' not in html  # the buttons that write are gone
    assert client.get(f"/customers/{expired.customer.pk}/").status_code == 200
    export = web(expired["boss"]).get("/imports/export/customers/", {"format": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert "到期前的客户" in body.decode("utf-8-sig")
    form = client.get("/customers/new/")
    assert form.status_code == 403 and TRIAL_MESSAGE in form.content.decode() and "帐户为只读" in form.content.decode()
    posted = client.post("/customers/new/", {"kind": "enterprise", "name": "网页新客户"})
    assert posted.status_code == 403 and TRIAL_MESSAGE in posted.content.decode()
    htmx = client.post(f"/customers/{expired.customer.pk}/edit/", {"kind": "enterprise", "name": "改名"},
                       HTTP_HX_REQUEST="true")
    assert htmx.status_code == 403 and htmx.content.decode() == TRIAL_MESSAGE
    assert list(Customer.objects.values_list("name", flat=True)) == ["到期前的客户"]


def test_logout_language_and_own_password_still_work(expired):
    user = expired["sales1"]
    client = web(user)
    assert client.post("/language/", {"language": "en"}).status_code == 302
    password_change(user=User.objects.get(pk=user.pk), old_password=PASSWORD, new_password="Another-Passw0rd-2")
    assert client.post("/logout/").status_code == 302
    assert Client().post("/login/", {"login": user.email, "password": "Another-Passw0rd-2"}).status_code == 302


def test_the_api_reads_and_exports_but_refuses_writes(expired):
    api = ApiClient(expired["sales1"])
    assert api.get("/customers").json()["count"] == 1
    assert api.get(f"/customers/{expired.customer.pk}").status_code == 200
    assert api.get("/exports/customers", format="csv").status_code == 403  # sales may not export, as before
    assert ApiClient(expired["boss"]).get("/exports/customers", format="csv").status_code == 200
    refused = api.post("/customers", {"kind": "enterprise", "name": "接口新客户"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": TRIAL_MESSAGE, "code": "read_only"}
    assert api.patch(f"/customers/{expired.customer.pk}", {"name": "改名"}).status_code == 403
    assert api.delete(f"/customers/{expired.customer.pk}").status_code == 403
    upload = api.client.post("/api/v1/imports/customers", {"file": _csv_upload()})
    assert upload.status_code == 403 and upload.json()["code"] == "read_only"
    assert list(Customer.objects.values_list("name", flat=True)) == ["到期前的客户"]


def _csv_upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("c.csv", "客户名称\n导入的客户\n".encode("utf-8-sig"), content_type="text/csv")


def test_an_import_queued_before_expiry_fails_in_the_worker(org):
    job = ImportJob.objects.create(file="imports/none.csv", original_name="c.csv", created_by=org["sales1"],
                                   owner=org["sales1"], resource="customers")
    Tenant.objects.filter(pk=org.tenant.pk).update(status=TenantStatus.EXPIRED)
    assert import_run_background(job_id=job.pk, tenant_id=org.tenant.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "只读" in job.message


def test_the_import_command_is_refused(expired, tmp_path):
    path = Path(tmp_path) / "c.csv"
    path.write_text("客户名称\n命令行客户\n", encoding="utf-8-sig")
    with pytest.raises(CommandError, match="只读"):
        call_command("import_customers", str(path), "--tenant", expired.tenant.code, "--owner",
                     expired["sales1"].email, stdout=StringIO(), stderr=StringIO())
    assert not Customer.objects.filter(name="命令行客户").exists()


def test_converting_restores_writes(expired):
    operator = User.objects.create_superuser("ops@platform.test", PASSWORD)
    api = ApiClient(expired["sales1"])
    assert api.post("/customers", {"kind": "enterprise", "name": "转正后的客户"}).status_code == 403
    tenant_convert_to_formal(operator=operator, tenant=expired.tenant, max_users=50, max_bosses=3)
    assert api.post("/customers", {"kind": "enterprise", "name": "转正后的客户"}).status_code == 201
    page = web(expired["sales1"]).get("/customers/").content.decode()
    assert TRIAL_MESSAGE not in page and 'href="/customers/new/"' in page
