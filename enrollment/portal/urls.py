from django.urls import include, path

app_name = "portal"

urlpatterns = [
    path("", include("enrollment.portal.coverage_urls")),
    path("account/", include("enrollment.portal.accounts_urls")),
    path("applications/", include("enrollment.portal.applications_urls")),
]
