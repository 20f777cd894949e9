from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.roles import MANAGING_ROLES
from zhuli.access.scoping import get_visible_or_404, require, visible
from zhuli.audit.services import audit_record
from zhuli.core import text
from zhuli.core.errors import Forbidden, InvalidInput
from zhuli.customers.models import Contact, Customer
from zhuli.customers.services import customer_set_followup_dates
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.sales.services import opportunity_for_followup, opportunity_refresh_last_followup

from .models import FollowUp, Todo

CONTENT_MAX = 5000


def customer_refresh_followup_dates(customer_id: int) -> None:
    """Last = latest follow-up; next = earliest open todo. Recomputed, so edits and deletes stay right."""
    last = FollowUp.objects.filter(customer_id=customer_id).aggregate(m=Max("occurred_at"))["m"]
    nxt = Todo.objects.filter(customer_id=customer_id, done_at__isnull=True).aggregate(m=Min("due_at"))["m"]
    customer_set_followup_dates(customer_id=customer_id, last_at=last, next_at=nxt)


def _aware(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, datetime.date):
        # A date alone means 9:00 that day in the tenant's zone, a sensible time to call; for today
        # once 9:00 has passed, the end of the day, so "call back later today" stays today's todo.
        at = timezone.make_aware(datetime.datetime.combine(value, datetime.time(9, 0)))
        if value == timezone.localdate() and at < timezone.now():
            at = timezone.make_aware(datetime.datetime.combine(value, datetime.time(23, 59)))
        return at
    errors[field] = _("时间格式应为 YYYY-MM-DD HH:MM")
    return None


def _clean(actor: Actor, data: dict, *, customer: Customer, creating: bool) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    if creating or "content" in data:
        content = text.clean_text(data.get("content"))
        if not content:
            errors["content"] = _("请填写跟进内容")
        elif len(content) > CONTENT_MAX:
            errors["content"] = _("跟进内容最多 %(n)s 个字符") % {"n": CONTENT_MAX}
        out["content"] = content
    if creating or "occurred_at" in data:
        occurred = _aware(data.get("occurred_at"), "occurred_at", errors) or (timezone.now() if creating else None)
        if occurred and occurred > timezone.now() + datetime.timedelta(minutes=5):
            errors["occurred_at"] = _("跟进时间不能晚于现在；计划中的跟进请填写在“下次跟进”")
        elif occurred and occurred.year < 2000:
            errors["occurred_at"] = _("跟进时间不在合理范围内")
        if occurred:
            out["occurred_at"] = occurred
    if "type_id" in data:
        type_id = data.get("type_id")
        item = None
        if type_id:
            item = visible(DictionaryItem, actor).filter(kind=DictionaryKind.FOLLOWUP_TYPE, pk=_int(type_id)).first()
            if item is None:
                errors["type_id"] = _("无效的跟进方式")
        out["type"] = item
    if "contact_id" in data:
        contact = None
        if data.get("contact_id"):
            contact = Contact.objects.filter(customer=customer, pk=_int(data["contact_id"])).first()
            if contact is None:
                errors["contact_id"] = _("联系人不属于该客户")
        out["contact"] = contact
    if "opportunity_id" in data:
        opportunity = None
        if data.get("opportunity_id"):
            try:
                opportunity = opportunity_for_followup(actor=actor, opportunity_id=data["opportunity_id"],
                                                       customer_id=customer.pk)
            except InvalidInput as exc:
                errors.update({k: v[0] for k, v in exc.errors.items()})
        out["opportunity"] = opportunity
    next_at = _aware(data.get("next_at"), "next_at", errors)
    if next_at and out.get("occurred_at") and next_at < out["occurred_at"]:
        errors["next_at"] = _("下次跟进时间应晚于本次跟进时间")
    next_action = text.clean_text(data.get("next_action"))
    if len(next_action) > 500:
        errors["next_action"] = _("最多 500 个字符")
    if errors:
        raise InvalidInput(errors)
    return {"fields": out, "next_at": next_at, "next_action": next_action}


def opportunity_refresh_followup_date(opportunity_id: int | None) -> None:
    """An opportunity's last follow-up = the latest follow-up logged against it."""
    if opportunity_id:
        last = FollowUp.objects.filter(opportunity_id=opportunity_id).aggregate(m=Max("occurred_at"))["m"]
        opportunity_refresh_last_followup(opportunity_id=opportunity_id, last_at=last)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def may_change(actor: Actor, owner_id: int | None) -> bool:
    """One's own records; managers and bosses may correct their people's (within scope)."""
    return actor.system or owner_id == actor.user_id or actor.role in MANAGING_ROLES


@transaction.atomic
def followup_create(*, actor: Actor, customer_id: int, data: dict) -> FollowUp:
    """Logs a follow-up; a next time becomes a todo; `todo_id` marks that planned follow-up done."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "followups.create")
    cleaned = _clean(actor, data, customer=customer, creating=True)
    followup = FollowUp.objects.create(customer=customer, owner_id=actor.user_id, **cleaned["fields"])
    if data.get("todo_id"):
        todo = visible(Todo, actor).filter(pk=_int(data["todo_id"]), customer=customer, done_at__isnull=True).first()
        if todo is not None:
            todo.done_at, todo.done_by = timezone.now(), followup
            todo.save(update_fields=["done_at", "done_by"])
    if cleaned["next_at"]:
        Todo.objects.create(customer=customer, due_at=cleaned["next_at"], content=cleaned["next_action"],
                            owner_id=customer.owner_id or actor.user_id, source=followup)
    customer_refresh_followup_dates(customer.pk)
    opportunity_refresh_followup_date(followup.opportunity_id)
    audit_record(actor=actor, action="followup.create", target=followup, changes={"customer": customer.name})
    return followup


@transaction.atomic
def followup_update(*, actor: Actor, followup_id: int, data: dict) -> FollowUp:
    """Edits one's own follow-up; the customer's last/next dates follow."""
    followup = get_visible_or_404(FollowUp, actor, followup_id)
    require(actor, "followups.edit")
    if not may_change(actor, followup.owner_id):
        raise Forbidden(_("只能修改自己的跟进记录"))
    cleaned = _clean(actor, {k: v for k, v in data.items() if k not in ("next_at", "next_action")},
                     customer=followup.customer, creating=False)
    previous_opportunity_id = followup.opportunity_id
    for k, v in cleaned["fields"].items():
        setattr(followup, k, v)
    followup.save()
    customer_refresh_followup_dates(followup.customer_id)
    for opportunity_id in {previous_opportunity_id, followup.opportunity_id}:
        opportunity_refresh_followup_date(opportunity_id)
    audit_record(actor=actor, action="followup.update", target=followup, changes={"fields": list(cleaned["fields"])})
    return followup


@transaction.atomic
def followup_delete(*, actor: Actor, followup_id: int) -> None:
    """Deletes one's own follow-up with the todo it planned, if still open."""
    followup = get_visible_or_404(FollowUp, actor, followup_id)
    require(actor, "followups.delete")
    if not may_change(actor, followup.owner_id):
        raise Forbidden(_("只能删除自己的跟进记录"))
    customer_id, opportunity_id = followup.customer_id, followup.opportunity_id
    Todo.objects.filter(source=followup, done_at__isnull=True).delete()
    audit_record(actor=actor, action="followup.delete", target=followup)
    followup.delete()
    customer_refresh_followup_dates(customer_id)
    opportunity_refresh_followup_date(opportunity_id)


@transaction.atomic
def todo_create(*, actor: Actor, customer_id: int, due_at, content: str = "") -> Todo:
    """Plans a follow-up without logging one."""
    customer = get_visible_or_404(Customer, actor, customer_id)
    require(actor, "followups.create")
    errors: dict = {}
    due = _aware(due_at, "due_at", errors)
    if due is None and not errors:
        errors["due_at"] = _("请填写计划时间")
    content = text.clean_text(content)
    if len(content) > 500:
        errors["content"] = _("最多 500 个字符")
    if errors:
        raise InvalidInput(errors)
    todo = Todo.objects.create(customer=customer, due_at=due, content=content,
                               owner_id=customer.owner_id or actor.user_id)
    customer_refresh_followup_dates(customer.pk)
    audit_record(actor=actor, action="todo.create", target=customer, changes={"due_at": due})
    return todo


@transaction.atomic
def todo_complete(*, actor: Actor, todo_id: int) -> Todo:
    todo = get_visible_or_404(Todo, actor, todo_id)
    require(actor, "followups.edit")
    if not may_change(actor, todo.owner_id):
        raise Forbidden(_("只能完成自己的待办"))
    if todo.done_at is None:
        todo.done_at = timezone.now()
        todo.save(update_fields=["done_at"])
        customer_refresh_followup_dates(todo.customer_id)
        audit_record(actor=actor, action="todo.complete", target=todo.customer)
    return todo


@transaction.atomic
def todo_delete(*, actor: Actor, todo_id: int) -> None:
    todo = get_visible_or_404(Todo, actor, todo_id)
    require(actor, "followups.delete")
    if not may_change(actor, todo.owner_id):
        raise Forbidden(_("只能删除自己的待办"))
    customer_id = todo.customer_id
    todo.delete()
    customer_refresh_followup_dates(customer_id)
    audit_record(actor=actor, action="todo.delete", target=None, changes={"customer_id": customer_id})


def todos_follow_new_owner(*, customer, from_owner_id, to_owner) -> None:
    """Open todos of the old owner go to the new one, so the workbench shows them to whoever follows up."""
    Todo.objects.filter(customer=customer, done_at__isnull=True, owner_id=from_owner_id).update(owner=to_owner)


def followups_delete_for_customer(*, customer) -> None:
    """customer_delete_hooks: the customer's todos and follow-ups, one tenant-filtered DELETE each (a todo's
    source / done-by follow-up is one of the same customer's, so nothing else points at them)."""
    from zhuli.core.deletion import delete_rows

    delete_rows(Todo.objects.filter(customer=customer))
    delete_rows(FollowUp.objects.filter(customer=customer))
