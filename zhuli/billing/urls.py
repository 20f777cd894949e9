from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("payment-plans/", views.plan_list_view, name="plans"),
    path("payment-plans/export/", views.plans_export, name="plans_export"),
    path("payment-plans/add/<int:agreement_id>/", views.plan_add_view, name="plan_add"),
    path("payment-plans/generate/<int:agreement_id>/", views.plan_generate_view, name="plan_generate"),
    path("payment-plans/<int:pk>/edit/", views.plan_edit_view, name="plan_edit"),
    path("payment-plans/<int:pk>/delete/", views.plan_delete_view, name="plan_delete"),
    path("payments/", views.payment_list_view, name="payments"),
    path("payments/export/", views.payments_export, name="payments_export"),
    path("payments/record/<int:agreement_id>/", views.payment_record_view, name="payment_record"),
    path("payments/<int:pk>/confirm/", views.payment_confirm_view, name="payment_confirm"),
    path("payments/<int:pk>/reject/", views.payment_reject_view, name="payment_reject"),
    path("payments/<int:pk>/delete/", views.payment_delete_view, name="payment_delete"),
    path("invoices/", views.invoice_list_view, name="invoices"),
    path("invoices/export/", views.invoices_export, name="invoices_export"),
    path("invoices/request/<int:agreement_id>/", views.invoice_request_view, name="invoice_request"),
    path("invoices/<int:pk>/", views.invoice_detail_view, name="invoice"),
    path("invoices/<int:pk>/issue/", views.invoice_issue_view, name="invoice_issue"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel_view, name="invoice_cancel"),
    path("finance/receivables/", views.receivables_view, name="receivables"),
    path("finance/payments-to-confirm/", views.payments_to_confirm_view, name="to_confirm"),
    path("finance/invoices-to-issue/", views.invoices_to_issue_view, name="to_issue"),
    path("settings/invoices/", views.invoice_settings_view, name="settings"),
]
