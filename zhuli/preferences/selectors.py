from __future__ import annotations

from django.db.models import Q

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible

from .models import DictionaryItem


def dictionary_list(*, actor: Actor, kind: str | None = None, include_inactive: bool = True):
    qs = visible(DictionaryItem, actor)
    if kind:
        qs = qs.filter(kind=kind)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("kind", "order", "id")


def dictionary_choices(*, actor: Actor, kind: str, keep_id: int | None = None) -> list[DictionaryItem]:
    """Active items for a picker, plus the record's current (maybe deactivated) value."""
    qs = visible(DictionaryItem, actor).filter(kind=kind).filter(Q(is_active=True) | Q(pk=keep_id or 0))
    return list(qs.order_by("order", "id"))
