"""Print pages (A4, no app chrome): contract, order, quote and the payment receipt (收款收据), each with the
company's logo, the lines, totals and the amount in Chinese capitals (core.money.amount_in_words). Every record
comes through get_visible_or_404, so a page outside the reader's scope is the same 404 as a missing one."""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhuli.access.scoping import get_visible_or_404, visible
from zhuli.billing.models import Payment, PaymentStatus
from zhuli.core.money import amount_in_words
from zhuli.web.context import logo_url

from .models import Agreement, AgreementKind, AgreementLine, Quote, QuoteLine


def _back_url(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return "/"


def _context(request, **extra) -> dict:
    tenant = request.actor.tenant
    return {"company": tenant.name, "logo_url": logo_url(tenant), "back_url": _back_url(request),
            "printed_at": timezone.localtime(timezone.now(), tenant.zone), **extra}


def _words(amount) -> str:
    return amount_in_words(amount) if amount is not None and amount >= 0 else ""


def _agreement_print(request, pk: int, kind: str, template: str):
    actor = request.actor
    qs = visible(Agreement, actor).filter(kind=kind).select_related("customer", "owner", "our_signer")
    agreement = get_visible_or_404(Agreement, actor, pk, queryset=qs)
    lines = list(visible(AgreementLine, actor).filter(agreement_id=agreement.pk).order_by("position", "id"))
    foreign = agreement.currency != "CNY"
    return render(request, template, _context(
        request, doc=agreement, lines=lines, foreign=foreign,
        lines_total=sum((line.amount for line in lines), start=agreement.amount * 0),
        amount_words=_words(agreement.amount),
        page_title=f"{agreement.get_kind_display()} {agreement.number}",
    ))


@require_GET
def contract_print(request, contract_id: int):
    return _agreement_print(request, contract_id, AgreementKind.CONTRACT, "deals/print/contract.html")


@require_GET
def order_print(request, order_id: int):
    return _agreement_print(request, order_id, AgreementKind.ORDER, "deals/print/order.html")


@require_GET
def quote_print(request, quote_id: int):
    actor = request.actor
    qs = visible(Quote, actor).select_related("customer", "owner")
    quote = get_visible_or_404(Quote, actor, quote_id, queryset=qs)
    lines = list(visible(QuoteLine, actor).filter(quote_id=quote.pk).order_by("position", "id"))
    return render(request, "deals/print/quote.html", _context(
        request, doc=quote, lines=lines, amount_words=_words(quote.total),
        page_title=_("报价单 %(number)s") % {"number": quote.number},
    ))


@require_GET
def payment_receipt(request, payment_id: int):
    """收款收据 of one payment; until finance confirms it the page says so across the receipt."""
    actor = request.actor
    qs = visible(Payment, actor).select_related("agreement", "customer", "method", "recorded_by", "confirmed_by")
    payment = get_visible_or_404(Payment, actor, payment_id, queryset=qs)
    return render(request, "deals/print/receipt.html", _context(
        request, doc=payment, agreement=payment.agreement, foreign=payment.agreement.currency != "CNY",
        confirmed=payment.status == PaymentStatus.CONFIRMED, amount_words=_words(payment.base_amount),
        page_title=_("收款收据 %(number)s") % {"number": payment.number},
    ))
