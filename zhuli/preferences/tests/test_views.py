"""Settings pages: company profile and logo, permission matrix, data dictionaries."""
import pytest

from zhuli.access.models import RolePermission
from zhuli.audit.models import AuditEvent
from zhuli.customers.selectors import customer_list
from zhuli.customers.services import customer_create
from zhuli.preferences.models import DictionaryItem
from zhuli.preferences.selectors import dictionary_choices
from zhuli.tenancy.models import Tenant
from zhuli.web.tests.helpers import HOSTILE, HOSTILE_ESCAPED, image_bytes, png_bomb, upload

pytestmark = pytest.mark.django_db

SETTINGS_URLS = ["/settings/", "/settings/company/", "/settings/permissions/", "/settings/permissions/?role=boss",
                 "/settings/dictionaries/", "/settings/dictionaries/?kind=industry"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def test_settings_pages_render_for_the_admin(org, client):
    client.force_login(org["admin"])
    for url in SETTINGS_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
    index = client.get("/settings/").content.decode()
    for label in ("公司资料", "用户", "部门", "权限", "数据字典"):
        assert label in index


@pytest.mark.parametrize("key", ["boss", "director", "manager1", "sales1", "finance"])
def test_settings_pages_are_403_for_non_admins(org, client, key):
    client.force_login(org[key])
    for url in SETTINGS_URLS:
        assert client.get(url).status_code == 403, url
    assert client.post("/settings/company/", {"name": "改名", "time_zone": "Asia/Shanghai"}).status_code == 403
    assert client.post("/settings/permissions/", {"role": "sales"}).status_code == 403
    assert client.post("/settings/dictionaries/", {"kind": "source", "name": "新来源"}).status_code == 403
    assert Tenant.objects.get(pk=org.tenant.pk).name == "tenant-a公司"
    assert not DictionaryItem.objects.filter(name="新来源").exists()


# ---- company profile -----------------------------------------------------------------------


def test_company_profile_update(org, client):
    client.force_login(org["admin"])
    response = client.post("/settings/company/", {
        "name": "北京沃力森信息技术有限公司", "address": "北京市海淀区", "phone": "010-62670000",
        "website": "www.xtools.cn", "introduction": "CRM 软件", "time_zone": "Asia/Urumqi"}, follow=True)
    assert "公司资料已保存" in response.content.decode()
    tenant = Tenant.objects.get(pk=org.tenant.pk)
    assert (tenant.name, tenant.time_zone, tenant.website) == ("北京沃力森信息技术有限公司", "Asia/Urumqi", "www.xtools.cn")
    assert "北京沃力森信息技术有限公司" in response.content.decode()  # the header shows the new name
    assert AuditEvent.objects.filter(action="tenant.update").exists()


def test_company_profile_errors_next_to_fields(org, client):
    client.force_login(org["admin"])
    response = client.post("/settings/company/", {"name": "", "time_zone": "Mars/Base"})
    form = response.context["company_form"]
    assert form.errors["name"] and form.errors["time_zone"]
    assert Tenant.objects.get(pk=org.tenant.pk).name == "tenant-a公司"


# ---- logo ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,name,content_type", [("PNG", "logo.png", "image/png"), ("JPEG", "logo.jpg", "image/jpeg"),
                                                   ("WEBP", "logo.webp", "image/webp")])
def test_logo_upload_accepts_real_images_and_reencodes(org, client, media, fmt, name, content_type):
    client.force_login(org["admin"])
    original = image_bytes(fmt) + b"<?php echo 1; ?>"  # trailing junk must not survive re-encoding
    response = client.post("/settings/company/logo/", {"logo": upload(name, original)}, follow=True)
    assert "公司标志已更新" in response.content.decode()
    tenant = Tenant.objects.get(pk=org.tenant.pk)
    assert tenant.logo.startswith(f"logos/{tenant.pk}/") and "logo" not in tenant.logo.rsplit("/", 1)[1]
    stored = (media / tenant.logo).read_bytes()
    assert stored != original and b"<?php" not in stored
    served = client.get(f"/logo/{tenant.logo.rsplit('/', 1)[1]}")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'"
    assert b"".join(served.streaming_content) == stored
    page = client.get("/account/password/").content.decode()
    assert f'src="/logo/{tenant.logo.rsplit("/", 1)[1]}"' in page


def test_logo_replacement_removes_the_old_file(org, client, media, django_capture_on_commit_callbacks):
    client.force_login(org["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/company/logo/", {"logo": upload("a.png", image_bytes("PNG"))})
    first = Tenant.objects.get(pk=org.tenant.pk).logo
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/company/logo/", {"logo": upload("b.png", image_bytes("PNG", size=(10, 10)))})
    second = Tenant.objects.get(pk=org.tenant.pk).logo
    assert first != second
    assert [p.relative_to(media).as_posix() for p in stored_files(media)] == [second]
    assert client.get(f"/logo/{first.rsplit('/', 1)[1]}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/company/logo/clear/")
    assert Tenant.objects.get(pk=org.tenant.pk).logo == "" and stored_files(media) == []


def _big_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (5000, 5000)).save(out, "PNG")
    return out.getvalue()


BAD_LOGOS = {
    "html-named-png": ("logo.png", b"<html><script>alert(1)</script></html>", "只能上传 PNG、JPEG 或 WebP 图片"),
    "php": ("logo.php", b"<?php system($_GET['c']); ?>", "只能上传 PNG、JPEG 或 WebP 图片"),
    "svg": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
            "只能上传 PNG、JPEG 或 WebP 图片"),
    "gif": ("logo.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,"
            b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "只能上传 PNG、JPEG 或 WebP 图片"),
    "truncated-png": ("logo.png", None, "图片已损坏或无法识别"),
    "5000px-png": ("logo.png", None, "图片尺寸过大"),
    "bomb": ("logo.png", None, "图片尺寸过大"),
    "too-big": ("logo.png", None, "文件过大"),
}


@pytest.mark.parametrize("case", sorted(BAD_LOGOS))
def test_bad_logos_are_refused_and_nothing_is_stored(org, client, media, case):
    name, content, message = BAD_LOGOS[case]
    if case == "truncated-png":
        full = image_bytes("PNG", size=(200, 200), noise=True)
        content = full[: len(full) // 2]
    elif case == "5000px-png":
        content = _big_png()
    elif case == "bomb":
        content = png_bomb()
    elif case == "too-big":
        content = image_bytes("PNG") + b"\x00" * (2 * 1024 * 1024)
    client.force_login(org["admin"])
    response = client.post("/settings/company/logo/", {"logo": upload(name, content)})
    assert response.status_code == 200
    errors = response.context["logo_form"].errors["logo"]
    assert any(message in e for e in errors), errors
    assert message in response.content.decode()
    assert Tenant.objects.get(pk=org.tenant.pk).logo == ""
    assert stored_files(media) == []


def test_logo_of_another_tenant_is_not_served(org, other_org, client, media):
    client.force_login(org["admin"])
    client.post("/settings/company/logo/", {"logo": upload("a.png", image_bytes("PNG"))})
    name = Tenant.objects.get(pk=org.tenant.pk).logo.rsplit("/", 1)[1]
    client.force_login(other_org["admin"])
    assert client.get(f"/logo/{name}").status_code == 404
    client.logout()
    assert client.get(f"/logo/{name}").status_code == 302  # login first


# ---- permission matrix ---------------------------------------------------------------------


def matrix_post(client, role: str, overrides: dict[str, tuple[str, list[str]]]):
    page = client.get(f"/settings/permissions/?role={role}")
    data = {"role": role}
    for cell in page.context["cells"]:
        scope, actions = overrides.get(cell.module, (cell.scope, sorted(cell.actions)))
        data[f"{cell.module}-scope"] = scope
        data[f"{cell.module}-actions"] = actions
    return client.post("/settings/permissions/", data, follow=True)


def test_matrix_edit_changes_what_sales_see(org, client):
    manager = org.actor("manager1")
    mine = customer_create(actor=manager, data={"kind": "enterprise", "name": "王小明的客户"}, owner=org["sales1"]).customer
    theirs = customer_create(actor=manager, data={"kind": "enterprise", "name": "陈晓红的客户"},
                             owner=org["sales2"]).customer
    assert set(customer_list(actor=org.actor("sales1")).filter(owner__isnull=False)) == {mine}

    client.force_login(org["admin"])
    response = matrix_post(client, "sales", {"customers": ("department", ["view", "create", "edit"])})
    assert "权限已保存" in response.content.decode()
    row = RolePermission.objects.get(role="sales", module="customers")
    assert row.scope == "department" and row.actions() == {"view", "create", "edit"}
    assert set(customer_list(actor=org.actor("sales1")).filter(owner__isnull=False)) == {mine, theirs}
    assert AuditEvent.objects.filter(action="permission.set").exists()
    assert "已修改" in client.get("/settings/permissions/?role=sales").content.decode()

    client.post("/settings/permissions/reset/", {"role": "sales"})
    assert not RolePermission.objects.filter(role="sales").exists()
    assert set(customer_list(actor=org.actor("sales1")).filter(owner__isnull=False)) == {mine}


def test_matrix_unticking_everything_removes_the_module(org, client):
    client.force_login(org["admin"])
    matrix_post(client, "sales", {"customers": ("own", [])})
    actor = org.actor("sales1")
    assert not actor.can("customers", "view")
    assert customer_list(actor=actor).count() == 0


def test_matrix_bad_scope_saves_nothing(org, client):
    client.force_login(org["admin"])
    # customers (saved first) is valid, dictionaries (saved last) is not: the whole row rolls back
    response = matrix_post(client, "sales", {"customers": ("department", ["view", "create"]),
                                             "dictionaries": ("everything", ["view"])})
    assert "未知的数据范围" in response.content.decode()
    assert not RolePermission.objects.exists()


# ---- dictionaries --------------------------------------------------------------------------


def items(kind="source"):
    return list(DictionaryItem.objects.filter(kind=kind).order_by("order", "id"))


def test_dictionary_add_rename_reorder_deactivate(org, client):
    client.force_login(org["admin"])
    response = client.post("/settings/dictionaries/", {"kind": "source", "name": "抖音", "code": "DY"}, follow=True)
    assert "已添加“抖音”" in response.content.decode()
    new = DictionaryItem.objects.get(kind="source", name="抖音")
    assert items()[-1] == new
    # duplicate name: error next to the field, nothing added
    response = client.post("/settings/dictionaries/", {"kind": "source", "name": "抖音"})
    assert response.context["form"].errors["name"] == ["“抖音”已存在"]
    assert DictionaryItem.objects.filter(kind="source", name="抖音").count() == 1
    # rename
    client.post(f"/settings/dictionaries/{new.pk}/rename/", {"name": "抖音直播", "code": "DY"})
    new.refresh_from_db()
    assert new.name == "抖音直播"
    # reorder: up moves it one place, first item's up does nothing
    before = [i.pk for i in items()]
    client.post(f"/settings/dictionaries/{new.pk}/move/", {"kind": "source", "direction": "up"})
    after = [i.pk for i in items()]
    assert after == before[:-2] + [before[-1], before[-2]]
    client.post(f"/settings/dictionaries/{after[0]}/move/", {"kind": "source", "direction": "up"})
    assert [i.pk for i in items()] == after
    client.post(f"/settings/dictionaries/{after[0]}/move/", {"kind": "source", "direction": "down"})
    assert [i.pk for i in items()][:2] == [after[1], after[0]]


def test_deactivated_item_stays_on_old_records_and_leaves_pickers(org, client):
    actor = org.actor("manager1")
    source = DictionaryItem.objects.get(kind="source", name="展会")
    customer = customer_create(actor=actor, data={"kind": "enterprise", "name": "展会来的客户",
                                                  "source_id": source.pk}).customer
    client.force_login(org["admin"])
    response = client.post(f"/settings/dictionaries/{source.pk}/toggle/", {"active": "0"}, follow=True)
    assert "已停用" in response.content.decode()
    customer.refresh_from_db()
    assert customer.source_id == source.pk
    assert source not in dictionary_choices(actor=actor, kind="source")
    assert source in dictionary_choices(actor=actor, kind="source", keep_id=source.pk)
    client.post(f"/settings/dictionaries/{source.pk}/toggle/", {"active": "1"})
    assert source in dictionary_choices(actor=actor, kind="source")


def test_dictionary_rename_to_empty_is_refused_with_a_message(org, client):
    client.force_login(org["admin"])
    item = items()[0]
    response = client.post(f"/settings/dictionaries/{item.pk}/rename/", {"name": " "},
                           HTTP_REFERER="http://testserver/settings/dictionaries/?kind=source", follow=True)
    assert "名称不能为空" in response.content.decode()
    item.refresh_from_db()
    assert item.name


def test_dictionary_page_escapes_item_names(org, client):
    DictionaryItem.objects.create(kind="source", name=HOSTILE, order=99)
    client.force_login(org["admin"])
    html = client.get("/settings/dictionaries/?kind=source").content.decode()
    assert HOSTILE_ESCAPED in html and HOSTILE not in html


def test_other_tenants_dictionary_item_is_404(org, other_org, client):
    from zhuli.tenancy.unscoped import for_tenant

    foreign = for_tenant(DictionaryItem, other_org.tenant).first()
    client.force_login(org["admin"])
    assert client.post(f"/settings/dictionaries/{foreign.pk}/toggle/", {"active": "0"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active
