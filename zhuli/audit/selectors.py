"""Reads of the audit log for the company admin: filters, rows with Chinese labels and readable changes."""
from __future__ import annotations

import datetime
import ipaddress
import json
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.roles import Role
from zhuli.access.scoping import visible
from zhuli.accounts.models import User, owner_display
from zhuli.core.errors import Forbidden
from zhuli.core.pagination import order_by_param
from zhuli.core.text import clean_text

from . import labels
from .models import AuditEvent

LIST_COLUMNS = (
    "id", "created_at", "action", "actor_id", "actor__name", "actor__is_active", "actor__tenant_id", "target_type",
    "target_id", "target_label", "changes", "ip",
)
# Values of these keys are lists in their own right, not [before, after] pairs.
LIST_KEYS = {"fields", "ids", "order", "departments", "actions", "errors"}
MAX_VALUE_CHARS = 200
LOGIN_ACTIONS = ("login", "login.failed")
# API sort names → columns (`id` breaks ties); the page always shows the newest first.
SORTS = {"created_at": "created_at", "id": "id"}
DEFAULT_SORT = "-created_at"
USER_TYPE = "accounts.user"


@dataclass
class AuditFilters:
    q: str = ""
    action: str = ""  # a group key (labels.GROUPS) or one exact action code
    actor: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    target_type: str = ""
    sort: str = DEFAULT_SORT


def audit_require_viewer(actor: Actor) -> None:
    """The log is for company admins only (403 for everyone else)."""
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以查看操作日志"))


def _parse_date(value: str, field: str, errors: dict) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        errors[field] = _("日期格式应为 YYYY-MM-DD")
        return None
    if not 1900 <= day.year <= 2200:
        errors[field] = _("日期超出范围")
        return None
    return day


def audit_filters_from(params) -> tuple[AuditFilters, dict, dict]:
    """Query parameters → (filters, what was asked, errors by field); bad values are left out and named."""
    filters, asked, errors = AuditFilters(), {}, {}
    q = clean_text(params.get("q") or "")[:100]
    if q:
        filters.q = asked["q"] = q
    action = (params.get("action") or "").strip()[:60]
    if action:
        filters.action = asked["action"] = action
    raw_actor = (params.get("actor") or "").strip()
    if raw_actor:
        if raw_actor.isdigit() and len(raw_actor) <= 18:
            filters.actor = int(raw_actor)
            asked["actor"] = raw_actor
        else:
            errors["actor"] = _("操作人应为用户 id")
    for field in ("date_from", "date_to"):
        raw = (params.get(field) or "").strip()
        if raw:
            day = _parse_date(raw, field, errors)
            if day is not None:
                setattr(filters, field, day)
                asked[field] = raw
    target_type = (params.get("target_type") or "").strip()[:60]
    if target_type:
        filters.target_type = asked["target_type"] = target_type
    return filters, asked, errors


def _is_ip(text: str) -> bool:
    # PostgreSQL's inet column refuses anything else, so a plain word must never be compared with it.
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _day_start(actor: Actor, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=actor.tenant.zone)


def audit_event_list(*, actor: Actor, filters: AuditFilters) -> QuerySet:
    """The tenant's events, newest first (`id` breaks ties), narrowed by the filters; admins only."""
    audit_require_viewer(actor)
    qs = visible(AuditEvent, actor)
    if filters.action:
        group = labels.GROUPS_BY_KEY.get(filters.action)
        qs = qs.filter(group.condition()) if group else qs.filter(action=filters.action)
    if filters.actor:
        # Login events carry no actor (nobody is signed in yet); the user is their target.
        qs = qs.filter(Q(actor_id=filters.actor) | Q(action__in=LOGIN_ACTIONS, target_type=USER_TYPE,
                                                    target_id=filters.actor))
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(actor, filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(actor, filters.date_to + datetime.timedelta(days=1)))
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    if filters.q:
        # The Chinese action names are not stored: a word like 转移 matches the codes it names.
        codes = [code for code, label in labels.ACTIONS.items() if filters.q in str(label)]
        condition = Q(target_label__icontains=filters.q) | Q(action=filters.q)
        if _is_ip(filters.q):
            condition |= Q(ip=filters.q)
        if codes:
            condition |= Q(action__in=codes)
        qs = qs.filter(condition)
    return qs.order_by(*order_by_param(filters.sort, SORTS, DEFAULT_SORT))


def audit_user_names(actor: Actor, ids) -> dict[int, str]:
    """Names of the tenant's users among `ids` (all of them for None), in one query, for user ids in changes."""
    qs = visible(User, actor)
    if ids is not None:
        ids = {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}
        if not ids:
            return {}
        qs = qs.filter(pk__in=ids)
    return {pk: owner_display(name, active) for pk, name, active in qs.values_list("id", "name", "is_active")}


def _user_ids_in(changes) -> set[int]:
    out = set()
    if not isinstance(changes, dict):
        return out
    for key in labels.USER_ID_KEYS:
        value = changes.get(key)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int) and not isinstance(v, bool):
                out.add(v)
    return out


ROLE_LABELS = dict(Role.choices)


def _value_text(key: str, value, users: dict[int, str]) -> str:
    if value is None or value == "":
        return _("空")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key in labels.USER_ID_KEYS and isinstance(value, int):
        return users.get(value, f"#{value}")
    if key == "by" and isinstance(value, int):
        # The demo reset names who asked; an operator is nobody of the company.
        return users.get(value) or _("平台运营")
    if key == "role" and value in ROLE_LABELS:
        return str(ROLE_LABELS[value])
    if isinstance(value, str) and value in labels.VALUE_LABELS.get(key, {}):
        return str(labels.VALUE_LABELS[key][value])
    if isinstance(value, list):
        text = "、".join(_value_text(key, v, users) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def describe_changes(changes, users: dict[int, str]) -> list[dict]:
    """`changes` as [{"field", "before", "after"}] (before is None for a plain value), labels in Chinese."""
    if not isinstance(changes, dict):
        return []
    out = []
    for key, value in changes.items():
        label = str(labels.FIELDS.get(key, key))
        if isinstance(value, list) and len(value) == 2 and key not in LIST_KEYS:
            out.append({"field": label, "before": _value_text(key, value[0], users),
                        "after": _value_text(key, value[1], users)})
        else:
            out.append({"field": label, "before": None, "after": _value_text(key, value, users)})
    return out


def changes_text(changes, users: dict[int, str]) -> str:
    """One line for exports: 角色：销售 → 经理；邮箱：…"""
    parts = []
    for item in describe_changes(changes, users):
        value = item["after"] if item["before"] is None else f"{item['before']} → {item['after']}"
        parts.append(f"{item['field']}：{value}")
    return "；".join(parts)


def actor_label(row: dict) -> str:
    """Who acted: the colleague, 平台运营 for the service's operators, 系统 for jobs and logins."""
    if row.get("actor_id") is None:
        if row.get("action") in LOGIN_ACTIONS and row.get("target_type") == USER_TYPE:
            return row.get("target_label") or ""
        return _("系统")
    if row.get("actor__tenant_id") is None:
        return _("平台运营")
    return owner_display(row.get("actor__name") or "", row.get("actor__is_active"))


def audit_rows(*, actor: Actor, rows: list[dict]) -> list[dict]:
    """Page rows with the action's name, the actor's and the changes spelled out (one extra query for names)."""
    ids = set()
    for row in rows:
        ids |= _user_ids_in(row["changes"])
    users = audit_user_names(actor, ids)
    for row in rows:
        row["action_label"] = labels.action_label(row["action"])
        row["actor_label"] = actor_label(row)
        row["target_type_label"] = labels.target_type_label(row["target_type"])
        row["change_items"] = describe_changes(row["changes"], users)
    return rows


def audit_actor_choices(actor: Actor) -> list[tuple[int, str]]:
    """Colleagues for the 操作人 filter (the tenant's users; bounded by the plan's seats)."""
    return [(pk, owner_display(name, active)) for pk, name, active in
            visible(User, actor).order_by("-is_active", "name", "id").values_list("id", "name", "is_active")]
