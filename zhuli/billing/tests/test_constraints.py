"""The database holds tax + net = gross itself, on SQLite too, where decimals are binary floats."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from zhuli.billing.models import Invoice

pytestmark = pytest.mark.django_db


def _invoice(agreement, gross, tax, net, number):
    return Invoice.objects.create(
        agreement=agreement, customer=agreement.customer, owner=agreement.owner, request_number=number,
        amount=Decimal(gross), base_amount=Decimal(gross), tax_rate=Decimal("13"), tax_amount=Decimal(tax),
        net_amount=Decimal(net), title="抬头")


@pytest.mark.parametrize(("gross", "tax", "net"), [("0.30", "0.10", "0.20"), ("1130.00", "130.00", "1000.00"),
                                                   ("100.03", "11.51", "88.52")])
def test_exact_splits_are_accepted_even_where_floats_would_differ(agreement, gross, tax, net):
    _invoice(agreement, gross, tax, net, f"KP-{gross}")
    assert Invoice.objects.filter(amount=Decimal(gross)).count() == 1


def test_a_split_a_cent_off_is_refused_by_the_database(agreement):
    with pytest.raises(IntegrityError), transaction.atomic():
        _invoice(agreement, "0.31", "0.10", "0.20", "KP-OFF")
    assert not Invoice.objects.exists()
