"""URLs of the quality surveys (included by opora/quality/urls.py, namespace `quality`)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
