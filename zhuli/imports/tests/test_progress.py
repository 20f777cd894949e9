"""Progress of a long import is visible to the poller while the import's transaction is open (PostgreSQL)."""
from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from conftest import make_org
from zhuli.imports import resources, services
from zhuli.imports.models import ImportJob, ImportStatus
from zhuli.tenancy.context import tenant_context

from .helpers import SZSE


@pytest.mark.postgres
def test_progress_is_committed_while_the_rows_are_not(transactional_db, settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: progress shows when the import ends")
    settings.IMPORT_SYNC_MAX_ROWS = 5
    monkeypatch.setattr(services, "PROGRESS_EVERY", 4)
    org = make_org("progress")
    seen = []
    original = resources.CustomerResource.parse

    def parse_and_peek(self, ctx, number, cells):
        if number == 12:  # row 12 is the 11th data row: progress 8 has been written
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with other.cursor() as cursor:
                    cursor.execute(f"SELECT progress FROM {ImportJob._meta.db_table}")
                    seen.append(cursor.fetchone()[0])
                    cursor.execute("SELECT count(*) FROM customers_customer")
                    seen.append(cursor.fetchone()[0])
            finally:
                other.close()
        return original(self, ctx, number, cells)

    monkeypatch.setattr(resources.CustomerResource, "parse", parse_and_peek)
    content = b"".join(SZSE.read_bytes().splitlines(keepends=True)[:16])
    with tenant_context(org.tenant):
        actor = org.actor("boss")
        job, sheet = services.import_job_create(actor=actor, resource="customers", file=content)
        job = services.import_run(actor=actor, job_id=job.pk, sheet=sheet)
    assert job.status == ImportStatus.DONE and job.count("created") == 15
    assert seen == [8, 0]  # progress visible, customers not yet
