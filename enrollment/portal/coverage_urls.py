from django.urls import path

from enrollment.portal import coverage_views

urlpatterns = [
    path("", coverage_views.dashboard, name="dashboard"),
    path("payments/", coverage_views.payments, name="payments"),
    path("calculator/", coverage_views.calculator, name="calculator"),
]
