"""Data dictionaries (picklists), read-only: clients fill their pickers from here."""
from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import Field

from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.api.auth import actor_of
from zhuli.api.errors import responses
from zhuli.api.schemas import Out, PageParams, page_of
from zhuli.core.errors import InvalidInput
from zhuli.core.pagination import order_by_param

from .models import DictionaryItem, DictionaryKind
from .selectors import dictionary_list

router = Router(tags=["dictionaries"])

COLUMNS = ("id", "kind", "name", "code", "order", "is_active")
SORTS = {"id": "id", "order": "order", "name": "name"}


class DictionaryItemOut(Out):
    id: int
    kind: str
    name: str
    code: str
    order: int
    is_active: bool


class DictionaryList(Out):
    items: list[DictionaryItemOut]
    count: int


class DictionaryQuery(PageParams):
    kind: str = Field(default="", max_length=30, description="、".join(DictionaryKind.values))
    active: bool | None = Field(default=None, description="true：只要启用的项")


@router.get("/dictionaries", response=responses(200, DictionaryList, 422))
def dictionary_items(request, filters: Query[DictionaryQuery]):
    """Picklist values, by dictionary then their order; `kind` picks one dictionary."""
    if filters.kind and filters.kind not in DictionaryKind.values:
        raise InvalidInput({"kind": _("未知的字典，可选：%(kinds)s") % {"kinds": ", ".join(DictionaryKind.values)}})
    qs = dictionary_list(actor=actor_of(request), kind=filters.kind or None,
                         include_inactive=filters.active is not True)
    if filters.active is False:
        qs = qs.filter(is_active=False)
    if filters.sort:
        qs = qs.order_by("kind", *order_by_param(filters.sort, SORTS, "order"))
    return page_of(qs.values(*COLUMNS), filters, counted=qs)


@router.get("/dictionaries/{int:item_id}", response=responses(200, DictionaryItemOut, 404))
def dictionary_item(request, item_id: int):
    actor = actor_of(request)
    return get_visible_or_404(DictionaryItem, actor, item_id, queryset=visible(DictionaryItem, actor).values(*COLUMNS))
