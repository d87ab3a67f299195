"""Screens that configure ticket handling: macros, rules, assignment, closing criteria.

Included at /tickets/settings/ inside the `tickets` namespace.
"""

from django.urls import path

from opora.tickets import settings_views as views

urlpatterns = [
    path("", views.ticket_settings, name="settings"),
    path("fields/new/", views.field_edit, name="field-create"),
    path("fields/<int:pk>/", views.field_edit, name="field-edit"),
    path("resolutions/new/", views.resolution_create, name="resolution-create"),
    path("resolutions/<int:pk>/", views.resolution_edit, name="resolution-edit"),
    path("blocked/", views.blocked_list, name="blocked-list"),
    path("blocked/new/", views.blocked_create, name="blocked-create"),
    path("blocked/<int:pk>/delete/", views.blocked_delete, name="blocked-delete"),
    path("macros/", views.macro_list, name="macro-list"),
    path("macros/new/", views.macro_edit, name="macro-create"),
    path("macros/<int:pk>/", views.macro_edit, name="macro-edit"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro-delete"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_edit, name="rule-create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("rules/<int:pk>/move/", views.rule_move, name="rule-move"),
    path("assignment/", views.assignment, name="assignment"),
    path("assignment/operators/<int:user_id>/", views.operator_edit, name="operator-edit"),
]
