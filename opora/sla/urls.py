"""SLA settings: policies and production calendars (the `sla` namespace, at /sla/)."""

from django.urls import path

from opora.sla import views

app_name = "sla"

urlpatterns = [
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/new/", views.policy_edit, name="policy-create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("policies/<int:pk>/delete/", views.policy_delete, name="policy-delete"),
    path("policies/<int:pk>/move/", views.policy_move, name="policy-move"),
    path("calendars/", views.calendar_list, name="calendar-list"),
    path("calendars/new/", views.calendar_edit, name="calendar-create"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar-edit"),
    path("calendars/<int:pk>/delete/", views.calendar_delete, name="calendar-delete"),
    path("calendars/<int:pk>/<int:year>/", views.calendar_year, name="calendar-year"),
    path("calendars/<int:pk>/<int:year>/day/", views.calendar_day, name="calendar-day"),
    path("calendars/<int:pk>/import/", views.calendar_import, name="calendar-import"),
]
