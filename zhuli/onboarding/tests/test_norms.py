"""Operating norms and policies: drafts for the writers, published ones for everyone, edits by boss/admin only,
bodies rendered safely."""
from __future__ import annotations

import pytest
from django.test import Client

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.onboarding.models import Document
from zhuli.onboarding.selectors import document_list
from zhuli.onboarding.services import (
    document_create,
    document_delete,
    document_publish,
    document_unpublish,
    document_update,
)
from zhuli.onboarding.text import render_body
from zhuli.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft(org):
    return document_create(actor=org.actor("boss"), data={"kind": "norm", "title": "使用规范",
                                                          "body": "- 每次拜访当天记录跟进"})


def test_the_new_form_starts_from_the_template(org):
    client = logged_in(org["boss"])
    html = client.get("/norms/new/?kind=norm").content.decode()
    assert "每次拜访、电话、微信沟通，当天记录跟进" in html
    assert "考核" in client.get("/norms/new/?kind=policy").content.decode()


def test_boss_writes_and_publishes_and_a_salesperson_reads(org):
    boss = logged_in(org["boss"])
    response = boss.post("/norms/new/", {"kind": "norm", "title": "拜访规范", "body": "# 拜访\n- **当天**记录跟进"})
    assert response.status_code == 302
    doc = Document.objects.get()
    sales = logged_in(org["sales1"])
    assert sales.get(f"/norms/{doc.pk}/").status_code == 404
    assert "拜访规范" not in sales.get("/norms/").content.decode()
    assert boss.post(f"/norms/{doc.pk}/publish/").status_code == 302
    page = sales.get(f"/norms/{doc.pk}/").content.decode()
    assert "<strong>当天</strong>记录跟进" in page and "发布" in page
    assert "拜访规范" in sales.get("/norms/").content.decode()
    assert "/edit/" not in page  # no edit buttons for readers
    assert list(AuditEvent.objects.filter(target_id=doc.pk).values_list("action", flat=True).order_by("id")) == [
        "document.create", "document.publish"]


def test_salespeople_cannot_write(org, draft):
    document_publish(actor=org.actor("boss"), document_id=draft.pk)
    sales = logged_in(org["sales1"])
    assert sales.get("/norms/new/").status_code == 403
    assert sales.post("/norms/new/", {"kind": "norm", "title": "x", "body": "y"}).status_code == 403
    assert sales.post(f"/norms/{draft.pk}/edit/", {"title": "改了", "body": "z"}).status_code == 403
    assert sales.post(f"/norms/{draft.pk}/unpublish/").status_code == 403
    for service in (document_unpublish, document_delete):
        with pytest.raises(Forbidden):
            service(actor=org.actor("sales1"), document_id=draft.pk)
    with pytest.raises(Forbidden):
        document_update(actor=org.actor("manager1"), document_id=draft.pk, data={"title": "改了"})
    draft.refresh_from_db()
    assert draft.title == "使用规范" and draft.is_published


def test_the_admin_edits_too(org, draft):
    document_update(actor=org.actor("admin"), document_id=draft.pk, data={"title": "新标题", "body": "新正文"})
    draft.refresh_from_db()
    assert draft.title == "新标题" and draft.body == "新正文"


def test_drafts_are_invisible_to_readers_even_by_id(org, draft):
    with pytest.raises(NotFound):
        document_publish(actor=org.actor("sales1"), document_id=draft.pk)
    assert list(document_list(actor=org.actor("sales1"))) == []
    assert list(document_list(actor=org.actor("boss"))) == [draft]


def test_bad_input_names_the_field(org):
    client = logged_in(org["boss"])
    response = client.post("/norms/new/", {"kind": "norm", "title": "  ", "body": "x"})
    assert response.status_code == 200 and "title" in response.context["form"].errors
    with pytest.raises(InvalidInput) as exc:
        document_create(actor=org.actor("boss"), data={"kind": "memo", "title": "x" * 101, "body": "b" * 20001})
    assert set(exc.value.errors) == {"kind", "title", "body"}
    assert not Document.objects.exists()


def test_publish_rules(org, draft):
    boss = org.actor("boss")
    empty = document_create(actor=boss, data={"kind": "policy", "title": "空的", "body": ""})
    with pytest.raises(Conflict):
        document_publish(actor=boss, document_id=empty.pk)
    document_publish(actor=boss, document_id=draft.pk)
    with pytest.raises(Conflict):
        document_publish(actor=boss, document_id=draft.pk)
    with pytest.raises(Conflict):
        document_delete(actor=boss, document_id=draft.pk)
    document_unpublish(actor=boss, document_id=draft.pk)
    document_delete(actor=boss, document_id=draft.pk)
    assert not Document.objects.filter(pk=draft.pk).exists()


def test_another_tenants_document_is_404(org, other_org):
    with tenant_context(other_org.tenant):
        theirs = document_create(actor=other_org.actor("boss"), data={"kind": "norm", "title": "乙方规范", "body": "x"})
        document_publish(actor=other_org.actor("boss"), document_id=theirs.pk)
    assert logged_in(org["boss"]).get(f"/norms/{theirs.pk}/").status_code == 404
    with pytest.raises(NotFound):
        document_update(actor=org.actor("boss"), document_id=theirs.pk, data={"title": "x"})


@pytest.mark.parametrize("body", ['<script>alert(1)</script>', '**<img src=x onerror=alert(2)>**',
                                  '# <svg onload=alert(3)>'])
def test_bodies_are_escaped(body):
    html = str(render_body(body))
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert "&lt;" in html


def test_markdown_lite():
    html = str(render_body("# 标题\n第一段\n\n- 一\n- 二\n1. 甲\n2. 乙\n**粗体**"))
    assert '<h3 class="zl-doc-h">标题</h3>' in html and "<p>第一段</p>" in html
    assert "<ul>\n<li>一</li>\n<li>二</li>\n</ul>" in html and "<ol>\n<li>甲</li>\n<li>乙</li>\n</ol>" in html
    assert "<strong>粗体</strong>" in html


def test_the_list_page_queries_are_pinned(org, django_assert_max_num_queries):
    boss = org.actor("boss")
    for i in range(15):
        doc = document_create(actor=boss, data={"kind": "norm" if i % 2 else "policy", "title": f"规范{i}",
                                                "body": "x"})
        document_publish(actor=boss, document_id=doc.pk)
    client = logged_in(org["sales1"])
    client.get("/norms/")
    with django_assert_max_num_queries(8):
        html = client.get("/norms/").content.decode()
    assert html.count("/norms/") >= 15


def test_an_expired_company_reads_but_cannot_write(org, draft):
    from zhuli.tenancy.models import TenantStatus

    document_publish(actor=org.actor("boss"), document_id=draft.pk)
    org.tenant.status = TenantStatus.EXPIRED
    org.tenant.save(update_fields=["status"])
    for user in org.values():
        user.tenant = org.tenant
    assert logged_in(org["sales1"]).get(f"/norms/{draft.pk}/").status_code == 200
    with pytest.raises(Forbidden):
        document_unpublish(actor=org.actor("boss"), document_id=draft.pk)
    with pytest.raises(Forbidden):
        document_create(actor=org.actor("admin"), data={"kind": "norm", "title": "x", "body": "y"})
    draft.refresh_from_db()
    assert draft.is_published
