"""What approvals plug in: the 审批 menu entry, the 审批规则 settings page and the 待我审批 workbench card."""
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import MenuEntry, Section, menu_entries, settings_pages, workbench_cards

CARD_ROWS = 5


def _waiting_card(request, actor) -> str:
    """待我审批: how many wait for the actor and the oldest few; nothing for roles that never approve."""
    from django.template.loader import render_to_string

    from .selectors import approval_rows, approvals_waiting_for
    from .views import decorate_rows

    qs = approvals_waiting_for(actor)
    if not qs.query.is_empty():
        rows = list(approval_rows(qs)[:CARD_ROWS])
        count = len(rows) if len(rows) < CARD_ROWS else qs.count()
        return render_to_string("approvals/partials/card_waiting.html", {
            "rows": decorate_rows(actor, rows), "count": count}, request=request)
    return ""


menu_entries.register("approvals", MenuEntry(_("审批"), "approvals:list", icon="check2-square", module="approvals"),
                      order=55)
settings_pages.register("approvals", MenuEntry(_("审批规则"), "approvals:rules", "diagram-3", admin_only=True),
                        order=70)
workbench_cards.register("approvals.waiting", Section(_("待我审批"), _waiting_card), order=5)
