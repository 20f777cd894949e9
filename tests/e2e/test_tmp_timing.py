import time, pytest
from conftest import make_org
from zhuli.imports import services
from zhuli.tenancy.context import tenant_context
from pathlib import Path
def test_t(db):
    org = make_org("t")
    content = Path("zhuli/imports/tests/fixtures/szse-listed-companies.csv").read_bytes()
    with tenant_context(org.tenant):
        a = org.actor("boss")
        t=time.time()
        job, sheet = services.import_job_create(actor=a, resource="customers", file=content, dry_run=True)
        print("create", time.time()-t); t=time.time()
        job = services.import_run(actor=a, job_id=job.pk, sheet=sheet)
        print("dry", time.time()-t, job.counts)
        job2, sheet = services.import_job_create(actor=a, resource="customers", file=content, dry_run=False)
        t=time.time()
        job2 = services.import_run(actor=a, job_id=job2.pk, sheet=sheet)
        print("real", time.time()-t, job2.counts)
