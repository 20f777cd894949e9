"""查重 (DESIGN §5): searches the whole tenant whatever the caller's scope, but names only the
record and its owner — the id and link only for records the caller may see."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible
from zhuli.accounts.models import owner_display
from zhuli.core import text

from .models import Customer


@dataclass
class DuplicateReport:
    blocking: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)


def _describe(row: dict, visible_ids: set[int], reason: str) -> dict:
    owner = None
    if row["owner_id"]:
        owner = {"id": row["owner_id"], "name": owner_display(row["owner__name"], row["owner__is_active"])}
    out = {"name": row["name"], "owner": owner, "reason": reason}
    if row["id"] in visible_ids:
        out["id"] = row["id"]
    return out


def duplicates_find(*, actor: Actor, name: str = "", credit_code: str = "", phones: list[str] = (),
                    website: str = "", exclude_id: int | None = None, limit: int = 5) -> DuplicateReport:
    """Exact normalised name or credit code blocks; phone, website host or bracket-stripped name warns."""
    report = DuplicateReport()
    key, core = text.name_key(name), text.name_core(name)
    code = (credit_code or "").strip().upper()
    # The whole tenant on purpose: duplicates hide in colleagues' lists too.
    everyone = Customer.objects.exclude(pk=exclude_id or 0)
    columns = ("id", "name", "owner_id", "owner__name", "owner__is_active", "name_key", "credit_code")
    blocking_q = Q(name_key=key) if key else Q(pk__in=[])
    if code:
        blocking_q |= Q(credit_code=code)
    blocking = list(everyone.filter(blocking_q).values(*columns)[:limit])
    warn_q = Q(pk__in=[])
    if core and core != key:
        warn_q |= Q(name_core=core)
    elif core:
        warn_q |= Q(name_core=core) & ~Q(name_key=key)
    for phone in {text.phone_key(p) for p in phones if p}:
        if len(phone) >= 7:
            warn_q |= Q(phone_keys__contains=f"|{phone}|")
    host = text.website_host(website)
    if host:
        warn_q |= Q(website_host=host)
    blocked_ids = {r["id"] for r in blocking}
    warnings = [r for r in everyone.filter(warn_q).values(*columns)[: limit * 2] if r["id"] not in blocked_ids]
    ids = {r["id"] for r in blocking + warnings}
    visible_ids = set(visible(Customer, actor).filter(pk__in=ids).values_list("id", flat=True)) if ids else set()
    for row in blocking:
        reason = _("客户名称相同") if row["name_key"] == key else _("统一社会信用代码相同")
        report.blocking.append(_describe(row, visible_ids, reason))
    for row in warnings[:limit]:
        report.warnings.append(_describe(row, visible_ids, _("疑似重复")))
    return report
