"""Data dictionaries: defaults per tenant, admin-only edits, unique names, deactivation that keeps
old records valid, reordering and the import-side matching."""
from __future__ import annotations

import pytest

from zhuli.audit.models import AuditEvent
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.customers.services import customer_create, customer_update
from zhuli.preferences.models import DEFAULT_DICTIONARIES, DictionaryItem, DictionaryKind
from zhuli.preferences.selectors import dictionary_choices, dictionary_list
from zhuli.preferences.services import (
    dictionaries_install_defaults,
    dictionary_item_create,
    dictionary_item_ensure,
    dictionary_item_update,
    dictionary_reorder,
)
from zhuli.tenancy.context import tenant_context


def names(kind: str, actor) -> list[str]:
    return [i.name for i in dictionary_list(actor=actor, kind=kind)]


def test_each_tenant_starts_with_the_defaults_once(org):
    expected = sum(len(v) for v in DEFAULT_DICTIONARIES.values())
    assert DictionaryItem.objects.count() == expected
    dictionaries_install_defaults(tenant=org.tenant)  # again: nothing doubles
    assert DictionaryItem.objects.count() == expected
    assert names(DictionaryKind.FOLLOWUP_TYPE, org.actor("sales1"))[:2] == ["电话", "拜访"]


def test_create_appends_and_refuses_duplicates_and_non_admins(org):
    admin = org.actor("admin")
    item = dictionary_item_create(actor=admin, kind=DictionaryKind.SOURCE, name=" 抖音 ", code="DY")
    assert (item.name, item.code) == ("抖音", "DY")
    assert names(DictionaryKind.SOURCE, admin)[-1] == "抖音"
    before = (DictionaryItem.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Conflict):
        dictionary_item_create(actor=admin, kind=DictionaryKind.SOURCE, name="抖音")
    with pytest.raises(InvalidInput) as exc:
        dictionary_item_create(actor=admin, kind="colour", name="红")
    assert "kind" in exc.value.errors
    with pytest.raises(InvalidInput):
        dictionary_item_create(actor=admin, kind=DictionaryKind.SOURCE, name="长" * 61)
    with pytest.raises(Forbidden):
        dictionary_item_create(actor=org.actor("boss"), kind=DictionaryKind.SOURCE, name="快手")
    assert (DictionaryItem.objects.count(), AuditEvent.objects.count()) == before


def test_the_same_name_is_fine_in_another_dictionary_and_another_tenant(org, other_org):
    dictionary_item_create(actor=org.actor("admin"), kind=DictionaryKind.LEVEL, name="电话营销")  # also a source
    with tenant_context(other_org.tenant):
        dictionary_item_create(actor=other_org.actor("admin"), kind=DictionaryKind.SOURCE, name="抖音")
    dictionary_item_create(actor=org.actor("admin"), kind=DictionaryKind.SOURCE, name="抖音")


def test_deactivated_items_leave_pickers_but_stay_on_old_records(org):
    admin, sales1 = org.actor("admin"), org.actor("sales1")
    source = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).order_by("order").first()
    customer = customer_create(actor=sales1, data={"kind": "enterprise", "name": "老客户", "source_id": source.pk}).customer
    dictionary_item_update(actor=admin, item_id=source.pk, is_active=False)
    assert source.pk not in [i.pk for i in dictionary_choices(actor=sales1, kind=DictionaryKind.SOURCE)]
    assert source.pk in [i.pk for i in dictionary_choices(actor=sales1, kind=DictionaryKind.SOURCE, keep_id=source.pk)]
    customer_update(actor=sales1, customer_id=customer.pk, data={"source_id": source.pk, "remarks": "改备注"})
    customer.refresh_from_db()
    assert customer.source_id == source.pk
    with pytest.raises(InvalidInput):
        customer_create(actor=sales1, data={"kind": "enterprise", "name": "新客户", "source_id": source.pk})


def test_rename_keeps_records_and_refuses_a_taken_name(org):
    admin = org.actor("admin")
    first, second = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).order_by("order")[:2]
    renamed = dictionary_item_update(actor=admin, item_id=first.pk, name="电话邀约")
    assert renamed.name == "电话邀约"
    with pytest.raises(Conflict):
        dictionary_item_update(actor=admin, item_id=first.pk, name=second.name)
    first.refresh_from_db()
    assert first.name == "电话邀约"
    event = AuditEvent.objects.filter(action="dictionary.update").get()
    assert event.changes == {"name": [DEFAULT_DICTIONARIES[DictionaryKind.SOURCE][0][1], "电话邀约"]}


def test_reorder(org):
    admin = org.actor("admin")
    ids = list(DictionaryItem.objects.filter(kind=DictionaryKind.LEVEL).order_by("order").values_list("pk", flat=True))
    dictionary_reorder(actor=admin, kind=DictionaryKind.LEVEL, ids=list(reversed(ids)))
    assert [i.pk for i in dictionary_list(actor=admin, kind=DictionaryKind.LEVEL)] == list(reversed(ids))
    with pytest.raises(InvalidInput):
        dictionary_reorder(actor=admin, kind=DictionaryKind.LEVEL, ids=ids[:-1])
    assert [i.pk for i in dictionary_list(actor=admin, kind=DictionaryKind.LEVEL)] == list(reversed(ids))


def test_another_tenants_item_is_not_found(org, other_org):
    with tenant_context(other_org.tenant):
        theirs = DictionaryItem.objects.first()
    with pytest.raises(NotFound):
        dictionary_item_update(actor=org.actor("admin"), item_id=theirs.pk, name="抢过来")
    with tenant_context(other_org.tenant):
        theirs.refresh_from_db()
    assert theirs.name != "抢过来"


@pytest.mark.parametrize("value, expected", [
    ("C 制造业", "制造业"),
    ("C", "制造业"),
    ("c、制造业", "制造业"),
    ("制造业", "制造业"),
    ("I 信息传输、软件和信息技术服务业", "信息传输、软件和信息技术服务业"),
])
def test_ensure_matches_by_code_or_name(org, value, expected):
    before = DictionaryItem.objects.count()
    item = dictionary_item_ensure(actor=org.actor("admin"), kind=DictionaryKind.INDUSTRY, value=value)
    assert item.name == expected and DictionaryItem.objects.count() == before


def test_ensure_adds_an_unknown_value_once(org):
    actor = org.actor("sales1")  # imports run as the importing user
    first = dictionary_item_ensure(actor=actor, kind=DictionaryKind.INDUSTRY, value="Z 新兴产业")
    again = dictionary_item_ensure(actor=actor, kind=DictionaryKind.INDUSTRY, value="Z 新兴产业")
    assert first.pk == again.pk and (first.code, first.name) == ("Z", "新兴产业")
    assert dictionary_item_ensure(actor=actor, kind=DictionaryKind.INDUSTRY, value="新兴产业").pk == first.pk
    assert dictionary_item_ensure(actor=actor, kind=DictionaryKind.INDUSTRY, value="  ") is None
