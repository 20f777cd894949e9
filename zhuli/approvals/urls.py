from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.approval_list_view, name="list"),
    path("rules/", views.rules_settings, name="rules"),
    path("<int:pk>/", views.approval_detail, name="detail"),
    path("<int:pk>/decide/", views.approval_decide_view, name="decide"),
    path("<int:pk>/withdraw/", views.approval_withdraw_view, name="withdraw"),
]
