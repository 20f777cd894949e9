from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from zhuli.access.actor import Actor
from zhuli.access.scoping import get_visible_or_404, require_writable, visible
from zhuli.audit.services import audit_record
from zhuli.core.errors import Conflict, Forbidden, InvalidInput
from zhuli.core.text import clean_text
from zhuli.tenancy.unscoped import for_tenant

from .models import DEFAULT_DICTIONARIES, DictionaryItem, DictionaryKind


def _require_admin(actor: Actor) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden(_("只有公司管理员可以修改设置"))
    require_writable(actor)


def dictionaries_install_defaults(*, tenant) -> None:
    """The Chinese defaults every new tenant starts with."""
    items = [
        DictionaryItem(tenant=tenant, kind=kind, code=code, name=name, order=i)
        for kind, values in DEFAULT_DICTIONARIES.items()
        for i, (code, name) in enumerate(values, start=1)
    ]
    for_tenant(DictionaryItem, tenant).bulk_create(items, ignore_conflicts=True)


def _check_name(name: str) -> str:
    name = clean_text(name)
    if not name:
        raise InvalidInput({"name": _("名称不能为空")})
    if len(name) > 60:
        raise InvalidInput({"name": _("名称最多 60 个字符")})
    return name


@transaction.atomic
def dictionary_item_create(*, actor: Actor, kind: str, name: str, code: str = "") -> DictionaryItem:
    """Adds a picklist value at the end of its list; names are unique within a dictionary."""
    _require_admin(actor)
    if kind not in DictionaryKind.values:
        raise InvalidInput({"kind": _("未知的字典")})
    name = _check_name(name)
    last = visible(DictionaryItem, actor).filter(kind=kind).aggregate(m=Max("order"))["m"] or 0
    try:
        with transaction.atomic():
            item = DictionaryItem.objects.create(kind=kind, name=name, code=clean_text(code)[:20], order=last + 1)
    except IntegrityError:
        raise Conflict(_("“%(name)s”已存在") % {"name": name}, field="name")
    audit_record(actor=actor, action="dictionary.create", target=item, changes={"name": name, "kind": kind})
    return item


def dictionary_item_ensure(*, actor: Actor, kind: str, value: str) -> DictionaryItem | None:
    """For imports: match by code or name (also 'C 制造业' as code + name), else add the value."""
    value = clean_text(value)
    if not value:
        return None
    items = list(visible(DictionaryItem, actor).filter(kind=kind))
    key = value.casefold()
    code_part, name_part = "", value
    match = re.match(r"^([A-Za-z0-9]{1,4})[\s\.、:：-]+(.+)$", value)
    if match:
        code_part, name_part = match.group(1), match.group(2).strip()
    for item in items:
        if item.name.casefold() == key or (item.code and item.code.casefold() == key):
            return item
    for item in items:
        if code_part and item.code and item.code.casefold() == code_part.casefold():
            return item
        if name_part and item.name.casefold() == name_part.casefold():
            return item
    last = max((i.order for i in items), default=0)
    # "Z 新兴产业" becomes the item 新兴产业 with code Z, so the next "Z" or "新兴产业" matches it.
    item, _created = DictionaryItem.objects.get_or_create(
        kind=kind, name=(name_part if code_part else value)[:60], defaults={"order": last + 1, "code": code_part[:20]}
    )
    return item


@transaction.atomic
def dictionary_item_update(*, actor: Actor, item_id: int, name: str | None = None, is_active: bool | None = None,
                           code: str | None = None) -> DictionaryItem:
    """Renames or (de)activates; old records keep pointing at the same item."""
    _require_admin(actor)
    item = get_visible_or_404(DictionaryItem, actor, item_id)
    before = {"name": item.name, "is_active": item.is_active, "code": item.code}
    if name is not None:
        item.name = _check_name(name)
    if is_active is not None:
        item.is_active = bool(is_active)
    if code is not None:
        item.code = clean_text(code)[:20]
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise Conflict(_("“%(name)s”已存在") % {"name": item.name}, field="name")
    after = {"name": item.name, "is_active": item.is_active, "code": item.code}
    audit_record(actor=actor, action="dictionary.update", target=item,
                 changes={k: [before[k], v] for k, v in after.items() if before[k] != v})
    return item


@transaction.atomic
def dictionary_reorder(*, actor: Actor, kind: str, ids: list[int]) -> None:
    """Sets the order of a dictionary's items to the order of `ids` (unknown ids are refused)."""
    _require_admin(actor)
    items = {i.pk: i for i in visible(DictionaryItem, actor).filter(kind=kind)}
    if set(ids) != set(items):
        raise InvalidInput({"ids": _("排序列表与字典项不一致")})
    for position, pk in enumerate(ids, start=1):
        items[pk].order = position
    DictionaryItem.objects.bulk_update(items.values(), ["order"])
    audit_record(actor=actor, action="dictionary.reorder", changes={"kind": kind, "ids": ids})
