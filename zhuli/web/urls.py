from django.urls import path

from zhuli.accounts import public_views

from . import views

app_name = "web"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", public_views.signup_view, name="signup"),
    path("terms/", public_views.terms_view, name="terms"),
    path("demo/enter/", public_views.demo_enter_view, name="demo_enter"),
    path("language/", views.language_view, name="language"),
    path("search/", views.search_view, name="search"),
    path("logo/<str:name>", views.logo_view, name="logo"),
    path("", views.home_view, name="home"),
]
