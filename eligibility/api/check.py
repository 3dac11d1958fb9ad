"""The hospitals' eligibility check. Filled in by the eligibility-check work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
