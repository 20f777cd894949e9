from __future__ import annotations

import datetime
import decimal

from django.db import models

from zhuli.tenancy.unscoped import for_tenant

from .models import AuditEvent


def _plain(value):
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | decimal.Decimal):
        return str(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """Only the fields that changed, as {field: [old, new]}."""
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if before.get(k) != v}


def _actor_id(actor) -> int | None:
    # An Actor (tenant users, system jobs) or a bare User: platform operators act on tenants without one.
    if actor is None:
        return None
    if hasattr(actor, "user_id"):
        return actor.user_id
    return getattr(actor, "pk", None)


def audit_record(*, actor, action: str, target=None, changes: dict | None = None, tenant=None, ip=None) -> None:
    """Writes one audit event; called by services inside their transaction."""
    tenant = tenant or actor.tenant
    for_tenant(AuditEvent, tenant).create(
        tenant=tenant,
        actor_id=_actor_id(actor),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=getattr(target, "pk", None),
        target_label=str(target)[:200] if target is not None else "",
        changes={k: [_plain(x) for x in v] if isinstance(v, list | tuple) else _plain(v) for k, v in (changes or {}).items()},
        ip=ip,
    )
