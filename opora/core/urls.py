from django.urls import path

from opora.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_set, name="language-set"),
    path("audit/", views.audit_list, name="audit-list"),
    path("jobs/", views.job_list, name="job-list"),
]
