"""URLs of the quality certification (included by opora/quality/urls.py, namespace `quality`)."""

from django.urls import URLPattern, path

from opora.quality.certification import views

urlpatterns: list[URLPattern] = [
    path("certification/", views.mine, name="certification-mine"),
    path(
        "certification/assignments/<int:pk>/",
        views.assignment_detail,
        name="certification-assignment",
    ),
    path(
        "certification/assignments/<int:pk>/start/",
        views.attempt_start,
        name="certification-start",
    ),
    path("certification/attempts/<int:pk>/take/", views.attempt_take, name="certification-take"),
    path("certification/attempts/<int:pk>/", views.attempt_result, name="certification-attempt"),
    path("certification/tests/", views.test_list, name="certification-tests"),
    path("certification/tests/new/", views.test_create, name="certification-test-new"),
    path("certification/tests/<int:pk>/", views.test_results, name="certification-test-results"),
    path("certification/tests/<int:pk>/edit/", views.test_edit, name="certification-test-edit"),
    path(
        "certification/tests/<int:pk>/assign/",
        views.test_assign,
        name="certification-test-assign",
    ),
    path("certification/status/", views.status_matrix, name="certification-matrix"),
    path(
        "certification/operators/<int:pk>/",
        views.operator_history,
        name="certification-operator",
    ),
]
