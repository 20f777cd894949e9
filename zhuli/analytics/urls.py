from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("funnel/", views.funnel_view, name="funnel"),
]
