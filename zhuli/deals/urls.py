from django.urls import path

from . import print_views, views

app_name = "deals"


def _agreement_urls(kind: str, plural: str, param: str, end_action: str) -> list:
    k = {"kind": kind}
    one = f"{plural}/<int:{param}>/"
    urls = [
        path(f"{plural}/", views.agreement_list_view, k, name=f"{kind}_list"),
        path(f"{plural}/new/", views.agreement_create_view, k, name=f"{kind}_create"),
        path(f"{plural}/export/", views.agreement_export_view, k, name=f"{kind}_export"),
        path(one, views.agreement_detail_view, k, name=f"{kind}_detail"),
        path(f"{one}edit/", views.agreement_edit_view, k, name=f"{kind}_edit"),
        path(f"{one}delete/", views.agreement_delete_view, k, name=f"{kind}_delete"),
        path(f"{one}attachments/", views.attachment_add_view, k, name=f"{kind}_attachment_add"),
        path(f"{one}attachments/<int:attachment_id>/", views.attachment_download_view, k,
             name=f"{kind}_attachment"),
        path(f"{one}attachments/<int:attachment_id>/delete/", views.attachment_delete_view, k,
             name=f"{kind}_attachment_delete"),
    ]
    for action in ("submit", "withdraw", "approve", "reject", "complete", end_action):
        urls.append(path(f"{one}{action}/", views.agreement_action_view, {**k, "action": action},
                         name=f"{kind}_{action}"))
    return urls


urlpatterns = [
    *_agreement_urls("contract", "contracts", "contract_id", "terminate"),
    *_agreement_urls("order", "orders", "order_id", "cancel"),
    path("quotes/", views.quote_list_view, name="quote_list"),
    path("quotes/new/", views.quote_create_view, name="quote_create"),
    path("quotes/export/", views.quote_export_view, name="quote_export"),
    path("quotes/<int:quote_id>/", views.quote_detail_view, name="quote_detail"),
    path("quotes/<int:quote_id>/edit/", views.quote_edit_view, name="quote_edit"),
    path("quotes/<int:quote_id>/delete/", views.quote_delete_view, name="quote_delete"),
    path("quotes/<int:quote_id>/convert/", views.quote_convert_view, name="quote_convert"),
    path("agreements/from-opportunity/<int:opportunity_id>/", views.opportunity_convert_view,
         name="opportunity_convert"),
    path("settings/numbering/", views.numbering_settings, name="numbering"),
    # Print pages (print_views.py): A4, no app chrome, amounts in 大写.
    path("contracts/<int:contract_id>/print/", print_views.contract_print, name="contract_print"),
    path("orders/<int:order_id>/print/", print_views.order_print, name="order_print"),
    path("quotes/<int:quote_id>/print/", print_views.quote_print, name="quote_print"),
    path("payments/<int:payment_id>/receipt/", print_views.payment_receipt, name="payment_receipt"),
]
