from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


def sequence_next(name: str) -> int:
    """The next number of a per-tenant sequence; race-safe on PostgreSQL and SQLite alike."""
    for _attempt in range(3):
        with transaction.atomic():
            if Sequence.objects.filter(name=name).update(value=F("value") + 1):
                return Sequence.objects.get(name=name).value
            try:
                with transaction.atomic():
                    Sequence.objects.create(name=name, value=1)
                return 1
            except IntegrityError:
                continue
    raise RuntimeError(f"sequence {name} could not be advanced")
