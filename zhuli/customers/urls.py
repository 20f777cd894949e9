from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("transfer/", views.customer_transfer_view, name="transfer"),
    path("duplicates/", views.duplicate_check, name="duplicates"),
    path("regions/", views.region_options, name="regions"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit_view, name="edit"),
    path("<int:pk>/contacts/", views.contacts_view, name="contacts"),
    path("<int:pk>/contacts/new/", views.contact_create_view, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit_view, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete_view, name="contact_delete"),
]
