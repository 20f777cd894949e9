"""What the account's lifecycle plugs in: the daily expiry job and the workbench's trial countdown card."""
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import Section, workbench_cards
from zhuli.core.scheduler import register_job

from .models import TenantKind, TenantStatus
from .services import tenant_days_left, tenant_grace_ends_on, trials_expire_all

WARN_DAYS = 7


def _countdown_card(request, actor) -> str:
    """From 7 days before the end (stronger on the last day): what happens then and what to do."""
    tenant = actor.tenant
    if tenant.status != TenantStatus.ACTIVE or tenant.kind not in (TenantKind.TRIAL, TenantKind.FORMAL):
        return ""
    left = tenant_days_left(tenant)
    if left is None or not 1 <= left <= WARN_DAYS:
        return ""
    return render_to_string("tenancy/partials/card_countdown.html", {
        "left": left, "urgent": left <= 1, "trial": tenant.kind == TenantKind.TRIAL,
        "ends_on": tenant.ends_on, "grace_ends_on": tenant_grace_ends_on(tenant),
    }, request=request)


# Hourly, but each tenant's end is judged on its own calendar day: it expires once, at its midnight.
register_job("trials.expire", trials_expire_all, 3600)
workbench_cards.register("tenancy.countdown", Section(_("帐户到期提醒"), _countdown_card), order=1)
