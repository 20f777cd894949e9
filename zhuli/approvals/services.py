"""Writes of the approval engine: submit, decide, withdraw, and the rules (Settings).

Steps nobody can decide are skipped: a step whose role has no active user other than the submitter (a
company without finance, a director submitting above every manager, the only boss submitting) would block the
document for ever, so it is passed over and the request notes it; when every step is skipped the document is
approved at once (the request is kept, approved, for the history) and `approval_submit` answers None."""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require_writable, visible
from zhuli.accounts.models import User
from zhuli.audit.services import audit_record, diff
from zhuli.core import text
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.core.money import CENT, MoneyError, to_decimal
from zhuli.tenancy.context import require_tenant

from . import selectors
from .models import ApprovalDecision, ApprovalRequest, ApprovalRule, ApprovalStatus, StepRole
from .registry import ApprovalDocType, doc_type_choices, get_doc_type

COMMENT_MAX = 500
NAME_MAX = 60
STEPS_MAX = 5
DECISIONS = (ApprovalDecision.Decision.APPROVE, ApprovalDecision.Decision.REJECT)
# Installed for every new company (tenant_setup) and for existing ones by migration 0003.
DEFAULT_RULES = (
    ("contract", "合同金额 ≥ ¥100,000", Decimal("100000.00"), None, [StepRole.MANAGER, StepRole.BOSS]),
    ("order", "订单折扣超过 20%", None, Decimal("20.00"), [StepRole.MANAGER, StepRole.BOSS]),
    ("invoice", "开票申请金额 ≥ ¥50,000", Decimal("50000.00"), None, [StepRole.MANAGER]),
)


def _entry(doc_type: str) -> ApprovalDocType:
    entry = get_doc_type(doc_type)
    if entry is None:
        raise LookupError(f"approval doc type {doc_type!r} is not registered")
    return entry


def rule_matches(rule: ApprovalRule, *, amount: Decimal | None, discount: Decimal | None) -> bool:
    """Every condition a rule has must hold: amount ≥ min_amount, discount > min_discount; none: always."""
    if rule.min_amount is not None and (amount or 0) < rule.min_amount:
        return False
    return rule.min_discount is None or (discount or 0) > rule.min_discount


def _next_step(*, actor: Actor, steps: list[str], start: int, submitter: User) -> int | None:
    """The first step from `start` someone can decide; None when none is left."""
    for index in range(start, len(steps)):
        if selectors.eligible_approvers(actor=actor, step_role=steps[index], submitter=submitter).exists():
            return index
    return None


def _document(entry: ApprovalDocType, actor: Actor, object_id: int, *, lock: bool):
    qs = visible(entry.model, actor)
    if lock:
        qs = qs.select_for_update()
    obj = qs.filter(pk=object_id).first()
    if obj is None:
        raise NotFound(_("记录不存在或无权查看"))
    return obj


@transaction.atomic
def approval_submit(*, actor: Actor, doc_type: str, obj) -> ApprovalRequest | None:
    """Sends a document into approval under the first active rule of its type that matches; None when no rule
    matches (or no step has anyone to decide it): the caller treats the document as approved at once."""
    entry = _entry(doc_type)
    require_writable(actor)
    _document(entry, actor, obj.pk, lock=True)  # visible to the submitter; concurrent submits queue here
    if actor.user is None:
        return None  # system jobs (the demo seeder) write documents in their final state
    if ApprovalRequest.objects.filter(doc_type=doc_type, object_id=obj.pk, status=ApprovalStatus.PENDING).exists():
        raise Conflict(_("该单据正在审批中"))
    amount = entry.amount(obj) if entry.amount else None
    discount = entry.discount(obj) if entry.discount else None
    rule = next((r for r in ApprovalRule.objects.filter(doc_type=doc_type, is_active=True).order_by("order", "id")
                 if rule_matches(r, amount=amount, discount=discount)), None)
    if rule is None:
        return None
    steps = [s for s in rule.steps if s in StepRole.values]
    submitter = User.objects.select_related("department").get(pk=actor.user_id)
    first = _next_step(actor=actor, steps=steps, start=0, submitter=submitter)
    now = timezone.now()
    request = ApprovalRequest.objects.create(
        doc_type=doc_type, object_id=obj.pk, object_label=str(obj)[:200], rule=rule, steps=steps,
        current_step=first if first is not None else len(steps),
        current_role=steps[first] if first is not None else "",
        status=ApprovalStatus.PENDING if first is not None else ApprovalStatus.APPROVED,
        submitted_by_id=actor.user_id, decided_at=None if first is not None else now,
        amount=amount.quantize(CENT) if amount is not None else None,
    )
    audit_record(actor=actor, action="approval.submit", target=request, changes={
        "doc_type": doc_type, "object_id": obj.pk, "rule": rule.name, "steps": steps,
        "skipped": [s for i, s in enumerate(steps) if first is None or i < first],
    })
    return request if first is not None else None


@transaction.atomic
def approval_decide(*, actor: Actor, request_id, decision: str, comment: str = "",
                    step: int | None = None) -> ApprovalRequest:
    """Approve (the next step with someone to decide it, or the end: on_approved) or reject (on_rejected, the
    document goes back to its submitter) the current step. Only an eligible approver of that step, never the
    submitter; `step` is the step the approver was shown, refused once someone else has moved it on."""
    request = selectors.approval_get(actor=actor, request_id=request_id)  # 404 before anything about the input
    require_writable(actor)
    if decision not in DECISIONS:
        raise InvalidInput({"decision": _("审批意见应为 approve 或 reject")})
    comment = text.clean_text(comment)
    if len(comment) > COMMENT_MAX:
        raise InvalidInput({"comment": _("审批意见最多 %(n)s 个字符") % {"n": COMMENT_MAX}})
    # The row lock (PostgreSQL) queues deciders; the conditional update below is the guard on SQLite.
    locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ApprovalStatus.PENDING:
        raise Conflict(_("该审批已处理完毕（%(status)s）") % {"status": locked.get_status_display()})
    if step is not None and step != locked.current_step:
        raise Conflict(_("该审批已被他人处理，请刷新后查看"))
    if locked.submitted_by_id == actor.user_id:
        raise Conflict(_("不能审批自己提交的单据"))
    submitter = request.submitted_by
    submitter_path = submitter.department.path if submitter.department_id else None
    if not selectors.may_decide(actor, locked, submitter_path=submitter_path):
        raise Conflict(_("您不是当前步骤的审批人"))
    if decision == ApprovalDecision.Decision.REJECT and not comment.strip():
        raise InvalidInput({"comment": _("驳回时请填写意见，告诉申请人要改什么")})
    entry = _entry(locked.doc_type)
    obj = entry.model.objects.select_for_update().filter(pk=locked.object_id).first()
    if obj is None:
        raise Conflict(_("单据已不存在"))
    current, now = locked.current_step, timezone.now()
    changes = {"current_step": current, "current_role": "", "status": ApprovalStatus.REJECTED, "decided_at": now}
    if decision == ApprovalDecision.Decision.APPROVE:
        following = _next_step(actor=actor, steps=locked.steps, start=current + 1, submitter=submitter)
        if following is None:
            changes["status"] = ApprovalStatus.APPROVED
        else:
            changes = {"current_step": following, "current_role": locked.steps[following],
                       "status": ApprovalStatus.PENDING, "decided_at": None}
    updated = ApprovalRequest.objects.filter(pk=locked.pk, status=ApprovalStatus.PENDING,
                                             current_step=current).update(**changes)
    if updated != 1:
        raise Conflict(_("该审批已被他人处理，请刷新后查看"))
    ApprovalDecision.objects.create(request=locked, step=current, approver_id=actor.user_id, decision=decision,
                                    comment=comment)
    for field, value in changes.items():
        setattr(locked, field, value)
    passed_over = locked.steps[current + 1:locked.current_step] if locked.status == ApprovalStatus.PENDING else \
        locked.steps[current + 1:]
    audit_record(actor=actor, action=f"approval.{decision}", target=locked, changes={
        "step": current, "role": locked.steps[current] if current < len(locked.steps) else "",
        "status": locked.status, "comment": comment,
        "skipped": passed_over if decision == ApprovalDecision.Decision.APPROVE else []})
    if locked.status == ApprovalStatus.APPROVED and entry.on_approved:
        entry.on_approved(actor=actor, obj=obj)
    elif locked.status == ApprovalStatus.REJECTED and entry.on_rejected:
        entry.on_rejected(actor=actor, obj=obj, comment=comment)
    return locked


@transaction.atomic
def approval_withdraw(*, actor: Actor, request_id) -> ApprovalRequest:
    """The submitter takes a pending request back; the document returns to draft (on_withdrawn)."""
    request = selectors.approval_get(actor=actor, request_id=request_id)
    require_writable(actor)
    if request.submitted_by_id != actor.user_id:
        raise Conflict(_("只有提交人可以撤回"))
    updated = ApprovalRequest.objects.filter(pk=request.pk, status=ApprovalStatus.PENDING).update(
        status=ApprovalStatus.WITHDRAWN, current_role="", decided_at=timezone.now())
    if updated != 1:
        raise Conflict(_("该审批已处理完毕，不能撤回"))
    request.refresh_from_db()
    audit_record(actor=actor, action="approval.withdraw", target=request, changes={"step": request.current_step})
    entry = _entry(request.doc_type)
    obj = entry.model.objects.select_for_update().filter(pk=request.object_id).first()
    if obj is not None:
        if entry.on_withdrawn:
            entry.on_withdrawn(actor=actor, obj=obj)
        elif entry.on_rejected:
            entry.on_rejected(actor=actor, obj=obj, comment="")
    return request


# ---- rules (Settings) -----------------------------------------------------------------------------------

def approval_rules_install_defaults(*, tenant=None, **_ignored) -> None:
    """A new company's rules: 合同金额 ≥ ¥100,000 → manager, boss; 订单折扣超过 20% → manager, boss;
    开票申请金额 ≥ ¥50,000 → manager. Doc types that already have a rule are left as they are."""
    tenant = tenant or require_tenant()
    have = set(ApprovalRule.objects.values_list("doc_type", flat=True))
    ApprovalRule.objects.bulk_create([
        ApprovalRule(tenant=tenant, doc_type=code, name=name, min_amount=amount, min_discount=discount,
                     steps=[str(s) for s in steps], order=10)
        for code, name, amount, discount, steps in DEFAULT_RULES if code not in have])


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_("只有公司管理员可以使用设置"))
    require_writable(actor)


def _number(value, errors: dict, field: str, *, maximum: Decimal | None = None) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = to_decimal(value)
    except MoneyError as exc:
        errors[field] = _("数值过大") if exc.kind == "too_large" else _("应为数字，例如 100000 或 20")
        return None
    if number < 0:
        errors[field] = _("不能小于 0")
    elif number != number.quantize(CENT):
        errors[field] = _("最多两位小数")
    elif maximum is not None and number > maximum:
        errors[field] = _("应在 0 到 %(max)s 之间") % {"max": maximum}
    else:
        return number.quantize(CENT)
    return None


def _clean_rule(data: dict) -> dict:
    errors: dict[str, str] = {}
    doc_type = str(data.get("doc_type") or "")
    if doc_type not in dict(doc_type_choices()):
        errors["doc_type"] = _("请选择单据类型")
    name = text.clean_text(data.get("name"))
    if not name:
        errors["name"] = _("请填写规则名称")
    elif len(name) > NAME_MAX:
        errors["name"] = _("规则名称最多 %(n)s 个字符") % {"n": NAME_MAX}
    min_amount = _number(data.get("min_amount"), errors, "min_amount")
    min_discount = _number(data.get("min_discount"), errors, "min_discount", maximum=Decimal("100"))
    steps = [str(s) for s in (data.get("steps") or []) if s]
    if not steps:
        errors["steps"] = _("至少需要一个审批步骤")
    elif len(steps) > STEPS_MAX:
        errors["steps"] = _("最多 %(n)s 个审批步骤") % {"n": STEPS_MAX}
    elif any(s not in StepRole.values for s in steps):
        errors["steps"] = _("无效的审批角色")
    try:
        order = int(data.get("order") or 0)
    except (TypeError, ValueError):
        order = -1
    if not 0 <= order <= 9999:
        errors["order"] = _("排序应为 0 到 9999 的整数")
    if errors:
        raise InvalidInput(errors)
    return {"doc_type": doc_type, "name": name, "min_amount": min_amount, "min_discount": min_discount,
            "steps": steps, "order": order}


@transaction.atomic
def approval_rule_create(*, actor: Actor, data: dict) -> ApprovalRule:
    """A rule for a doc type; the first active matching rule (by order) decides a submission's steps."""
    _require_admin(actor)
    rule = ApprovalRule.objects.create(tenant=actor.tenant, **_clean_rule(data))
    audit_record(actor=actor, action="approval_rule.create", target=rule, changes={"steps": rule.steps})
    return rule


@transaction.atomic
def approval_rule_update(*, actor: Actor, rule_id, data: dict) -> ApprovalRule:
    """Changes apply to later submissions; requests in progress keep the steps they started with."""
    _require_admin(actor)
    rule = get_visible_or_404(ApprovalRule, actor, rule_id)
    before = {k: getattr(rule, k) for k in ("doc_type", "name", "min_amount", "min_discount", "steps", "order")}
    clean = _clean_rule(data)
    for field, value in clean.items():
        setattr(rule, field, value)
    rule.save(update_fields=list(clean))
    audit_record(actor=actor, action="approval_rule.update", target=rule, changes=diff(before, clean))
    return rule


@transaction.atomic
def approval_rule_set_active(*, actor: Actor, rule_id, active: bool) -> ApprovalRule:
    """An inactive rule matches nothing."""
    _require_admin(actor)
    rule = get_visible_or_404(ApprovalRule, actor, rule_id)
    ApprovalRule.objects.filter(pk=rule.pk).update(is_active=active)
    rule.is_active = active
    audit_record(actor=actor, action="approval_rule.activate" if active else "approval_rule.deactivate", target=rule)
    return rule


@transaction.atomic
def approval_rule_delete(*, actor: Actor, rule_id) -> None:
    """Requests made under the rule keep their steps (their `rule` becomes empty)."""
    _require_admin(actor)
    rule = get_visible_or_404(ApprovalRule, actor, rule_id)
    audit_record(actor=actor, action="approval_rule.delete", target=rule, changes={"name": rule.name})
    rule.delete()
