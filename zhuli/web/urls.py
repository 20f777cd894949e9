from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
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
    # Browsers ask for /favicon.ico whatever the page says; not permanent: the static name carries a hash.
    path("favicon.ico", login_not_required(lambda request: redirect(static("img/favicon.svg"))),
         name="favicon"),
    path("", views.home_view, name="home"),
]
