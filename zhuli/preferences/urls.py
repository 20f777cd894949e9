app_name = "preferences"
urlpatterns: list = []
