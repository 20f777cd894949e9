app_name = "workbench"
urlpatterns: list = []
