"""What deals plugs into the registries: menu entries, customer-view and opportunity-page sections, the workbench
card 30 天内到期的合同, global search, the numbering settings page, exports and the approval doc types."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhuli.core.registry import (
    MenuEntry,
    Section,
    customer_sections,
    export_resources,
    menu_entries,
    opportunity_sections,
    search_providers,
    settings_pages,
    workbench_cards,
)

from .exports import AgreementExport, QuoteExport
from .models import AgreementKind

CONTRACTS_ON = ("agreements", frozenset({"contract", "both"}))
ORDERS_ON = ("agreements", frozenset({"order", "both"}))

menu_entries.register("deals.contracts", MenuEntry(_("合同"), "deals:contract_list", icon="file-earmark-text",
                                                   module="agreements", feature=CONTRACTS_ON), order=40)
menu_entries.register("deals.orders", MenuEntry(_("订单"), "deals:order_list", icon="cart", module="agreements",
                                                feature=ORDERS_ON), order=41)
menu_entries.register("deals.quotes", MenuEntry(_("报价单"), "deals:quote_list", icon="receipt", module="quotes"),
                      order=35)
settings_pages.register("numbering", MenuEntry(_("编号规则"), "deals:numbering", "123", admin_only=True), order=70)
export_resources.register("contracts", AgreementExport(AgreementKind.CONTRACT), order=40)
export_resources.register("orders", AgreementExport(AgreementKind.ORDER), order=41)
export_resources.register("quotes", QuoteExport(), order=35)


def _customer_agreements(request, customer):
    from .views import customer_agreements_section

    return customer_agreements_section(request, customer)


def _opportunity_convert(request, opportunity):
    from .views import opportunity_convert_section

    return opportunity_convert_section(request, opportunity)


def _ending_card(request, actor):
    from .views import contracts_ending_card

    return contracts_ending_card(request, actor)


def search_agreements(actor, q: str, limit: int = 8) -> list[dict]:
    """Global search: visible contracts and orders by number or title."""
    from .selectors import agreement_suggest

    if not actor.can("agreements", "view"):
        return []
    labels = {"contract": str(_("合同")), "order": str(_("订单"))}
    return [{"label": f"{r['number']} {r['title']}",
             "url": reverse("deals:contract_detail" if r["kind"] == "contract" else "deals:order_detail",
                            args=[r["id"]]),
             "hint": f"{labels[r['kind']]} · {r['customer__name']}"}
            for r in agreement_suggest(actor=actor, q=q, limit=limit)]


customer_sections.register("agreements", Section(_("合同/订单"), _customer_agreements), order=30)
opportunity_sections.register("agreement", Section(_("合同/订单"), _opportunity_convert), order=5)
workbench_cards.register("deals.contracts_ending", Section(_("30 天内到期的合同"), _ending_card,
                                                           feature=CONTRACTS_ON), order=50)
search_providers.register("agreements", search_agreements, order=30)


def _register_approvals():
    """Contracts and orders go through the approval engine (zhuli.approvals) once it is installed."""
    try:
        from zhuli.approvals.registry import ApprovalDocType, register_doc_type
    except ImportError:
        return
    from .models import Agreement
    from .services import (
        agreement_amount_of,
        agreement_discount_of,
        agreement_on_approved,
        agreement_on_rejected,
    )

    def url(obj):
        return reverse("deals:contract_detail" if obj.kind == "contract" else "deals:order_detail", args=[obj.pk])

    for kind, label in ((AgreementKind.CONTRACT, _("合同")), (AgreementKind.ORDER, _("订单"))):
        register_doc_type(str(kind), ApprovalDocType(label, Agreement, amount=agreement_amount_of,
                                                     discount=agreement_discount_of,
                                                     on_approved=agreement_on_approved,
                                                     on_rejected=agreement_on_rejected, url=url))


_register_approvals()
