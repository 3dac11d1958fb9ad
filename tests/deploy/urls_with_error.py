"""The project's URLs plus one view that fails, to see what a visitor gets from an unexpected error."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

INTERNAL_DETAIL = "internal detail 110101199003077777"


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(INTERNAL_DETAIL)


urlpatterns = [path("broken/", broken), *project_urlpatterns]
