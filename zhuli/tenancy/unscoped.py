"""Doors past the active-tenant check. `for_tenant` still filters on one named tenant; `all_tenants`
reads across tenants, for platform jobs and coverage tests only (tests/test_architecture.py)."""
from django.db import models


def for_tenant(model: type[models.Model], tenant) -> models.QuerySet:
    return model.all_tenants.filter(tenant=tenant)


def all_tenants(model: type[models.Model]) -> models.QuerySet:
    return model.all_tenants.all()
