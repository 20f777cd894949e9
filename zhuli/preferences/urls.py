from django.urls import path

from . import views

app_name = "preferences"
urlpatterns = [
    path("", views.index, name="index"),
    path("company/", views.company, name="company"),
    path("company/logo/", views.logo_upload, name="logo_upload"),
    path("company/logo/clear/", views.logo_clear, name="logo_clear"),
    path("features/", views.features, name="features"),
    path("permissions/", views.permissions, name="permissions"),
    path("permissions/reset/", views.permissions_reset, name="permissions_reset"),
    path("dictionaries/", views.dictionaries, name="dictionaries"),
    path("dictionaries/<int:item_id>/rename/", views.dictionary_rename, name="dictionary_rename"),
    path("dictionaries/<int:item_id>/toggle/", views.dictionary_toggle, name="dictionary_toggle"),
    path("dictionaries/<int:item_id>/move/", views.dictionary_move, name="dictionary_move"),
]
