"""The REST API, routed in one place: /api/v1/ for the resources, /api/schema/ and /api/docs/.

Each app contributes its reporting resources to one router and its plain views as url patterns.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from eligibility.api import aggregates as eligibility_aggregates
from eligibility.api import check as eligibility_check
from eligibility.api import reporting as eligibility_reporting
from enrollment.api import reporting as enrollment_reporting
from enrollment.api.support import api_not_found
from enrollment.api.views import WhoAmIView
from payments.api import reporting as payments_reporting

router = SimpleRouter(trailing_slash=False)
for module in (enrollment_reporting, payments_reporting, eligibility_reporting):
    module.register(router)

v1_patterns = [
    path("me", WhoAmIView.as_view(), name="whoami"),
    *eligibility_check.urlpatterns,
    *eligibility_aggregates.urlpatterns,
    *router.urls,
    # Last: any other address under /api/v1/ answers in the error shape, not Django's HTML page.
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("v1/", include((v1_patterns, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
