"""The database-backed schedule of periodic jobs (DESIGN §4 rule 7).

Modules register `register_job(key, func, interval_seconds)` (into `core.registry.scheduled_jobs`);
`scheduler_sync()` keeps one ScheduledJob row per job; `scheduler_run_due()` claims each due row with a
conditional update, so two workers (or two machines) never run the same run twice, then runs it.
A job is `func(now) -> str | None` (a short summary for last_status). "Daily" jobs decide the day per
tenant (`Tenant.today()`), not by the server's clock.
"""
from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone

from .models import ScheduledJob
from .registry import scheduled_jobs

logger = logging.getLogger("zhuli.scheduler")


def register_job(key: str, func: Callable[[datetime.datetime], str | None], interval_seconds: int) -> None:
    scheduled_jobs.register(key, (func, int(interval_seconds)))


def scheduler_sync(now: datetime.datetime | None = None) -> None:
    """One row per registered job (a new job is due at once); intervals follow the code."""
    now = now or timezone.now()
    for entry in scheduled_jobs.items():
        _func, interval = entry.value
        job, created = ScheduledJob.objects.get_or_create(
            name=entry.key, defaults={"interval_seconds": interval, "next_run_at": now}
        )
        if not created and job.interval_seconds != interval:
            ScheduledJob.objects.filter(pk=job.pk).update(interval_seconds=interval)


def scheduler_claim(job: ScheduledJob, now: datetime.datetime) -> bool:
    """Moves the job's next run on only if nobody did since we read it; True means this run is ours."""
    claimed = ScheduledJob.objects.filter(pk=job.pk, next_run_at=job.next_run_at).update(
        next_run_at=now + datetime.timedelta(seconds=job.interval_seconds), last_run_at=now
    )
    return claimed == 1


def scheduler_run_due(now: datetime.datetime | None = None) -> list[str]:
    """Runs every enabled job whose time has come and that this process wins; returns their names."""
    now = now or timezone.now()
    ran = []
    for job in ScheduledJob.objects.filter(enabled=True, next_run_at__lte=now).order_by("next_run_at", "pk"):
        registered = scheduled_jobs.get(job.name)
        if registered is None:  # a job whose code is gone: leave its row alone
            continue
        if not scheduler_claim(job, now):
            continue
        func, _interval = registered
        try:
            summary = func(now)
            status = "ok" + (f": {summary}" if summary else "")
        except Exception as exc:  # one broken job must not stop the others
            logger.exception("scheduled job %s failed", job.name)
            status = f"error: {type(exc).__name__}: {exc}"
        ScheduledJob.objects.filter(pk=job.pk).update(last_status=status[:200])
        ran.append(job.name)
    return ran


class SchedulerLoop(threading.Thread):
    """Runs due jobs every `interval` seconds until stop(); lives beside the task worker."""

    def __init__(self, interval: float = 30.0):
        super().__init__(name="zhuli-scheduler", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run_once(self) -> list[str]:
        scheduler_sync()  # cheap, and a worker started before a deploy picks up new jobs
        ran = scheduler_run_due()
        if ran:
            logger.info("scheduler ran %s", ", ".join(ran))
        return ran

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                try:
                    self.run_once()
                except Exception:  # the database may be busy or away for a moment: try again next round
                    logger.exception("scheduler round failed")
                finally:
                    close_old_connections()
                self._stop_event.wait(self.interval)
        finally:
            connection.close()

