"""Dashboards and reports (the `analytics` namespace, at /analytics/)."""

from django.urls import path

from opora.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("reports/<slug:kind>/", views.report, name="report"),
    path("goals/", views.goals_edit, name="goals"),
    path("requests/", views.product_request_list, name="requests"),
    path("requests/new/", views.product_request_create, name="request-create"),
    path("requests/<int:pk>/", views.product_request_detail, name="request"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
