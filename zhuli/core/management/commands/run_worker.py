"""`manage.py run_worker`: the background worker — the periodic-job scheduler in a thread and the
django-tasks worker (database backend: `db_worker`; RQ: `rqworker`) in the main thread.
SIGTERM / SIGINT stop both."""
from __future__ import annotations

import signal
import threading

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

from zhuli.core.scheduler import SchedulerLoop, scheduler_run_due, scheduler_sync


class Command(BaseCommand):
    help = "Runs queued background tasks and the periodic-job scheduler until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--scheduler-interval", type=float, default=30.0,
                            help="seconds between scheduler rounds (default 30)")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between task-queue polls")
        parser.add_argument("--no-scheduler", action="store_true", help="run tasks only")
        parser.add_argument("--once", action="store_true", help="run the due periodic jobs once and exit")

    def handle(self, *args, scheduler_interval: float, interval: float, no_scheduler: bool, once: bool,
               **options):
        if once:
            scheduler_sync()
            ran = scheduler_run_due()
            self.stdout.write(f"ran: {', '.join(ran) or 'nothing due'}")
            return
        loop = None if no_scheduler else SchedulerLoop(scheduler_interval)
        if loop is not None:
            loop.start()
        self.stdout.write("Worker started (tasks" + ("" if no_scheduler else " + scheduler") + ").")
        try:
            self._run_tasks(interval, options["verbosity"])
        finally:
            if loop is not None:
                loop.stop()
                loop.join(timeout=10)

    def _run_tasks(self, interval: float, verbosity: int) -> None:
        backend = task_backends["default"]
        if isinstance(backend, DatabaseBackend):
            # db_worker handles SIGTERM/SIGINT itself: it exits between tasks, or after the current one.
            call_command("db_worker", interval=interval, startup_delay=False, reload=False, verbosity=verbosity)
        elif apps.is_installed("django_rq"):
            call_command("rqworker", *backend.queues, job_class="django_tasks_rq.backend.Job")
        else:
            # Tasks run elsewhere (or immediately): only the scheduler works here, until a signal.
            stopped = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stopped.set())
            while not stopped.wait(1.0):
                pass
