"""Page / sort parameters shared by the web lists and the API (DESIGN §5 Lists)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


def clamp_page_size(value) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


# Far beyond any real list; it keeps OFFSET inside a 64-bit integer whatever a client sends.
MAX_PAGE = 1_000_000


def clamp_page(value) -> int:
    try:
        return min(max(1, int(value)), MAX_PAGE)
    except (TypeError, ValueError, OverflowError):
        return 1


def order_by_param(sort: str | None, allowed: dict[str, str], default: str) -> list[str]:
    """Maps an API sort name (`-next_followup_at`) to ORM ordering with `id` as the unique tie-breaker."""
    sort = (sort or "").strip() or default
    desc = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in allowed:
        desc, name = default.startswith("-"), default.lstrip("-")
    column = allowed[name]
    prefix = "-" if desc else ""
    if column == "id":
        return [f"{prefix}id"]
    from django.db.models import F

    expr = F(column).desc(nulls_last=True) if desc else F(column).asc(nulls_last=True)
    return [expr, f"{prefix}id"]


@dataclass
class Page:
    items: list
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, (self.count + self.page_size - 1) // self.page_size)

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def paginate(qs: QuerySet, *, page, page_size, count: int | None = None) -> Page:
    page, size = clamp_page(page), clamp_page_size(page_size)
    total = qs.count() if count is None else count
    start = (page - 1) * size
    return Page(items=list(qs[start : start + size]), count=total, page=page, page_size=size)
