"""Extension points (DESIGN §4 rule 8): later modules add entries here from their AppConfig.ready()
instead of editing the apps that show them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    key: str
    order: int
    value: object


@dataclass
class Registry:
    name: str
    entries: dict[str, Entry] = field(default_factory=dict)

    def register(self, key: str, value: object, *, order: int = 100) -> None:
        self.entries[key] = Entry(key, order, value)

    def items(self) -> list[Entry]:
        return sorted(self.entries.values(), key=lambda e: (e.order, e.key))

    def values(self) -> list:
        return [e.value for e in self.items()]

    def get(self, key: str):
        entry = self.entries.get(key)
        return entry.value if entry else None


# A tenant feature condition: (feature name, the values it shows under), e.g.
# ("tracking_style", {"opportunity", "both"}) hides an entry from customer-style companies.
Feature = tuple[str, frozenset | set | tuple] | None


def feature_on(tenant, feature: Feature) -> bool:
    """Whether an entry with this condition shows for the tenant (no condition: always)."""
    if feature is None or tenant is None:
        return True
    name, values = feature
    return tenant.feature(name) in values


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    icon: str = "circle"
    module: str | None = None  # shown only when the actor may view this module
    admin_only: bool = False
    feature: Feature = None  # shown only when the tenant's feature has one of these values


@dataclass(frozen=True)
class Section:
    """A block on a page (customer view, workbench): `render(request, obj)` returns HTML or ''."""

    title: str
    render: Callable
    feature: Feature = None  # rendered only when the tenant's feature has one of these values


customer_sections = Registry("customer view sections")
# Blocks on the opportunity page, `render(request, opportunity)` (the follow-up timeline comes from activities).
opportunity_sections = Registry("opportunity page sections")
# Blocks on a contract's / order's page, `render(request, agreement)` (billing adds plans, payments, invoices).
agreement_sections = Registry("agreement page sections")
workbench_cards = Registry("workbench cards")
menu_entries = Registry("menu entries")
settings_pages = Registry("settings pages")
search_providers = Registry("global search providers")
import_resources = Registry("import resources")
export_resources = Registry("export resources")
demo_seeders = Registry("demo seeders")
scheduled_jobs = Registry("scheduled jobs")


@dataclass(frozen=True)
class OwnedRecords:
    """Records a user owns, for the refusal to delete them and for bulk transfer when they leave."""

    label: str
    count: Callable  # (tenant, user_id) -> int
    transfer: Callable  # (*, actor, from_user, to_user) -> int


owned_records = Registry("records owned by users")

# Called with (tenant=..., actor=...) when a tenant is created, so each module installs its defaults.
tenant_setup = Registry("new-tenant setup steps")

# Called as hook(customer=, from_owner_id=, to_owner=) after a customer changes owner, so modules above
# customers (the follow-ups' open todos, later opportunities) follow the new owner without a signal.
owner_change_hooks = Registry("after a customer's owner changes")

# Called as hook(customer=) inside customer_delete, before the customer's own rows go: each module above
# customers deletes its rows of that customer (follow-ups, todos, opportunities) with tenant-filtered DELETEs.
customer_delete_hooks = Registry("when a customer is deleted")

# Called as guard(actor=, customer=) by customer_delete before anything is written or deleted: a module
# above customers raises (Conflict / Forbidden) when the actor may not delete that customer's rows of it.
customer_delete_guards = Registry("before a customer is deleted")
# Called as guard(actor=, opportunity=) by opportunity_delete before anything is deleted: a module above sales
# raises (Conflict) when the opportunity is still referenced (converted into a contract or order).
opportunity_delete_guards = Registry("before an opportunity is deleted")
# Called as guard(actor=, opportunity=, old_status=, new_status=) before an opportunity's status changes (any door:
# move, win, lose, status, mass update, import): a module above sales raises Conflict when the change contradicts
# what it holds (a signed contract on an opportunity being lost).
opportunity_status_guards = Registry("before an opportunity's status changes")
