"""Writes of the first-run setup, the getting-started checklist and the norms / policies."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.roles import Role
from zhuli.access.scoping import get_visible_or_404, require_not_demo, require_writable
from zhuli.audit.services import audit_record
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.text import clean_text
from zhuli.tenancy.models import Tenant, TenantKind
from zhuli.tenancy.services import (
    tenant_features_set,
    tenant_logo_set,
    tenant_profile_update,
    tenant_tracking_style_set,
)

from .models import STEPS, Document, DocumentKind, DocumentStatus, ManualTick, OnboardingState, SetupStep
from .rules import may_edit_documents

TITLE_LIMIT = 100
BODY_LIMIT = 20000
# Flags in Tenant.features read on every request without a query: the redirect to /setup/ and the workbench card.
SETUP_PENDING = "setup_pending"
CHECKLIST_OPEN = "checklist_open"


def may_manage_onboarding(actor) -> bool:
    return actor.is_admin or actor.role == Role.BOSS or actor.system


def _require_admin(actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以进行初始设置"))
    require_writable(actor)
    require_not_demo(actor, _("演示帐户不进行初始设置"))


def _require_manager(actor) -> None:
    if not may_manage_onboarding(actor):
        raise Forbidden(_("只有老板或公司管理员可以修改上手指引"))
    require_writable(actor)


def _set_flags(tenant: Tenant, actor, **flags: bool) -> None:
    """Writes the per-request flags onto the locked tenant row, keeping the other features."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    features = {**(locked.features or {}), **flags}
    if features != locked.features:
        locked.features = features
        locked.save(update_fields=["features"])
    tenant.features = features
    if actor is not None and actor.tenant is not tenant:
        actor.tenant.features = features


def _state(actor) -> OnboardingState:
    """The tenant's row, made on first use (tenants created before onboarding existed have none)."""
    state, _created = OnboardingState.objects.select_for_update().get_or_create(tenant=actor.tenant)
    return state


def onboarding_install(*, tenant, actor) -> None:
    """New-tenant step: a new company (not the demo) starts its first-run setup and checklist."""
    if tenant.kind == TenantKind.DEMO:
        return
    OnboardingState.objects.get_or_create(tenant=tenant)
    _set_flags(tenant, actor, **{SETUP_PENDING: True, CHECKLIST_OPEN: True})


# ---- first-run setup -------------------------------------------------------------------------------

def _check_step(step: str) -> None:
    if step not in STEPS:
        raise InvalidInput({"step": _("未知的设置步骤")})


def _advance(actor, state: OnboardingState, step: str, *, done: bool) -> OnboardingState:
    if done and step not in state.steps_done:
        state.steps_done = [*state.steps_done, step]
    index = STEPS.index(step)
    if index + 1 < len(STEPS):
        state.step = STEPS[index + 1]
    elif state.completed_at is None:
        state.completed_at = timezone.now()
        audit_record(actor=actor, action="onboarding.setup_complete", target=actor.tenant,
                     changes={"steps_done": state.steps_done})
        _set_flags(actor.tenant, actor, **{SETUP_PENDING: False})
    state.save()
    return state


@transaction.atomic
def setup_step_save(*, actor, step: str, data: dict | None = None, logo=None) -> OnboardingState:
    """Saves one page of the first-run setup through the tenancy services and moves to the next page;
    saving the last page completes the setup. A refused value changes nothing (one transaction)."""
    _require_admin(actor)
    _check_step(step)
    data = data or {}
    if step == SetupStep.CUSTOMERS:
        tenant_features_set(actor=actor, data={"customer_kinds": data.get("customer_kinds")})
    elif step == SetupStep.AGREEMENTS:
        tenant_features_set(actor=actor, data={"agreements": data.get("agreements")})
    elif step == SetupStep.TRACKING:
        tenant_tracking_style_set(actor=actor, style=data.get("tracking_style") or "")
    elif step == SetupStep.INVENTORY:
        tenant_features_set(actor=actor, data={"inventory": data.get("inventory")})
    elif step == SetupStep.COMPANY:
        tenant_profile_update(actor=actor, data={k: data[k] for k in ("name", "address", "phone", "website")
                                                 if k in data})
        if logo is not None:
            tenant_logo_set(actor=actor, upload=logo)
    return _advance(actor, _state(actor), step, done=True)


@transaction.atomic
def setup_step_skip(*, actor, step: str) -> OnboardingState:
    """Leaves one page as it is and moves on (the defaults stay; the page can be revisited)."""
    _require_admin(actor)
    _check_step(step)
    return _advance(actor, _state(actor), step, done=False)


@transaction.atomic
def setup_skip(*, actor) -> OnboardingState:
    """Skips the whole setup: no more redirect to it; it stays open from the checklist."""
    _require_admin(actor)
    state = _state(actor)
    if state.skipped_at is None and state.completed_at is None:
        state.skipped_at = timezone.now()
        state.save(update_fields=["skipped_at", "updated_at"])
        audit_record(actor=actor, action="onboarding.setup_skip", target=actor.tenant, changes={"step": state.step})
    _set_flags(actor.tenant, actor, **{SETUP_PENDING: False})
    return state


# ---- getting-started checklist ---------------------------------------------------------------------

@transaction.atomic
def checklist_tick(*, actor, item: str, done: bool) -> OnboardingState:
    """Training and supporting policies are ticked by hand: nothing in the data proves them."""
    _require_manager(actor)
    if item not in ManualTick.values:
        raise InvalidInput({"item": _("此项由系统自动判断，不能手动勾选")})
    state = _state(actor)
    if bool(state.ticks.get(item)) != done:
        state.ticks = {**state.ticks, item: done}
        state.save(update_fields=["ticks", "updated_at"])
        audit_record(actor=actor, action="onboarding.tick", target=actor.tenant, changes={item: [not done, done]})
    return state


@transaction.atomic
def checklist_dismiss(*, actor) -> OnboardingState:
    """Hides the workbench card for good; the page stays under 帮助 → 上手指引."""
    _require_manager(actor)
    state = _state(actor)
    if state.dismissed_at is None:
        state.dismissed_at = timezone.now()
        state.save(update_fields=["dismissed_at", "updated_at"])
        audit_record(actor=actor, action="onboarding.dismiss", target=actor.tenant)
    _set_flags(actor.tenant, actor, **{CHECKLIST_OPEN: False})
    return state


# ---- norms and policies ------------------------------------------------------------------------------

def _require_editor(actor) -> None:
    if not may_edit_documents(actor):
        raise Forbidden(_("只有老板或公司管理员可以编辑制度规范"))
    require_writable(actor)


def _clean_document(data: dict, *, partial: bool) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    if "kind" in data or not partial:
        if data.get("kind") not in DocumentKind.values:
            errors["kind"] = _("请选择类别")
        out["kind"] = data.get("kind")
    if "title" in data or not partial:
        title = clean_text(data.get("title"))
        if not title:
            errors["title"] = _("标题不能为空")
        elif len(title) > TITLE_LIMIT:
            errors["title"] = _("最多 %(n)s 个字符") % {"n": TITLE_LIMIT}
        out["title"] = title
    if "body" in data or not partial:
        body = (data.get("body") or "").replace("\r\n", "\n").strip()
        if len(body) > BODY_LIMIT:
            errors["body"] = _("最多 %(n)s 个字符") % {"n": BODY_LIMIT}
        out["body"] = body
    if errors:
        raise InvalidInput(errors)
    return out


@transaction.atomic
def document_create(*, actor, data: dict) -> Document:
    """A draft norm or policy; nobody but its writers sees it until it is published."""
    _require_editor(actor)
    cleaned = _clean_document(data, partial=False)
    document = Document.objects.create(**cleaned, created_by_id=actor.user_id)
    audit_record(actor=actor, action="document.create", target=document, changes={"kind": document.kind})
    return document


@transaction.atomic
def document_update(*, actor, document_id, data: dict) -> Document:
    """Edits title and text; a published document stays published with the new text."""
    document = get_visible_or_404(Document, actor, document_id)
    _require_editor(actor)
    cleaned = _clean_document({k: v for k, v in data.items() if k in ("title", "body")}, partial=True)
    changes = {k: [getattr(document, k), v] for k, v in cleaned.items() if getattr(document, k) != v}
    if changes:
        for field, value in cleaned.items():
            setattr(document, field, value)
        document.save()
        audit_record(actor=actor, action="document.update", target=document,
                     changes={k: ["…", "…"] if k == "body" else v for k, v in changes.items()})
    return document


@transaction.atomic
def document_publish(*, actor, document_id) -> Document:
    """Publishes to everyone in the company; an empty text cannot be published."""
    document = get_visible_or_404(Document, actor, document_id)
    _require_editor(actor)
    if not document.body.strip():
        raise Conflict(_("正文为空，不能发布"), field="body")
    updated = Document.objects.filter(pk=document.pk, status=DocumentStatus.DRAFT).update(
        status=DocumentStatus.PUBLISHED, published_at=timezone.now(), published_by_id=actor.user_id)
    if not updated:
        raise Conflict(_("已经发布过了"))
    document.refresh_from_db()
    audit_record(actor=actor, action="document.publish", target=document)
    return document


@transaction.atomic
def document_unpublish(*, actor, document_id) -> Document:
    """Withdraws a published document back to draft (colleagues no longer see it)."""
    document = get_visible_or_404(Document, actor, document_id)
    _require_editor(actor)
    updated = Document.objects.filter(pk=document.pk, status=DocumentStatus.PUBLISHED).update(
        status=DocumentStatus.DRAFT)
    if not updated:
        raise Conflict(_("尚未发布"))
    document.refresh_from_db()
    audit_record(actor=actor, action="document.unpublish", target=document)
    return document


@transaction.atomic
def document_delete(*, actor, document_id) -> None:
    """Only a draft can be deleted: withdraw a published one first, so nobody loses a rule by accident."""
    document = get_visible_or_404(Document, actor, document_id)
    _require_editor(actor)
    if document.is_published:
        raise Conflict(_("已发布的制度不能删除，请先撤回"))
    audit_record(actor=actor, action="document.delete", target=document, changes={"title": document.title})
    document.delete()
