from django.contrib import admin
from django.urls import include, path

from config import views

admin.site.site_header = admin.site.site_title = "医保经办 · Medical insurance services"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
