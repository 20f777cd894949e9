"""The audit log as an export resource (`export_resources["audit-events"]`), read by the import/export
machinery's writers (zhuli.imports.exports.build): the same columns interface, the list's own filters."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from zhuli.access.actor import Actor
from zhuli.core.errors import InvalidInput

from . import labels
from .selectors import (
    LIST_COLUMNS,
    actor_label,
    audit_event_list,
    audit_filters_from,
    audit_require_viewer,
    audit_user_names,
    changes_text,
)


@dataclass(frozen=True)
class Column:
    label: object
    lookups: tuple[str, ...]
    value: Callable[[dict], object]
    kind: str = "text"  # text (formula-neutralised), date, or moment (in the tenant's zone)
    allowed: Callable[[Actor], bool] | None = None


class AuditExport:
    key = "audit-events"
    label = _("操作日志")
    # export_build checks this first; the admin-only rule is the selector's (rows() below).
    permission = "organisation.view"

    def columns(self, actor: Actor) -> list[Column]:
        audit_require_viewer(actor)
        # The tenant's users, once: user ids inside changes (owner, user_id) become names in every row.
        users = audit_user_names(actor, None)
        return [
            Column(_("时间"), ("created_at",), lambda r: r["created_at"], kind="moment"),
            Column(_("操作"), ("action",), lambda r: labels.action_label(r["action"])),
            Column(_("操作代码"), ("action",), lambda r: r["action"]),
            Column(_("操作人"), ("actor_id", "actor__name", "actor__is_active", "actor__tenant_id", "target_label"),
                   lambda r: str(actor_label(r))),
            Column(_("对象类型"), ("target_type",), lambda r: labels.target_type_label(r["target_type"])),
            Column(_("对象"), ("target_label",), lambda r: r["target_label"] or ""),
            Column(_("变更"), ("changes",), lambda r: changes_text(r["changes"], users)),
            Column(_("IP 地址"), ("ip",), lambda r: r["ip"] or ""),
        ]

    def rows(self, *, actor: Actor, params):
        """The list's rows with the list's filters (admins only; bad filters are 422, as on the API)."""
        filters, asked, errors = audit_filters_from(params)
        if errors:
            raise InvalidInput(errors)
        return audit_event_list(actor=actor, filters=filters).values(*LIST_COLUMNS), asked
