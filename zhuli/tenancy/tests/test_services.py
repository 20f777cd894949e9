"""Company profile and logo services."""
import pytest

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Forbidden, InvalidInput, TooLarge
from zhuli.tenancy.models import Tenant
from zhuli.tenancy.services import tenant_logo_clear, tenant_logo_set, tenant_profile_update, time_zones
from zhuli.web.tests.helpers import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_profile_update_records_only_changes(org):
    actor = org.actor("admin")
    tenant_profile_update(actor=actor, data={"name": " 新名字 ", "phone": "010-1234", "time_zone": "Asia/Shanghai"})
    tenant = Tenant.objects.get(pk=org.tenant.pk)
    assert (tenant.name, tenant.phone) == ("新名字", "010-1234")
    event = AuditEvent.objects.get(action="tenant.update")
    assert event.changes == {"name": ["tenant-a公司", "新名字"], "phone": ["", "010-1234"]}
    assert actor.tenant.name == "新名字"


def test_profile_update_validates_every_field_at_once(org):
    with pytest.raises(InvalidInput) as info:
        tenant_profile_update(actor=org.actor("admin"), data={"name": "", "website": "x" * 201, "time_zone": "Nope/Zone"})
    assert set(info.value.errors) == {"name", "website", "time_zone"}
    assert Tenant.objects.get(pk=org.tenant.pk).name == "tenant-a公司"


def test_profile_update_needs_the_admin_flag(org):
    with pytest.raises(Forbidden):
        tenant_profile_update(actor=org.actor("boss"), data={"name": "老板改名"})


def test_time_zones_start_with_shanghai():
    zones = time_zones()
    assert zones[0] == "Asia/Shanghai" and "Europe/Berlin" in zones and len(set(zones)) == len(zones)


def test_logo_set_and_clear(org, media, django_capture_on_commit_callbacks):
    actor = org.actor("admin")
    with django_capture_on_commit_callbacks(execute=True):
        tenant = tenant_logo_set(actor=actor, upload=upload("x.png", image_bytes("PNG")))
    assert (media / tenant.logo).exists() and tenant.logo.endswith(".png")
    with django_capture_on_commit_callbacks(execute=True):
        tenant_logo_clear(actor=actor)
    assert Tenant.objects.get(pk=org.tenant.pk).logo == ""
    assert not any(p.is_file() for p in media.rglob("*"))
    assert list(AuditEvent.objects.filter(action__startswith="tenant.logo").values_list("action", flat=True)
                .order_by("id")) == ["tenant.logo_set", "tenant.logo_clear"]


def test_logo_set_refuses_non_admin_before_storing(org, media):
    with pytest.raises(Forbidden):
        tenant_logo_set(actor=org.actor("sales1"), upload=upload("x.png", image_bytes("PNG")))
    assert not any(p.is_file() for p in media.rglob("*"))


def test_logo_set_refuses_oversized_files(org, media):
    with pytest.raises(TooLarge):
        tenant_logo_set(actor=org.actor("admin"), upload=upload("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * (3 * 1024 * 1024)))
    assert not any(p.is_file() for p in media.rglob("*"))
