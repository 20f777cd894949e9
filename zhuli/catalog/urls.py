from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list_view, name="list"),
    path("new/", views.product_create_view, name="create"),
    path("picker/", views.product_picker, name="picker"),
    path("categories/", views.categories_view, name="categories"),
    path("<int:pk>/", views.product_detail, name="detail"),
    path("<int:pk>/edit/", views.product_edit_view, name="edit"),
    path("<int:pk>/delete/", views.product_delete_view, name="delete"),
    path("<int:pk>/active/", views.product_active_view, name="active"),
]
