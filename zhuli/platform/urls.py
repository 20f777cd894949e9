from django.urls import path

from . import views

app_name = "platform"
urlpatterns = [
    path("", views.tenant_list_view, name="tenants"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("settings/", views.settings_view, name="settings"),
    path("events/", views.events_view, name="events"),
    path("tenants/<int:tenant_id>/", views.tenant_detail_view, name="tenant"),
    path("tenants/<int:tenant_id>/convert/", views.tenant_convert_view, name="tenant_convert"),
    path("tenants/<int:tenant_id>/extend/", views.tenant_extend_view, name="tenant_extend"),
    path("tenants/<int:tenant_id>/limits/", views.tenant_limits_view, name="tenant_limits"),
    path("tenants/<int:tenant_id>/suspend/", views.tenant_suspend_view, name="tenant_suspend"),
    path("tenants/<int:tenant_id>/resume/", views.tenant_resume_view, name="tenant_resume"),
    path("tenants/<int:tenant_id>/demo-reset/", views.tenant_demo_reset_view, name="tenant_demo_reset"),
]
