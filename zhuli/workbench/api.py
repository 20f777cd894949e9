"""GET /api/v1/workbench: the numbers and lists the workbench page shows, as JSON."""
from __future__ import annotations

import datetime

from ninja import Router

from zhuli.api.auth import actor_of
from zhuli.api.schemas import Out, Ref, local

from .selectors import workbench_summary

router = Router(tags=["workbench"])


class TodoOut(Out):
    id: int
    due_at: datetime.datetime
    content: str
    customer: Ref


class TodosOut(Out):
    day: datetime.date
    today: list[TodoOut]
    overdue: list[TodoOut]
    overdue_count: int
    next_7_days: list[TodoOut]


class NumbersOut(Out):
    month: str
    new_customers: int
    followups: int


class TeamRowOut(Out):
    user: Ref
    new_customers: int
    followups: int


class WorkbenchOut(Out):
    todos: TodosOut | None
    recent_customers: list[Ref]
    mine: NumbersOut | None
    team: list[TeamRowOut] | None


def _todo(t) -> dict:
    return {"id": t.pk, "due_at": local(t.due_at), "content": t.content,
            "customer": {"id": t.customer_id, "name": t.customer.name}}


@router.get("/workbench", response=WorkbenchOut, summary="工作台数据（今日/逾期/未来 7 天待办、本月数字、团队数字）")
def workbench(request):
    summary = workbench_summary(actor=actor_of(request))
    todos, mine = summary["todos"], summary["mine"]
    return {
        "todos": None if todos is None else {
            "day": todos.day, "today": [_todo(t) for t in todos.today], "overdue": [_todo(t) for t in todos.overdue],
            "overdue_count": todos.overdue_count, "next_7_days": [_todo(t) for t in todos.upcoming],
        },
        "recent_customers": [{"id": c.pk, "name": c.name} for c in summary["recent"]],
        "mine": None if mine is None else {**mine, "month": mine["month"].strftime("%Y-%m")},
        "team": summary["team"],
    }
