from django.urls import include, path

from opora.tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("views/", views.saved_view_create, name="view-create"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="view-delete"),
    path("attachments/<int:pk>/<str:name>", views.attachment, name="attachment"),
    path(
        "OP-<int:number>/",
        include(
            [
                path("", views.detail, name="detail"),
                path("reply/", views.reply, name="reply"),
                path("macro/", views.macro_preview, name="macro-preview"),
                path("activity/", views.activity, name="activity"),
                path("update/", views.update, name="update"),
                path("fields/", views.custom_fields, name="fields"),
                path("people/", views.people, name="people"),
                path("follow/", views.follow, name="follow"),
                path("escalate/", views.escalate, name="escalate"),
                path("link/", views.link, name="link"),
                path("unlink/OP-<int:other>/", views.unlink, name="unlink"),
                path("merge/", views.merge, name="merge"),
                path("split/<int:message_id>/", views.split, name="split"),
                path("spam/", views.spam, name="spam"),
                path("not-spam/", views.not_spam, name="not-spam"),
            ]
        ),
    ),
    path("settings/", include("opora.tickets.settings_urls")),
]
