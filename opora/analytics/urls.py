"""Dashboards and reports (the `analytics` namespace, at /analytics/)."""

from django.urls import path

from opora.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("reports/<slug:kind>/", views.report, name="report"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
