"""Reads for imports: the actor's jobs, and the lookups a whole file needs at once (regions, users, 查重)."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.accounts.models import User, owner_display
from zhuli.core.models import Region
from zhuli.customers.models import Customer

from .models import ImportJob

KEY_CHUNK = 500  # keeps IN (...) lists well below SQLite's variable limit


def import_job_get(*, actor: Actor, job_id) -> ImportJob:
    return get_visible_or_404(ImportJob, actor, job_id)


def import_job_list(*, actor: Actor, resource: str = "") -> QuerySet:
    qs = visible(ImportJob, actor)
    if resource:
        qs = qs.filter(resource=resource)
    return qs.order_by("-created_at", "-id")


def region_rows() -> list[tuple[str, str, str, int, str | None]]:
    """Every region as (code, name, short_name, level, parent code): global reference data, read once per file."""
    return list(Region.objects.values_list("code", "name", "short_name", "level", "parent_id"))


def active_users(*, actor: Actor) -> list[dict]:
    """Colleagues a row may name as owner (负责人)."""
    return list(visible(User, actor).filter(is_active=True).values("id", "name", "email", "mobile"))


def customer_duplicate_keys(*, name_keys: set[str], credit_codes: set[str]) -> tuple[dict, dict]:
    """Existing customers with one of these exact name keys or credit codes, in the whole tenant.

    The whole tenant on purpose, like 查重 (DESIGN §5): a duplicate hides in a colleague's list too.
    Returns ({name_key: match}, {credit_code: match}), a match being {"id", "name", "owner"}.
    """
    by_key: dict[str, dict] = {}
    by_code: dict[str, dict] = {}
    columns = ("id", "name", "name_key", "credit_code", "owner__name", "owner__is_active")
    keys, codes = sorted(k for k in name_keys if k), sorted(c for c in credit_codes if c)
    chunks = [(keys[i:i + KEY_CHUNK], []) for i in range(0, len(keys), KEY_CHUNK)]
    chunks += [([], codes[i:i + KEY_CHUNK]) for i in range(0, len(codes), KEY_CHUNK)]
    for key_chunk, code_chunk in chunks:
        condition = Q(name_key__in=key_chunk) if key_chunk else Q(credit_code__in=code_chunk)
        for row in Customer.objects.filter(condition).order_by("id").values(*columns):
            match = {"id": row["id"], "name": row["name"],
                     "owner": owner_display(row["owner__name"], row["owner__is_active"])}
            by_key.setdefault(row["name_key"], match)
            if row["credit_code"]:
                by_code.setdefault(row["credit_code"], match)
    return by_key, by_code
