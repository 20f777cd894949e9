"""What billing plugs into the registries: menus, workbench cards, customer view and agreement page sections,
the 发票设置 settings page, exports, and the `invoice` document type of the approval engine."""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from zhuli.core import registry
from zhuli.core.registry import (
    MenuEntry,
    Section,
    customer_sections,
    menu_entries,
    settings_pages,
    workbench_cards,
)


def _view(name):
    def render(request, obj):
        from . import views

        return getattr(views, name)(request, obj)
    return render


menu_entries.register("billing.payments", MenuEntry(_("回款"), "billing:payments", icon="cash-coin",
                                                    module="payments"), order=45)
menu_entries.register("billing.invoices", MenuEntry(_("发票"), "billing:invoices", icon="receipt",
                                                    module="invoices"), order=46)
menu_entries.register("billing.receivables", MenuEntry(_("应收账款"), "billing:receivables", icon="graph-up",
                                                       module="payments"), order=47)

workbench_cards.register("billing.plans_due", Section(_("回款提醒"), _view("card_plans_due")), order=40)
workbench_cards.register("billing.to_confirm", Section(_("待确认回款"), _view("card_to_confirm")), order=41)
workbench_cards.register("billing.to_issue", Section(_("待开票"), _view("card_to_issue")), order=42)

customer_sections.register("receivables", Section(_("应收概况"), _view("customer_receivables_section")), order=34)
customer_sections.register("payments", Section(_("回款记录"), _view("customer_payments_section")), order=35)
customer_sections.register("invoices", Section(_("发票"), _view("customer_invoices_section")), order=36)

settings_pages.register("invoice_settings", MenuEntry(_("发票设置"), "billing:settings", "receipt-cutoff",
                                                      admin_only=True), order=75)

# The agreements page's sections (the Registry is added by the agreements work; absent, nothing shows).
_agreement_sections = getattr(registry, "agreement_sections", None)
if _agreement_sections is not None:
    _agreement_sections.register("plans", Section(_("回款计划"), _view("agreement_plans_section")), order=30)
    _agreement_sections.register("payments", Section(_("回款记录"), _view("agreement_payments_section")), order=31)
    _agreement_sections.register("invoices", Section(_("发票"), _view("agreement_invoices_section")), order=32)


def _export_resources():
    from .exports import InvoiceExport, PaymentExport, PlanExport

    registry.export_resources.register("payment-plans", PlanExport(), order=45)
    registry.export_resources.register("payments", PaymentExport(), order=46)
    registry.export_resources.register("invoices", InvoiceExport(), order=47)


_export_resources()


def _invoice_url(invoice) -> str:
    from django.urls import reverse

    return reverse("billing:invoice", args=[invoice.pk])


def _register_invoice_approvals() -> None:
    try:
        from zhuli.approvals.registry import ApprovalDocType, register_doc_type
    except ImportError:
        return
    from .models import Invoice
    from .services import invoice_on_approved, invoice_on_rejected, invoice_on_withdrawn

    register_doc_type("invoice", ApprovalDocType(
        _("开票申请"), Invoice, amount=lambda obj: obj.base_amount, discount=lambda obj: Decimal("0"),
        on_approved=invoice_on_approved, on_rejected=invoice_on_rejected, url=_invoice_url,
        on_withdrawn=invoice_on_withdrawn))


_register_invoice_approvals()
