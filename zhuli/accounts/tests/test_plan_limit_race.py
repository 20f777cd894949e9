"""Two admins adding the last seat at the same moment, with real threads and connections: exactly one gets it
(check_plan_limits locks the tenant row). SQLite's immediate transactions serialise writers, so the race
cannot happen there; this needs PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.factories import PASSWORD
from zhuli.access.actor import Actor
from zhuli.accounts.models import User
from zhuli.accounts.provisioning import tenant_create
from zhuli.accounts.services import user_activate, user_create, user_deactivate
from zhuli.core.errors import AppError
from zhuli.tenancy.context import tenant_context

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")


def _race(tenant, calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=10)
                call()
                results[i] = "ok"
        except AppError as exc:
            results[i] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_creates_for_the_last_seat_one_wins():
    tenant, boss = tenant_create(code="race-seat", name="抢席位公司", admin_login="boss@race.test", password=PASSWORD,
                                 kind="formal", max_users=3, max_bosses=1)
    with tenant_context(tenant):
        admin = Actor.for_user(boss)
        user_create(actor=admin, data={"name": "一号", "email": "one@race.test", "password": PASSWORD})
        left = user_create(actor=admin, data={"name": "离职", "email": "left@race.test", "password": PASSWORD})
        user_deactivate(actor=admin, user_id=left.pk)
    results = _race(tenant, [
        lambda: user_create(actor=Actor.for_user(boss), data={"name": "甲", "email": "a@race.test", "password": PASSWORD}),
        lambda: user_activate(actor=Actor.for_user(boss), user_id=left.pk),
    ])
    assert sorted(results, key=lambda r: r != "ok") == [
        "ok", "已达到用户数上限 3 人（当前 3 人），请先停用其他用户或联系我们增加席位"], results
    assert User.objects.filter(tenant=tenant, is_active=True).count() == 3
