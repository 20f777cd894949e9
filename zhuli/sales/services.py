from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require, require_writable, visible
from zhuli.accounts.models import User
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.money import CENT, MoneyError, to_decimal
from zhuli.core.registry import opportunity_delete_guards, opportunity_status_guards
from zhuli.customers.models import Customer
from zhuli.customers.services import customer_reset_last_won, customer_set_last_won
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import require_tenant

from .models import (
    DEFAULT_STAGES,
    Opportunity,
    OpportunityStatus,
    Stage,
    StageChange,
    StageKind,
    status_can_become,
    status_can_move,
)

TITLE_MAX = 200
COMPETITORS_MAX = 300
REMARKS_MAX = 5000
NOTE_MAX = 500
# Dictionary-backed fields: form/API key → (model field, dictionary kind).
DICT_FIELDS = {
    "source_id": ("source", DictionaryKind.SOURCE),
    "category_id": ("category", DictionaryKind.OPPORTUNITY_TYPE),
    "lost_reason_id": ("lost_reason", DictionaryKind.LOST_REASON),
}
STATUS_LABELS = dict(OpportunityStatus.choices)


def stages_ensure() -> None:
    """Tenants made before the pipeline existed (or by bare test factories) get the default stages on first use."""
    if not Stage.objects.exists():
        stages_install_defaults()


def stages_install_defaults(**_ignored) -> None:
    """A new tenant's pipeline: 初步接洽 10% → 需求确认 30% → 方案报价 60% → 商务谈判 80% → 赢单 / 输单."""
    if Stage.objects.exists():
        return
    tenant = require_tenant()
    Stage.objects.bulk_create([Stage(tenant=tenant, name=str(name), probability=p, kind=kind, order=i)
                               for i, (name, p, kind) in enumerate(DEFAULT_STAGES, start=1)])


# ---- field checks --------------------------------------------------------------------------------

def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _money_message(exc: MoneyError) -> str:
    return _("金额过大") if exc.kind == "too_large" else _("金额应为数字，例如 12000 或 12000.50")


def parse_amount(value, errors: dict, field: str = "amount") -> Decimal | None:
    """Money: a number ≥ 0 with at most two decimals; '1,200.50' and '¥1200' are accepted as typed
    (zhuli.core.money.to_decimal: NaN, Infinity, 1e999 or 27 digits get a message, never an exception)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        errors[field] = _money_message(exc)
        return None
    if amount < 0:
        errors[field] = _("金额不能小于 0")
    elif amount != amount.quantize(CENT):
        errors[field] = _("金额最多两位小数")
    else:
        return amount.quantize(CENT)
    return None


def parse_amount_filter(value, errors: dict, field: str) -> Decimal | None:
    """A list / export bound (amount_min, amount_max): blank is no bound; a bad one is named in `errors`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return to_decimal(value)
    except MoneyError as exc:
        errors[field] = _money_message(exc)
        return None


def parse_probability(value, errors: dict, field: str = "probability") -> int | None:
    if value in (None, ""):
        return None
    raw = str(value).strip().rstrip("%％").strip()
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value() or not 0 <= number <= 100:
        errors[field] = _("赢率应为 0 到 100 的整数")
        return None
    return int(number)


def parse_date(value, errors: dict, field: str = "close_date") -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        parsed = datetime.date.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2100:
        errors[field] = _("日期无效，应为 YYYY-MM-DD，例如 2026-06-30")
        return None
    return parsed


def _dictionary_item(actor, kind, value, *, current, errors, field):
    if value in (None, "", 0, "0"):
        return None
    pk = _int(value)
    item = visible(DictionaryItem, actor).filter(kind=kind, pk=pk).first() if pk else None
    if item is None or (not item.is_active and pk != current):
        errors[field] = _("无效的选项")
    return item


def _stage(actor: Actor, value, errors: dict, field: str = "stage_id") -> Stage | None:
    pk = _int(value)
    stage = visible(Stage, actor).filter(pk=pk).first() if pk else None
    if stage is None:
        errors[field] = _("阶段不存在")
    elif not stage.is_active:
        errors[field] = _("阶段“%(name)s”已停用") % {"name": stage.name}
        return None
    return stage


def stage_of_kind(kind: str) -> Stage:
    """The active won (or lost) stage; the stage settings keep exactly one of each."""
    stages_ensure()
    stage = Stage.objects.filter(kind=kind, is_active=True).order_by("order", "id").first()
    if stage is None:
        raise Conflict(_("没有启用的“%(kind)s”阶段，请在设置中添加") % {"kind": StageKind(kind).label})
    return stage


def _owner(actor: Actor, value, errors: dict) -> User | None:
    pk = _int(value)
    user = visible(User, actor).filter(pk=pk).first() if pk else None
    if user is None:
        errors["owner_id"] = _("负责人不存在")
    elif not user.is_active:
        errors["owner_id"] = _("负责人已离职")
        return None
    return user


def owner_in_scope(actor: Actor, user_id: int) -> bool:
    """A new owner must be someone whose opportunities the actor sees (like customer_assign)."""
    owners = actor.owner_ids(actor.grant("opportunities").scope)
    return owners is None or user_id in owners


def _require_new_owner(actor: Actor, owner: User) -> None:
    """Handing an opportunity to someone else: the transfer right (403), then an active colleague in scope."""
    require(actor, "opportunities.transfer")
    if not owner_in_scope(actor, owner.pk):
        raise InvalidInput({"owner_id": _("只能交给您管理范围内的同事")})


def _clean(actor: Actor, data: dict, *, instance: Opportunity | None) -> dict:
    """Checks the plain fields given; raises InvalidInput naming every bad one."""
    errors: dict[str, str] = {}
    out: dict = {}
    if "title" in data or instance is None:
        title = text.clean_text(data.get("title"))
        if not title:
            errors["title"] = _("请填写机会名称")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("机会名称最多 %(n)s 个字符") % {"n": TITLE_MAX}
        out["title"] = title
    if "amount" in data:
        out["amount"] = parse_amount(data["amount"], errors)
    if "close_date" in data:
        out["close_date"] = parse_date(data["close_date"], errors)
    if "competitors" in data:
        competitors = text.clean_text(data["competitors"])
        if len(competitors) > COMPETITORS_MAX:
            errors["competitors"] = _("竞争对手最多 %(n)s 个字符") % {"n": COMPETITORS_MAX}
        out["competitors"] = competitors
    if "remarks" in data:
        remarks = text.clean_text(data["remarks"])
        if len(remarks) > REMARKS_MAX:
            errors["remarks"] = _("备注最多 %(n)s 个字符") % {"n": REMARKS_MAX}
        out["remarks"] = remarks
    for key, (name, kind) in DICT_FIELDS.items():
        if key in data:
            out[name] = _dictionary_item(actor, kind, data[key], current=getattr(instance, key, None),
                                         errors=errors, field=key)
    if data.get("probability") not in (None, ""):
        out["probability"] = parse_probability(data["probability"], errors)
    if data.get("stage_id") not in (None, ""):
        out["stage"] = _stage(actor, data["stage_id"], errors)
    elif "stage_id" in data and instance is not None:
        errors["stage_id"] = _("请选择阶段")
    if data.get("status") not in (None, ""):
        if data["status"] not in OpportunityStatus.values:
            errors["status"] = _("状态只能是 tracking、won、lost、on_hold 或 invalid")
        else:
            out["status"] = data["status"]
    if data.get("owner_id") not in (None, ""):
        out["owner"] = _owner(actor, data["owner_id"], errors)
    if "note" in data:
        note = text.clean_text(data["note"])
        if len(note) > NOTE_MAX:
            errors["note"] = _("阶段说明最多 %(n)s 个字符") % {"n": NOTE_MAX}
        out["note"] = note
    if errors:
        raise InvalidInput(errors)
    return out


# ---- the one place that changes stage, status and probability --------------------------------------

def _target(opp: Opportunity, *, stage: Stage | None, status: str | None) -> tuple[Stage, str]:
    """Stage and status after a change: a won/lost stage means that status and back; an open stage
    reopens a won/lost opportunity (tracking) and keeps on hold as it is."""
    current_stage = opp.stage if opp.pk else None
    if stage is None and status in (OpportunityStatus.WON, OpportunityStatus.LOST):
        stage = current_stage if current_stage and current_stage.kind == status else stage_of_kind(status)
    stage = stage or current_stage
    if stage is None:
        stage = Stage.objects.filter(kind=StageKind.OPEN, is_active=True).order_by("order", "id").first()
        if stage is None:
            raise InvalidInput({"stage_id": _("请选择阶段")})
    if stage.kind in (StageKind.WON, StageKind.LOST):
        if status not in (None, stage.kind):
            raise InvalidInput({"status": _("状态“%(status)s”与阶段“%(stage)s”不一致")
                                % {"status": STATUS_LABELS[status], "stage": stage.name}})
        return stage, stage.kind
    if status in (OpportunityStatus.WON, OpportunityStatus.LOST):
        raise InvalidInput({"status": _("状态“%(status)s”与阶段“%(stage)s”不一致")
                            % {"status": STATUS_LABELS[status], "stage": stage.name}})
    if status is None:
        status = opp.status if opp.pk else OpportunityStatus.TRACKING
        if status in (OpportunityStatus.WON, OpportunityStatus.LOST):
            status = OpportunityStatus.TRACKING
    return stage, status


def _apply_pipeline(actor: Actor, opp: Opportunity, *, stage: Stage | None = None, status: str | None = None,
                    probability: int | None = None, note: str = "", lost_reason=None, now=None) -> dict:
    """Applies a stage/status change and the probability rule (see Opportunity); records the stage history.
    Returns the audit changes. `opp` may be unsaved (create)."""
    now = now or timezone.now()
    creating = opp.pk is None
    old_stage = None if creating else opp.stage
    old_status = None if creating else opp.status
    old_probability = None if creating else opp.probability
    new_stage, new_status = _target(opp, stage=stage, status=status)
    stage_changed = creating or new_stage.pk != old_stage.pk
    if not creating and new_status != old_status and not status_can_become(old_status, new_status):
        raise Conflict(_("“%(from)s”的机会不能改为“%(to)s”")
                       % {"from": STATUS_LABELS[old_status], "to": STATUS_LABELS[new_status]}, code="transition")
    if not creating and stage_changed and not status_can_move(old_status) and new_status == old_status:
        raise Conflict(_("失效的机会不能移动阶段，请先恢复跟踪"), code="transition")
    if not creating and new_status != old_status:
        for guard in opportunity_status_guards.values():
            guard(actor=actor, opportunity=opp, old_status=old_status, new_status=new_status)
    if new_status == OpportunityStatus.LOST:
        reason = lost_reason if lost_reason is not None else (opp.lost_reason if old_status == new_status else None)
        if reason is None and not note and old_status != OpportunityStatus.LOST:
            raise InvalidInput({"lost_reason_id": _("输单请选择输单原因或填写说明")})
        opp.lost_reason = reason
    else:
        opp.lost_reason = None
    # The probability rule, in one place.
    if new_status == OpportunityStatus.WON:
        if probability not in (None, 100):
            raise InvalidInput({"probability": _("赢单的机会赢率固定为 100%")})
        new_probability = 100
    elif new_status == OpportunityStatus.LOST:
        if probability not in (None, 0):
            raise InvalidInput({"probability": _("输单的机会赢率固定为 0%")})
        new_probability = 0
    elif probability is not None:
        new_probability = probability
    elif stage_changed:
        new_probability = new_stage.probability
    else:
        new_probability = opp.probability
    if new_status in (OpportunityStatus.WON, OpportunityStatus.LOST):
        if old_status != new_status:
            opp.closed_at = now
    else:
        opp.closed_at = None
    changes: dict = {}
    if stage_changed:
        seconds = None if creating else max(0, int((now - opp.stage_entered_at).total_seconds()))
        opp.stage = new_stage
        opp.stage_entered_at = now
        opp._pending_stage_change = StageChange(
            from_stage=old_stage, to_stage=new_stage, from_probability=old_probability,
            to_probability=new_probability, note=note[:NOTE_MAX], seconds_in_previous=seconds,
            changed_by_id=actor.user_id, changed_at=now,
        )
        changes["stage"] = [getattr(old_stage, "name", None), new_stage.name]
    if old_status == OpportunityStatus.WON and new_status != OpportunityStatus.WON:
        opp._unwon = True  # _save recomputes the customer's last won date
    opp.status = new_status
    opp.probability = new_probability
    if old_status != new_status:
        changes["status"] = [old_status, new_status]
    if old_probability != new_probability:
        changes["probability"] = [old_probability, new_probability]
    return changes


def _save(opp: Opportunity) -> None:
    opp.search_text = text.search_text(opp.title, opp.customer.name)
    opp.save()
    pending = getattr(opp, "_pending_stage_change", None)
    if pending is not None:
        pending.opportunity = opp
        pending.save()
        opp._pending_stage_change = None
    if opp.status == OpportunityStatus.WON and opp.closed_at:
        customer_set_last_won(customer_id=opp.customer_id, at=opp.closed_at)
    elif getattr(opp, "_unwon", False):
        _refresh_last_won(opp.customer_id)
        opp._unwon = False


def _refresh_last_won(customer_id: int) -> None:
    """The customer's last won date from its remaining won opportunities (un-winning, deleting a won one)."""
    latest = Opportunity.objects.filter(customer_id=customer_id, status=OpportunityStatus.WON) \
        .aggregate(m=Max("closed_at"))["m"]
    customer_reset_last_won(customer_id=customer_id, at=latest)


def _locked(actor: Actor, opportunity_id) -> Opportunity:
    return get_visible_or_404(Opportunity, actor, opportunity_id,
                              queryset=visible(Opportunity, actor).select_related("stage", "customer").select_for_update(of=("self",)))


# ---- services --------------------------------------------------------------------------------------

@transaction.atomic
def opportunity_create(*, actor: Actor, data: dict) -> Opportunity:
    """A new opportunity on a visible customer, owned by the creator unless one who may transfer picks
    another owner; the first stage history row is recorded (from no stage)."""
    require(actor, "opportunities.create")
    stages_ensure()
    errors: dict = {}
    customer_id = _int(data.get("customer_id"))
    customer = visible(Customer, actor).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        errors["customer_id"] = _("请选择客户") if data.get("customer_id") in (None, "") else _("客户不存在或无权查看")
    elif customer.owner_id is None:
        errors["customer_id"] = _("请先领取该客户，再创建销售机会")
    try:
        cleaned = _clean(actor, data, instance=None)
    except InvalidInput as exc:
        raise InvalidInput({**errors, **exc.errors}) from None
    if errors:
        raise InvalidInput(errors)
    owner = cleaned.pop("owner", None) or actor.user
    if owner is not None and owner.pk != actor.user_id:
        _require_new_owner(actor, owner)
    if owner is None:
        raise InvalidInput({"owner_id": _("请选择负责人")})
    stage, status = cleaned.pop("stage", None), cleaned.pop("status", None)
    probability, note = cleaned.pop("probability", None), cleaned.pop("note", "")
    lost_reason = cleaned.pop("lost_reason", None)
    now = timezone.now()
    opp = Opportunity(customer=customer, owner=owner, created_by_id=actor.user_id, stage_entered_at=now, **cleaned)
    _apply_pipeline(actor, opp, stage=stage, status=status, probability=probability, note=note,
                    lost_reason=lost_reason, now=now)
    _save(opp)
    audit_record(actor=actor, action="opportunity.create", target=opp,
                 changes={"customer": customer.name, "stage": opp.stage.name, "amount": opp.amount,
                          "owner": owner.name})
    return opp


EDITABLE = ("title", "amount", "close_date", "competitors", "remarks", "source", "category")


@transaction.atomic
def opportunity_update(*, actor: Actor, opportunity_id: int, data: dict) -> Opportunity:
    """Edits the fields given; stage/status/probability follow the probability rule; owner change needs
    opportunities.transfer; the customer cannot change."""
    opp = _locked(actor, opportunity_id)
    require(actor, "opportunities.edit")
    if data.get("customer_id") not in (None, "") and _int(data["customer_id"]) != opp.customer_id:
        raise InvalidInput({"customer_id": _("机会创建后不能更换客户")})
    if data.get("owner_id") not in (None, "") and _int(data["owner_id"]) == opp.owner_id:
        data = {k: v for k, v in data.items() if k != "owner_id"}  # unchanged, even if that owner has left
    if data.get("stage_id") not in (None, "") and _int(data["stage_id"]) == opp.stage_id:
        data = {k: v for k, v in data.items() if k != "stage_id"}  # unchanged, even if that stage is inactive
    cleaned = _clean(actor, data, instance=opp)
    owner = cleaned.pop("owner", None)
    if owner is not None and owner.pk != opp.owner_id:
        _require_new_owner(actor, owner)
    before = {k: getattr(opp, k) for k in EDITABLE}
    for k in EDITABLE:
        if k in cleaned:
            setattr(opp, k, cleaned[k])
    changes = {k: [before[k], getattr(opp, k)] for k in EDITABLE if before[k] != getattr(opp, k)}
    if owner is not None and owner.pk != opp.owner_id:
        changes["owner"] = [opp.owner_id, owner.pk]
        opp.owner = owner
    pipeline_keys = ("stage", "status", "probability", "lost_reason")
    if any(k in cleaned for k in pipeline_keys):
        lost_reason = cleaned.get("lost_reason") if "lost_reason" in cleaned else None
        changes.update(_apply_pipeline(actor, opp, stage=cleaned.get("stage"), status=cleaned.get("status"),
                                       probability=cleaned.get("probability"), note=cleaned.get("note", ""),
                                       lost_reason=lost_reason))
    _save(opp)
    if changes:
        audit_record(actor=actor, action="opportunity.update", target=opp, changes=changes)
    return opp


@transaction.atomic
def opportunity_delete(*, actor: Actor, opportunity_id: int) -> None:
    """Deletes an opportunity and its stage history; its follow-ups stay on the customer."""
    opp = get_visible_or_404(Opportunity, actor, opportunity_id)
    require(actor, "opportunities.delete")
    for guard in opportunity_delete_guards.values():
        guard(actor=actor, opportunity=opp)
    audit_record(actor=actor, action="opportunity.delete", target=opp,
                 changes={"title": opp.title, "customer_id": opp.customer_id})
    was_won = opp.status == OpportunityStatus.WON
    opp.delete()
    if was_won:
        _refresh_last_won(opp.customer_id)


@transaction.atomic
def opportunity_move(*, actor: Actor, opportunity_id: int, stage_id: int, note: str = "",
                     lost_reason_id: int | None = None) -> Opportunity:
    """Moves to another active stage of the tenant (the board's drag-and-drop, the page's stage bar):
    probability becomes the stage's, a won/lost stage wins/loses it (a lost stage needs a reason or a note),
    an open stage reopens a won/lost one."""
    opp = _locked(actor, opportunity_id)
    require(actor, "opportunities.edit")
    data = {"stage_id": stage_id if stage_id not in (None, "") else 0, "note": note or ""}
    if lost_reason_id not in (None, ""):
        data["lost_reason_id"] = lost_reason_id
    cleaned = _clean(actor, data, instance=opp)
    if cleaned["stage"].pk == opp.stage_id:
        return opp
    changes = _apply_pipeline(actor, opp, stage=cleaned["stage"], note=cleaned["note"],
                              lost_reason=cleaned.get("lost_reason"))
    _save(opp)
    audit_record(actor=actor, action="opportunity.move", target=opp, changes={**changes, "note": cleaned["note"]})
    return opp


@transaction.atomic
def opportunity_win(*, actor: Actor, opportunity_id: int, note: str = "") -> Opportunity:
    """Won: moves to the won stage, probability 100, closed now; the customer's last won date follows."""
    opp = _locked(actor, opportunity_id)
    require(actor, "opportunities.edit")
    if not opp.can_win:
        raise Conflict(_("“%(status)s”的机会不能赢单") % {"status": STATUS_LABELS[opp.status]}, code="transition")
    cleaned = _clean(actor, {"note": note or ""}, instance=opp)
    changes = _apply_pipeline(actor, opp, status=OpportunityStatus.WON, note=cleaned["note"])
    _save(opp)
    audit_record(actor=actor, action="opportunity.win", target=opp, changes=changes)
    return opp


@transaction.atomic
def opportunity_lose(*, actor: Actor, opportunity_id: int, lost_reason_id=None, note: str = "") -> Opportunity:
    """Lost: needs a lost reason (dictionary) or a note; moves to the lost stage, probability 0."""
    opp = _locked(actor, opportunity_id)
    require(actor, "opportunities.edit")
    if not opp.can_lose:
        raise Conflict(_("“%(status)s”的机会不能输单") % {"status": STATUS_LABELS[opp.status]}, code="transition")
    cleaned = _clean(actor, {"note": note or "", "lost_reason_id": lost_reason_id}, instance=opp)
    changes = _apply_pipeline(actor, opp, status=OpportunityStatus.LOST, note=cleaned["note"],
                              lost_reason=cleaned.get("lost_reason"))
    if cleaned["note"] and not cleaned.get("lost_reason"):
        changes["note"] = cleaned["note"]
    _save(opp)
    audit_record(actor=actor, action="opportunity.lose", target=opp,
                 changes={**changes, "lost_reason": str(opp.lost_reason or "")})
    return opp


@transaction.atomic
def opportunity_set_status(*, actor: Actor, opportunity_id: int, status: str) -> Opportunity:
    """搁置 (on_hold), 失效 (invalid) or back to tracking; won/lost go through win/lose."""
    opp = _locked(actor, opportunity_id)
    require(actor, "opportunities.edit")
    allowed = (OpportunityStatus.ON_HOLD, OpportunityStatus.INVALID, OpportunityStatus.TRACKING)
    if status not in allowed:
        raise InvalidInput({"status": _("状态只能是 on_hold、invalid 或 tracking")})
    if opp.status in (OpportunityStatus.WON, OpportunityStatus.LOST):
        raise Conflict(_("“%(status)s”的机会请先移回进行中的阶段") % {"status": STATUS_LABELS[opp.status]},
                       code="transition")
    if status == opp.status:
        return opp
    changes = _apply_pipeline(actor, opp, status=status)
    _save(opp)
    audit_record(actor=actor, action="opportunity.status", target=opp, changes=changes)
    return opp


MASS_FIELDS = ("stage_id", "owner_id", "status", "close_date", "lost_reason_id")


@transaction.atomic
def opportunity_mass_update(*, actor: Actor, ids: list[int], data: dict) -> int:
    """Sets stage, owner, status and/or close date on many opportunities at once; all or nothing
    (any refused row refuses the whole change, naming the opportunity)."""
    require(actor, "opportunities.edit")
    data = {k: v for k, v in data.items() if k in MASS_FIELDS and v not in (None, "")}
    if not data:
        raise InvalidInput({"__all__": _("请选择要修改的字段")})
    clean_ids = {i for i in (_int(x) for x in ids or []) if i}
    if not clean_ids:
        raise InvalidInput({"ids": _("请选择销售机会")})
    opps = list(visible(Opportunity, actor).filter(pk__in=clean_ids).select_related("stage", "customer")
                .select_for_update(of=("self",)).order_by("id"))
    if len(opps) != len(clean_ids):
        raise InvalidInput({"ids": _("部分销售机会不存在或无权操作")})
    if "owner_id" in data:
        require(actor, "opportunities.transfer")
    for opp in opps:
        try:
            opportunity_update(actor=actor, opportunity_id=opp.pk, data=data)
        except InvalidInput as exc:
            raise InvalidInput({k: [f"{opp.title}：{m}" for m in v] for k, v in exc.errors.items()}) from None
        except Conflict as exc:
            raise Conflict(f"{opp.title}：{exc.message}", code=exc.code) from None
    return len(opps)


def opportunity_refresh_last_followup(*, opportunity_id: int, last_at) -> None:
    """Called by the activities services whenever a follow-up on the opportunity changes."""
    Opportunity.objects.filter(pk=opportunity_id).update(last_followup_at=last_at)


def opportunity_for_followup(*, actor: Actor, opportunity_id, customer_id: int) -> Opportunity:
    """The opportunity a follow-up is logged against: visible and of the same customer (InvalidInput else)."""
    pk = _int(opportunity_id)
    opp = visible(Opportunity, actor).filter(pk=pk).first() if pk else None
    if opp is None:
        raise InvalidInput({"opportunity_id": _("销售机会不存在或无权查看")})
    if opp.customer_id != customer_id:
        raise InvalidInput({"opportunity_id": _("销售机会“%(title)s”不属于该客户") % {"title": opp.title}})
    return opp


OPEN_STATUSES = (OpportunityStatus.TRACKING, OpportunityStatus.ON_HOLD)


def opportunities_follow_customer_owner(*, customer, from_owner_id, to_owner) -> None:
    """owner_change_hooks: opportunities follow their customer's ownership (see Opportunity).

    A new owner (transfer, claim, assign) takes the customer's open (tracking / on hold) opportunities the
    previous owner had; closed ones (won / lost / invalid) keep their owner, so results stay credited.
    Going to the pool (release, auto-return) makes the open ones 失效 (invalid), owner kept, no stage history
    row. One UPDATE each way; every changed opportunity gets its own audit entry (the customer's owner-change
    entry names who did it)."""
    if from_owner_id is None and to_owner is None:
        return
    now = timezone.now()
    rows = Opportunity.objects.filter(customer_id=customer.pk, status__in=OPEN_STATUSES)
    if to_owner is not None:
        if from_owner_id is None or from_owner_id == to_owner.pk:
            return
        rows = rows.filter(owner_id=from_owner_id)
        changed = list(rows.select_for_update().values_list("id", "title"))
        if not changed:
            return
        Opportunity.objects.filter(pk__in=[pk for pk, _t in changed]).update(owner=to_owner, updated_at=now)
        events = [("opportunity.follow_customer", pk, title, {"owner": [from_owner_id, to_owner.pk]})
                  for pk, title in changed]
    else:
        changed = list(rows.select_for_update().values_list("id", "title", "status"))
        if not changed:
            return
        Opportunity.objects.filter(pk__in=[pk for pk, _t, _s in changed]).update(
            status=OpportunityStatus.INVALID, updated_at=now)
        events = [("opportunity.status", pk, title, {"status": [status, OpportunityStatus.INVALID],
                                                      "note": _("客户已放入公海")}) for pk, title, status in changed]
    for action, pk, title, changes in events:
        target = Opportunity(pk=pk, title=title)
        audit_record(actor=None, tenant=customer.tenant, action=action, target=target, changes=changes)


def opportunities_guard_customer_delete(*, actor: Actor, customer) -> None:
    """customer_delete_guards: deleting a customer deletes its opportunities, so it is refused while the
    customer has any the actor cannot see or may not delete."""
    rows = Opportunity.objects.filter(customer_id=customer.pk)
    counts = rows.aggregate(total=Count("id"), seen=Count("id", filter=Q(pk__in=visible(Opportunity, actor)
                                                                           .filter(customer_id=customer.pk).values("pk"))))
    total = counts["total"]
    if total and (counts["seen"] < total or not actor.can("opportunities", "delete")):
        raise Conflict(_("该客户有 %(n)s 个销售机会，请先处理后再删除客户") % {"n": total}, code="has_opportunities")


def opportunities_owned_count(tenant, user_id: int) -> int:
    from zhuli.tenancy.unscoped import for_tenant

    return for_tenant(Opportunity, tenant).filter(owner_id=user_id).count()


def opportunities_transfer_all(*, actor: Actor, from_user, to_user) -> int:
    """Every opportunity of a (departed) user to a colleague, audited (a customer's owner change moves only
    that customer's open ones: opportunities_follow_customer_owner)."""
    if actor.is_admin or actor.system:  # managing users is the admin's job, whatever their sales rights
        rows = Opportunity.objects.filter(owner=from_user)
    else:
        require(actor, "opportunities.transfer")
        rows = visible(Opportunity, actor).filter(owner=from_user)
    ids = list(rows.values_list("id", flat=True))
    if ids:
        Opportunity.objects.filter(pk__in=ids).update(owner=to_user, updated_at=timezone.now())
        audit_record(actor=actor, action="opportunity.transfer_all", target=None,
                     changes={"from": from_user.name, "to": to_user.name, "count": len(ids)})
    return len(ids)


# ---- stages (Settings) -----------------------------------------------------------------------------

STAGE_NAME_MAX = 40


def _clean_stage(data: dict, *, instance: Stage | None) -> dict:
    errors: dict = {}
    out: dict = {}
    if "name" in data or instance is None:
        name = text.clean_text(data.get("name"))
        if not name:
            errors["name"] = _("请填写阶段名称")
        elif len(name) > STAGE_NAME_MAX:
            errors["name"] = _("阶段名称最多 %(n)s 个字符") % {"n": STAGE_NAME_MAX}
        elif Stage.objects.filter(name=name).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["name"] = _("阶段“%(name)s”已存在") % {"name": name}
        out["name"] = name
    if "probability" in data or instance is None:
        probability = parse_probability(data.get("probability"), errors)
        if probability is None and "probability" not in errors:
            errors["probability"] = _("请填写赢率")
        out["probability"] = probability
    if "kind" in data or instance is None:
        kind = data.get("kind") or StageKind.OPEN
        if kind not in StageKind.values:
            errors["kind"] = _("阶段类型只能是 open、won 或 lost")
        out["kind"] = kind
    if errors:
        raise InvalidInput(errors)
    kind = out.get("kind", getattr(instance, "kind", StageKind.OPEN))
    if kind == StageKind.WON and out.get("probability", getattr(instance, "probability", 100)) != 100:
        raise InvalidInput({"probability": _("赢单阶段的赢率固定为 100%")})
    if kind == StageKind.LOST and out.get("probability", getattr(instance, "probability", 0)) != 0:
        raise InvalidInput({"probability": _("输单阶段的赢率固定为 0%")})
    return out


def _require_admin(actor: Actor) -> None:
    require(actor, "opportunities.view")
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有管理员可以设置销售阶段"))
    require_writable(actor)


@transaction.atomic
def stage_create(*, actor: Actor, data: dict) -> Stage:
    """A new open stage at the end (before the won/lost ones); won and lost stages exist once each."""
    _require_admin(actor)
    cleaned = _clean_stage(data, instance=None)
    if cleaned["kind"] != StageKind.OPEN:
        raise InvalidInput({"kind": _("赢单和输单阶段各只能有一个，新阶段只能是进行中")})
    last_open = Stage.objects.filter(kind=StageKind.OPEN).aggregate(m=Max("order"))["m"] or 0
    Stage.objects.filter(order__gt=last_open).update(order=F("order") + 1)
    stage = Stage.objects.create(order=last_open + 1, **cleaned)
    audit_record(actor=actor, action="stage.create", target=stage,
                 changes={"name": stage.name, "probability": stage.probability})
    return stage


@transaction.atomic
def stage_update(*, actor: Actor, stage_id: int, data: dict) -> Stage:
    """Renames / sets the probability; existing opportunities keep theirs (only new moves take it)."""
    stage = get_visible_or_404(Stage, actor, stage_id)
    _require_admin(actor)
    cleaned = _clean_stage({k: v for k, v in data.items() if k in ("name", "probability")}, instance=stage)
    before = {k: getattr(stage, k) for k in cleaned}
    for k, v in cleaned.items():
        setattr(stage, k, v)
    stage.save()
    changes = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
    if changes:
        audit_record(actor=actor, action="stage.update", target=stage, changes=changes)
    return stage


@transaction.atomic
def stage_set_active(*, actor: Actor, stage_id: int, active: bool) -> Stage:
    """Deactivates (hidden from new moves, kept on old records) or reactivates a stage; exactly one active
    won and one active lost stage remain, and at least one open one. A stage still holding open (tracking /
    on hold) opportunities cannot be deactivated: they are moved first."""
    stage = get_visible_or_404(Stage, actor, stage_id)
    _require_admin(actor)
    if stage.is_active == active:
        return stage
    if not active:
        others = Stage.objects.filter(kind=stage.kind, is_active=True).exclude(pk=stage.pk)
        if not others.exists():
            raise Conflict(_("至少要保留一个启用的“%(kind)s”阶段") % {"kind": StageKind(stage.kind).label})
        still_open = Opportunity.objects.filter(stage=stage, status__in=OPEN_STATUSES).count()
        if still_open:
            raise Conflict(_("该阶段还有 %(n)s 个跟踪中的机会，请先移到其他阶段") % {"n": still_open}, code="in_use")
    elif stage.kind != StageKind.OPEN and Stage.objects.filter(kind=stage.kind, is_active=True).exists():
        raise Conflict(_("已有启用的“%(kind)s”阶段，只能保留一个") % {"kind": StageKind(stage.kind).label})
    stage.is_active = active
    stage.save(update_fields=["is_active"])
    audit_record(actor=actor, action="stage.activate" if active else "stage.deactivate", target=stage)
    return stage


@transaction.atomic
def stage_delete(*, actor: Actor, stage_id: int) -> None:
    """Only a stage no opportunity has ever used can be deleted; otherwise deactivate it."""
    stage = get_visible_or_404(Stage, actor, stage_id)
    _require_admin(actor)
    in_use = Opportunity.objects.filter(stage=stage).exists() or \
        StageChange.objects.filter(to_stage=stage).exists() or StageChange.objects.filter(from_stage=stage).exists()
    if in_use:
        raise Conflict(_("阶段“%(name)s”已被销售机会使用，不能删除，可以停用") % {"name": stage.name}, code="in_use")
    if stage.is_active and not Stage.objects.filter(kind=stage.kind, is_active=True).exclude(pk=stage.pk).exists():
        raise Conflict(_("至少要保留一个启用的“%(kind)s”阶段") % {"kind": StageKind(stage.kind).label})
    audit_record(actor=actor, action="stage.delete", target=stage, changes={"name": stage.name})
    stage.delete()


@transaction.atomic
def stage_reorder(*, actor: Actor, stage_ids: list[int]) -> None:
    """Sets the order of the open stages; won and lost stay at the end."""
    _require_admin(actor)
    stages = {s.pk: s for s in Stage.objects.all()}
    ids = [i for i in (_int(x) for x in stage_ids) if i]
    if not ids or set(ids) - set(stages) or len(set(ids)) != len(ids):
        raise InvalidInput({"stage_ids": _("阶段不存在")})
    ordered = [stages[i] for i in ids if stages[i].kind == StageKind.OPEN]
    rest = [s for s in sorted(stages.values(), key=lambda s: (s.order, s.pk)) if s not in ordered]
    rest_open = [s for s in rest if s.kind == StageKind.OPEN]
    closed = [s for s in rest if s.kind != StageKind.OPEN]
    for position, stage in enumerate(ordered + rest_open + closed, start=1):
        if stage.order != position:
            Stage.objects.filter(pk=stage.pk).update(order=position)
    audit_record(actor=actor, action="stage.reorder", target=None, changes={"order": [s.name for s in ordered]})


def stage_move(*, actor: Actor, stage_id: int, direction: int) -> None:
    """One step up or down among the open stages (the settings page's arrows)."""
    stage = get_visible_or_404(Stage, actor, stage_id)
    ids = list(Stage.objects.filter(kind=StageKind.OPEN).order_by("order", "id").values_list("id", flat=True))
    if stage.pk not in ids:
        raise Conflict(_("赢单和输单阶段固定在最后"))
    i = ids.index(stage.pk)
    j = i + (1 if direction > 0 else -1)
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    stage_reorder(actor=actor, stage_ids=ids)


def opportunities_delete_for_customer(*, customer) -> None:
    """customer_delete_hooks: the customer's opportunities and their stage history, one tenant-filtered DELETE
    each (the follow-ups linked to them are the same customer's, deleted by the activities hook)."""
    from zhuli.core.deletion import delete_rows

    opportunities = Opportunity.objects.filter(customer=customer)
    delete_rows(StageChange.objects.filter(opportunity_id__in=opportunities.values("id")))
    delete_rows(opportunities)
