"""The demo's quotes keep the invariants the quote services keep."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from zhuli.core.management.commands.seed_demo import DEMO_CODE
from zhuli.core.models import Sequence
from zhuli.core.money import line_amount
from zhuli.deals.models import DEFAULT_PATTERNS, DocType, Quote, QuoteLine
from zhuli.deals.numbering import render
from zhuli.tenancy.models import Tenant
from zhuli.tenancy.unscoped import for_tenant


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--size", "small", stdout=StringIO())
    return Tenant.objects.get(code=DEMO_CODE)


def test_demo_quotes_total_their_lines_and_take_numbers_from_the_sequence(demo):
    quotes = list(for_tenant(Quote, demo).select_related("customer"))
    assert len(quotes) >= 5
    assert {q.status for q in quotes} <= {"draft", "sent", "accepted", "rejected"}
    lines = defaultdict(list)
    for line in for_tenant(QuoteLine, demo):
        assert line.product_id and line.amount == line_amount(line.quantity, line.unit_price, line.discount)
        lines[line.quote_id].append(line)
    for q in quotes:
        assert lines[q.pk] and q.total == sum((li.amount for li in lines[q.pk]), Decimal("0"))
        assert q.owner_id == q.customer.owner_id and q.valid_until > q.quote_date
    numbers = [q.number for q in quotes]
    assert len(set(numbers)) == len(numbers)
    sequences = dict(for_tenant(Sequence, demo).filter(name__startswith="quote:").values_list("name", "value"))
    pattern = DEFAULT_PATTERNS[DocType.QUOTE]
    for q in quotes:
        name = f"quote:{render(pattern, q.quote_date, None)}"
        assert q.number.startswith(render(pattern, q.quote_date, None))
        assert int(q.number.rsplit("-", 1)[1]) <= sequences[name]
