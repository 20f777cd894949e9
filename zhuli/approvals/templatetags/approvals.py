"""Labels for approval steps and statuses in templates (the history panel documents include)."""
from django import template

from ..models import StepRole

register = template.Library()
BADGES = {"pending": "warning", "approved": "success", "rejected": "danger", "withdrawn": "secondary"}


@register.filter
def approval_role(code) -> str:
    """A step's role code as its label: manager → 部门主管."""
    return str(dict(StepRole.choices).get(code, code))


@register.filter
def approval_step(steps, index) -> str:
    """The label of steps[index] (a decision's step)."""
    try:
        return approval_role(steps[int(index)])
    except (IndexError, TypeError, ValueError):
        return ""


@register.filter
def approval_badge(status) -> str:
    return BADGES.get(status, "light")
