"""Reporting resources (read-only). Filled in by the reporting work."""

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Add this app's reporting resources to the API router."""
