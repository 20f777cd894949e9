from django.urls import path

from . import views

app_name = "activities"
urlpatterns = [
    path("", views.followup_list_view, name="list"),
    path("customer/<int:customer_id>/section/", views.section_view, name="section"),
    path("customer/<int:customer_id>/add/", views.followup_add, name="add"),
    path("opportunity/<int:opportunity_id>/section/", views.opportunity_section_view, name="opportunity_section"),
    path("opportunity/<int:opportunity_id>/add/", views.followup_add_for_opportunity, name="add_for_opportunity"),
    path("<int:pk>/edit/", views.followup_edit, name="edit"),
    path("<int:pk>/delete/", views.followup_delete_view, name="delete"),
    path("todos/<int:pk>/complete/", views.todo_complete_view, name="todo_complete"),
]
