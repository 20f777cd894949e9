"""Documents that go through approval plug in here (contract, order from deals; invoice from billing), from
their AppConfig.ready(), so the engine never imports them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ApprovalDocType:
    """How the engine talks to one kind of document.

    `amount(obj)` / `discount(obj)` feed the rules' conditions (base-currency amount, the largest line discount
    in %); `on_approved(*, actor, obj)` and `on_rejected(*, actor, obj, comment)` run inside the deciding
    transaction (the document moves on, or back to draft); `on_withdrawn(*, actor, obj)` when the submitter
    takes it back (absent: on_rejected is called with an empty comment); `url(obj)` is the document's page."""

    label: str
    model: type
    amount: Callable[[object], Decimal] | None = None
    discount: Callable[[object], Decimal] | None = None
    on_approved: Callable | None = None
    on_rejected: Callable | None = None
    url: Callable[[object], str] | None = None
    on_withdrawn: Callable | None = None


DOC_TYPES: dict[str, ApprovalDocType] = {}

# Labels of the doc types the default rules name, so the settings page reads well before a module registers.
KNOWN_LABELS = {"contract": _("合同"), "order": _("订单"), "invoice": _("开票申请")}


def register_doc_type(code: str, doc_type: ApprovalDocType) -> None:
    DOC_TYPES[code] = doc_type


def unregister_doc_type(code: str) -> None:
    DOC_TYPES.pop(code, None)


def get_doc_type(code: str) -> ApprovalDocType | None:
    return DOC_TYPES.get(code)


def doc_type_label(code: str) -> str:
    entry = DOC_TYPES.get(code)
    return str(entry.label if entry else KNOWN_LABELS.get(code, code))


def doc_type_choices() -> list[tuple[str, str]]:
    """Registered doc types and the known ones, for the rules page."""
    codes = list(KNOWN_LABELS) + [c for c in DOC_TYPES if c not in KNOWN_LABELS]
    return [(c, doc_type_label(c)) for c in codes]
