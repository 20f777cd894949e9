"""Products and the category tree: rules, refusals that change nothing, search keys, audit."""
from __future__ import annotations

from decimal import Decimal

import pytest

from zhuli.audit.models import AuditEvent
from zhuli.catalog.models import Product, ProductCategory
from zhuli.catalog.selectors import ProductFilters, category_tree, product_list, product_suggest
from zhuli.catalog.services import (
    category_create,
    category_delete,
    category_move,
    category_update,
    product_create,
    product_delete,
    product_set_active,
    product_update,
)
from zhuli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import tenant_context


def make(org, who="boss", **data):
    return product_create(actor=org.actor(who), data={"code": "P-1", "name": "华为交换机", **data})


def test_create_sets_defaults_search_text_and_audit(org):
    unit = DictionaryItem.objects.filter(kind=DictionaryKind.PRODUCT_UNIT, name="台").first()
    p = make(org, specification="S5735-L24T4X", list_price="1,280.5", cost="800", tax_rate="13%", unit_id=unit.pk)
    p.refresh_from_db()
    assert (p.list_price, p.cost, p.tax_rate, p.kind, p.is_active) == (Decimal("1280.50"), Decimal("800.00"),
                                                                      Decimal("13.00"), "physical", True)
    assert p.unit == unit and p.created_by == org["boss"]
    for piece in ("华为交换机", "huaweijiaohuanji", "hwjhj", "p-1", "s5735-l24t4x"):
        assert piece in p.search_text
    assert AuditEvent.objects.filter(action="product.create", target_id=p.pk).exists()


@pytest.mark.parametrize("field,value", [
    ("list_price", "-1"), ("list_price", "1.234"), ("list_price", "abc"), ("list_price", "1e999"), ("cost", "-0.01"),
    ("tax_rate", "130"), ("tax_rate", "-1"), ("tax_rate", "13.005"), ("kind", "digital"), ("code", ""),
    ("name", "  "), ("code", "x" * 41), ("category_id", 999999), ("unit_id", 999999),
])
def test_bad_input_is_refused_naming_the_field(org, field, value):
    with pytest.raises(InvalidInput) as exc:
        make(org, **{field: value})
    assert field in exc.value.errors
    assert not Product.objects.exists()


def test_code_is_unique_per_tenant_only(org, other_org):
    make(org)
    with pytest.raises(InvalidInput) as exc:
        make(org, name="另一个")
    assert "code" in exc.value.errors
    with tenant_context(other_org.tenant):
        assert make(other_org).code == "P-1"


def test_codes_are_stored_nfkc_and_stripped_keeping_case(org):
    assert make(org, code=" Ｐ１ ").code == "P1"
    assert Product.objects.get().code == "P1"
    with pytest.raises(InvalidInput) as exc:
        make(org, code="P1", name="另一个")
    assert exc.value.errors["code"] == ["产品编码“P1”已被使用"]
    lower = make(org, code="p1", name="小写")
    assert lower.code == "p1"
    with pytest.raises(InvalidInput) as exc:
        product_update(actor=org.actor("boss"), product_id=lower.pk, data={"code": "Ｐ１"})
    assert "code" in exc.value.errors
    other = product_update(actor=org.actor("boss"), product_id=lower.pk, data={"code": "Ｐ－２"})
    assert other.code == "P-2" and Product.objects.get(pk=lower.pk).code == "P-2"


def test_roles_sales_read_only_managers_edit_only_boss_deletes(org):
    with pytest.raises(Forbidden):
        make(org, who="sales1")
    p = make(org, who="manager1")
    product_update(actor=org.actor("manager1"), product_id=p.pk, data={"name": "新名字"})
    with pytest.raises(Forbidden):
        product_delete(actor=org.actor("manager1"), product_id=p.pk)
    assert Product.objects.filter(pk=p.pk, name="新名字").exists()


def test_update_rebuilds_search_text_and_audits_the_diff(org):
    p = make(org)
    product_update(actor=org.actor("boss"), product_id=p.pk, data={"name": "路由器", "list_price": "99"})
    p.refresh_from_db()
    assert "luyouqi" in p.search_text and "huawei" not in p.search_text
    event = AuditEvent.objects.get(action="product.update", target_id=p.pk)
    assert event.changes["name"] == ["华为交换机", "路由器"]


def test_other_tenants_product_is_not_found(org, other_org):
    with tenant_context(other_org.tenant):
        theirs = make(other_org)
    with pytest.raises(NotFound):
        product_update(actor=org.actor("boss"), product_id=theirs.pk, data={"name": "x"})
    with pytest.raises(NotFound):
        product_delete(actor=org.actor("boss"), product_id=theirs.pk)


def test_delete_refused_while_a_line_uses_it(org):
    from zhuli.customers.services import customer_create
    from zhuli.deals.models import Agreement, AgreementLine

    p = make(org)
    customer = customer_create(actor=org.actor("sales1"), data={"kind": "enterprise", "name": "客户甲"}).customer
    agreement = Agreement.objects.create(kind="order", number="DD-1", title="订单", customer=customer,
                                         owner=org["sales1"], shipping_state="none")
    AgreementLine.objects.create(agreement=agreement, product=p, name=p.name, quantity=1, unit_price=1, amount=1)
    with pytest.raises(Conflict):
        product_delete(actor=org.actor("boss"), product_id=p.pk)
    assert Product.objects.filter(pk=p.pk).exists()
    assert not AuditEvent.objects.filter(action="product.delete").exists()
    product_set_active(actor=org.actor("boss"), product_id=p.pk, active=False)
    assert not Product.objects.get(pk=p.pk).is_active


def test_delete_unused(org):
    p = make(org)
    product_delete(actor=org.actor("boss"), product_id=p.pk)
    assert not Product.objects.exists()


def test_category_tree_paths_move_and_refusals(org):
    boss = org.actor("boss")
    soft = category_create(actor=boss, name="软件")
    crm = category_create(actor=boss, name="CRM", parent_id=soft.pk)
    mobile = category_create(actor=boss, name="移动端", parent_id=crm.pk)
    hard = category_create(actor=boss, name="硬件")
    assert (crm.path, mobile.path, mobile.depth) == (f"/{soft.pk}/{crm.pk}/", f"/{soft.pk}/{crm.pk}/{mobile.pk}/", 2)
    with pytest.raises(InvalidInput):
        category_create(actor=boss, name="CRM", parent_id=soft.pk)
    with pytest.raises(InvalidInput):
        category_move(actor=boss, category_id=soft.pk, parent_id=mobile.pk)
    category_move(actor=boss, category_id=crm.pk, parent_id=hard.pk)
    mobile.refresh_from_db()
    assert mobile.path == f"/{hard.pk}/{crm.pk}/{mobile.pk}/" and mobile.depth == 2
    category_move(actor=boss, category_id=crm.pk, parent_id=None)
    mobile.refresh_from_db()
    assert mobile.path == f"/{crm.pk}/{mobile.pk}/" and mobile.depth == 1
    assert [c.name for c in category_tree(actor=boss)] == ["CRM", "移动端", "硬件", "软件"]
    category_update(actor=boss, category_id=hard.pk, name="硬件设备")
    make(org, category_id=mobile.pk)
    with pytest.raises(Conflict):
        category_delete(actor=boss, category_id=crm.pk)
    with pytest.raises(Conflict):
        category_delete(actor=boss, category_id=mobile.pk)
    category_delete(actor=boss, category_id=soft.pk)
    assert not ProductCategory.objects.filter(pk=soft.pk).exists()


def test_list_search_filters_and_subtree(org):
    boss = org.actor("boss")
    soft = category_create(actor=boss, name="软件")
    crm = category_create(actor=boss, name="CRM", parent_id=soft.pk)
    make(org, code="RJ-001", name="客户管理系统", kind="service", list_price="19800", category_id=crm.pk)
    make(org, code="YJ-002", name="激光打印机", specification="HP M403d", list_price="2300")
    make(org, code="HC-003", name="硒鼓", list_price="350", is_active=False)

    def codes(**kw):
        return [p.code for p in product_list(actor=org.actor("sales1"), filters=ProductFilters(**kw))]

    assert codes() == ["HC-003", "RJ-001", "YJ-002"]
    assert codes(q="客户") == codes(q="kehu") == codes(q="khgl") == codes(q="rj-001") == ["RJ-001"]
    assert codes(q="m403") == codes(q="打印") == ["YJ-002"]
    assert codes(category=soft.pk) == codes(category=crm.pk) == ["RJ-001"]
    assert codes(kind="service") == ["RJ-001"]
    assert codes(active=False) == ["HC-003"]
    assert codes(price_min=Decimal("350"), price_max=Decimal("2300")) == ["HC-003", "YJ-002"]
    assert [r["code"] for r in product_suggest(actor=org.actor("sales1"), q="")] == ["RJ-001", "YJ-002"]
