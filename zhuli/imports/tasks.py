"""Background imports: files with more rows than IMPORT_SYNC_MAX_ROWS run in the task worker."""
from django_tasks import task


@task()
def import_run_task(job_id: int, tenant_id: int) -> str:
    # Only ids cross the queue: the task activates the tenant and rebuilds the uploader's actor.
    from .services import import_run_background

    return import_run_background(job_id=job_id, tenant_id=tenant_id)
