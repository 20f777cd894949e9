from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/<slug:resource>/", views.template, name="template"),
    path("export/customers/", views.export_customers, name="export_customers"),
    path("export/opportunities/", views.export_opportunities, name="export_opportunities"),
    path("export/products/", views.export_products, name="export_products"),
    path("export/contacts/", views.export_contacts, name="export_contacts"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/confirm/", views.job_confirm, name="confirm"),
    path("<int:pk>/errors-file/", views.errors_file, name="errors_file"),
]
