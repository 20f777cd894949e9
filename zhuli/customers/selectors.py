from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhuli.access.actor import Actor
from zhuli.access.scoping import visible
from zhuli.accounts.models import Department, User
from zhuli.core import text
from zhuli.core.pagination import order_by_param

from .models import Contact, Customer, OwnerChange, Pool, PoolDepartment, PoolRule, RecentView

# API sort names → columns; every ordering gets `id` as the tie-breaker.
SORTS = {
    "id": "id", "name": "name_key", "created_at": "created_at", "updated_at": "updated_at",
    "next_followup_at": "next_followup_at", "last_followup_at": "last_followup_at", "pooled_at": "pooled_at",
}
DEFAULT_SORT = "-id"
_PHONE_QUERY_RE = re.compile(r"^[0-9+()\-.]+$")

LIST_RELATED = ("owner", "level", "status", "source", "industry", "province", "city")


@dataclass
class CustomerFilters:
    q: str = ""
    owner: str = ""  # id | me | none
    department: int | None = None
    kind: str = ""
    status: int | None = None
    level: int | None = None
    source: int | None = None
    industry: int | None = None
    province: str = ""
    city: str = ""
    district: str = ""
    next_from: datetime.date | None = None
    next_to: datetime.date | None = None
    no_followup_days: int | None = None
    tag: str = ""
    pool: int | None = None


@dataclass(frozen=True)
class PoolChoice:
    pk: int
    name: str
    is_default: bool
    order: int


def _pool_memberships(actor: Actor) -> tuple[frozenset[int], frozenset[int]]:
    """(pools the actor is a member of, pools the actor oversees), computed once per actor.

    Members are the users of a pool's departments and their sub-departments (everyone when none is
    listed); a manager whose department scope covers a member department oversees the pool."""
    key = "customers.pools"
    if key not in actor.memo:
        from zhuli.access.roles import Scope

        members: dict[int, list[str]] = {}
        names: dict[int, PoolChoice] = {}
        for pool_id, name, is_default, order, path in Pool.objects.values_list(
                "id", "name", "is_default", "order", "members__department__path"):
            members.setdefault(pool_id, [])
            names.setdefault(pool_id, PoolChoice(pool_id, name, is_default, order))
            if path is not None:
                members[pool_id].append(path)
        actor.memo["customers.pool_names"] = names
        grant = actor.grant("customers")
        scope = grant.scope if grant else Scope.OWN
        mine = actor.department_path if actor.user_id else None
        member, overseen = set(), set()
        for pool_id, paths in members.items():
            if actor.system or scope == Scope.ALL or not paths or mine and any(p and mine.startswith(p) for p in paths):
                member.add(pool_id)
            elif mine and scope != Scope.OWN and any(p and p.startswith(mine) for p in paths):
                overseen.add(pool_id)
        actor.memo[key] = (frozenset(member), frozenset(overseen))
    return actor.memo[key]


def pool_ids_member(actor: Actor) -> frozenset[int]:
    """Pools whose customers the actor may claim."""
    return _pool_memberships(actor)[0]


def pool_ids_visible(actor: Actor) -> frozenset[int]:
    """Pools whose customers the actor sees: their own, and those of departments they manage."""
    member, overseen = _pool_memberships(actor)
    return member | overseen


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def search_needle(q: str) -> str:
    """What search() looks for in the search text: the normalised query, or a typed phone's digits."""
    needle = text.normalize_query(q)
    if needle and _PHONE_QUERY_RE.match(needle) and text.digits(needle):
        # A phone typed with separators is compared by its digits, as the search text holds it.
        needle = text.phone_query_key(needle)
    return needle


def search(qs: QuerySet, q: str) -> QuerySet:
    """Substring of name / short name / pinyin / initials / phone digits / contact names."""
    needle = search_needle(q)
    if not needle:
        return qs
    qs = qs.filter(search_text__contains=needle)
    grams = text.query_bigrams(needle)
    if connection.vendor == "postgresql" and grams:
        qs = qs.filter(search_bigrams__contains_all=grams)
    return qs


PICK_MAX = 30
CHOICES_MAX = 300


def customer_choices(*, actor: Actor, first=None, chosen=None, owned_only: bool = False) -> list[tuple[int, str]]:
    """The customer select of a form before anything is typed: `first` (the customer the form was opened from),
    the one `chosen` in a re-shown form (found with the search box, so maybe not among the recent ones), then the
    most recently touched visible customers."""
    qs = visible(Customer, actor)
    if owned_only:
        qs = qs.filter(owner__isnull=False)
    head = [(first.pk, first.name)] if first is not None else []
    chosen_id = int(chosen) if str(chosen or "").isdigit() and len(str(chosen)) < 19 else None
    if chosen_id and chosen_id not in {pk for pk, _name in head}:
        head += list(qs.filter(pk=chosen_id).values_list("id", "name"))
    seen = {pk for pk, _name in head}
    recent = qs.order_by("-updated_at", "-id").values_list("id", "name")[:CHOICES_MAX]
    return head + [(pk, name) for pk, name in recent if pk not in seen]


def customer_pick(*, actor: Actor, q: str, limit: int = PICK_MAX) -> list[tuple[int, str]]:
    """(id, name) of the visible owned customers matching `q` (name, pinyin, initials, phone, contacts), best
    matches first (ranked_search): the customer picker of the opportunity, contract, order and quote forms."""
    rows = ranked_search(visible(Customer, actor).filter(owner__isnull=False), q, limit, ("id", "name"),
                         prefer_owner=actor.user_id)
    return [(r["id"], r["name"]) for r in rows]


# Groups 3 and 4 of ranked_search are ranked among this many of the query's matches: all of them for any query
# typed beyond its first characters, and a bounded read (one page of the bigram index) for 科技 or 有限公司,
# which match most of 100,000 customers and would otherwise be sorted whole on every keystroke.
RANK_POOL = 500


def ranked_search(qs: QuerySet, q: str, limit: int, columns: tuple[str, ...], *,
                  prefer_owner: int | None = None) -> list[dict]:
    """`limit` rows of `qs` matching `q` (search()), best first:

    1. the exact name (after the duplicate check's normalisation: 华为 for 华为 or （华为）),
    2. other names starting with the query,
    3. matches where a piece of the search text starts with the query (full pinyin `beijing`, initials
       `bjwls`, the short name, a phone's first digits, a contact's name),
    4. the other substring matches;

    inside each, the customers of `prefer_owner` (the searcher) first, then shorter names, then by name.
    Groups 1–2 are a range of the (tenant, name_key) index; 3–4 (only when 1–2 leave room) are ranked among
    RANK_POOL of the matches. Two queries."""
    from django.db.models import Case, IntegerField, Value, When
    from django.db.models.functions import Length

    needle = search_needle(q)
    if not needle:
        return []
    key = text.name_key(q)
    mine = (Case(When(owner_id=prefer_owner, then=0), default=1, output_field=IntegerField())
            if prefer_owner is not None else Value(0, output_field=IntegerField()))
    wanted = tuple(dict.fromkeys((*columns, "id")))
    rows: list[dict] = []
    if key:
        # The range lets the index find the prefix in any collation; startswith keeps it exact.
        prefix = qs.filter(name_key__gte=key, name_key__lt=key + "\U0010ffff", name_key__startswith=key)
        exact = Case(When(name_key=key, then=0), default=1, output_field=IntegerField())
        rows = list(prefix.annotate(_exact=exact, _mine=mine, _len=Length("name"))
                    .order_by("_exact", "_mine", "_len", "name_key", "id").values(*wanted)[:limit])
    if len(rows) < limit:
        starts = Case(When(Q(search_text__startswith=needle) | Q(search_text__contains=text.SEP + needle), then=0),
                      default=1, output_field=IntegerField())
        pool = search(qs, q).exclude(pk__in=[r["id"] for r in rows]).order_by().values("pk")[:RANK_POOL]
        rows += list(qs.filter(pk__in=pool).annotate(_starts=starts, _mine=mine, _len=Length("name"))
                     .order_by("_starts", "_mine", "_len", "name_key", "id").values(*wanted)[:limit - len(rows)])
    return [{c: r[c] for c in columns} for r in rows]


def customer_list(*, actor: Actor, filters: CustomerFilters | None = None, sort: str | None = None) -> QuerySet:
    """The visible customers matching the filters, ordered with a unique tie-breaker."""
    f = filters or CustomerFilters()
    qs = visible(Customer, actor)
    if f.q:
        qs = search(qs, f.q)
    if f.owner == "me":
        qs = qs.filter(owner_id=actor.user_id)
    elif f.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif f.owner:
        try:
            qs = qs.filter(owner_id=int(f.owner))
        except ValueError:
            qs = qs.none()
    if f.department:
        path = Department.objects.filter(pk=f.department).values_list("path", flat=True).first()
        owners = User.objects.filter(tenant=actor.tenant, department__path__startswith=path or "\x00")
        qs = qs.filter(owner_id__in=list(owners.values_list("id", flat=True)))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    for name in ("status", "level", "source", "industry"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    for name in ("province", "city", "district"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{f"{name}_id": value})
    if f.next_from:
        qs = qs.filter(next_followup_at__gte=_day_start(f.next_from))
    if f.next_to:
        qs = qs.filter(next_followup_at__lt=_day_start(f.next_to + datetime.timedelta(days=1)))
    if f.no_followup_days is not None:
        cutoff = timezone.now() - datetime.timedelta(days=max(0, f.no_followup_days))
        qs = qs.filter(Q(last_followup_at__lt=cutoff) | Q(last_followup_at__isnull=True))
    if f.tag:
        qs = qs.filter(tags__contains=f.tag)
    if f.pool:
        qs = qs.filter(pool_id=f.pool)
    return qs.order_by(*order_by_param(sort, SORTS, DEFAULT_SORT))


def customer_list_rows(qs: QuerySet) -> QuerySet:
    """Only what list pages and list endpoints show, joined once."""
    return qs.select_related(*LIST_RELATED).only(
        "id", "kind", "name", "short_name", "number", "phone", "mobile", "owner_id", "owner__name", "owner__is_active",
        "level__name", "status__name", "source__name", "industry__name", "province__name", "city__name",
        "last_followup_at", "next_followup_at", "created_at", "tags", "tenant_id",
    )


def customer_get(*, actor: Actor, customer_id: int) -> Customer:
    from zhuli.access.scoping import get_visible_or_404

    qs = visible(Customer, actor).select_related(
        "owner", "department", "created_by", "source", "industry", "level", "status", "customer_type", "staff_size",
        "province", "city", "district", "pool",
    )
    return get_visible_or_404(Customer, actor, customer_id, queryset=qs)


def contact_list(*, actor: Actor, customer_id: int | None = None, q: str = "") -> QuerySet:
    qs = visible(Contact, actor).select_related("customer")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(mobile__contains=q) | Q(customer__name__contains=q))
    return qs.order_by("-is_primary", "has_left", "id")


def owner_changes(*, actor: Actor, customer_id: int) -> QuerySet:
    return visible(OwnerChange, actor).filter(customer_id=customer_id).select_related(
        "from_owner", "to_owner", "changed_by").order_by("-changed_at", "-id")


def recent_customers(*, actor: Actor, limit: int = 8) -> list[Customer]:
    ids = list(visible(RecentView, actor).order_by("-viewed_at").values_list("customer_id", flat=True)[: limit * 2])
    rows = {c.pk: c for c in customer_list_rows(visible(Customer, actor).filter(pk__in=ids))}
    return [rows[i] for i in ids if i in rows][:limit]


def customer_suggest(*, actor: Actor, q: str, limit: int = 8) -> list[dict]:
    """Autocomplete / global search: a few visible customers, the best matches first, the searcher's own
    before others as good (ranked_search)."""
    return ranked_search(visible(Customer, actor), q, limit,
                         ("id", "name", "kind", "owner__name", "owner__is_active", "phone", "mobile"),
                         prefer_owner=actor.user_id)


DICTIONARY_COLUMNS = ("level", "status", "source", "industry")
REGION_COLUMNS = ("province", "city")


def with_row_labels(qs: QuerySet) -> QuerySet:
    """The picklist and region names of each row as `<field>_label`, each a scalar subquery on its primary key.

    Not joins: an 8-table join cost PostgreSQL 36–63 ms of planning at 100,000 customers for 1 ms of
    execution (bench/). Not a second query per page either: on the page's own rows (api.schemas.page_of's
    `late`) they cost 20 index probes and save two round trips and their compilation."""
    from django.db.models import OuterRef, Subquery

    from zhuli.core.models import Region
    from zhuli.preferences.models import DictionaryItem

    names = {
        f"{c}_label": Subquery(
            DictionaryItem.objects.filter(tenant_id=OuterRef("tenant_id"), pk=OuterRef(f"{c}_id"))
            .order_by().values("name")[:1])
        for c in DICTIONARY_COLUMNS
    }
    names |= {
        f"{c}_label": Subquery(Region.objects.filter(code=OuterRef(f"{c}_id")).order_by().values("name")[:1])
        for c in REGION_COLUMNS
    }
    return qs.annotate(**names)


def customer_page(qs: QuerySet, page_ids: QuerySet) -> QuerySet:
    """One page of `qs` (customer_list), read by the ids of the page (`page_ids`, a sliced subquery of `qs`)
    with the names of with_row_labels. The ids carry the filters and the scope; the rows around them are
    read by primary key in the same order, so the filters are neither compiled nor run twice."""
    return with_row_labels(Customer.objects.filter(pk__in=page_ids).order_by(*qs.query.order_by))


# ---- the pool (公海) ----------------------------------------------------------------------------------

POOL_ENTRY_KINDS = ("release", "auto_return")


def pool_list(*, actor: Actor) -> list[PoolChoice]:
    """The pools whose customers the actor sees (members and overseers), default first; read with the
    memberships, so no query of its own once visible(Customer) has run."""
    ids = pool_ids_visible(actor)
    names = actor.memo["customers.pool_names"]
    return sorted((names[i] for i in ids), key=lambda p: (not p.is_default, p.order, p.pk))


def pools_usable(actor: Actor) -> QuerySet:
    """Pools the actor may send customers into (release, create, import): those whose customers they see, as
    members or overseers; every pool for the system actor. Any other id is answered as unknown."""
    return visible(Pool, actor).filter(pk__in=pool_ids_visible(actor))


def pool_settings_list(*, actor: Actor, usable_only: bool = False) -> list[Pool]:
    """Every pool with its member departments and rules, for Settings (three queries); with `usable_only`
    (the API's list) only the pools of pools_usable."""
    from django.db.models import Prefetch

    qs = pools_usable(actor) if usable_only else visible(Pool, actor)
    return list(qs.order_by("-is_default", "order", "id").prefetch_related(
        Prefetch("members", queryset=PoolDepartment.objects.select_related("department").order_by("department__path")),
        Prefetch("rules", queryset=PoolRule.objects.select_related("level").order_by("level__order", "level_id")),
    ))


def customer_caps(*, actor: Actor) -> list:
    """Customer caps: per role, and per-user overrides (with the user's name)."""
    from .models import CustomerCap

    return list(visible(CustomerCap, actor).select_related("user").order_by("user_id", "role", "id"))


def pool_customer_rows(qs: QuerySet) -> QuerySet:
    """customer_list_rows plus why and since when each is in the pool (its last release or auto-return)."""
    from django.db.models import OuterRef, Subquery

    last = OwnerChange.objects.filter(customer_id=OuterRef("pk"), kind__in=POOL_ENTRY_KINDS).order_by("-changed_at", "-id")
    return customer_list_rows(qs).select_related("pool").only(
        "id", "kind", "name", "short_name", "number", "phone", "mobile", "owner_id", "pool_id", "pool__name",
        "pooled_at", "level__name", "status__name", "source__name", "industry__name", "province__name", "city__name",
        "last_followup_at", "next_followup_at", "created_at", "tags", "tenant_id",
    ).annotate(pool_reason=Subquery(last.values("reason")[:1]), pool_entry_kind=Subquery(last.values("kind")[:1]))


@dataclass
class ReturningSoon:
    customer: Customer
    days_left: int
    reason: str
    due_on: datetime.date


def customers_returning_soon(*, actor: Actor, days: int | None = None, limit: int = 50) -> list[ReturningSoon]:
    """My customers that the auto-return will move to the pool within `days` (default: each pool's warn days),
    soonest first, with the days left and the rule that will move them."""
    from .services import _due, _references, _rule_groups

    if actor.user_id is None:
        return []
    tenant = actor.tenant
    zone, today = tenant.zone, tenant.today()
    found: dict[int, ReturningSoon] = {}
    for group in _rule_groups():
        ahead = group.pool.warn_days if days is None else days
        for reason, due, limit_days, field in _due(group, today, zone, ahead=ahead):
            rows = (visible(Customer, actor).filter(owner_id=actor.user_id).filter(group.condition)
                    .annotate(**_references()).filter(due).only("id", "name", "tenant_id", "level_id", "owner_id")
                    .order_by(field, "id")[:limit])
            for c in rows:
                ref = getattr(c, field)
                due_on = timezone.localtime(ref, zone).date() + datetime.timedelta(days=limit_days + 1)
                left = max(0, (due_on - today).days)
                if c.pk not in found or left < found[c.pk].days_left:
                    found[c.pk] = ReturningSoon(c, left, reason, due_on)
    return sorted(found.values(), key=lambda r: (r.days_left, r.customer.pk))[:limit]


def customers_assigned_recently(*, actor: Actor, days: int = 7, limit: int = 20) -> list[OwnerChange]:
    """Customers assigned or transferred to me in the last `days` days that are still mine, newest first."""
    if actor.user_id is None:
        return []
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (visible(OwnerChange, actor).filter(to_owner_id=actor.user_id, kind__in=("assign", "transfer"),
                                               changed_at__gte=since, customer__owner_id=actor.user_id)
            .select_related("customer", "changed_by").only(
                "id", "kind", "reason", "changed_at", "customer_id", "customer__id", "customer__name",
                "customer__tenant_id", "changed_by__name", "changed_by__is_active", "tenant_id")
            .order_by("-changed_at", "-id"))
    out, seen = [], set()
    for row in rows[: limit * 3]:
        if row.customer_id not in seen:
            seen.add(row.customer_id)
            out.append(row)
    return out[:limit]
