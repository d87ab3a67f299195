"""Knowledge base pages (the `knowledge` namespace, at /kb/)."""

from django.urls import path

from opora.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.home, name="home"),
]
