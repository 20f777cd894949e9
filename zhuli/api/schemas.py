"""Shapes and helpers every router shares: references, pages, ids, dates (DESIGN §5 field conventions).

Output rows are plain pydantic models fed with dicts built from `values()`; ninja's Schema wraps
every input in a getter object, which is the serialisation tax DESIGN §7 warns about."""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils import timezone
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from zhuli.accounts.models import owner_display
from zhuli.core.pagination import clamp_page, clamp_page_size
from zhuli.core.text import clean_text

# The largest value a bigint primary key can hold; larger ids are refused as input, never sent to SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# `owner=<id>|me|none` on lists of owned records.
OwnerParam = Annotated[str, Field(pattern=r"^(|me|none|[0-9]{1,18})$", max_length=18)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Ref(Out):
    """A related record or picklist value: `{"id", "name"}`."""

    id: int
    name: str


class RegionRef(Out):
    """A GB/T 2260 region; its id is the code (e.g. "440000")."""

    id: str
    name: str


def ref(pk, name) -> dict | None:
    return None if pk is None else {"id": pk, "name": name or ""}


def owner_ref(pk, name, active) -> dict | None:
    """An owner as `{"id", "name"}`, the name marked 已离职 for users who left."""
    return None if pk is None else {"id": pk, "name": owner_display(name or "", active)}


def local(value: datetime.datetime | None) -> datetime.datetime | None:
    """A stored UTC datetime in the active (tenant's) zone, so the JSON carries its offset."""
    return None if value is None else value.astimezone(timezone.get_current_timezone())


# ---- input types ---------------------------------------------------------------------------------


def _year_in_range(value):
    # Beyond these years the tenant-zone conversion overflows; no CRM date lives there.
    if value is not None and not (1900 <= value.year <= 2200):
        raise ValueError("out of range")
    return value


def _date_or_datetime(value):
    # "2024-05-01" means a day (the services pick a sensible time); anything longer is a moment.
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


Day = Annotated[datetime.date, AfterValidator(_year_in_range)]
Moment = Annotated[
    datetime.datetime | datetime.date, BeforeValidator(_date_or_datetime), AfterValidator(_year_in_range)
]
Text = Annotated[str, Field(max_length=5000)]
ShortText = Annotated[str, Field(max_length=500)]


def _code(value):
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


RegionCode = Annotated[str | None, BeforeValidator(_code), Field(max_length=12)]


def query_text(value: str | None) -> str:
    """A search box value as plain text: no control characters, bounded length."""
    return clean_text(value)[:100]


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of a day in the active (tenant's) zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


# ---- pages -----------------------------------------------------------------------------------------


class PageParams(BaseModel):
    """`page` and `page_size` as the contract wants them: bad values fall back to defaults, never refused."""

    page: str | None = Field(default=None, description="页码，从 1 开始")
    page_size: str | None = Field(default=None, description="每页条数，默认 20，大于 200 按 200")
    sort: str = Field(default="", max_length=40, description="排序字段，前缀 - 表示倒序；总以 id 兜底，翻页不重不漏")


def page_of(qs: QuerySet | Iterable, params: PageParams, row: Callable[[Any], dict] | None = None,
            *, counted: QuerySet | None = None, late: Callable[[QuerySet], Iterable] | None = None) -> dict:
    """`{"items", "count"}` for one page; the count query is skipped when the page shows it anyway.

    `counted` is the same rows before `values()`: counting it needs none of the joins the page does.
    `late(page_ids)` reads the page's rows from a subquery of their ids (a deferred join, still one query):
    what costs per row (names of related records) is then computed for the page only, not for every row
    that OFFSET skips."""
    page, size = clamp_page(params.page), clamp_page_size(params.page_size)
    start = (page - 1) * size
    rows = list(late(qs.values("pk")[start:start + size]) if late is not None else qs[start:start + size])
    if rows and len(rows) < size or page == 1 and not rows:
        # A short page is the last one: its position is the count.
        count = start + len(rows)
    else:
        count = (counted if counted is not None else qs).count()
    return {"items": [row(r) for r in rows] if row else rows, "count": count}
