from django.urls import path

from enrollment.portal import applications_views as views

urlpatterns = [
    path("", views.application_list, name="applications"),
    path("new/", views.application_new, name="application_new"),
    path("new/<slug:kind>/", views.application_form, name="application_form"),
    path("<int:case_id>/", views.application_detail, name="application_detail"),
    path("<int:case_id>/answer/", views.application_answer, name="application_answer"),
    path("<int:case_id>/documents/<int:document_id>/", views.application_document, name="application_document"),
]
