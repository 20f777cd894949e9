from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhuli.api"
    verbose_name = "API"
