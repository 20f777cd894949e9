"""GET /api/v1/onboarding: the first-run setup and getting-started checklist of the caller's company."""
from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from ninja import Router

from zhuli.api.auth import actor_of
from zhuli.api.schemas import Out, local
from zhuli.core.errors import Forbidden

from .selectors import checklist
from .services import may_manage_onboarding

router = Router(tags=["onboarding"])


class SetupOut(Out):
    status: str  # pending | completed | skipped
    step: str
    steps_done: list[str]
    completed_at: datetime.datetime | None
    skipped_at: datetime.datetime | None


class FeaturesOut(Out):
    customer_kinds: str
    agreements: str
    tracking_style: str
    inventory: bool


class ItemOut(Out):
    key: str
    title: str
    done: bool
    manual: bool
    url: str


class OnboardingOut(Out):
    setup: SetupOut
    features: FeaturesOut
    items: list[ItemOut]
    done_count: int
    total: int
    dismissed: bool


@router.get("/onboarding", response=OnboardingOut, summary="上手指引：初始设置进度与上手清单（老板或管理员）")
def onboarding(request):
    actor = actor_of(request)
    if not may_manage_onboarding(actor):
        raise Forbidden(_("只有老板或公司管理员可以查看上手指引"))
    data = checklist(actor=actor)
    state = data.state
    status = "pending"
    if state is not None and state.completed_at:
        status = "completed"
    elif state is not None and state.skipped_at:
        status = "skipped"
    tenant = actor.tenant
    return {
        "setup": {"status": status, "step": state.step if state else "customers",
                  "steps_done": list(state.steps_done) if state else [],
                  "completed_at": local(state.completed_at) if state else None,
                  "skipped_at": local(state.skipped_at) if state else None},
        "features": {"customer_kinds": tenant.feature("customer_kinds"), "agreements": tenant.feature("agreements"),
                     "tracking_style": tenant.feature("tracking_style"),
                     "inventory": bool(tenant.feature("inventory"))},
        "items": [{"key": i.key, "title": str(i.title), "done": i.done, "manual": i.manual, "url": i.url}
                  for i in data.items],
        "done_count": data.done_count, "total": len(data.items),
        "dismissed": bool(state and state.dismissed_at),
    }
