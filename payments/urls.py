from django.urls import path  # noqa: F401 - routes are added as the payments screens arrive

app_name = "payments"

urlpatterns: list = []
