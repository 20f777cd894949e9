from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from zhuli.accounts.provisioning import tenant_create
from zhuli.tenancy.context import tenant_context


class NewCompany:
    """A trial tenant made the way sign-up makes it (tenant_create runs every tenant_setup step)."""

    def __init__(self, code: str):
        self.tenant, self.boss = tenant_create(code=code, name="新开公司", admin_login=f"boss@{code}.test",
                                               password=PASSWORD, admin_name="新老板")

    def actor(self):
        from zhuli.access.actor import Actor

        self.boss.refresh_from_db()
        return Actor.for_user(self.boss)

    def refresh(self):
        self.tenant.refresh_from_db()
        return self.tenant


@pytest.fixture
def new_company(db):
    company = NewCompany("new-co")
    with tenant_context(company.tenant):
        yield company
