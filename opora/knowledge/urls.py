"""Knowledge base pages (the `knowledge` namespace, at /kb/)."""

from django.urls import include, path

from opora.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("review/", views.review_queue, name="review-queue"),
    path(
        "sections/",
        include(
            [
                path("", views.section_list, name="section-list"),
                path("new/", views.section_edit, name="section-create"),
                path("<int:pk>/", views.section_detail, name="section-detail"),
                path("<int:pk>/edit/", views.section_edit, name="section-edit"),
            ]
        ),
    ),
    path("new/", views.article_create, name="article-create"),
    path("preview/", views.article_preview, name="article-preview"),
    path("files/<int:pk>/<str:name>", views.file, name="file"),
    path(
        "KB-<int:number>/",
        include(
            [
                path("", views.article_detail, name="article-detail"),
                path("edit/", views.article_edit, name="article-edit"),
                path("files/", views.article_file_upload, name="article-file-upload"),
                path("submit/", views.article_submit, name="article-submit"),
                path("publish/", views.article_publish, name="article-publish"),
                path("send-back/", views.article_send_back, name="article-send-back"),
                path("archive/", views.article_archive, name="article-archive"),
                path("verify/", views.article_verify, name="article-verify"),
                path("vote/", views.article_vote, name="article-vote"),
                path("history/", views.article_history, name="article-history"),
                path("versions/<int:pk>/restore/", views.version_restore, name="version-restore"),
            ]
        ),
    ),
    path(
        "tickets/<int:number>/",
        include(
            [
                path("suggest/", views.ticket_suggest, name="ticket-suggest"),
                path("use/<int:article_number>/", views.ticket_use, name="ticket-use"),
            ]
        ),
    ),
]
