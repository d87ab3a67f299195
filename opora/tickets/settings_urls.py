"""Screens that configure ticket handling: macros, rules, assignment, closing criteria."""

from django.urls import path  # noqa: F401

urlpatterns: list[object] = []
