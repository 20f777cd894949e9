"""Shared template helpers: `{% load zhuli %}` then `{% icon "people" %}`, `{% form_field form.name %}`,
`{% form_errors form %}`."""
from django import forms, template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def icon(name: str, extra: str = ""):
    return format_html('<i class="bi bi-{} {}" aria-hidden="true"></i>', name, extra)


def _widget_class(field) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.inclusion_tag("web/partials/field.html")
def form_field(field, label: str | None = None, show_label: bool = True, size: str = ""):
    """A Bootstrap field with its label, help text and errors next to it (in the user's language)."""
    css = _widget_class(field)
    if size and css != "form-check-input":
        css += f" {css}-{size}"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": (field.field.widget.attrs.get("class", "") + " " + css).strip()}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return {
        "field": field,
        "widget": field.as_widget(attrs=attrs),
        "label": label if label is not None else field.label,
        "show_label": show_label,
        "is_check": css.startswith("form-check-input"),
        "required": field.field.required,
    }


@register.inclusion_tag("web/partials/form_errors.html")
def form_errors(form):
    return {"errors": form.non_field_errors()}


_MESSAGE_COLORS = {"error": "danger", "warning": "warning", "success": "success", "info": "primary", "debug": "secondary"}


@register.filter
def message_color(level_tag: str) -> str:
    return _MESSAGE_COLORS.get(level_tag, "secondary")


@register.filter
def money(value) -> str:
    """A Decimal amount with thousands separators and two places: 1234567.5 → 1,234,567.50 ('' for None)."""
    from decimal import Decimal, InvalidOperation

    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{amount:,.2f}"
