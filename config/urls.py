from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy

from config import views

admin.site.site_header = admin.site.site_title = gettext_lazy("Medical insurance services")
admin.site.index_title = gettext_lazy("Clerk workspace")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("payments/", include("payments.urls")),
    path("my/", include("enrollment.portal.urls")),
    path("api/", include("config.api")),
]
