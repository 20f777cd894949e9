from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("transfer/", views.customer_transfer_view, name="transfer"),
    path("pool/", views.pool_page, name="pool"),
    path("pool/assign/", views.customer_assign_view, name="assign"),
    path("pool/settings/", views.pool_settings, name="settings_pools"),
    path("pool/settings/new/", views.pool_settings_save, name="settings_pool_create"),
    path("pool/settings/caps/", views.pool_settings_cap, name="settings_caps"),
    path("pool/settings/<int:pool_id>/", views.pool_settings_save, name="settings_pool_edit"),
    path("pool/settings/<int:pool_id>/delete/", views.pool_settings_delete, name="settings_pool_delete"),
    path("pool/settings/<int:pool_id>/rules/", views.pool_settings_rule, name="settings_pool_rule"),
    path("release/", views.customer_release_view, name="release"),
    path("<int:pk>/claim/", views.customer_claim_view, name="claim"),
    path("duplicates/", views.duplicate_check, name="duplicates"),
    path("regions/", views.region_options, name="regions"),
    path("options/", views.customer_options, name="options"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit_view, name="edit"),
    path("<int:pk>/contacts/", views.contacts_view, name="contacts"),
    path("<int:pk>/contacts/new/", views.contact_create_view, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit_view, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete_view, name="contact_delete"),
]
