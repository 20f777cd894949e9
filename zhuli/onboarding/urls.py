from django.urls import path

from . import views

app_name = "onboarding"
urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("setup/skip/", views.setup_skip, name="setup_skip"),
    path("setup/<slug:step>/", views.setup_step, name="setup_step"),
    path("getting-started/", views.checklist_page, name="checklist"),
    path("getting-started/dismiss/", views.checklist_dismiss, name="checklist_dismiss"),
    path("getting-started/<slug:item>/tick/", views.checklist_tick, name="checklist_tick"),
    path("help/", views.help_index, name="help"),
    path("help/<slug:slug>/", views.help_detail, name="help_page"),
    path("norms/", views.norm_list, name="norms"),
    path("norms/new/", views.norm_create, name="norm_create"),
    path("norms/<int:pk>/", views.norm_detail, name="norm_detail"),
    path("norms/<int:pk>/edit/", views.norm_edit, name="norm_edit"),
    path("norms/<int:pk>/publish/", views.norm_publish, name="norm_publish"),
    path("norms/<int:pk>/unpublish/", views.norm_unpublish, name="norm_unpublish"),
    path("norms/<int:pk>/delete/", views.norm_delete, name="norm_delete"),
]
