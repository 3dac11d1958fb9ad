"""Aggregates for reporting. Filled in by the aggregates work."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
