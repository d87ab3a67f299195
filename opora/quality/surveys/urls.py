"""URLs of the quality surveys (included by opora/quality/urls.py, namespace `quality`)."""

from django.urls import URLPattern, path

from opora.quality.surveys import views

urlpatterns: list[URLPattern] = [
    # Public: the token is the client's key.
    path("csat/<str:token>/", views.csat_comment, name="csat-comment"),
    path("csat/<str:token>/<int:score>/", views.csat_answer, name="csat-answer"),
    path("nps/results/", views.nps_results, name="nps-results"),
    path("nps/<str:token>/", views.nps_comment, name="nps-comment"),
    path("nps/<str:token>/<int:score>/", views.nps_answer, name="nps-answer"),
    # Staff.
    path("follow-ups/", views.followup_list, name="followup-list"),
    path("follow-ups/<int:pk>/close/", views.followup_close, name="followup-close"),
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/new/", views.survey_create, name="survey-create"),
    path("surveys/<int:pk>/", views.survey_edit, name="survey-edit"),
    path("surveys/<int:pk>/send/", views.survey_send, name="survey-send"),
]
