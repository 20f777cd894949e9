"""Page / sort parameters (DESIGN §5 Lists): page_size defaults to 20 and is clamped to 200, never
refused; every ordering ends with the unique id so pages never repeat or skip rows."""
from __future__ import annotations

import pytest
from django.db.models import F
from hypothesis import given
from hypothesis import strategies as st

from zhuli.core.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    clamp_page,
    clamp_page_size,
    order_by_param,
    paginate,
)

SORTS = {"id": "id", "name": "name_key", "next_followup_at": "next_followup_at"}


@pytest.mark.parametrize("value, expected", [
    (None, DEFAULT_PAGE_SIZE), ("", DEFAULT_PAGE_SIZE), ("abc", DEFAULT_PAGE_SIZE), ("2.5", DEFAULT_PAGE_SIZE),
    ("50", 50), (50, 50), (0, 1), (-5, 1), (200, 200), (201, MAX_PAGE_SIZE), (10**12, MAX_PAGE_SIZE),
])
def test_clamp_page_size(value, expected):
    assert clamp_page_size(value) == expected


@pytest.mark.parametrize("value, expected", [(None, 1), ("x", 1), (0, 1), (-3, 1), ("7", 7)])
def test_clamp_page(value, expected):
    assert clamp_page(value) == expected


@given(st.one_of(st.none(), st.integers(), st.text(max_size=8)))
def test_clamped_values_are_always_in_range(value):
    assert 1 <= clamp_page_size(value) <= MAX_PAGE_SIZE
    assert clamp_page(value) >= 1


def test_ascending_sort_nulls_last_then_id():
    assert order_by_param("name", SORTS, "-id") == [F("name_key").asc(nulls_last=True), "id"]


def test_descending_sort_nulls_last_then_id_descending():
    assert order_by_param("-next_followup_at", SORTS, "-id") == [F("next_followup_at").desc(nulls_last=True), "-id"]


@pytest.mark.parametrize("sort", [None, "", "  ", "password", "-tenant_id", "name; DROP TABLE"])
def test_unknown_or_empty_sorts_fall_back_to_the_default(sort):
    assert order_by_param(sort, SORTS, "-name") == [F("name_key").desc(nulls_last=True), "-id"]


@pytest.mark.parametrize("sort, expected", [("id", ["id"]), ("-id", ["-id"])])
def test_sorting_by_id_needs_no_second_key(sort, expected):
    assert order_by_param(sort, SORTS, "name") == expected


def test_page_arithmetic():
    assert (Page([], 0, 1, 20).pages, Page([], 0, 1, 20).has_next) == (1, False)
    page = Page([], 41, 2, 20)
    assert (page.pages, page.has_next, page.has_previous) == (3, True, True)
    assert not Page([], 41, 3, 20).has_next


@pytest.mark.django_db
def test_paginate_clamps_and_pages_through_every_row_once(org):
    from zhuli.customers.models import Customer
    from zhuli.customers.tests.factories import CustomerFactory

    for i in range(45):
        CustomerFactory(name=f"同一个名字{i % 2}")  # many ties on the sort key
    qs = Customer.objects.order_by(*order_by_param("name", {"name": "name_key"}, "-id"))
    page = paginate(qs, page="x", page_size="1000")
    assert (page.page, page.page_size, page.count, len(page.items)) == (1, MAX_PAGE_SIZE, 45, 45)
    seen = [c.pk for n in range(1, 6) for c in paginate(qs, page=n, page_size=10).items]
    assert sorted(seen) == sorted(Customer.objects.values_list("pk", flat=True))
    assert paginate(qs, page=99, page_size=10).items == []
    assert paginate(qs, page=1, page_size=10, count=7).count == 7  # a known count is not recounted
