import datetime
import threading

import pytest
from django.db import connection

from zhuli.core.errors import Forbidden, InvalidInput
from zhuli.core.models import Sequence
from zhuli.deals.models import NumberingRule
from zhuli.deals.numbering import number_next, pattern_errors, render
from zhuli.deals.services import numbering_install_defaults, numbering_rule_set
from zhuli.tenancy.context import tenant_context

DAY = datetime.date(2026, 12, 3)


def test_default_pattern_numbers_per_month(org):
    assert number_next("contract", DAY) == "HT-202612-0001"
    assert number_next("contract", DAY) == "HT-202612-0002"
    assert number_next("order", DAY) == "DD-202612-0001"
    # A new period (the part before {seq} changes) starts again at 1.
    assert number_next("contract", datetime.date(2027, 1, 2)) == "HT-202701-0001"
    assert Sequence.objects.filter(name="contract:HT-202612-").get().value == 2


def test_tenant_pattern_and_render():
    assert render("{yy}{mm}{dd}-{seq:03}-X", DAY, 7) == "261203-007-X"
    assert render("HT{yyyy}-{seq:02}", DAY, 123) == "HT2026-123"  # the width is a minimum
    assert render("HT{yyyy}-{seq:02}", DAY, None) == "HT2026-"


@pytest.mark.parametrize("pattern, fragment", [
    ("HT-{yyyy}", "{seq:0N}"),
    ("HT-{seq:04}-{seq:02}", "{seq:0N}"),
    ("HT-{year}-{seq:04}", "{year}"),
    ("HT-{seq}", "{seq}"),
    ("HT-}{seq:04}", "花括号"),
    ("X" * 37 + "{seq:04}", "40"),
    ("", "请填写"),
])
def test_bad_patterns_are_named(pattern, fragment):
    errors = pattern_errors(pattern)
    assert errors and any(fragment in e for e in errors), errors


def test_only_admins_set_patterns_and_bad_ones_change_nothing(org):
    numbering_install_defaults()
    assert NumberingRule.objects.count() == 5
    with pytest.raises(Forbidden):
        numbering_rule_set(actor=org.actor("sales1"), doc_type="contract", pattern="C-{seq:05}")
    with pytest.raises(InvalidInput) as exc:
        numbering_rule_set(actor=org.actor("admin"), doc_type="contract", pattern="C-{seq}")
    assert "pattern_contract" in exc.value.errors
    assert NumberingRule.objects.get(doc_type="contract").pattern == "HT-{yyyy}{mm}-{seq:04}"
    numbering_rule_set(actor=org.actor("admin"), doc_type="contract", pattern="C{yy}-{seq:05}")
    assert number_next("contract", DAY) == "C26-00001"


def test_new_tenants_get_the_default_rules(db):
    from tests.factories import TenantFactory
    from zhuli.core.registry import tenant_setup

    tenant = TenantFactory(code="fresh-numbering")
    with tenant_context(tenant):
        tenant_setup.get("deals.numbering")(tenant=tenant, actor=None)
        assert set(NumberingRule.objects.values_list("doc_type", flat=True)) == {
            "contract", "order", "quote", "invoice_request", "payment"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
def test_concurrent_numbers_are_distinct_on_postgresql():
    from django.db import transaction

    from tests.factories import TenantFactory

    tenant = TenantFactory(code="numbering-race")
    numbers, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        try:
            with tenant_context(tenant):
                barrier.wait()
                for _i in range(10):
                    with transaction.atomic():
                        numbers.append(number_next("contract", DAY))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(numbers) == 80 and len(set(numbers)) == 80


def test_numbers_stay_distinct_when_interleaved_on_any_database(org):
    """SQLite has no row locks: the conditional update (value = value + 1) is what keeps numbers apart."""
    seen = {number_next("quote", DAY) for _i in range(50)}
    assert len(seen) == 50
