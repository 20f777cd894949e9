"""Doors past the active-tenant check. `for_tenant` still filters on one named tenant; `all_tenants`
reads across tenants, for platform jobs and coverage tests only (tests/test_architecture.py).
`rows_per_tenant` / `newest_per_tenant` are the platform console's cross-tenant summaries (one query each)."""
from django.db import models
from django.db.models import Count, OuterRef, Subquery


def for_tenant(model: type[models.Model], tenant) -> models.QuerySet:
    return model.all_tenants.filter(tenant=tenant)


def all_tenants(model: type[models.Model]) -> models.QuerySet:
    return model.all_tenants.all()


def rows_per_tenant(model: type[models.Model], tenant_ids) -> dict[int, int]:
    """How many rows of `model` each of these tenants holds (one grouped query over the tenant-led indexes)."""
    rows = model.all_tenants.filter(tenant_id__in=list(tenant_ids)).order_by().values("tenant_id")
    return dict(rows.annotate(n=Count("pk")).values_list("tenant_id", "n"))


def newest_per_tenant(model: type[models.Model], field: str, tenant_ids) -> dict[int, object]:
    """The newest `field` value of `model` per tenant: one query, an index lookup per tenant with (tenant, field)."""
    from .models import Tenant

    newest = model.all_tenants.filter(tenant=OuterRef("pk")).order_by(f"-{field}").values(field)[:1]
    return dict(Tenant.objects.filter(pk__in=list(tenant_ids)).annotate(v=Subquery(newest)).values_list("pk", "v"))
