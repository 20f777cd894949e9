"""What demo seeders share: the sizes, the context handed to each seeder, and small helpers.

Each app's `demo.py` registers `seed(ctx)` in `core.registry.demo_seeders` with an order (customers 10,
opportunities 15, follow-ups 20 …); `manage.py seed_demo` imports every app's demo.py, creates the
tenant and runs the seeders in order.
"""
from __future__ import annotations

import contextlib
import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, models


@dataclass(frozen=True)
class DemoSize:
    name: str
    customers: int
    followups: int
    opportunities: int
    batch: int = 2000


SIZES = {
    "small": DemoSize("small", customers=60, followups=200, opportunities=60, batch=60),
    "standard": DemoSize("standard", customers=3300, followups=22000, opportunities=2400),
    "large": DemoSize("large", customers=100_000, followups=250_000, opportunities=60_000, batch=5000),
}


@dataclass
class DemoContext:
    """One seeding run: the tenant, its users by login part, the size, one seeded random source."""

    tenant: object
    users: dict
    size: DemoSize
    rng: random.Random
    faker: object
    now: datetime.datetime
    say: Callable[[str], None] = print
    # Seeders leave what later seeders need here (e.g. "customers": list of DemoCustomer).
    shared: dict = field(default_factory=dict)

    @property
    def zone(self):
        return self.tenant.zone

    def local_day_start(self, day: datetime.date) -> datetime.datetime:
        """Midnight of `day` in the tenant's zone, so "today" is the tenant's today."""
        return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=self.zone)

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(self.zone).date()

    def work_time(self, day: datetime.date) -> datetime.datetime:
        """A plausible office-hours moment (09:00–18:30) on `day` in the tenant's zone."""
        minutes = self.rng.randint(9 * 60, 18 * 60 + 30)
        return self.local_day_start(day) + datetime.timedelta(minutes=minutes)

    def weighted(self, pairs):
        """Picks one value from [(value, weight), …]."""
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights=weights, k=1)[0]


@contextlib.contextmanager
def manual_timestamps(*model_classes: type[models.Model]):
    """Lets bulk_create keep the created/updated times we set (auto_now* would stamp "now" on all rows),
    so the demo has a history; restored afterwards."""
    changed = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if isinstance(f, models.DateTimeField | models.DateField) and (f.auto_now or f.auto_now_add):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in changed:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def analyze(*model_classes: type[models.Model]) -> None:
    """Refreshes PostgreSQL's statistics of freshly bulk-filled tables (ANALYZE runs inside the seeding
    transaction): without them the planner takes the tables for empty and runs the tenant-wide UPDATEs
    with correlated subqueries as nested loops over whole tables (20 s instead of 0.3 s at standard)."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in model_classes)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def demo_reset(*, actor=None, size: str | None = None) -> dict:
    """Rebuilds the shared demo tenant's data in place (seed_demo --reset, the schedule, the platform console).
    The work is in zhuli.accounts.demo: it builds users and departments, which core must not import at load."""
    from zhuli.accounts.demo import demo_reset as reset

    return reset(actor=actor, size=size)
