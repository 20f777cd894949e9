"""DESIGN §4 rule 1 and §8: a tenant on every row, every unique constraint and index led by the
tenant, no foreign key across tenants. Read from the model registry (and, on PostgreSQL, from
the catalogue), so a new model that forgets the rules fails here."""
from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from zhuli.access.scoping import get_visible_or_404
from zhuli.accounts.models import Department, User
from zhuli.accounts.services import department_create, user_create
from zhuli.activities.services import followup_create
from zhuli.core.errors import InvalidInput, NotFound
from zhuli.core.models import Region
from zhuli.customers.models import Customer
from zhuli.customers.services import contact_create, customer_create, customer_transfer
from zhuli.preferences.models import DictionaryItem, DictionaryKind
from zhuli.tenancy.context import TenantMismatch, tenant_context
from zhuli.tenancy.models import Tenant, TenantModel

# Tables every tenant shares. Tenant is what rows point at; users and tokens are looked up by
# login before any tenant is known (DESIGN §5); regions and the scheduler are platform data.
GLOBAL_MODELS = {"tenancy.Tenant", "tenancy.PlatformSettings", "accounts.User", "accounts.ApiToken", "accounts.TrialSignup", "core.Region", "core.ScheduledJob",
                 "platform.PlatformEvent"}
# Global tables tenant rows may point at (reference data and the people who own records).
GLOBAL_REFERENCE_TARGETS = {User, Region}
# The one global → tenant link: a user belongs to one tenant and sits in one of its departments.
GLOBAL_TO_TENANT_LINKS = {("accounts.User", "department")}


def our_models() -> list[type[models.Model]]:
    """Every concrete model of the zhuli.* apps, with auto-created M2M tables (they would lack a tenant)."""
    return [m for m in apps.get_models(include_auto_created=True) if m.__module__.startswith("zhuli.")]


def tenant_models() -> list[type[models.Model]]:
    return [m for m in our_models() if issubclass(m, TenantModel)]


def label(model) -> str:
    return model._meta.label


def test_the_registry_knows_our_models():
    labels = {label(m) for m in our_models()}
    assert {"customers.Customer", "activities.FollowUp", "accounts.Department"} <= labels
    assert labels >= GLOBAL_MODELS, f"stale GLOBAL_MODELS entries: {GLOBAL_MODELS - labels}"


def test_every_model_is_a_tenant_model_or_listed_global():
    stray = [label(m) for m in our_models() if not issubclass(m, TenantModel) and label(m) not in GLOBAL_MODELS]
    assert not stray, f"inherit TenantModel (or, for shared platform data, add to GLOBAL_MODELS): {stray}"
    both = [label(m) for m in tenant_models() if label(m) in GLOBAL_MODELS]
    assert not both, f"listed global but tenant-scoped: {both}"


def test_tenant_foreign_key_is_non_null_and_points_at_tenant():
    for model in tenant_models():
        field = model._meta.get_field("tenant")
        assert isinstance(field, models.ForeignKey) and field.related_model is Tenant, label(model)
        assert not field.null, f"{label(model)}.tenant must be NOT NULL"


def _leading(fields_or_expressions) -> str:
    first = fields_or_expressions[0]
    if isinstance(first, str):
        return first.lstrip("-")
    return getattr(first, "name", "") or repr(first)


def test_unique_constraints_and_indexes_lead_with_tenant():
    bad = []
    for model in tenant_models():
        meta = model._meta
        for constraint in meta.constraints:
            if isinstance(constraint, models.UniqueConstraint):
                parts = constraint.fields or constraint.expressions
                if _leading(parts) != "tenant":
                    bad.append(f"{label(model)} constraint {constraint.name}")
        for together in meta.unique_together:
            if together[0] != "tenant":
                bad.append(f"{label(model)} unique_together {together}")
        for index in meta.indexes:
            parts = index.fields or index.expressions
            if _leading(parts) != "tenant":
                bad.append(f"{label(model)} index {index.name}")
    assert not bad, f"must lead with tenant (DESIGN §4 rule 1): {bad}"


def test_no_unique_field_on_tenant_models_except_the_pk():
    bad = [f"{label(m)}.{f.name}" for m in tenant_models() for f in m._meta.concrete_fields
           if f.unique and not f.primary_key]
    assert not bad, f"unique=True is platform-wide; use UniqueConstraint(fields=['tenant', ...]): {bad}"


def test_non_tenant_foreign_keys_have_no_single_column_index():
    bad = [f"{label(m)}.{f.name}" for m in tenant_models() for f in m._meta.concrete_fields
           if f.is_relation and f.name != "tenant" and f.db_index]
    assert not bad, f"set db_index=False and add Index(fields=['tenant', ...]) if it is searched: {bad}"


def test_foreign_keys_of_tenant_models_stay_inside_the_tenant():
    bad = []
    for model in tenant_models():
        for f in model._meta.concrete_fields:
            if not f.is_relation or f.name == "tenant":
                continue
            target = f.related_model
            if not (issubclass(target, TenantModel) or target in GLOBAL_REFERENCE_TARGETS):
                bad.append(f"{label(model)}.{f.name} → {label(target)}")
        for f in model._meta.many_to_many:
            through = f.remote_field.through
            if not issubclass(through, TenantModel):
                bad.append(f"{label(model)}.{f.name}: M2M needs an explicit TenantModel through table")
    assert not bad, bad


def test_global_tables_do_not_point_at_tenant_rows():
    bad = [f"{label(m)}.{f.name}" for m in our_models() if not issubclass(m, TenantModel)
           for f in m._meta.concrete_fields
           if f.is_relation and issubclass(f.related_model, TenantModel) and (label(m), f.name) not in GLOBAL_TO_TENANT_LINKS]
    assert not bad, f"global reference tables never point at tenant tables (DESIGN §8): {bad}"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_catalogue_indexes_lead_with_tenant_id():
    if connection.vendor != "postgresql":
        pytest.skip("catalogue check needs PostgreSQL")
    tables = [m._meta.db_table for m in tenant_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, ix.indisprimary, ix.indisunique, a.attname
              FROM pg_index ix
              JOIN pg_class t ON t.oid = ix.indrelid
              JOIN pg_class i ON i.oid = ix.indexrelid
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[0]
             WHERE t.relname = ANY(%s)
            """,
            [tables],
        )
        rows = cursor.fetchall()
        cursor.execute(
            """
            SELECT table_name FROM information_schema.columns
             WHERE column_name = 'tenant_id' AND is_nullable = 'NO' AND table_name = ANY(%s)
            """,
            [tables],
        )
        with_tenant = {r[0] for r in cursor.fetchall()}
    assert set(tables) == with_tenant, f"tables without a NOT NULL tenant_id: {set(tables) - with_tenant}"
    indexed = {r[0] for r in rows}
    assert "customers_customer" in indexed
    bad = [f"{table}.{index} (first column {first})" for table, index, primary, _unique, first in rows
           if not primary and first != "tenant_id"]
    assert not bad, f"every index and unique constraint must lead with tenant_id: {bad}"
    assert any(index == "customers_search_bigrams" for _t, index, *_ in rows), "the bigram GIN index is missing"


# ---- services resolve every id inside the actor's tenant --------------------------------------


@pytest.fixture
def b_rows(other_org):
    """A customer, contact, dictionary item, department and user of tenant B."""
    with tenant_context(other_org.tenant):
        boss = other_org.actor("boss")
        customer = customer_create(actor=boss, data={"kind": "enterprise", "name": "乙方专属有限公司"}).customer
        contact = contact_create(actor=boss, customer_id=customer.pk, data={"name": "乙方联系人"})
        source = DictionaryItem.objects.filter(kind=DictionaryKind.SOURCE).first()
        department = Department.objects.first()
    return {"customer": customer, "contact": contact, "source": source, "department": department,
            "user": other_org["sales1"]}


def test_another_tenants_dictionary_item_is_an_invalid_choice(org, b_rows):
    before = Customer.objects.count()
    with pytest.raises(InvalidInput) as exc:
        customer_create(actor=org.actor("sales1"),
                        data={"kind": "enterprise", "name": "甲方新客户", "source_id": b_rows["source"].pk})
    assert "source_id" in exc.value.errors
    assert Customer.objects.count() == before


def test_another_tenants_records_are_not_found_by_services(org, b_rows):
    sales1, boss = org.actor("sales1"), org.actor("boss")
    with pytest.raises(NotFound):
        followup_create(actor=sales1, customer_id=b_rows["customer"].pk, data={"content": "越界"})
    with pytest.raises(NotFound):
        contact_create(actor=boss, customer_id=b_rows["customer"].pk, data={"name": "越界"})
    with pytest.raises(NotFound):
        department_create(actor=org.actor("admin"), name="越界部门", parent_id=b_rows["department"].pk)
    with pytest.raises(NotFound):
        get_visible_or_404(Customer, boss, b_rows["customer"].pk)
    mine = customer_create(actor=boss, data={"kind": "enterprise", "name": "甲方自己的客户"}).customer
    with pytest.raises(NotFound):
        customer_transfer(actor=boss, customer_ids=[mine.pk], to_user_id=b_rows["user"].pk)
    with pytest.raises(InvalidInput) as exc:
        followup_create(actor=boss, customer_id=mine.pk, data={"content": "联系人越界", "contact_id": b_rows["contact"].pk})
    assert "contact_id" in exc.value.errors
    with pytest.raises(NotFound):
        user_create(actor=org.actor("admin"), data={"name": "越界", "email": "x@a.test", "password": "Str0ng-Passw0rd!",
                                                     "department_id": b_rows["department"].pk})
    mine.refresh_from_db()
    assert mine.owner_id == org["boss"].pk and mine.last_followup_at is None
    with tenant_context(b_rows["customer"].tenant):
        assert not b_rows["customer"].followups.exists()
        assert b_rows["customer"].contacts.count() == 1


def test_a_write_for_another_tenant_while_one_is_active_is_refused(org, other_org):
    """Services save into the active tenant: an actor of another tenant must not write there."""
    before = Department.objects.count()
    with tenant_context(other_org.tenant):
        b_root = Department.objects.get(parent=None)
    with pytest.raises(TenantMismatch):
        department_create(actor=other_org.actor("admin"), name="串户部门", parent_id=b_root.pk)
    with pytest.raises(TenantMismatch):
        department_create(actor=other_org.actor("admin"), name="串户部门")
    with pytest.raises(TenantMismatch):
        customer_create(actor=other_org.actor("boss"), data={"kind": "enterprise", "name": "串户客户"})
    assert not Customer.objects.exists()
    assert Department.objects.count() == before
    with tenant_context(other_org.tenant):
        assert not Department.objects.filter(name="串户部门").exists()
