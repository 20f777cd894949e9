"""Deleting rows without the ORM's collector, for services that delete the referencing rows themselves."""
from __future__ import annotations

from django.db.models import QuerySet


def delete_rows(queryset: QuerySet) -> int:
    """One DELETE of the queryset's rows: no cascade, no SET NULL, no per-relation lookups.

    The collector behind QuerySet.delete() looks up every referencing table by the bare foreign-key
    column, which no index leads with (indexes lead with the tenant, DESIGN), so each lookup reads a
    whole table or index. The caller deletes (or leaves no) referencing rows first; the database's
    deferred foreign-key checks refuse the commit if it missed one."""
    return queryset._raw_delete(queryset.db)
