app_name = "departments"

urlpatterns: list = []
