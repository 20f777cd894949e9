"""The import pipeline through its services: the shared real file, duplicates, dry runs, row errors."""
from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhuli.activities.models import Todo
from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput, TooLarge
from zhuli.core.models import Region
from zhuli.customers.models import Contact, Customer
from zhuli.customers.services import customer_create
from zhuli.imports.models import ImportJob, ImportStatus
from zhuli.imports.readers import read_table
from zhuli.imports.services import (
    import_error_file,
    import_job_create,
    import_preview,
    import_run,
    import_start,
)
from zhuli.preferences.models import DictionaryItem
from zhuli.tenancy.context import tenant_context

from .helpers import SZSE, SZSE_ROWS, csv_bytes, fixture, read_xlsx, xlsx


def run(actor, content, **options) -> ImportJob:
    job, sheet = import_job_create(actor=actor, resource="customers", file=content, **options)
    return import_start(actor=actor, job_id=job.pk, sheet=sheet)


def szse_head(rows: int) -> bytes:
    """The shared file's header and first `rows` companies."""
    lines = SZSE.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: rows + 1])


def test_shared_file_imports_every_company_with_its_fields(org):
    boss = org.actor("boss")
    job = run(boss, SZSE.read_bytes())

    assert job.status == ImportStatus.DONE
    assert job.counts == {"created": SZSE_ROWS, "updated": 0, "skipped": 0, "failed": 0}
    assert job.errors == [] and job.error_file == ""
    assert job.total == SZSE_ROWS and job.progress == SZSE_ROWS  # the trailing ",,,," row counts nowhere
    assert Customer.objects.count() == SZSE_ROWS
    assert not Customer.objects.exclude(kind="enterprise").exists()
    assert not Customer.objects.exclude(owner=org["boss"]).exists()

    vanke = Customer.objects.select_related("province", "city", "industry").get(external_code="000002")
    assert vanke.name == "万科企业股份有限公司"
    assert vanke.short_name == "万 科Ａ"  # the user's data, not normalised
    assert vanke.address == "广东省深圳市盐田区大梅沙环梅路33号万科中心"
    assert vanke.province == Region.objects.get(name="广东省", level=1)
    assert vanke.city.name == "深圳市" and vanke.city.parent_id == vanke.province.code
    assert vanke.website == "www.vanke.com"
    assert vanke.english_name == "CHINA VANKE CO., LTD"

    pingan = Customer.objects.select_related("industry").get(external_code="000001")
    assert pingan.name == "平安银行股份有限公司"
    assert pingan.industry == DictionaryItem.objects.get(kind="industry", code="J")  # "J 金融业" → the default item
    assert pingan.english_name == "Ping An Bank Co., Ltd."
    assert Customer.objects.filter(external_code__startswith="00").count() > 100  # leading zeros kept
    # Every industry in the file ("C 制造业", "I 信息技术" …) matched a default item by its code.
    assert DictionaryItem.objects.filter(kind="industry").count() == 20
    assert AuditEvent.objects.filter(action="import.customers", target_id=job.pk).count() == 1

    again = run(boss, SZSE.read_bytes())
    assert again.counts == {"created": 0, "updated": 0, "skipped": SZSE_ROWS, "failed": 0}
    assert Customer.objects.count() == SZSE_ROWS


def test_dry_run_commits_nothing_but_counts_the_same(org):
    boss = org.actor("boss")
    content = szse_head(30) + "999999,新公司,新公司股份有限公司,,,,,,,,,,,,,,,,Z 未知行业,\r\n".encode()
    preview = run(boss, content, dry_run=True)
    assert preview.status == ImportStatus.DONE and preview.dry_run
    assert preview.counts == {"created": 31, "updated": 0, "skipped": 0, "failed": 0}
    assert Customer.objects.count() == 0
    assert not DictionaryItem.objects.filter(name="Z 未知行业").exists()  # the added picklist value too
    real = run(boss, content)
    assert real.counts == preview.counts
    assert Customer.objects.count() == 31


def test_update_fills_in_existing_customers(org):
    boss = org.actor("boss")
    run(boss, szse_head(5))
    changed = szse_head(5).replace(b"www.bank.pingan.com", b"www.pingan.example")
    job = run(boss, changed, on_duplicate="update")
    assert job.counts == {"created": 0, "updated": 5, "skipped": 0, "failed": 0}
    assert Customer.objects.count() == 5
    assert Customer.objects.get(external_code="000001").website == "www.pingan.example"


def test_update_of_a_customer_outside_the_scope_is_a_row_error(org):
    customer_create(actor=org.actor("sales2"), data={"kind": "enterprise", "name": "陈的客户有限公司"})
    content = csv_bytes([["客户名称", "电话"], ["陈的客户有限公司", "010-1234567"], ["新客户有限公司", ""]])
    job = run(org.actor("sales1"), content, on_duplicate="update")
    assert job.counts == {"created": 1, "updated": 0, "skipped": 0, "failed": 1}
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"] == "客户名称"
    assert "陈晓红" in job.errors[0]["message"]
    assert Customer.objects.get(name="陈的客户有限公司").phone == ""


def test_duplicates_inside_the_file_are_skipped_too(org):
    content = csv_bytes([["客户名称"], ["甲公司"], ["甲 公司"], ["乙公司"]])
    job = run(org.actor("boss"), content)
    assert job.counts == {"created": 2, "updated": 0, "skipped": 1, "failed": 0}


def test_create_forces_duplicates_only_for_roles_allowed_to(org):
    content = csv_bytes([["客户名称"], ["甲公司"], ["甲公司"]])
    boss_job = run(org.actor("boss"), content, on_duplicate="create")
    assert boss_job.counts["created"] == 2
    sales_job = run(org.actor("sales1"), content, on_duplicate="create")
    assert sales_job.counts == {"created": 0, "updated": 0, "skipped": 0, "failed": 2}
    assert {e["column"] for e in sales_job.errors} == {"客户名称"}
    assert Customer.objects.count() == 2


def test_invalid_credit_code_is_a_row_error_and_the_rest_imports(org):
    content = csv_bytes([
        ["公司名称", "统一社会信用代码"],
        ["好公司", "91350100M000100Y43"],
        ["坏公司", "91350100M000100Y44"],
        ["又一家", ""],
    ])
    job = run(org.actor("boss"), content)
    assert job.counts == {"created": 2, "updated": 0, "skipped": 0, "failed": 1}
    assert job.errors == [{"row": 3, "column": "统一社会信用代码", "message": job.errors[0]["message"]}]
    assert "统一社会信用代码无效" in job.errors[0]["message"]
    assert set(Customer.objects.values_list("name", flat=True)) == {"好公司", "又一家"}

    name, content = import_error_file(actor=org.actor("boss"), job_id=job.pk)
    assert name.endswith("失败行.xlsx")
    rows = read_xlsx(content)
    assert rows[0][:3] == ["公司名称", "统一社会信用代码", "错误原因"]
    assert rows[1][:2] == ["坏公司", "91350100M000100Y44"]
    assert rows[1][2].startswith("统一社会信用代码：")


def test_a_row_gets_all_its_errors_at_once_and_blank_rows_count_nowhere(org):
    content = csv_bytes([
        ["客户名称", "统一社会信用代码", "下次跟进日期", "不导入的列"],
        ["甲公司", "123", "明天", ""],
        ["", "", "", "只有这一格"],
        ["乙公司", "", "", ""],
    ])
    job = run(org.actor("boss"), content)
    assert job.counts == {"created": 1, "updated": 0, "skipped": 0, "failed": 1}
    assert {(e["row"], e["column"]) for e in job.errors} == {(2, "下次跟进日期"), (2, "统一社会信用代码")}


def test_a_new_picklist_value_is_added_not_an_error(org):
    content = csv_bytes([["客户名称", "客户来源", "行业", "客户等级"], ["甲公司", "抖音", "X 新兴行业", "A"]])
    job = run(org.actor("boss"), content)
    assert job.counts["created"] == 1 and job.errors == []
    customer = Customer.objects.select_related("source", "industry", "level").get()
    assert customer.source.name == "抖音"
    assert customer.industry.name == "新兴行业" and customer.industry.code == "X"
    assert customer.level.code == "A"  # matched by code


def test_a_value_of_a_deactivated_item_matches_that_item_not_an_error(org):
    """DESIGN §5: matched by code or label, never a row error; deactivated items stay valid on records."""
    boss = org.actor("boss")
    industry = DictionaryItem.objects.get(kind="industry", code="C")
    source = DictionaryItem.objects.get(kind="source", name="展会")
    DictionaryItem.objects.filter(pk__in=[industry.pk, source.pk]).update(is_active=False)
    customer_create(actor=boss, data={"kind": "enterprise", "name": "已有客户有限公司"})
    items_before = DictionaryItem.objects.count()
    content = csv_bytes([
        ["客户名称", "客户来源", "行业", "联系人"],
        ["批量路径有限公司", "展会", "C 制造业", ""],  # a plain row: the batch insert
        ["逐行路径有限公司", "展会", "制造业", "张三"],  # with a contact: through customer_create
        ["已有客户有限公司", "展会", "C", ""],  # an update: through customer_update
    ])
    job = run(boss, content, on_duplicate="update")
    assert job.errors == []
    assert job.counts == {"created": 2, "updated": 1, "skipped": 0, "failed": 0}
    assert DictionaryItem.objects.count() == items_before  # matched, nothing added
    for customer in Customer.objects.all():
        assert (customer.industry_id, customer.source_id) == (industry.pk, source.pk), customer.name
    assert not DictionaryItem.objects.filter(pk=industry.pk, is_active=True).exists()  # still deactivated


def test_xlsx_numbers_dates_contacts_and_owner(org):
    boss = org.actor("boss")
    content = xlsx([
        ["*客户名称", "联系人", "联系人手机", "手机", "下次跟进日期", "负责人", "省份", "城市", "区县"],
        ["甲公司", "张三", 13800138000, None, datetime.date(2030, 1, 15), "王小明", "广东", "深圳", "南山区"],
        ["乙公司", None, None, 13900139000, 47500, "sales2@tenant-a.test", "火星", None, None],
        ["丙公司", None, None, None, "明天吧", "查无此人", None, None, None],
    ])
    job = run(boss, content)
    assert job.counts == {"created": 2, "updated": 0, "skipped": 0, "failed": 1}
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, "下次跟进日期"), (4, "负责人")}

    first = Customer.objects.select_related("province", "city", "district").get(name="甲公司")
    assert first.owner == org["sales1"]
    assert (first.province.name, first.city.name, first.district.name) == ("广东省", "深圳市", "南山区")
    contact = Contact.objects.get(customer=first)
    assert (contact.name, contact.mobile, contact.is_primary) == ("张三", "13800138000", True)
    todo = Todo.objects.get(customer=first)
    assert todo.due_at.astimezone(org.tenant.zone).date() == datetime.date(2030, 1, 15)
    first.refresh_from_db()
    assert first.next_followup_at == todo.due_at

    second = Customer.objects.get(name="乙公司")
    assert second.phone == "13900139000"  # an enterprise's mobile without a contact: the company phone
    assert second.province is None  # unknown region: left empty, the row still imports
    assert second.owner == org["sales2"]
    assert Todo.objects.get(customer=second).due_at.astimezone(org.tenant.zone).date() == datetime.date(2030, 1, 17)


def test_sales_cannot_name_another_owner(org):
    content = csv_bytes([["客户名称", "负责人"], ["甲公司", "陈晓红"], ["乙公司", "王小明"]])
    job = run(org.actor("sales1"), content)
    assert job.counts == {"created": 1, "updated": 0, "skipped": 0, "failed": 1}
    assert job.errors[0]["column"] == "负责人"


@pytest.mark.parametrize("name", ["customers-gb18030.csv", "customers.xls", "customers-html.xls", "customers.ods"])
def test_other_formats_import(org, name):
    job = run(org.actor("boss"), SimpleUploadedFile(name, fixture(name)))
    expected = len(read_table(fixture(name)).rows)
    assert job.counts["created"] == expected and job.errors == []
    assert job.original_name == name
    if name == "customers-gb18030.csv":
        assert Customer.objects.filter(name="张三𡈼").exists()
    if name == "customers-html.xls":
        assert Contact.objects.filter(name="张 三").exists()


def test_individual_customers_by_kind_column(org):
    content = csv_bytes([["客户名称", "客户类型", "性别", "手机", "生日", "行业", "网址"],
                         ["王德生", "个人", "男", "13800138000", "1980-02-03", "C 制造业", "wang.example"],
                         ["某公司", "VIP客户", "", "", "", "", ""]])
    job = run(org.actor("boss"), content)
    assert job.errors == []
    person = Customer.objects.get(name="王德生")
    assert (person.kind, person.gender, person.mobile, person.birthday) == (
        "individual", "male", "13800138000", datetime.date(1980, 2, 3))
    assert person.industry is None and person.remarks == "行业：C 制造业\n网址：wang.example"  # kept, not dropped
    company = Customer.objects.select_related("customer_type").get(name="某公司")
    assert company.kind == "enterprise" and company.customer_type.name == "VIP客户"


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (b"", "file", "文件为空"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "file", "无法识别的文件格式"),
        (csv_bytes([["地址", "电话"], ["某地", "123"]]), "mapping", "客户名称"),
        (csv_bytes([["客户名称"]]), "file", "没有数据行"),
    ],
)
def test_fatal_problems_commit_nothing(org, content, field, message):
    with pytest.raises(InvalidInput) as excinfo:
        import_job_create(actor=org.actor("boss"), resource="customers", file=SimpleUploadedFile("客户.csv", content))
    assert message in excinfo.value.errors[field][0]
    assert ImportJob.objects.count() == 0 and Customer.objects.count() == 0


def test_too_large_is_refused_by_size_and_by_read_bound(org, settings):
    big = b"a" * (settings.IMPORT_MAX_BYTES + 1)
    with pytest.raises(TooLarge):
        import_job_create(actor=org.actor("boss"), resource="customers", file=SimpleUploadedFile("大.csv", big))

    class NoSize:  # a stream that does not say how big it is
        name = "大.csv"

        def __init__(self):
            self.data = big

        def seek(self, _pos):
            pass

        def read(self, n):
            return self.data[:n]

    with pytest.raises(TooLarge):
        import_job_create(actor=org.actor("boss"), resource="customers", file=NoSize())


def test_roles_without_create_cannot_import(org):
    with pytest.raises(Forbidden):
        import_job_create(actor=org.actor("finance"), resource="customers", file=csv_bytes([["客户名称"], ["甲"]]))


def test_preview_maps_headers_and_reports_cell_errors_without_writing(org):
    content = csv_bytes([["公司全称", "公司简称", "A股简称", "下次跟进时间", "行业"], ["甲公司", "甲", "甲A", "不是日期", "新行业"]])
    preview = import_preview(actor=org.actor("boss"), resource="customers", file=content)
    assert preview.mapping == {0: "name", 1: "short_name", 3: "next_followup", 4: "industry"}
    assert preview.errors == [{"row": 2, "column": "下次跟进时间", "message": "日期格式无法识别：不是日期"}]
    assert preview.total == 1 and not DictionaryItem.objects.filter(name="新行业").exists()


def test_job_is_visible_to_its_creator_only(org):
    job = run(org.actor("sales1"), csv_bytes([["客户名称"], ["甲"]]))
    from zhuli.core.errors import NotFound

    with pytest.raises(NotFound):
        import_error_file(actor=org.actor("sales2"), job_id=job.pk)
    with pytest.raises(NotFound):
        import_run(actor=org.actor("boss"), job_id=job.pk)


def test_async_path_runs_the_task_with_the_same_counts(org, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_SYNC_MAX_ROWS = 3
    boss = org.actor("boss")
    with django_capture_on_commit_callbacks(execute=True):
        job = run(boss, szse_head(10))
    assert job.status == ImportStatus.PENDING  # queued, not run in the request
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert job.counts == {"created": 10, "updated": 0, "skipped": 0, "failed": 0}
    assert job.progress == job.total == 10
    assert Customer.objects.count() == 10


def test_background_run_fails_cleanly_when_the_uploader_left(org, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_SYNC_MAX_ROWS = 1
    job, _sheet = import_job_create(actor=org.actor("sales1"), resource="customers", file=szse_head(3))
    org["sales1"].is_active = False
    org["sales1"].save()
    with django_capture_on_commit_callbacks(execute=True):
        import_start(actor=org.actor("sales1"), job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "离职" in job.message
    assert Customer.objects.count() == 0


def test_tenants_stay_apart(org, other_org):
    run(org.actor("boss"), csv_bytes([["客户名称"], ["甲公司"]]))
    with tenant_context(other_org.tenant):
        job = run(other_org.actor("boss"), csv_bytes([["客户名称"], ["甲公司"]]))
        assert job.counts["created"] == 1  # a duplicate only within one tenant
        assert Customer.objects.count() == 1


def _customer_snapshot() -> dict:
    """Every stored field by customer name, with related records by name (ids differ between tenants)."""
    from django.forms.models import model_to_dict

    skip = {"id", "tenant", "created_at", "updated_at", "owned_since", "pooled_at"}
    out = {}
    for customer in Customer.objects.select_related(
            "owner", "department", "created_by", "source", "industry", "level", "status", "customer_type",
            "staff_size", "province", "city", "district"):
        values = {}
        for f in Customer._meta.concrete_fields:
            if f.name in skip:
                continue
            values[f.name] = str(getattr(customer, f.name)) if f.is_relation else getattr(customer, f.name)
        if customer.department and customer.department.depth == 0:
            values["department"] = "root"  # named after the tenant
        assert model_to_dict(customer)  # every field readable
        out[customer.name] = values
    return out


def test_batch_path_equals_service(org, other_org, monkeypatch, caplog):
    """The batch INSERT (CustomerResource.prepare/insert) stores exactly what customer_create stores."""
    from zhuli.imports.resources import CustomerResource

    odd = ["", "", "北京某公司", "", "", "", "", "", "", "", "", "", "", "", "", "", "北京", "北京市", "新行业", "http://x.cn"]
    content = szse_head(40) + csv_bytes([odd])
    extra = csv_bytes([
        ["客户名称", "客户类型", "手机", "电话", "标签", "备注", "统一社会信用代码", "客户来源", "客户等级", "城市", "区县", "负责人"],
        ["甲公司", "企业", "13800138000", "", "重点, 老客户；VIP", "备注\r\n两行", "91350100M000100Y43", "展会", "A", "深圳",
         "南山区", "王小明"],
        ["王德生", "个人", "13900139000", "010-1234567", "", "", "", "新来源", "", "", "", "陈晓红"],
    ])
    for tenant_org, batch in ((org, True), (other_org, False)):
        monkeypatch.setattr(CustomerResource, "batch_inserts", batch)
        with tenant_context(tenant_org.tenant):
            boss = tenant_org.actor("boss")
            assert run(boss, content).counts["failed"] == 0
            assert run(boss, extra).counts == {"created": 2, "updated": 0, "skipped": 0, "failed": 0}
            snapshot = _customer_snapshot()
            audits = AuditEvent.objects.filter(action="customer.create").values_list("target_label", "changes")
            if batch:
                batched, batched_audits = snapshot, sorted(audits)
            else:
                for name, values in snapshot.items():
                    assert {k: v for k, v in values.items() if v != batched[name][k]} == {}, name
                assert snapshot == batched
                assert sorted(audits) == batched_audits
    assert len(batched) == 43
    assert "batch refused" not in caplog.text  # the batches were saved as batches


def test_a_batch_the_database_refuses_is_saved_row_by_row(org, monkeypatch):
    from django.db import IntegrityError

    from zhuli.imports import services

    def refuse(**_kwargs):
        raise IntegrityError("simulated")

    monkeypatch.setattr(services, "customer_rows_insert", refuse)
    job = run(org.actor("boss"), szse_head(12))
    assert job.counts == {"created": 12, "updated": 0, "skipped": 0, "failed": 0}
    assert Customer.objects.count() == 12


def test_update_and_create_see_rows_still_waiting_for_their_batch(org):
    content = csv_bytes([["客户名称", "电话"], ["甲公司", ""], ["乙公司", ""], ["甲公司", "010-7654321"]])
    job = run(org.actor("boss"), content, on_duplicate="update")
    assert job.counts == {"created": 2, "updated": 1, "skipped": 0, "failed": 0}
    assert Customer.objects.get(name="甲公司").phone == "010-7654321"


# ---- customer caps: checked once per file, before any row is written ------------------------------------

@pytest.mark.parametrize("with_contacts", [False, True], ids=["batch path", "row-by-row path"])
def test_an_import_past_the_cap_fails_before_writing(org, with_contacts):
    from zhuli.customers.services import customer_cap_set

    customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "已有的公司"})
    customer_cap_set(actor=org.actor("admin"), role="sales", limit=3)
    header = ["客户名称", "联系人"] if with_contacts else ["客户名称"]
    rows = [[f"导入公司{i}", "张三"] if with_contacts else [f"导入公司{i}"] for i in range(3)]
    before = (Customer.objects.count(), Contact.objects.count(), DictionaryItem.objects.count())
    job = run(org.actor("sales1"), csv_bytes([header, *rows]))
    assert job.status == ImportStatus.FAILED
    assert job.message == "您已有 1 个客户，上限 3；本次导入将新建 3 个，超出上限（最多还能导入 2 个），没有导入任何数据"
    assert (Customer.objects.count(), Contact.objects.count(), DictionaryItem.objects.count()) == before
    # The dry run (the wizard's preview) says the same.
    assert run(org.actor("sales1"), csv_bytes([header, *rows]), dry_run=True).status == ImportStatus.FAILED
    # Duplicates the policy skips, blank rows and rows without a name do not count: 2 new fit.
    rows = [rows[0], rows[1], [""] * len(header), ["已有的公司"] + ([""] if with_contacts else [])]
    job = run(org.actor("sales1"), csv_bytes([header, *rows]))
    assert job.status == ImportStatus.DONE and job.counts["created"] == 2, job.message
    assert Customer.objects.filter(owner=org["sales1"]).count() == 3


def test_an_import_for_named_owners_checks_each_owners_cap(org):
    from zhuli.customers.services import customer_cap_set

    customer_cap_set(actor=org.actor("admin"), user_id=org["sales2"].pk, limit=1)
    name = org["sales2"].name
    content = csv_bytes([["客户名称", "负责人"], ["甲公司", name], ["乙公司", name], ["丙公司", ""]])
    job = run(org.actor("manager1"), content)
    assert job.status == ImportStatus.FAILED
    assert job.message == (f"{org['sales2'].display_name} 已有 0 个客户，上限 1；本次导入将为其新建 2 个，超出上限"
                           "（最多还能导入 1 个），没有导入任何数据")
    assert Customer.objects.count() == 0
    customer_cap_set(actor=org.actor("admin"), user_id=org["sales2"].pk, limit=2)
    job = run(org.actor("manager1"), content)
    assert job.counts["created"] == 3, job.message
    assert Customer.objects.filter(owner=org["sales2"]).count() == 2
