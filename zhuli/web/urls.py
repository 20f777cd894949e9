from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.language_view, name="language"),
    path("search/", views.search_view, name="search"),
    path("logo/<str:name>", views.logo_view, name="logo"),
    path("", views.home_view, name="home"),
]
