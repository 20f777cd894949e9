"""The database-backed schedule (DESIGN §4 rule 7): one run per due time whoever asks, tenant days."""
import datetime
import zoneinfo

import pytest
from django.utils import timezone

from zhuli.core import scheduler
from zhuli.core.models import ScheduledJob
from zhuli.core.registry import scheduled_jobs

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def counting_job():
    calls = []
    scheduler.register_job("test.count", lambda now: calls.append(now) or f"call {len(calls)}", 600)
    yield calls
    scheduled_jobs.entries.pop("test.count", None)


def test_sync_creates_one_row_per_job_and_follows_interval_changes(counting_job):
    scheduler.scheduler_sync()
    scheduler.scheduler_sync()
    assert ScheduledJob.objects.filter(name="test.count").count() == 1
    assert ScheduledJob.objects.filter(name="trials.expire", interval_seconds=3600).exists()
    scheduler.register_job("test.count", lambda now: None, 120)
    scheduler.scheduler_sync()
    assert ScheduledJob.objects.get(name="test.count").interval_seconds == 120


def test_two_claims_of_the_same_run_only_one_wins(counting_job):
    scheduler.scheduler_sync()
    now = timezone.now()
    # Two workers read the same row (same next_run_at) and both try to claim it.
    seen_by_a = ScheduledJob.objects.get(name="test.count")
    seen_by_b = ScheduledJob.objects.get(name="test.count")
    assert scheduler.scheduler_claim(seen_by_a, now) is True
    assert scheduler.scheduler_claim(seen_by_b, now) is False
    row = ScheduledJob.objects.get(name="test.count")
    assert row.next_run_at == now + datetime.timedelta(seconds=600) and row.last_run_at == now


def test_run_due_runs_once_until_the_interval_passes(counting_job):
    start = timezone.now()
    scheduler.scheduler_sync(start)
    assert "test.count" in scheduler.scheduler_run_due(start)
    assert "test.count" not in scheduler.scheduler_run_due(start + datetime.timedelta(seconds=5))
    assert len(counting_job) == 1
    assert ScheduledJob.objects.get(name="test.count").last_status == "ok: call 1"
    assert "test.count" in scheduler.scheduler_run_due(start + datetime.timedelta(seconds=601))
    assert len(counting_job) == 2


def test_a_failing_job_records_the_error_and_others_still_run(counting_job):
    def broken(now):
        raise ValueError("boom")

    scheduler.register_job("test.broken", broken, 60)
    try:
        scheduler.scheduler_sync()
        ran = scheduler.scheduler_run_due(timezone.now())
        assert {"test.broken", "test.count"} <= set(ran)
        assert ScheduledJob.objects.get(name="test.broken").last_status == "error: ValueError: boom"
    finally:
        scheduled_jobs.entries.pop("test.broken", None)


def test_disabled_and_unknown_jobs_are_skipped(counting_job):
    scheduler.scheduler_sync()
    ScheduledJob.objects.filter(name="test.count").update(enabled=False)
    ScheduledJob.objects.create(name="gone.job", interval_seconds=60, next_run_at=timezone.now())
    ran = scheduler.scheduler_run_due(timezone.now())
    assert "test.count" not in ran and "gone.job" not in ran and counting_job == []


def test_a_worker_round_picks_up_jobs_registered_after_it_started(counting_job):
    loop = scheduler.SchedulerLoop(interval=30)
    assert "test.count" in loop.run_once()
    scheduler.register_job("test.late", lambda now: "late", 60)
    try:
        assert loop.run_once() == ["test.late"]
    finally:
        scheduled_jobs.entries.pop("test.late", None)
